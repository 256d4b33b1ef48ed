"""The Greenhouse adapter against recorded payloads, hostile payloads and arbitrary JSON."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.adapters.greenhouse import ACTIONS, IGNORED, adapt_greenhouse
from lineage.domain.events import LegalBasis
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import AdapterError
from tests.strategies import JSON

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "greenhouse"
HASHER = SubjectHasher(b"unit-test-key-0123456789")
ADDRESS = "lea.martin@example.fr"
CANDIDATE_ID = 37031511
KEY = HASHER.native("greenhouse:candidate", CANDIDATE_ID)
EMAIL_LINK = (HASHER.email(ADDRESS),)
RAW_VALUES = (ADDRESS, "lea.martin", "+33 6 12 34 56 78", "12 34 56 78", "Léa", "Lille", "CV_Lea")
PURPOSE = "employment.recruitment"
CV, COVER, PRIVATE = (
    "user.content.private.cv",
    "user.content.private.cover_letter",
    "user.content.private",
)
NAME = ("user.name.first", "user.name.last")
EMAIL, PHONE, ADDR, URL = (
    "user.contact.email",
    "user.contact.phone_number",
    "user.contact.address",
    "user.contact.url",
)


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def adapt_one(payload: Any) -> Any:
    events = adapt_greenhouse(payload, HASHER)
    assert len(events) == 1
    return events[0]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def restated(payload: Any) -> Any:
    """The candidate an application event restates (a rejection or hire adds its moment)."""
    events = adapt_greenhouse(payload, HASHER)
    assert 1 <= len(events) <= 2
    return events[0]


def cats(*keys: str) -> tuple[str, ...]:
    return tuple(sorted(set(keys)))


def application(action: str, candidate: dict[str, Any], **fields: Any) -> dict[str, Any]:
    app = {"id": 46196263, "last_activity_at": "2026-03-04T13:45:30Z", **fields, "candidate": candidate}
    return {"action": action, "payload": {"application": app}}


# fixture -> (action, categories, time, links)
EXPECTED: dict[str, tuple[Any, ...]] = {
    "new_candidate_application": (
        "collected",
        cats(*NAME, EMAIL, PHONE, ADDR, CV, COVER),
        utc(2026, 3, 2, 9, 14),
        EMAIL_LINK,
    ),
    "new_prospect_application": (
        "collected",
        cats(*NAME, EMAIL, URL),
        utc(2026, 2, 20, 14, 5),
        EMAIL_LINK,
    ),
    "update_candidate": (
        "updated",
        cats(*NAME, EMAIL, PHONE, URL, CV, "user.job_title", "user.workplace"),
        utc(2026, 3, 5, 16, 20, 11),
        EMAIL_LINK,
    ),
    "candidate_stage_change": (
        "updated",
        cats(*NAME, EMAIL, PHONE, ADDR, CV, COVER, PRIVATE),
        utc(2026, 3, 4, 13, 45, 30),
        EMAIL_LINK,
    ),
    "delete_candidate_received": ("erased", (), utc(2026, 4, 10, 12, 0, 5), ()),
    "candidate_anonymized_received": (
        "anonymised",
        cats("user.name", EMAIL, PHONE, CV, COVER, PRIVATE),
        utc(2026, 4, 12, 6, 30),
        (),
    ),
    "merge_candidate": (
        "linked",
        (),
        utc(2026, 3, 9, 10, 0),
        (HASHER.native("greenhouse:candidate", 37031599),),
    ),
}
TIMELESS = ("delete_candidate", "candidate_anonymized")
"""Recorded payloads.md examples that carry no time of their own."""
MOMENTS = {
    "reject_candidate": ("rejected", utc(2026, 5, 12, 16, 20)),
    "hire_candidate": ("hired", utc(2026, 4, 24, 15, 30)),
}
"""Fixtures (Greenhouse's documented shapes) whose action is also a lifecycle moment."""


class TestGreenhouseFixtures:
    def test_every_fixture_file_is_covered(self) -> None:
        assert sorted(p.stem for p in FIXTURES.glob("*.json")) == sorted([*EXPECTED, *TIMELESS, *MOMENTS])

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_fixture_maps_to_expected_event(self, name: str) -> None:
        action, categories, at, links = EXPECTED[name]
        event = adapt_one(load(name))
        assert event.action == action
        assert event.categories == categories
        assert event.occurred_at == at
        assert event.occurred_at.utcoffset().total_seconds() == 0
        assert event.subject.links == tuple(sorted(links))
        assert event.subject.type == SubjectType.JOB_APPLICANT
        assert event.store == "greenhouse/candidates"
        assert event.source == "greenhouse"
        assert event.native_type == f"greenhouse:{load(name)['action']}"

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_subject_is_keyed_by_candidate_id_and_raw_data_never_leaves(self, name: str) -> None:
        event = adapt_one(load(name))
        assert event.subject.key == KEY
        dumped = event.model_dump_json()
        for raw in RAW_VALUES:
            assert raw not in dumped

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_purpose_and_basis_only_on_collections(self, name: str) -> None:
        event = adapt_one(load(name))
        if event.action in ("collected", "updated", "accessed"):
            assert (event.purpose, event.legal_basis) == (PURPOSE, LegalBasis.LEGITIMATE_INTERESTS)
        else:
            assert (event.purpose, event.legal_basis) == (None, None)

    @pytest.mark.parametrize("name", TIMELESS)
    def test_recorded_payload_without_time_is_refused_not_guessed(self, name: str) -> None:
        with pytest.raises(AdapterError) as caught:
            adapt_greenhouse(load(name), HASHER)
        assert "no time in payload" in caught.value.reason
        assert "received_at" in caught.value.reason

    @pytest.mark.parametrize("name", TIMELESS)
    def test_received_at_fixture_is_the_recorded_payload_plus_a_time(self, name: str) -> None:
        received = load(f"{name}_received")
        assert "received_at" in received
        assert {k: v for k, v in received.items() if k != "received_at"} == load(name)

    def test_new_application_links_the_e_mail_hash(self) -> None:
        event = adapt_one(load("new_candidate_application"))
        assert event.subject.key == HASHER.native("greenhouse:candidate", 37031511)
        assert event.subject.links == (HASHER.email("lea.martin@example.fr"),)
        assert CV in event.categories and COVER in event.categories


RECEIVED = utc(2026, 4, 10, 12, 0, 5)


class TestGreenhouseMoments:
    @pytest.mark.parametrize("name", sorted(MOMENTS))
    def test_rejection_and_hire_add_their_moment_to_the_restated_candidate(self, name: str) -> None:
        kind, at = MOMENTS[name]
        update, moment = adapt_greenhouse(load(name), HASHER)
        assert (update.action, update.occurred_at) == ("updated", at)
        assert (moment.action, moment.activity, moment.occurred_at) == ("activity", kind, at)
        assert (moment.store, moment.categories, moment.purpose) == ("greenhouse/candidates", (), PURPOSE)
        assert moment.subject == update.subject
        assert moment.event_id == f"{update.event_id}:{kind}"
        assert moment.native_type == f"greenhouse:{name}"

    def test_rejection_is_keyed_by_the_candidate_and_links_the_address(self) -> None:
        _, moment = adapt_greenhouse(load("reject_candidate"), HASHER)
        assert (moment.subject.key, moment.subject.links) == (KEY, EMAIL_LINK)
        assert moment.subject.type == SubjectType.JOB_APPLICANT
        assert not any(raw in moment.model_dump_json() for raw in RAW_VALUES)

    def test_rejection_without_rejected_at_is_dated_by_the_last_activity(self) -> None:
        payload = load("reject_candidate")
        del payload["payload"]["application"]["rejected_at"]
        payload["payload"]["application"]["last_activity_at"] = "2026-05-13T08:00:00Z"
        assert {e.occurred_at for e in adapt_greenhouse(payload, HASHER)} == {utc(2026, 5, 13, 8, 0)}

    def test_redelivered_rejection_keeps_its_ids_and_another_rejection_differs(self) -> None:
        first = [e.event_id for e in adapt_greenhouse(load("reject_candidate"), HASHER)]
        assert [e.event_id for e in adapt_greenhouse(load("reject_candidate"), HASHER)] == first
        later = load("reject_candidate")
        later["payload"]["application"]["rejected_at"] = "2027-01-05T10:00:00Z"
        assert not set(first) & {e.event_id for e in adapt_greenhouse(later, HASHER)}

    @pytest.mark.parametrize("action", ["unreject_candidate", "unhire_candidate", "candidate_stage_change"])
    def test_other_application_events_mark_no_moment(self, action: str) -> None:
        payload = load("reject_candidate")
        payload["action"] = action
        assert [e.action for e in adapt_greenhouse(payload, HASHER)] == ["updated"]


class TestGreenhouseReceivedTime:
    """Deletions, anonymisations and merges carry no time: they are dated when received."""

    @pytest.mark.parametrize("name", [*TIMELESS, "merge_candidate_timeless"])
    def test_timeless_actions_are_dated_at_received_at(self, name: str) -> None:
        payload = timeless(name)
        (event,) = adapt_greenhouse(payload, HASHER, received_at=RECEIVED)
        assert event.occurred_at == RECEIVED
        assert event.action == ACTIONS[payload["action"]].action

    @pytest.mark.parametrize("name", [*TIMELESS, "merge_candidate_timeless"])
    def test_no_time_and_no_received_at_says_what_to_do(self, name: str) -> None:
        with pytest.raises(AdapterError) as caught:
            adapt_greenhouse(timeless(name), HASHER)
        assert caught.value.reason.startswith("no time in payload (")
        assert "lineage serve" in caught.value.reason and "received_at" in caught.value.reason

    def test_received_at_keyword_is_converted_to_utc(self) -> None:
        paris = datetime.fromisoformat("2026-04-10T14:00:05+02:00")
        (event,) = adapt_greenhouse(load("delete_candidate"), HASHER, received_at=paris)
        assert event.occurred_at == RECEIVED and event.occurred_at.utcoffset().total_seconds() == 0

    @pytest.mark.parametrize("received", [datetime(2026, 4, 10, 12, 0, 5), utc(1970, 1, 1), utc(2100, 1, 1)])
    def test_unusable_received_at_is_refused_naming_it(self, received: datetime) -> None:
        with pytest.raises(AdapterError, match=r"^greenhouse: received_at "):
            adapt_greenhouse(load("delete_candidate"), HASHER, received_at=received)

    def test_payload_and_envelope_times_win_over_received_at(self) -> None:
        later = utc(2026, 5, 1)
        (own,) = adapt_greenhouse(load("new_candidate_application"), HASHER, received_at=later)
        assert own.occurred_at == utc(2026, 3, 2, 9, 14)
        (envelope,) = adapt_greenhouse(load("delete_candidate_received"), HASHER, received_at=later)
        assert envelope.occurred_at == RECEIVED

    @pytest.mark.parametrize("name", [*TIMELESS, "merge_candidate_timeless"])
    def test_redelivery_received_later_keeps_the_id(self, name: str) -> None:
        """Else a retried deletion would be a second, later erasure of what came between."""
        (first,) = adapt_greenhouse(timeless(name), HASHER, received_at=RECEIVED)
        (again,) = adapt_greenhouse(timeless(name), HASHER, received_at=utc(2026, 4, 11))
        assert first.event_id == again.event_id

    def test_anonymisations_of_other_fields_differ(self) -> None:
        other = {
            "action": "candidate_anonymized",
            "payload": {"candidate_id": CANDIDATE_ID, "anonymized_fields": ["notes"]},
        }
        (first,) = adapt_greenhouse(load("candidate_anonymized"), HASHER, received_at=RECEIVED)
        (second,) = adapt_greenhouse(other, HASHER, received_at=RECEIVED)
        assert first.event_id != second.event_id


def timeless(name: str) -> dict[str, Any]:
    """A recorded payload with no time at all (the merge fixture without its envelope time)."""
    if name == "merge_candidate_timeless":
        return {k: v for k, v in load("merge_candidate").items() if k != "received_at"}
    return load(name)


class TestGreenhouseMapping:
    def test_prospect_is_a_job_applicant_collected_on_legitimate_interests(self) -> None:
        event = adapt_one(load("new_prospect_application"))
        assert event.native_type == "greenhouse:new_prospect_application"
        assert (event.subject.type, event.legal_basis) == (
            SubjectType.JOB_APPLICANT,
            LegalBasis.LEGITIMATE_INTERESTS,
        )

    @pytest.mark.parametrize(
        "action",
        [
            "application_updated",
            "candidate_stage_change",
            "hire_candidate",
            "unhire_candidate",
            "reject_candidate",
            "unreject_candidate",
        ],
    )
    def test_application_events_restate_the_candidate(self, action: str) -> None:
        full = load("candidate_stage_change")
        full["action"] = action
        event = restated(full)
        assert (event.action, event.categories) == ("updated", EXPECTED["candidate_stage_change"][1])
        bare = restated(application(action, {"id": CANDIDATE_ID, "created_at": "2026-03-02T09:14:00Z"}))
        assert (bare.action, bare.categories, bare.purpose) == ("accessed", (), PURPOSE)
        assert bare.subject.key == KEY

    def test_hire_and_reject_times_come_from_their_own_fields(self) -> None:
        candidate = {"id": CANDIDATE_ID}
        hire = application("hire_candidate", candidate, offer={"resolved_at": "2026-03-20T08:00:00Z"})
        reject = application("reject_candidate", candidate, rejected_at="2026-03-21T09:00:00+01:00")
        assert [e.occurred_at for e in adapt_greenhouse(hire, HASHER)] == [utc(2026, 3, 20, 8, 0)] * 2
        assert [e.occurred_at for e in adapt_greenhouse(reject, HASHER)] == [utc(2026, 3, 21, 8, 0)] * 2

    def test_stage_change_is_not_dated_by_the_application_date(self) -> None:
        payload = application(
            "candidate_stage_change", {"id": CANDIDATE_ID}, applied_at="2026-03-02T09:14:00Z"
        )
        del payload["payload"]["application"]["last_activity_at"]
        with pytest.raises(AdapterError, match="no time in payload"):
            adapt_greenhouse(payload, HASHER)

    @pytest.mark.parametrize(
        "action",
        [
            "delete_application",
            "offer_created",
            "offer_approved",
            "offer_updated",
            "offer_deleted",
            "interview_deleted",
            "scorecard_deleted",
            "ping",
        ],
    )
    def test_untracked_actions_give_no_event(self, action: str) -> None:
        assert adapt_greenhouse({"action": action, "payload": {"id": 1}}, HASHER) == []

    def test_attachments_map_by_type(self) -> None:
        attachments = [
            {"type": "resume"},
            {"type": "cover_letter"},
            {"type": "offer_letter"},
            {"filename": "x.pdf"},
        ]
        event = adapt_one(
            application("application_updated", {"id": CANDIDATE_ID, "attachments": attachments})
        )
        assert event.categories == cats(CV, COVER, PRIVATE)
        only_cv = adapt_one(
            application("application_updated", {"id": CANDIDATE_ID, "attachments": [{"type": "resume"}]})
        )
        assert only_cv.categories == (CV,)

    def test_custom_fields_count_only_when_filled(self) -> None:
        empty = {"salary": {"type": "short_text", "value": None}, "tags": {"value": []}}
        filled = {**empty, "notice": {"type": "short_text", "value": "3 mois"}}
        base = {"id": CANDIDATE_ID, "first_name": "Léa"}
        assert (
            PRIVATE
            not in adapt_one(application("application_updated", {**base, "custom_fields": empty})).categories
        )
        assert (
            PRIVATE
            in adapt_one(application("application_updated", {**base, "custom_fields": filled})).categories
        )

    def test_malformed_secondary_address_is_skipped(self) -> None:
        addresses = [{"value": ADDRESS}, {"value": "lea martin@example.fr"}, {"value": "@x"}]
        event = adapt_one(
            application("application_updated", {"id": CANDIDATE_ID, "email_addresses": addresses})
        )
        assert event.subject.links == EMAIL_LINK
        assert event.categories == (EMAIL,)

    def test_update_time_preference(self) -> None:
        payload = load("update_candidate")
        candidate = payload["payload"]["candidate"]
        candidate["last_activity"] = "2026-03-05T17:00:00Z"
        assert adapt_one(payload).occurred_at == utc(2026, 3, 5, 16, 20, 11)
        del candidate["updated_at"]
        assert adapt_one(payload).occurred_at == utc(2026, 3, 5, 17, 0)
        del candidate["last_activity"]
        received = utc(2026, 3, 6, 8, 0)
        (event,) = adapt_greenhouse(payload, HASHER, received_at=received)
        assert event.occurred_at == received  # not created_at: the update is not the creation
        with pytest.raises(AdapterError, match=r"no time in payload.*received_at"):
            adapt_greenhouse(payload, HASHER)

    def test_received_at_never_overrides_the_payload_time(self) -> None:
        payload = {**load("new_candidate_application"), "received_at": "2026-03-02T09:15:02Z"}
        assert adapt_one(payload).occurred_at == utc(2026, 3, 2, 9, 14)

    def test_deletion_time_prefers_deleted_at(self) -> None:
        payload = load("delete_candidate_received")
        payload["payload"]["person"]["deleted_at"] = "2026-04-10T11:59:59Z"
        assert adapt_one(payload).occurred_at == utc(2026, 4, 10, 11, 59, 59)

    def test_anonymized_in_greenhouse_documented_shape(self) -> None:
        event = adapt_one(
            {
                "action": "candidate_anonymized",
                "received_at": "2026-04-12T06:30:00Z",
                "payload": {
                    "candidate_id": CANDIDATE_ID,
                    "anonymized_fields": ["full_name", "current_title", "notes"],
                },
            }
        )
        assert event.subject.key == KEY
        assert event.categories == cats("user.name", "user.job_title", PRIVATE)

    def test_merge_with_primary_and_duplicate(self) -> None:
        payload = {
            "action": "merge_candidate",
            "received_at": "2026-03-09T10:00:00Z",
            "payload": {
                "primary_candidate": {"id": CANDIDATE_ID},
                "duplicate_candidate": {"id": 37031599},
                "merged_candidate_ids": [37031600, "37031599"],
            },
        }
        event = adapt_one(payload)
        assert event.action == "linked"
        assert event.subject.key == KEY
        assert event.subject.links == tuple(
            sorted(HASHER.native("greenhouse:candidate", n) for n in (37031599, 37031600))
        )
        assert (event.categories, event.purpose) == ((), None)

    def test_digit_string_id_is_the_same_candidate(self) -> None:
        payload = load("update_candidate")
        payload["payload"]["candidate"]["id"] = "37031511"
        assert adapt_one(payload).subject.key == KEY


class TestGreenhouseEventId:
    def test_same_payload_same_id(self) -> None:
        for name in EXPECTED:
            assert adapt_one(load(name)).event_id == adapt_one(load(name)).event_id

    def test_fixtures_have_distinct_well_formed_ids(self) -> None:
        ids = {adapt_one(load(name)).event_id for name in EXPECTED}
        assert len(ids) == len(EXPECTED)
        assert all(re.fullmatch(r"greenhouse:[0-9a-f]{32}", i) for i in ids)

    @pytest.mark.parametrize(
        "change",
        [
            ("action", "new_prospect_application"),
            ("id", 46196264),
            ("applied_at", "2026-03-02T09:14:01Z"),
            ("candidate_id", 37031512),
        ],
    )
    def test_any_identifying_change_changes_id(self, change: tuple[str, Any]) -> None:
        payload = load("new_candidate_application")
        changed = copy.deepcopy(payload)
        field, value = change
        if field == "action":
            changed["action"] = value
        elif field == "candidate_id":
            changed["payload"]["application"]["candidate"]["id"] = value
        else:
            changed["payload"]["application"][field] = value
        assert adapt_one(changed).event_id != adapt_one(payload).event_id

    def test_noise_does_not_change_id(self) -> None:
        payload = load("candidate_stage_change")
        noisy = copy.deepcopy(payload)
        noisy["payload"]["application"]["current_stage"] = {"id": 1, "name": "Offre"}
        noisy["payload"]["application"]["candidate"]["tags"] = ["x"]
        assert adapt_one(noisy).event_id == adapt_one(payload).event_id

    def test_id_quotes_no_raw_identifier(self) -> None:
        event_id = adapt_one(load("new_candidate_application")).event_id
        assert ADDRESS not in event_id and str(CANDIDATE_ID) not in event_id


def with_candidate(**fields: Any) -> dict[str, Any]:
    return application("application_updated", {"id": CANDIDATE_ID, **fields})


BAD_PAYLOADS: dict[str, tuple[Any, str]] = {
    "array": ([load("new_candidate_application")], "not an object"),
    "null": (None, "not an object"),
    "string": ("action=update_candidate", "not an object"),
    "no action": ({"payload": {}}, "action is missing"),
    "action not string": ({"action": ["update_candidate"], "payload": {}}, "action is missing"),
    "unknown action": ({"action": "teleport_candidate", "payload": {}}, "unknown action"),
    "no payload": ({"action": "update_candidate"}, "payload is missing"),
    "payload array": ({"action": "offer_created", "payload": []}, "payload is missing"),
    "no candidate": ({"action": "update_candidate", "payload": {}}, "candidate.id (or candidate_id)"),
    "candidate not object": (
        {"action": "update_candidate", "payload": {"candidate": [1]}},
        "candidate is not an object",
    ),
    "id boolean": (application("application_updated", {"id": True}), "not a Greenhouse id"),
    "id negative": (application("application_updated", {"id": -4}), "not a Greenhouse id"),
    "id text": (application("application_updated", {"id": "lea"}), "not a Greenhouse id"),
    "application id text": (
        {
            **with_candidate(),
            "payload": {"application": {**with_candidate()["payload"]["application"], "id": "x"}},
        },
        "application.id",
    ),
    "emails not list": (with_candidate(email_addresses=ADDRESS), "email_addresses is not a list"),
    "email value not string": (
        with_candidate(email_addresses=[{"value": 7}]),
        "email_addresses[].value is not a string",
    ),
    "email without value": (
        with_candidate(email_addresses=[{"type": "work"}]),
        "email_addresses[].value is not a string",
    ),
    "attachments of strings": (with_candidate(attachments=["CV.pdf"]), "attachments is not a list"),
    "time garbage": (
        application("candidate_stage_change", {"id": 1}, last_activity_at="lundi"),
        "last_activity_at is not an ISO 8601",
    ),
    "time naive": (
        application("candidate_stage_change", {"id": 1}, last_activity_at="2026-03-04T13:45:30"),
        "no UTC offset",
    ),
    "time date only": (
        application("candidate_stage_change", {"id": 1}, last_activity_at="2026-03-04"),
        "no UTC offset",
    ),
    "time number": (
        application("candidate_stage_change", {"id": 1}, last_activity_at=1772631930),
        "is not a string",
    ),
    "time out of range": (
        application("candidate_stage_change", {"id": 1}, last_activity_at="1970-01-01T00:00:00Z"),
        "last_activity_at is outside the accepted window (2000-01-01",
    ),
    "garbled losing time": (
        application("reject_candidate", {"id": 1}, rejected_at="2026-03-04T13:45:30Z", last_activity_at=[]),
        "last_activity_at is not a string",
    ),
    "received_at garbage": ({**load("delete_candidate"), "received_at": "soon"}, "received_at"),
    "no application time": (
        {
            "action": "new_candidate_application",
            "payload": {"application": {"id": 1, "candidate": {"id": 1, "first_name": "Léa"}}},
        },
        "no time in payload",
    ),
    "anonymized no fields": (
        {
            "action": "candidate_anonymized",
            "received_at": "2026-04-12T06:30:00Z",
            "payload": {"candidate": {"id": 1}},
        },
        "anonymized_fields",
    ),
    "anonymized empty": (
        {
            "action": "candidate_anonymized",
            "received_at": "2026-04-12T06:30:00Z",
            "payload": {"candidate_id": 1, "anonymized_fields": []},
        },
        "empty",
    ),
    "anonymized non-string": (
        {
            "action": "candidate_anonymized",
            "received_at": "2026-04-12T06:30:00Z",
            "payload": {"candidate_id": 1, "anonymized_fields": [{"f": 1}]},
        },
        "non-string entry",
    ),
    "merge neither shape": (
        {
            "action": "merge_candidate",
            "received_at": "2026-03-09T10:00:00Z",
            "payload": {"candidate": {"id": 1}},
        },
        "neither person nor",
    ),
    "merge into itself": (
        {
            "action": "merge_candidate",
            "received_at": "2026-03-09T10:00:00Z",
            "payload": {"person": {"id": 1, "new_candidate_id": "1"}},
        },
        "no other candidate",
    ),
    "merge no survivor": (
        {
            "action": "merge_candidate",
            "received_at": "2026-03-09T10:00:00Z",
            "payload": {"person": {"id": 1}},
        },
        "person.new_candidate_id",
    ),
    "merged ids not list": (
        {
            "action": "merge_candidate",
            "received_at": "2026-03-09T10:00:00Z",
            "payload": {"primary_candidate": {"id": 1}, "merged_candidate_ids": 2},
        },
        "merged_candidate_ids is not a list",
    ),
    "collected without data": (
        {
            "action": "new_candidate_application",
            "payload": {
                "application": {"id": 1, "applied_at": "2026-03-02T09:14:00Z", "candidate": {"id": 1}}
            },
        },
        "must name at least one data category",
    ),
}


class TestGreenhouseErrors:
    @pytest.mark.parametrize("case", sorted(BAD_PAYLOADS))
    def test_bad_payload_raises_adapter_error_with_reason(self, case: str) -> None:
        payload, expected = BAD_PAYLOADS[case]
        with pytest.raises(AdapterError) as caught:
            adapt_greenhouse(payload, HASHER)
        assert caught.value.source == "greenhouse"
        assert expected in caught.value.reason
        for raw in RAW_VALUES:
            assert raw not in caught.value.reason

    @pytest.mark.parametrize("action", [ADDRESS, "update candidate +33 6 12 34 56 78", "teleport_candidate"])
    def test_unknown_action_is_never_echoed(self, action: str) -> None:
        with pytest.raises(AdapterError) as caught:
            adapt_greenhouse({"action": action, "payload": {}}, HASHER)
        assert caught.value.reason.startswith("unknown action")
        assert action not in str(caught.value)


ACTION_NAMES = sorted({*ACTIONS, *IGNORED, "offer_created"})
PATHS: list[tuple[str, ...]] = [
    ("action",),
    ("payload",),
    ("received_at",),
    ("payload", "application"),
    ("payload", "application", "id"),
    ("payload", "application", "applied_at"),
    ("payload", "application", "last_activity_at"),
    ("payload", "application", "candidate"),
    ("payload", "candidate"),
    ("payload", "person"),
    ("payload", "candidate_id"),
    ("payload", "anonymized_fields"),
    ("payload", "merged_candidate_ids"),
    ("payload", "primary_candidate"),
    ("payload", "duplicate_candidate"),
    *[
        (*prefix, field)
        for prefix in (
            ("payload", "application", "candidate"),
            ("payload", "candidate"),
            ("payload", "person"),
        )
        for field in (
            "id",
            "created_at",
            "updated_at",
            "email_addresses",
            "attachments",
            "custom_fields",
            "first_name",
            "anonymized_fields",
            "new_candidate_id",
        )
    ],
]


def _set(payload: dict[str, Any], path: tuple[str, ...], value: Any, delete: bool) -> None:
    target: Any = payload
    for step in path[:-1]:
        target = target.get(step) if isinstance(target, dict) else None
    if not isinstance(target, dict):
        return
    if delete:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value


@st.composite
def mutated_payloads(draw: st.DrawFn) -> dict[str, Any]:
    """A valid payload with some fields (at any depth) dropped or replaced by arbitrary JSON."""
    payload = load(draw(st.sampled_from(sorted([*EXPECTED, *TIMELESS]))))
    values = (
        JSON
        | st.sampled_from(ACTION_NAMES)
        | st.integers(-2, 10**19)
        | st.sampled_from([ADDRESS, "a@b", "@x.fr", "2026-03-02T09:14:00Z", "2026-03-02"])
        | st.lists(st.fixed_dictionaries({"value": JSON, "type": JSON}), max_size=3)
    )
    for path in draw(st.lists(st.sampled_from(PATHS), max_size=4)):
        _set(payload, path, draw(values), draw(st.booleans()))
    return payload


class TestGreenhouseTotality:
    """Whatever arrives, the adapter answers with events or an AdapterError, nothing else."""

    @settings(max_examples=300, deadline=None)
    @given(JSON)
    def test_any_json_value(self, value: Any) -> None:
        self._events_or_adapter_error(value)

    @settings(max_examples=300, deadline=None)
    @given(st.sampled_from(ACTION_NAMES), JSON)
    def test_any_body_under_a_known_action(self, action: str, body: Any) -> None:
        self._events_or_adapter_error({"action": action, "payload": body})

    @settings(max_examples=600, deadline=None)
    @given(mutated_payloads())
    def test_mutated_valid_payloads(self, payload: dict[str, Any]) -> None:
        self._events_or_adapter_error(payload)

    @staticmethod
    def _events_or_adapter_error(payload: Any) -> None:
        try:
            events = adapt_greenhouse(payload, HASHER)
        except AdapterError as exc:
            assert exc.reason
            assert ADDRESS not in exc.reason
            return
        assert isinstance(events, list) and len(events) <= 1
        assert all(ADDRESS not in event.model_dump_json() for event in events)
