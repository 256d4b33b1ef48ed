"""Retention promises that end as the policies say: a clock replaced once the account closes
(``until``), the action at the end of the active period (delete, anonymise, archive), the
intermediate archive's states, equally specific rules refused, partners and members."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lineage.domain.catalog import Catalog, ExpiryAction, RetentionTrigger, parse_catalog
from lineage.domain.events import CollectionEvent, SubjectRef
from lineage.domain.retention import (
    Expiry,
    HoldingClock,
    Moment,
    RetentionPolicy,
    RetentionState,
    is_overdue,
    retention_state,
    rules_changed,
)
from lineage.domain.ropa import describe_rule
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import CatalogError

BASE = """
organisation: Test SAS
processors: [{{id: p, name: P, country: FR}}]
systems:
  - id: app
    name: App
    kind: other
    processor: p
    stores: [{{id: app/accounts, country: FR}}, {{id: erp/suppliers, country: FR}},
             {{id: app/reviews, country: FR}}]
retention:
{rules}
"""

# Seed 002 §2.3.1: "archived ... three years after your last use of our Sites, if you did not
# close your account; one year after the closure of your account". The archive period is not
# stated there: five years (Code civil art. 2224) is the catalog's figure.
ACCOUNTS = """
  - id: accounts
    store: app/accounts
    duration: {years: 3}
    trigger: last_contact
    until: {duration: {years: 1}, trigger: account_closure}
    at_expiry: archive
    archive: {duration: {years: 5}}
    source: "seed 002 2.3.1"
  - id: reviews-anonymised
    store: app/reviews
    duration: {years: 3}
    trigger: last_contact
    at_expiry: anonymise
    source: "seed 002 2.3.2: content anonymised after the periods of 2.3.1"
"""


def catalog(rules: str = ACCOUNTS) -> Catalog:
    return parse_catalog(BASE.format(rules=rules), "test.yaml")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def holding(
    store: str = "app/accounts", subject_type: str | None = None, **moments: datetime
) -> HoldingClock:
    return HoldingClock(
        store=store,
        system=None,
        category="user.contact.email",
        purposes=(),
        moments={Moment(name): (at, f"e:{name}") for name, at in moments.items()},
        subject_type=subject_type,
    )


def expiry(h: HoldingClock, rules: str = ACCOUNTS) -> Expiry:
    found = RetentionPolicy(catalog(rules)).expiry(h)
    assert found is not None
    return found


class TestUntilReplacesTheClock:
    def test_seed_002_closure_one_year_after_replaces_three_years_after_last_use(self) -> None:
        closed = expiry(holding(contact=utc(2020, 1, 1), account_closure=utc(2022, 6, 1)))
        assert closed.at == utc(2023, 6, 1)
        assert (closed.trigger, closed.moment, closed.event_id) == (
            RetentionTrigger.ACCOUNT_CLOSURE,
            Moment.ACCOUNT_CLOSURE,
            "e:account_closure",
        )

    def test_whichever_first_or_last_would_not_say_what_the_policy_says(self) -> None:
        combined = """
  - id: accounts
    store: app/accounts
    whichever: {which}
    clocks:
      - {{duration: {{years: 3}}, trigger: last_contact}}
      - {{duration: {{years: 1}}, trigger: account_closure}}
"""
        closed = holding(contact=utc(2020, 1, 1), account_closure=utc(2022, 6, 1))
        assert expiry(closed, combined.format(which="first")).at == utc(2023, 1, 1)  # too early
        open_account = holding(contact=utc(2020, 1, 1))
        assert expiry(open_account, combined.format(which="last")).at is None  # never
        assert expiry(open_account).at == utc(2023, 1, 1)  # until: 3 years after last use

    def test_an_open_account_runs_three_years_from_the_last_use(self) -> None:
        found = expiry(holding(contact=utc(2020, 1, 1)))
        assert (found.at, found.trigger, found.moment) == (
            utc(2023, 1, 1),
            RetentionTrigger.LAST_CONTACT,
            Moment.CONTACT,
        )

    def test_data_already_due_when_the_account_closes_stays_due(self) -> None:
        """Unused for three years, the account's data was due; closing it later revives nothing."""
        found = expiry(holding(contact=utc(2018, 1, 1), account_closure=utc(2022, 6, 1)))
        assert (found.at, found.trigger) == (utc(2021, 1, 1), RetentionTrigger.LAST_CONTACT)

    def test_of_several_replacing_clocks_the_longest_that_happened_decides(self) -> None:
        """Seed 002 §2.3.1 whole: one year after the closure, "unless you've received a negative
        decision ..., in which case your data is retained for two years following the most
        recent negative decision ..., whichever is longest"."""
        rules = """
  - id: accounts
    store: app/accounts
    duration: {years: 3}
    trigger: last_contact
    until:
      - {duration: {years: 1}, trigger: account_closure}
      - {duration: {years: 2}, trigger: rejection}
"""
        closed = holding(contact=utc(2020, 1, 1), account_closure=utc(2022, 6, 1))
        assert expiry(closed, rules).at == utc(2023, 6, 1)  # no decision: the closure's year
        decided = holding(contact=utc(2020, 1, 1), account_closure=utc(2022, 6, 1), rejection=utc(2022, 3, 1))
        found = expiry(decided, rules)
        assert (found.at, found.trigger) == (utc(2024, 3, 1), RetentionTrigger.REJECTION)
        decided_early = holding(
            contact=utc(2020, 1, 1), account_closure=utc(2022, 6, 1), rejection=utc(2021, 1, 1)
        )
        assert expiry(decided_early, rules).at == utc(2023, 6, 1)  # the closure's is longer
        assert expiry(holding(contact=utc(2020, 1, 1)), rules).at == utc(2023, 1, 1)  # open
        assert "whichever is later" in describe_rule(catalog(rules).retention[0])

    def test_until_may_not_repeat_a_trigger(self) -> None:
        rules = """
  - store: app/accounts
    duration: {years: 3}
    trigger: last_contact
    until:
      - {duration: {years: 1}, trigger: account_closure}
      - {duration: {years: 2}, trigger: account_closure}
"""
        with pytest.raises(CatalogError, match="until runs from account_closure"):
            catalog(rules)

    def test_a_closure_the_day_the_clock_ends_is_too_late(self) -> None:
        found = expiry(holding(contact=utc(2019, 6, 1), account_closure=utc(2022, 6, 1)))
        assert found.at == utc(2022, 6, 1) and found.trigger is RetentionTrigger.LAST_CONTACT

    def test_a_closure_moves_the_expiry_where_the_writer_looks(self) -> None:
        policy = RetentionPolicy(catalog())
        assert policy.may_move("app/accounts", "user.contact.email", (), [Moment.ACCOUNT_CLOSURE])

    def test_until_runs_from_another_trigger_and_may_be_zero_from_an_end(self) -> None:
        at_closure = ACCOUNTS.replace("until: {duration: {years: 1}", "until: {duration: {}")
        assert expiry(holding(contact=utc(2020, 1, 1), account_closure=utc(2022, 6, 1)), at_closure).at == (
            utc(2022, 6, 1)
        )
        with pytest.raises(CatalogError, match="zero retention duration"):
            catalog(ACCOUNTS.replace("trigger: account_closure}", "trigger: collection, duration: {}}"))
        with pytest.raises(CatalogError, match="until runs from last_contact"):
            catalog(ACCOUNTS.replace("trigger: account_closure}", "trigger: last_contact}"))


class TestArchiveThenDelete:
    ARCHIVED = holding(contact=utc(2020, 1, 1))

    def test_the_expiry_carries_the_action_and_the_end_of_the_archive(self) -> None:
        found = expiry(self.ARCHIVED)
        assert (found.at, found.action, found.archive_until) == (
            utc(2023, 1, 1),
            ExpiryAction.ARCHIVE,
            utc(2028, 1, 1),
        )
        assert found.gone_at == utc(2028, 1, 1)

    def test_active_then_archive_due_then_archived_then_overdue(self) -> None:
        found = expiry(self.ARCHIVED)
        assert found.state(utc(2022, 1, 1)) is RetentionState.ACTIVE
        assert found.state(utc(2022, 1, 1), horizon=utc(2023, 6, 1)) is RetentionState.ARCHIVE_DUE
        assert found.state(utc(2023, 1, 1)) is RetentionState.ARCHIVED
        assert found.state(utc(2027, 12, 31)) is RetentionState.ARCHIVED
        assert found.state(utc(2028, 1, 1)) is RetentionState.OVERDUE

    def test_overdue_only_past_the_archive(self) -> None:
        found = expiry(self.ARCHIVED)
        assert not is_overdue(found, utc(2027, 12, 31, 23, 59))
        assert is_overdue(found, utc(2028, 1, 1))

    def test_a_closed_account_is_archived_a_year_after_closure_for_five_years(self) -> None:
        found = expiry(holding(contact=utc(2020, 1, 1), account_closure=utc(2022, 6, 1)))
        assert (found.at, found.archive_until) == (utc(2023, 6, 1), utc(2028, 6, 1))

    def test_a_pending_clock_has_no_archive_end_yet(self) -> None:
        rules = ACCOUNTS.replace(
            "duration: {years: 3}\n    trigger: last_contact\n    until",
            "duration: {years: 3}\n    trigger: end_of_contract\n    until",
        )
        found = expiry(holding(contact=utc(2020, 1, 1)), rules)
        assert (found.at, found.archive_until, found.pending) == (None, None, True)
        assert found.state(utc(2099, 1, 1)) is RetentionState.ACTIVE

    def test_archive_and_at_expiry_archive_go_together(self) -> None:
        with pytest.raises(CatalogError, match="at_expiry: archive and archive"):
            catalog(ACCOUNTS.replace("    at_expiry: archive\n", ""))
        with pytest.raises(CatalogError, match="at_expiry: archive and archive"):
            catalog(ACCOUNTS.replace("    archive: {duration: {years: 5}}\n", ""))
        with pytest.raises(CatalogError, match="archive period of zero"):
            catalog(ACCOUNTS.replace("archive: {duration: {years: 5}}", "archive: {duration: {}}"))

    def test_a_legal_obligation_kept_in_archive_is_kept_by_law_to_its_end(self) -> None:
        rules = """
  - {id: contracts, store: app/accounts, duration: {years: 1}, trigger: end_of_contract,
     at_expiry: archive, archive: {duration: {years: 4}}, legal_obligation: true}
  - {id: emails, store: app/accounts, categories: [user.contact], duration: {years: 3},
     trigger: last_contact}
"""
        found = expiry(holding(contact=utc(2020, 1, 1), contract_end=utc(2020, 1, 1)), rules)
        # the archive keeps it to 2025, beyond the 3-year promise: the legal rule binds
        assert (found.rule, found.at, found.archive_until) == ("contracts", utc(2021, 1, 1), utc(2025, 1, 1))
        assert found.legal_until == utc(2025, 1, 1)
        assert found.retained_by_law(utc(2024, 12, 31)) and not found.retained_by_law(utc(2025, 1, 1))

    def test_the_record_of_processing_says_it(self) -> None:
        (accounts, reviews) = catalog().retention
        assert describe_rule(accounts) == (
            "3 years from last_contact, once account_closure: 1 year from account_closure instead, "
            "then archived 5 years (seed 002 2.3.1)"
        )
        assert "then anonymised" in describe_rule(reviews)

    def test_the_access_report_words_it(self) -> None:
        from lineage.domain.labels import Lang, retention_words

        (accounts, reviews) = catalog().retention
        english = retention_words(accounts, Lang.EN)
        assert english.startswith("3 years after the last contact; or, once it has happened, 1 year after")
        assert english.endswith(", then archived for 5 years")
        assert retention_words(reviews, Lang.FR).endswith(", puis anonymisées")

    def test_changing_the_archive_period_recomputes_the_store(self) -> None:
        longer = ACCOUNTS.replace("archive: {duration: {years: 5}}", "archive: {duration: {years: 6}}")
        assert rules_changed(catalog(), catalog(longer)) == {"app/accounts"}


class TestAnonymise:
    def test_anonymised_at_expiry_is_overdue_from_the_expiry(self) -> None:
        found = expiry(holding("app/reviews", contact=utc(2020, 1, 1)))
        assert (found.at, found.action, found.archive_until) == (
            utc(2023, 1, 1),
            ExpiryAction.ANONYMISE,
            None,
        )
        assert found.state(utc(2022, 12, 31)) is RetentionState.ACTIVE
        assert found.state(utc(2023, 1, 1)) is RetentionState.OVERDUE and is_overdue(found, utc(2023, 1, 1))

    def test_the_default_action_is_delete(self) -> None:
        rules = "  - {id: r, store: app/reviews, duration: {years: 1}, trigger: collection}"
        assert catalog(rules).retention[0].at_expiry is ExpiryAction.DELETE


class TestStates:
    @pytest.mark.parametrize(
        ("expires", "archive", "now", "horizon", "state"),
        [
            (None, None, utc(2099, 1, 1), None, RetentionState.ACTIVE),
            (utc(2025, 1, 1), None, utc(2024, 1, 1), utc(2026, 1, 1), RetentionState.ACTIVE),
            (utc(2025, 1, 1), None, utc(2025, 1, 1), None, RetentionState.OVERDUE),
            (utc(2025, 1, 1), utc(2030, 1, 1), utc(2024, 1, 1), None, RetentionState.ACTIVE),
            (utc(2025, 1, 1), utc(2030, 1, 1), utc(2024, 1, 1), utc(2025, 1, 2), RetentionState.ARCHIVE_DUE),
            (utc(2025, 1, 1), utc(2030, 1, 1), utc(2024, 1, 1), utc(2025, 1, 1), RetentionState.ACTIVE),
            (utc(2025, 1, 1), utc(2030, 1, 1), utc(2025, 1, 1), None, RetentionState.ARCHIVED),
            (utc(2025, 1, 1), utc(2030, 1, 1), utc(2030, 1, 1), None, RetentionState.OVERDUE),
        ],
    )
    def test_retention_state(
        self,
        expires: datetime | None,
        archive: datetime | None,
        now: datetime,
        horizon: datetime | None,
        state: RetentionState,
    ) -> None:
        assert retention_state(expires, archive, now, horizon) is state


SUPPLIERS = """
  - {id: suppliers-potential, store: erp/suppliers, duration: {years: 3}, trigger: last_contact,
     source: "seed 003 7/: potential suppliers 3 years"}
  - {id: suppliers-active, store: erp/suppliers, duration: {years: 5}, trigger: last_contact,
     source: "seed 003 7/: active suppliers 5 years after the last purchase"}
"""


class TestOverlapRefused:
    def test_two_rules_narrowed_alike_are_refused_naming_both(self) -> None:
        with pytest.raises(CatalogError, match="'suppliers-potential' and 'suppliers-active'"):
            catalog(SUPPLIERS)

    def test_categories_compared_as_sets_and_derived_keys_named(self) -> None:
        rules = """
  - {store: erp/suppliers, categories: [user.name, user.contact], duration: {years: 3}, trigger: collection}
  - {store: erp/suppliers, categories: [user.contact, user.name], duration: {years: 5}, trigger: last_contact}
"""
        with pytest.raises(CatalogError) as refused:
            catalog(rules)
        message = str(refused.value)
        assert "erp/suppliers:user.name,user.contact:collection" in message
        assert "erp/suppliers:user.contact,user.name:last_contact" in message

    def test_a_legal_obligation_alongside_is_a_minimum_not_an_overlap(self) -> None:
        rules = SUPPLIERS.replace(
            'trigger: last_contact,\n     source: "seed 003 7/: active',
            'trigger: last_contact, legal_obligation: true,\n     source: "seed 003 7/: active',
        )
        loaded = catalog(rules)
        found = RetentionPolicy(loaded).expiry(holding("erp/suppliers", contact=utc(2020, 1, 1)))
        assert found is not None and (found.rule, found.at) == ("suppliers-active", utc(2025, 1, 1))

    @pytest.mark.parametrize(
        "narrowing",
        ["subject_types: [partner]", "categories: [user.contact]", "purposes: [sales]", "system: app"],
    )
    def test_rules_narrowed_differently_may_share_a_store(self, narrowing: str) -> None:
        second = SUPPLIERS.replace(
            "store: erp/suppliers, duration: {years: 5}",
            f"store: erp/suppliers, {narrowing}, duration: {{years: 5}}",
        )
        if narrowing.startswith("system"):
            second = second.replace("store: erp/suppliers, system: app", "system: app")
        assert len(catalog(second).retention) == 2


class TestPartnersAndMembers:
    def test_subject_types_partner_and_member(self) -> None:
        assert {SubjectType("partner"), SubjectType("member")} <= set(SubjectType)

    def test_a_rule_for_partners_binds_partners_only(self) -> None:
        rules = """
  - {id: partners-5y-inactivity, store: erp/suppliers, subject_types: [partner], duration: {years: 5},
     trigger: last_contact, source: "seed 003 6/: partner directory 5 years after inactivity"}
  - {id: members-3y, store: erp/suppliers, subject_types: [member], duration: {years: 3},
     trigger: last_contact, source: "seed 003 8/: members and former members"}
"""
        policy = RetentionPolicy(catalog(rules))
        partner = policy.expiry(holding("erp/suppliers", "partner", contact=utc(2020, 1, 1)))
        member = policy.expiry(holding("erp/suppliers", "member", contact=utc(2020, 1, 1)))
        assert partner is not None and (partner.rule, partner.at) == (
            "partners-5y-inactivity",
            utc(2025, 1, 1),
        )
        assert member is not None and (member.rule, member.at) == ("members-3y", utc(2023, 1, 1))
        assert policy.expiry(holding("erp/suppliers", "customer", contact=utc(2020, 1, 1))) is None

    def test_canonical_events_and_stores_accept_them(self) -> None:
        hasher = SubjectHasher(b"unit-test-key-0123456789")
        event = CollectionEvent(
            event_id="e:partner",
            occurred_at=utc(2026, 1, 1),
            source="demo",
            action="collected",
            store="erp/suppliers",
            categories=("user.contact.email",),
            subject=SubjectRef(type=SubjectType("member"), key=hasher.email("m@example.com")),
        )
        assert event.subject.type is SubjectType.MEMBER
        stores = BASE.replace(
            "{{id: erp/suppliers, country: FR}}",
            "{{id: erp/suppliers, country: FR, subject_types: [partner, member]}}",
        )
        loaded = parse_catalog(
            stores.format(rules="  []").replace("retention:\n  []", "retention: []"), "t.yaml"
        )
        assert dict(loaded.stores()[1][1].model_dump())["subject_types"] == (
            SubjectType.PARTNER,
            SubjectType.MEMBER,
        )


def test_the_demo_catalog_loads() -> None:
    from lineage.settings import Settings

    text = Settings().catalog.read_text()
    assert parse_catalog(text, "demo.yaml").retention
