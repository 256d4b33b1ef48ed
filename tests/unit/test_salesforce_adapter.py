"""The Salesforce CDC adapter against recorded payloads, hostile payloads and arbitrary JSON."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.adapters.salesforce import CHANGE_TYPES, FIELDS, adapt_salesforce
from lineage.domain.events import LegalBasis
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import AdapterError
from tests.strategies import JSON

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "salesforce"
HASHER = SubjectHasher(b"unit-test-key-0123456789")
ADDRESS = "lea.martin@example.fr"
LEAD_ID, CONTACT_ID = "00Q5g00000AbCdEFG", "0035g00000KlMnOPQA"
LEAD = HASHER.native("salesforce:lead", LEAD_ID)
CONTACT = HASHER.native("salesforce:contact", CONTACT_ID)
EMAIL_KEY = HASHER.email(ADDRESS)
PSEUDONYMOUS = ("user.unique_id.pseudonymous",)


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def adapt_one(payload: Any) -> Any:
    events = adapt_salesforce(payload, HASHER)
    assert len(events) == 1
    return events[0]


def with_header(name: str, **changes: Any) -> dict[str, Any]:
    """A fixture with header fields changed (None drops one)."""
    payload = copy.deepcopy(load(name))
    header = {**payload["ChangeEventHeader"], **changes}
    payload["ChangeEventHeader"] = {k: v for k, v in header.items() if v is not None}
    return payload


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# fixture -> (action, store, subject type, key, categories, links, time, event id)
EXPECTED: dict[str, tuple[Any, ...]] = {
    "lead_create": (
        "collected",
        "salesforce/leads",
        SubjectType.PROSPECT,
        LEAD,
        ("user.contact.email", "user.contact.organization", "user.name.first", "user.name.last"),
        (EMAIL_KEY,),
        at(2026, 3, 6, 10, 10),
        f"salesforce:0004a1b2-c3d4-e5f6-0718-293a4b5c6d7e:1:{LEAD}",
    ),
    "contact_update": (
        "updated",
        "salesforce/contacts",
        SubjectType.CUSTOMER,
        CONTACT,
        ("user.contact.address.city", "user.contact.address.postal_code", "user.contact.email"),
        (EMAIL_KEY,),
        at(2026, 3, 7, 9, 0),
        f"salesforce:0009f3e2-71aa-4c1b-9d0e-5f6a7b8c9d0e:1:{CONTACT}",
    ),
    "contact_delete": (
        "erased",
        "salesforce/contacts",
        SubjectType.CUSTOMER,
        CONTACT,
        (),
        (),
        at(2026, 4, 1, 6),
        f"salesforce:000a7c1d-22b3-4e4f-8a9b-0c1d2e3f4a5b:1:{CONTACT}",
    ),
    "lead_gap_update": (
        "updated",
        "salesforce/leads",
        SubjectType.PROSPECT,
        LEAD,
        PSEUDONYMOUS,
        (),
        at(2026, 3, 8, 9, 0),
        f"salesforce:000b1e2f-3a4b-5c6d-7e8f-9a0b1c2d3e4f:1:{LEAD}",
    ),
}


class TestSalesforceFixtures:
    def test_every_fixture_file_is_covered(self) -> None:
        assert sorted(p.stem for p in FIXTURES.glob("*.json")) == sorted(EXPECTED)

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_fixture_maps_to_expected_event(self, name: str) -> None:
        action, store, subject_type, key, categories, links, when, event_id = EXPECTED[name]
        payload = load(name)
        event = adapt_one(payload)
        header = payload["ChangeEventHeader"]
        assert event.action == action
        assert event.store == store
        assert (event.subject.type, event.subject.key, event.subject.links) == (subject_type, key, links)
        assert event.categories == categories
        assert event.occurred_at == when
        assert event.occurred_at.utcoffset().total_seconds() == 0
        assert event.event_id == event_id
        assert event.source == "salesforce"
        assert event.native_type == f"salesforce:{header['entityName']}.{header['changeType']}"
        collects = action != "erased"
        assert event.purpose == ("sales" if collects else None)
        assert event.legal_basis == (LegalBasis.LEGITIMATE_INTERESTS if collects else None)

    @pytest.mark.parametrize("name", sorted(EXPECTED))
    def test_raw_values_never_leave(self, name: str) -> None:
        dumped = adapt_one(load(name)).model_dump_json()
        for raw in (ADDRESS, "lea.martin", "Martin", "Atelier Nord", "Lille", "59000", LEAD_ID, CONTACT_ID):
            assert raw not in dumped

    def test_same_payload_same_id_and_fixtures_differ(self) -> None:
        ids = [adapt_one(load(name)).event_id for name in sorted(EXPECTED)]
        assert ids == [adapt_one(load(name)).event_id for name in sorted(EXPECTED)]
        assert len(set(ids)) == len(ids)

    def test_gap_is_marked_in_native_type(self) -> None:
        assert "GAP_UPDATE" in adapt_one(load("lead_gap_update")).native_type


MOMENTS = FIXTURES / "moments"


def contract(name: str, **fields: Any) -> dict[str, Any]:
    """A Contract change event fixture with some fields changed (None drops one)."""
    event = json.loads((MOMENTS / f"{name}.json").read_text(encoding="utf-8"))
    event.update(fields)
    return {key: value for key, value in event.items() if value is not None}


class TestSalesforceContractEnd:
    def test_every_moment_fixture_is_covered(self) -> None:
        assert sorted(p.stem for p in MOMENTS.glob("*.json")) == ["contract_activated", "contract_expired"]

    def test_expired_contract_ends_the_signers_contract_at_the_commit(self) -> None:
        event = adapt_one(contract("contract_expired"))
        assert (event.action, event.activity) == ("activity", "contract_ended")
        assert event.occurred_at == datetime(2026, 6, 30, 16, 45, tzinfo=UTC)
        assert (event.store, event.categories, event.purpose) == ("salesforce/contacts", (), "sales")
        assert (event.subject.key, event.subject.type) == (CONTACT, SubjectType.CUSTOMER)
        assert event.native_type == "salesforce:Contract.UPDATE"
        assert event.event_id.startswith("salesforce:000a7c31-5e2f-4d8b-a1c9-3e4f5a6b7c8d:1:")
        dumped = event.model_dump_json()
        assert CONTACT_ID not in dumped and "8005g00000QrStUVWA" not in dumped

    @pytest.mark.parametrize("status", ["Terminated", " expired "])
    def test_terminated_or_any_case_ends_it_too(self, status: str) -> None:
        assert adapt_one(contract("contract_expired", Status=status)).activity == "contract_ended"

    def test_status_code_alone_ends_it(self) -> None:
        payload = contract("contract_expired", Status=None, StatusCode="Expired")
        payload["ChangeEventHeader"]["changedFields"] = ["StatusCode"]
        assert adapt_one(payload).activity == "contract_ended"

    def test_activation_and_other_changes_record_nothing(self) -> None:
        assert adapt_salesforce(contract("contract_activated"), HASHER) == []
        unchanged = contract("contract_expired")
        unchanged["ChangeEventHeader"]["changedFields"] = ["Description"]
        assert adapt_salesforce(unchanged, HASHER) == []

    @pytest.mark.parametrize("change", ["CREATE", "DELETE", "UNDELETE", "GAP_UPDATE"])
    def test_only_an_update_ends_a_contract(self, change: str) -> None:
        payload = contract("contract_expired")
        payload["ChangeEventHeader"]["changeType"] = change
        assert adapt_salesforce(payload, HASHER) == []

    def test_future_end_date_starts_nothing(self) -> None:
        payload = contract("contract_activated", EndDate="2027-06-30")
        payload["ChangeEventHeader"]["changedFields"] = ["EndDate"]
        assert adapt_salesforce(payload, HASHER) == []

    def test_without_the_enriched_signer_the_end_is_refused_saying_what_to_enrich(self) -> None:
        with pytest.raises(AdapterError) as caught:
            adapt_salesforce(contract("contract_expired", CustomerSignedId=None), HASHER)
        assert "enrich the Contract change events with CustomerSignedId" in caught.value.reason

    def test_contract_nobody_signed_records_nothing(self) -> None:
        payload = contract("contract_expired")
        payload["CustomerSignedId"] = None
        assert adapt_salesforce(payload, HASHER) == []

    @pytest.mark.parametrize(
        ("field", "value", "reason"),
        [
            ("CustomerSignedId", "Léa", "CustomerSignedId is not a Salesforce id"),
            ("Status", 3, "Status is not a string"),
        ],
    )
    def test_malformed_fields_are_refused_without_their_value(
        self, field: str, value: Any, reason: str
    ) -> None:
        with pytest.raises(AdapterError) as caught:
            adapt_salesforce(contract("contract_expired", **{field: value}), HASHER)
        assert caught.value.reason == reason

    def test_one_event_per_contract_of_a_merged_change(self) -> None:
        payload = contract("contract_expired")
        payload["ChangeEventHeader"]["recordIds"] = ["8005g00000QrStUVWA", "8005g00000QrStUVWB"]
        events = adapt_salesforce(payload, HASHER)
        assert [e.subject.key for e in events] == [CONTACT, CONTACT]
        assert len({e.event_id for e in events}) == 2


class TestSalesforceMapping:
    @pytest.mark.parametrize("entity", ["Account", "Opportunity", "MyObject__c"])
    def test_other_objects_record_nothing(self, entity: str) -> None:
        assert adapt_salesforce(with_header("lead_create", entityName=entity), HASHER) == []

    def test_undelete_collects_like_create(self) -> None:
        event = adapt_one(with_header("lead_create", changeType="UNDELETE"))
        assert (event.action, event.categories) == ("collected", EXPECTED["lead_create"][4])

    def test_create_reads_compound_fields_and_skips_nulls(self) -> None:
        payload = {
            "ChangeEventHeader": load("lead_create")["ChangeEventHeader"],
            "Name": {"Salutation": None, "FirstName": "Léa", "LastName": "Martin"},
            "Address": {"Street": "1 rue X", "City": None},
            "Phone": None,
            "Title": "CTO",
            "Status": "Open",
            "Custom__c": "x",
        }
        event = adapt_one(payload)
        assert event.categories == (
            "user.contact.address.street",
            "user.job_title",
            "user.name.first",
            "user.name.last",
        )
        assert event.subject.links == ()

    def test_create_without_known_fields_is_pseudonymous(self) -> None:
        payload = {"ChangeEventHeader": load("lead_create")["ChangeEventHeader"], "LeadSource": "Web"}
        assert adapt_one(payload).categories == PSEUDONYMOUS

    @pytest.mark.parametrize(
        ("fields", "categories"),
        [
            (["Name.LastName", "LastModifiedDate"], ("user.name.last",)),
            (
                ["MailingStreet", "OtherCity", "MobilePhone"],
                ("user.contact.address.city", "user.contact.address.street", "user.contact.phone_number"),
            ),
            (["OwnerId", "LastModifiedDate", "SystemModstamp"], PSEUDONYMOUS),
        ],
    )
    def test_update_reads_changed_fields(self, fields: list[str], categories: tuple[str, ...]) -> None:
        payload = with_header("contact_update", changedFields=fields)
        del payload["Email"]
        assert adapt_one(payload).categories == categories

    def test_nulled_fields_count_as_changed(self) -> None:
        payload = with_header("contact_update", changedFields=["LastModifiedDate"], nulledFields=["Phone"])
        del payload["Email"], payload["MailingAddress"]
        assert adapt_one(payload).categories == ("user.contact.phone_number",)

    @pytest.mark.parametrize("bitmap", [["0x08F81000"], ["0x1F", "3-0x02"]])
    def test_undecoded_bitmap_reads_the_fields_present(self, bitmap: list[str]) -> None:
        """Pub/Sub API bitmaps (Salesforce's lead conversion example sends ``0x08F81000``) name
        no field: an e-mail change behind one must not be taken for a touch of the record only."""
        payload = with_header("contact_update", changedFields=bitmap)
        assert adapt_one(payload).categories == EXPECTED["contact_update"][4]
        payload = with_header("contact_update", changedFields=["Title", *bitmap])
        del payload["Email"], payload["MailingAddress"]
        assert adapt_one(payload).categories == ("user.job_title",)

    def test_update_without_changed_fields_reads_fields_present(self) -> None:
        event = adapt_one(with_header("contact_update", changedFields=None))
        assert event.categories == EXPECTED["contact_update"][4]

    @pytest.mark.parametrize(
        ("change", "action"),
        [("GAP_CREATE", "updated"), ("GAP_UNDELETE", "updated"), ("GAP_DELETE", "erased")],
    )
    def test_gap_events(self, change: str, action: str) -> None:
        event = adapt_one(with_header("lead_gap_update", changeType=change))
        assert (event.action, event.native_type) == (action, f"salesforce:Lead.{change}")
        assert event.categories == (PSEUDONYMOUS if action == "updated" else ())

    def test_every_table_field_is_a_known_category(self) -> None:
        payload = {
            "ChangeEventHeader": load("lead_create")["ChangeEventHeader"],
            **{name: "x" for name in FIELDS if name != "Email"},
        }
        assert set(adapt_one(payload).categories) == set(FIELDS.values()) - {"user.contact.email"}

    def test_merged_records_get_one_event_each_without_link(self) -> None:
        other = "00Q5g00000ZzYyXxW"
        payload = with_header("lead_create", recordIds=[LEAD_ID, other, LEAD_ID])
        events = adapt_salesforce(payload, HASHER)
        keys = [LEAD, HASHER.native("salesforce:lead", other)]
        assert [e.subject.key for e in events] == keys
        assert [e.event_id.rsplit(":", 1)[1] for e in events] == keys
        assert all(e.subject.links == () for e in events)

    def test_lead_conversion_links_the_contact(self) -> None:
        payload = with_header("lead_create", changeType="UPDATE", changedFields=["ConvertedContactId"])
        payload["ConvertedContactId"] = CONTACT_ID
        assert adapt_one(payload).subject.links == tuple(sorted((EMAIL_KEY, CONTACT)))

    def test_removed_email_has_no_link(self) -> None:
        payload = load("contact_update")
        payload["Email"] = None
        assert adapt_one(payload).subject.links == ()

    def test_digit_string_commit_timestamp_reads_like_the_number(self) -> None:
        (text,) = adapt_salesforce(with_header("lead_create", commitTimestamp="1772791800000"), HASHER)
        (number,) = adapt_salesforce(load("lead_create"), HASHER)
        assert text == number

    def test_id_without_transaction_key_hashes_the_header(self) -> None:
        payload = with_header("lead_create", transactionKey=None)
        event = adapt_one(payload)
        assert event.event_id.startswith("salesforce:h") and event.event_id.endswith(f":{LEAD}")
        assert event.event_id == adapt_one(copy.deepcopy(payload)).event_id
        later = with_header("lead_create", transactionKey=None, commitTimestamp=1772791800001)
        assert adapt_one(later).event_id != event.event_id
        assert ADDRESS not in event.event_id

    def test_cometd_envelope_is_unwrapped(self) -> None:
        wrapped = {
            "schema": "Jx8Hz9ElkIUaBf-heF1ShA",
            "payload": load("lead_create"),
            "event": {"replayId": 4711},
        }
        assert adapt_one(wrapped) == adapt_one(load("lead_create"))

    def test_array_of_events(self) -> None:
        batch = [
            load("lead_create"),
            with_header("lead_create", entityName="Account"),
            load("contact_delete"),
        ]
        assert [e.action for e in adapt_salesforce(batch, HASHER)] == ["collected", "erased"]


BAD_PAYLOADS: dict[str, tuple[Any, str]] = {
    "no header": ({"Email": ADDRESS}, "ChangeEventHeader is missing"),
    "header list": ({"ChangeEventHeader": []}, "ChangeEventHeader is missing"),
    "no entity": (with_header("lead_create", entityName=None), "entityName"),
    "no change type": (with_header("lead_create", changeType=None), "changeType is missing"),
    "unknown change type": (with_header("lead_create", changeType="SNAPSHOT"), "unknown changeType"),
    "change type address": (with_header("lead_create", changeType=ADDRESS), "unknown changeType"),
    "overflow": (with_header("lead_gap_update", changeType="GAP_OVERFLOW"), "gap overflow: re-synchronise"),
    "no record ids": (with_header("lead_create", recordIds=None), "recordIds is missing"),
    "empty record ids": (with_header("lead_create", recordIds=[]), "recordIds is missing"),
    "wildcard": (with_header("lead_create", recordIds=["00Q*"]), "wildcard: re-synchronise"),
    "record id address": (with_header("lead_create", recordIds=[ADDRESS]), "not a Salesforce id"),
    "no time": (with_header("lead_create", commitTimestamp=None), "commitTimestamp is missing"),
    "time seconds": (
        with_header("lead_create", commitTimestamp=1772791800),
        "commitTimestamp is outside the accepted window (2000-01-01",
    ),
    "time string": (with_header("lead_create", commitTimestamp="soon"), "not an integer"),
    "key number": (with_header("lead_create", transactionKey=7), "transactionKey"),
    "sequence bool": (with_header("lead_create", sequenceNumber=True), "sequenceNumber"),
    "changed string": (with_header("contact_update", changedFields="Email"), "changedFields"),
    "email invalid": ({**load("lead_create"), "Email": "lea.martin"}, "Email is not an address"),
    "email list": ({**load("lead_create"), "Email": [ADDRESS]}, "Email is not a string"),
    "converted garbage": ({**load("lead_create"), "ConvertedContactId": ADDRESS}, "ConvertedContactId"),
}


class TestSalesforceErrors:
    @pytest.mark.parametrize("payload", [None, "CREATE", 3, False])
    def test_payload_must_be_object_or_array(self, payload: Any) -> None:
        with pytest.raises(AdapterError, match="not an object or an array"):
            adapt_salesforce(payload, HASHER)

    @pytest.mark.parametrize("case", sorted(BAD_PAYLOADS))
    def test_bad_payload_raises_adapter_error_with_reason(self, case: str) -> None:
        payload, expected = BAD_PAYLOADS[case]
        with pytest.raises(AdapterError) as caught:
            adapt_salesforce(payload, HASHER)
        assert caught.value.source == "salesforce"
        assert expected in caught.value.reason
        assert "lea.martin" not in caught.value.reason

    def test_bad_element_in_array_is_named_by_index(self) -> None:
        batch = [load("lead_create"), with_header("lead_gap_update", changeType="GAP_OVERFLOW")]
        with pytest.raises(AdapterError) as caught:
            adapt_salesforce(batch, HASHER)
        assert caught.value.reason.startswith("event [1]: gap overflow: re-synchronise")


HEADER_FIELDS = [
    "entityName",
    "recordIds",
    "changeType",
    "changedFields",
    "nulledFields",
    "transactionKey",
    "sequenceNumber",
    "commitTimestamp",
]
BODY_FIELDS = ["Email", "FirstName", "Name", "MailingAddress", "ConvertedContactId", "ChangeEventHeader"]


@st.composite
def mutated_payloads(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event with header and body fields dropped or replaced by arbitrary JSON."""
    payload = copy.deepcopy(load(draw(st.sampled_from(sorted(EXPECTED)))))
    header = payload["ChangeEventHeader"]
    for key in draw(st.lists(st.sampled_from(HEADER_FIELDS), max_size=2)):
        header.pop(key, None)
    names = st.sampled_from(["Contact", "Lead", "Account", *CHANGE_TYPES, "GAP_OVERFLOW"])
    ids = st.sampled_from([[LEAD_ID], [LEAD_ID, CONTACT_ID], ["003*"], [ADDRESS], CONTACT_ID])
    header.update(draw(st.dictionaries(st.sampled_from(HEADER_FIELDS), JSON | names | ids, max_size=3)))
    body = JSON | st.sampled_from([ADDRESS, "a@b", "@x.fr", CONTACT_ID, {"City": "Lille"}])
    payload.update(draw(st.dictionaries(st.sampled_from(BODY_FIELDS), body, max_size=2)))
    return payload


class TestSalesforceTotality:
    """Whatever arrives, the adapter answers with events or an AdapterError, nothing else."""

    @settings(max_examples=300, deadline=None)
    @given(JSON)
    def test_any_json_value(self, value: Any) -> None:
        self._events_or_adapter_error(value)

    @settings(max_examples=500, deadline=None)
    @given(mutated_payloads())
    def test_mutated_valid_payloads(self, payload: dict[str, Any]) -> None:
        self._events_or_adapter_error(payload)

    @settings(max_examples=150, deadline=None)
    @given(st.lists(mutated_payloads(), max_size=3))
    def test_mutated_arrays(self, batch: list[dict[str, Any]]) -> None:
        self._events_or_adapter_error(batch)

    @staticmethod
    def _events_or_adapter_error(payload: Any) -> None:
        try:
            events = adapt_salesforce(payload, HASHER)
        except AdapterError as exc:
            assert exc.reason
            assert ADDRESS not in exc.reason
            return
        assert isinstance(events, list)
        assert all(ADDRESS not in event.model_dump_json() for event in events)
