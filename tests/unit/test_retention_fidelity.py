"""Retention: the organisation's calendar, legal minimums, and the seed promises.

Dates sit on the first hour of a financial year in Paris, on 31 January, on DST changes and on
leap days, so that a wrong zone, an off-by-one or a wrong trigger gives a different answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from lineage.domain.catalog import Catalog, RetentionTrigger, parse_catalog
from lineage.domain.erasure import HoldingFacts, TaskStatus, task_outcome
from lineage.domain.events import CollectionEvent, SubjectRef
from lineage.domain.retention import (
    Expiry,
    HoldingClock,
    Moment,
    MomentMark,
    RetentionPolicy,
    add_duration,
    end_of_financial_year,
    moments_marked,
    rules_changed,
)
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import CatalogError

PARIS = ZoneInfo("Europe/Paris")
HASHER = SubjectHasher(b"unit-test-key-0123456789")

BASE = """
organisation: Test SAS
timezone: {zone}
indirect_sources: [pappers]
processors: [{{id: p, name: P, country: FR}}]
systems:
  - id: crm
    name: CRM
    kind: crm
    processor: p
    stores: [{{id: crm/contacts, country: FR}}, {{id: crm/suppliers, country: FR}}]
  - id: billing
    name: Billing
    kind: billing
    processor: p
    stores: [{{id: billing/invoices, country: FR}}, {{id: billing/contracts, country: FR}}]
  - id: app
    name: App
    kind: other
    processor: p
    stores: [{{id: app/accounts, country: FR}}]
retention:
{rules}
"""

RULES = """
  - {id: invoices, store: billing/invoices, duration: {years: 10}, trigger: end_of_financial_year,
     legal_obligation: true, source: "Code de commerce L123-22"}
  - {id: billing-legal, system: billing, categories: [user.financial], duration: {years: 10},
     trigger: end_of_financial_year, legal_obligation: true, source: "Code de commerce L123-22"}
  - {id: billing-5y-contract, store: billing/invoices, categories: [user.financial.bank_account],
     duration: {years: 5}, trigger: end_of_contract}
  - {id: contracts, store: billing/contracts, duration: {years: 5}, trigger: conclusion,
     source: "seed 004, Code civil 2224"}
  - {id: prospects, store: crm/contacts, subject_types: [prospect], duration: {years: 3},
     trigger: last_contact}
  - {id: clients, store: crm/contacts, subject_types: [customer], duration: {years: 5},
     trigger: end_of_contract}
  - {id: contacts, store: crm/contacts, duration: {years: 1}, trigger: collection}
  - {id: training, store: crm/suppliers, duration: {}, trigger: end_of_contract,
     source: "seed 001: deleted at the end of the contract"}
  - id: accounts-first
    store: app/accounts
    whichever: first
    clocks:
      - {duration: {years: 3}, trigger: last_contact}
      - {duration: {years: 1}, trigger: account_closure}
  - id: accounts-last
    store: app/accounts
    categories: [user.financial]
    whichever: last
    clocks:
      - {duration: {years: 3}, trigger: last_contact}
      - {duration: {years: 1}, trigger: account_closure}
"""


def catalog(rules: str = RULES, zone: str = "Europe/Paris") -> Catalog:
    return parse_catalog(BASE.format(zone=zone, rules=rules), "test.yaml")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def paris(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=PARIS)


def holding(
    store: str, category: str, subject_type: str | None = None, **moments: tuple[datetime, str]
) -> HoldingClock:
    return HoldingClock(
        store=store,
        system=None,
        category=category,
        purposes=(),
        moments={Moment(k): v for k, v in moments.items()},
        subject_type=subject_type,
    )


def expiry(h: HoldingClock, zone: str = "Europe/Paris") -> Expiry:
    found = RetentionPolicy(catalog(zone=zone)).expiry(h)
    assert found is not None
    return found


class TestOrganisationTimeZone:
    def test_an_invoice_of_the_first_hour_of_the_year_in_paris_counts_in_that_year(self) -> None:
        # 00:30 on 1 Jan 2025 in Paris is 23:30 UTC on 31 Dec 2024: read in UTC it would belong
        # to 2024 and expire on 1 Jan 2035, a year early despite its legal obligation.
        issued = utc(2024, 12, 31, 23, 30)
        found = expiry(holding("billing/invoices", "user.name", collected=(issued, "e:inv")))
        assert found.at == paris(2036, 1, 1)
        assert found.at.astimezone(UTC) == utc(2035, 12, 31, 23, 0)
        assert expiry(
            holding("billing/invoices", "user.name", collected=(issued, "e:inv")), zone="UTC"
        ).at == utc(2035, 1, 1)

    def test_the_last_hour_of_the_year_in_paris_stays_in_it(self) -> None:
        issued = utc(2024, 12, 31, 22, 59)  # 23:59 in Paris
        found = expiry(holding("billing/invoices", "user.name", collected=(issued, "e:inv")))
        assert found.at == paris(2035, 1, 1)

    def test_month_arithmetic_runs_on_the_paris_calendar(self) -> None:
        # 23:30 UTC on 31 Jan 2024 is 00:30 on 1 Feb in Paris: + 1 month is 1 Mar 00:30 in Paris,
        # not 29 Feb 23:30 UTC (the clamped 31 Jan + 1 month of the UTC calendar).
        at = utc(2024, 1, 31, 23, 30)
        from lineage.domain.catalog import Duration

        assert add_duration(at, Duration(months=1), PARIS) == paris(2024, 3, 1, 0, 30)
        assert add_duration(at, Duration(months=1)) == utc(2024, 2, 29, 23, 30)

    def test_a_dst_change_keeps_the_wall_clock_time(self) -> None:
        from lineage.domain.catalog import Duration

        # 30 Mar 2024 10:00 in Paris (+01:00) + 1 day = 31 Mar 10:00 (+02:00): 23 hours later.
        start = paris(2024, 3, 30, 10, 0)
        end = add_duration(start.astimezone(UTC), Duration(days=1), PARIS)
        assert end == paris(2024, 3, 31, 10, 0)
        assert (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() == 23 * 3600

    def test_the_financial_year_end_is_midnight_in_paris(self) -> None:
        end = end_of_financial_year(utc(2024, 6, 30, 22, 30), "06-30", PARIS)  # 1 Jul 00:30 Paris
        assert end == paris(2025, 7, 1)

    def test_an_unknown_zone_is_refused_with_what_is_expected(self) -> None:
        with pytest.raises(CatalogError, match="not an IANA time zone name"):
            catalog(zone="Europe/Lutece")

    def test_changing_the_zone_recomputes_every_store_with_rules(self) -> None:
        assert rules_changed(catalog(zone="UTC"), catalog()) == {
            "billing/invoices",
            "billing/contracts",
            "crm/contacts",
            "crm/suppliers",
            "app/accounts",
        }


class TestLegalObligationIsAMinimum:
    def test_a_more_specific_shorter_rule_cannot_shorten_the_legal_obligation(self) -> None:
        # billing-5y-contract (store + category) is the most specific rule, but the data is also
        # under the system's 10-year legal obligation: it stays 10 years, retained by law.
        h = holding(
            "billing/invoices",
            "user.financial.bank_account",
            collected=(utc(2024, 3, 1), "e:inv"),
            contract_end=(utc(2024, 6, 30), "e:end"),
        )
        found = expiry(h)
        assert (found.rule, found.legal_obligation, found.at) == ("billing-legal", True, paris(2035, 1, 1))

    def test_a_pending_legal_obligation_keeps_the_data_pending(self) -> None:
        rules = RULES.replace(
            "trigger: end_of_financial_year, legal_obligation: true",
            "trigger: account_closure, legal_obligation: true",
        )
        h = holding(
            "billing/invoices",
            "user.financial.bank_account",
            collected=(utc(2024, 3, 1), "e:inv"),
            contract_end=(utc(2024, 6, 30), "e:end"),
        )
        found = RetentionPolicy(catalog(rules)).expiry(h)
        assert found is not None and (found.rule, found.pending, found.legal_obligation) == (
            "billing-legal",
            True,
            True,
        )

    def test_a_longer_specific_rule_still_binds(self) -> None:
        rules = RULES.replace(
            "duration: {years: 5}, trigger: end_of_contract}",
            "duration: {years: 20}, trigger: end_of_contract}",
            1,
        )
        h = holding(
            "billing/invoices",
            "user.financial.bank_account",
            collected=(utc(2024, 3, 1), "e:inv"),
            contract_end=(utc(2024, 6, 30), "e:end"),
        )
        found = RetentionPolicy(catalog(rules)).expiry(h)
        assert found is not None and (found.rule, found.at) == (
            "billing-5y-contract",
            paris(2044, 6, 30, 2, 0),
        )


class TestLegalPeriodUnderALongerRule:
    """A 12-year promise over a 10-year legal obligation: the promise binds the expiry, the law
    only the first ten years (Art. 17(3)(b))."""

    RULES_12_OVER_10 = RULES.replace(
        "duration: {years: 5}, trigger: end_of_contract}",
        "duration: {years: 12}, trigger: end_of_contract}",
        1,
    )

    def _found(self) -> Expiry:
        h = holding(
            "billing/invoices",
            "user.financial.bank_account",
            collected=(utc(2024, 3, 1), "e:inv"),
            contract_end=(utc(2024, 6, 30), "e:end"),
        )
        found = RetentionPolicy(catalog(self.RULES_12_OVER_10)).expiry(h)
        assert found is not None
        return found

    def test_the_longer_rule_binds_and_the_legal_end_is_kept_beside_it(self) -> None:
        found = self._found()
        # 30 Jun 2024 00:00 UTC is 02:00 in Paris; the invoice's year ends at midnight 1 Jan 2025.
        assert (found.rule, found.legal_obligation, found.at) == (
            "billing-5y-contract",
            False,
            paris(2036, 6, 30, 2, 0),
        )
        assert (found.legal_rule, found.legal_until) == ("billing-legal", paris(2035, 1, 1))

    def test_retained_by_law_to_the_last_instant_of_the_legal_period_only(self) -> None:
        found = self._found()
        assert found.retained_by_law(paris(2034, 12, 31, 23, 59))
        assert not found.retained_by_law(paris(2035, 1, 1))

    def test_a_legal_rule_that_binds_carries_its_own_end(self) -> None:
        h = holding(
            "billing/invoices",
            "user.financial.bank_account",
            collected=(utc(2024, 3, 1), "e:inv"),
            contract_end=(utc(2024, 6, 30), "e:end"),
        )
        found = expiry(h)
        assert (found.rule, found.legal_rule, found.legal_until) == (
            "billing-legal",
            "billing-legal",
            found.at,
        )

    def test_no_legal_obligation_no_legal_period(self) -> None:
        found = expiry(holding("crm/contacts", "user.name", collected=(utc(2024, 3, 1), "e:c")))
        assert (found.legal_rule, found.legal_until) == (None, None)
        assert not found.retained_by_law(utc(2024, 3, 2))

    def test_a_pending_legal_obligation_under_a_started_rule_still_binds(self) -> None:
        rules = self.RULES_12_OVER_10.replace(
            "trigger: end_of_financial_year, legal_obligation: true",
            "trigger: account_closure, legal_obligation: true",
        )
        h = holding(
            "billing/invoices",
            "user.financial.bank_account",
            collected=(utc(2024, 3, 1), "e:inv"),
            contract_end=(utc(2024, 6, 30), "e:end"),
        )
        found = RetentionPolicy(catalog(rules)).expiry(h)
        assert found is not None and found.pending and found.legal_rule == "billing-legal"
        assert found.retained_by_law(utc(2060, 1, 1))


class TestSeedPromises:
    def test_rules_by_subject_type_within_one_store(self) -> None:
        moments = {
            "collected": (utc(2024, 2, 29, 9), "e:c"),
            "written": (utc(2024, 2, 29, 9), "e:c"),
            "contact": (utc(2024, 2, 29, 9), "e:c"),
        }
        prospect = expiry(holding("crm/contacts", "user.name", "prospect", **moments))
        client = expiry(holding("crm/contacts", "user.name", "customer", **moments))
        other = expiry(holding("crm/contacts", "user.name", "supplier_vendor", **moments))
        assert (prospect.rule, prospect.at) == ("prospects", paris(2027, 2, 28, 10))
        assert (client.rule, client.pending) == ("clients", True)
        assert (other.rule, other.at) == ("contacts", paris(2025, 2, 28, 10))

    def test_conclusion_runs_from_the_first_sighting_not_the_amendment(self) -> None:
        h = holding(
            "billing/contracts",
            "user.name",
            first_seen=(utc(2020, 3, 1, 12), "e:signed"),
            collected=(utc(2022, 6, 1, 12), "e:amend"),
            written=(utc(2022, 6, 1, 12), "e:amend"),
        )
        found = expiry(h)
        assert (found.trigger, found.at, found.event_id) == (
            RetentionTrigger.CONCLUSION,
            paris(2025, 3, 1, 13),
            "e:signed",
        )

    def test_zero_duration_ends_with_the_contract(self) -> None:
        end = utc(2025, 3, 30, 9, 15)
        found = expiry(holding("crm/suppliers", "user.name", contract_end=(end, "e:end")))
        assert found.at == end
        assert expiry(holding("crm/suppliers", "user.name")).pending

    def test_whichever_first_needs_only_one_clock_started(self) -> None:
        used = {"contact": (utc(2024, 2, 29, 12), "e:use")}
        open_account = expiry(holding("app/accounts", "user.name", **used))
        assert (open_account.trigger, open_account.at) == (
            RetentionTrigger.LAST_CONTACT,
            paris(2027, 2, 28, 13),
        )
        closed = expiry(
            holding("app/accounts", "user.name", **used, account_closure=(utc(2025, 1, 31, 12), "e:close"))
        )
        assert (closed.trigger, closed.at, closed.event_id) == (
            RetentionTrigger.ACCOUNT_CLOSURE,
            paris(2026, 1, 31, 13),
            "e:close",
        )

    def test_whichever_last_waits_for_every_clock(self) -> None:
        used = {"contact": (utc(2024, 2, 29, 12), "e:use")}
        open_account = expiry(holding("app/accounts", "user.financial", **used))
        assert (open_account.rule, open_account.pending) == ("accounts-last", True)
        closed = expiry(
            holding(
                "app/accounts", "user.financial", **used, account_closure=(utc(2025, 1, 31, 12), "e:close")
            )
        )
        assert (closed.trigger, closed.at) == (RetentionTrigger.LAST_CONTACT, paris(2027, 2, 28, 13))

    @pytest.mark.parametrize(
        ("rule", "message"),
        [
            (
                "{store: crm/contacts, clocks: [{duration: {years: 1}, trigger: collection}], "
                "whichever: first}",
                "two or more clocks",
            ),
            (
                "{store: crm/contacts, duration: {years: 1}, trigger: collection, whichever: first}",
                "nothing to combine",
            ),
            ("{store: crm/contacts, duration: {years: 1}}", "needs duration and trigger"),
            (
                "{store: crm/contacts, duration: {years: 1}, trigger: collection, "
                "clocks: [{duration: {years: 1}, trigger: collection}]}",
                "not both",
            ),
            ("{store: crm/contacts, duration: {}, trigger: conclusion}", "only meaningful from an end"),
            (
                "{store: crm/contacts, subject_types: [martian], duration: {years: 1}, trigger: collection}",
                "subject_types",
            ),
        ],
    )
    def test_bad_rules_are_refused_clearly(self, rule: str, message: str) -> None:
        with pytest.raises(CatalogError, match=message):
            catalog(f"  - {rule}")


class TestIndirectCollection:
    def _event(self, source: str) -> CollectionEvent:
        return CollectionEvent(
            event_id="e:enrich-1",
            occurred_at=utc(2025, 1, 1),
            source=source,
            action="collected",
            store="crm/contacts",
            categories=("user.name",),
            subject=SubjectRef(type=SubjectType.PROSPECT, key=HASHER.email("ana@example.com")),
        )

    def test_a_public_register_enrichment_is_not_contact(self) -> None:
        indirect = RetentionPolicy(catalog()).indirect_sources
        marks = moments_marked(self._event("pappers"), indirect)
        assert MomentMark(Moment.CONTACT, False) not in marks
        assert MomentMark(Moment.COLLECTED, False) in marks

    def test_a_collection_from_the_person_still_is(self) -> None:
        indirect = RetentionPolicy(catalog()).indirect_sources
        assert MomentMark(Moment.CONTACT, False) in moments_marked(self._event("webform"), indirect)


class TestErasureOfDataUnderALegalObligation:
    def test_reported_retained_by_law_not_outstanding(self) -> None:
        h = holding(
            "billing/invoices",
            "user.financial.bank_account",
            collected=(utc(2024, 3, 1), "e:inv"),
            contract_end=(utc(2024, 6, 30), "e:end"),
        )
        found = expiry(h)
        facts = HoldingFacts(
            category=h.category,
            state="held",
            legal_obligation=found.legal_obligation,
            expires_at=found.at,
            retention_rule=found.rule,
        )
        outcome = task_outcome([h.category], [facts], utc(2030, 1, 1))  # past the 5-year rule
        assert outcome.status is TaskStatus.RETAINED
        assert outcome.reason == "legal obligation: billing-legal until 2035-01-01"

    def test_a_longer_ordinary_rule_is_no_ground_to_refuse_after_the_legal_period(self) -> None:
        rules = RULES.replace(
            "duration: {years: 5}, trigger: end_of_contract}",
            "duration: {years: 12}, trigger: end_of_contract}",
            1,
        )
        h = holding(
            "billing/invoices",
            "user.financial.bank_account",
            collected=(utc(2024, 3, 1), "e:inv"),
            contract_end=(utc(2024, 6, 30), "e:end"),
        )
        found = RetentionPolicy(catalog(rules)).expiry(h)
        assert found is not None
        facts = HoldingFacts(
            category=h.category,
            state="held",
            legal_obligation=found.legal_obligation,
            expires_at=found.at,
            retention_rule=found.rule,
            legal_rule=found.legal_rule,
            legal_until=found.legal_until,
        )
        during = task_outcome([h.category], [facts], paris(2034, 12, 31, 23, 59))
        after = task_outcome([h.category], [facts], paris(2035, 1, 1))
        assert (during.status, during.reason) == (
            TaskStatus.RETAINED,
            "legal obligation: billing-legal until 2035-01-01",
        )
        assert (after.status, after.reason) == (TaskStatus.OUTSTANDING, None)


class TestOnlyChangedExpiriesAreWritten:
    """``graph.retention.expiry_rows`` skips holdings whose stored expiry is current; the legal
    period is part of what is compared, or a moved legal end under an unchanged longer rule
    would never reach the graph."""

    RULES_12_OVER_10 = TestLegalPeriodUnderALongerRule.RULES_12_OVER_10

    def _input(self, **current: object) -> dict[str, object]:
        ms = {
            "collected_ms": int(utc(2024, 3, 1).timestamp() * 1000),
            "collected_event": "e:inv",
            "contract_end_ms": int(utc(2024, 6, 30).timestamp() * 1000),
            "contract_end_event": "e:end",
        }
        return {
            "id": "h1",
            "store": "billing/invoices",
            "category": "user.financial.bank_account",
            "purposes": [],
            **ms,
            **current,
        }

    def _stored(self, policy: RetentionPolicy) -> dict[str, object]:
        from graph.retention import expiry_rows

        [row] = expiry_rows(policy, [self._input()])
        return {
            "current_checked": True,
            "current_expires_at": row["expires_at"],
            "current_rule": row["rule"],
            "current_moment": row["moment"],
            "current_event_id": row["event_id"],
            "current_legal_rule": row["legal_rule"],
            "current_legal_until": row["legal_until"],
            "current_action": row["action"],
            "current_archive_until": row["archive_until"],
        }

    def test_an_unchanged_expiry_is_not_rewritten(self) -> None:
        from graph.retention import expiry_rows

        policy = RetentionPolicy(catalog(self.RULES_12_OVER_10))
        assert expiry_rows(policy, [self._input(**self._stored(policy))]) == []

    def test_a_holding_stored_without_its_action_is_rewritten_with_it(self) -> None:
        from graph.retention import expiry_rows

        policy = RetentionPolicy(catalog(self.RULES_12_OVER_10))
        stale = {**self._stored(policy), "current_action": None}
        [row] = expiry_rows(policy, [self._input(**stale)])
        assert (row["action"], row["archive_until"]) == ("delete", None)

    def test_a_holding_stored_without_its_legal_period_is_rewritten_with_it(self) -> None:
        from graph.retention import expiry_rows

        policy = RetentionPolicy(catalog(self.RULES_12_OVER_10))
        stale = {**self._stored(policy), "current_legal_rule": None, "current_legal_until": None}
        [row] = expiry_rows(policy, [self._input(**stale)])
        assert (row["rule"], row["legal_rule"], row["legal_until"]) == (
            "billing-5y-contract",
            "billing-legal",
            int(paris(2035, 1, 1).timestamp() * 1000),
        )
