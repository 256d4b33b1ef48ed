"""The HubSpot adapter against recorded payloads, hostile payloads and arbitrary JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.adapters.hubspot import CONTACT_PROPERTIES, CONTACT_RULES, PROPERTY_MOMENTS, adapt_hubspot
from lineage.domain.events import LegalBasis
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import AdapterError
from tests.strategies import JSON

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hubspot"
HASHER = SubjectHasher(b"unit-test-key-0123456789")
ADDRESS = "lea.martin@example.fr"
CONTACT = HASHER.native("hubspot:contact", 90512)
MERGED = HASHER.native("hubspot:contact", 90877)
EMAIL_KEY = HASHER.email(ADDRESS)
PSEUDONYMOUS = ("user.unique_id.pseudonymous",)


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def adapt_one(payload: Any) -> Any:
    events = adapt_hubspot(payload, HASHER)
    assert len(events) == 1
    return events[0]


def element(**changes: Any) -> dict[str, Any]:
    """A valid property change of ``firstname`` with some fields changed (None drops one)."""
    base = load("contact_firstname_change")[0]
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def ms(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# fixture -> one row per event: (event id, action, native type, categories, links, time)
EXPECTED: dict[str, list[tuple[Any, ...]]] = {
    "contact_creation_and_email": [
        (
            "hubspot:1834511902",
            "collected",
            "contact.creation",
            PSEUDONYMOUS,
            (),
            datetime(2026, 3, 6, 10, 10, 0, 123000, tzinfo=UTC),
        ),
        (
            "hubspot:1834511903",
            "updated",
            "contact.propertyChange",
            ("user.contact.email",),
            (EMAIL_KEY,),
            datetime(2026, 3, 6, 10, 10, 0, 456000, tzinfo=UTC),
        ),
    ],
    "contact_privacy_deletion": [
        ("hubspot:1834599001", "erased", "contact.privacyDeletion", (), (), ms(2026, 4, 1, 6)),
    ],
    "contact_merge": [
        ("hubspot:1834560417", "linked", "contact.merge", (), (MERGED,), ms(2026, 3, 7, 10, 10)),
    ],
    "contact_firstname_change": [
        (
            "hubspot:1834511955",
            "updated",
            "contact.propertyChange",
            ("user.name.first",),
            (),
            datetime(2026, 3, 6, 10, 15, 0, 789000, tzinfo=UTC),
        ),
    ],
}
COLLECTING = {"collected", "updated"}


class TestHubSpotFixtures:
    def test_every_fixture_file_is_covered(self) -> None:
        assert sorted(p.stem for p in FIXTURES.glob("*.json")) == sorted(EXPECTED)

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_fixture_maps_to_expected_events(self, name: str) -> None:
        events = adapt_hubspot(load(name), HASHER)
        assert len(events) == len(EXPECTED[name])
        for event, (event_id, action, native, categories, links, at) in zip(
            events, EXPECTED[name], strict=True
        ):
            assert event.event_id == event_id
            assert event.action == action
            assert event.native_type == f"hubspot:{native}"
            assert event.categories == categories
            assert event.subject.links == links
            assert event.occurred_at == at
            assert event.occurred_at.utcoffset().total_seconds() == 0
            assert event.source == "hubspot"
            assert event.store == "hubspot/contacts"
            assert event.subject.type == SubjectType.PROSPECT
            assert event.subject.key == CONTACT
            collects = action in COLLECTING
            assert event.purpose == ("sales" if collects else None)
            assert event.legal_basis == (LegalBasis.LEGITIMATE_INTERESTS if collects else None)

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_raw_identifiers_never_leave(self, name: str) -> None:
        for event in adapt_hubspot(load(name), HASHER):
            dumped = event.model_dump_json()
            assert ADDRESS not in dumped
            assert "lea.martin" not in dumped
            assert "Léa" not in dumped and "L\\u00e9a" not in dumped
            assert "90512" not in dumped

    def test_same_payload_same_ids(self) -> None:
        for name in EXPECTED:
            first = [e.event_id for e in adapt_hubspot(load(name), HASHER)]
            assert first == [e.event_id for e in adapt_hubspot(load(name), HASHER)]

    def test_redelivery_keeps_the_id(self) -> None:
        retry = element(attemptNumber=3, subscriptionId=1)
        assert adapt_one(retry).event_id == adapt_one(element()).event_id


MOMENTS = FIXTURES / "moments"
# fixture -> (property category, moment kind or None, moment time)
MOMENT_FIXTURES: dict[str, tuple[str, str | None, datetime | None]] = {
    # a contract end recorded the morning after: the clock runs from the end date itself
    "contact_contract_end": ("user.contact", "contract_ended", ms(2026, 4, 30)),
    # an end date still to come is scheduled, not happened: only the update
    "contact_contract_end_scheduled": ("user.contact", None, None),
    # HubSpot's own calculated property, through the generic object subscription
    "contact_deal_closed_won": (
        "user.behavior.purchase_history",
        "last_purchase",
        datetime(2026, 3, 20, 14, 2, 11, 500000, tzinfo=UTC),
    ),
}


def moment_payload(name: str) -> Any:
    return json.loads((MOMENTS / f"{name}.json").read_text(encoding="utf-8"))


class TestHubSpotMoments:
    def test_every_moment_fixture_is_covered(self) -> None:
        assert sorted(p.stem for p in MOMENTS.glob("*.json")) == sorted(MOMENT_FIXTURES)

    @pytest.mark.parametrize("name", sorted(MOMENT_FIXTURES))
    def test_date_property_is_an_update_and_its_moment_once_reached(self, name: str) -> None:
        category, kind, at = MOMENT_FIXTURES[name]
        (item,) = moment_payload(name)
        update, *moment = adapt_hubspot(moment_payload(name), HASHER)
        assert (update.action, update.categories) == ("updated", (category,))
        assert update.event_id == f"hubspot:{item['eventId']}"
        if kind is None:
            assert moment == []
            return
        (event,) = moment
        assert (event.action, event.activity, event.occurred_at) == ("activity", kind, at)
        assert (event.store, event.categories, event.subject) == ("hubspot/contacts", (), update.subject)
        assert event.subject.key == CONTACT
        assert event.event_id == f"hubspot:{item['eventId']}:{kind}"
        assert "90512" not in event.model_dump_json()

    @pytest.mark.parametrize("value", ["2026-04-30", 1777507200000, " 1777507200000 "])
    def test_date_as_a_day_or_a_number_reads_alike(self, value: Any) -> None:
        (item,) = moment_payload("contact_contract_end")
        _, moment = adapt_hubspot({**item, "propertyValue": value}, HASHER)
        assert moment.occurred_at == ms(2026, 4, 30)

    @pytest.mark.parametrize("value", [None, "", "  "])
    def test_emptied_date_starts_nothing(self, value: Any) -> None:
        (item,) = moment_payload("contact_contract_end")
        assert [e.action for e in adapt_hubspot({**item, "propertyValue": value}, HASHER)] == ["updated"]

    def test_end_on_the_instant_of_the_change_counts(self) -> None:
        (item,) = moment_payload("contact_contract_end")
        payload = {**item, "propertyValue": str(item["occurredAt"])}
        assert len(adapt_hubspot(payload, HASHER)) == 2

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            ("soon", "propertyValue is not an integer (or a string of digits)"),
            ("1777507200", "propertyValue is outside the accepted window"),
            ("2026-02-30", "propertyValue is not an ISO 8601 date and time"),
        ],
    )
    def test_unreadable_date_is_refused_naming_the_field(self, value: str, reason: str) -> None:
        (item,) = moment_payload("contact_contract_end")
        with pytest.raises(AdapterError) as caught:
            adapt_hubspot([{**item, "propertyValue": value}], HASHER)
        assert caught.value.reason.startswith(f"event [0]: {reason}")

    def test_other_objects_date_properties_record_nothing(self) -> None:
        (item,) = moment_payload("contact_contract_end")
        assert adapt_hubspot({**item, "subscriptionType": "deal.propertyChange"}, HASHER) == []


class TestHubSpotMapping:
    @pytest.mark.parametrize(
        ("prop", "category"),
        [
            ("firstname", "user.name.first"),
            ("lastname", "user.name.last"),
            ("phone", "user.contact.phone_number"),
            ("mobilephone", "user.contact.phone_number"),
            ("company", "user.contact.organization"),
            ("jobtitle", "user.job_title"),
            ("address", "user.contact.address"),
            ("city", "user.contact.address.city"),
            ("zip", "user.contact.address.postal_code"),
            ("country", "user.contact.address.country"),
            ("favourite_cheese", "user.contact"),
            ("LastName", "user.name.last"),
        ],
    )
    def test_property_names_map_through_table(self, prop: str, category: str) -> None:
        event = adapt_one(element(propertyName=prop, propertyValue="Comté"))
        assert (event.action, event.categories, event.subject.links) == ("updated", (category,), ())
        assert "Comt" not in event.model_dump_json()

    def test_every_table_category_is_known(self) -> None:
        for prop in CONTACT_PROPERTIES:
            value = "1774015331500" if prop in PROPERTY_MOMENTS else ADDRESS  # a date, a moment too
            assert adapt_hubspot(element(propertyName=prop, propertyValue=value), HASHER)[0].categories

    def test_email_change_links_the_address(self) -> None:
        event = adapt_one(element(propertyName="email", propertyValue=" Lea.Martin@Example.FR "))
        assert event.subject.key == CONTACT
        assert event.subject.links == (HASHER.email(ADDRESS),)
        assert event.categories == ("user.contact.email",)

    @pytest.mark.parametrize("value", ["", "   ", None])
    def test_removed_email_is_an_update_without_link(self, value: Any) -> None:
        payload = {**element(propertyName="email"), "propertyValue": value}
        event = adapt_one(payload)
        assert (event.action, event.categories, event.subject.links) == (
            "updated",
            ("user.contact.email",),
            (),
        )

    @pytest.mark.parametrize("kind", ["contact.deletion", "contact.privacyDeletion"])
    def test_deletions_erase_everything(self, kind: str) -> None:
        event = adapt_one(element(subscriptionType=kind, propertyName=None))
        assert (event.action, event.categories, event.subject.key) == ("erased", (), CONTACT)

    def test_merge_links_every_merged_id_and_a_new_record(self) -> None:
        payload = load("contact_merge")[0]
        payload.update(mergedObjectIds=[90877, "90878", 90512], newObjectId=91000)
        event = adapt_one(payload)
        assert event.subject.key == CONTACT
        assert event.subject.links == tuple(
            sorted(HASHER.native("hubspot:contact", n) for n in (90877, 90878, 91000))
        )
        assert event.categories == ()

    @pytest.mark.parametrize(
        "kind",
        [
            "contact.associationChange",
            "company.creation",
            "company.propertyChange",
            "company.deletion",
            "deal.creation",
            "deal.propertyChange",
            "deal.merge",
        ],
    )
    def test_non_personal_events_record_nothing(self, kind: str) -> None:
        assert adapt_hubspot([element(subscriptionType=kind)], HASHER) == []

    @pytest.mark.parametrize("name", ["creation", "propertyChange", "deletion"])
    def test_generic_contact_object_reads_like_contact(self, name: str) -> None:
        legacy = adapt_one(element(subscriptionType=f"contact.{name}"))
        generic = adapt_one(element(subscriptionType=f"object.{name}", objectTypeId="0-1"))
        assert generic.native_type == f"hubspot:object.{name}"
        assert generic.model_dump(exclude={"native_type"}) == legacy.model_dump(exclude={"native_type"})

    @pytest.mark.parametrize("type_id", ["0-2", "0-3", "2-1234567"])
    def test_generic_other_objects_record_nothing(self, type_id: str) -> None:
        payload = element(subscriptionType="object.propertyChange", objectTypeId=type_id)
        assert adapt_hubspot(payload, HASHER) == []

    def test_string_and_number_ids_key_alike(self) -> None:
        as_text = adapt_one(element(objectId="90512", eventId="1834511955"))
        assert as_text.subject.key == CONTACT
        assert as_text.event_id == adapt_one(element()).event_id

    @pytest.mark.parametrize("text", ["1772791800123", " 1772791800123 "])
    def test_digit_string_occurred_at_reads_like_the_number(self, text: str) -> None:
        """Some senders quote 13-digit numbers so JavaScript keeps them exact, as with ids."""
        number = element(occurredAt=1772791800123)
        assert adapt_one(element(occurredAt=text)) == adapt_one(number)


class TestHubSpotBatch:
    def test_single_object_is_one_event(self) -> None:
        assert adapt_hubspot(element(), HASHER) == adapt_hubspot([element()], HASHER)

    def test_empty_batch_records_nothing(self) -> None:
        assert adapt_hubspot([], HASHER) == []

    def test_mixed_batch_keeps_order_and_skips_ignored(self) -> None:
        batch = [
            *load("contact_creation_and_email"),
            element(subscriptionType="deal.creation"),
            *load("contact_privacy_deletion"),
        ]
        assert [e.action for e in adapt_hubspot(batch, HASHER)] == ["collected", "updated", "erased"]

    def test_one_bad_element_fails_the_whole_batch_naming_it(self) -> None:
        batch = [*load("contact_creation_and_email"), element(occurredAt="yesterday")]
        with pytest.raises(AdapterError) as caught:
            adapt_hubspot(batch, HASHER)
        assert caught.value.reason == "event [2]: occurredAt is not an integer (or a string of digits)"

    def test_ignored_elements_still_need_a_valid_envelope(self) -> None:
        with pytest.raises(AdapterError, match=r"event \[0\]: eventId"):
            adapt_hubspot([element(subscriptionType="company.creation", eventId=None)], HASHER)


BAD_ELEMENTS: dict[str, tuple[Any, str]] = {
    "not object": ("contact.creation", "event is a JSON string"),
    "no type": (element(subscriptionType=None), "subscriptionType is missing"),
    "type number": (element(subscriptionType=4), "subscriptionType is missing"),
    "unknown type": (element(subscriptionType="contact.teleported"), "unknown subscriptionType"),
    "unknown object": (element(subscriptionType="ticket.creation"), "unknown subscriptionType"),
    "type garbage": (element(subscriptionType=ADDRESS), "unknown subscriptionType: not <object>.<event>"),
    "no type id": (element(subscriptionType="object.creation"), "objectTypeId"),
    "no event id": (element(eventId=None), "eventId is missing"),
    "event id negative": (element(eventId=-4), "eventId is not"),
    "event id float": (element(eventId=1.5), "eventId is not"),
    "event id bool": (element(eventId=True), "eventId is not"),
    "no time": (element(occurredAt=None), "occurredAt is missing"),
    "time in seconds": (
        element(occurredAt=1772791800),
        "occurredAt is outside the accepted window (2000-01-01",
    ),
    "time float": (element(occurredAt=1772791800123.5), "occurredAt is not an integer"),
    "time text": (element(occurredAt="yesterday"), "occurredAt is not an integer"),
    "time signed string": (element(occurredAt="-1772791800123"), "occurredAt is not an integer"),
    "no object id": (element(objectId=None), "objectId is missing"),
    "object id address": (element(objectId=ADDRESS), "objectId is missing or not a HubSpot id"),
    "no property": (element(propertyName=None), "propertyName"),
    "email invalid": (element(propertyName="email", propertyValue="lea.martin"), "not an address"),
    "email number": (element(propertyName="email", propertyValue=7), "not a string"),
    "merge no merged": ({**load("contact_merge")[0], "mergedObjectIds": []}, "mergedObjectIds"),
    "merge into itself": ({**load("contact_merge")[0], "mergedObjectIds": [90512]}, "besides"),
    "merge no primary": ({**load("contact_merge")[0], "primaryObjectId": None}, "primaryObjectId"),
}


class TestHubSpotErrors:
    @pytest.mark.parametrize("payload", [None, "[]", 3, True])
    def test_payload_must_be_array_or_object(self, payload: Any) -> None:
        with pytest.raises(AdapterError, match="not an object or an array"):
            adapt_hubspot(payload, HASHER)

    @pytest.mark.parametrize("case", sorted(BAD_ELEMENTS))
    def test_bad_element_raises_adapter_error_with_index_and_reason(self, case: str) -> None:
        bad, expected = BAD_ELEMENTS[case]
        with pytest.raises(AdapterError) as caught:
            adapt_hubspot([element(), bad], HASHER)
        assert caught.value.source == "hubspot"
        assert caught.value.reason.startswith("event [1]: ")
        assert expected in caught.value.reason
        assert "lea.martin" not in caught.value.reason

    def test_bad_lone_object_has_no_index(self) -> None:
        with pytest.raises(AdapterError) as caught:
            adapt_hubspot(element(eventId=None), HASHER)
        assert caught.value.reason == "eventId is missing"


KINDS = sorted(
    {f"contact.{n}" for n in CONTACT_RULES}
    | {f"object.{n}" for n in CONTACT_RULES}
    | {"company.creation", "deal.deletion"}
)
FIELDS = [
    "eventId",
    "occurredAt",
    "subscriptionType",
    "objectId",
    "objectTypeId",
    "propertyName",
    "propertyValue",
    "primaryObjectId",
    "mergedObjectIds",
    "newObjectId",
    "attemptNumber",
]
ELEMENTS = [item for name in sorted(EXPECTED) for item in load(name)]


@st.composite
def mutated_elements(draw: st.DrawFn) -> dict[str, Any]:
    """A valid element with some fields dropped and some replaced by arbitrary JSON."""
    item = dict(draw(st.sampled_from(ELEMENTS)))
    for key in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        item.pop(key, None)
    values = (
        JSON
        | st.sampled_from(KINDS)
        | st.sampled_from(["0-1", "0-2", "email", "firstname"])
        | st.sampled_from([ADDRESS, "a@b", "@x.fr", 90512, [90877], "90512"])
    )
    item.update(draw(st.dictionaries(st.sampled_from(FIELDS), values, max_size=3)))
    return item


class TestHubSpotTotality:
    """Whatever arrives, the adapter answers with events or an AdapterError, nothing else."""

    @settings(max_examples=300, deadline=None)
    @given(JSON)
    def test_any_json_value(self, value: Any) -> None:
        self._events_or_adapter_error(value)

    @settings(max_examples=500, deadline=None)
    @given(mutated_elements())
    def test_mutated_valid_element(self, item: dict[str, Any]) -> None:
        self._events_or_adapter_error(item)

    @settings(max_examples=200, deadline=None)
    @given(st.lists(mutated_elements(), max_size=4))
    def test_mutated_batches(self, batch: list[dict[str, Any]]) -> None:
        self._events_or_adapter_error(batch)

    @staticmethod
    def _events_or_adapter_error(payload: Any) -> None:
        try:
            events = adapt_hubspot(payload, HASHER)
        except AdapterError as exc:
            assert exc.reason
            assert ADDRESS not in exc.reason
            return
        assert isinstance(events, list)
        assert all(ADDRESS not in event.model_dump_json() for event in events)
