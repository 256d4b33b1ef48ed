"""Which processing a person's rights forbid, and under which alert it goes.

A restriction (Art. 18) forbids processing the person's data at all, an objection (Art. 21)
processing for the purposes objected to (``marketing`` covers every ``marketing.*`` use), and a
withdrawn consent (Art. 7(3)) processing that rests on consent for that purpose. Each is a state
in the graph that begins at an instant: processing that occurred before it raises nothing.

Processing is judged the same way wherever it is seen: an event of the stream
(:func:`event_processing`), or what a holding last saw (:class:`Processing` built by the graph's
check), so the worker's early pass, its record stage and its refresh raise the same alerts, with
the same ids. One alert per restriction or objection (its request) and per withdrawal (the event
that withdrew the consent, and the purpose): ids that no identity merge changes, so a pass that
saw the person before a merge and one that saw them after upsert the same alert. Replays and
both passes upsert it.
Pure: the states come from ``graph.rights``, the basis of an event from the catalog.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from lineage.domain.consent import withdrawn_at_time
from lineage.domain.events import (
    LIFECYCLE_KINDS,
    ActivityEvent,
    ConsentEvent,
    DataMovementEvent,
    LegalBasis,
    StoreFlowEvent,
)

PROCESSES = frozenset({"collected", "updated", "accessed", "activity", "copied", "transferred"})
"""Actions that process the person's data: a write to a store, a flow, a send. An erasure, a
consent or an identity link does not, nor does a lifecycle moment (``LIFECYCLE_KINDS``): the
subscription an unsubscription closes, a contract's end."""


class RightsAlert(StrEnum):
    RESTRICTED = "processing_while_restricted"
    OBJECTED = "processing_after_objection"
    WITHDRAWN = "processing_after_withdrawal"


@dataclass(frozen=True)
class Limit:
    """A restriction or an objection, as ``(r:Request)-[:FOR]->(s:Subject)`` holds it."""

    request: str
    kind: str  # 'restriction' | 'objection'
    since: datetime
    purposes: tuple[str, ...] = ()
    in_force: bool = True


@dataclass(frozen=True)
class Consent:
    """The latest consent given and the latest withdrawal for one purpose."""

    purpose: str
    given_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_event: str | None = None


@dataclass(frozen=True)
class SubjectRights:
    """A person's rights state. ``subject`` is the Subject's key; None while only the stream has
    seen them."""

    subject: str | None
    limits: tuple[Limit, ...] = ()
    consents: tuple[Consent, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.limits and not self.consents

    def with_consent(self, event: ConsentEvent) -> SubjectRights:
        """Folds a consent event in as the graph does: the latest of each time wins."""
        at = event.occurred_at
        old = next((c for c in self.consents if c.purpose == event.purpose), Consent(event.purpose))
        if event.action == "consent_given":
            new = replace(old, given_at=max(at, old.given_at) if old.given_at else at)
        elif old.withdrawn_at is None or at > old.withdrawn_at:
            new = replace(old, withdrawn_at=at, withdrawn_event=event.event_id)
        else:
            return self
        kept = tuple(c for c in self.consents if c.purpose != event.purpose)
        return replace(self, consents=(*kept, new))


@dataclass(frozen=True)
class Processing:
    """One processing of a person's data: an event, or a holding's last sighting."""

    keys: tuple[str, ...]  # the identifier keys it names, its own first
    store: str
    at: datetime
    event_id: str
    purposes: tuple[str, ...]
    on_consent: bool


def covers(declared: str, purpose: str | None) -> bool:
    """A declared purpose covers itself and its fideslang descendants."""
    return purpose is not None and (purpose == declared or purpose.startswith(f"{declared}."))


def alert_id(kind: RightsAlert, episode: str) -> str:
    return f"{kind.value}-{hashlib.sha256(episode.encode()).hexdigest()[:16]}"


def withdrawal_episode(consent: Consent, subject: str | None, keys: Sequence[str]) -> str:
    """What a withdrawal alert is about: the withdrawal itself, known by its event wherever the
    person's identities end up; a withdrawal recorded without its event falls back to the person."""
    if consent.withdrawn_event:
        return f"{consent.purpose}|{consent.withdrawn_event}"
    return f"{subject or min(keys)}|{consent.purpose}"


@dataclass(frozen=True)
class RightsHit:
    """One processing against one state. ``ref`` is the request id (restriction, objection) or
    the purpose whose consent was withdrawn; ``episode`` what the alert's id hangs on (the
    request, or :func:`withdrawal_episode`)."""

    kind: RightsAlert
    ref: str
    purpose: str | None
    processing: Processing
    episode: str

    @property
    def id(self) -> str:
        return alert_id(self.kind, self.episode)

    def row(self) -> dict[str, object]:
        """The hit as ``graph.alerts.upsert_alerts`` takes it; the reason is the evidence."""
        p = self.processing
        return {
            "id": self.id,
            "kind": self.kind.value,
            "severity": "high",
            "store": p.store,
            "chain": [],
            "country": None,
            "mechanism": None,
            "reason": self.reason(),
            "subject": p.keys[0],
            "at": int(p.at.timestamp() * 1000),
            "event_id": p.event_id,
        }

    def reason(self) -> str:
        p = self.processing
        what = f"processing{f' for {self.purpose}' if self.purpose else ''} in {p.store}"
        match self.kind:
            case RightsAlert.RESTRICTED:
                why = f"while restriction {self.ref} is in force"
            case RightsAlert.OBJECTED:
                why = f"after objection {self.ref}"
            case _:
                why = f"on consent withdrawn for {self.ref}"
        return f"{what} {why} (event {p.event_id})"


BasisOf = Callable[[str, str | None, LegalBasis | None], LegalBasis | None]
"""(store, purpose, the event's basis) -> the basis it rests on (``consent.basis_for``)."""


def event_processing(events: Iterable[DataMovementEvent], basis_of: BasisOf) -> list[Processing]:
    """The events of a batch that process a person's data. A batch names a few stores and
    purposes for a thousand events: each basis is looked up once."""
    found: list[Processing] = []
    bases: dict[tuple[str, str | None, LegalBasis | None], LegalBasis | None] = {}
    for event in events:
        if event.action not in PROCESSES or isinstance(event, StoreFlowEvent):
            continue
        if isinstance(event, ActivityEvent) and event.activity in LIFECYCLE_KINDS:
            continue
        asked = (event.store, event.purpose, event.legal_basis)
        if asked not in bases:
            bases[asked] = basis_of(*asked)
        basis = bases[asked]
        found.append(
            Processing(
                (event.subject.key, *event.subject.links),
                event.store,
                event.occurred_at,
                event.event_id,
                (event.purpose,) if event.purpose else (),
                basis == LegalBasis.CONSENT,
            )
        )
    return found


def _limit_hits(p: Processing, limit: Limit) -> list[RightsHit]:
    if not limit.in_force or p.at < limit.since:
        return []
    if limit.kind == "restriction":
        purpose = p.purposes[0] if p.purposes else None
        return [RightsHit(RightsAlert.RESTRICTED, limit.request, purpose, p, limit.request)]
    if limit.kind == "objection":
        hit = next((u for u in p.purposes for o in limit.purposes if covers(o, u)), None)
        return [RightsHit(RightsAlert.OBJECTED, limit.request, hit, p, limit.request)] if hit else []
    return []


def _consent_hits(p: Processing, consent: Consent, grace: timedelta, subject: str | None) -> list[RightsHit]:
    if not p.on_consent or consent.withdrawn_at is None:
        return []
    if p.at < consent.withdrawn_at + grace or not withdrawn_at_time(
        consent.given_at, consent.withdrawn_at, p.at
    ):
        return []
    if p.event_id == consent.withdrawn_event:
        return []
    hit = next((u for u in p.purposes if covers(consent.purpose, u)), None)
    if hit is None:
        return []
    episode = withdrawal_episode(consent, subject, p.keys)
    return [RightsHit(RightsAlert.WITHDRAWN, consent.purpose, hit, p, episode)]


def rights_hits(
    processing: Iterable[Processing],
    rights: Mapping[str, SubjectRights],
    grace: timedelta = timedelta(0),
) -> list[RightsHit]:
    """Every (processing, state) pair the person's rights forbid, the latest processing last
    (an alert's reason names the last hit it was given). ``rights`` is by identifier key;
    processing that occurred before a state began, or for other purposes, raises nothing."""
    hits: list[RightsHit] = []
    for p in processing:
        state = next((rights[k] for k in p.keys if k in rights), None)
        if state is None:
            continue
        for limit in state.limits:
            hits += _limit_hits(p, limit)
        for consent in state.consents:
            hits += _consent_hits(p, consent, grace, state.subject)
    return sorted(hits, key=lambda h: (h.processing.at, h.processing.event_id))


def consent_events(events: Iterable[DataMovementEvent]) -> list[ConsentEvent]:
    """The consent given or withdrawn in a batch: what the stream says before the graph has it."""
    return [event for event in events if isinstance(event, ConsentEvent)]


@dataclass(frozen=True)
class Held:
    """What a holding last saw: the processing stored before a state was, or out of order."""

    store: str
    at: datetime
    event_id: str
    purposes: tuple[str, ...]
    legal_bases: tuple[str, ...]


@dataclass(frozen=True)
class PersonRights:
    """One person as the graph reads them: their identifiers, state and holdings in question."""

    identifiers: tuple[str, ...]
    state: SubjectRights
    held: tuple[Held, ...] = ()

    def processing(self, basis_of: BasisOf) -> list[Processing]:
        """The holdings as processing: on consent when their events said so, else when the
        catalog rests one of their purposes on consent in their store."""
        return [
            Processing(
                self.identifiers,
                h.store,
                h.at,
                h.event_id,
                h.purposes,
                LegalBasis.CONSENT in h.legal_bases
                if h.legal_bases
                else any(basis_of(h.store, p, None) == LegalBasis.CONSENT for p in h.purposes),
            )
            for h in self.held
        ]


def by_identifier(people: Iterable[PersonRights]) -> dict[str, SubjectRights]:
    return {key: person.state for person in people for key in person.identifiers}
