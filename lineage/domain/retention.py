"""Retention (GDPR Art. 5(1)(e), storage limitation): when each holding must be gone.

A privacy policy promises "3 years after the last contact", "10 years from the end of the
financial year". The catalog declares those promises as rules (duration + trigger); the graph
records, per holding, when each *moment* a clock can run from last happened (``moments_marked``
says which events set which). This module joins the two: the most specific rule for a holding,
the moment its trigger runs from, and the calendar arithmetic, so an expiry is a pure function
of the catalog and the holding's moments and can be recomputed whenever either changes. Pure.

Calendars are the organisation's (the catalog's ``timezone``): the graph passes UTC moments, and
an invoice issued at 00:30 on 1 January in Paris (23:30 UTC the day before) belongs to the new
financial year. A ``legal_obligation`` rule is a minimum (GDPR Art. 17(3)(b)): a more specific
rule can keep data longer, never shorter.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from lineage.domain.catalog import (
    Catalog,
    Clock,
    Duration,
    ExpiryAction,
    RetentionRule,
    RetentionTrigger,
    Whichever,
    parse_year_end,
)
from lineage.domain.events import ActivityEvent, ActivityKind, DataMovementEvent, MovementEvent


class Moment(StrEnum):
    """The instants a retention clock can run from, recorded per holding (one data category of
    one subject in one store), each as the latest time it happened and the event that set it."""

    WRITTEN = "written"  # last collected or updated
    COLLECTED = "collected"  # last collected only: the application, the invoice issue
    CONTACT = "contact"  # last contact coming from the person: a collection, a click, a reply
    CONTRACT_END = "contract_end"
    ACCOUNT_CLOSURE = "account_closure"
    REJECTION = "rejection"  # the latest negative decision on a candidate
    LAST_PURCHASE = "last_purchase"
    SESSION_END = "session_end"
    FIRST_SEEN = "first_seen"  # the holding's first sighting: the last resort, it never moves


TRIGGER_MOMENT: Mapping[RetentionTrigger, Moment] = MappingProxyType(
    {
        RetentionTrigger.COLLECTION: Moment.WRITTEN,
        RetentionTrigger.LAST_CONTACT: Moment.CONTACT,
        RetentionTrigger.APPLICATION: Moment.COLLECTED,
        RetentionTrigger.END_OF_CONTRACT: Moment.CONTRACT_END,
        RetentionTrigger.END_OF_FINANCIAL_YEAR: Moment.COLLECTED,
        RetentionTrigger.ACCOUNT_CLOSURE: Moment.ACCOUNT_CLOSURE,
        # "5 years from the date of conclusion" (Code civil art. 2224): the contract is recorded when
        # concluded, and amendments or updates must not restart the clock, so the first sighting.
        RetentionTrigger.CONCLUSION: Moment.FIRST_SEEN,
        RetentionTrigger.REJECTION: Moment.REJECTION,
        RetentionTrigger.LAST_PURCHASE: Moment.LAST_PURCHASE,
        RetentionTrigger.END_OF_SESSION: Moment.SESSION_END,
    }
)

# What a clock runs from when its own moment was never seen but the data is held: a holding that
# only a copy, an update (collected before lineage watched) or a logged activity put there must
# still expire, from the best evidence of when the data got there, and never from something
# that must not move it (an open is written data, but not contact). A lifecycle moment (the end
# of a contract, of an account or of a session, a rejection, a last purchase) has no stand-in:
# until it happens, the clock has not started.
MOMENT_FALLBACK: Mapping[Moment, tuple[Moment, ...]] = MappingProxyType(
    {
        Moment.CONTACT: (Moment.COLLECTED, Moment.FIRST_SEEN),
        Moment.COLLECTED: (Moment.FIRST_SEEN,),
        Moment.WRITTEN: (Moment.FIRST_SEEN,),
    }
)


@dataclass(frozen=True)
class MomentMark:
    """A moment an event sets. ``store_wide``: on every holding the subject has in the store,
    not only the event's categories (a click in one newsletter is contact for all of them)."""

    moment: Moment
    store_wide: bool


_COLLECTED = (
    MomentMark(Moment.WRITTEN, False),
    MomentMark(Moment.COLLECTED, False),
    MomentMark(Moment.CONTACT, False),
)
_RECEIVED = (MomentMark(Moment.WRITTEN, False), MomentMark(Moment.COLLECTED, False))
_ACTION_MARKS: Mapping[str, tuple[MomentMark, ...]] = MappingProxyType(
    {
        "collected": _COLLECTED,
        "updated": (MomentMark(Moment.WRITTEN, False),),
        "copied": _RECEIVED,
        "transferred": _RECEIVED,
    }
)
# Every activity the source logs is data written about the person (a delivery log line), for the
# categories it names; only a click or a reply is also contact, for the whole store. A lifecycle
# moment is about the person's whole relationship with the store (a rejected candidate's CV and
# e-mail alike), so it is store-wide, and holdings written after it still run from it.
_LOGGED = MomentMark(Moment.WRITTEN, False)
_ACTIVITY_MARKS: Mapping[ActivityKind, tuple[MomentMark, ...]] = MappingProxyType(
    {
        ActivityKind.CLICKED: (_LOGGED, MomentMark(Moment.CONTACT, True)),
        ActivityKind.REPLIED: (_LOGGED, MomentMark(Moment.CONTACT, True)),
        ActivityKind.CONTRACT_ENDED: (MomentMark(Moment.CONTRACT_END, True),),
        ActivityKind.ACCOUNT_CLOSED: (MomentMark(Moment.ACCOUNT_CLOSURE, True),),
        ActivityKind.REJECTED: (MomentMark(Moment.REJECTION, True),),
        ActivityKind.LAST_PURCHASE: (MomentMark(Moment.LAST_PURCHASE, True),),
        ActivityKind.SESSION_ENDED: (MomentMark(Moment.SESSION_END, True),),
    }
)


def moments_marked(
    event: DataMovementEvent, indirect_sources: Container[str] = frozenset()
) -> tuple[MomentMark, ...]:
    """The moments ``event`` sets, in the store ``marked_store(event)`` names.

    Only what comes from the person counts as contact (CNIL 2021-131: a click does, an open does
    not): sends, deliveries, opens and bounces are only written log data; reads, erasures,
    consent and links set nothing. A collection whose ``source`` is one of the catalog's
    ``indirect_sources`` (enrichment from a public register, GDPR Art. 14) did not come from the
    person either: it is collected data, not contact.
    A copy or transfer writes the data into its *destination*, where it is collected anew; the
    origin keeps its own moments.
    """
    if isinstance(event, ActivityEvent):
        return _ACTIVITY_MARKS.get(event.activity, (_LOGGED,))
    if event.action == "collected" and event.source in indirect_sources:
        return _RECEIVED
    return _ACTION_MARKS.get(event.action, ())


def marked_store(event: DataMovementEvent) -> str:
    """The store whose holdings ``moments_marked(event)`` applies to."""
    return event.destination if isinstance(event, MovementEvent) else event.store


@dataclass(frozen=True)
class HoldingClock:
    """What the retention computation needs about one holding; ``moments`` maps each moment seen
    to (aware time, id of the event that set it), so an expiry can cite its evidence."""

    store: str
    system: str | None
    category: str
    purposes: tuple[str, ...]
    moments: Mapping[Moment, tuple[datetime, str]]
    subject_type: str | None = None  # None: only rules not narrowed by subject type apply


@dataclass(frozen=True)
class Expiry:
    """When a holding's retention runs out under one rule.

    ``at`` is None while the trigger has not happened (a contract still running): the data is
    within its retention, but no date can be given yet. ``moment`` is the moment the clock ran
    from, which differs from the trigger's own when ``MOMENT_FALLBACK`` stood in for it.

    ``legal_rule`` and ``legal_until`` are the legal obligation covering the holding, if any, and
    when it ends (None while its clock has not started), whichever rule binds ``at``: a longer
    ordinary rule keeps the data, but only the legal period refuses an erasure (Art. 17(3)(b)).

    ``at`` ends the *active* period; ``action`` is what it calls for. An archive rule keeps the
    data in an intermediate archive until ``archive_until``, and only then is it overdue.
    """

    rule: str
    trigger: RetentionTrigger
    at: datetime | None
    event_id: str | None
    legal_obligation: bool
    source: str
    moment: Moment | None = None
    legal_rule: str | None = None
    legal_until: datetime | None = None
    action: ExpiryAction = ExpiryAction.DELETE
    archive_until: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.at is None

    @property
    def gone_at(self) -> datetime | None:
        """When the data must be gone (deleted or anonymised): the end of the archive for an
        archive rule, else the end of the active period."""
        return self.archive_until if self.action is ExpiryAction.ARCHIVE else self.at

    def state(self, now: datetime, horizon: datetime | None = None) -> RetentionState:
        """Where the holding stands at ``now`` (see :func:`retention_state`)."""
        return retention_state(self.at, self.archive_until, now, horizon)

    def retained_by_law(self, now: datetime) -> bool:
        """Whether an erasure request at ``now`` must be refused for a legal obligation: while
        its period runs, or has not started yet (the obligation binds from the start)."""
        return self.legal_rule is not None and (self.legal_until is None or now < self.legal_until)


class RetentionState(StrEnum):
    """Where a holding stands in its retention, at an instant."""

    ACTIVE = "active"  # inside its active period (or its clock has not started)
    ARCHIVE_DUE = "archive_due"  # active, but the active period ends before the horizon asked
    ARCHIVED = "archived"  # past the active period, inside the archive period
    OVERDUE = "overdue"  # past the archive period, or past the expiry of a delete/anonymise rule


def retention_state(
    expires_at: datetime | None,
    archive_until: datetime | None,
    now: datetime,
    horizon: datetime | None = None,
) -> RetentionState:
    """The state of a holding whose active period ends at ``expires_at`` and whose archive (an
    archive rule's only) ends at ``archive_until``. ``horizon``: the date an answer looks ahead
    to ("expiring before"), so that an archive rule's holding to move into the archive by then
    shows as due for archiving. The graph's reads compute the same states in Cypher."""
    if expires_at is None:
        return RetentionState.ACTIVE
    gone = archive_until if archive_until is not None else expires_at
    if gone <= now:
        return RetentionState.OVERDUE
    if archive_until is None:
        return RetentionState.ACTIVE
    if expires_at <= now:
        return RetentionState.ARCHIVED
    if horizon is not None and expires_at < horizon:
        return RetentionState.ARCHIVE_DUE
    return RetentionState.ACTIVE


def add_duration(at: datetime, duration: Duration, zone: tzinfo | None = None) -> datetime:
    """``at`` plus a calendar duration, on ``zone``'s calendar (``at``'s own when None): years
    and months first, the day clamped to the target month's last (2024-02-29 + 1 year =
    2025-02-28), then days.

    Clamping keeps the expiry inside the promised period instead of spilling into the next
    month. Wall-clock arithmetic: the time of day is kept across a DST change, as a calendar
    promise means it ("one month" from 10:00 ends at 10:00).
    """
    local = at.astimezone(zone) if zone is not None else at
    months = local.month - 1 + duration.months + 12 * duration.years
    year, month = local.year + months // 12, months % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day) + timedelta(days=duration.days)


def end_of_financial_year(at: datetime, year_end: str = "12-31", zone: tzinfo | None = None) -> datetime:
    """The exclusive end of the financial year containing ``at``: midnight starting the day
    after ``year_end`` (MM-DD), on ``zone``'s calendar (``at``'s own when None).

    The zone matters: an invoice issued at 00:30 on 1 January in Paris is 23:30 UTC on 31
    December, and read in UTC it would belong to the year before and expire a year early.
    Exclusive, so adding a whole number of years lands on a midnight and ``is_overdue`` is true
    from the first instant past the period, with the whole last day of it still kept.
    """
    local = at.astimezone(zone) if zone is not None else at
    month, day = parse_year_end(year_end)
    closing = date(local.year, month, day)
    if local.date() > closing:
        closing = date(local.year + 1, month, day)
    return datetime.combine(closing + timedelta(days=1), time(0), tzinfo=local.tzinfo)


def _covers(rule_key: str, key: str) -> bool:
    """A rule naming a fideslang key covers that key and its descendants (``user.contact`` covers
    ``user.contact.email``), but not its parents: the parent may hold more than the rule says."""
    return key == rule_key or key.startswith(rule_key + ".")


def _depth(key: str) -> int:
    return key.count(".") + 1


def _rank(
    rule: RetentionRule,
    store: str,
    system: str | None,
    category: str,
    purposes: Sequence[str],
    subject_type: str | None,
) -> tuple[int, int, int, int] | None:
    """How specifically ``rule`` applies (lower is more specific), or None if it does not.

    Tiers: store+category, store+purpose, store, system+category, system+purpose, system; among
    category rules the deepest matching category wins, then one also narrowed by purpose; last,
    within any tie, a rule narrowed by subject type beats one that is not.
    """
    if rule.store is not None:
        base = 0 if rule.store == store else None
    else:
        base = 3 if system is not None and rule.system == system else None
    if base is None:
        return None
    if rule.purposes and not any(_covers(r, p) for r in rule.purposes for p in purposes):
        return None
    if rule.subject_types and subject_type not in rule.subject_types:
        return None
    by_type = 0 if rule.subject_types else 1
    if not rule.categories:
        return (base + (1 if rule.purposes else 2), 0, 0, by_type)
    depths = [_depth(c) for c in rule.categories if _covers(c, category)]
    if not depths:
        return None
    return (base, -max(depths), 0 if rule.purposes else 1, by_type)


def _binds_longer(candidate: Expiry, current: Expiry) -> bool:
    """Whether ``candidate`` keeps the data at least as long as ``current`` (until it must be
    gone, an archive included): a clock not started yet keeps it indefinitely. Ties go to the
    candidate, so a legal obligation ending on the same day as a promise is the reason given
    (retained by law, not merely promised)."""
    if candidate.gone_at is None:
        return True
    return current.gone_at is not None and candidate.gone_at >= current.gone_at


CACHED = 10_000  # distinct holding kinds remembered: events choose their categories and purposes


def _bounded(cache: dict[Any, Any]) -> None:
    """Forget everything once full, so no stream of odd categories grows the worker."""
    if len(cache) >= CACHED:
        cache.clear()


class RetentionPolicy:
    """The catalog's retention rules, applied to holdings on the organisation's calendar."""

    def __init__(self, catalog: Catalog) -> None:
        self._rules = catalog.retention
        self._year_end = catalog.financial_year_end
        self._system_of = {store.id: system.id for system, store in catalog.stores()}
        self.zone = catalog.zone
        self.indirect_sources = frozenset(catalog.indirect_sources)
        # Which rules bind depends only on these keys, and a worker asks for the same few
        # thousand times a second: ranking every rule each time was a sixth of the writer.
        self._rules_for: dict[tuple[Any, ...], list[RetentionRule]] = {}
        self._may_move: dict[tuple[Any, ...], bool] = {}

    def _ranked(
        self, store: str, system: str | None, category: str, purposes: Sequence[str], subject_type: str | None
    ) -> list[tuple[tuple[int, int, int, int], int]]:
        system = system if system is not None else self._system_of.get(store)
        return sorted(
            (rank, index)
            for index, rule in enumerate(self._rules)
            if (rank := _rank(rule, store, system, category, purposes, subject_type)) is not None
        )

    def rule_for(
        self,
        store: str,
        system: str | None,
        category: str,
        purposes: Sequence[str],
        subject_type: str | None = None,
    ) -> RetentionRule | None:
        """The most specific rule for one holding (ties: the first in catalog order); the store's
        system comes from the catalog when ``system`` is None."""
        ranked = self._ranked(store, system, category, purposes, subject_type)
        return self._rules[ranked[0][1]] if ranked else None

    def rules_for(
        self,
        store: str,
        system: str | None,
        category: str,
        purposes: Sequence[str],
        subject_type: str | None = None,
    ) -> list[RetentionRule]:
        """The rules that bind one holding: the most specific, and every legal obligation that
        also covers it (a minimum the specific rule cannot shorten)."""
        key = (store, system, category, tuple(purposes), subject_type)
        if key not in self._rules_for:
            _bounded(self._rules_for)
            self._rules_for[key] = self._bound(store, system, category, purposes, subject_type)
        return self._rules_for[key]

    def _bound(
        self, store: str, system: str | None, category: str, purposes: Sequence[str], subject_type: str | None
    ) -> list[RetentionRule]:
        ranked = self._ranked(store, system, category, purposes, subject_type)
        if not ranked:
            return []
        chosen = self._rules[ranked[0][1]]
        return [chosen, *(self._rules[i] for _, i in ranked[1:] if self._rules[i].legal_obligation)]

    def may_move(self, store: str, category: str, purposes: Sequence[str], marks: Iterable[Moment]) -> bool:
        """Whether setting ``marks`` on a holding can change its expiry: a writer may skip the
        recomputation when not (an open or a delivery under a last-contact rule). A store with
        purpose- or subject-type-specific rules always may: a new purpose or subject type can
        change which rule applies."""
        marked = frozenset(marks)
        key = (store, category, tuple(purposes), marked)
        if key not in self._may_move:
            _bounded(self._may_move)
            self._may_move[key] = self._moves(store, category, purposes, marked)
        return self._may_move[key]

    def _moves(self, store: str, category: str, purposes: Sequence[str], marks: frozenset[Moment]) -> bool:
        system = self._system_of.get(store)
        scoped = (
            r
            for r in self._rules
            if r.store == store or (r.store is None and system is not None and r.system == system)
        )
        if any(r.purposes or r.subject_types for r in scoped):
            return True
        wanted = {
            moment
            for rule in self.rules_for(store, None, category, purposes)
            for trigger in rule.triggers
            for moment in (TRIGGER_MOMENT[trigger], *MOMENT_FALLBACK.get(TRIGGER_MOMENT[trigger], ()))
        }
        return bool(wanted & marks)

    def expiry(self, holding: HoldingClock) -> Expiry | None:
        """When ``holding`` expires, or None if no rule covers it (nothing was promised): under
        its most specific rule, unless a legal obligation covering it keeps it longer. Either
        way the expiry carries the end of the legal obligation, the longest one if several."""
        rules = self.rules_for(
            holding.store, holding.system, holding.category, holding.purposes, holding.subject_type
        )
        if not rules:
            return None
        expiries = [self._rule_expiry(rule, holding) for rule in rules]
        chosen = expiries[0]
        for candidate in expiries[1:]:
            if _binds_longer(candidate, chosen):
                chosen = candidate
        legal = None
        for candidate in (e for e in expiries if e.legal_obligation):
            if legal is None or _binds_longer(candidate, legal):
                legal = candidate
        if legal is None:
            return chosen
        # an archive kept for a legal obligation is kept by law to its end
        return replace(chosen, legal_rule=legal.rule, legal_until=legal.gone_at)

    def _rule_expiry(self, rule: RetentionRule, holding: HoldingClock) -> Expiry:
        """One rule's expiry, with what it calls for at its end (and the end of the archive)."""
        expiry = self._active_expiry(rule, holding)
        if rule.archive is None or expiry.at is None:
            return replace(expiry, action=rule.at_expiry)
        return replace(
            expiry, action=rule.at_expiry, archive_until=add_duration(expiry.at, rule.archive.duration)
        )

    def _active_expiry(self, rule: RetentionRule, holding: HoldingClock) -> Expiry:
        """The end of the active period: the ``until`` clocks' once one of their triggers has
        happened (of several, the longest among those that happened: "two years after the latest
        negative decision, whichever is longest"), else the ordinary clock(s).

        ``until`` replaces the clocks ("3 years after last use; once closed, 1 year after the
        closure"), except when the ordinary expiry came first: data already due when the
        account was closed was already to be deleted, and a closure does not revive it."""
        ordinary = self._clocks_expiry(rule, holding)
        happened = [
            (found[1][0], self._clock_expiry(rule, clock, holding))
            for clock in rule.until
            if (found := _moment_for(TRIGGER_MOMENT[clock.trigger], holding.moments)) is not None
        ]
        if not happened:
            return ordinary
        first_happened = min(at for at, _ in happened)
        if ordinary.at is not None and ordinary.at <= first_happened:
            return ordinary
        return max((expiry for _, expiry in happened), key=_at)

    def _clocks_expiry(self, rule: RetentionRule, holding: HoldingClock) -> Expiry:
        """The ordinary clocks: one, or several combined (first: the earliest started one,
        pending while none has started; last: pending while any has not)."""
        expiries = [self._clock_expiry(rule, clock, holding) for clock in rule.all_clocks]
        started = [e for e in expiries if e.at is not None]
        if rule.whichever is Whichever.FIRST:
            return min(started, key=_at) if started else expiries[0]
        pending = [e for e in expiries if e.at is None]
        return pending[0] if pending else max(started, key=_at)

    def _clock_expiry(self, rule: RetentionRule, clock: Clock, holding: HoldingClock) -> Expiry:
        found = _moment_for(TRIGGER_MOMENT[clock.trigger], holding.moments)
        if found is None:
            return Expiry(rule.key, clock.trigger, None, None, rule.legal_obligation, rule.source)
        moment, (started, event_id) = found
        started = started.astimezone(self.zone)
        if clock.trigger is RetentionTrigger.END_OF_FINANCIAL_YEAR:
            started = end_of_financial_year(started, self._year_end)
        return Expiry(
            rule.key,
            clock.trigger,
            add_duration(started, clock.duration),
            event_id,
            rule.legal_obligation,
            rule.source,
            moment,
        )


def _at(expiry: Expiry) -> datetime:
    assert expiry.at is not None
    return expiry.at


def _moment_for(
    wanted: Moment, moments: Mapping[Moment, tuple[datetime, str]]
) -> tuple[Moment, tuple[datetime, str]] | None:
    for moment in (wanted, *MOMENT_FALLBACK.get(wanted, ())):
        if moment in moments:
            return moment, moments[moment]
    return None


def _applicable(catalog: Catalog, store: str) -> tuple[tuple[RetentionRule, ...], str | None, str | None]:
    """The rules that can apply to ``store``'s holdings, in catalog order, the financial year
    end if one of them runs from it, and the time zone their calendar arithmetic uses."""
    system = next((sys.id for sys, s in catalog.stores() if s.id == store), None)
    rules = tuple(
        r for r in catalog.retention if r.store == store or (system is not None and r.system == system)
    )
    uses_year_end = any(RetentionTrigger.END_OF_FINANCIAL_YEAR in r.triggers for r in rules)
    return (rules, catalog.financial_year_end if uses_year_end else None, catalog.timezone if rules else None)


# Raised whenever the expiry computation changes what it stores on a holding (2: the end of the
# legal obligation beside the binding expiry; 3: the action at expiry and the end of the
# archive), so every store's expiries are computed again once.
EXPIRY_VERSION = 3


def retention_fingerprint(catalog: Catalog, store: str) -> str:
    """What a store's expiries were computed from: a store whose fingerprint in the graph is
    this one needs no recomputation, so a restart does not recompute millions of holdings."""
    rules, year_end, zone = _applicable(catalog, store)
    parts = [str(EXPIRY_VERSION), repr(year_end), repr(zone), *(r.model_dump_json() for r in rules)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def rules_changed(old: Catalog, new: Catalog) -> set[str]:
    """The store ids whose holdings may expire differently under ``new``: only those need their
    expiries recomputed after a catalog change (what the fingerprints in the graph decide)."""
    stores = {s.id for _, s in old.stores()} | {s.id for _, s in new.stores()}
    return {
        store for store in stores if retention_fingerprint(old, store) != retention_fingerprint(new, store)
    }


def is_overdue(expiry: Expiry | None, now: datetime) -> bool:
    """True once the retention period is over: kept past ``at`` breaches the promise, or, for
    an archive rule, past the end of the archive."""
    return expiry is not None and expiry.gone_at is not None and expiry.gone_at <= now
