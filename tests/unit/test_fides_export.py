"""The Fides export of the demo catalog: the mapping, and fideslang reading the files back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fideslang.manifests import ingest_manifests
from fideslang.models import Dataset, System
from fideslang.parse import load_manifests_into_taxonomy

import lineage
from lineage.answers.fides import FILES, write
from lineage.domain.catalog import Catalog, parse_catalog
from lineage.domain.fides import FidesExport, fides_export, fides_key, unresolved_references
from lineage.domain.ropa import ObservedFlow, ObservedStore
from lineage.domain.transfer_chains import catalog_hops
from lineage.reference import default_transfer_rules

DEMO = Path(lineage.__file__).parent / "catalogs" / "demo.yaml"
TODAY = date(2026, 11, 22)
OBSERVED = [
    ObservedStore(
        "brevo/contacts", 3, ("newsletter_subscriber",), ("user.contact.email", "user.contact.phone_number")
    ),  # phone: not declared
    ObservedStore(
        "greenhouse/candidates", 2, ("job_applicant",), ("user.contact.email", "user.content.private.cv")
    ),
    ObservedStore("dropbox/recruitment", 1, ("job_applicant",), ("user.content.private.cv",)),
]
FLOWS = [
    ObservedFlow("s3://acme-hr-cv", "dropbox/recruitment", ("user.content.private.cv",), 1),
    ObservedFlow("greenhouse/candidates", "wetransfer/shared", ("user.content.private.cv",), 1),
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return parse_catalog(DEMO.read_text(encoding="utf-8"), str(DEMO))


@pytest.fixture(scope="module")
def export(catalog: Catalog) -> FidesExport:
    return fides_export(catalog, catalog_hops(catalog, default_transfer_rules(), TODAY), OBSERVED, FLOWS)


def system(export: FidesExport, key: str) -> System:
    return next(s for s in export.systems if s.fides_key == key)


def dataset(export: FidesExport, key: str) -> Dataset:
    return next(d for d in export.datasets if d.fides_key == key)


class TestKeys:
    def test_ids_become_fides_keys(self) -> None:
        assert fides_key("brevo/contacts") == "brevo_contacts"
        assert fides_key("s3://acme-hr-cv") == "s3___acme-hr-cv"
        assert fides_key("ga/user-data") == "ga_user-data"

    def test_two_ids_on_one_key_are_refused(self, catalog: Catalog) -> None:
        clash = [ObservedStore("brevo_contacts", 1, ("customer",), ("user.name",))]
        with pytest.raises(ValueError, match="'brevo/contacts' and 'brevo_contacts'"):
            fides_export(catalog, [], clash, [])


class TestSystems:
    def test_every_system_and_each_sub_processor(self, export: FidesExport, catalog: Catalog) -> None:
        keys = [s.fides_key for s in export.systems]
        assert set(keys) == {s.id for s in catalog.systems} | {
            "sub-processor.sms-gateway",
            "sub-processor.sms-support",
        }
        assert system(export, "sub-processor.sms-gateway").responsibility == ["Sub-Processor"]
        assert system(export, "hubspot").responsibility == ["Processor"]
        assert system(export, "hubspot").legal_name == "HubSpot Ireland Ltd"

    def test_declarations_per_purpose_with_observed_categories(self, export: FidesExport) -> None:
        brevo = system(export, "brevo")
        by_use = {d.data_use: d for d in brevo.privacy_declarations}
        assert set(by_use) == {"marketing.communications.email", "essential.service.notifications.email"}
        marketing = by_use["marketing.communications.email"]
        assert "user.contact.phone_number" in marketing.data_categories  # observed, undeclared
        assert marketing.data_subjects == ["newsletter_subscriber", "prospect", "customer"]
        assert marketing.dataset_references == ["brevo_contacts"]
        assert marketing.retention_period.startswith("3 years from last_contact")
        notifications = by_use["essential.service.notifications.email"]
        assert "user.contact.phone_number" not in notifications.data_categories

    def test_processor_chains_are_egress_and_ingress(self, export: FidesExport) -> None:
        brevo = system(export, "brevo")
        assert [(f.fides_key, f.type) for f in brevo.egress] == [("sub-processor.sms-gateway", "system")]
        gateway = system(export, "sub-processor.sms-gateway")
        assert [f.fides_key for f in gateway.ingress] == ["brevo"]
        assert [f.fides_key for f in gateway.egress] == ["sub-processor.sms-support"]
        support = system(export, "sub-processor.sms-support")
        assert [f.fides_key for f in support.ingress] == ["sub-processor.sms-gateway"]
        assert {d.data_use for d in support.privacy_declarations} == {
            "marketing.communications.email",
            "essential.service.notifications.email",
        }

    def test_observed_and_declared_flows(self, export: FidesExport) -> None:
        s3 = system(export, "s3")
        assert [(f.fides_key, f.type, f.data_categories) for f in s3.egress] == [
            ("dropbox", "system", ["user.content.private.cv"])
        ]
        assert [f.fides_key for f in system(export, "dropbox").ingress] == ["s3"]
        (recruitment,) = system(export, "dropbox").privacy_declarations
        assert recruitment.ingress == ["s3"]
        greenhouse = system(export, "greenhouse")
        assert [(f.fides_key, f.type) for f in greenhouse.egress] == [("wetransfer_shared", "dataset")]
        assert greenhouse.privacy_declarations[0].shared_categories == ["user.content.private.cv"]

    def test_third_country_transfers(self, export: FidesExport) -> None:
        assert system(export, "greenhouse").does_international_transfers
        assert system(export, "greenhouse").legal_basis_for_transfers == ["SCCs"]
        assert system(export, "salesforce").legal_basis_for_transfers == ["BCRs"]
        assert system(export, "google-analytics").legal_basis_for_transfers == ["Adequacy Decision"]
        dropbox = system(export, "dropbox")
        assert dropbox.does_international_transfers and dropbox.legal_basis_for_transfers == []
        assert any("Privacy Shield" in t for t in dropbox.meta["lineage"]["unapproved_transfers"])
        assert not system(export, "ovh").does_international_transfers
        brevo = system(export, "brevo").meta["lineage"]
        assert brevo["countries"] == ["FR", "IN", "US"] and len(brevo["unapproved_transfers"]) == 2


class TestDatasets:
    def test_one_per_store_with_fields_per_category(self, export: FidesExport, catalog: Catalog) -> None:
        keys = {d.fides_key for d in export.datasets}
        assert keys == {fides_key(s.id) for _, s in catalog.stores()} | {"wetransfer_shared"}
        contacts = dataset(export, "brevo_contacts")
        (collection,) = contacts.collections
        fields = {f.name: f for f in collection.fields}
        assert fields["user_contact_phone_number"].data_categories == ["user.contact.phone_number"]
        assert "observed, not declared" in fields["user_contact_phone_number"].description
        assert "declared in the catalog and observed" in fields["user_contact_email"].description
        assert contacts.meta["lineage"] == {
            "store": "brevo/contacts",
            "declared": True,
            "subjects_observed": 3,
            "system": "brevo",
            "country": "FR",
        }

    def test_a_store_seen_only_in_events(self, export: FidesExport) -> None:
        shared = dataset(export, "wetransfer_shared")
        assert shared.meta["lineage"]["declared"] is False
        assert shared.data_categories == ["user.content.private.cv"]


class TestValidity:
    def test_references_resolve_and_extensions_are_exported(self, export: FidesExport) -> None:
        assert unresolved_references(export) == []
        assert {c.fides_key: c.parent_key for c in export.data_categories} == {
            "user.content.private.cv": "user.content.private",
            "user.content.private.cover_letter": "user.content.private",
        }
        assert [s.fides_key for s in export.data_subjects] == ["newsletter_subscriber"]

    def test_an_unknown_reference_is_found(self, export: FidesExport) -> None:
        broken = FidesExport(export.systems, export.datasets[1:], export.data_categories, [])
        problems = unresolved_references(broken)
        assert f"billing: unknown dataset {export.datasets[0].fides_key}" in problems
        assert any("unknown data subject newsletter_subscriber" in p for p in problems)

    def test_fideslang_loads_the_written_manifests(self, export: FidesExport, tmp_path: Path) -> None:
        written = write(export, tmp_path / "fides")
        assert sorted(p.name for p in written) == sorted(FILES.values())
        taxonomy = load_manifests_into_taxonomy(ingest_manifests(str(tmp_path / "fides")))
        assert [s.fides_key for s in taxonomy.system] == [s.fides_key for s in export.systems]
        assert taxonomy.system == export.systems
        assert taxonomy.dataset == export.datasets
        assert [c.fides_key for c in taxonomy.data_category] == [c.fides_key for c in export.data_categories]
