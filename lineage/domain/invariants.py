"""Declared invariants ("hosted in the EU", "we never collect identity documents") and what
breaks them.

A policy's absolute promises become an ``invariants`` block in the catalog (organisation,
system or store). They are checked twice: against the catalog itself (a store declaring a
forbidden category, a processor or sub-processor outside the EEA under ``stays_in_eea``), so a
catalog change that breaks one is seen without waiting for data; and against every event that
puts data into a store, so the first identity document that lands in a CRM raises an alert
within a second, on the transfer alerts' path. One alert per (invariant, store, category or
destination): a busy flow updates it instead of raising one per event. Pure: the transfer hops
come from ``transfer_chains``, the rest is the graph's and the agent's job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from lineage.domain.alerts import CREATES_OR_MOVES
from lineage.domain.catalog import Catalog, Invariants
from lineage.domain.events import DataMovementEvent, MovementEvent, StoreFlowEvent
from lineage.domain.transfer_chains import TransferHop
from lineage.domain.transfers import HopStatus

INVARIANT_KIND = "invariant_broken"
ORGANISATION = "the organisation"


class Invariant(StrEnum):
    STAYS_IN_EEA = "stays_in_eea"
    NEVER_HOLDS = "never_holds"


def covers(forbidden: str, category: str) -> bool:
    """A forbidden category covers itself and its fideslang descendants: ``user.government_id``
    forbids ``user.government_id.passport_number``, not the parent ``user``."""
    return category == forbidden or category.startswith(f"{forbidden}.")


@dataclass(frozen=True)
class Breach:
    """One invariant broken in one store: by a category held (``never_holds``), or by a hop
    leaving the EEA (``stays_in_eea``). ``declared_by`` names who declared the invariant."""

    invariant: Invariant
    store: str
    declared_by: str
    rule: str  # the forbidden category, or "EEA"
    found: str  # the category held, or where the data goes (a country, an organisation)
    chain: tuple[str, ...] = ()
    country: str | None = None

    @property
    def id(self) -> str:
        """Stable per (invariant, store, category or destination), whatever event found it."""
        key = f"{self.invariant.value}|{self.store}|{self.found}"
        return f"invariant-{self.invariant.value}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"

    @property
    def reason(self) -> str:
        """Catalog words only (store ids, fideslang keys, processor ids): never personal data."""
        if self.invariant == Invariant.NEVER_HOLDS:
            return (
                f"never_holds {self.rule} (declared by {self.declared_by}) broken: "
                f"store {self.store} holds {self.found}"
            )
        return (
            f"stays_in_eea (declared by {self.declared_by}) broken: data of store {self.store} "
            f"reaches {self.found} via {' > '.join(self.chain)}"
        )


@dataclass(frozen=True)
class StoreInvariants:
    """What binds one store: the forbidden categories (each with who declared it), whether it
    must stay in the EEA, and its hops that leave the EEA."""

    store: str
    never_holds: dict[str, str] = field(default_factory=dict)
    stays_in_eea: str | None = None  # who declared it
    outside: tuple[TransferHop, ...] = ()

    def forbidden(self, categories: Iterable[str]) -> list[Breach]:
        return [
            Breach(Invariant.NEVER_HOLDS, self.store, by, rule, category)
            for category in sorted(set(categories))
            for rule, by in self.never_holds.items()
            if covers(rule, category)
        ]

    def abroad(self) -> list[Breach]:
        if self.stays_in_eea is None:
            return []
        return [
            Breach(
                Invariant.STAYS_IN_EEA,
                self.store,
                self.stays_in_eea,
                "EEA",
                hop.destination,
                hop.chain,
                hop.country,
            )
            for hop in self.outside
        ]


def _merge(*declared: tuple[Invariants, str]) -> tuple[dict[str, str], str | None]:
    """Forbidden categories and the EEA promise of nested scopes, the widest scope naming each."""
    never: dict[str, str] = {}
    eea: str | None = None
    for invariants, by in declared:
        for category in invariants.never_holds:
            never.setdefault(category, by)
        if invariants.stays_in_eea and eea is None:
            eea = by
    return never, eea


@dataclass(frozen=True)
class InvariantRules:
    """Every store's invariants, compiled once per catalog (and day) for the stream's checks."""

    organisation: StoreInvariants
    stores: dict[str, StoreInvariants]

    def of(self, store: str) -> StoreInvariants:
        """An undeclared store is bound by the organisation's categories; where it is hosted is
        unknown, so only a declared store can be judged on the EEA."""
        return self.stores.get(store) or StoreInvariants(store, self.organisation.never_holds)

    @property
    def declared(self) -> bool:
        return bool(self.organisation.never_holds) or any(
            s.never_holds or s.stays_in_eea for s in self.stores.values()
        )


def compile_rules(catalog: Catalog, hops: Iterable[TransferHop]) -> InvariantRules:
    """The catalog's invariants per store; ``hops`` are the catalog's transfer hops
    (``transfer_chains.catalog_hops``), of which those leaving the EEA break ``stays_in_eea``."""
    outside: dict[str, list[TransferHop]] = {}
    for hop in hops:
        if hop.verdict.status != HopStatus.INSIDE_EEA:
            outside.setdefault(hop.store, []).append(hop)
    org_never, _ = _merge((catalog.invariants, ORGANISATION))
    stores: dict[str, StoreInvariants] = {}
    for system, store in catalog.stores():
        never, eea = _merge(
            (catalog.invariants, ORGANISATION),
            (system.invariants, f"system {system.id}"),
            (store.invariants, f"store {store.id}"),
        )
        stores[store.id] = StoreInvariants(store.id, never, eea, tuple(outside.get(store.id, ())))
    return InvariantRules(StoreInvariants("*", org_never), stores)


def catalog_breaches(catalog: Catalog, rules: InvariantRules) -> list[Breach]:
    """What the catalog itself breaks: a store declaring a forbidden category, a store under
    ``stays_in_eea`` that is, or whose processor chain is, outside the EEA. One per alert id."""
    found: dict[str, Breach] = {}
    for _, store in catalog.stores():
        bound = rules.of(store.id)
        for breach in [*bound.forbidden(store.categories), *bound.abroad()]:
            found.setdefault(breach.id, breach)
    return list(found.values())


@dataclass(frozen=True)
class InvariantHit:
    """One event's data breaking one invariant: a row in the transfer alerts' shape."""

    breach: Breach
    subject: str | None  # identifier key of the event's subject; None for a store-level flow
    at: datetime
    event_id: str

    @property
    def id(self) -> str:
        """The alert it raises: the breach's."""
        return self.breach.id

    def row(self) -> dict[str, object]:
        return {
            "id": self.breach.id,
            "kind": INVARIANT_KIND,
            "severity": "high",
            "store": self.breach.store,
            "chain": list(self.breach.chain),
            "country": self.breach.country,
            "reason": self.breach.reason,
            "mechanism": None,
            "subject": self.subject,
            "at": int(self.at.timestamp() * 1000),
            "event_id": self.event_id,
        }


def invariant_hits(events: Sequence[DataMovementEvent], rules: InvariantRules) -> list[InvariantHit]:
    """Every (event, broken invariant) pair among events that put data into a store (the
    destination, for a copy, a transfer or a pipeline flow)."""
    if not rules.declared:
        return []
    hits: list[InvariantHit] = []
    for event in events:
        if event.action not in CREATES_OR_MOVES:
            continue
        store = event.destination if isinstance(event, MovementEvent | StoreFlowEvent) else event.store
        bound = rules.of(store)
        subject = None if isinstance(event, StoreFlowEvent) else event.subject.key
        breaches = [*bound.forbidden(event.categories), *bound.abroad()]
        hits += [InvariantHit(b, subject, event.occurred_at, event.event_id) for b in breaches]
    return hits


def catalog_hits(breaches: Iterable[Breach], at: datetime, event_id: str) -> list[InvariantHit]:
    """The catalog's own breaches as hits concerning nobody yet: a change raises its alert
    before any data shows it (the people already held are added by the caller)."""
    return [InvariantHit(breach, None, at, event_id) for breach in breaches]
