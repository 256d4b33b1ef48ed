"""Transfer verdicts, with dates chosen so that an off-by-one, a wrong offset or a stale rule fails.

Each decision is judged on the day before it applies and on the day it does; each invalidation
on its eve and its day; moments in UTC and at other offsets land on their Brussels day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from lineage.domain.catalog import parse_catalog
from lineage.domain.transfer_chains import catalog_hops
from lineage.domain.transfer_rules import Sector, legal_day, parse_transfer_rules
from lineage.domain.transfers import (
    Art49Derogation,
    HopStatus,
    Mechanism,
    MechanismKind,
    Recipient,
    RecipientRole,
    classify_hop,
    judge_hop,
)
from lineage.errors import CatalogError
from lineage.reference import default_transfer_rules
from lineage.settings import Settings

RULES = default_transfer_rules()
TODAY = date(2026, 11, 22)
TOKYO = timezone(timedelta(hours=9))
NEW_YORK = timezone(timedelta(hours=-4))
PS = {"kind": MechanismKind.PRIVACY_SHIELD}
DPF = {"kind": MechanismKind.DPF}


def verdict(country: str, on: date | datetime = TODAY, **mechanism: object) -> HopStatus:
    declared = Mechanism(**mechanism) if mechanism else None  # type: ignore[arg-type]
    return classify_hop(country, declared, RULES, on).status


def reason(country: str, on: date | datetime = TODAY, **mechanism: object) -> str:
    declared = Mechanism(**mechanism) if mechanism else None  # type: ignore[arg-type]
    return classify_hop(country, declared, RULES, on).reason


class TestReferenceData:
    def test_eu_27_and_eea_30(self) -> None:
        assert len(set(RULES.eu)) == 27
        assert len(set(RULES.eu) | set(RULES.eea_efta)) == 30
        assert RULES.in_eea("NO") and RULES.in_eea("EL") and RULES.in_eea("RE")
        assert not RULES.in_eea("GB") and not RULES.in_eea("UK") and not RULES.in_eea("FO")

    def test_every_entry_is_dated_and_names_its_decision(self) -> None:
        assert all(entry.decision and entry.adopted for entry in RULES.adequacy)
        assert {e.destination for e in RULES.adequacy} >= {
            "GB",
            "US",
            "JP",
            "KR",
            "CA",
            "BR",
            "CH",
            "IL",
            "EPO",
        }
        assert all(e.oj for e in RULES.adequacy)

    def test_what_sources_did_not_confirm_is_marked_and_shown_never_guessed(self) -> None:
        assert not [e.name for e in RULES.adequacy if "not verified" in e.decision]
        assert {e.destination for e in RULES.adequacy if e.unverified} == {"GB"}
        assert "[unverified: the numbers of the June 2025 extension" in reason("GB")
        assert reason("BR") == "BR: adequacy decision (EU) 2026/179 of 26 Jan 2026"
        epo = judge_hop(Recipient("DE", organisation="EPO"), None, RULES, TODAY)
        assert epo.reason == "EPO: adequacy decision (EU) 2025/1382 of 15 Jul 2025"

    def test_an_undated_decision_is_refused_not_read_as_always_in_force(self) -> None:
        text = """as_of: 2026-11-01
sources: {}
eu: [FR]
eea_efta: []
adequacy:
  - {country: JP, name: Japan, decision: "(EU) 2019/419", scope: full}
"""
        with pytest.raises(CatalogError, match="adopted"):
            parse_transfer_rules(text, "rules.yaml")

    def test_an_annulment_names_the_judgment(self) -> None:
        text = """as_of: 2026-11-01
sources: {}
eu: [FR]
eea_efta: []
adequacy:
  - {country: US, name: x, decision: y, adopted: 2016-07-12, ended: 2020-07-16,
     scope: certified, framework: privacy_shield}
"""
        with pytest.raises(CatalogError, match="ended_by"):
            parse_transfer_rules(text, "rules.yaml")


# (destination, last day without the decision, first day with it)
ADOPTIONS = [
    ("CH", date(2000, 7, 25), date(2000, 7, 26)),
    ("CA", date(2001, 12, 19), date(2001, 12, 20)),
    ("AR", date(2003, 6, 29), date(2003, 6, 30)),
    ("GG", date(2003, 11, 20), date(2003, 11, 21)),
    ("IM", date(2004, 4, 27), date(2004, 4, 28)),
    ("JE", date(2008, 5, 7), date(2008, 5, 8)),
    ("FO", date(2010, 3, 4), date(2010, 3, 5)),
    ("AD", date(2010, 10, 18), date(2010, 10, 19)),
    ("IL", date(2011, 1, 30), date(2011, 1, 31)),
    ("UY", date(2012, 8, 20), date(2012, 8, 21)),
    ("NZ", date(2012, 12, 18), date(2012, 12, 19)),
    ("JP", date(2019, 1, 22), date(2019, 1, 23)),
    ("GB", date(2021, 6, 27), date(2021, 6, 28)),
    ("KR", date(2021, 12, 16), date(2021, 12, 17)),
    ("BR", date(2026, 1, 25), date(2026, 1, 26)),
]


class TestDecisionDates:
    @pytest.mark.parametrize(("country", "before", "first"), ADOPTIONS)
    def test_adequate_from_the_day_of_adoption_only(self, country: str, before: date, first: date) -> None:
        assert verdict(country, before) == HopStatus.UNAPPROVED
        assert "applies from" in reason(country, before)
        assert verdict(country, first) == HopStatus.ADEQUATE

    def test_uk_adequacy_ends_after_27_december_2031(self) -> None:
        assert verdict("GB", date(2031, 12, 27)) == HopStatus.ADEQUATE
        assert verdict("GB", date(2031, 12, 28)) == HopStatus.UNAPPROVED
        assert "expired after 27 Dec 2031" in reason("GB", date(2031, 12, 28))
        assert verdict("GB", date(2031, 12, 28), kind=MechanismKind.SCCS, module=2) == HopStatus.SAFEGUARDED

    def test_dpf_from_10_july_2023(self) -> None:
        assert verdict("US", date(2023, 7, 9), **DPF) == HopStatus.UNAPPROVED
        assert "applies from 10 Jul 2023" in reason("US", date(2023, 7, 9), **DPF)
        assert verdict("US", date(2023, 7, 10), **DPF) == HopStatus.ADEQUATE

    def test_european_patent_organisation_from_15_july_2025(self) -> None:
        epo = Recipient(country="DE", organisation="EPO")
        assert judge_hop(epo, None, RULES, date(2025, 7, 14)).status == HopStatus.UNAPPROVED
        assert judge_hop(epo, None, RULES, date(2025, 7, 15)).status == HopStatus.ADEQUATE


class TestPrivacyShieldAndSafeHarbour:
    def test_privacy_shield_valid_1_august_2016_to_15_july_2020(self) -> None:
        assert verdict("US", date(2016, 7, 31), **PS) == HopStatus.UNAPPROVED
        assert verdict("US", date(2016, 8, 1), **PS) == HopStatus.ADEQUATE
        assert verdict("US", date(2020, 7, 15), **PS) == HopStatus.ADEQUATE
        assert verdict("US", date(2020, 7, 16), **PS) == HopStatus.UNAPPROVED

    def test_today_it_is_invalid_since_schrems_ii(self) -> None:
        assert verdict("US", **PS) == HopStatus.UNAPPROVED
        text = reason("US", **PS)
        assert "Privacy Shield" in text and "invalid since 16 Jul 2020" in text
        assert "Schrems II" in text

    def test_safe_harbour_until_5_october_2015(self) -> None:
        sh = {"kind": MechanismKind.SAFE_HARBOUR}
        assert verdict("US", date(2000, 7, 25), **sh) == HopStatus.UNAPPROVED
        assert verdict("US", date(2015, 10, 5), **sh) == HopStatus.ADEQUATE
        assert verdict("US", date(2015, 10, 6), **sh) == HopStatus.UNAPPROVED
        assert "Schrems I)" in reason("US", date(2015, 10, 6), **sh)

    def test_a_lapsed_certification_counts_as_none(self) -> None:
        lapsed = {**PS, "certified_until": date(2019, 3, 31)}
        assert verdict("US", date(2019, 3, 31), **lapsed) == HopStatus.ADEQUATE
        assert verdict("US", date(2019, 4, 1), **lapsed) == HopStatus.UNAPPROVED


class TestMomentsAtAnOffset:
    """A moment is judged on its day in Brussels (CEST +02:00 in July, CET +01:00 in January)."""

    def test_schrems_ii_midnight_in_brussels_in_utc(self) -> None:
        assert verdict("US", datetime(2020, 7, 15, 21, 59, tzinfo=UTC), **PS) == HopStatus.ADEQUATE
        assert verdict("US", datetime(2020, 7, 15, 22, 0, tzinfo=UTC), **PS) == HopStatus.UNAPPROVED

    def test_schrems_ii_midnight_in_brussels_from_tokyo_and_new_york(self) -> None:
        # 16 Jul 06:59 in Tokyo is still 15 Jul in Brussels; 15 Jul 18:00 in New York is not
        assert verdict("US", datetime(2020, 7, 16, 6, 59, tzinfo=TOKYO), **PS) == HopStatus.ADEQUATE
        assert verdict("US", datetime(2020, 7, 16, 7, 0, tzinfo=TOKYO), **PS) == HopStatus.UNAPPROVED
        assert verdict("US", datetime(2020, 7, 15, 18, 0, tzinfo=NEW_YORK), **PS) == HopStatus.UNAPPROVED

    def test_japan_adoption_in_utc_and_in_tokyo(self) -> None:
        assert verdict("JP", datetime(2019, 1, 22, 22, 59, tzinfo=UTC)) == HopStatus.UNAPPROVED
        assert verdict("JP", datetime(2019, 1, 22, 23, 0, tzinfo=UTC)) == HopStatus.ADEQUATE
        # already 23 Jan in Tokyo, still 22 Jan in Brussels
        assert verdict("JP", datetime(2019, 1, 23, 7, 59, tzinfo=TOKYO)) == HopStatus.UNAPPROVED
        assert verdict("JP", datetime(2019, 1, 23, 8, 0, tzinfo=TOKYO)) == HopStatus.ADEQUATE

    def test_dpf_adoption_from_new_york(self) -> None:
        assert verdict("US", datetime(2023, 7, 9, 17, 59, tzinfo=NEW_YORK), **DPF) == HopStatus.UNAPPROVED
        assert verdict("US", datetime(2023, 7, 9, 18, 0, tzinfo=NEW_YORK), **DPF) == HopStatus.ADEQUATE

    def test_a_naive_moment_is_refused(self) -> None:
        with pytest.raises(ValueError, match="time zone"):
            legal_day(datetime(2020, 7, 16, 0, 30))


class TestDpfCertification:
    def test_in_force_but_not_certified_says_exactly_that(self) -> None:
        text = reason("US")
        assert "(EU) 2023/1795 of 10 Jul 2023 is in force" in text and "not declared certified" in text
        assert "expired" not in text
        relied = reason("US", kind=MechanismKind.ADEQUACY)
        assert relied.startswith("to US: adequacy relied on, but") and "not declared certified" in relied
        assert "expired" not in relied

    def test_a_current_certification_is_adequate_a_lapsed_one_is_not(self) -> None:
        assert verdict("US", **DPF, certified_until=TODAY) == HopStatus.ADEQUATE
        lapsed = reason("US", **DPF, certified_until=TODAY - timedelta(days=1))
        assert "lapsed on 2026-11-21" in lapsed
        assert verdict("IN", **DPF) == HopStatus.UNAPPROVED


class TestPartialAdequacy:
    def test_a_company_is_presumed_within_the_private_sector_scope(self) -> None:
        for country in ("JP", "CA", "KR", "IL"):
            assert verdict(country) == HopStatus.ADEQUATE, country
        assert "commercial organisation" in reason("JP")

    @pytest.mark.parametrize(
        ("country", "sector"),
        [
            ("JP", Sector.PUBLIC),
            ("JP", Sector.ACADEMIC),
            ("JP", Sector.PRESS),
            ("CA", Sector.PUBLIC),
            ("CA", Sector.NON_COMMERCIAL),
            ("KR", Sector.RELIGIOUS),
            ("KR", Sector.CREDIT),
        ],
    )
    def test_a_recipient_declared_outside_the_scope_needs_another_mechanism(
        self, country: str, sector: Sector
    ) -> None:
        outside = Recipient(country=country, sector=sector)
        judged = judge_hop(outside, None, RULES, TODAY)
        assert judged.status == HopStatus.UNAPPROVED
        assert f"declared {sector.value}" in judged.reason and "another mechanism" in judged.reason
        sccs = Mechanism(kind=MechanismKind.SCCS, module=2)
        assert judge_hop(outside, sccs, RULES, TODAY).status == HopStatus.SAFEGUARDED

    def test_scopes_differ_per_decision(self) -> None:
        assert judge_hop(Recipient("KR", sector=Sector.PUBLIC), None, RULES, TODAY).approved
        assert judge_hop(Recipient("JP", sector=Sector.NON_COMMERCIAL), None, RULES, TODAY).approved
        assert judge_hop(Recipient("CH", sector=Sector.PUBLIC), None, RULES, TODAY).approved

    def test_israel_covers_automated_processing(self) -> None:
        manual = judge_hop(Recipient("IL", automated=False), None, RULES, TODAY)
        assert manual.status == HopStatus.UNAPPROVED and "non-automated" in manual.reason

    def test_relying_on_adequacy_outside_its_scope(self) -> None:
        relied = judge_hop(
            Recipient("JP", sector=Sector.PUBLIC), Mechanism(kind=MechanismKind.ADEQUACY), RULES, TODAY
        )
        assert relied.reason.startswith("to JP: adequacy relied on, but adequacy decision (EU) 2019/419")


class TestArt49:
    def test_a_closed_list_with_its_letters(self) -> None:
        assert len(Art49Derogation) == 8
        assert Art49Derogation.EXPLICIT_CONSENT.article == "Art. 49(1)(a)"
        assert Art49Derogation.PUBLIC_REGISTER.article == "Art. 49(1)(g)"
        assert Art49Derogation.COMPELLING_LEGITIMATE_INTERESTS.article == "Art. 49(1) second subparagraph"
        for spelt in ("explicit consent", "Explicit-Consent", "49(1)(a)", "Art. 49(1)(a)"):
            assert Mechanism(kind="art49", derogation=spelt).derogation == Art49Derogation.EXPLICIT_CONSENT

    def test_anything_else_is_refused(self) -> None:
        with pytest.raises(ValueError, match="derogation"):
            Mechanism(kind="art49", derogation="legitimate interest")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="derogation"):
            Mechanism(kind=MechanismKind.ART49)

    def test_a_derogation_is_its_own_verdict_for_a_controller_recipient(self) -> None:
        consent = Mechanism(kind="art49", derogation="explicit_consent")  # type: ignore[arg-type]
        judged = judge_hop(Recipient("IN", role=RecipientRole.CONTROLLER), consent, RULES, TODAY)
        assert judged.status == HopStatus.DEROGATION and judged.approved
        assert (
            "not a safeguard" in judged.reason
            and judged.mechanism == "Art. 49(1)(a) derogation (explicit_consent)"
        )

    def test_refused_for_a_standing_processor_relationship(self) -> None:
        consent = Mechanism(kind="art49", derogation="explicit_consent")  # type: ignore[arg-type]
        for onward in (False, True):
            judged = judge_hop(Recipient("IN", onward=onward), consent, RULES, TODAY)
            assert judged.status == HopStatus.UNAPPROVED
            assert "standing processor relationship" in judged.reason


class TestSccModules:
    @pytest.mark.parametrize(
        ("role", "onward", "module"),
        [
            (RecipientRole.PROCESSOR, False, 2),
            (RecipientRole.PROCESSOR, True, 3),
            (RecipientRole.CONTROLLER, False, 1),
            (RecipientRole.CONTROLLER, True, 4),
        ],
    )
    def test_each_relationship_has_its_module(self, role: RecipientRole, onward: bool, module: int) -> None:
        recipient = Recipient("IN", role=role, onward=onward)
        for signed in range(1, 5):
            judged = judge_hop(recipient, Mechanism(kind=MechanismKind.SCCS, module=signed), RULES, TODAY)
            expected = HopStatus.SAFEGUARDED if signed == module else HopStatus.SCC_MODULE_MISMATCH
            assert judged.status == expected, (role, onward, signed)

    def test_a_mismatch_is_not_approved_and_says_which_module_applies(self) -> None:
        judged = judge_hop(
            Recipient("IN", onward=True), Mechanism(kind=MechanismKind.SCCS, module=2), RULES, TODAY
        )
        assert not judged.approved
        assert "module 3 of Decision (EU) 2021/914 applies" in judged.reason
        assert "controller to processor" in judged.reason

    def test_other_mechanisms_and_their_limits(self) -> None:
        assert verdict("IN", kind=MechanismKind.BCRS) == HopStatus.SAFEGUARDED
        assert verdict("IN", kind=MechanismKind.ADEQUACY) == HopStatus.UNAPPROVED
        assert "no adequacy decision exists" in reason("IN", kind=MechanismKind.ADEQUACY)
        assert verdict("IN", kind=MechanismKind.NONE) == HopStatus.UNAPPROVED
        with pytest.raises(ValueError, match="module"):
            Mechanism(kind=MechanismKind.SCCS)


SCC_2021, OLD_REPEAL, OLD_END = date(2021, 6, 27), date(2021, 9, 27), date(2022, 12, 27)
INDIA = Recipient("IN")


def sccs(on: date, recipient: Recipient = INDIA, **declared: object) -> tuple[HopStatus, str]:
    judged = judge_hop(
        recipient,
        Mechanism(kind=MechanismKind.SCCS, **declared),  # type: ignore[arg-type]
        RULES,
        on,
    )
    return judged.status, judged.reason


class TestSccsOfTheRepealedDecisions:
    """Decision (EU) 2021/914 in force from 27 Jun 2021; by its Art. 4 the old clauses could be
    signed only before 27 Sep 2021, and covered transfers until 27 Dec 2022, not from that day."""

    C2P = {"decision": "2010/87/EU", "signed": OLD_REPEAL - timedelta(days=1)}

    def test_old_controller_to_processor_clauses_cover_until_the_transition_ends(self) -> None:
        status, why = sccs(OLD_END - timedelta(days=1), **self.C2P)
        assert status == HopStatus.SAFEGUARDED
        assert (
            "Decision 2010/87/EU, repealed: a contract signed before 27 Sep 2021 covers "
            "transfers until 27 Dec 2022 (Decision (EU) 2021/914 Art. 4)" in why
        )

    def test_and_not_from_the_27_december_2022(self) -> None:
        status, why = sccs(OLD_END, **self.C2P)
        assert status == HopStatus.UNAPPROVED
        assert "deemed to give appropriate safeguards until 27 Dec 2022" in why
        assert "from that day they no longer cover the transfer" in why
        assert sccs(TODAY, **self.C2P)[0] == HopStatus.UNAPPROVED

    def test_old_clauses_signed_from_the_27_september_2021_never_covered_anything(self) -> None:
        status, why = sccs(date(2021, 10, 1), decision="2010/87/EU", signed=OLD_REPEAL)
        assert status == HopStatus.UNAPPROVED
        assert "2010/87/EU could be used for new contracts only before 27 Sep 2021" in why
        assert (
            sccs(date(2021, 10, 1), decision="2010/87/EU", signed=OLD_REPEAL - timedelta(days=1))[0]
            == HopStatus.SAFEGUARDED
        )

    def test_2021_clauses_signed_before_they_applied_must_cite_the_old_decision(self) -> None:
        status, why = sccs(TODAY, module=2, signed=SCC_2021 - timedelta(days=1))
        assert status == HopStatus.UNAPPROVED
        assert "before Decision (EU) 2021/914 applied (27 Jun 2021)" in why
        assert "2001/497/EC or 2004/915/EC or 2010/87/EU; declare which (decision)" in why
        assert sccs(TODAY, module=2, signed=SCC_2021)[0] == HopStatus.SAFEGUARDED

    def test_2021_clauses_cover_nothing_before_they_applied_nor_before_they_were_signed(self) -> None:
        assert sccs(SCC_2021 - timedelta(days=1), module=2)[0] == HopStatus.UNAPPROVED
        assert sccs(SCC_2021, module=2)[0] == HopStatus.SAFEGUARDED
        status, why = sccs(date(2024, 3, 1), module=2, signed=date(2024, 3, 2))
        assert (status, why) == (
            HopStatus.UNAPPROVED,
            "to IN under SCCs module 2: signed on 2024-03-02, not yet in place on 2024-03-01",
        )

    def test_controller_to_controller_sets_i_and_ii(self) -> None:
        controller = Recipient("IN", role=RecipientRole.CONTROLLER)
        for decision in ("2001/497/EC", "2004/915/EC"):
            declared = {"decision": decision, "signed": date(2019, 5, 1)}
            assert sccs(date(2022, 6, 1), controller, **declared)[0] == HopStatus.SAFEGUARDED
            assert sccs(OLD_END, controller, **declared)[0] == HopStatus.UNAPPROVED
            assert sccs(date(2022, 6, 1), **declared)[0] == HopStatus.SCC_MODULE_MISMATCH

    def test_old_clauses_have_no_module_for_a_processor_passing_data_on(self) -> None:
        status, why = sccs(date(2022, 6, 1), Recipient("IN", onward=True), **self.C2P)
        assert status == HopStatus.SCC_MODULE_MISMATCH
        assert "(controller to processor), but this hop is processor to processor: module 3" in why
        status, why = sccs(date(2022, 6, 1), module=3, **self.C2P)
        assert (status, "Decision 2010/87/EU has no module 3" in why) == (HopStatus.UNAPPROVED, True)

    @pytest.mark.parametrize(
        ("declared", "message"),
        [
            ({"decision": "2010/87/EU"}, "need the date they were signed"),
            ({"decision": "2002/16/EC", "module": 2}, "unknown SCC decision"),
            ({"kind": MechanismKind.BCRS, "signed": date(2020, 1, 1)}, "are for SCCs"),
        ],
    )
    def test_declarations_that_cannot_be_judged_are_refused(
        self, declared: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            Mechanism(**{"kind": MechanismKind.SCCS, **declared})  # type: ignore[arg-type]

    def test_spellings_of_a_decision_are_one(self) -> None:
        for spelling in ("2010/87", "2010/87/EU", " 2010/87/eu "):
            assert (
                Mechanism(kind=MechanismKind.SCCS, decision=spelling, signed=date(2020, 1, 1)).decision
                == "2010/87/EU"
            )
        assert Mechanism(kind=MechanismKind.SCCS, module=2, decision="(EU) 2021/914").decision == "2021/914"


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

    def test_an_audit_of_2019_finds_the_privacy_shield_valid(self) -> None:
        catalog = parse_catalog(Settings().catalog.read_text())
        then = {(h.store, h.chain): h.verdict for h in catalog_hops(catalog, RULES, date(2019, 6, 1))}
        assert then[("dropbox/recruitment", ("dropbox",))].status == HopStatus.ADEQUATE
        assert "(EU) 2016/1250" in then[("dropbox/recruitment", ("dropbox",))].reason

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
            ("brevo/contacts", "IN"),
            ("brevo/transactional", "IN"),
            ("gmail/mailboxes", "US"),
            ("dropbox/recruitment", "US"),
        }
        assert all(h["status"] == "unapproved" and h["reason"] for h in hops)

    def test_an_audit_before_schrems_ii_names_the_privacy_shield(self) -> None:
        import json

        from typer.testing import CliRunner

        from lineage.cli.app import app

        result = CliRunner().invoke(app, ["transfers", "--on", "2020-07-15", "--json"])
        hops = json.loads(result.stdout)["hops"]
        dropbox = next(h for h in hops if h["store"] == "dropbox/recruitment")
        assert dropbox["status"] == "adequate" and dropbox["mechanism"] == "privacy_shield"
