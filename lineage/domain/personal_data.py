"""Recognising personal data where none should be: the guard behind "nothing but the keyed hash".

Adapters hash identifiers on purpose; these checks catch the accidents. Fields of the canonical
event that are never meant to carry personal data (event ids, native types, store names) refuse a
value that looks like an e-mail address or a phone number, and every dead-letter reason and log
line passes through :func:`redact` as a last line of defence, so a careless message quoting its
input still leaks nothing.
"""

from __future__ import annotations

import re

# Local part @ domain with a dot: wide on purpose (any address, even an unusual one, is caught).
_EMAIL = re.compile(r"[^\s@\"'<>(),;:]+@[^\s@\"'<>(),;:]+\.[^\s@\"'<>(),;:]+")
# International form: + then 8-15 digits, spaces, dots, dashes or brackets between them.
_PHONE_INTERNATIONAL = re.compile(r"\+\(?\d(?:[ .\-()]{0,2}\d){7,14}")
# National forms with separators: 06 12 34 56 78, 06.12.34.56.78, (415) 555-0100, 415-555-0100.
_PHONE_GROUPED = re.compile(
    r"(?<![\w.\-])(?:0\d(?:[ .\-]\d{2}){4}|\(?\d{3}\)?[ .\-]\d{3}[ .\-]\d{4})(?![\w\-])")

REDACTED = "<redacted>"


def looks_like_email(text: str) -> bool:
    return _EMAIL.search(text) is not None


def looks_like_phone(text: str) -> bool:
    return _PHONE_INTERNATIONAL.search(text) is not None or _PHONE_GROUPED.search(text) is not None


def personal_data_problem(text: str) -> str | None:
    """What a value that must carry no personal data carries instead, or ``None``."""
    if looks_like_email(text):
        return "looks like an e-mail address"
    if looks_like_phone(text):
        return "looks like a phone number"
    return None


def redact(text: str) -> str:
    """``text`` with anything that looks like an address or a phone number replaced."""
    text = _EMAIL.sub(REDACTED, text)
    text = _PHONE_INTERNATIONAL.sub(REDACTED, text)
    return _PHONE_GROUPED.sub(REDACTED, text)
