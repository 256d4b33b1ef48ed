"""AWS S3 event notifications (and S3-compatible providers such as OVHcloud) -> canonical events.

A notification names a bucket and a URL-encoded key, nothing about people. The catalog's object
rules (``stores[].objects``) say which prefix holds whose data: the store, the subject type, the
categories, and which key segment is a native id (``candidates/<greenhouse id>/...``), which is
how a CV in a bucket joins the candidate who sent it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from pydantic import ValidationError

from lineage.domain.catalog import ObjectRule
from lineage.domain.events import (
    CollectionEvent,
    DataMovementEvent,
    ErasureEvent,
    MovementEvent,
    SubjectRef,
)
from lineage.domain.subjects import SubjectHasher
from lineage.errors import AdapterError

SOURCE = "s3"

# eventName prefix -> canonical action; replication is handled apart (it has a destination).
ACTIONS: Mapping[str, str] = {
    "ObjectCreated:": "collected",
    "ObjectRestore:Completed": "collected",
    "ObjectRemoved:": "erased",
    "LifecycleExpiration:": "erased",
}
IGNORED_PREFIXES = ("ObjectRestore:Post", "ObjectRestore:Delete", "ObjectTagging:", "ObjectAcl:",
                    "LifecycleTransition", "IntelligentTiering", "s3:TestEvent", "TestEvent")
REPLICATION_FAILED = "Replication:OperationFailedReplication"


def _fail(reason: str) -> AdapterError:
    return AdapterError(SOURCE, reason)


def _get(mapping: Any, path: str) -> Any:
    value = mapping
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise _fail(f"record has no {path}")
        value = value[part]
    return value


def _string(record: Any, path: str) -> str:
    value = _get(record, path)
    if not isinstance(value, str) or not value:
        raise _fail(f"{path} is not a non-empty string")
    return value


def _time(record: Any) -> datetime:
    raw = _string(record, "eventTime")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _fail("eventTime is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise _fail("eventTime has no time zone")
    return moment.astimezone(UTC)


def _rule_for(rules: Sequence[tuple[str, ObjectRule]], bucket: str,
              key: str) -> tuple[str, ObjectRule] | None:
    if not any(rule.bucket == bucket for _, rule in rules):
        raise _fail(f"bucket {bucket!r} is not in the catalog (add it to a store's objects)")
    return next(((s, r) for s, r in rules if r.bucket == bucket and key.startswith(r.prefix)), None)


def _subject(rule: ObjectRule, key: str, hasher: SubjectHasher) -> SubjectRef:
    segments = key.split("/")
    index = rule.subject_id.segment
    if index >= len(segments) or not segments[index]:
        raise _fail(f"key has no segment {index} naming the subject")
    native = hasher.native(rule.subject_id.namespace, segments[index])
    return SubjectRef(type=rule.subject_type, key=native)


def _event_id(record: Any, bucket: str, key: str, moment: datetime) -> str:
    obj = record.get("s3", {}).get("object", {}) if isinstance(record, dict) else {}
    parts = [record.get("eventName"), bucket, key, obj.get("sequencer"), obj.get("versionId"),
             moment.isoformat()]
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f"s3:{digest}"


def _record_events(record: Any, hasher: SubjectHasher,
                   rules: Sequence[tuple[str, ObjectRule]]) -> list[DataMovementEvent]:
    name = _string(record, "eventName")
    if name.startswith(IGNORED_PREFIXES) or name == REPLICATION_FAILED:
        return []
    bucket = _string(record, "s3.bucket.name")
    key = unquote_plus(_string(record, "s3.object.key"))
    match = _rule_for(rules, bucket, key)
    if match is None:  # a declared bucket, outside every personal-data prefix
        return []
    store, rule = match
    moment = _time(record)
    common: dict[str, Any] = {
        "event_id": _event_id(record, bucket, key, moment), "occurred_at": moment,
        "source": SOURCE, "native_type": f"s3:{name}", "subject": _subject(rule, key, hasher),
        "store": store, "categories": rule.categories,
    }
    if name.startswith("Replication:"):
        destination = _string(record, "replicationEventData.destinationBucket")
        target = next((s for s, r in rules if r.bucket == destination.rsplit(":", 1)[-1]), None)
        return [MovementEvent(action="copied",
                              destination=target or f"s3://{destination.rsplit(':', 1)[-1]}",
                              **common)]
    action = next((a for prefix, a in ACTIONS.items() if name.startswith(prefix)), None)
    if action is None:
        raise _fail(f"unknown eventName {name[:60]!r}")
    if action == "erased":
        return [ErasureEvent(action="erased", **common)]
    return [CollectionEvent(action="collected", **common)]


def adapt_s3(payload: Any, hasher: SubjectHasher, rules: Sequence[tuple[str, ObjectRule]], *,
             received_at: datetime | None = None) -> list[DataMovementEvent]:
    """One notification (``Records[]``) -> one event per record about personal data."""
    if not isinstance(payload, dict):
        raise _fail("payload is not a JSON object")
    if payload.get("Event") == "s3:TestEvent":
        return []
    records = payload.get("Records")
    if not isinstance(records, list):
        raise _fail("Records is missing or not a list")
    events: list[DataMovementEvent] = []
    for index, record in enumerate(records):
        try:
            events += _record_events(record, hasher, rules)
        except AdapterError as exc:
            raise _fail(f"record {index}: {exc.reason}") from None
        except (ValidationError, ValueError, TypeError, AttributeError) as exc:
            raise _fail(f"record {index}: {type(exc).__name__}") from None
    return events
