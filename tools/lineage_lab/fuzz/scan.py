"""Finding injected addresses and phone numbers wherever they must not be.

The patterns match what :mod:`lineage_lab.fuzz.mutations` injects, in the forms a leak would take:
the address's local part and its at-sign, written plainly, full-width, percent-, JSON- or
HTML-escaped (a reason built with ``repr`` escapes non-ASCII), so a truncated address still
counts; and the +33 7 99 phone range with or without separators, international or national.
Anything else (the seed data's example.* addresses) is not a fuzz finding.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

_AT = r"(?:@|\uff20|%40|\\u0040|\\uff20|\\x40|\\xef\\xbc\\xa0|&#64;)"
EMAIL_LEAK = re.compile(r"fuzz-\d+(?:\+[\w.-]*)?" + _AT, re.IGNORECASE)
_SEP = r"[\s.\-]*"
_PAIRS = r"(?:[\s.\-]*\d){6}(?!\d)"
PHONE_LEAK = re.compile(
    r"\+33"
    + _SEP
    + r"(?:\(0\)"
    + _SEP
    + r")?7"
    + _SEP
    + "99"
    + _PAIRS
    + r"|(?<![0-9A-Za-z])00"
    + _SEP
    + "33"
    + _SEP
    + "7"
    + _SEP
    + "99"
    + _PAIRS
    + r"|(?<![0-9A-Za-z])07[\s.\-]?99"
    + _PAIRS
    + r"(?![A-Za-z])"
)


def leaks(text: str) -> list[str]:
    """The injected addresses and phone numbers in ``text`` (as they appear there)."""
    if "fuzz" not in text.lower() and "99" not in text:
        return []
    return [m.group(0) for m in EMAIL_LEAK.finditer(text)] + [m.group(0) for m in PHONE_LEAK.finditer(text)]


def leak_kind(found: str) -> str:
    return "address" if EMAIL_LEAK.search(found) else "phone"


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a property value (Neo4j properties are scalars or lists of them)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)


def leaks_in_properties(properties: Iterable[dict[str, Any]]) -> list[str]:
    """Leaks in every string property (and property name) of graph entities."""
    return [found for props in properties for text in strings_in(props) for found in leaks(text)]


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class CapturedLogs(logging.Handler):
    """Keeps every record's final text (message and traceback), for scanning between payloads.

    Installed on the root logger at DEBUG with every existing logger opened up to DEBUG, so
    nothing a library or lineage logs at any level escapes the scan; restored on exit.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.total = 0
        self._saved: list[tuple[logging.Logger, int, bool]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = f"{record.levelname} {record.name}: {record.getMessage()}"
        except Exception:  # a malformed record is still evidence: keep its raw parts
            text = f"{record.levelname} {record.name}: {record.msg!r} {record.args!r}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)
        self.total += 1

    def take(self) -> list[str]:
        lines, self.lines = self.lines, []
        return lines

    def __enter__(self) -> CapturedLogs:
        root = logging.getLogger()
        loggers = [root] + [lg for lg in root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
        self._saved = [(lg, lg.level, lg.disabled) for lg in loggers]
        for lg in loggers:
            lg.setLevel(logging.DEBUG if lg is root else logging.NOTSET)
            lg.disabled = False
        root.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)
        for lg, level, disabled in self._saved:
            lg.setLevel(level)
            lg.disabled = disabled
