"""Transfer verdicts, with dates chosen so that an off-by-one or a stale rule fails."""

from __future__ import annotations

from datetime import date

import pytest

from lineage.domain.catalog import parse_catalog
from lineage.domain.transfer_chains import catalog_hops
from lineage.domain.transfers import HopStatus, Mechanism, MechanismKind, classify_hop
from lineage.reference import default_transfer_rules
from lineage.settings import Settings

RULES = default_transfer_rules()
TODAY = date(2026, 11, 22)
NONE = None


def verdict(country: str, on: date = TODAY, **mechanism: object) -> HopStatus:
    declared = Mechanism(**mechanism) if mechanism else NONE
    return classify_hop(country, declared, RULES, on).status


class TestReferenceData:
    def test_eu_27_and_eea_30(self) -> None:
        assert len(set(RULES.eu)) == 27
        assert len(set(RULES.eu) | set(RULES.eea_efta)) == 30
        assert RULES.in_eea("NO") and RULES.in_eea("EL") and RULES.in_eea("RE")
        assert not RULES.in_eea("GB") and not RULES.in_eea("UK") and not RULES.in_eea("FO")

    def test_every_adequacy_entry_names_its_decision(self) -> None:
        assert all(entry.decision for entry in RULES.adequacy)
        assert {e.country for e in RULES.adequacy} >= {"GB", "US", "JP", "CA", "BR", "CH"}


class TestClassifyHop:
    def test_inside_the_eea_needs_nothing(self) -> None:
        assert verdict("FR") == HopStatus.INSIDE_EEA
        assert verdict("el") == HopStatus.INSIDE_EEA

    def test_full_adequacy(self) -> None:
        assert verdict("CH") == HopStatus.ADEQUATE
        assert verdict("UK") == HopStatus.ADEQUATE

    def test_uk_adequacy_ends_on_27_december_2031(self) -> None:
        assert verdict("GB", date(2031, 12, 27)) == HopStatus.ADEQUATE
        assert verdict("GB", date(2031, 12, 28)) == HopStatus.UNAPPROVED
        assert verdict("GB", date(2031, 12, 28), kind=MechanismKind.SCCS, module=2) == \
            HopStatus.SAFEGUARDED

    def test_brazil_adequate_only_from_its_adoption(self) -> None:
        assert verdict("BR", date(2026, 1, 25)) == HopStatus.UNAPPROVED
        assert verdict("BR", date(2026, 1, 26)) == HopStatus.ADEQUATE

    def test_us_needs_a_current_dpf_certification(self) -> None:
        assert verdict("US") == HopStatus.UNAPPROVED
        assert verdict("US", kind=MechanismKind.DPF, certified_until=date(2026, 11, 22)) == \
            HopStatus.ADEQUATE
        lapsed = classify_hop("US", Mechanism(kind=MechanismKind.DPF,
                                              certified_until=date(2026, 11, 21)), RULES, TODAY)
        assert lapsed.status == HopStatus.UNAPPROVED and "lapsed" in lapsed.reason

    def test_privacy_shield_is_never_valid(self) -> None:
        shield = classify_hop("US", Mechanism(kind=MechanismKind.PRIVACY_SHIELD), RULES, TODAY)
        assert shield.status == HopStatus.UNAPPROVED and "Privacy Shield" in shield.reason

    def test_partial_adequacy_needs_the_recipient_in_scope(self) -> None:
        assert verdict("CA") == HopStatus.UNAPPROVED
        assert verdict("CA", kind=MechanismKind.ADEQUACY) == HopStatus.ADEQUATE
        assert verdict("JP", kind=MechanismKind.ADEQUACY) == HopStatus.ADEQUATE

    def test_safeguards_and_their_limits(self) -> None:
        assert verdict("IN", kind=MechanismKind.SCCS, module=3) == HopStatus.SAFEGUARDED
        assert verdict("IN", kind=MechanismKind.BCRS) == HopStatus.SAFEGUARDED
        assert verdict("IN", kind=MechanismKind.ART49, derogation="explicit consent") == \
            HopStatus.SAFEGUARDED
        assert verdict("IN", kind=MechanismKind.DPF) == HopStatus.UNAPPROVED
        assert verdict("IN", kind=MechanismKind.ADEQUACY) == HopStatus.UNAPPROVED
        assert verdict("IN", kind=MechanismKind.NONE) == HopStatus.UNAPPROVED

    def test_incomplete_mechanisms_are_refused(self) -> None:
        with pytest.raises(ValueError, match="module"):
            Mechanism(kind=MechanismKind.SCCS)
        with pytest.raises(ValueError, match="derogation"):
            Mechanism(kind=MechanismKind.ART49)


@pytest.fixture(scope="module")
def hops() -> dict[tuple[str, str], HopStatus]:
    catalog = parse_catalog(Settings().catalog.read_text())
    return {(h.store, ">".join(h.chain)): h.verdict.status for h in catalog_hops(catalog, RULES, TODAY)}


class TestDemoCatalogSeedCases:
    def test_seed_cases(self, hops: dict[tuple[str, str], HopStatus]) -> None:
        assert hops[("brevo/contacts", "sendinblue")] == HopStatus.INSIDE_EEA
        assert hops[("ga/user-data", "google")] == HopStatus.ADEQUATE
        assert hops[("gmail/mailboxes", "google")] == HopStatus.UNAPPROVED  # Privacy Shield
        assert hops[("dropbox/recruitment", "dropbox")] == HopStatus.UNAPPROVED
        assert hops[("brevo/contacts", "sendinblue>sms-gateway")] == HopStatus.SAFEGUARDED
        # onward: an EU processor's sub-processor's sub-processor with no mechanism
        assert hops[("brevo/contacts", "sendinblue>sms-gateway>sms-support")] == HopStatus.UNAPPROVED

    def test_norway_survives_yaml(self) -> None:
        text = "organisation: x\nprocessors: [{id: a, name: A, country: NO}]\nsystems: []\n"
        assert parse_catalog(text).processor("a").country == "NO"


class TestTransfersCommand:
    def test_lists_unapproved_hops_and_exits_non_zero(self) -> None:
        import json

        from typer.testing import CliRunner

        from lineage.cli.app import app

        result = CliRunner().invoke(app, ["transfers", "--unapproved", "--on", "2026-11-22", "--json"])
        assert result.exit_code == 1
        hops = json.loads(result.stdout)["hops"]
        assert {(h["store"], h["country"]) for h in hops} == {
            ("brevo/contacts", "IN"), ("brevo/transactional", "IN"),
            ("gmail/mailboxes", "US"), ("dropbox/recruitment", "US")}
        assert all(h["status"] == "unapproved" and h["reason"] for h in hops)
