"""The contract every source adapter keeps.

An adapter is a pure function of one native payload (already parsed from JSON) to zero or more
canonical events. It never does I/O and never raises anything but :class:`AdapterError`, whose
``reason`` ends up in the dead-letter record. Raw identifiers (e-mail addresses, native ids)
are hashed here with the :class:`SubjectHasher` it is given and go no further.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError

from lineage.domain.events import (
    EARLIEST_EVENT_TIME,
    EVENT_TIME_WINDOW,
    LATEST_EVENT_TIME,
    ActivityEvent,
    CollectionEvent,
    ConsentEvent,
    DataMovementEvent,
    ErasureEvent,
    IdentityEvent,
    MovementEvent,
    StoreFlowEvent,
)
from lineage.domain.subjects import SubjectHasher
from lineage.errors import AdapterError, validation_problems


class Adapter(Protocol):
    """``received_at`` is when lineage's receiver got the payload (or, failing that, when it was
    written to the raw topic): the time of record for payloads whose source sends none."""

    def __call__(
        self, payload: Any, hasher: SubjectHasher, *, received_at: datetime | None = None
    ) -> Sequence[DataMovementEvent]: ...


_MODELS: dict[str, type[Any]] = {
    "collected": CollectionEvent,
    "updated": CollectionEvent,
    "accessed": CollectionEvent,
    "activity": ActivityEvent,
    "copied": MovementEvent,
    "transferred": MovementEvent,
    "erased": ErasureEvent,
    "anonymised": ErasureEvent,
    "consent_withdrawn": ConsentEvent,
    "consent_given": ConsentEvent,
    "linked": IdentityEvent,
    "flowed": StoreFlowEvent,
}


def build_event(source: str, action: str, fields: dict[str, Any]) -> DataMovementEvent:
    """Construct the canonical event, turning a schema refusal into an :class:`AdapterError`
    whose reason lists fields and messages only: input values may be personal data."""
    try:
        event: DataMovementEvent = _MODELS[action](**{**fields, "action": action})
    except ValidationError as exc:
        raise AdapterError(source, f"does not fit the canonical event: {schema_reasons(exc)}") from None
    except (TypeError, ValueError) as exc:
        raise AdapterError(source, f"does not fit the canonical event: {type(exc).__name__}") from None
    return event


def schema_reasons(exc: ValidationError) -> str:
    """``field: message`` for each error, never the input (which may be personal data). An
    unknown field is named by its place only: its name is the sender's text."""
    return "; ".join(
        validation_problems(exc.errors(include_url=False, include_input=False), name_unknown_fields=False)
    )


def adapt_each(
    source: str, payload: Any, adapt_one: Callable[[Any], Sequence[DataMovementEvent]]
) -> list[DataMovementEvent]:
    """One event object, or a JSON array of them (HubSpot batches, relays may too).

    One bad element fails the whole payload, named by its index (``event [2]: ...``): a batch is
    recorded whole or dead-lettered whole, never half.
    """
    if isinstance(payload, dict):
        return list(adapt_one(payload))
    if not isinstance(payload, list):
        raise AdapterError(source, f"payload is a JSON {json_type(payload)}, not an object or an array")
    events: list[DataMovementEvent] = []
    for index, item in enumerate(payload):
        try:
            events.extend(adapt_one(item))
        except AdapterError as exc:
            raise AdapterError(source, f"event [{index}]: {exc.reason}") from None
    return events


def stable_digest(text: str) -> str:
    """32 hex chars of SHA-256, for event ids built from payload fields. ``surrogatepass``: JSON
    may carry lone surrogates ("\\ud800"), which must hash, not raise."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for reasons that must not quote the value."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EARLIEST_EPOCH_S = int((EARLIEST_EVENT_TIME - _EPOCH).total_seconds())
LATEST_EPOCH_S = int((LATEST_EVENT_TIME - _EPOCH).total_seconds())
"""The canonical window as Unix seconds (end exclusive): a count of seconds in this range,
read as milliseconds, would fall in January 1970, so the two scales never overlap."""
OUTSIDE_WINDOW = f"is outside the accepted window ({EVENT_TIME_WINDOW})"
_DIGITS = re.compile(r"[0-9]{1,20}")


def within_window(source: str, field: str, moment: datetime) -> datetime:
    """``moment`` if the canonical model accepts it, else a refusal naming ``field``: the
    model's own refusal would name only ``occurred_at``, not where the time came from."""
    try:
        inside = EARLIEST_EVENT_TIME <= moment < LATEST_EVENT_TIME
    except (OverflowError, TypeError):
        inside = False
    if not inside:
        raise AdapterError(source, f"{field} {OUTSIDE_WINDOW}")
    return moment


def epoch_ms_time(source: str, field: str, value: Any) -> datetime:
    """A Unix time in milliseconds, given as a JSON integer or a string of digits (some
    senders quote large numbers so JavaScript keeps them exact), refused outside the canonical
    window: seconds sent as milliseconds (or the reverse) would otherwise pass as a plausible
    date decades away."""
    if value is None:
        raise AdapterError(source, f"{field} is missing")
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdapterError(source, f"{field} is not an integer (or a string of digits)")
    if not EARLIEST_EPOCH_S * 1000 <= value < LATEST_EPOCH_S * 1000:
        raise AdapterError(source, f"{field} {OUTSIDE_WINDOW} when read as milliseconds")
    return _EPOCH + timedelta(milliseconds=value)


def iso_time(source: str, field: str, value: Any) -> datetime:
    """An ISO 8601 date and time with an offset (``Z`` included), in UTC and in the window.
    A time without an offset is refused rather than guessed: hours off would reorder events."""
    if not isinstance(value, str):
        raise AdapterError(source, f"{field} is not a string")
    try:
        parsed = datetime.fromisoformat(value.strip())
        moment = parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):
        raise AdapterError(source, f"{field} is not an ISO 8601 date and time") from None
    if moment is None:
        raise AdapterError(source, f"{field} has no UTC offset")
    return within_window(source, field, moment)


RECEIVED_AT = "received_at"
NO_RECEIVED_TIME = (
    "and lineage was given no received_at (post it to `lineage serve`, which "
    "records when each payload arrives, or add received_at to the payload)"
)


def received_time(source: str, received_at: datetime | None, missing: str) -> datetime:
    """The time of record for a payload that carries none: when lineage received it.

    Args:
        missing: what the payload lacks, e.g. ``"no time in payload (deleted_at)"``; the
            reason appends what the user can do about it.
    """
    if received_at is None:
        raise AdapterError(source, f"{missing} {NO_RECEIVED_TIME}")
    if received_at.tzinfo is None:
        raise AdapterError(source, f"{RECEIVED_AT} has no UTC offset")
    return within_window(source, RECEIVED_AT, received_at.astimezone(UTC))
