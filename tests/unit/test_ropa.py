"""The record of processing activities on the demo catalog, with observations that disagree."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import fields
from datetime import date
from pathlib import Path

import pytest

import lineage
from lineage.domain.catalog import Catalog, Duration, RetentionRule, RetentionTrigger, parse_catalog
from lineage.domain.ropa import (
    UNDECLARED,
    ObservedFlow,
    ObservedStore,
    RopaRow,
    covers,
    record_of_processing,
    ropa_csv,
    ropa_json,
)
from lineage.domain.transfer_chains import TransferHop, catalog_hops
from lineage.reference import default_transfer_rules

DEMO = Path(lineage.__file__).parent / "catalogs" / "demo.yaml"
TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return parse_catalog(DEMO.read_text(encoding="utf-8"), str(DEMO))


@pytest.fixture(scope="module")
def hops(catalog: Catalog) -> list[TransferHop]:
    return catalog_hops(catalog, default_transfer_rules(), TODAY)


@pytest.fixture(scope="module")
def declared_only(catalog: Catalog, hops: list[TransferHop]) -> list[RopaRow]:
    return record_of_processing(catalog, hops, [], [])


def activities(catalog: Catalog) -> set[tuple[str, str]]:
    return {(system.id, purpose) for system, store in catalog.stores() for purpose in store.purposes}


def row_of(rows: list[RopaRow], system: str, purpose: str) -> RopaRow:
    return next(r for r in rows if r.system == system and r.purpose == purpose)


class TestActivities:
    def test_one_row_per_system_and_purpose(self, catalog: Catalog, declared_only: list[RopaRow]) -> None:
        expected = activities(catalog)
        assert [(r.system, r.purpose) for r in declared_only] == sorted(expected)
        assert len(expected) > len(catalog.systems)  # gmail serves two purposes, brevo's stores two
        assert all(r.controller == "Atelier Nord SAS (demo)" for r in declared_only)

    def test_stores_of_one_system_and_purpose_are_one_activity(self, declared_only: list[RopaRow]) -> None:
        sales = row_of(declared_only, "salesforce", "sales")
        assert sales.stores == ("salesforce/contacts", "salesforce/leads")
        assert sales.subject_types == ("customer", "prospect")
        assert sales.activity == "Salesforce Sales Cloud (second CRM, B2B accounts): sales"

    def test_a_store_with_two_purposes_is_in_two_activities(self, declared_only: list[RopaRow]) -> None:
        gmail = [r for r in declared_only if r.stores == ("gmail/mailboxes",)]
        assert [r.purpose for r in gmail] == ["employment.recruitment", "sales"]

    def test_declared_facts(self, declared_only: list[RopaRow]) -> None:
        hubspot = row_of(declared_only, "hubspot", "sales")
        assert hubspot.countries == ("DE", "IE", "FR")  # FR: the authorities and lawyers it may reach
        assert hubspot.recipients == ("HubSpot Ireland Ltd",)
        assert hubspot.transfers == ()
        assert hubspot.retention == (
            "3 years from last_contact (seed 003: prospects 3 years after the end of the relationship)",
            "5 years from end_of_contract for customer (seed 003: B2B client contacts 5 years after "
            "the end of the contract (Code civil 2224))",
        )
        assert hubspot.flags == ("no legal basis declared for purpose sales",)  # its events state it
        assert hubspot.subjects_observed == 0


class TestTransfers:
    def test_dropbox_is_flagged_as_an_unapproved_transfer(self, declared_only: list[RopaRow]) -> None:
        dropbox = row_of(declared_only, "dropbox", "employment.recruitment")
        assert len(dropbox.transfers) == 1
        assert dropbox.transfers[0].startswith("dropbox/recruitment via dropbox -> US: unapproved (")
        assert "Privacy Shield" in dropbox.transfers[0]
        assert f"transfer without a valid mechanism: {dropbox.transfers[0]}" in dropbox.flags
        assert "dropbox/recruitment has no retention rule" in dropbox.flags

    def test_brevo_lists_the_sms_sub_processor_chain(self, declared_only: list[RopaRow]) -> None:
        brevo = row_of(declared_only, "brevo", "marketing.communications.email")
        assert brevo.activity == "Brevo newsletter and transactional e-mail: marketing.communications.email"
        assert brevo.processors == ("sendinblue", "sms-gateway", "sms-support")
        assert brevo.recipients == (
            "Sendinblue SAS (Brevo), Paris",
            "SMS Gateway Inc.",
            "SMS Gateway support centre",
        )
        assert brevo.countries == ("FR", "US", "IN")
        us, india = brevo.transfers
        assert us.startswith("brevo/contacts via sendinblue -> sms-gateway -> US: safeguarded, SCCs module 3")
        assert india == (
            "brevo/contacts via sendinblue -> sms-gateway -> sms-support -> IN: unapproved "
            "(to IN: no transfer mechanism)"
        )
        assert brevo.flags == (f"transfer without a valid mechanism: {india}",)

    def test_hops_inside_the_eea_are_not_transfers(self, declared_only: list[RopaRow]) -> None:
        s3 = row_of(declared_only, "s3", "employment.recruitment")
        assert s3.countries == ("FR", "LU") and s3.transfers == ()

    def test_an_adequate_hop_is_named_and_not_flagged(self, declared_only: list[RopaRow]) -> None:
        ga = row_of(declared_only, "google-analytics", "analytics.reporting")
        assert ga.transfers[0].startswith("ga/user-data via google -> US: adequate, dpf (")
        assert ga.flags == ()


OBSERVED = (
    ObservedStore(
        "brevo/contacts",
        1200,
        ("newsletter_subscriber", "employee"),
        ("user.contact.email", "user.contact.phone_number"),
    ),
    ObservedStore("salesforce/contacts", 300, ("customer",), ("user.contact.email",)),
    ObservedStore("salesforce/leads", 450, ("prospect",), ("user.name",)),
    ObservedStore("dropbox/recruitment", 40, ("job_applicant",), ("user.content.private.cv",)),
    ObservedStore("mailchimp/audience", 75, ("newsletter_subscriber",), ("user.contact.email",)),
)
FLOWS = (
    ObservedFlow("brevo/contacts", "mailchimp/audience", ("user.contact.email",), 75),
    ObservedFlow("greenhouse/candidates", "dropbox/recruitment", ("user.content.private.cv",), 40),
    ObservedFlow("salesforce/leads", "hubspot/contacts", ("user.name", "user.behavior"), 12),
)


@pytest.fixture(scope="module")
def rows(catalog: Catalog, hops: list[TransferHop]) -> list[RopaRow]:
    return record_of_processing(catalog, hops, OBSERVED, FLOWS)


class TestObservations:
    def test_undeclared_category_and_subject_type_are_flagged(self, rows: list[RopaRow]) -> None:
        brevo = row_of(rows, "brevo", "marketing.communications.email")
        assert (
            "brevo/contacts: observed category user.contact.phone_number not declared for this store"
            in brevo.flags
        )
        assert "brevo/contacts: observed subject type employee not declared for this store" in brevo.flags
        assert not any("user.contact.email" in flag for flag in brevo.flags)

    def test_a_child_of_a_declared_category_is_declared(self, rows: list[RopaRow]) -> None:
        dropbox = row_of(rows, "dropbox", "employment.recruitment")
        assert not any("observed category" in flag for flag in dropbox.flags)
        assert covers(("user.content.private",), "user.content.private.cv")
        assert not covers(("user.content.private.cv",), "user.content.private")
        assert not covers(("user.name",), "user.name_suffix")

    def test_flow_to_an_undeclared_store_is_flagged(self, rows: list[RopaRow]) -> None:
        brevo = row_of(rows, "brevo", "marketing.communications.email")
        assert (
            "observed flow brevo/contacts -> mailchimp/audience (75 subjects): destination store not "
            "declared in the catalog"
        ) in brevo.flags

    def test_flow_carrying_categories_the_destination_does_not_declare(self, rows: list[RopaRow]) -> None:
        sales = row_of(rows, "salesforce", "sales")
        assert (
            "observed flow salesforce/leads -> hubspot/contacts (12 subjects) carries user.behavior, "
            "not declared by the destination store"
        ) in sales.flags
        greenhouse = row_of(rows, "greenhouse", "employment.recruitment")
        assert greenhouse.flags == ()  # the CV flow to Dropbox is declared there (user.content.private)

    def test_observed_undeclared_store_has_its_own_row(self, catalog: Catalog, rows: list[RopaRow]) -> None:
        undeclared = [r for r in rows if r.system == UNDECLARED]
        assert len(undeclared) == 1
        row = undeclared[0]
        assert row.stores == ("mailchimp/audience",)
        assert row.purpose == UNDECLARED
        assert row.flags == ("store not declared in the catalog",)
        assert row.subjects_observed == 75
        assert row.categories == ("user.contact.email",)
        assert rows[0] is row  # "(undeclared)" sorts before every system id
        assert len(rows) == len(activities(catalog)) + 1

    def test_a_store_seen_only_as_a_flow_destination_is_reported(
        self, catalog: Catalog, hops: list[TransferHop]
    ) -> None:
        flow = ObservedFlow("ovh/web-logs", "elk/logs", ("user.device.ip_address",), 900)
        rows = record_of_processing(catalog, hops, [], [flow])
        elk = row_of(rows, UNDECLARED, UNDECLARED)
        assert elk.stores == ("elk/logs",) and elk.subjects_observed == 900
        assert elk.categories == ("user.device.ip_address",)

    def test_subjects_observed_is_the_max_not_the_sum(self, rows: list[RopaRow]) -> None:
        assert row_of(rows, "salesforce", "sales").subjects_observed == 450
        assert row_of(rows, "brevo", "marketing.communications.email").subjects_observed == 1200
        assert row_of(rows, "hubspot", "sales").subjects_observed == 0


class TestExports:
    def test_csv_round_trips(self, catalog: Catalog, declared_only: list[RopaRow]) -> None:
        text = ropa_csv(declared_only)
        reader = csv.DictReader(io.StringIO(text))
        parsed = list(reader)
        assert reader.fieldnames == [f.name for f in fields(RopaRow)]
        assert reader.fieldnames[:3] == ["activity", "system", "purpose"]
        assert len(parsed) == len(declared_only) == len(activities(catalog))
        brevo = next(r for r in parsed if r["purpose"] == "marketing.communications.email")
        assert brevo["processors"] == "sendinblue; sms-gateway; sms-support"
        assert brevo["subjects_observed"] == "0"
        transfers = brevo["transfers"].split("; ")
        assert len(transfers) == 2  # reasons' own "; " do not split a hop in two
        assert transfers[0].endswith("Decision (EU) 2021/914, needs a transfer impact assessment)")
        assert brevo["recipients"].split("; ") == [
            "Sendinblue SAS (Brevo), Paris",
            "SMS Gateway Inc.",
            "SMS Gateway support centre",
        ]

    def test_json_is_plain(self, declared_only: list[RopaRow]) -> None:
        data = ropa_json(declared_only)
        assert json.loads(json.dumps(data)) == data
        dropbox = next(d for d in data if d["system"] == "dropbox")
        assert dropbox["stores"] == ["dropbox/recruitment"]
        assert dropbox["countries"] == ["US", "FR"]  # FR: the courts and lawyers it may reach
        assert isinstance(dropbox["flags"], list) and len(dropbox["flags"]) == 2


@pytest.fixture(scope="module")
def retention_rows(catalog: Catalog, hops: list[TransferHop]) -> list[RopaRow]:
    rules = (
        RetentionRule(
            system="gmail",
            purposes=("sales",),
            duration=Duration(months=18),
            trigger=RetentionTrigger.LAST_CONTACT,
            source="mail policy",
        ),
        RetentionRule(
            store="salesforce/contacts",
            categories=("user.contact.email",),
            duration=Duration(years=10, months=1),
            trigger=RetentionTrigger.END_OF_CONTRACT,
            legal_obligation=True,
        ),
        RetentionRule(
            system="salesforce",
            duration=Duration(years=1),
            trigger=RetentionTrigger.COLLECTION,
            source="CRM default",
        ),
    )
    return record_of_processing(catalog.model_copy(update={"retention": rules}), hops, [], [])


class TestRetention:
    """Rules are replaced here so the demo catalog's own retention section can evolve freely."""

    def test_a_system_rule_applies_only_to_its_purposes(self, retention_rows: list[RopaRow]) -> None:
        sales = row_of(retention_rows, "gmail", "sales")
        assert sales.retention == ("18 months from last_contact (mail policy)",)
        assert not any("retention" in flag for flag in sales.flags)
        recruitment = row_of(retention_rows, "gmail", "employment.recruitment")
        assert recruitment.retention == ()
        assert "gmail/mailboxes has no retention rule for purpose employment.recruitment" in recruitment.flags

    def test_multi_store_activity_names_the_rule_store(self, retention_rows: list[RopaRow]) -> None:
        sales = row_of(retention_rows, "salesforce", "sales")
        assert sales.retention == (
            "salesforce/contacts: 10 years 1 month from end_of_contract for user.contact.email, "
            "legal obligation",
            "1 year from collection (CRM default)",
        )
        assert not any("retention" in flag for flag in sales.flags)

    def test_a_store_without_any_rule_is_flagged(self, retention_rows: list[RopaRow]) -> None:
        assert (
            "dropbox/recruitment has no retention rule"
            in row_of(retention_rows, "dropbox", "employment.recruitment").flags
        )


ROPA_BASE = """
organisation: Test SAS
timezone: Europe/Paris
processors: [{id: p, name: P, country: FR}]
systems:
  - id: brevo
    name: Newsletter
    kind: newsletter
    processor: p
    stores:
      - {id: brevo/contacts, country: FR, subject_types: [prospect, customer],
         categories: [user.contact.email, user.name], purposes: [marketing.communications.email]}
retention:
"""


class TestRetentionMatchesLikeRetention:
    def test_a_rule_on_a_parent_purpose_covers_the_sub_purpose(self) -> None:
        cat = parse_catalog(
            ROPA_BASE + "  - {store: brevo/contacts, purposes: [marketing], "
            "duration: {years: 3}, trigger: last_contact}\n"
        )
        row = record_of_processing(cat, [], [], [])[0]
        assert row.retention == ("3 years from last_contact",)
        assert not [f for f in row.flags if "retention" in f]

    def test_a_category_held_with_no_rule_is_flagged(self) -> None:
        cat = parse_catalog(
            ROPA_BASE + "  - {store: brevo/contacts, categories: [user.contact], "
            "duration: {years: 3}, trigger: last_contact}\n"
        )
        seen = ObservedStore("brevo/contacts", 10, ("prospect",), ("user.contact.email", "user.behavior"))
        flags = [f for f in record_of_processing(cat, [], [seen], [])[0].flags if "retention" in f]
        assert flags == [
            "brevo/contacts: no retention rule for category user.name",
            "brevo/contacts: no retention rule for category user.behavior",
        ]

    def test_a_category_covered_for_one_subject_type_only_says_which_lack_one(self) -> None:
        cat = parse_catalog(
            ROPA_BASE + "  - {store: brevo/contacts, subject_types: [prospect], "
            "duration: {years: 3}, trigger: last_contact}\n"
        )
        flags = [f for f in record_of_processing(cat, [], [], [])[0].flags if "retention" in f]
        assert flags == [
            "brevo/contacts: no retention rule for category user.contact.email (subject types customer)",
            "brevo/contacts: no retention rule for category user.name (subject types customer)",
        ]

    def test_combined_and_zero_rules_are_described(self) -> None:
        cat = parse_catalog(
            ROPA_BASE
            + """  - store: brevo/contacts
    whichever: first
    clocks:
      - {duration: {years: 3}, trigger: last_contact}
      - {duration: {}, trigger: account_closure}
"""
        )
        assert record_of_processing(cat, [], [], [])[0].retention == (
            "3 years from last_contact or at account_closure, whichever comes first",
        )
