"""Retention (GDPR Art. 5(1)(e), storage limitation): when each holding must be gone.

A privacy policy promises "3 years after the last contact", "10 years from the end of the
financial year". The catalog declares those promises as rules (duration + trigger); the graph
records, per holding, when each *moment* a clock can run from last happened (``moments_marked``
says which events set which). This module joins the two: the most specific rule for a holding,
the moment its trigger runs from, and the calendar arithmetic, so an expiry is a pure function
of the catalog and the holding's moments and can be recomputed whenever either changes. Pure.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType

from lineage.domain.catalog import Catalog, Duration, RetentionRule, RetentionTrigger, parse_year_end
from lineage.domain.events import ActivityEvent, ActivityKind, DataMovementEvent, MovementEvent


class Moment(StrEnum):
    """The instants a retention clock can run from, recorded per holding (one data category of
    one subject in one store), each as the latest time it happened and the event that set it."""

    WRITTEN = "written"  # last collected or updated
    COLLECTED = "collected"  # last collected only: the application, the invoice issue
    CONTACT = "contact"  # last contact coming from the person: a collection, a click, a reply
    CONTRACT_END = "contract_end"
    ACCOUNT_CLOSURE = "account_closure"
    FIRST_SEEN = "first_seen"  # the holding's first sighting: the last resort, it never moves


TRIGGER_MOMENT: Mapping[RetentionTrigger, Moment] = MappingProxyType({
    RetentionTrigger.COLLECTION: Moment.WRITTEN,
    RetentionTrigger.LAST_CONTACT: Moment.CONTACT,
    RetentionTrigger.APPLICATION: Moment.COLLECTED,
    RetentionTrigger.END_OF_CONTRACT: Moment.CONTRACT_END,
    RetentionTrigger.END_OF_FINANCIAL_YEAR: Moment.COLLECTED,
    RetentionTrigger.ACCOUNT_CLOSURE: Moment.ACCOUNT_CLOSURE,
})

# What a clock runs from when its own moment was never seen but the data is held: a holding that
# only a copy, an update (collected before lineage watched) or a logged activity put there must
# still expire, from the best evidence of when the data got there, and never from something
# that must not move it (an open is written data, but not contact). The end of a contract or of
# an account has no stand-in: until it happens, the clock has not started.
MOMENT_FALLBACK: Mapping[Moment, tuple[Moment, ...]] = MappingProxyType({
    Moment.CONTACT: (Moment.COLLECTED, Moment.FIRST_SEEN),
    Moment.COLLECTED: (Moment.FIRST_SEEN,),
    Moment.WRITTEN: (Moment.FIRST_SEEN,),
})


@dataclass(frozen=True)
class MomentMark:
    """A moment an event sets. ``store_wide``: on every holding the subject has in the store,
    not only the event's categories (a click in one newsletter is contact for all of them)."""

    moment: Moment
    store_wide: bool


_COLLECTED = (MomentMark(Moment.WRITTEN, False), MomentMark(Moment.COLLECTED, False),
              MomentMark(Moment.CONTACT, False))
_RECEIVED = (MomentMark(Moment.WRITTEN, False), MomentMark(Moment.COLLECTED, False))
_ACTION_MARKS: Mapping[str, tuple[MomentMark, ...]] = MappingProxyType({
    "collected": _COLLECTED,
    "updated": (MomentMark(Moment.WRITTEN, False),),
    "copied": _RECEIVED,
    "transferred": _RECEIVED,
})
# Every activity the source logs is data written about the person (a delivery log line), for the
# categories it names; only a click or a reply is also contact, for the whole store.
_LOGGED = MomentMark(Moment.WRITTEN, False)
_ACTIVITY_MARKS: Mapping[ActivityKind, tuple[MomentMark, ...]] = MappingProxyType({
    ActivityKind.CLICKED: (_LOGGED, MomentMark(Moment.CONTACT, True)),
    ActivityKind.REPLIED: (_LOGGED, MomentMark(Moment.CONTACT, True)),
    ActivityKind.CONTRACT_ENDED: (MomentMark(Moment.CONTRACT_END, True),),
    ActivityKind.ACCOUNT_CLOSED: (MomentMark(Moment.ACCOUNT_CLOSURE, True),),
})


def moments_marked(event: DataMovementEvent) -> tuple[MomentMark, ...]:
    """The moments ``event`` sets, in the store ``marked_store(event)`` names.

    Only what comes from the person counts as contact (CNIL 2021-131: a click does, an open does
    not): sends, deliveries, opens and bounces are only written log data; reads, erasures,
    consent and links set nothing.
    A copy or transfer writes the data into its *destination*, where it is collected anew; the
    origin keeps its own moments.
    """
    if isinstance(event, ActivityEvent):
        return _ACTIVITY_MARKS.get(event.activity, (_LOGGED,))
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


@dataclass(frozen=True)
class Expiry:
    """When a holding's retention runs out under one rule.

    ``at`` is None while the trigger has not happened (a contract still running): the data is
    within its retention, but no date can be given yet. ``moment`` is the moment the clock ran
    from, which differs from the trigger's own when ``MOMENT_FALLBACK`` stood in for it.
    """

    rule: str
    trigger: RetentionTrigger
    at: datetime | None
    event_id: str | None
    legal_obligation: bool
    source: str
    moment: Moment | None = None

    @property
    def pending(self) -> bool:
        return self.at is None


def add_duration(at: datetime, duration: Duration) -> datetime:
    """``at`` plus a calendar duration: years and months first, the day clamped to the target
    month's last (2024-02-29 + 1 year = 2025-02-28), then days.

    Clamping keeps the expiry inside the promised period instead of spilling into the next
    month. Time of day and tzinfo are kept (wall-clock arithmetic).
    """
    months = at.month - 1 + duration.months + 12 * duration.years
    year, month = at.year + months // 12, months % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day) + timedelta(days=duration.days)


def end_of_financial_year(at: datetime, year_end: str = "12-31") -> datetime:
    """The exclusive end of the financial year containing ``at``: midnight starting the day
    after ``year_end`` (MM-DD), in ``at``'s timezone.

    Exclusive, so adding a whole number of years lands on a midnight and ``is_overdue`` is true
    from the first instant past the period, with the whole last day of it still kept.
    """
    month, day = parse_year_end(year_end)
    closing = date(at.year, month, day)
    if at.date() > closing:
        closing = date(at.year + 1, month, day)
    return datetime.combine(closing + timedelta(days=1), time(0), tzinfo=at.tzinfo)


def _covers(rule_key: str, key: str) -> bool:
    """A rule naming a fideslang key covers that key and its descendants (``user.contact`` covers
    ``user.contact.email``), but not its parents: the parent may hold more than the rule says."""
    return key == rule_key or key.startswith(rule_key + ".")


def _depth(key: str) -> int:
    return key.count(".") + 1


def _rank(rule: RetentionRule, store: str, system: str | None, category: str,
          purposes: Sequence[str]) -> tuple[int, int, int] | None:
    """How specifically ``rule`` applies (lower is more specific), or None if it does not.

    Tiers: store+category, store+purpose, store, system+category, system+purpose, system; among
    category rules the deepest matching category wins, then one also narrowed by purpose.
    """
    if rule.store is not None:
        base = 0 if rule.store == store else None
    else:
        base = 3 if system is not None and rule.system == system else None
    if base is None:
        return None
    if rule.purposes and not any(_covers(r, p) for r in rule.purposes for p in purposes):
        return None
    if not rule.categories:
        return (base + (1 if rule.purposes else 2), 0, 0)
    depths = [_depth(c) for c in rule.categories if _covers(c, category)]
    if not depths:
        return None
    return (base, -max(depths), 0 if rule.purposes else 1)


class RetentionPolicy:
    """The catalog's retention rules, applied to holdings."""

    def __init__(self, catalog: Catalog) -> None:
        self._rules = catalog.retention
        self._year_end = catalog.financial_year_end
        self._system_of = {store.id: system.id for system, store in catalog.stores()}

    def rule_for(self, store: str, system: str | None, category: str,
                 purposes: Sequence[str]) -> RetentionRule | None:
        """The most specific rule for one holding (ties: the first in catalog order); the store's
        system comes from the catalog when ``system`` is None."""
        system = system if system is not None else self._system_of.get(store)
        ranked = [(rank, index) for index, rule in enumerate(self._rules)
                  if (rank := _rank(rule, store, system, category, purposes)) is not None]
        return self._rules[min(ranked)[1]] if ranked else None

    def may_move(self, store: str, category: str, purposes: Sequence[str],
                 marks: Iterable[Moment]) -> bool:
        """Whether setting ``marks`` on a holding can change its expiry: a writer may skip the
        recomputation when not (an open or a delivery under a last-contact rule). A store with
        purpose-specific rules always may: a new purpose can change which rule applies."""
        if any(r.purposes and r.store == store for r in self._rules):
            return True
        rule = self.rule_for(store, None, category, purposes)
        if rule is None:
            return False
        wanted = TRIGGER_MOMENT[rule.trigger]
        return bool({wanted, *MOMENT_FALLBACK.get(wanted, ())} & set(marks))

    def expiry(self, holding: HoldingClock) -> Expiry | None:
        """When ``holding`` expires, or None if no rule covers it (nothing was promised)."""
        rule = self.rule_for(holding.store, holding.system, holding.category, holding.purposes)
        if rule is None:
            return None
        found = _moment_for(TRIGGER_MOMENT[rule.trigger], holding.moments)
        if found is None:
            return Expiry(rule.key, rule.trigger, None, None, rule.legal_obligation, rule.source)
        moment, (started, event_id) = found
        if rule.trigger is RetentionTrigger.END_OF_FINANCIAL_YEAR:
            started = end_of_financial_year(started, self._year_end)
        return Expiry(rule.key, rule.trigger, add_duration(started, rule.duration), event_id,
                      rule.legal_obligation, rule.source, moment)


def _moment_for(wanted: Moment, moments: Mapping[Moment, tuple[datetime, str]]
                ) -> tuple[Moment, tuple[datetime, str]] | None:
    for moment in (wanted, *MOMENT_FALLBACK.get(wanted, ())):
        if moment in moments:
            return moment, moments[moment]
    return None


def _applicable(catalog: Catalog, store: str) -> tuple[tuple[RetentionRule, ...], str | None]:
    """The rules that can apply to ``store``'s holdings, in catalog order, and the financial year
    end if one of them runs from it."""
    system = next((sys.id for sys, s in catalog.stores() if s.id == store), None)
    rules = tuple(r for r in catalog.retention
                  if r.store == store or (system is not None and r.system == system))
    uses_year_end = any(r.trigger is RetentionTrigger.END_OF_FINANCIAL_YEAR for r in rules)
    return rules, catalog.financial_year_end if uses_year_end else None


def rules_changed(old: Catalog, new: Catalog) -> set[str]:
    """The store ids whose holdings may expire differently under ``new``: only those need their
    expiries recomputed after a catalog change."""
    stores = {s.id for _, s in old.stores()} | {s.id for _, s in new.stores()}
    return {store for store in stores if _applicable(old, store) != _applicable(new, store)}


def is_overdue(expiry: Expiry | None, now: datetime) -> bool:
    """True once the retention period is over: kept past ``at`` breaches the promise."""
    return expiry is not None and expiry.at is not None and expiry.at <= now
