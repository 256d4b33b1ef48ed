"""The object-store adapter (driven by catalog rules) and the canonical JSON input."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings

from lineage.domain.catalog import parse_catalog
from lineage.domain.events import CollectionEvent, ErasureEvent, MovementEvent
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import AdapterError
from lineage.settings import Settings
from lineage.sources import build_adapters
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
        payload = with_record(
            eventName="Replication:OperationReplicatedAfterThreshold",
            replicationEventData={"destinationBucket": "arn:aws:s3:::hr-backup-us"},
        )
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

    @pytest.mark.parametrize(
        "payload,reason",
        [
            ([], "not a JSON object"),
            ({"Records": "x"}, "Records"),
            (with_record(s3__bucket__name="unknown-bucket"), "not in the catalog"),
            (with_record(s3__object__key="candidates/"), "segment 1"),
            (with_record(eventTime="yesterday"), "eventTime"),
            (with_record(eventName="Mystery:Event"), "unknown eventName"),
        ],
    )
    def test_unusable_records_say_why(self, payload: object, reason: str) -> None:
        with pytest.raises(AdapterError, match=reason):
            s3(payload)

    @settings(max_examples=300, deadline=None)
    @given(JSON)
    def test_any_json_gives_events_or_adapter_error(self, value: object) -> None:
        with contextlib.suppress(AdapterError):
            s3(value)


def sns(message: object, kind: str = "Notification") -> dict:
    """An SNS HTTP(S) delivery of ``message`` (the S3 notification as a JSON string)."""
    return {
        "Type": kind,
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:eu-west-3:123456789012:cv-uploads",
        "Message": message if isinstance(message, str) else json.dumps(message),
        "Timestamp": "2026-03-02T09:15:03.123Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.example/cert.pem",
    }


class TestS3CompatibleAndSns:
    def test_s3_prefixed_event_names_read_like_aws(self) -> None:
        for aws, compatible in (
            ("ObjectCreated:Put", "s3:ObjectCreated:Put"),
            ("ObjectRemoved:Delete", "s3:ObjectRemoved:Delete"),
        ):
            (plain,) = s3(with_record(eventName=aws))
            (prefixed,) = s3(with_record(eventName=compatible, eventSource="minio:s3"))
            assert prefixed == plain
            assert prefixed.native_type == f"s3:{aws}"

    def test_minio_reads_and_settings(self) -> None:
        (read,) = s3(with_record(eventName="s3:ObjectAccessed:Get"))
        assert read.action == "accessed" and read.categories == ()
        for name in (
            "s3:ObjectCreated:PutRetention",
            "s3:ObjectCreated:PutLegalHold",
            "s3:ObjectAccessed:GetRetention",
            "s3:Scanner:ManyVersions",
        ):
            assert s3(with_record(eventName=name)) == []

    def test_sns_notification_is_unwrapped(self) -> None:
        assert s3(sns(PUT)) == s3(PUT)

    def test_sns_test_event_records_nothing(self) -> None:
        assert (
            s3(
                sns(
                    {
                        "Service": "Amazon S3",
                        "Event": "s3:TestEvent",
                        "Time": "2026-03-02T09:00:00.000Z",
                        "Bucket": "acme-hr-cv",
                    }
                )
            )
            == []
        )

    @pytest.mark.parametrize("kind", ["SubscriptionConfirmation", "UnsubscribeConfirmation"])
    def test_sns_confirmations_record_nothing_and_fetch_nothing(self, kind: str) -> None:
        payload = {
            **sns("You have chosen to subscribe...", kind),
            "SubscribeURL": "https://sns.example/?Action=ConfirmSubscription",
        }
        assert s3(payload) == []

    @pytest.mark.parametrize(
        "payload,reason",
        [
            (sns("Hello world!"), "Message of the SNS notification is not JSON"),
            (sns({"hello": "world"}), "Message of the SNS notification is not an S3 notification"),
            (sns(["Records"]), "not an S3 notification"),
            ({**sns(PUT), "Message": None}, "Message of the SNS notification is missing"),
            (sns(PUT, kind="Teleport"), "Type is not an SNS message type"),
            (sns(with_record(eventTime="1970-01-01T00:00:00.000Z")), "record 0: eventTime is outside"),
        ],
    )
    def test_unusable_sns_deliveries_say_why(self, payload: dict, reason: str) -> None:
        with pytest.raises(AdapterError) as caught:
            s3(payload)
        assert reason in caught.value.reason


class TestS3Reasons:
    @pytest.mark.parametrize(
        "when", ["1970-01-01T00:00:00.000Z", "2100-01-01T00:00:00Z", "0001-01-01T00:00:00Z"]
    )
    def test_out_of_window_event_time_is_refused_naming_it(self, when: str) -> None:
        with pytest.raises(AdapterError) as caught:
            s3(with_record(eventTime=when))
        assert caught.value.reason == (
            "record 0: eventTime is outside the accepted window (2000-01-01T00:00Z to 2099-12-31T23:59Z)"
        )

    def test_naive_event_time_is_refused_naming_it(self) -> None:
        with pytest.raises(AdapterError, match="record 0: eventTime has no UTC offset"):
            s3(with_record(eventTime="2026-03-02T09:15:02"))

    @pytest.mark.parametrize(
        "changes,field",
        [
            ({"s3__bucket__name": "lea.martin@example.fr"}, "s3.bucket.name is not in the catalog"),
            ({"eventName": "Mystery:lea.martin@example.fr"}, "eventName is not an S3 event name"),
            ({"eventName": "Mystery:Event"}, "unknown eventName"),
            ({"s3__object__key": "candidates/ /CV.pdf"}, "s3.object.key has no segment 1"),
            (
                {
                    "eventName": "Replication:OperationReplicatedAfterThreshold",
                    "replicationEventData": {"destinationBucket": "arn:aws:s3:::Lea Martin"},
                },
                "destination: String should match pattern",
            ),
        ],
    )
    def test_reasons_name_the_field_never_the_value(self, changes: dict, field: str) -> None:
        with pytest.raises(AdapterError) as caught:
            s3(with_record(**changes))
        assert field in caught.value.reason
        for value in ("lea.martin", "Lea Martin", "Mystery", "acme-hr-cv"):
            assert value not in caught.value.reason

    def test_bad_record_shapes_are_named(self) -> None:
        for record, reason in (
            ([], "record 0: record is a JSON array"),
            ({}, "record 0: eventName is missing"),
        ):
            with pytest.raises(AdapterError, match=reason):
                s3({"Records": [record]})


CANONICAL = {
    "event_id": "erp:invoice-1",
    "occurred_at": "2026-05-01T08:00:00+02:00",
    "source": "erp",
    "action": "collected",
    "store": "erp/invoices",
    "subject": {
        "type": "customer",
        "email": " Ana@Example.com ",
        "link_native": [{"namespace": "erp:customer", "id": 42}],
    },
    "categories": ["user.contact.email", "user.financial"],
    "legal_basis": "legal_obligation",
}


class TestCanonicalInput:
    def test_raw_identifiers_are_hashed_and_dropped(self) -> None:
        (event,) = ADAPTERS["canonical"](CANONICAL, HASHER)
        assert event.subject.key == HASHER.email("ana@example.com")
        assert event.subject.links == (HASHER.native("erp:customer", 42),)
        assert "example.com" not in event.model_dump_json()
        assert event.occurred_at.utcoffset() is not None

    def test_arrays_and_prehashed_keys(self) -> None:
        hashed = {
            **CANONICAL,
            "event_id": "erp:invoice-2",
            "subject": {"type": "customer", "key": HASHER.email("ana@example.com")},
        }
        events = ADAPTERS["canonical"]([CANONICAL, hashed], HASHER)
        assert [e.subject.key for e in events] == [HASHER.email("ana@example.com")] * 2

    @pytest.mark.parametrize(
        "change,reason",
        [
            ({"action": "teleported"}, "invalid event"),
            ({"subject": {"type": "customer", "email": "nope"}}, "not an address"),
            ({"occurred_at": "2026-05-01T08:00:00"}, "occurred_at"),
            ({"categories": ["user.secret"]}, "unknown data category"),
        ],
    )
    def test_invalid_events_say_why(self, change: dict, reason: str) -> None:
        with pytest.raises(AdapterError, match=reason):
            ADAPTERS["canonical"]({**CANONICAL, **change}, HASHER)

    @settings(max_examples=300, deadline=None)
    @given(JSON)
    def test_any_json_gives_events_or_adapter_error(self, value: object) -> None:
        with contextlib.suppress(AdapterError):
            ADAPTERS["canonical"](value, HASHER)
