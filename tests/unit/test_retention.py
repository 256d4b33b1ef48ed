"""Retention: which rule covers a holding, which moment its clock runs from, and the exact expiry.

Dates sit on month ends, Feb 29 and year ends so that an off-by-one day, a wrong trigger or a
wrong moment gives a different answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from lineage.domain.catalog import Catalog, Duration, RetentionTrigger, parse_catalog
from lineage.domain.events import (
    ActivityEvent,
    ActivityKind,
    CollectionEvent,
    ConsentEvent,
    DataMovementEvent,
    ErasureEvent,
    IdentityEvent,
    MovementEvent,
    SubjectRef,
)
from lineage.domain.retention import (
    TRIGGER_MOMENT,
    Expiry,
    HoldingClock,
    Moment,
    MomentMark,
    RetentionPolicy,
    add_duration,
    end_of_financial_year,
    is_overdue,
    marked_store,
    moments_marked,
    rules_changed,
)
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import CatalogError
from lineage.settings import Settings

HASHER = SubjectHasher(b"unit-test-key-0123456789")
PARIS = ZoneInfo("Europe/Paris")
COMMON = {
    "occurred_at": datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
    "source": "demo",
    "subject": SubjectRef(type=SubjectType.CUSTOMER, key=HASHER.email("ana@example.com")),
}

BASE = """
organisation: Test SAS
financial_year_end: "{year_end}"
processors: [{{id: p, name: P, country: FR}}]
systems:
  - id: crm
    name: CRM
    kind: crm
    processor: p
    stores: [{{id: crm/contacts, country: FR}}, {{id: crm/leads, country: FR}}]
  - id: billing
    name: Billing
    kind: billing
    processor: p
    stores: [{{id: billing/invoices, country: FR}}]
retention:
{rules}
"""

TRIGGER_RULES = """
  - {id: logs, store: crm/leads, categories: [user.device], duration: {months: 6}, trigger: collection}
  - {id: prospects, store: crm/leads, duration: {years: 3}, trigger: last_contact}
  - {id: cv, store: crm/contacts, categories: [user.content.private.cv], duration: {years: 2},
     trigger: application}
  - {id: b2b, store: crm/contacts, categories: [user.contact], duration: {years: 5},
     trigger: end_of_contract}
  - {id: account, store: crm/contacts, duration: {years: 1}, trigger: account_closure}
  - {id: invoices, store: billing/invoices, duration: {years: 10}, trigger: end_of_financial_year,
     legal_obligation: true, source: "Code de commerce L123-22"}
"""


def catalog(rules: str = TRIGGER_RULES, year_end: str = "12-31") -> Catalog:
    return parse_catalog(BASE.format(year_end=year_end, rules=rules), "test.yaml")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def clock(
    store: str, category: str, purposes: tuple[str, ...] = (), **moments: tuple[datetime, str]
) -> HoldingClock:
    return HoldingClock(
        store=store,
        system=None,
        category=category,
        purposes=purposes,
        moments={Moment(name): mark for name, mark in moments.items()},
    )


def expiry_of(holding: HoldingClock, year_end: str = "12-31") -> Expiry:
    found = RetentionPolicy(catalog(year_end=year_end)).expiry(holding)
    assert found is not None
    return found


class TestTriggers:
    def test_collection_runs_from_the_last_write_not_the_first_collection(self) -> None:
        holding = clock(
            "crm/leads",
            "user.device.ip_address",
            collected=(utc(2025, 1, 10), "e:collect"),
            written=(utc(2025, 8, 31, 14, 30), "e:update"),
        )
        found = expiry_of(holding)
        assert (found.rule, found.trigger) == ("logs", RetentionTrigger.COLLECTION)
        assert (found.at, found.event_id, found.moment) == (
            utc(2026, 2, 28, 14, 30),
            "e:update",
            Moment.WRITTEN,
        )

    def test_last_contact_runs_from_the_click_not_the_later_update(self) -> None:
        holding = clock(
            "crm/leads",
            "user.name",
            written=(utc(2025, 6, 1), "e:update"),
            collected=(utc(2023, 5, 2), "e:collect"),
            contact=(utc(2024, 2, 29, 9, 0), "e:click"),
        )
        found = expiry_of(holding)
        assert (found.rule, found.at, found.event_id) == ("prospects", utc(2027, 2, 28, 9, 0), "e:click")

    def test_application_runs_from_the_collection_not_the_contact_or_update(self) -> None:
        holding = clock(
            "crm/contacts",
            "user.content.private.cv",
            collected=(utc(2024, 3, 15, 8, 0), "e:apply"),
            written=(utc(2025, 1, 20), "e:update"),
            contact=(utc(2025, 5, 5), "e:reply"),
        )
        found = expiry_of(holding)
        assert (found.rule, found.at, found.event_id) == ("cv", utc(2026, 3, 15, 8, 0), "e:apply")

    def test_end_of_contract_is_pending_while_the_contract_runs(self) -> None:
        running = clock(
            "crm/contacts",
            "user.contact.email",
            collected=(utc(2020, 1, 1), "e:c"),
            written=(utc(2020, 1, 1), "e:c"),
            contact=(utc(2025, 1, 1), "e:reply"),
        )
        found = expiry_of(running)
        assert (found.rule, found.pending, found.at, found.event_id) == ("b2b", True, None, None)
        assert not is_overdue(found, utc(2099, 1, 1))

    def test_end_of_contract_runs_from_the_end(self) -> None:
        ended = clock(
            "crm/contacts",
            "user.contact.email",
            written=(utc(2020, 1, 1), "e:c"),
            contract_end=(utc(2026, 6, 30, 17, 0), "e:ended"),
        )
        found = expiry_of(ended)
        assert (found.pending, found.at, found.event_id) == (False, utc(2031, 6, 30, 17, 0), "e:ended")

    @pytest.mark.parametrize(
        "collected,expected",
        [
            (utc(2025, 12, 31, 23, 0), utc(2036, 1, 1)),  # last hour of FY 2025: kept through 2035
            (utc(2026, 1, 1, 0, 0), utc(2037, 1, 1)),  # first instant of FY 2026
            (utc(2025, 2, 28, 12, 0), utc(2036, 1, 1)),
        ],
    )
    def test_end_of_financial_year_december(self, collected: datetime, expected: datetime) -> None:
        found = expiry_of(
            clock(
                "billing/invoices",
                "user.financial",
                collected=(collected, "e:invoice"),
                written=(utc(2027, 1, 1), "e:update"),
            )
        )
        assert (found.rule, found.at, found.event_id) == ("invoices", expected, "e:invoice")
        assert found.legal_obligation and found.source == "Code de commerce L123-22"

    @pytest.mark.parametrize(
        "collected,expected",
        [
            (utc(2025, 3, 31, 10, 0), utc(2035, 4, 1)),
            (utc(2025, 4, 1, 0, 0), utc(2036, 4, 1)),
            (utc(2026, 1, 15), utc(2036, 4, 1)),
        ],
    )
    def test_end_of_financial_year_march(self, collected: datetime, expected: datetime) -> None:
        holding = clock("billing/invoices", "user.financial", collected=(collected, "e:invoice"))
        assert expiry_of(holding, year_end="03-31").at == expected

    def test_account_closure_pending_then_set(self) -> None:
        open_account = clock(
            "crm/contacts",
            "user.name",
            written=(utc(2022, 1, 1), "e:c"),
            contact=(utc(2025, 1, 1), "e:click"),
        )
        assert expiry_of(open_account).pending
        closed = clock(
            "crm/contacts",
            "user.name",
            written=(utc(2022, 1, 1), "e:c"),
            account_closure=(utc(2024, 2, 29, 12, 0), "e:closed"),
        )
        found = expiry_of(closed)
        assert (found.rule, found.at, found.event_id) == ("account", utc(2025, 2, 28, 12, 0), "e:closed")

    def test_every_trigger_has_a_moment(self) -> None:
        assert set(TRIGGER_MOMENT) == set(RetentionTrigger)


class TestFallbackMoments:
    def test_a_copied_in_holding_without_contact_runs_from_its_collection(self) -> None:
        copied = clock(
            "crm/leads",
            "user.name",
            written=(utc(2025, 3, 1), "e:copy"),
            collected=(utc(2025, 3, 1), "e:copy"),
        )
        found = expiry_of(copied)
        assert (found.at, found.event_id, found.moment) == (utc(2028, 3, 1), "e:copy", Moment.COLLECTED)

    def test_without_contact_or_collection_the_first_sighting_stands_in(self) -> None:
        # written later by opens/updates, but those must not move a last-contact clock
        updated = clock(
            "crm/leads",
            "user.name",
            written=(utc(2026, 3, 1), "e:update"),
            first_seen=(utc(2025, 3, 1), "e:first"),
        )
        assert expiry_of(updated).moment is Moment.FIRST_SEEN
        assert expiry_of(updated).at == utc(2028, 3, 1)
        invoice = clock("billing/invoices", "user.financial", first_seen=(utc(2025, 3, 1), "e:first"))
        assert expiry_of(invoice).at == utc(2036, 1, 1)

    def test_a_collection_clock_runs_from_the_last_write(self) -> None:
        logs = clock(
            "crm/leads",
            "user.device.ip_address",
            written=(utc(2026, 3, 1), "e:log"),
            first_seen=(utc(2025, 3, 1), "e:first"),
        )
        assert (expiry_of(logs).at, expiry_of(logs).moment) == (utc(2026, 9, 1), Moment.WRITTEN)

    def test_a_holding_with_no_moment_at_all_is_pending(self) -> None:
        assert expiry_of(clock("crm/leads", "user.name")).pending

    def test_no_rule_no_expiry(self) -> None:
        holding = clock("nowhere/else", "user.name", written=(utc(2025, 3, 1), "e:x"))
        assert RetentionPolicy(catalog()).expiry(holding) is None
        assert not is_overdue(None, utc(2099, 1, 1))


class TestAddDuration:
    @pytest.mark.parametrize(
        "start,duration,expected",
        [
            (utc(2024, 2, 29), Duration(years=1), utc(2025, 2, 28)),
            (utc(2024, 2, 29), Duration(years=4), utc(2028, 2, 29)),
            (utc(2025, 1, 31), Duration(months=1), utc(2025, 2, 28)),
            (utc(2024, 1, 31), Duration(months=1), utc(2024, 2, 29)),
            (utc(2025, 1, 31), Duration(months=1, days=1), utc(2025, 3, 1)),  # months first, then days
            (utc(2025, 12, 25), Duration(days=10), utc(2026, 1, 4)),
            (utc(2025, 2, 27), Duration(days=2), utc(2025, 3, 1)),
            (utc(2025, 10, 31), Duration(months=14), utc(2026, 12, 31)),
            (utc(2025, 11, 30), Duration(years=1, months=2, days=3), utc(2027, 2, 2)),
            (utc(2025, 8, 31), Duration(months=6), utc(2026, 2, 28)),
        ],
    )
    def test_calendar_arithmetic(self, start: datetime, duration: Duration, expected: datetime) -> None:
        assert add_duration(start, duration) == expected

    def test_keeps_time_of_day_and_timezone(self) -> None:
        start = datetime(2025, 1, 31, 23, 45, 12, 345, tzinfo=PARIS)
        result = add_duration(start, Duration(months=1, days=30))
        assert result == datetime(2025, 3, 30, 23, 45, 12, 345, tzinfo=PARIS)
        assert result.tzinfo is PARIS and result.utcoffset() != start.utcoffset()  # now summer time


class TestEndOfFinancialYear:
    @pytest.mark.parametrize(
        "at,year_end,expected",
        [
            (utc(2025, 3, 31, 10, 0), "03-31", utc(2025, 4, 1)),
            (utc(2025, 4, 1), "03-31", utc(2026, 4, 1)),
            (utc(2025, 12, 31, 23, 59, 59), "12-31", utc(2026, 1, 1)),
            (utc(2026, 1, 1), "12-31", utc(2027, 1, 1)),
            (utc(2024, 2, 29), "02-28", utc(2025, 3, 1)),
            (utc(2024, 2, 28), "02-28", utc(2024, 2, 29)),
        ],
    )
    def test_exclusive_end(self, at: datetime, year_end: str, expected: datetime) -> None:
        assert end_of_financial_year(at, year_end) == expected

    def test_in_the_timezone_of_the_moment(self) -> None:
        at = datetime(2026, 1, 1, 0, 30, tzinfo=PARIS)  # still 2025 in UTC
        assert end_of_financial_year(at) == datetime(2027, 1, 1, tzinfo=PARIS)


def activity(kind: ActivityKind) -> ActivityEvent:
    return ActivityEvent(
        event_id=f"e:{kind.value}:0001",
        action="activity",
        activity=kind,
        store="crm/leads",
        categories=("user.behavior",),
        **COMMON,
    )


class TestMomentsMarked:
    @pytest.mark.parametrize("kind", [ActivityKind.CLICKED, ActivityKind.REPLIED])
    def test_a_click_or_reply_is_contact_in_the_whole_store(self, kind: ActivityKind) -> None:
        assert moments_marked(activity(kind)) == (
            MomentMark(Moment.WRITTEN, store_wide=False),
            MomentMark(Moment.CONTACT, store_wide=True),
        )

    @pytest.mark.parametrize(
        "kind",
        [
            ActivityKind.OPENED,
            ActivityKind.DELIVERED,
            ActivityKind.SENT,
            ActivityKind.BOUNCED,
            ActivityKind.COMPLAINED,
        ],
    )
    def test_what_does_not_come_from_the_person_is_only_logged_data(self, kind: ActivityKind) -> None:
        assert moments_marked(activity(kind)) == (MomentMark(Moment.WRITTEN, store_wide=False),)

    def test_contract_end_and_account_closure(self) -> None:
        assert moments_marked(activity(ActivityKind.CONTRACT_ENDED)) == (
            MomentMark(Moment.CONTRACT_END, store_wide=True),
        )
        assert moments_marked(activity(ActivityKind.ACCOUNT_CLOSED)) == (
            MomentMark(Moment.ACCOUNT_CLOSURE, store_wide=True),
        )

    def test_collected_and_updated(self) -> None:
        def written(action: str) -> CollectionEvent:
            return CollectionEvent(
                event_id=f"e:{action}:0001",
                action=action,
                store="crm/leads",
                categories=("user.name",),
                **COMMON,
            )

        assert moments_marked(written("collected")) == (
            MomentMark(Moment.WRITTEN, False),
            MomentMark(Moment.COLLECTED, False),
            MomentMark(Moment.CONTACT, False),
        )
        assert moments_marked(written("updated")) == (MomentMark(Moment.WRITTEN, False),)

    @pytest.mark.parametrize("action", ["copied", "transferred"])
    def test_a_movement_writes_into_its_destination(self, action: str) -> None:
        event = MovementEvent(
            event_id="e:move:0001",
            action=action,
            store="crm/leads",
            destination="crm/contacts",
            categories=("user.name",),
            **COMMON,
        )
        assert moments_marked(event) == (
            MomentMark(Moment.WRITTEN, False),
            MomentMark(Moment.COLLECTED, False),
        )
        assert marked_store(event) == "crm/contacts"

    def test_reads_erasures_consent_and_links_mark_nothing(self) -> None:
        events: list[DataMovementEvent] = [
            CollectionEvent(event_id="e:read:0001", action="accessed", store="crm/leads", **COMMON),
            ErasureEvent(event_id="e:erase:0001", action="erased", store="crm/leads", **COMMON),
            ErasureEvent(event_id="e:anon:0001", action="anonymised", store="crm/leads", **COMMON),
            ConsentEvent(
                event_id="e:consent:01",
                action="consent_withdrawn",
                store="crm/leads",
                purpose="marketing.communications.email",
                **COMMON,
            ),
            IdentityEvent(
                event_id="e:link:0001",
                action="linked",
                store="crm/leads",
                **{
                    **COMMON,
                    "subject": SubjectRef(
                        type=SubjectType.CUSTOMER,
                        key=HASHER.email("a@b.fr"),
                        links=(HASHER.native("crm", "42"),),
                    ),
                },
            ),
        ]
        assert [moments_marked(e) for e in events] == [()] * len(events)
        assert {marked_store(e) for e in events} == {"crm/leads"}


PRECEDENCE_RULES = """
  - {id: sys, system: crm, duration: {years: 1}, trigger: collection}
  - {id: sys-purpose, system: crm, purposes: [sales], duration: {years: 2}, trigger: collection}
  - {id: sys-cat, system: crm, categories: [user.name], duration: {years: 3}, trigger: collection}
  - {id: store, store: crm/contacts, duration: {years: 4}, trigger: collection}
  - {id: store-purpose, store: crm/contacts, purposes: [marketing], duration: {years: 5},
     trigger: collection}
  - {id: store-cat, store: crm/contacts, categories: [user.contact], duration: {years: 6},
     trigger: collection}
  - {id: store-cat-deep, store: crm/contacts, categories: [user.name, user.contact.email],
     duration: {years: 7}, trigger: collection}
"""


@pytest.fixture(scope="module")
def policy() -> RetentionPolicy:
    return RetentionPolicy(catalog(PRECEDENCE_RULES))


class TestRulePrecedence:
    @pytest.mark.parametrize(
        "store,category,purposes,expected",
        [
            ("crm/contacts", "user.contact.email", ("marketing",), "store-cat-deep"),  # longest category
            ("crm/contacts", "user.contact.phone_number", ("marketing",), "store-cat"),  # descendant
            ("crm/contacts", "user.contact", (), "store-cat"),
            ("crm/contacts", "user.device.ip_address", ("marketing.communications.email",), "store-purpose"),
            ("crm/contacts", "user.device.ip_address", ("sales",), "store"),  # store beats system purpose
            ("crm/contacts", "user", (), "store"),  # a parent is not covered by its children's rules
            ("crm/leads", "user.name.first", (), "sys-cat"),
            ("crm/leads", "user.contact.email", ("sales",), "sys-purpose"),
            ("crm/leads", "user.contact.email", ("marketing",), "sys"),
        ],
    )
    def test_most_specific_rule_wins(
        self, policy: RetentionPolicy, store: str, category: str, purposes: tuple[str, ...], expected: str
    ) -> None:
        rule = policy.rule_for(store, None, category, purposes)
        assert rule is not None and rule.key == expected

    def test_system_is_looked_up_or_taken_as_given(self, policy: RetentionPolicy) -> None:
        assert policy.rule_for("billing/invoices", None, "user.name", ()) is None
        given = policy.rule_for("billing/invoices", "crm", "user.name", ())
        assert given is not None and given.key == "sys-cat"
        undeclared = policy.rule_for("crm/archive", "crm", "user.contact", ())
        assert undeclared is not None and undeclared.key == "sys"

    def test_ties_go_to_the_first_in_catalog_order(self) -> None:
        """Rules narrowed alike are refused (see TestOverlap); rules narrowed differently can
        still tie on one holding, and the first in the file wins."""
        rules = """
  - {id: first, store: crm/leads, categories: [user.contact], duration: {years: 1}, trigger: collection}
  - {id: second, store: crm/leads, categories: [user.contact, user.name], duration: {years: 2},
     trigger: last_contact}
"""
        rule = RetentionPolicy(catalog(rules)).rule_for("crm/leads", None, "user.contact.email", ())
        assert rule is not None and rule.key == "first"

    def test_a_rule_with_category_and_purpose_needs_both_and_beats_category_alone(self) -> None:
        rules = """
  - {id: email, store: crm/leads, categories: [user.contact.email], duration: {years: 1},
     trigger: collection}
  - {id: email-sales, store: crm/leads, categories: [user.contact.email], purposes: [sales],
     duration: {years: 2}, trigger: collection}
"""
        policy = RetentionPolicy(catalog(rules))
        keys = [
            getattr(policy.rule_for("crm/leads", None, "user.contact.email", purposes), "key", None)
            for purposes in [("sales",), ("marketing",), ()]
        ]
        assert keys == ["email-sales", "email", "email"]

    def test_a_category_covers_its_dotted_descendants_only(self) -> None:
        rules = (
            "  - {id: cookies, store: crm/leads, categories: [user.device.cookie], "
            "duration: {days: 1}, trigger: collection}"
        )
        policy = RetentionPolicy(catalog(rules))
        assert policy.rule_for("crm/leads", None, "user.device.cookie", ()) is not None
        assert policy.rule_for("crm/leads", None, "user.device.cookie_id", ()) is None


class TestCatalogRules:
    @pytest.mark.parametrize(
        "rule,message",
        [
            ("{store: crm/leads, system: crm, duration: {years: 1}, trigger: collection}", "exactly one"),
            ("{duration: {years: 1}, trigger: collection}", "exactly one"),
            ("{system: ghost, duration: {years: 1}, trigger: collection}", "unknown system 'ghost'"),
            ("{store: crm/ghost, duration: {years: 1}, trigger: collection}", "unknown store 'crm/ghost'"),
            ("{store: crm/leads, purposes: [gossip], duration: {years: 1}, trigger: collection}", "gossip"),
            ("{store: crm/leads, duration: {}, trigger: collection}", "only meaningful from an end"),
        ],
    )
    def test_bad_rules_are_refused(self, rule: str, message: str) -> None:
        with pytest.raises(CatalogError, match=message):
            catalog(f"  - {rule}")

    def test_a_rule_key_names_one_rule(self) -> None:
        rules = """
  - {id: same, store: crm/leads, duration: {years: 1}, trigger: collection}
  - {id: same, store: crm/contacts, duration: {years: 1}, trigger: collection}
"""
        with pytest.raises(CatalogError, match="duplicate retention rule id 'same'"):
            catalog(rules)

    def test_derived_key(self) -> None:
        rules = """
  - {store: crm/leads, categories: [user.name, user.contact], duration: {years: 1}, trigger: collection}
  - {system: crm, duration: {years: 1}, trigger: last_contact}
  - {system: crm, purposes: [sales], duration: {years: 1}, trigger: last_contact}
"""
        assert [r.key for r in catalog(rules).retention] == [
            "crm/leads:user.name,user.contact:collection",
            "crm:*:last_contact",
            "crm:*:sales:last_contact",
        ]

    @pytest.mark.parametrize(
        "year_end", ["02-29", "13-01", "00-10", "04-31", "12-32", "1231", "2025-12-31", "12-3"]
    )
    def test_bad_financial_year_end_is_refused(self, year_end: str) -> None:
        with pytest.raises(CatalogError, match="financial_year_end"):
            catalog(year_end=year_end)

    def test_demo_catalog_promises(self) -> None:
        demo = parse_catalog(Settings().catalog.read_text())
        assert demo.financial_year_end == "12-31"
        assert all(rule.id for rule in demo.retention)
        policy = RetentionPolicy(demo)
        invoices = policy.expiry(
            HoldingClock(
                "billing/invoices",
                None,
                "user.financial",
                ("finance",),
                {Moment.COLLECTED: (utc(2026, 3, 6), "e:invoice")},
            )
        )
        assert invoices is not None and invoices.legal_obligation
        assert invoices.at == datetime(2037, 1, 1, tzinfo=PARIS)  # the demo counts on Paris' calendar
        b2b = policy.rule_for("salesforce/contacts", None, "user.contact.email", ("sales",))
        assert b2b is not None and (b2b.trigger, b2b.duration) == (
            RetentionTrigger.END_OF_CONTRACT,
            Duration(years=5),
        )


class TestRulesChanged:
    def test_identical_catalogs_change_nothing(self) -> None:
        assert rules_changed(catalog(PRECEDENCE_RULES), catalog(PRECEDENCE_RULES)) == set()

    def test_a_store_rule_duration_change_concerns_that_store(self) -> None:
        new = PRECEDENCE_RULES.replace(
            "{id: store, store: crm/contacts, duration: {years: 4}",
            "{id: store, store: crm/contacts, duration: {years: 5}",
        )
        assert new != PRECEDENCE_RULES
        assert rules_changed(catalog(PRECEDENCE_RULES), catalog(new)) == {"crm/contacts"}

    def test_a_system_rule_change_concerns_all_its_stores(self) -> None:
        new = PRECEDENCE_RULES.replace(
            "{id: sys, system: crm, duration: {years: 1}",
            "{id: sys, system: crm, duration: {years: 1, days: 1}",
        )
        assert rules_changed(catalog(PRECEDENCE_RULES), catalog(new)) == {"crm/contacts", "crm/leads"}

    def test_a_financial_year_end_change_concerns_only_accounting_stores(self) -> None:
        assert rules_changed(catalog(), catalog(year_end="03-31")) == {"billing/invoices"}
        assert rules_changed(catalog(PRECEDENCE_RULES), catalog(PRECEDENCE_RULES, "03-31")) == set()


class TestOverdue:
    def test_overdue_from_the_expiry_instant(self) -> None:
        found = Expiry("r", RetentionTrigger.COLLECTION, utc(2026, 1, 1), "e:1", False, "")
        assert not is_overdue(found, datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
        assert is_overdue(found, utc(2026, 1, 1))
        pending = Expiry("r", RetentionTrigger.END_OF_CONTRACT, None, None, False, "")
        assert pending.pending and not is_overdue(pending, utc(2099, 1, 1))
