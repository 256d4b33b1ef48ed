"""What the agents do to one message, without Kafka: pure and unit-tested.

Either a message becomes canonical events, or it becomes a :class:`DeadLetter` that carries the
original bytes and the reason. Nothing in between, and no exception escapes: an exception inside
a faust agent would ack the message and lose it.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lineage.adapters.base import Adapter
from lineage.domain.events import DataMovementEvent, decode_event
from lineage.domain.personal_data import redact
from lineage.domain.subjects import SubjectHasher
from lineage.errors import AdapterError, EventDecodeError
from lineage.kafka.topics import RECEIVED_AT_HEADER
from lineage.payloads import parse_json

log = logging.getLogger(__name__)


MAX_KEPT_PAYLOAD = 256 * 1024


@dataclass(frozen=True)
class DeadLetter:
    """A message lineage could not process, kept whole with why."""

    source: str
    stage: str  # "normalise" (raw -> canonical) or "record" (canonical -> graph)
    reason: str
    payload: bytes
    origin: dict[str, Any] = field(default_factory=dict)  # topic, partition, offset

    def __post_init__(self) -> None:
        # Reasons are logged and shown: they name fields and problems, and whatever slipped
        # through quoting a value is redacted here, in the one place every dead letter passes.
        object.__setattr__(self, "reason", redact(self.reason))

    def to_json(self) -> bytes:
        """The dead-letter record. A payload over :data:`MAX_KEPT_PAYLOAD` is cut (and says so):
        escaped or base64-encoded, a payload near the raw topic's 1 MiB limit would make a record
        Kafka refuses on every retry, holding up the partition it came from."""
        record: dict[str, Any] = {
            "source": self.source,
            "stage": self.stage,
            "reason": self.reason,
            "failed_at": datetime.now(UTC).isoformat(),
            **self.origin,
        }
        kept = self.payload[:MAX_KEPT_PAYLOAD]
        if len(kept) < len(self.payload):
            record |= {"payload_truncated": True, "payload_bytes": len(self.payload)}
        try:
            record["payload"] = kept.decode("utf-8")
        except UnicodeDecodeError:
            record["payload_base64"] = base64.b64encode(kept).decode()
        return json.dumps(record, ensure_ascii=False).encode()


def normalise(
    source: str,
    raw: bytes,
    adapters: Mapping[str, Adapter],
    hasher: SubjectHasher,
    origin: dict[str, Any] | None = None,
    received_at: datetime | None = None,
) -> list[DataMovementEvent] | DeadLetter:
    """Native payload bytes of ``source`` -> canonical events, or a dead letter saying why.

    ``received_at`` is the time of record for payloads that carry no time of their own.
    """
    origin = origin or {}
    if source not in adapters:
        return DeadLetter(source, "normalise", "no adapter for this source", raw, origin)
    try:
        payload = parse_json(raw)
    except ValueError as exc:
        return DeadLetter(source, "normalise", str(exc), raw, origin)
    try:
        return list(adapters[source](payload, hasher, received_at=received_at))
    except AdapterError as exc:
        return DeadLetter(source, "normalise", exc.reason, raw, origin)
    except RecursionError:  # parsed (the parser takes ~1,000 levels), too deep to walk in Python
        return DeadLetter(source, "normalise", "the payload is nested too deeply to adapt", raw, origin)
    except Exception as exc:  # a bug in an adapter must not lose the payload either
        log.error("adapter %s failed unexpectedly: %s", source, type(exc).__name__)
        return DeadLetter(
            source, "normalise", f"internal error in the adapter: {type(exc).__name__}", raw, origin
        )


def received_time(headers: Any, timestamp: float | None) -> datetime | None:
    """When lineage got the payload: the receiver's header, else the raw record's own time."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
    for name, value in pairs:
        if name == RECEIVED_AT_HEADER:
            try:  # any header a producer sent: a bad one means "unknown", never a crash
                return datetime.fromtimestamp(int(value) / 1000, UTC)
            except (TypeError, ValueError, OverflowError, OSError):
                break
    if timestamp:
        try:
            return datetime.fromtimestamp(timestamp, UTC)
        except (ValueError, OverflowError, OSError):
            return None
    return None


def decode_canonical(raw: bytes, origin: dict[str, Any] | None = None) -> DataMovementEvent | DeadLetter:
    """A canonical-topic message -> event, or a dead letter (someone wrote a bad event there)."""
    try:
        return decode_event(raw)
    except EventDecodeError as exc:
        return DeadLetter("canonical", "record", str(exc), raw, origin or {})
    except (RecursionError, ValueError):  # nesting or a number beyond what the parser takes
        return DeadLetter("canonical", "record", "invalid canonical event: not parseable", raw, origin or {})
