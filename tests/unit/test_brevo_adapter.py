"""The Brevo adapter against recorded payloads, hostile payloads and arbitrary JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.adapters.brevo import MARKETING, TRANSACTIONAL, adapt_brevo
from lineage.domain.events import ActivityKind, LegalBasis
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import AdapterError
from tests.strategies import JSON

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "brevo"
HASHER = SubjectHasher(b"unit-test-key-0123456789")
ADDRESS = "lea.martin@example.fr"
MKT, NOTIFY = "marketing.communications.email", "essential.service.notifications.email"
EMAIL, BEHAVIOUR = ("user.contact.email",), ("user.behavior", "user.contact.email")


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def adapt_one(payload: Any) -> Any:
    """The payload's one event (a campaign unsubscription's closure, which follows it, aside)."""
    events = adapt_brevo(payload, HASHER)
    closures = [e for e in events[1:] if getattr(e, "activity", None) == ActivityKind.ACCOUNT_CLOSED]
    assert len(events) == 1 + len(closures) <= 2
    return events[0]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# fixture -> (action, activity, store, subject type, categories, purpose, legal basis, time)
EXPECTED: dict[str, tuple[Any, ...]] = {
    "transactional_hard_bounce": (
        "activity",
        ActivityKind.BOUNCED,
        "brevo/transactional",
        SubjectType.CUSTOMER,
        EMAIL,
        NOTIFY,
        LegalBasis.CONTRACT,
        datetime(2026, 3, 6, 10, 10, 23, 412000, tzinfo=UTC),
    ),
    "marketing_unsubscribed": (
        "consent_withdrawn",
        None,
        "brevo/contacts",
        SubjectType.NEWSLETTER_SUBSCRIBER,
        EMAIL,
        MKT,
        None,
        utc(2026, 3, 6, 11, 3, 11),
    ),
    "marketing_list_addition": (
        "collected",
        None,
        "brevo/contacts",
        SubjectType.NEWSLETTER_SUBSCRIBER,
        EMAIL,
        MKT,
        LegalBasis.CONSENT,
        utc(2026, 3, 6, 11, 5, 0),
    ),
    "marketing_contact_updated": (
        "updated",
        None,
        "brevo/contacts",
        SubjectType.NEWSLETTER_SUBSCRIBER,
        ("user.contact.email", "user.contact.organization", "user.name.first"),
        MKT,
        LegalBasis.CONSENT,
        utc(2026, 3, 7, 8, 0, 0),
    ),
    "marketing_contact_deleted": (
        "erased",
        None,
        "brevo/contacts",
        SubjectType.NEWSLETTER_SUBSCRIBER,
        (),
        None,
        None,
        utc(2026, 4, 1, 6, 0, 0),
    ),
    "transactional_click": (
        "activity",
        ActivityKind.CLICKED,
        "brevo/transactional",
        SubjectType.CUSTOMER,
        BEHAVIOUR,
        NOTIFY,
        LegalBasis.CONTRACT,
        datetime(2026, 3, 6, 10, 12, 40, 518000, tzinfo=UTC),
    ),
    "marketing_click": (
        "activity",
        ActivityKind.CLICKED,
        "brevo/contacts",
        SubjectType.NEWSLETTER_SUBSCRIBER,
        BEHAVIOUR,
        MKT,
        LegalBasis.CONSENT,
        utc(2026, 3, 6, 10, 58, 2),
    ),
}


class TestBrevoFixtures:
    def test_every_fixture_file_is_covered(self) -> None:
        assert sorted(p.stem for p in FIXTURES.glob("*.json")) == sorted(EXPECTED)

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_fixture_maps_to_expected_event(self, name: str) -> None:
        action, activity, store, subject_type, categories, purpose, basis, at = EXPECTED[name]
        event = adapt_one(load(name))
        assert event.action == action
        assert getattr(event, "activity", None) == activity
        assert event.store == store
        assert event.subject.type == subject_type
        assert event.categories == categories
        assert event.purpose == purpose
        assert event.legal_basis == basis
        assert event.occurred_at == at
        assert event.occurred_at.utcoffset().total_seconds() == 0
        assert event.source == "brevo"
        assert event.native_type == f"brevo:{load(name)['event']}"

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_subject_is_keyed_hash_and_address_never_leaves(self, name: str) -> None:
        event = adapt_one(load(name))
        assert event.subject.key == HASHER.email(ADDRESS)
        dumped = event.model_dump_json()
        assert ADDRESS not in dumped
        assert "lea.martin" not in dumped


class TestBrevoSubscriptionClosure:
    def test_campaign_unsubscription_withdraws_consent_then_closes_the_subscription(self) -> None:
        withdrawal, closure = adapt_brevo(load("marketing_unsubscribed"), HASHER)
        assert withdrawal.action == "consent_withdrawn"
        assert (closure.action, closure.activity) == ("activity", ActivityKind.ACCOUNT_CLOSED)
        assert (closure.store, closure.categories, closure.purpose) == ("brevo/contacts", (), MKT)
        assert (closure.subject, closure.occurred_at) == (withdrawal.subject, withdrawal.occurred_at)
        assert closure.event_id == f"{withdrawal.event_id}:account_closed"
        assert closure.native_type == "brevo:unsubscribed"
        assert ADDRESS not in closure.model_dump_json()

    @pytest.mark.parametrize(
        "payload",
        [
            {
                "event": "unsubscribed",
                "email": ADDRESS,
                "ts": 1772791823,
                "message-id": "<1@relay.example.net>",
            },
            {"msg_status": "unsubscribed", "type": "marketing", "to": "+33612345678", "ts_event": 1772791823},
        ],
        ids=["transactional", "sms"],
    )
    def test_other_unsubscriptions_close_nothing(self, payload: dict[str, Any]) -> None:
        assert [e.action for e in adapt_brevo(payload, HASHER)] == ["consent_withdrawn"]

    @pytest.mark.parametrize(
        "name", ["marketing_contact_deleted", "marketing_list_addition", "marketing_click"]
    )
    def test_deletion_and_other_campaign_events_close_nothing(self, name: str) -> None:
        assert len(adapt_brevo(load(name), HASHER)) == 1


class TestBrevoFamilies:
    @pytest.mark.parametrize("name", ["delivered", "opened", "click", "unsubscribed"])
    def test_shared_names_follow_message_id(self, name: str) -> None:
        base = {"event": name, "email": ADDRESS, "ts": 1772791823}
        campaign = adapt_one({**base, "camp_id": 87, "list_id": [42]})
        mail = adapt_one({**base, "message-id": "<1@relay.example.net>"})
        assert (campaign.store, campaign.subject.type) == (
            MARKETING.store,
            SubjectType.NEWSLETTER_SUBSCRIBER,
        )
        assert (mail.store, mail.subject.type) == (TRANSACTIONAL.store, SubjectType.CUSTOMER)

    def test_transactional_unsubscribe_withdraws_notifications(self) -> None:
        event = adapt_one(
            {
                "event": "unsubscribed",
                "email": ADDRESS,
                "ts": 1772791823,
                "message-id": "<1@relay.example.net>",
            }
        )
        assert (event.action, event.purpose) == ("consent_withdrawn", NOTIFY)

    @pytest.mark.parametrize(
        ("name", "kind"),
        [
            ("request", ActivityKind.SENT),
            ("deferred", ActivityKind.DEFERRED),
            ("unique_opened", ActivityKind.OPENED),
            ("soft_bounce", ActivityKind.BOUNCED),
            ("invalid_email", ActivityKind.BOUNCED),
            ("complaint", ActivityKind.COMPLAINED),
            ("blocked", ActivityKind.BLOCKED),
            ("error", ActivityKind.FAILED),
            ("spam", ActivityKind.COMPLAINED),
            ("soft_bounced", ActivityKind.BOUNCED),
        ],
    )
    def test_activity_kinds(self, name: str, kind: ActivityKind) -> None:
        event = adapt_one({"event": name, "email": ADDRESS, "ts": 1772791823})
        assert (event.action, event.activity) == ("activity", kind)

    @pytest.mark.parametrize("name", ["proxy_open", "unique_proxy_open"])
    @pytest.mark.parametrize("family", [{"camp_id": 87}, {"message-id": "<1@relay.example.net>"}])
    def test_privacy_proxy_opens_are_opens_of_their_own_native_type(
        self, name: str, family: dict[str, Any]
    ) -> None:
        event = adapt_one({"event": name, "email": ADDRESS, "ts": 1772791823, **family})
        assert (event.action, event.activity) == ("activity", ActivityKind.OPENED)
        assert event.native_type == f"brevo:{name}" and event.categories == BEHAVIOUR
        assert event.store == ("brevo/contacts" if "camp_id" in family else "brevo/transactional")

    def test_opens_carry_behaviour(self) -> None:
        event = adapt_one({"event": "opened", "email": ADDRESS, "ts": 1772791823, "camp_id": 1})
        assert event.categories == BEHAVIOUR

    def test_contact_attributes_map_through_table(self) -> None:
        content = {"LASTNAME": "Martin", "SMS": "+33612345678", "FAVOURITE_CHEESE": "comté"}
        event = adapt_one(
            {"event": "contact_updated", "email": ADDRESS, "ts": 1772791823, "content": content}
        )
        assert event.categories == (
            "user.contact",
            "user.contact.email",
            "user.contact.phone_number",
            "user.name.last",
        )
        assert "comté" not in event.model_dump_json()

    @pytest.mark.parametrize("tag", ["", "facture", '["facture","relance"]', "[not json"])
    def test_tag_quirks_are_accepted(self, tag: str) -> None:
        payload = {**load("transactional_hard_bounce"), "tag": tag, "tags": ["a", 1, None]}
        assert adapt_one(payload).action == "activity"


class TestBrevoTime:
    def test_epoch_fields_in_preference_order(self) -> None:
        payload = {
            "event": "request",
            "email": ADDRESS,
            "ts_epoch": 1772791823412,
            "ts_event": 1772791800,
            "ts": 1772791700,
            "date": "2020-01-01 00:00:00",
        }
        assert adapt_one(payload).occurred_at == datetime(2026, 3, 6, 10, 10, 23, 412000, tzinfo=UTC)
        del payload["ts_epoch"]
        assert adapt_one(payload).occurred_at == utc(2026, 3, 6, 10, 10, 0)
        del payload["ts_event"]
        assert adapt_one(payload).occurred_at == utc(2026, 3, 6, 10, 8, 20)

    @pytest.mark.parametrize(
        ("local", "expected"),
        [
            ("2026-01-15 09:30:00", utc(2026, 1, 15, 8, 30)),  # CET, UTC+1
            ("2026-07-15 09:30:00", utc(2026, 7, 15, 7, 30)),  # CEST, UTC+2
            ("2026-03-29 03:30:00", utc(2026, 3, 29, 1, 30)),  # first hour of summer time
            ("2026-10-25 04:00:00", utc(2026, 10, 25, 3, 0)),
        ],  # first hour after winter time
    )
    def test_local_date_fallback_is_paris_time(self, local: str, expected: datetime) -> None:
        event = adapt_one({"event": "list_addition", "email": ADDRESS, "date": local})
        assert event.occurred_at == expected
        assert event.occurred_at.tzinfo is not None

    def test_date_event_beats_date(self) -> None:
        payload = {
            "event": "click",
            "email": ADDRESS,
            "camp_id": 9,
            "date_event": "2026-07-01 12:00:00",
            "date": "2026-01-01 12:00:00",
        }
        assert adapt_one(payload).occurred_at == utc(2026, 7, 1, 10, 0)

    def test_fixture_without_epochs_agrees_with_its_date(self) -> None:
        payload = load("marketing_contact_deleted")
        del payload["ts"]
        assert adapt_one(payload).occurred_at == utc(2026, 4, 1, 6, 0, 0)

    @pytest.mark.parametrize(
        "others",
        [
            {},
            {"ts_event": 1772791830},
            {"ts": 1772791823 - 9 * 3600},
            {"ts_event": 1772791830, "ts": 1772791800, "date": "2026-03-06 11:10:23"},
        ],
    )
    def test_ts_epoch_in_seconds_is_read_as_seconds_when_times_agree(self, others: dict) -> None:
        """Brevo's documented examples send ``ts_epoch`` in seconds; in the window the two
        scales cannot be confused (seconds as milliseconds is January 1970)."""
        payload = {"event": "delivered", "email": ADDRESS, "ts_epoch": 1772791823, **others}
        assert adapt_one(payload).occurred_at == utc(2026, 3, 6, 10, 10, 23)

    @pytest.mark.parametrize("field", ["ts_event", "ts"])
    def test_ts_epoch_in_seconds_far_from_other_times_is_refused(self, field: str) -> None:
        payload = {
            "event": "delivered",
            "email": ADDRESS,
            "ts_epoch": 1772791823,
            field: 1772791823 - 30 * 86400,
        }
        with pytest.raises(AdapterError) as caught:
            adapt_brevo(payload, HASHER)
        assert caught.value.reason == (
            f"ts_epoch is in seconds, not milliseconds, and is more "
            f"than a day from {field}: the payload's times disagree"
        )

    def test_ts_epoch_in_milliseconds_is_unchanged(self) -> None:
        payload = {"event": "delivered", "email": ADDRESS, "ts_epoch": "1772791823412"}
        assert adapt_one(payload).occurred_at == datetime(2026, 3, 6, 10, 10, 23, 412000, tzinfo=UTC)

    def test_numeric_string_epoch_is_accepted(self) -> None:
        event = adapt_one({"event": "delivered", "email": ADDRESS, "ts": "1772791823"})
        assert event.occurred_at == utc(2026, 3, 6, 10, 10, 23)


class TestBrevoEventId:
    def test_same_payload_same_id(self) -> None:
        for name in EXPECTED:
            assert adapt_one(load(name)).event_id == adapt_one(load(name)).event_id

    def test_fixtures_have_distinct_ids(self) -> None:
        ids = {adapt_one(load(name)).event_id for name in EXPECTED}
        assert len(ids) == len(EXPECTED)

    @pytest.mark.parametrize(
        "change",
        [
            {"ts_epoch": 1772791823413},
            {"email": "leo.martin@example.fr"},
            {"message-id": "<other@relay.example.net>"},
            {"event": "soft_bounce"},
            {"link": "https://www.example.com/other"},
        ],
    )
    def test_any_identifying_change_changes_id(self, change: dict[str, Any]) -> None:
        payload = load("transactional_click")
        assert adapt_one({**payload, **change}).event_id != adapt_one(payload).event_id

    def test_id_does_not_depend_on_the_key_material_order_of_ignored_fields(self) -> None:
        payload = load("marketing_click")
        noisy = {**payload, "sending_ip": "198.51.100.1", "tag": "x"}
        assert adapt_one(noisy).event_id == adapt_one(payload).event_id

    def test_id_is_not_a_plain_hash_of_the_address(self) -> None:
        assert ADDRESS not in adapt_one(load("marketing_click")).event_id


BAD_PAYLOADS: dict[str, tuple[Any, str]] = {
    "array": ([load("marketing_click")], "not an object"),
    "null": (None, "not an object"),
    "string": ("event=click", "not an object"),
    "no event": ({"email": ADDRESS, "ts": 1772791823}, "event"),
    "event not string": ({"event": 3, "email": ADDRESS, "ts": 1772791823}, "event"),
    "unknown event": ({"event": "teleported", "email": ADDRESS, "ts": 1}, "unknown event"),
    "no email": ({"event": "click", "camp_id": 1, "ts": 1772791823}, "email"),
    "email not string": ({"event": "click", "email": ["x"], "ts": 1772791823}, "email"),
    "email not address": ({"event": "click", "email": "lea.martin", "ts": 1772791823}, "not an address"),
    "ts letters": ({"event": "click", "email": ADDRESS, "ts": "yesterday"}, "ts is not"),
    "ts boolean": ({"event": "click", "email": ADDRESS, "ts": True}, "ts is not"),
    "ts in ms": (
        {"event": "click", "email": ADDRESS, "ts": 1772791823412},
        "ts is outside the accepted window (2000-01-01T00:00Z",
    ),
    "ts infinite": ({"event": "click", "email": ADDRESS, "ts": float("inf")}, "ts is not a number"),
    "ts_epoch nowhere": (
        {"event": "click", "email": ADDRESS, "ts_epoch": 123},
        "ts_epoch is outside the accepted window",
    ),
    "ts_epoch seconds disagree": (
        {"event": "click", "email": ADDRESS, "ts_epoch": 1772791823, "ts_event": 1772791823 + 2 * 86400},
        "ts_epoch is in seconds",
    ),
    "no time": ({"event": "click", "email": ADDRESS}, "no timestamp"),
    "date garbage": ({"event": "click", "email": ADDRESS, "date": "lundi"}, "date"),
    "date number": ({"event": "click", "email": ADDRESS, "date": 20260306}, "date"),
    "content string": (
        {"event": "contact_updated", "email": ADDRESS, "ts": 1772791823, "content": "FIRSTNAME=Léa"},
        "content",
    ),
    "content of strings": (
        {"event": "contact_updated", "email": ADDRESS, "ts": 1772791823, "content": ["FIRSTNAME"]},
        "content",
    ),
}


class TestBrevoErrors:
    @pytest.mark.parametrize("case", sorted(BAD_PAYLOADS))
    def test_bad_payload_raises_adapter_error_with_reason(self, case: str) -> None:
        payload, expected = BAD_PAYLOADS[case]
        with pytest.raises(AdapterError) as caught:
            adapt_brevo(payload, HASHER)
        assert caught.value.source == "brevo"
        assert expected in caught.value.reason
        assert "lea.martin" not in caught.value.reason

    def test_unknown_event_does_not_echo_an_address(self) -> None:
        with pytest.raises(AdapterError) as caught:
            adapt_brevo({"event": ADDRESS, "email": ADDRESS, "ts": 1772791823}, HASHER)
        assert ADDRESS not in str(caught.value)


EVENT_NAMES = sorted(set(MARKETING.rules) | set(TRANSACTIONAL.rules))
FIELDS = [
    "event",
    "email",
    "ts",
    "ts_event",
    "ts_epoch",
    "date",
    "date_event",
    "content",
    "message-id",
    "camp_id",
    "list_id",
    "link",
    "URL",
    "tag",
    "tags",
]


@st.composite
def mutated_payloads(draw: st.DrawFn) -> dict[str, Any]:
    """A valid payload with some fields dropped and some replaced by arbitrary JSON."""
    payload = load(draw(st.sampled_from(sorted(EXPECTED))))
    for key in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        payload.pop(key, None)
    values = JSON | st.sampled_from(EVENT_NAMES) | st.sampled_from([ADDRESS, "a@b", "@x.fr"])
    payload.update(draw(st.dictionaries(st.sampled_from(FIELDS), values, max_size=3)))
    return payload


class TestBrevoTotality:
    """Whatever arrives, the adapter answers with events or an AdapterError, nothing else."""

    @settings(max_examples=300, deadline=None)
    @given(JSON)
    def test_any_json_value(self, value: Any) -> None:
        self._events_or_adapter_error(value)

    @settings(max_examples=500, deadline=None)
    @given(mutated_payloads())
    def test_mutated_valid_payloads(self, payload: dict[str, Any]) -> None:
        self._events_or_adapter_error(payload)

    @staticmethod
    def _events_or_adapter_error(payload: Any) -> None:
        try:
            events = adapt_brevo(payload, HASHER)
        except AdapterError as exc:
            assert exc.reason
            assert ADDRESS not in exc.reason
            return
        assert isinstance(events, list)
        assert all(ADDRESS not in event.model_dump_json() for event in events)
