"""Lifecycle moments: what each sets, and the promises that run from them, fed by the adapters.

A rejection, a last purchase, the end of a session, of a contract or of an account is a moment
of the person's whole relationship with a store; the seeds' promises ("2 years after the
negative decision", "5 years after the last purchase", "session cookies deleted at the end of
the visit") are rules from them. Each test drives the vendor payload through its adapter, the
moments it marks and the policy, so a broken link anywhere gives another date.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph.fragments import HOLDING_MOMENTS, STORE_MOMENTS
from graph.holdings import EXPIRY_INPUT_COLUMNS
from lineage.adapters.brevo import adapt_brevo
from lineage.adapters.canonical import adapt_canonical
from lineage.adapters.greenhouse import adapt_greenhouse
from lineage.adapters.hubspot import adapt_hubspot
from lineage.adapters.salesforce import adapt_salesforce
from lineage.domain.catalog import END_TRIGGERS, Duration, RetentionRule, RetentionTrigger, parse_catalog
from lineage.domain.events import (
    LIFECYCLE_KINDS,
    ActivityEvent,
    ActivityKind,
    ConsentEvent,
    DataMovementEvent,
    LegalBasis,
    SubjectRef,
)
from lineage.domain.labels import TRIGGER_WORDS, Lang, retention_words
from lineage.domain.retention import (
    MOMENT_FALLBACK,
    TRIGGER_MOMENT,
    Expiry,
    HoldingClock,
    Moment,
    MomentMark,
    RetentionPolicy,
    marked_store,
    moments_marked,
)
from lineage.domain.rights_alerts import Consent, Limit, SubjectRights, event_processing, rights_hits
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import CatalogError

HASHER = SubjectHasher(b"unit-test-key-0123456789")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

CATALOG = """
organisation: Test SAS
processors: [{{id: p, name: P, country: FR}}]
systems:
  - id: ats
    name: ATS
    kind: other
    processor: p
    stores: [{{id: greenhouse/candidates, country: FR}}]
  - id: crm
    name: CRM
    kind: crm
    processor: p
    stores: [{{id: hubspot/contacts, country: FR}}, {{id: salesforce/contacts, country: FR}}]
  - id: mail
    name: Mail
    kind: email
    processor: p
    stores: [{{id: brevo/contacts, country: FR}}]
  - id: site
    name: Site
    kind: other
    processor: p
    stores: [{{id: site/sessions, country: FR}}]
retention:
{rules}
"""

RULES = """
  - {id: rejected, store: greenhouse/candidates, duration: {years: 2}, trigger: rejection}
  - {id: clients, store: hubspot/contacts, duration: {years: 5}, trigger: last_purchase}
  - {id: b2b, store: salesforce/contacts, duration: {years: 5}, trigger: end_of_contract}
  - {id: optout, store: brevo/contacts, duration: {years: 3}, trigger: account_closure}
  - {id: cookies, store: site/sessions, duration: {}, trigger: end_of_session}
"""


def policy(rules: str = RULES) -> RetentionPolicy:
    return RetentionPolicy(parse_catalog(CATALOG.format(rules=rules), "test.yaml"))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def load(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text(encoding="utf-8"))


def holding_after(events: list[DataMovementEvent], category: str, store: str) -> HoldingClock:
    """The clock a holding of ``category`` in ``store`` has after ``events``, as the graph keeps
    it: each moment at its latest time, store-wide marks for every category of the store."""
    moments: dict[Moment, tuple[datetime, str]] = {}
    for event in events:
        if marked_store(event) != store:
            continue
        for mark in moments_marked(event):
            if mark.store_wide or category in event.categories:
                moments[mark.moment] = max(
                    moments.get(mark.moment, (event.occurred_at, "")),
                    (
                        event.occurred_at,
                        event.event_id,
                    ),
                )
    return HoldingClock(store=store, system=None, category=category, purposes=(), moments=moments)


def expiry(events: list[DataMovementEvent], category: str, store: str) -> Expiry:
    found = policy().expiry(holding_after(events, category, store))
    assert found is not None
    return found


def activity(kind: ActivityKind) -> ActivityEvent:
    return ActivityEvent(
        event_id="e:activity:0001",
        occurred_at=utc(2026, 6, 1, 9),
        source="demo",
        subject=SubjectRef(type=SubjectType.CUSTOMER, key=HASHER.email("ana@example.com")),
        store="site/sessions",
        action="activity",
        activity=kind,
    )


class TestMarks:
    @pytest.mark.parametrize(
        ("kind", "moment"),
        [
            (ActivityKind.REJECTED, Moment.REJECTION),
            (ActivityKind.LAST_PURCHASE, Moment.LAST_PURCHASE),
            (ActivityKind.SESSION_ENDED, Moment.SESSION_END),
            (ActivityKind.CONTRACT_ENDED, Moment.CONTRACT_END),
            (ActivityKind.ACCOUNT_CLOSED, Moment.ACCOUNT_CLOSURE),
        ],
    )
    def test_a_lifecycle_moment_is_store_wide_and_nothing_else(
        self, kind: ActivityKind, moment: Moment
    ) -> None:
        assert moments_marked(activity(kind)) == (MomentMark(moment, store_wide=True),)

    def test_a_hire_is_only_logged(self) -> None:
        assert moments_marked(activity(ActivityKind.HIRED)) == (MomentMark(Moment.WRITTEN, store_wide=False),)

    @pytest.mark.parametrize(
        ("trigger", "moment"),
        [
            (RetentionTrigger.REJECTION, Moment.REJECTION),
            (RetentionTrigger.LAST_PURCHASE, Moment.LAST_PURCHASE),
            (RetentionTrigger.END_OF_SESSION, Moment.SESSION_END),
        ],
    )
    def test_each_trigger_runs_from_its_moment_with_no_stand_in(
        self, trigger: RetentionTrigger, moment: Moment
    ) -> None:
        assert TRIGGER_MOMENT[trigger] is moment
        assert moment not in MOMENT_FALLBACK

    def test_the_graph_keeps_and_reads_back_every_moment(self) -> None:
        marked = {
            mark.moment.value
            for kind in ActivityKind
            for mark in moments_marked(activity(kind))
            if mark.store_wide
        }
        assert marked <= set(STORE_MOMENTS)
        kept = {*HOLDING_MOMENTS, *STORE_MOMENTS, "first_seen"}
        assert {m.value for m in Moment} == kept
        assert {f"{m.value}_ms" for m in Moment} <= set(EXPIRY_INPUT_COLUMNS)


class TestZeroDurations:
    def test_end_of_session_is_an_end(self) -> None:
        assert RetentionTrigger.END_OF_SESSION in END_TRIGGERS
        ended = utc(2026, 6, 1, 9, 30)
        holding = HoldingClock(
            store="site/sessions",
            system=None,
            category="user.device.cookie_id",
            purposes=(),
            moments={Moment.WRITTEN: (utc(2026, 6, 1, 9), "e:visit"), Moment.SESSION_END: (ended, "e:end")},
        )
        found = policy().expiry(holding)
        assert found is not None
        assert (found.rule, found.trigger, found.at, found.event_id) == (
            "cookies",
            RetentionTrigger.END_OF_SESSION,
            ended,
            "e:end",
        )

    def test_a_session_still_open_is_pending(self) -> None:
        holding = HoldingClock(
            store="site/sessions",
            system=None,
            category="user.device.cookie_id",
            purposes=(),
            moments={Moment.WRITTEN: (utc(2026, 6, 1, 9), "e:visit")},
        )
        found = policy().expiry(holding)
        assert found is not None and found.pending

    @pytest.mark.parametrize("trigger", ["rejection", "last_purchase"])
    def test_zero_from_a_rejection_or_a_purchase_is_refused(self, trigger: str) -> None:
        rules = f"  - {{id: typo, store: site/sessions, duration: {{}}, trigger: {trigger}}}\n"
        with pytest.raises(CatalogError, match="zero retention duration"):
            policy(rules)


class TestFromTheVendors:
    def test_greenhouse_rejection_starts_two_years_for_everything_the_candidate_has(self) -> None:
        application = adapt_greenhouse(load("greenhouse/new_candidate_application.json"), HASHER)
        pending = expiry(application, "user.content.private.cv", "greenhouse/candidates")
        assert (pending.rule, pending.pending) == ("rejected", True)
        events = application + adapt_greenhouse(load("greenhouse/reject_candidate.json"), HASHER)
        for category in (
            "user.content.private.cv",
            "user.contact.email",
            "user.content.private.cover_letter",
        ):
            found = expiry(events, category, "greenhouse/candidates")
            assert (found.rule, found.moment) == ("rejected", Moment.REJECTION)
            assert found.at == utc(2028, 5, 12, 16, 20)
            assert found.event_id is not None and found.event_id.endswith(":rejected")

    def test_greenhouse_hire_starts_no_rejection_clock(self) -> None:
        events = adapt_greenhouse(load("greenhouse/hire_candidate.json"), HASHER)
        assert expiry(events, "user.content.private.cv", "greenhouse/candidates").pending

    def test_hubspot_last_purchase_starts_five_years_from_the_close_date(self) -> None:
        events = adapt_hubspot(load("hubspot/contact_creation_and_email.json"), HASHER)
        events += adapt_hubspot(load("hubspot/moments/contact_deal_closed_won.json"), HASHER)
        found = expiry(events, "user.contact.email", "hubspot/contacts")
        assert (found.rule, found.moment) == ("clients", Moment.LAST_PURCHASE)
        assert found.at == utc(2031, 3, 20, 14, 2, 11, 500000)

    def test_hubspot_scheduled_contract_end_starts_nothing(self) -> None:
        events = adapt_hubspot(load("hubspot/moments/contact_contract_end_scheduled.json"), HASHER)
        assert not any(isinstance(e, ActivityEvent) for e in events)

    def test_salesforce_expired_contract_starts_five_years_for_the_signer(self) -> None:
        events = adapt_salesforce(load("salesforce/contact_update.json"), HASHER)
        events += adapt_salesforce(load("salesforce/moments/contract_expired.json"), HASHER)
        assert len({e.subject.key for e in events}) == 1
        found = expiry(events, "user.contact.email", "salesforce/contacts")
        assert (found.rule, found.moment, found.at) == ("b2b", Moment.CONTRACT_END, utc(2031, 6, 30, 16, 45))

    def test_brevo_campaign_unsubscription_starts_the_opt_out_list_clock(self) -> None:
        events = adapt_brevo(load("brevo/marketing_list_addition.json"), HASHER)
        events += adapt_brevo(load("brevo/marketing_unsubscribed.json"), HASHER)
        found = expiry(events, "user.contact.email", "brevo/contacts")
        unsubscribed = events[-1].occurred_at
        assert (found.rule, found.moment) == ("optout", Moment.ACCOUNT_CLOSURE)
        assert found.at == unsubscribed.replace(year=unsubscribed.year + 3)


class TestCanonicalInput:
    @pytest.mark.parametrize(
        "kind", ["contract_ended", "account_closed", "rejected", "last_purchase", "session_ended", "hired"]
    )
    def test_a_system_without_an_adapter_sends_the_moment_as_documented(self, kind: str) -> None:
        """The example of docs/sources.md, lifecycle moments, with each kind."""
        payload = {
            "event_id": f"erp:supplier-42:{kind}:2026-05-02",
            "occurred_at": "2026-05-02T10:00:00+02:00",
            "source": "erp",
            "action": "activity",
            "activity": kind,
            "store": "erp/suppliers",
            "subject": {"type": "supplier_vendor", "native": {"namespace": "erp:supplier-contact", "id": 42}},
        }
        (event,) = adapt_canonical(payload, HASHER)
        assert isinstance(event, ActivityEvent)
        assert (event.activity, event.categories, event.occurred_at) == (kind, (), utc(2026, 5, 2, 8))
        assert event.subject.key == HASHER.native("erp:supplier-contact", 42)


class TestNoticeWords:
    def test_every_trigger_reads_in_both_languages(self) -> None:
        assert set(TRIGGER_WORDS) == set(RetentionTrigger)
        assert all(en and fr for en, fr in TRIGGER_WORDS.values())

    @pytest.mark.parametrize("trigger", sorted(END_TRIGGERS))
    def test_a_zero_duration_from_every_end_reads_as_until(self, trigger: RetentionTrigger) -> None:
        rule = RetentionRule(store="a/b", duration=Duration(), trigger=trigger)
        assert retention_words(rule, Lang.EN).startswith("until ")
        assert retention_words(rule, Lang.FR).startswith("jusqu")

    def test_the_new_promises_read_as_the_policies_word_them(self) -> None:
        def words(years: int, trigger: RetentionTrigger, lang: Lang) -> str:
            return retention_words(
                RetentionRule(store="a/b", duration=Duration(years=years), trigger=trigger), lang
            )

        assert words(2, RetentionTrigger.REJECTION, Lang.FR) == (
            "2 ans après la dernière décision défavorable vous concernant"
        )
        assert words(5, RetentionTrigger.LAST_PURCHASE, Lang.EN) == "5 years after the last purchase"
        session = RetentionRule(store="a/b", duration=Duration(), trigger=RetentionTrigger.END_OF_SESSION)
        assert retention_words(session, Lang.EN) == "until the end of your visit"


class TestNotProcessing:
    """A moment records that something ended or was decided: no right forbids recording it."""

    def test_the_closure_beside_an_unsubscription_is_no_processing_after_withdrawal(self) -> None:
        events = adapt_brevo(load("brevo/marketing_unsubscribed.json"), HASHER)
        withdrawal = events[0]
        assert isinstance(withdrawal, ConsentEvent)
        consent = Consent(withdrawal.purpose, None, withdrawal.occurred_at, withdrawal.event_id)
        state = SubjectRights(withdrawal.subject.key, consents=(consent,))
        limits = (Limit("rs-0000000000000001", "restriction", utc(2000, 1, 1)),)
        restricted = SubjectRights(withdrawal.subject.key, limits=limits)

        def on_consent(store: str, purpose: str | None, basis: LegalBasis | None) -> LegalBasis:
            return LegalBasis.CONSENT

        processing = event_processing(events, on_consent)
        assert processing == []
        for rights in (state, restricted):
            assert rights_hits(processing, {withdrawal.subject.key: rights}, timedelta(0)) == []

    @pytest.mark.parametrize("kind", sorted(LIFECYCLE_KINDS))
    def test_no_lifecycle_moment_is_processing_a_delivery_is(self, kind: ActivityKind) -> None:
        def basis(store: str, purpose: str | None, stated: LegalBasis | None) -> None:
            return None

        assert event_processing([activity(kind)], basis) == []
        assert len(event_processing([activity(ActivityKind.DELIVERED)], basis)) == 1
