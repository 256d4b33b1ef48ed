"""AWS S3 event notifications (and S3-compatible stores: MinIO, OVHcloud...) -> canonical events.

A notification names a bucket and a URL-encoded key, nothing about people. The catalog's object
rules (``stores[].objects``) say which prefix holds whose data: the store, the subject type, the
categories, and which key segment is a native id (``candidates/<greenhouse id>/...``), which is
how a CV in a bucket joins the candidate who sent it.

Three deliveries reach the same records: the notification itself (AWS to a webhook relay, MinIO
to its webhook target), the same inside an SNS HTTP(S) envelope, and S3-compatible stores that
spell ``eventName`` with the ``s3:`` prefix of the configuration (``s3:ObjectCreated:Put``). The
envelope is unwrapped and the prefix dropped, so all three give the same events and ids.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from lineage.adapters.base import build_event, iso_time, json_type, stable_digest
from lineage.domain.catalog import ObjectRule
from lineage.domain.events import DataMovementEvent, SubjectRef
from lineage.domain.subjects import SubjectHasher
from lineage.errors import AdapterError

SOURCE = "s3"
Rules = Sequence[tuple[str, ObjectRule]]

ACTIONS: Mapping[str, str] = {
    "ObjectCreated:": "collected",
    "ObjectRestore:Completed": "collected",
    "ObjectRemoved:": "erased",
    "LifecycleExpiration:": "erased",
    "ObjectAccessed:": "accessed",
    "Replication:": "copied",
}
"""``eventName`` prefix -> canonical action (first match wins, so exceptions go in
:data:`IGNORED_PREFIXES`). MinIO alone sends ``ObjectAccessed:*`` (reads of an object)."""
IGNORED_PREFIXES = (
    "ObjectRestore:Post",
    "ObjectRestore:Delete",
    "ObjectTagging:",
    "ObjectAcl:",
    "LifecycleTransition",
    "IntelligentTiering",
    "TestEvent",
    "ObjectTransition:",
    "Scanner:",
    "ObjectCreated:PutRetention",
    "ObjectCreated:PutLegalHold",
    "ObjectCreated:PutTagging",
    "ObjectCreated:DeleteTagging",
    "ObjectAccessed:GetRetention",
    "ObjectAccessed:GetLegalHold",
    "Replication:OperationFailedReplication",
)
"""Events that move no personal data: storage class, tags, retention settings, MinIO's
scanner warnings, a replication that failed (nothing reached the copy)."""
COMPATIBLE_PREFIX = "s3:"
"""MinIO and other S3-compatible stores prefix ``eventName`` as the configuration does."""

SNS_NOTIFICATION = "Notification"
SNS_CONFIRMATIONS = frozenset({"SubscriptionConfirmation", "UnsubscribeConfirmation"})

_EVENT_NAME = re.compile(r"[A-Za-z]{1,40}:[A-Za-z]{1,60}")


def adapt_s3(
    payload: Any, hasher: SubjectHasher, rules: Rules, *, received_at: datetime | None = None
) -> list[DataMovementEvent]:
    """One notification (``Records[]``), bare or in an SNS envelope -> one event per record
    about personal data. ``received_at`` is not needed: every record carries ``eventTime``.

    Raises:
        AdapterError: naming the record's index, the field and the problem, never a value
            (bucket names and keys can name people).
    """
    if not isinstance(payload, dict):
        raise _fail(f"payload is not a JSON object (a JSON {json_type(payload)})")
    if "Type" in payload and "TopicArn" in payload:
        return _adapt_sns(payload, hasher, rules)
    return _adapt_notification(payload, hasher, rules)


def _adapt_sns(envelope: Mapping[str, Any], hasher: SubjectHasher, rules: Rules) -> list[DataMovementEvent]:
    """The S3 notification an SNS HTTP(S) delivery carries, as a JSON string in ``Message``.

    A subscription or unsubscribe confirmation produces nothing: confirming means fetching its
    ``SubscribeURL``, and the worker must not fetch URLs a payload names (that would let anyone
    who can post to the receiver make lineage issue requests). Confirm the subscription once,
    by hand or with ``aws sns confirm-subscription``, from the dead-lettered or logged payload.
    """
    kind = envelope.get("Type")
    if kind in SNS_CONFIRMATIONS:
        return []
    if kind != SNS_NOTIFICATION:
        raise _fail(
            "Type is not an SNS message type (Notification, SubscriptionConfirmation, "
            "UnsubscribeConfirmation)"
        )
    message = envelope.get("Message")
    if not isinstance(message, str):
        raise _fail("Message of the SNS notification is missing or not a string")
    try:
        inner = json.loads(message)
    except (ValueError, RecursionError):
        raise _fail("Message of the SNS notification is not JSON (not an S3 notification)") from None
    if not isinstance(inner, dict) or ("Records" not in inner and "Event" not in inner):
        raise _fail("Message of the SNS notification is not an S3 notification (no Records)")
    return _adapt_notification(inner, hasher, rules)


def _adapt_notification(
    payload: Mapping[str, Any], hasher: SubjectHasher, rules: Rules
) -> list[DataMovementEvent]:
    if payload.get("Event") == "s3:TestEvent":  # sent once when a notification is configured
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
    return events


def _record_events(record: Any, hasher: SubjectHasher, rules: Rules) -> list[DataMovementEvent]:
    if not isinstance(record, dict):
        raise _fail(f"record is a JSON {json_type(record)}, not an object")
    name = event_name(record)
    action = _action(name)
    if action is None:
        return []
    bucket = _string(record, "s3.bucket.name")
    key = unquote_plus(_string(record, "s3.object.key"))
    match = _rule_for(rules, bucket, key)
    if match is None:  # a declared bucket, outside every personal-data prefix
        return []
    store, rule = match
    moment = iso_time(SOURCE, "eventTime", _get(record, "eventTime"))
    fields: dict[str, Any] = {
        "event_id": _event_id(record, name, bucket, key, moment),
        "occurred_at": moment,
        "source": SOURCE,
        "native_type": f"{SOURCE}:{name}",
        "subject": _subject(rule, key, hasher),
        "store": store,
        "categories": rule.categories if action != "accessed" else (),
    }
    if action == "copied":
        fields["destination"] = _destination(record, rules)
    return [build_event(SOURCE, action, fields)]


def event_name(record: Mapping[str, Any]) -> str:
    """``eventName`` without the ``s3:`` prefix S3-compatible stores add, so one object event
    has one native type (and one id) whichever store sent it."""
    raw = _string(record, "eventName")
    name = raw.removeprefix(COMPATIBLE_PREFIX)
    if not _EVENT_NAME.fullmatch(name):
        raise _fail("eventName is not an S3 event name (<Kind>:<Detail>)")
    return name


def _action(name: str) -> str | None:
    if name.startswith(IGNORED_PREFIXES):
        return None
    action = next((a for prefix, a in ACTIONS.items() if name.startswith(prefix)), None)
    if action is None:
        raise _fail("unknown eventName: an S3 event type this adapter does not know")
    return action


def _destination(record: Mapping[str, Any], rules: Rules) -> str:
    """The store of the replica's bucket in the catalog, else ``s3://<bucket>``."""
    bucket = _string(record, "replicationEventData.destinationBucket").rsplit(":", 1)[-1]
    return next((store for store, rule in rules if rule.bucket == bucket), f"s3://{bucket}")


def _rule_for(rules: Rules, bucket: str, key: str) -> tuple[str, ObjectRule] | None:
    if not any(rule.bucket == bucket for _, rule in rules):
        raise _fail("s3.bucket.name is not in the catalog (add the bucket to a store's objects)")
    return next(((s, r) for s, r in rules if r.bucket == bucket and key.startswith(r.prefix)), None)


def _subject(rule: ObjectRule, key: str, hasher: SubjectHasher) -> SubjectRef:
    segments = key.split("/")
    index = rule.subject_id.segment
    if index >= len(segments) or not segments[index].strip():
        raise _fail(f"s3.object.key has no segment {index} naming the subject")
    native = hasher.native(rule.subject_id.namespace, segments[index])
    return SubjectRef(type=rule.subject_type, key=native)


def _event_id(record: Mapping[str, Any], name: str, bucket: str, key: str, moment: datetime) -> str:
    """A hash of the event, object and ``sequencer`` / ``versionId`` (which order and tell apart
    events of one key): redeliveries, through SNS or not, get the same id."""
    obj = record.get("s3", {}).get("object", {})
    parts = [name, bucket, key, obj.get("sequencer"), obj.get("versionId"), moment.isoformat()]
    digest = stable_digest("\x1f".join(str(p) for p in parts))
    return f"{SOURCE}:{digest}"


def _get(mapping: Any, path: str) -> Any:
    value = mapping
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise _fail(f"{path} is missing")
        value = value[part]
    return value


def _string(record: Any, path: str) -> str:
    value = _get(record, path)
    if not isinstance(value, str) or not value:
        raise _fail(f"{path} is not a non-empty string")
    return value


def _fail(reason: str) -> AdapterError:
    return AdapterError(SOURCE, reason)
