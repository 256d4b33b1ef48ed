"""Declared invariants: what the catalog accepts, what it already breaks, which events break
them, and under which alert."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import lineage
from lineage.domain.catalog import Catalog, parse_catalog
from lineage.domain.events import (
    CollectionEvent,
    ErasureEvent,
    MovementEvent,
    StoreFlowEvent,
    SubjectRef,
)
from lineage.domain.invariants import (
    INVARIANT_KIND,
    Invariant,
    InvariantRules,
    catalog_breaches,
    compile_rules,
    covers,
    invariant_hits,
)
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.domain.transfer_chains import catalog_hops, with_processor_moved, with_sub_processor
from lineage.errors import CatalogError
from lineage.reference import default_transfer_rules

DEMO = Path(lineage.__file__).parent / "catalogs" / "demo.yaml"
HASHER = SubjectHasher(b"unit-test-key-0123456789")
WHEN = datetime(2026, 6, 1, tzinfo=UTC)
DAY = date(2026, 11, 22)
SUBJECT = SubjectRef(type=SubjectType.CUSTOMER, key=HASHER.email("a@example.com"))

CATALOG = """
organisation: Test
invariants:
  never_holds: [user.government_id]
processors:
  - {id: ovh, name: OVH, country: FR}
  - {id: acme, name: Acme, country: DE, sub_processors: [acme-support]}
  - {id: acme-support, name: Acme support, country: IE}
systems:
  - id: crm
    name: CRM
    kind: crm
    processor: acme
    invariants: {stays_in_eea: true}
    stores:
      - id: crm/contacts
        country: DE
        categories: [user.contact.email]
        invariants: {never_holds: [user.biometric]}
  - id: web
    name: Web
    kind: hosting
    processor: ovh
    stores:
      - {id: web/logs, country: FR, categories: [user.device.ip_address]}
"""


def catalog(text: str = CATALOG) -> Catalog:
    return parse_catalog(text)


def rules(cat: Catalog) -> InvariantRules:
    return compile_rules(cat, catalog_hops(cat, default_transfer_rules(), DAY))


def collected(store: str, *categories: str, n: int = 1) -> CollectionEvent:
    return CollectionEvent(
        event_id=f"e:{n:08d}",
        action="collected",
        store=store,
        categories=categories,
        occurred_at=WHEN,
        source="test",
        subject=SUBJECT,
    )


class TestCatalogBlock:
    def test_declared_at_every_level_and_combined_per_store(self) -> None:
        bound = rules(catalog()).of("crm/contacts")
        assert bound.never_holds == {
            "user.government_id": "the organisation",
            "user.biometric": "store crm/contacts",
        }
        assert bound.stays_in_eea == "system crm"
        assert rules(catalog()).of("web/logs").stays_in_eea is None

    def test_an_unknown_category_is_refused_naming_it(self) -> None:
        with pytest.raises(CatalogError, match=r"user\.passport"):
            parse_catalog(
                CATALOG.replace("never_holds: [user.government_id]", "never_holds: [user.passport]")
            )

    def test_an_unknown_invariant_is_refused(self) -> None:
        with pytest.raises(CatalogError, match="hosted_in_mars"):
            parse_catalog(CATALOG.replace("{stays_in_eea: true}", "{hosted_in_mars: true}"))

    def test_a_catalog_that_keeps_its_invariants_breaks_none(self) -> None:
        cat = catalog()
        assert catalog_breaches(cat, rules(cat)) == []

    def test_a_catalog_that_breaks_one_still_loads_and_names_the_breach(self) -> None:
        cat = catalog(
            CATALOG.replace(
                "categories: [user.contact.email]", "categories: [user.contact.email, user.biometric.voice]"
            )
        )
        (breach,) = catalog_breaches(cat, rules(cat))
        assert (breach.invariant, breach.store, breach.found) == (
            Invariant.NEVER_HOLDS,
            "crm/contacts",
            "user.biometric.voice",
        )
        assert breach.reason == (
            "never_holds user.biometric (declared by store crm/contacts) broken: "
            "store crm/contacts holds user.biometric.voice"
        )

    def test_a_processor_moved_to_the_us_breaks_stays_in_eea(self) -> None:
        moved = with_processor_moved(catalog(), "acme", "US")
        (breach,) = catalog_breaches(moved, rules(moved))
        assert (breach.invariant, breach.store, breach.found, breach.chain) == (
            Invariant.STAYS_IN_EEA,
            "crm/contacts",
            "US",
            ("acme",),
        )
        assert "reaches US via acme" in breach.reason

    def test_an_onward_sub_processor_outside_the_eea_breaks_it_even_when_approved(self) -> None:
        cat = with_sub_processor(
            with_processor_moved(catalog(), "acme-helpdesk", "JP"), "acme-support", "acme-helpdesk"
        )
        (breach,) = catalog_breaches(cat, rules(cat))
        assert breach.chain == ("acme", "acme-support", "acme-helpdesk") and breach.country == "JP"
        assert (
            "via acme > acme-support > acme-helpdesk" in breach.reason
        )  # Japan is adequate: still not the EEA

    def test_a_store_declared_outside_the_eea(self) -> None:
        cat = catalog(CATALOG.replace("country: DE\n        categories", "country: US\n        categories"))
        assert [b.found for b in catalog_breaches(cat, rules(cat))] == ["US"]


class TestEventsThatBreakThem:
    def test_a_forbidden_category_or_a_descendant_raises_one_alert_per_store_and_category(self) -> None:
        r = rules(catalog())
        hits = invariant_hits(
            [
                collected("web/logs", "user.government_id.passport_number", "user.device.ip_address", n=1),
                collected("web/logs", "user.government_id.passport_number", n=2),
                collected("web/logs", "user.government_id.drivers_license_number", n=3),
            ],
            r,
        )
        rows = [h.row() for h in hits]
        assert [(row["event_id"], row["kind"], row["store"]) for row in rows] == [
            ("e:00000001", INVARIANT_KIND, "web/logs"),
            ("e:00000002", INVARIANT_KIND, "web/logs"),
            ("e:00000003", INVARIANT_KIND, "web/logs"),
        ]
        assert rows[0]["id"] == rows[1]["id"] != rows[2]["id"]  # a busy flow updates one alert
        assert rows[0]["subject"] == SUBJECT.key and rows[0]["severity"] == "high"
        assert "@" not in str(rows[0]["reason"]) and "a@example.com" not in str(rows)

    def test_an_undeclared_store_is_bound_by_the_organisation(self) -> None:
        (hit,) = invariant_hits([collected("scanner/inbox", "user.government_id", n=4)], rules(catalog()))
        assert hit.breach.store == "scanner/inbox" and hit.breach.declared_by == "the organisation"

    def test_a_copy_or_a_pipeline_breaks_it_in_its_destination(self) -> None:
        copy = MovementEvent(
            event_id="e:00000005",
            action="copied",
            store="web/logs",
            destination="crm/contacts",
            categories=("user.biometric.fingerprint",),
            occurred_at=WHEN,
            source="test",
            subject=SUBJECT,
        )
        flow = StoreFlowEvent(
            event_id="e:00000006",
            action="flowed",
            store="crm/contacts",
            destination="web/logs",
            categories=("user.government_id.immigration",),
            occurred_at=WHEN,
            source="test",
        )
        hits = invariant_hits([copy, flow], rules(catalog()))
        assert [(h.breach.store, h.breach.found, h.subject) for h in hits] == [
            ("crm/contacts", "user.biometric.fingerprint", SUBJECT.key),
            ("web/logs", "user.government_id.immigration", None),
        ]

    def test_data_reaching_a_store_whose_chain_leaves_the_eea(self) -> None:
        moved = with_processor_moved(catalog(), "acme-support", "US")
        (hit,) = invariant_hits([collected("crm/contacts", "user.contact.email")], rules(moved))
        row = hit.row()
        assert (row["country"], row["chain"], row["mechanism"]) == ("US", ["acme", "acme-support"], None)
        assert row["id"] == catalog_breaches(moved, rules(moved))[0].id  # the catalog's alert, updated

    def test_events_that_respect_them_raise_nothing(self) -> None:
        r = rules(catalog())
        events = [
            collected("crm/contacts", "user.contact.email", "user.name"),
            collected("web/logs", "user.device.ip_address"),
            collected("web/logs", "user"),  # the parent is not the forbidden child
            ErasureEvent(
                event_id="e:00000009",
                action="erased",
                store="web/logs",
                categories=("user.government_id",),
                occurred_at=WHEN,
                source="test",
                subject=SUBJECT,
            ),
        ]
        assert invariant_hits(events, r) == []

    def test_a_catalog_without_invariants_checks_nothing(self) -> None:
        bare = catalog(
            CATALOG.replace("invariants:\n  never_holds: [user.government_id]\n", "")
            .replace("    invariants: {stays_in_eea: true}\n", "")
            .replace("        invariants: {never_holds: [user.biometric]}\n", "")
        )
        assert not rules(bare).declared
        assert invariant_hits([collected("web/logs", "user.government_id")], rules(bare)) == []


def test_covers_descendants_only() -> None:
    assert covers("user.government_id", "user.government_id")
    assert covers("user.government_id", "user.government_id.passport_number")
    assert not covers("user.government_id", "user")
    assert not covers("user.government_id", "user.government_idx")


class TestDemoCatalog:
    def test_declares_the_seed_invariants_and_keeps_them(self) -> None:
        demo = parse_catalog(DEMO.read_text(encoding="utf-8"))
        assert demo.invariants.never_holds == ("user.government_id",)
        r = rules(demo)
        assert {s for s, bound in r.stores.items() if bound.stays_in_eea} == {
            "s3://acme-hr-cv",
            "ovh/web-logs",
        }
        assert catalog_breaches(demo, r) == []

    def test_google_analytics_mechanism_is_not_attributed_to_seed_001(self) -> None:
        demo = parse_catalog(DEMO.read_text(encoding="utf-8"))
        mechanism = demo.processor("google").transfer_mechanism
        assert mechanism is not None and "seed" not in mechanism.reference
        assert "Data Privacy Framework list" in mechanism.reference


class TestInvariantsCommand:
    def test_the_demo_catalog_keeps_its_invariants(self) -> None:
        from typer.testing import CliRunner

        from lineage.cli.app import app

        result = CliRunner().invoke(app, ["invariants", "--on", "2026-11-22", "--json"])
        assert result.exit_code == 0, result.output
        answer = json.loads(result.stdout)
        stores = {s["store"]: s for s in answer["stores"]}
        assert stores["ovh/web-logs"]["stays_in_eea"] == "store ovh/web-logs"
        assert stores["s3://acme-hr-cv"]["stays_in_eea"] == "system s3"
        assert stores["ga/user-data"] == {
            "store": "ga/user-data",
            "stays_in_eea": None,
            "never_holds": ["user.government_id"],
        }
        assert answer["broken"] == []

    def test_a_catalog_that_breaks_one_exits_non_zero_naming_it(self, tmp_path: Path) -> None:
        from typer.testing import CliRunner

        from lineage.cli.app import app

        moved = tmp_path / "catalog.yaml"
        moved.write_text(
            DEMO.read_text(encoding="utf-8").replace(
                "  - id: aws\n    name: Amazon Web Services EMEA SARL\n    country: LU\n",
                "  - id: aws\n    name: Amazon Web Services EMEA SARL\n    country: US\n",
            )
        )
        result = CliRunner().invoke(app, ["invariants", "--json"], env={"LINEAGE_CATALOG": str(moved)})
        assert result.exit_code == 1
        (broken,) = json.loads(result.stdout)["broken"]
        assert (broken["invariant"], broken["store"], broken["found"]) == (
            "stays_in_eea",
            "s3://acme-hr-cv",
            "US",
        )
        assert broken["id"].startswith("invariant-stays_in_eea-")
