"""The complete Art. 30 record: DPO, legal bases, security measures, recipients without a store,
the processor's record (Art. 30(2)), and the diff against a previous export."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import fields, replace
from datetime import date
from pathlib import Path

import pytest

import lineage
from lineage.domain.catalog import Catalog, parse_catalog
from lineage.domain.ropa import (
    RECIPIENT_ONLY,
    ProcessorRow,
    RopaRow,
    processor_record,
    processor_record_csv,
    record_json,
    record_of_processing,
    ropa_csv,
    ropa_json,
)
from lineage.domain.ropa_diff import (
    NOT_COMPARED,
    diff_json,
    diff_records,
    diff_summary,
    parse_record,
    record_entries,
)
from lineage.domain.transfer_chains import catalog_hops
from lineage.errors import CatalogError, QueryError
from lineage.reference import default_transfer_rules

DEMO = Path(lineage.__file__).parent / "catalogs" / "demo.yaml"
TODAY = date(2026, 11, 22)
RULES = default_transfer_rules()

BASE = """
organisation: Test SAS
dpo: {name: DPO office, email: dpo@test.example, address: "1 rue de la Paix, Paris"}
security_measures: [role-based access]
processors:
  - {id: p, name: P SAS, country: FR}
  - {id: us, name: US Inc., country: US}
  - {id: us-scc, name: US SCC Inc., country: US, transfer_mechanism: {kind: sccs, module: 3}}
systems:
  - id: crm
    name: CRM
    kind: crm
    processor: p
    security_measures: [encryption at rest]
    stores:
      - {id: crm/contacts, country: FR, subject_types: [prospect, customer],
         categories: [user.contact.email, user.name],
         purposes: [{purpose: sales, legal_basis: legitimate_interests}], legal_basis: contract}
      - {id: crm/deals, country: FR, subject_types: [customer], categories: [user.financial],
         purposes: [sales, finance], legal_basis: contract}
  - id: hr
    name: HR
    kind: recruitment
    processor: p
    stores:
      - {id: hr/candidates, country: FR, subject_types: [job_applicant],
         categories: [user.content.private.cv], purposes: [employment.recruitment]}
"""
RECIPIENTS = """
recipients:
  - {id: tax, name: Tax authority, kind: authority, country: FR, legal_basis: legal_obligation,
     purposes: [finance], source: "policy §4"}
  - {id: employers, name: Client employers, kind: controller, categories: [user.content.private],
     when: on a placement}
  - {id: buyer, name: Buyer of the business, kind: third_party, when: "in a sale; on signing"}
  - {id: prospects-only, name: Prospect brokers, kind: third_party, subject_types: [prospect]}
  - {id: deals-only, name: Deal auditor, kind: third_party, stores: [crm/deals]}
"""
CLIENTS = """
processing_for_clients:
  - id: printing
    client: Print clients
    contact: the purchase order
    activities: [printing, delivery]
    subject_types: [customer]
    categories: [user]
    systems: [crm]
    stores: [crm/contacts]
    sub_processors: [us, us-scc]
    security_measures: [client data kept apart]
    retention: as agreed, else 5 years
    source: policy §3
"""


def catalog_of(*parts: str) -> Catalog:
    return parse_catalog(BASE + "".join(parts))


def rows_of(catalog: Catalog) -> list[RopaRow]:
    return record_of_processing(catalog, catalog_hops(catalog, RULES, TODAY), [], [])


def row(rows: list[RopaRow], system: str, purpose: str) -> RopaRow:
    return next(r for r in rows if r.system == system and r.purpose == purpose)


class TestCatalog:
    def test_the_sections_load(self) -> None:
        catalog = catalog_of(RECIPIENTS, CLIENTS)
        assert [r.id for r in catalog.recipients] == [
            "tax",
            "employers",
            "buyer",
            "prospects-only",
            "deals-only",
        ]
        assert catalog.security_measures == ("role-based access",)
        assert catalog.systems[0].security_measures == ("encryption at rest",)
        assert catalog.processing_for_clients[0].sub_processors == ("us", "us-scc")

    @pytest.mark.parametrize(
        ("extra", "problem"),
        [
            (
                "recipients: [{id: r, name: R, kind: third_party, stores: [crm/nowhere]}]\n",
                "recipient 'r' names unknown store 'crm/nowhere'",
            ),
            (
                "processing_for_clients: [{id: c, client: C, activities: [a], stores: [x/y]}]\n",
                "processing_for_clients 'c' names unknown store 'x/y'",
            ),
            (
                "processing_for_clients: [{id: c, client: C, activities: [a], systems: [erp]}]\n",
                "processing_for_clients 'c' names unknown system 'erp'",
            ),
            (
                "processing_for_clients: [{id: c, client: C, activities: [a], sub_processors: [ghost]}]\n",
                "processing_for_clients 'c' names unknown sub-processor 'ghost'",
            ),
            (
                "recipients: [{id: r, name: R, kind: authority}, {id: r, name: S, kind: authority}]\n",
                "duplicate recipient id 'r'",
            ),
            ("recipients: [{id: r, name: R, kind: neighbour}]\n", "kind"),
            (
                "recipients: [{id: r, name: R, kind: authority, categories: [user.shoe_size]}]\n",
                "user.shoe_size",
            ),
            ("recipients: [{id: r, name: R, kind: authority, purposes: [gossip]}]\n", "gossip"),
            ("processing_for_clients: [{id: c, client: C, activities: []}]\n", "activities"),
        ],
    )
    def test_unknowns_are_refused_with_what_is_wrong(self, extra: str, problem: str) -> None:
        with pytest.raises(CatalogError) as refused:
            catalog_of(extra)
        assert problem in str(refused.value)

    def test_the_demo_catalog_declares_the_seed_recipients_and_clients(self) -> None:
        demo = parse_catalog(DEMO.read_text(encoding="utf-8"))
        kinds = {r.id: r.kind.value for r in demo.recipients}
        assert kinds["tax-social-authorities"] == "authority"
        assert kinds["statutory-auditors"] == "third_party"
        assert {"payroll-provider", "acquirer", "external-lawyers", "placement-partners"} <= set(kinds)
        assert all(r.source.startswith("seed ") for r in demo.recipients)
        assert [c.id for c in demo.processing_for_clients] == [
            "client-print-datasets",
            "client-web-applications",
        ]
        assert demo.security_measures


class TestColumns:
    def test_dpo_on_every_row(self) -> None:
        rows = rows_of(catalog_of())
        assert {r.dpo for r in rows} == {"DPO office <dpo@test.example>, 1 rue de la Paix, Paris"}
        assert "dpo" in ropa_csv(rows).splitlines()[0].split(",")

    def test_no_dpo_is_an_empty_cell(self) -> None:
        catalog = catalog_of().model_copy(update={"dpo": None})
        assert {r.dpo for r in rows_of(catalog)} == {""}

    def test_legal_bases_all_listed_and_a_missing_one_flagged(self) -> None:
        rows = rows_of(catalog_of())
        assert row(rows, "crm", "sales").legal_basis == ("legitimate_interests", "contract")
        assert row(rows, "crm", "finance").legal_basis == ("contract",)
        recruitment = row(rows, "hr", "employment.recruitment")
        assert recruitment.legal_basis == ()
        assert "no legal basis declared for purpose employment.recruitment" in recruitment.flags
        assert not any("legal basis" in f for f in row(rows, "crm", "sales").flags)

    def test_security_measures_organisation_then_system(self) -> None:
        rows = rows_of(catalog_of())
        assert row(rows, "crm", "sales").security_measures == ("role-based access", "encryption at rest")
        assert row(rows, "hr", "employment.recruitment").security_measures == ("role-based access",)

    def test_no_security_measure_at_all_is_flagged(self) -> None:
        bare = catalog_of().model_copy(update={"security_measures": ()})
        hr = row(rows_of(bare), "hr", "employment.recruitment")
        assert hr.security_measures == ()
        assert "no security measures described (Art. 30(1)(g))" in hr.flags
        assert not any("security" in f for f in row(rows_of(bare), "crm", "sales").flags)

    def test_recipients_without_store_reach_the_activities_they_match(self) -> None:
        rows = rows_of(catalog_of(RECIPIENTS))
        names = {(r.system, r.purpose): [o.split(" (")[0] for o in r.other_recipients] for r in rows}
        assert names[("crm", "finance")] == ["Tax authority", "Buyer of the business", "Deal auditor"]
        assert names[("crm", "sales")] == ["Buyer of the business", "Prospect brokers", "Deal auditor"]
        # user.content.private covers the CV: the employers receive from recruitment only
        assert names[("hr", "employment.recruitment")] == ["Client employers", "Buyer of the business"]

    def test_a_recipient_is_described_with_kind_country_basis_condition_source(self) -> None:
        finance = row(rows_of(catalog_of(RECIPIENTS)), "crm", "finance")
        assert finance.other_recipients[0] == "Tax authority (authority, FR, legal_obligation, policy §4)"
        # its own "; " would split the CSV cell in two
        assert finance.other_recipients[1] == "Buyer of the business (third party, in a sale, on signing)"
        assert "FR" in finance.countries
        cell = next(csv.DictReader(io.StringIO(ropa_csv([finance]))))["other_recipients"]
        assert len(cell.split("; ")) == len(finance.other_recipients)

    def test_a_recipient_no_activity_matches_gets_a_flagged_row(self) -> None:
        lost = (
            "recipients: [{id: school, name: Language schools, kind: processor, purposes: [personalize]}]\n"
        )
        rows = rows_of(catalog_of(lost))
        (own,) = [r for r in rows if r.system == RECIPIENT_ONLY]
        assert own.activity == "Language schools: receives from no activity"
        assert own.purpose == "personalize"
        assert own.other_recipients == ("Language schools (processor)",)
        assert own.flags == (
            "recipient school receives from no activity: none has the purposes, stores, categories "
            "and subject types it is declared for",
        )
        assert rows[0] is own  # "(recipient)" sorts before every system id

    def test_the_demo_names_the_seed_recipients(self) -> None:
        demo = parse_catalog(DEMO.read_text(encoding="utf-8"))
        rows = rows_of(demo)
        billing = " | ".join(row(rows, "billing", "finance").other_recipients)
        assert "Tax and social security authorities (authority, FR, legal_obligation" in billing
        assert "External statutory auditors" in billing and "Payroll provider" in billing
        recruitment = " | ".join(row(rows, "greenhouse", "employment.recruitment").other_recipients)
        assert "Client employers and partner agencies" in recruitment
        assert "Tax and social" not in recruitment  # candidates are no customers nor prospects
        assert all("Buyer or seller of the business" in " | ".join(r.other_recipients) for r in rows)
        assert not [r for r in rows if r.system == RECIPIENT_ONLY]
        assert "seed 001" in " ".join(row(rows, "brevo", "marketing.communications.email").security_measures)


class TestProcessorRecord:
    @pytest.fixture
    def entry(self) -> ProcessorRow:
        (only,) = processor_record(catalog_of(CLIENTS), RULES, TODAY)
        return only

    def test_what_art_30_2_asks(self, entry: ProcessorRow) -> None:
        assert (entry.client, entry.contact, entry.processor) == (
            "Print clients",
            "the purchase order",
            "Test SAS",
        )
        assert entry.dpo.startswith("DPO office <dpo@test.example>")
        assert entry.activities == ("printing", "delivery")
        assert (entry.systems, entry.stores) == (("crm",), ("crm/contacts",))
        assert entry.sub_processors == ("P SAS", "US Inc.", "US SCC Inc.")
        assert entry.countries == ("FR", "US")
        assert entry.security_measures == (
            "role-based access",
            "encryption at rest",
            "client data kept apart",
        )
        assert (entry.retention, entry.source) == ("as agreed, else 5 years", "policy §3")

    def test_sub_processor_hops_are_onward(self, entry: ProcessorRow) -> None:
        """As a processor, the organisation exports to its sub-processors under SCC module 3:
        the one with module 3 is safeguarded, the one without any mechanism is flagged."""
        unsafe, safe = entry.transfers
        assert unsafe.startswith("printing via us -> US: unapproved")
        assert safe.startswith("printing via us-scc -> US: safeguarded, SCCs module 3")
        assert entry.flags == (f"transfer without a valid mechanism: {unsafe}",)

    def test_missing_contact_and_security_are_flagged(self) -> None:
        bare = CLIENTS.replace("    contact: the purchase order\n", "").replace(
            "    security_measures: [client data kept apart]\n", ""
        )
        catalog = catalog_of(bare).model_copy(update={"security_measures": ()})
        catalog = catalog.model_copy(
            update={"systems": tuple(s.model_copy(update={"security_measures": ()}) for s in catalog.systems)}
        )
        (entry,) = processor_record(catalog, RULES, TODAY)
        assert "no contact details for the client (Art. 30(2)(a))" in entry.flags
        assert "no security measures described (Art. 30(2)(d))" in entry.flags

    def test_csv_and_json(self, entry: ProcessorRow) -> None:
        parsed = list(csv.DictReader(io.StringIO(processor_record_csv([entry]))))
        assert list(parsed[0]) == [f.name for f in fields(ProcessorRow)]
        assert parsed[0]["sub_processors"] == "P SAS; US Inc.; US SCC Inc."
        assert record_json([entry])[0]["activities"] == ["printing", "delivery"]
        assert processor_record_csv([]).strip() == ",".join(f.name for f in fields(ProcessorRow))

    def test_the_demo_processor_record_for_seed_003(self) -> None:
        demo = parse_catalog(DEMO.read_text(encoding="utf-8"))
        prints, web = processor_record(demo, RULES, TODAY)
        assert prints.systems == ("ovh", "gmail", "dropbox") and prints.stores == ()
        assert prints.sub_processors == ("OVH SAS, Roubaix", "Google LLC", "Dropbox, Inc.")
        # Gmail under the system's Privacy Shield claim, Dropbox under its own: both invalid
        assert len([f for f in prints.flags if f.startswith("transfer without a valid mechanism")]) == 2
        assert web.transfers == () and web.flags == ()
        assert "seed 003 §4" in web.source


@pytest.fixture
def previous() -> list[RopaRow]:
    return rows_of(catalog_of(RECIPIENTS))


class TestDiff:
    def test_the_same_record_has_no_difference(self, previous: list[RopaRow]) -> None:
        for text, name in ((ropa_csv(previous), "r.csv"), (json.dumps(ropa_json(previous)), "r.json")):
            diff = diff_records(parse_record(text, name), record_entries(previous))
            assert diff.empty and diff_summary(diff) == "no change to the record"

    def test_the_demo_record_reads_back_unchanged_from_its_csv(self) -> None:
        """Every cell of the demo's record (rule descriptions citing policies included) splits
        back into the items it was written from."""
        demo = rows_of(parse_catalog(DEMO.read_text(encoding="utf-8")))
        assert any("once rejection" in r for row in demo for r in row.retention)
        for text, name in ((ropa_csv(demo), "r.csv"), (json.dumps(ropa_json(demo)), "r.json")):
            diff = diff_records(parse_record(text, name), record_entries(demo))
            assert diff.empty, diff_json(diff)

    @pytest.mark.parametrize("as_json", [False, True])
    def test_changed_basis_added_recipient_removed_activity(
        self, previous: list[RopaRow], as_json: bool
    ) -> None:
        text = json.dumps(ropa_json(previous)) if as_json else ropa_csv(previous)
        changed = (
            BASE.replace(
                "{purpose: sales, legal_basis: legitimate_interests}",
                "{purpose: sales, legal_basis: consent}",
            ).replace("purposes: [sales, finance]", "purposes: [sales]")
            + RECIPIENTS
            + "  - {id: bank, name: The bank, kind: third_party, purposes: [sales]}\n"
        )
        current = rows_of(parse_catalog(changed))
        diff = diff_records(parse_record(text, "old.json" if as_json else "old.csv"), record_entries(current))
        assert diff.removed == ("crm / finance",)
        # the tax authority received from finance only: it now stands alone, flagged
        assert diff.added == ("(recipient) / finance / Tax authority: receives from no activity",)
        (sales,) = diff.changed
        assert sales.key == "crm / sales"
        by_field = {f.field: f for f in sales.changes}
        assert {"legal_basis", "other_recipients"} <= set(by_field) and "activity" not in by_field
        basis = by_field["legal_basis"]
        assert (basis.added, basis.removed) == (("consent",), ("legitimate_interests",))
        assert by_field["other_recipients"].added == ("The bank (third party)",)
        assert diff_summary(diff) == "1 added, 1 removed, 1 changed"

    def test_an_added_activity_and_a_changed_scalar(self, previous: list[RopaRow]) -> None:
        current = rows_of(parse_catalog(BASE.replace("name: CRM\n", "name: Sales CRM\n") + RECIPIENTS))
        current += [replace(current[0], system="erp", purpose="sales", activity="ERP: sales")]
        diff = diff_records(parse_record(ropa_csv(previous), "x.csv"), record_entries(current))
        assert diff.added == ("erp / sales",)
        names = {c.key: {f.field: (f.before, f.after) for f in c.changes} for c in diff.changed}
        assert names["crm / sales"]["activity"] == ("CRM: sales", "Sales CRM: sales")

    def test_counts_are_not_compared(self, previous: list[RopaRow]) -> None:
        busier = [replace(r, subjects_observed=r.subjects_observed + 7, consent_given=3) for r in previous]
        assert diff_records(parse_record(ropa_csv(previous), "a.csv"), record_entries(busier)).empty
        assert {"subjects_observed", "consent_withdrawn", "consent_given"} == NOT_COMPARED

    def test_an_older_export_without_the_new_columns(self, previous: list[RopaRow]) -> None:
        old = [
            {k: v for k, v in r.items() if k not in ("dpo", "security_measures")} for r in ropa_json(previous)
        ]
        diff = diff_records(parse_record(json.dumps(old), "old.json"), record_entries(previous))
        assert diff.empty
        assert diff.columns_added == ("dpo", "security_measures")

    def test_json_detected_by_content_and_the_diff_as_json(self, previous: list[RopaRow]) -> None:
        entries = parse_record("\n " + json.dumps(ropa_json(previous[1:])), "previous-record")
        data = diff_json(diff_records(entries, record_entries(previous)))
        assert data["added"] == [f"{previous[0].system} / {previous[0].purpose}"]
        assert json.loads(json.dumps(data)) == data

    @pytest.mark.parametrize(
        ("text", "name", "problem"),
        [
            ("{not json", "r.json", "not valid JSON"),
            ('{"activity": 1}', "r.json", "a list of activities"),
            ("", "r.csv", "empty"),
            ("name,email\nx,y\n", "r.csv", "no activity, system, purpose column"),
        ],
    )
    def test_a_file_that_is_no_export_is_refused(self, text: str, name: str, problem: str) -> None:
        with pytest.raises(QueryError, match=problem):
            parse_record(text, name)
