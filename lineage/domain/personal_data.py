"""Recognising personal data where none should be: the guard behind "nothing but the keyed hash".

Adapters hash identifiers on purpose; these checks catch the accidents. Fields of the canonical
event that are never meant to carry personal data (event ids, native types, store names) refuse a
value that looks like an e-mail address or a phone number, and every dead-letter reason and log
line passes through :func:`redact` as a last line of defence, so a careless message quoting its
input still leaks nothing.
"""

from __future__ import annotations

import re
import unicodedata

# Local part @ domain with a dot: wide on purpose (any address, even an unusual one, is caught),
# bounded (RFC 5321 lengths) so a long run without an address is scanned in linear time.
_ATOM = r"[^\s@\"'<>(),;:\[\]{}]"
_EMAIL = re.compile(rf"{_ATOM}{{1,64}}@{_ATOM}{{1,253}}\.{_ATOM}{{1,63}}")
# International form: + or 00, then 8-15 digits, spaces, dots, dashes or brackets between them.
_PHONE_INTERNATIONAL = re.compile(
    r"\+\(?\d(?:[ .\-()]{0,2}\d){7,14}|(?<![\w.\-])00\d(?:[ .\-()]{0,2}\d){7,14}(?![\w\-])"
)
# A national number written without separators: 0 and nine digits, standing alone.
_PHONE_NATIONAL = re.compile(r"(?<![\w.\-])0\d{9}(?![\w\-])")
# National forms with separators: 06 12 34 56 78, 06.12.34.56.78, (415) 555-0100, 415-555-0100.
_PHONE_GROUPED = re.compile(
    r"(?<![\w.\-])(?:0\d(?:[ .\-]\d{2}){4}|\(?\d{3}\)?[ .\-]\d{3}[ .\-]\d{4})(?![\w\-])"
)

# Any of the three, in one scan: the check runs on four fields of every event, twice.
_PHONE = re.compile(
    "|".join(f"(?:{p.pattern})" for p in (_PHONE_INTERNATIONAL, _PHONE_NATIONAL, _PHONE_GROUPED))
)

REDACTED = "<redacted>"


# How an at sign looks once a value has been escaped into a log line: URL-encoded, JSON-escaped,
# or the UTF-8 bytes of a full-width one in a bytes repr.
_ESCAPED_AT = ("%40", "\\u0040", "\\uff20", "\\uFF20", "\\xef\\xbc\\xa0")


def _folded(text: str) -> str:
    """NFKC (a full-width at sign or digits are the same address or number to a reader), and
    escaped at signs unescaped."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    if "%" in text or "\\" in text:
        for escaped in _ESCAPED_AT:
            text = text.replace(escaped, "@")
    return text


def looks_like_email(text: str) -> bool:
    return _has_email(_folded(text))


def looks_like_phone(text: str) -> bool:
    return _PHONE.search(_folded(text)) is not None


def _has_email(folded: str) -> bool:
    return "@" in folded and _EMAIL.search(folded) is not None


def personal_data_problem(text: str) -> str | None:
    """What a value that must carry no personal data carries instead, or ``None``."""
    folded = _folded(text)
    if _has_email(folded):
        return "looks like an e-mail address"
    if _PHONE.search(folded) is not None:
        return "looks like a phone number"
    return None


def redact(text: str) -> str:
    """``text`` (NFKC-folded) with anything that looks like an address or a phone number
    replaced."""
    text = _folded(text)
    if "@" in text:
        text = _EMAIL.sub(REDACTED, text)
    text = _PHONE_INTERNATIONAL.sub(REDACTED, text)
    text = _PHONE_NATIONAL.sub(REDACTED, text)
    return _PHONE_GROUPED.sub(REDACTED, text)
