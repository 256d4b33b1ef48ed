"""Canonical JSON input: the event model itself, for systems lineage has no adapter for.

A user wires such a system by posting JSON events (one object, or an array). The subject may
be given as already-hashed ``key`` or, more conveniently, as a raw ``email`` or a
``native: {namespace, id}`` that this adapter hashes, plus optional ``link_emails`` /
``link_native`` naming other identifiers of the same person; raw values go no further.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from lineage.adapters.base import adapt_each, schema_reasons
from lineage.domain.events import DataMovementEvent
from lineage.domain.subjects import SubjectHasher
from lineage.errors import AdapterError

SOURCE = "canonical"
_EVENT: TypeAdapter[DataMovementEvent] = TypeAdapter(DataMovementEvent)
_RAW_SUBJECT_FIELDS = {"email", "native", "link_emails", "link_native"}


def _fail(reason: str) -> AdapterError:
    return AdapterError(SOURCE, reason)


def _native(hasher: SubjectHasher, value: Any) -> str:
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("namespace"), str)
        or not isinstance(value.get("id"), str | int)
        or isinstance(value.get("id"), bool)
    ):
        raise _fail("native must be {namespace: string, id: string or integer}")
    return hasher.native(value["namespace"], value["id"])


def _email(hasher: SubjectHasher, value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise _fail(f"{field} is not a string")
    try:
        return hasher.email(value)
    except ValueError:
        raise _fail(f"{field} is not an address") from None


def _hashed_subject(subject: Any, hasher: SubjectHasher) -> dict[str, Any]:
    if not isinstance(subject, dict):
        raise _fail("subject is not an object")
    result = {k: v for k, v in subject.items() if k not in _RAW_SUBJECT_FIELDS}
    if "email" in subject:
        result["key"] = _email(hasher, subject["email"], "subject.email")
    elif "native" in subject:
        result["key"] = _native(hasher, subject["native"])
    links = list(_list(subject, "links"))  # already hashed; their format is the event's to check
    links += [_email(hasher, e, "subject.link_emails[]") for e in _list(subject, "link_emails")]
    links += [_native(hasher, n) for n in _list(subject, "link_native")]
    if links:
        result["links"] = links
    return result


def _list(subject: dict[str, Any], field: str) -> list[Any]:
    value = subject.get(field, [])
    if not isinstance(value, list):
        raise _fail(f"subject.{field} is not a list")
    return value


def _one(document: Any, hasher: SubjectHasher) -> DataMovementEvent:
    if not isinstance(document, dict):
        raise _fail("event is not a JSON object")
    document = {**document, "subject": _hashed_subject(document.get("subject"), hasher)}
    try:
        return _EVENT.validate_python(document, strict=False)
    except ValidationError as exc:
        raise _fail(f"invalid event: {schema_reasons(exc)}") from None


def adapt_canonical(
    payload: Any, hasher: SubjectHasher, *, received_at: datetime | None = None
) -> list[DataMovementEvent]:
    """One canonical event or an array of them; the whole payload fails if one does."""
    return adapt_each(SOURCE, payload, lambda document: [_one(document, hasher)])
