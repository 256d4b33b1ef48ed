"""The object-store adapter (driven by catalog rules) and the canonical JSON input."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings

from lineage.adapters import build_adapters
from lineage.domain.catalog import parse_catalog
from lineage.domain.events import CollectionEvent, ErasureEvent, MovementEvent
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import AdapterError
from lineage.settings import Settings
from tests.strategies import JSON

HASHER = SubjectHasher(b"unit-test-key-0123456789")
ADAPTERS = build_adapters(parse_catalog(Settings().catalog.read_text()))
PUT = json.loads((Path(__file__).parent.parent / "fixtures" / "s3" / "cv_put.json").read_text())


def s3(payload: object) -> list:
    return ADAPTERS["s3"](payload, HASHER)


def with_record(**changes: object) -> dict:
    payload = copy.deepcopy(PUT)
    record = payload["Records"][0]
    for path, value in changes.items():
        target = record
        *parents, leaf = path.split("__")
        for part in parents:
            target = target[part]
        target[leaf] = value
    return payload


class TestS3Adapter:
    def test_cv_upload_is_collected_for_the_candidate_named_by_the_key(self) -> None:
        (event,) = s3(PUT)
        assert isinstance(event, CollectionEvent)
        assert event.store == "s3://acme-hr-cv" and event.categories == ("user.content.private.cv",)
        assert event.subject.type == SubjectType.JOB_APPLICANT
        assert event.subject.key == HASHER.native("greenhouse:candidate", "37031511")
        assert event.occurred_at.isoformat() == "2026-03-02T09:15:02+00:00"

    def test_removal_and_expiry_erase(self) -> None:
        for name in ("ObjectRemoved:Delete", "LifecycleExpiration:Delete"):
            (event,) = s3(with_record(eventName=name))
            assert isinstance(event, ErasureEvent)

    def test_replication_is_a_copy_to_the_destination_bucket(self) -> None:
        payload = with_record(eventName="Replication:OperationReplicatedAfterThreshold",
                              replicationEventData={"destinationBucket": "arn:aws:s3:::hr-backup-us"})
        (event,) = s3(payload)
        assert isinstance(event, MovementEvent) and event.destination == "s3://hr-backup-us"
        assert s3(with_record(eventName="Replication:OperationFailedReplication")) == []

    def test_url_encoded_keys_and_unrelated_prefixes(self) -> None:
        (event,) = s3(with_record(s3__object__key="candidates/37031511/CV+L%C3%A9a.pdf"))
        assert event.subject.key == HASHER.native("greenhouse:candidate", "37031511")
        assert s3(with_record(s3__object__key="templates/offer.docx")) == []

    def test_same_record_same_id(self) -> None:
        assert s3(PUT)[0].event_id == s3(copy.deepcopy(PUT))[0].event_id
        assert s3(PUT)[0].event_id != s3(with_record(eventName="ObjectRemoved:Delete"))[0].event_id

    @pytest.mark.parametrize("payload,reason", [
        ([], "not a JSON object"),
        ({"Records": "x"}, "Records"),
        (with_record(s3__bucket__name="unknown-bucket"), "not in the catalog"),
        (with_record(s3__object__key="candidates/"), "segment 1"),
        (with_record(eventTime="yesterday"), "eventTime"),
        (with_record(eventName="Mystery:Event"), "unknown eventName"),
    ])
    def test_unusable_records_say_why(self, payload: object, reason: str) -> None:
        with pytest.raises(AdapterError, match=reason):
            s3(payload)

    @settings(max_examples=300, deadline=None)
    @given(JSON)
    def test_any_json_gives_events_or_adapter_error(self, value: object) -> None:
        with contextlib.suppress(AdapterError):
            s3(value)


CANONICAL = {
    "event_id": "erp:invoice-1", "occurred_at": "2026-05-01T08:00:00+02:00", "source": "erp",
    "action": "collected", "store": "erp/invoices",
    "subject": {"type": "customer", "email": " Ana@Example.com ",
                "link_native": [{"namespace": "erp:customer", "id": 42}]},
    "categories": ["user.contact.email", "user.financial"], "legal_basis": "legal_obligation",
}


class TestCanonicalInput:
    def test_raw_identifiers_are_hashed_and_dropped(self) -> None:
        (event,) = ADAPTERS["canonical"](CANONICAL, HASHER)
        assert event.subject.key == HASHER.email("ana@example.com")
        assert event.subject.links == (HASHER.native("erp:customer", 42),)
        assert "example.com" not in event.model_dump_json()
        assert event.occurred_at.utcoffset() is not None

    def test_arrays_and_prehashed_keys(self) -> None:
        hashed = {**CANONICAL, "event_id": "erp:invoice-2",
                  "subject": {"type": "customer", "key": HASHER.email("ana@example.com")}}
        events = ADAPTERS["canonical"]([CANONICAL, hashed], HASHER)
        assert [e.subject.key for e in events] == [HASHER.email("ana@example.com")] * 2

    @pytest.mark.parametrize("change,reason", [
        ({"action": "teleported"}, "invalid event"),
        ({"subject": {"type": "customer", "email": "nope"}}, "not an address"),
        ({"occurred_at": "2026-05-01T08:00:00"}, "occurred_at"),
        ({"categories": ["user.secret"]}, "unknown data category"),
    ])
    def test_invalid_events_say_why(self, change: dict, reason: str) -> None:
        with pytest.raises(AdapterError, match=reason):
            ADAPTERS["canonical"]({**CANONICAL, **change}, HASHER)

    @settings(max_examples=300, deadline=None)
    @given(JSON)
    def test_any_json_gives_events_or_adapter_error(self, value: object) -> None:
        with contextlib.suppress(AdapterError):
            ADAPTERS["canonical"](value, HASHER)
