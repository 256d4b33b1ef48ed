"""What lineage's processes may write to their logs: never personal data, never a secret.

Log lines outlive the data they describe (they are shipped, indexed, kept for months), so the
guard sits where every record is made, not in each call site: a record factory that formats the
message, redacts anything that looks like an e-mail address or a phone number and every
configured secret, and does the same to a traceback. Libraries that log full URLs at INFO (httpx
logs the Slack incoming-webhook URL, which is a credential) are held at WARNING, and aiokafka,
which logs every message value it sends at DEBUG, at INFO.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Iterable

from lineage.domain.personal_data import redact

SECRET = "<secret>"
URL_LOGGING_LIBRARIES = ("httpx", "httpcore")
PAYLOAD_LOGGING_LIBRARIES = ("aiokafka",)  # logs every message value it sends at DEBUG
# aiokafka logs a connection error per attempt: ~34,000 lines in a 30 s Kafka outage.
NOISY_LOGGERS = (
    "aiokafka",
    "aiokafka.conn",
    "aiokafka.client",
    "aiokafka.cluster",
    "aiokafka.consumer.fetcher",
    "aiokafka.consumer.group_coordinator",
    "aiokafka.producer.sender",
    "aiokafka.producer.producer",
)
REPEAT_WINDOW_S = 10.0


class RepeatLimit(logging.Filter):
    """Lets one record per message template through every :data:`REPEAT_WINDOW_S` seconds and
    says how many it held back: a broker outage is one line every few seconds, not megabytes."""

    def __init__(self, window_s: float = REPEAT_WINDOW_S) -> None:
        super().__init__()
        self._window_s = window_s
        self._seen: dict[tuple[str, object], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, getattr(record, "lineage_template", record.msg))
        now = time.monotonic()
        last, held = self._seen.get(key, (float("-inf"), 0))
        if now - last < self._window_s:
            self._seen[key] = (last, held + 1)
            return False
        self._seen[key] = (now, 0)
        if held:
            record.msg = f"{record.msg} ({held} alike in the last {self._window_s:.0f}s not shown)"
        return True


# A secret this short (a password of a server lineage does not run: its own secrets are at least
# 16 characters) is scrubbed where it stands as a word of its own, not inside longer words: a
# Neo4j password "neo4j" must not turn every mention of Neo4j into <secret>.
SHORT_SECRET = 8


def _scrub(text: str, secrets: tuple[str | re.Pattern[str], ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, SECRET) if isinstance(secret, str) else secret.sub(SECRET, text)
    return redact(text)


def _matchers(secrets: Iterable[str]) -> tuple[str | re.Pattern[str], ...]:
    """Every configured secret, longest first; the short ones as whole words."""
    ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
    return tuple(
        s if len(s) >= SHORT_SECRET else re.compile(rf"(?<![0-9A-Za-z]){re.escape(s)}(?![0-9A-Za-z])")
        for s in ordered
    )


def _lowest_level_written(name: str) -> int:
    """The lowest level any handler writes a record of logger ``name`` at (its own handlers and
    its ancestors' while it propagates: uvicorn's loggers have their own). Records below it are
    never written anywhere, so they need no scrubbing and cost nothing."""
    logger: logging.Logger | None = logging.getLogger(name)
    levels: list[int] = []
    while logger is not None:
        levels += [h.level for h in logger.handlers]
        if not logger.propagate:
            break
        logger = logger.parent
    return min(levels, default=logging.WARNING)  # logging.lastResort writes WARNING and up


def _scrub_message(record: logging.LogRecord, known: tuple[str | re.Pattern[str], ...]) -> None:
    """Scrub in place. Arguments stay arguments where scrubbing them suffices (formatters such as
    uvicorn's access log read ``record.args``); otherwise the message is folded and scrubbed."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not lose the line
        message = f"{record.msg!s} {record.args!r}"
    clean = _scrub(message, known)
    if clean == message:
        return
    if isinstance(record.args, tuple):
        record.msg = _scrub(str(record.msg), known)
        record.args = tuple(_scrub(a, known) if isinstance(a, str) else a for a in record.args)
        try:
            if record.getMessage() == clean:
                return
        except Exception:
            pass
    record.msg, record.args = clean, None


def install_log_hygiene(secrets: Iterable[str] = ()) -> None:
    """Redact every log record of this process from now on (idempotent)."""
    known = _matchers(secrets)
    current = logging.getLogRecordFactory()
    base = getattr(current, "lineage_base", current)

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = base(*args, **kwargs)
        record.lineage_template = record.msg
        if record.levelno < _lowest_level_written(record.name):
            return record  # no handler writes it (aiokafka formats every message at DEBUG)
        _scrub_message(record, known)
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = _scrub("".join(traceback.format_exception(*record.exc_info)).rstrip(), known)
        return record

    factory.lineage_base = base  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
    for name in URL_LOGGING_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in PAYLOAD_LOGGING_LIBRARIES:
        logging.getLogger(name).setLevel(logging.INFO)
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RepeatLimit) for f in logger.filters):
            logger.addFilter(RepeatLimit())
