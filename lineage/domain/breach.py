"""Personal data breaches (GDPR Art. 33-34): who was exposed, how grave it is, and the 72 hours.

A breach is opened on a store, or on a processor (every store whose system's processor chain
includes it), for an exposure window. Sizing it is the graph's job; this module decides what
the sizing means: which categories are special (Art. 9) or criminal (Art. 10), which countries
lie outside the EEA, the risk level that says who must be told (the supervisory authority,
Art. 33(1); the people, Art. 34(1)), and the deadline: 72 hours from awareness. The risk rule
follows the EDPB Guidelines 9/2022 on personal data breach notification under GDPR (and the
examples of Guidelines 01/2021): the kind of data, how many people, and where it went.
Pure: no I/O, ``now`` is always passed in.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from lineage.domain.catalog import Catalog, Processor, Store, System
from lineage.domain.requests import note
from lineage.errors import QueryError

NOTIFY_WITHIN = timedelta(hours=72)
"""Art. 33(1): "without undue delay and, where feasible, not later than 72 hours after having
become aware of it"."""
WARN_WITHIN = timedelta(hours=24)
"""A ``breach_deadline`` alert is raised once less than this is left to notify the authority."""
LARGE_SCALE = 1000
"""People affected from which the number alone makes the risk high (EDPB Guidelines 9/2022
para. 109: the number of individuals affected is a factor; the threshold is the organisation's)."""

SPECIAL_CATEGORIES: dict[str, str] = {
    "user.demographic.race_ethnicity": "Art. 9",
    "user.demographic.political_opinion": "Art. 9",
    "user.demographic.religious_belief": "Art. 9",
    "user.demographic.sexual_orientation": "Art. 9",
    "user.health_and_medical": "Art. 9",  # genetic data is under it
    "user.biometric": "Art. 9",
    "user.authorization.biometric": "Art. 9",
    "user.criminal_history": "Art. 10",
}
"""fideslang categories (and everything under them) of special categories of personal data
(Art. 9(1)) and of criminal convictions and offences (Art. 10)."""

HIGH_IMPACT: dict[str, str] = {
    "user.government_id": "identity documents",
    "user.financial": "financial data",
    "user.authorization.credentials": "credentials",
}
"""Categories the EDPB's examples treat as high risk when exposed though not special
(Guidelines 01/2021: identity documents, financial data, passwords): fraud and identity theft."""


class RiskLevel(StrEnum):
    UNLIKELY = "unlikely"  # nobody exposed: documented (Art. 33(5)), nobody told
    RISK = "risk"  # the authority is told (Art. 33(1))
    HIGH = "high"  # the authority and the people are told (Art. 34(1))


class BreachStatus(StrEnum):
    OPEN = "open"
    NOTIFIED = "notified"  # shown, never stored: open, the authority told
    OVERDUE = "overdue"  # shown, never stored: open, 72 hours past, the authority not told
    CLOSED = "closed"


def new_breach_id() -> str:
    """Random, naming nobody."""
    return f"br-{secrets.token_hex(8)}"


def _under(category: str, prefixes: Mapping[str, str]) -> str | None:
    return next(
        (label for p, label in prefixes.items() if category == p or category.startswith(p + ".")), None
    )


def special_categories(categories: Iterable[str]) -> dict[str, str]:
    """Category -> the article that makes it special (``Art. 9`` or ``Art. 10``), for those
    that are."""
    return {c: label for c in sorted(set(categories)) if (label := _under(c, SPECIAL_CATEGORIES))}


@dataclass(frozen=True)
class Risk:
    """The risk level, every reason for it, and who must be told."""

    level: RiskLevel
    reasons: tuple[str, ...]

    @property
    def notify_authority(self) -> bool:
        return self.level is not RiskLevel.UNLIKELY

    @property
    def notify_people(self) -> bool:
        return self.level is RiskLevel.HIGH


def assess_risk(subjects: int, categories: Iterable[str], outside_eea: Iterable[str]) -> Risk:
    """The risk to people's rights and freedoms, from what lineage knows of the exposed data.

    High (Art. 34: tell the people too) when special or criminal data is exposed, or identity
    documents, financial data or credentials; when at least :data:`LARGE_SCALE` people are; or
    when the data reached countries outside the EEA (harder to contain and recover). A risk
    (Art. 33: tell the authority) whenever anyone's data is exposed: lineage cannot know the
    data was encrypted or useless to whoever got it, which only the DPO can judge and record
    when closing. Unlikely when nobody was held there in the window.
    """
    listed = sorted(set(categories))
    if subjects <= 0:
        return Risk(RiskLevel.UNLIKELY, ("nobody was held there during the exposure window",))
    reasons = [
        f"special category ({article}): {category}"
        for category, article in special_categories(listed).items()
    ]
    reasons += [f"{label}: {c}" for c in listed if (label := _under(c, HIGH_IMPACT))]
    if subjects >= LARGE_SCALE:
        reasons.append(f"large scale: {subjects} people (from {LARGE_SCALE})")
    abroad = sorted(set(outside_eea))
    if abroad:
        reasons.append(f"data reached countries outside the EEA: {', '.join(abroad)}")
    if reasons:
        return Risk(RiskLevel.HIGH, tuple(reasons))
    return Risk(RiskLevel.RISK, (f"personal data of {subjects} people exposed",))


def notification_deadline(aware_at: datetime) -> datetime:
    """72 hours from awareness, by the clock (not calendar days: a weekend counts)."""
    return aware_at + NOTIFY_WITHIN


@dataclass(frozen=True)
class Window:
    """When the data was exposed, and when the organisation became aware of it."""

    start: datetime
    end: datetime
    aware_at: datetime


def window(start: datetime, end: datetime, aware_at: datetime, now: datetime) -> Window:
    """The exposure window and awareness, refused with why when they cannot be."""
    if start >= end:
        raise QueryError("from: the exposure window must start before it ends (--from before --to)")
    if aware_at > now:
        raise QueryError("aware_at: awareness cannot lie in the future")
    if aware_at < start:
        raise QueryError("aware_at: awareness cannot come before the exposure began")
    return Window(start, end, aware_at)


def description(text: str | None) -> str:
    """What happened, kept as evidence: required, short, and naming no one."""
    described = note(text, "description", required=True)
    assert described is not None
    return described


@dataclass(frozen=True)
class Scope:
    """The stores a breach reaches and, per store, the countries its data is in or goes to."""

    stores: dict[str, tuple[str, ...]]

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(sorted({c for countries in self.stores.values() for c in countries}))


def processor_chain(catalog: Catalog, first: str) -> list[Processor]:
    """A processor and every sub-processor below it, any depth, each once."""
    chain: list[Processor] = []
    todo = [first]
    while todo:
        found = catalog.processor(todo.pop(0))
        if found not in chain:
            chain.append(found)
            todo += list(found.sub_processors)
    return chain


def _countries(catalog: Catalog, system: System, store: Store) -> tuple[str, ...]:
    chain = processor_chain(catalog, system.processor)
    return tuple(dict.fromkeys([store.country, *(p.country for p in chain)]))


def scope(catalog: Catalog, *, store: str | None = None, processor: str | None = None) -> Scope:
    """The stores a breach on one store, or on one processor, reaches: for a processor, every
    store whose system's processor or sub-processor chain includes it. Refused when neither or
    both are given, or when the catalog declares no such store or processor."""
    if (store is None) == (processor is None):
        raise QueryError("scope: one of --store or --processor")
    if processor is not None and processor not in {p.id for p in catalog.processors}:
        raise QueryError("processor: the catalog declares no such processor")
    reached = {
        st.id: _countries(catalog, system, st)
        for system, st in catalog.stores()
        if st.id == store
        or (processor is not None and processor in {p.id for p in processor_chain(catalog, system.processor)})
    }
    if store is not None and not reached:
        raise QueryError("store: the catalog declares no such store")
    return Scope(reached)


@dataclass(frozen=True)
class AuthorityNotice:
    at: datetime
    by: str
    reference: str | None
    delay_reason: str | None


def notify_authority(
    status: str,
    deadline: datetime,
    already: datetime | None,
    reference: str | None,
    delay_reason: str | None,
    by: str,
    now: datetime,
) -> AuthorityNotice:
    """Records the notification to the supervisory authority, or refuses with why. After the
    72 hours it must come with the reasons for the delay (Art. 33(1))."""
    if status == BreachStatus.CLOSED:
        raise QueryError("the breach is closed")
    if already is not None:
        raise QueryError("the authority was notified already")
    reason = note(delay_reason, "delay_reason")
    if now > deadline and reason is None:
        raise QueryError(
            "the 72 hours are past: the notification must give the reasons for the delay "
            "(Art. 33(1)), --delay-reason"
        )
    return AuthorityNotice(now, by, note(reference, "reference"), reason)


def people_told(status: str, count: int | None, affected: int) -> int:
    """How many people were told (Art. 34): all those affected unless said otherwise."""
    if status == BreachStatus.CLOSED:
        raise QueryError("the breach is closed")
    told = affected if count is None else count
    if told < 0:
        raise QueryError("count: at least 0")
    return told


def shown_status(
    stored: str, deadline: datetime, authority_notified_at: datetime | None, now: datetime
) -> BreachStatus:
    """Closed as stored; else notified once the authority was told, overdue past 72 hours."""
    if stored == BreachStatus.CLOSED:
        return BreachStatus.CLOSED
    if authority_notified_at is not None:
        return BreachStatus.NOTIFIED
    return BreachStatus.OVERDUE if now > deadline else BreachStatus.OPEN


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _alert(kind: str, breach: Mapping[str, Any], reason: str) -> dict[str, Any]:
    return {
        "id": f"{kind.replace('_', '-')}-{breach['id']}",
        "kind": kind,
        "severity": "high",
        "store": (breach["stores"] or ["(no store)"])[0],
        "chain": [],
        "country": None,
        "mechanism": None,
        "reason": reason,
        "subject": None,
        "at": _ms(breach["deadline"]),
        "event_id": "breach-check",
    }


def deadline_alert_rows(breaches: Iterable[Mapping[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Open breaches whose authority must be told and is not yet: ``breach_deadline`` once less
    than :data:`WARN_WITHIN` is left, ``breach_overdue`` once the 72 hours are past."""
    rows = []
    for b in breaches:
        if b["status"] != BreachStatus.OPEN or b["authority_notified_at"] is not None:
            continue
        if b["risk"] == RiskLevel.UNLIKELY:
            continue
        left = b["deadline"] - now
        if left < timedelta(0):
            reason = (
                f"breach {b['id']}: the supervisory authority was not notified within 72 hours "
                f"of awareness (due {b['deadline']:%Y-%m-%d %H:%M %Z}, Art. 33(1))"
            )
            rows.append(_alert("breach_overdue", b, reason))
        elif left <= WARN_WITHIN:
            hours = int(left.total_seconds() // 3600)
            reason = (
                f"breach {b['id']}: notify the supervisory authority by "
                f"{b['deadline']:%Y-%m-%d %H:%M %Z} (Art. 33(1)), {hours} h left"
            )
            rows.append(_alert("breach_deadline", b, reason))
    return rows


def close(status: str, text: str | None) -> str:
    """The closing note (facts, effects, remedial action taken: Art. 33(5)), required; a closed
    breach stays closed."""
    if status == BreachStatus.CLOSED:
        raise QueryError("the breach is closed already")
    closing = note(text, "note", required=True)
    assert closing is not None
    return closing
