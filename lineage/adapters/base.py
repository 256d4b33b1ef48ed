"""The contract every source adapter keeps.

An adapter is a pure function of one native payload (already parsed from JSON) to zero or more
canonical events. It never does I/O and never raises anything but :class:`AdapterError`, whose
``reason`` ends up in the dead-letter record. Raw identifiers (e-mail addresses, native ids)
are hashed here with the :class:`SubjectHasher` it is given and go no further.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError

from lineage.domain.events import (
    ActivityEvent,
    CollectionEvent,
    ConsentEvent,
    DataMovementEvent,
    ErasureEvent,
    IdentityEvent,
    MovementEvent,
)
from lineage.domain.subjects import SubjectHasher
from lineage.errors import AdapterError


class Adapter(Protocol):
    """``received_at`` is when lineage's receiver got the payload (or, failing that, when it was
    written to the raw topic): the time of record for payloads whose source sends none."""

    def __call__(self, payload: Any, hasher: SubjectHasher, *,
                 received_at: datetime | None = None) -> Sequence[DataMovementEvent]: ...


_MODELS: dict[str, type[Any]] = {
    "collected": CollectionEvent, "updated": CollectionEvent, "accessed": CollectionEvent,
    "activity": ActivityEvent, "copied": MovementEvent, "transferred": MovementEvent,
    "erased": ErasureEvent, "anonymised": ErasureEvent, "consent_withdrawn": ConsentEvent,
    "linked": IdentityEvent,
}


def build_event(source: str, action: str, fields: dict[str, Any]) -> DataMovementEvent:
    """Construct the canonical event, turning a schema refusal into an :class:`AdapterError`
    whose reason lists fields and messages only: input values may be personal data."""
    try:
        event: DataMovementEvent = _MODELS[action](**{**fields, "action": action})
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        )
        raise AdapterError(source, f"does not fit the canonical event: {reasons}") from None
    except (TypeError, ValueError) as exc:
        raise AdapterError(source, f"does not fit the canonical event: {type(exc).__name__}") from None
    return event


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for reasons that must not quote the value."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
             float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST_MS = int((datetime(2000, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * 1000
_LATEST_MS = int((datetime(2100, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * 1000


def epoch_ms_time(source: str, field: str, value: Any) -> datetime:
    """A Unix time in milliseconds, refused outside 2000-2099: seconds sent as milliseconds
    (or the reverse) would otherwise pass as a plausible date decades away."""
    if value is None:
        raise AdapterError(source, f"{field} is missing")
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdapterError(source, f"{field} is not an integer")
    if not _EARLIEST_MS <= value < _LATEST_MS:
        raise AdapterError(source, f"{field} is not a time between 2000 and 2099 in milliseconds")
    return _EPOCH + timedelta(milliseconds=value)
