"""Writes batches of canonical events to Neo4j: one transaction per batch, one UNWIND per kind.

``rows_for`` is pure (and unit-tested); :class:`GraphWriter` only runs the statements. The
transaction function is retried by the driver on transient errors; the caller decides what to
do about anything else.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction

from graph import queries
from graph.alerts import upsert_alerts
from graph.identity import needs_lookup, plan_identities
from graph.retention import refresh_targets
from lineage.domain.alerts import AlertHit
from lineage.domain.events import (
    ActivityEvent,
    CollectionEvent,
    ConsentEvent,
    DataMovementEvent,
    ErasureEvent,
    MovementEvent,
)
from lineage.domain.retention import Moment, RetentionPolicy, marked_store, moments_marked


@dataclass
class BatchRows:
    """The parameter rows of one batch, grouped by the statement that takes them."""

    holdings: list[dict[str, Any]] = field(default_factory=list)
    clocks: list[dict[str, Any]] = field(default_factory=list)
    erasures: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)
    flows: list[dict[str, Any]] = field(default_factory=list)

    def expiry_targets(self, policy: RetentionPolicy) -> list[dict[str, Any]]:
        """The holdings whose expiry the batch may change: every holding in a store where it set
        a store-wide moment, and those it wrote with a moment their rule runs from (``always``).
        The others are looked at only if new or if this event became their first sighting
        (the refresh query checks that). Erasures and consent change no expiry."""
        wide = {(r["subject"], r["store"]) for r in self.clocks}
        targets = {(k, st): {"subject": k, "store": st, "category": None, "always": True,
                             "event_id": None} for k, st in wide}
        for r in self.holdings:
            if (r["subject"], r["store"]) in wide:
                continue
            always = policy.may_move(r["store"], r["category"], [r["purpose"]] if r["purpose"] else [],
                                     (Moment(m) for m in r["marks"]))
            key = (r["subject"], r["store"], r["category"], always, r["event_id"])
            targets[key] = {"subject": r["subject"], "store": r["store"], "category": r["category"],
                            "always": always, "event_id": r["event_id"]}
        return list(targets.values())

    def statements(self) -> list[tuple[str, list[dict[str, Any]]]]:
        # Holdings first: an erasure in the same batch must find the holding it erases.
        pairs = [
            (queries.MERGE_HOLDINGS, self.holdings),
            (queries.MERGE_FLOWS, self.flows),
            (queries.MARK_STORE_CLOCKS, self.clocks),
            (queries.MARK_ERASED, self.erasures),
            (queries.MARK_CONSENT_WITHDRAWN, self.consents),
        ]
        return [(q, rows) for q, rows in pairs if rows]


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _base(event: DataMovementEvent) -> dict[str, Any]:
    return {
        "subject": event.subject.key, "subject_type": event.subject.type.value,
        "store": event.store, "at": _epoch_ms(event.occurred_at), "event_id": event.event_id,
        "purpose": event.purpose,
    }


def _holding_rows(event: DataMovementEvent, store: str, marks: list[str]) -> list[dict[str, Any]]:
    base = _base(event) | {"store": store, "marks": marks}
    return [base | {"category": category} for category in event.categories]


def _marks(event: DataMovementEvent,
           indirect_sources: Container[str]) -> tuple[list[str], list[str]]:
    """The retention moments the event sets: on its categories' holdings, and store-wide."""
    marks = moments_marked(event, indirect_sources)
    return ([m.moment.value for m in marks if not m.store_wide],
            [m.moment.value for m in marks if m.store_wide])


def rows_for(events: Sequence[DataMovementEvent],
             indirect_sources: Container[str] = frozenset()) -> BatchRows:
    """Split a batch into statement rows; a movement adds holdings at its destination too.
    A collection from one of the catalog's ``indirect_sources`` is not contact."""
    rows = BatchRows()
    for event in events:
        own, store_wide = _marks(event, indirect_sources)
        if store_wide:
            rows.clocks.append(_base(event) | {"store": marked_store(event), "marks": store_wide})
        match event:
            case CollectionEvent() | ActivityEvent():
                rows.holdings += _holding_rows(event, event.store, own)
            case MovementEvent():
                rows.holdings += _holding_rows(event, event.store, [])  # the origin keeps its clock
                rows.holdings += _holding_rows(event, event.destination, own)
                rows.flows.append(_base(event) | {"destination": event.destination,
                                                  "categories": list(event.categories)})
            case ErasureEvent():
                rows.erasures.append(_base(event) | {"categories": list(event.categories),
                                                     "erasure": event.action})
            case ConsentEvent():
                rows.consents.append(_base(event) | {"categories": list(event.categories)})
    return rows


def identity_groups(events: Sequence[DataMovementEvent]) -> list[tuple[str, ...]]:
    """Per event, the identifiers it names for one person: its key, then its links."""
    return [(e.subject.key, *e.subject.links) for e in events]


class GraphWriter:
    """Async writer used inside the faust agents (never the blocking driver there)."""

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def write(self, events: Sequence[DataMovementEvent], policy: RetentionPolicy) -> None:
        """One transaction: identities, data, then the expiry of every holding touched."""
        if not events:
            return
        groups = identity_groups(events)
        rows = rows_for(events, policy.indirect_sources)
        async with self._driver.session(database=self._database) as session:
            await session.execute_write(_write_batch, groups, rows, policy)


    async def upsert_alerts(self, hits: Sequence[AlertHit]) -> list[dict[str, Any]]:
        """Record alert hits; returns the alerts that are new or reopened, to announce."""
        if not hits:
            return []
        rows = [hit.row() for hit in hits]
        async with self._driver.session(database=self._database) as session:
            return await session.execute_write(upsert_alerts, rows)


async def _write_batch(tx: AsyncManagedTransaction, groups: list[tuple[str, ...]], rows: BatchRows,
                       policy: RetentionPolicy) -> None:
    """Identities first (every event's key must identify a subject), then the data, then the
    expiries, which depend on both (all of a merged person's: their moments were folded)."""
    winners = await _resolve_identities(tx, groups)
    for query, params in rows.statements():
        await (await tx.run(query, rows=params)).consume()
    merged = [{"subject": w, "store": None, "category": None, "always": True, "event_id": None}
              for w in winners]
    await refresh_targets(tx, policy, [*merged, *rows.expiry_targets(policy)])


async def _resolve_identities(tx: AsyncManagedTransaction, groups: list[tuple[str, ...]]) -> list[str]:
    """Attaches and merges; returns the subjects that absorbed another. Locks first (see
    ``queries.LOCK_IDENTIFIERS``): the plan is made from links no concurrent batch can change."""
    keys = sorted({k for group in groups for k in group})
    known = {r["identifier"]: r["subject"]
             async for r in await tx.run(queries.LOCK_IDENTIFIERS, keys=keys)}
    if not needs_lookup(groups, known):
        return []
    involved = sorted(set(known.values()))
    await (await tx.run(queries.LOCK_SUBJECTS, subjects=involved)).consume()
    members = {r["subject"]: r["identifiers"]
               async for r in await tx.run(queries.SUBJECT_MEMBERS, subjects=involved)}
    plan = plan_identities(groups, known, members)
    if plan.attach:
        await (await tx.run(queries.ATTACH_IDENTIFIERS, rows=plan.attach)).consume()
    if plan.merges:
        await (await tx.run(queries.MERGE_SUBJECTS, rows=plan.merges)).consume()
    return sorted({merge["winner"] for merge in plan.merges})
