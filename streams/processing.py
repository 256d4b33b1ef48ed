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
from lineage.domain.subjects import SubjectHasher
from lineage.errors import AdapterError, EventDecodeError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeadLetter:
    """A message lineage could not process, kept whole with why."""

    source: str
    stage: str  # "normalise" (raw -> canonical) or "record" (canonical -> graph)
    reason: str
    payload: bytes
    origin: dict[str, Any] = field(default_factory=dict)  # topic, partition, offset

    def to_json(self) -> bytes:
        record: dict[str, Any] = {
            "source": self.source, "stage": self.stage, "reason": self.reason,
            "failed_at": datetime.now(UTC).isoformat(), **self.origin,
        }
        try:
            record["payload"] = self.payload.decode("utf-8")
        except UnicodeDecodeError:
            record["payload_base64"] = base64.b64encode(self.payload).decode()
        return json.dumps(record, ensure_ascii=False).encode()


def normalise(source: str, raw: bytes, adapters: Mapping[str, Adapter], hasher: SubjectHasher,
              origin: dict[str, Any] | None = None) -> list[DataMovementEvent] | DeadLetter:
    """Native payload bytes of ``source`` -> canonical events, or a dead letter saying why."""
    origin = origin or {}
    if source not in adapters:
        return DeadLetter(source, "normalise", f"no adapter for source {source!r}", raw, origin)
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return DeadLetter(source, "normalise", f"not JSON: {exc}", raw, origin)
    try:
        return list(adapters[source](payload, hasher))
    except AdapterError as exc:
        return DeadLetter(source, "normalise", exc.reason, raw, origin)
    except Exception as exc:  # a bug in an adapter must not lose the payload either
        log.exception("adapter %s failed unexpectedly", source)
        return DeadLetter(source, "normalise", f"internal error: {type(exc).__name__}: {exc}",
                          raw, origin)


def decode_canonical(raw: bytes, origin: dict[str, Any] | None = None) -> DataMovementEvent | DeadLetter:
    """A canonical-topic message -> event, or a dead letter (someone wrote a bad event there)."""
    try:
        return decode_event(raw)
    except EventDecodeError as exc:
        return DeadLetter("canonical", "record", str(exc), raw, origin or {})
