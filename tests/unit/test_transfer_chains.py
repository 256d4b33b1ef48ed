"""Catalog-level transfers: chains of any depth, cycles, recipients the catalog declares
(international organisations, sectors, controllers), and how alerts and the RoPA show them."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime

import pytest

from lineage.domain.alerts import AlertHit, alert_reason, flow_id
from lineage.domain.catalog import Catalog, parse_catalog
from lineage.domain.ropa import describe_hop, record_of_processing
from lineage.domain.transfer_chains import (
    TransferHop,
    catalog_hops,
    hops_reaching,
    with_processor_moved,
    with_sub_processor,
)
from lineage.domain.transfers import HopStatus
from lineage.errors import CatalogError
from lineage.reference import default_transfer_rules

RULES = default_transfer_rules()
TODAY = date(2026, 11, 22)
SYSTEM = """systems:
  - {id: app, name: App, kind: other, processor: %s,
     stores: [{id: app/data, country: FR, purposes: [sales]}]}
"""


def catalog(processors: str, first: str = "p0") -> Catalog:
    return parse_catalog(f"organisation: x\nprocessors:\n{processors}{SYSTEM % first}", "test.yaml")


def chain_catalog(depth: int) -> Catalog:
    """p0 (FR) -> p1 -> ... -> p<depth>, each in the US under SCC module 3, the last in India
    with no mechanism."""
    lines = ["  - {id: p0, name: P0, country: FR, sub_processors: [p1]}"]
    for i in range(1, depth):
        lines.append(
            f"  - {{id: p{i}, name: P{i}, country: US, sub_processors: [p{i + 1}], "
            "transfer_mechanism: {kind: sccs, module: 3}}"
        )
    lines.append(f"  - {{id: p{depth}, name: P{depth}, country: IN}}")
    return catalog("\n".join(lines) + "\n")


def hops_of(cat: Catalog) -> dict[tuple[str, ...], TransferHop]:
    return {h.chain: h for h in catalog_hops(cat, RULES, TODAY)}


class TestChainsOfAnyDepth:
    @pytest.mark.parametrize("depth", [6, 7, 12])
    def test_every_hop_is_judged_past_six(self, depth: int) -> None:
        hops = hops_of(chain_catalog(depth))
        assert len(hops) == depth + 1  # the store's own hop, then one per processor below p0
        deepest = hops[tuple(f"p{i}" for i in range(depth + 1))]
        assert deepest.country == "IN" and deepest.verdict.status == HopStatus.UNAPPROVED
        assert all(h.verdict.status == HopStatus.SAFEGUARDED for h in hops.values() if h.country == "US")

    def test_deeper_than_the_recursion_limit(self) -> None:
        depth = sys.getrecursionlimit() + 10
        hops = catalog_hops(chain_catalog(depth), RULES, TODAY)
        assert len(hops) == depth + 1 and hops[-1].verdict.status == HopStatus.UNAPPROVED

    def test_a_cycle_is_a_catalog_error_naming_the_processors(self) -> None:
        text = """  - {id: p0, name: P0, country: FR, sub_processors: [p1]}
  - {id: p1, name: P1, country: US, sub_processors: [p2]}
  - {id: p2, name: P2, country: IN, sub_processors: [p1]}
"""
        with pytest.raises(CatalogError, match="sub-processor cycle: p1 -> p2 -> p1"):
            catalog(text)
        with pytest.raises(CatalogError, match="sub-processor cycle: p0 -> p0"):
            catalog("  - {id: p0, name: P0, country: FR, sub_processors: [p0]}\n")

    def test_a_what_if_that_closes_a_cycle_is_refused(self) -> None:
        cat = chain_catalog(3)
        with pytest.raises(ValueError, match="cycle: p0 -> p1 -> p2 -> p3 -> p0"):
            with_sub_processor(cat, "p3", "p0")

    def test_a_diamond_is_not_a_cycle(self) -> None:
        text = """  - {id: p0, name: P0, country: FR, sub_processors: [a, b]}
  - {id: a, name: A, country: FR, sub_processors: [c]}
  - {id: b, name: B, country: FR, sub_processors: [c]}
  - {id: c, name: C, country: FR}
"""
        assert {h.chain for h in catalog_hops(catalog(text), RULES, TODAY)} == {
            ("p0",),
            ("p0", "a"),
            ("p0", "a", "c"),
            ("p0", "b"),
            ("p0", "b", "c"),
        }


class TestRecipientsTheCatalogDeclares:
    def test_a_public_body_in_japan_needs_another_mechanism(self) -> None:
        company = hops_of(catalog("  - {id: p0, name: P0, country: JP}\n"))[("p0",)]
        assert company.verdict.status == HopStatus.ADEQUATE
        public = hops_of(catalog("  - {id: p0, name: P0, country: JP, sector: public}\n"))[("p0",)]
        assert public.verdict.status == HopStatus.UNAPPROVED
        assert "declared public" in public.verdict.reason

    def test_unknown_sector_and_derogation_are_refused_naming_the_field(self) -> None:
        with pytest.raises(CatalogError, match=r"processors\.0\.sector"):
            catalog("  - {id: p0, name: P0, country: JP, sector: government}\n")
        with pytest.raises(CatalogError, match=r"processors\.0\.transfer_mechanism\.derogation"):
            catalog(
                "  - {id: p0, name: P0, country: IN, transfer_mechanism: "
                "{kind: art49, derogation: legitimate interest}}\n"
            )

    def test_an_international_organisation_seated_in_the_eea_is_a_transfer(self) -> None:
        epo = hops_of(
            catalog(
                "  - {id: p0, name: EPO, country: DE, international_organisation: EPO, role: controller}\n"
            )
        )[("p0",)]
        assert epo.organisation == "EPO" and epo.verdict.status == HopStatus.ADEQUATE
        other = hops_of(catalog("  - {id: p0, name: ESA, country: FR, international_organisation: ESA}\n"))
        assert [h.verdict.status for h in other.values()] == [HopStatus.UNAPPROVED]
        assert hops_reaching(list(other.values()), country="ESA") == list(other.values())
        with pytest.raises(CatalogError, match="international organisation id"):
            catalog("  - {id: p0, name: X, country: FR, international_organisation: EP}\n")

    def test_an_organisation_hop_has_its_own_alert_and_ropa_wording(self) -> None:
        epo = hops_of(catalog("  - {id: p0, name: EPO, country: DE, international_organisation: EPO}\n"))[
            ("p0",)
        ]
        plain = TransferHop(epo.store, epo.chain, "DE", epo.verdict)
        assert flow_id(epo) != flow_id(plain)
        assert describe_hop(epo).startswith("app/data via p0 -> EPO (DE): adequate")

    def test_art49_only_for_a_controller_recipient(self) -> None:
        consent = "transfer_mechanism: {kind: art49, derogation: explicit_consent}"
        processor = hops_of(catalog(f"  - {{id: p0, name: P0, country: IN, {consent}}}\n"))
        assert processor[("p0",)].verdict.status == HopStatus.UNAPPROVED
        client = hops_of(catalog(f"  - {{id: p0, name: P0, country: IN, role: controller, {consent}}}\n"))
        assert client[("p0",)].verdict.status == HopStatus.DEROGATION

    def test_the_scc_module_follows_the_hop(self) -> None:
        text = """  - {id: p0, name: P0, country: US, sub_processors: [p1],
     transfer_mechanism: {kind: sccs, module: 3}}
  - {id: p1, name: P1, country: IN, transfer_mechanism: {kind: sccs, module: 2}}
"""
        hops = hops_of(catalog(text))
        assert hops[("p0",)].verdict.status == HopStatus.SCC_MODULE_MISMATCH
        assert hops[("p0", "p1")].verdict.status == HopStatus.SCC_MODULE_MISMATCH
        assert "module 2 of Decision" in hops[("p0",)].verdict.reason
        assert "module 3 of Decision" in hops[("p0", "p1")].verdict.reason

    def test_what_if_moving_a_processor_keeps_its_declarations(self) -> None:
        cat = catalog("  - {id: p0, name: P0, country: FR, sector: public}\n")
        moved = hops_of(with_processor_moved(cat, "p0", "JP"))
        assert moved[("p0",)].verdict.status == HopStatus.UNAPPROVED


class TestAlertsAndRopaShowTheVerdicts:
    MISMATCH = """  - {id: p0, name: P0, country: US, transfer_mechanism: {kind: sccs, module: 3}}
"""

    def test_a_module_mismatch_alerts_with_its_verdict(self) -> None:
        hop = hops_of(catalog(self.MISMATCH))[("p0",)]
        assert alert_reason(hop).startswith("scc module mismatch: to US under SCCs module 3")
        row = AlertHit(flow_id(hop), hop, "k", datetime(2026, 11, 22, tzinfo=UTC), "e").row()
        assert row["kind"] == "unapproved_transfer" and row["mechanism"] == "SCCs module 3"

    def test_ropa_flags_a_mismatch_and_a_derogation_in_their_own_words(self) -> None:
        mismatch = catalog(self.MISMATCH)
        (row,) = record_of_processing(mismatch, catalog_hops(mismatch, RULES, TODAY), [], [])
        assert any(
            f.startswith("transfer under the wrong SCC module: app/data via p0 -> US: scc_module_mismatch")
            for f in row.flags
        )
        consent = catalog(
            "  - {id: p0, name: P0, country: IN, role: controller, transfer_mechanism:"
            " {kind: art49, derogation: public_register}}\n"
        )
        (row,) = record_of_processing(consent, catalog_hops(consent, RULES, TODAY), [], [])
        assert row.transfers[0].startswith("app/data via p0 -> IN: derogation, Art. 49(1)(g)")
        assert any(f.startswith("transfer on an Art. 49 derogation") for f in row.flags)
