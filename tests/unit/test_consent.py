"""Consent at an instant, which legal basis applies, and how the catalog declares bases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lineage.domain.catalog import parse_catalog
from lineage.domain.consent import ConsentState, bases_for, basis_for, consent_state, withdrawn_at_time
from lineage.domain.events import LegalBasis
from lineage.domain.ropa import record_of_processing
from lineage.errors import CatalogError
from lineage.settings import Settings

EMAIL_USE = "marketing.communications.email"


def day(n: int) -> datetime:
    return datetime(2026, 3, n, tzinfo=UTC)


CATALOG = """
organisation: Test
processors: [{id: p, name: P, country: FR}]
systems:
  - id: s
    name: S
    kind: crm
    processor: p
    stores:
      - id: s/contacts
        country: FR
        legal_basis: contract
        purposes: [sales, {purpose: marketing, legal_basis: consent}]
      - id: s/plain
        country: FR
        purposes: [marketing.communications.email]
"""


class TestWithdrawnAtTime:
    @pytest.mark.parametrize(
        ("given", "withdrawn", "t", "expected"),
        [
            (None, None, 5, False),
            (None, 3, 2, False),  # before the withdrawal
            (None, 3, 3, True),  # at it
            (1, 3, 9, True),  # given before, withdrawn since
            (6, 3, 9, False),  # given again after the withdrawal
            (6, 3, 5, True),  # ... but not yet at t
            (3, 3, 9, True),  # a tie is withdrawn
        ],
    )
    def test_cases(self, given: int | None, withdrawn: int | None, t: int, expected: bool) -> None:
        g = day(given) if given else None
        w = day(withdrawn) if withdrawn else None
        assert withdrawn_at_time(g, w, day(t)) is expected

    def test_state_now(self) -> None:
        assert consent_state(None, None) is ConsentState.UNKNOWN
        assert consent_state(day(1), None) is ConsentState.GIVEN
        assert consent_state(day(1), day(2)) is ConsentState.WITHDRAWN
        assert consent_state(day(3), day(2)) is ConsentState.GIVEN
        assert consent_state(day(2), day(2)) is ConsentState.WITHDRAWN


class TestBasisFor:
    catalog = parse_catalog(CATALOG)

    def test_the_events_basis_comes_first(self) -> None:
        assert (
            basis_for(self.catalog, "s/contacts", "sales", "legal_obligation") is LegalBasis.LEGAL_OBLIGATION
        )

    def test_then_the_purposes_most_specific_declaration(self) -> None:
        assert basis_for(self.catalog, "s/contacts", EMAIL_USE, None) is LegalBasis.CONSENT  # under marketing

    def test_then_the_stores(self) -> None:
        assert basis_for(self.catalog, "s/contacts", "sales", None) is LegalBasis.CONTRACT
        assert basis_for(self.catalog, "s/contacts", None, None) is LegalBasis.CONTRACT

    def test_nothing_declared_is_none(self) -> None:
        assert basis_for(self.catalog, "s/plain", EMAIL_USE, None) is None

    def test_an_undeclared_store_takes_the_purposes_one_basis(self) -> None:
        assert basis_for(self.catalog, "elsewhere", EMAIL_USE, None) is LegalBasis.CONSENT
        assert basis_for(self.catalog, "elsewhere", "sales", None) is None

    def test_a_holdings_bases(self) -> None:
        assert bases_for(self.catalog, "s/contacts", ["sales", EMAIL_USE], []) == [
            LegalBasis.CONSENT,
            LegalBasis.CONTRACT,
        ]
        assert bases_for(self.catalog, "s/contacts", ["sales"], ["consent"]) == [LegalBasis.CONSENT]


class TestCatalogBases:
    def test_purpose_entries_keep_purposes_plain(self) -> None:
        store = parse_catalog(CATALOG).systems[0].stores[0]
        assert store.purposes == ("sales", "marketing")
        assert store.purpose_bases == {"marketing": LegalBasis.CONSENT}
        assert store.legal_basis is LegalBasis.CONTRACT

    @pytest.mark.parametrize(
        "entry",
        ["{purpose: sales, legal_basis: whim}", "{use: sales}", "{purpose: sales, basis: consent}"],
    )
    def test_a_bad_entry_is_refused(self, entry: str) -> None:
        with pytest.raises(CatalogError):
            parse_catalog(CATALOG.replace("{purpose: marketing, legal_basis: consent}", entry))

    def test_the_demo_catalog_declares_the_policies_bases(self) -> None:
        demo = parse_catalog(Settings().catalog.read_text())
        expected = {
            ("brevo/contacts", EMAIL_USE): LegalBasis.CONSENT,
            ("ga/user-data", "analytics.reporting"): LegalBasis.CONSENT,
            ("salesforce/contacts", "sales"): LegalBasis.CONTRACT,
            ("greenhouse/candidates", "employment.recruitment"): LegalBasis.LEGITIMATE_INTERESTS,
            ("billing/invoices", "finance"): LegalBasis.LEGAL_OBLIGATION,
        }
        assert {key: basis_for(demo, *key, None) for key in expected} == expected


class TestRopaBasisAndConsent:
    def test_each_activity_names_its_basis_and_consent_counts(self) -> None:
        catalog = parse_catalog(CATALOG)
        rows = record_of_processing(catalog, [], [], [], {"marketing": {"withdrawn": 3, "given": 5}})
        by_purpose = {(r.stores, r.purpose): r for r in rows}
        marketing = by_purpose[(("s/contacts",), "marketing")]
        assert (marketing.legal_basis, marketing.consent_withdrawn, marketing.consent_given) == (
            ("consent",),
            3,
            5,
        )
        sales = by_purpose[(("s/contacts",), "sales")]
        assert (sales.legal_basis, sales.consent_withdrawn) == (("contract",), 0)
        assert by_purpose[(("s/plain",), EMAIL_USE)].legal_basis == ()
