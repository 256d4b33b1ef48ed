"""Writes batches of canonical events to Neo4j: one transaction per batch, one UNWIND per kind.

This module orchestrates a batch and owns no Cypher: ``rows_for`` turns events into statement
rows (pure, and unit-tested), and :class:`GraphWriter` runs, in order, the statements of
:mod:`graph.identity`, :mod:`graph.holdings`, :mod:`graph.retention` and :mod:`graph.tally`
(and :mod:`graph.consent` for consents given and withdrawn, :mod:`graph.alerts` for alert
hits). The transaction function is retried by the driver on
transient errors; the caller decides what to do about anything else.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction

from graph import tally
from graph.alerts import upsert_alerts
from graph.consent import merge_consents
from graph.fragments import HOLDING_MOMENTS
from graph.holdings import (
    MARK_CONSENT_WITHDRAWN,
    MARK_ERASED,
    MARK_STORE_CLOCKS,
    MERGE_FLOWS,
    merge_holdings,
)
from graph.identity import resolve_identities
from graph.retention import refresh_targets
from lineage.domain.alerts import AlertHit
from lineage.domain.events import (
    ActivityEvent,
    CollectionEvent,
    ConsentEvent,
    DataMovementEvent,
    ErasureEvent,
    MovementEvent,
    StoreFlowEvent,
    SubjectEvent,
)
from lineage.domain.retention import Moment, RetentionPolicy, marked_store, moments_marked


@dataclass
class BatchRows:
    """The parameter rows of one batch, grouped by the statement that takes them."""

    holdings: list[dict[str, Any]] = field(default_factory=list)
    clocks: list[dict[str, Any]] = field(default_factory=list)
    erasures: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)
    consent_records: list[dict[str, Any]] = field(default_factory=list)
    flows: list[dict[str, Any]] = field(default_factory=list)

    def holding_writes(self, policy: RetentionPolicy) -> list[dict[str, Any]]:
        """One row per holding the batch writes (MERGE_HOLDINGS), its sightings folded together:
        a batch's events often sight one holding several times, and folding them here is the
        same result as writing them one by one (every property is a min, a max or a union),
        for a fraction of Neo4j's work. Each row says when the statement must return the
        holding's expiry inputs (``refresh``): ``always`` when a sighting set a moment its rule
        runs from, ``if_first`` when only a new holding or a new first sighting can change its
        expiry, ``no`` when a store-wide moment of the batch refreshes it anyway.

        The rows come sorted by store: a new holding's IN_STORE link locks the store's
        relationships until commit, and two transactions (two workers) taking two stores in
        opposite orders deadlocked, each retry a second's back-off. In one order, one waits."""
        wide = {(r["subject"], r["store"]) for r in self.clocks}
        folded: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row in self.holdings:
            key = (row["subject"], row["store"], row["category"])
            always = key[:2] not in wide and policy.may_move(
                row["store"],
                row["category"],
                [row["purpose"]] if row["purpose"] else [],
                (Moment(m) for m in row["marks"]),
            )
            if key in folded:
                _fold_sighting(folded[key], row, always)
            else:
                folded[key] = _first_sighting(row, always, "no" if key[:2] in wide else "if_first")
        return [_finish(folded[key]) for key in sorted(folded, key=lambda k: (k[1], k[0], k[2]))]

    def wide_targets(self) -> list[dict[str, Any]]:
        """Every holding of a (person, store) where the batch set a store-wide moment (a click
        is contact for everything the person has there): holdings not written by the batch."""
        return [
            {"subject": k, "store": st, "category": None, "always": True, "event_id": None}
            for k, st in sorted({(r["subject"], r["store"]) for r in self.clocks})
        ]

    def people(self, merges: Sequence[dict[str, str]] = (), recounted: Iterable[str] = ()) -> list[str]:
        """Everyone whose held kinds the batch may change, for the tally queue (graph.tally):
        the keys its erasures and withdrawals name, both sides of every merge, and
        ``recounted``, the keys of holdings whose kind the holding write changed. A sighting
        of a holding already held changes no count, and queueing its person would have the
        tally read all their holdings again for nothing."""
        keys = {r["subject"] for r in (*self.erasures, *self.consents) if r["subject"]}
        keys.update(k for merge in merges for k in (merge["winner"], merge["loser"]))
        keys.update(recounted)
        return sorted(keys)

    def before_holdings(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """Store-wide moments first: the holding write reads them to return expiry inputs."""
        return [(MARK_STORE_CLOCKS, _by_store(self.clocks))] if self.clocks else []

    def after_holdings(self) -> list[tuple[str, list[dict[str, Any]]]]:
        # After the holdings: an erasure in the same batch must find the holding it erases.
        pairs = [
            (MERGE_FLOWS, _by_store(self.flows)),
            (MARK_ERASED, self.erasures),
            (MARK_CONSENT_WITHDRAWN, self.consents),
        ]
        return [(q, rows) for q, rows in pairs if rows]


def _by_store(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in the order every transaction takes the stores' locks (see ``holding_writes``)."""
    return sorted(rows, key=lambda r: (r["store"], r.get("destination") or "", r["subject"] or ""))


def _first_sighting(row: dict[str, Any], always: bool, refresh: str) -> dict[str, Any]:
    moments = {m: (row["at"], row["event_id"]) for m in row["marks"]}
    return {
        "subject": row["subject"],
        "store": row["store"],
        "category": row["category"],
        "first": (row["at"], row["event_id"], row["subject_type"]),
        "last": (row["at"], row["event_id"]),
        "types": {row["subject_type"]},
        "purposes": {row["purpose"]} - {None},
        "legal_bases": {row["legal_basis"]} - {None},
        "moments": moments,
        "refresh": "always" if always else refresh,
    }


def _fold_sighting(into: dict[str, Any], row: dict[str, Any], always: bool) -> None:
    sighting = (row["at"], row["event_id"])
    into["first"] = min(into["first"], (*sighting, row["subject_type"]))
    into["last"] = max(into["last"], sighting)
    into["types"].add(row["subject_type"])
    if row["purpose"] is not None:
        into["purposes"].add(row["purpose"])
    if row["legal_basis"] is not None:
        into["legal_bases"].add(row["legal_basis"])
    for moment in row["marks"]:
        into["moments"][moment] = max(into["moments"].get(moment, sighting), sighting)
    if always:
        into["refresh"] = "always"


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    first_at, first_event, subject_type = row["first"]
    moments = row["moments"]
    return {
        "subject": row["subject"],
        "store": row["store"],
        "category": row["category"],
        "first_at": first_at,
        "first_event": first_event,
        "subject_type": subject_type,
        "last_at": row["last"][0],
        "last_event": row["last"][1],
        "types": sorted(row["types"]),
        "purposes": sorted(row["purposes"]),
        "legal_bases": sorted(row["legal_bases"]),
        "refresh": row["refresh"],
        **{f"{m}_at": moments[m][0] if m in moments else None for m in HOLDING_MOMENTS},
        **{f"{m}_event": moments[m][1] if m in moments else None for m in HOLDING_MOMENTS},
    }


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _base(event: SubjectEvent) -> dict[str, Any]:
    return {
        "subject": event.subject.key,
        "subject_type": event.subject.type.value,
        "store": event.store,
        "at": _epoch_ms(event.occurred_at),
        "event_id": event.event_id,
        "purpose": event.purpose,
        "legal_basis": event.legal_basis.value if event.legal_basis is not None else None,
    }


def _holding_rows(event: SubjectEvent, store: str, marks: list[str]) -> list[dict[str, Any]]:
    base = _base(event) | {"store": store, "marks": marks}
    return [base | {"category": category} for category in event.categories]


def _marks(event: DataMovementEvent, indirect_sources: Container[str]) -> tuple[list[str], list[str]]:
    """The retention moments the event sets: on its categories' holdings, and store-wide."""
    marks = moments_marked(event, indirect_sources)
    return (
        [m.moment.value for m in marks if not m.store_wide],
        [m.moment.value for m in marks if m.store_wide],
    )


def rows_for(
    events: Sequence[DataMovementEvent], indirect_sources: Container[str] = frozenset()
) -> BatchRows:
    """Split a batch into statement rows; a movement adds holdings at its destination too.
    A collection from one of the catalog's ``indirect_sources`` is not contact."""
    rows = BatchRows()
    for event in events:
        if isinstance(event, StoreFlowEvent):  # FLOWS_TO only: a null subject marks nobody MOVED
            rows.flows.append(
                {
                    "subject": None,
                    "store": event.store,
                    "at": _epoch_ms(event.occurred_at),
                    "destination": event.destination,
                    "categories": list(event.categories),
                }
            )
            continue
        own, store_wide = _marks(event, indirect_sources)
        if store_wide:
            rows.clocks.append(_base(event) | {"store": marked_store(event), "marks": store_wide})
        match event:
            case CollectionEvent() | ActivityEvent():
                rows.holdings += _holding_rows(event, event.store, own)
            case MovementEvent():
                rows.holdings += _holding_rows(event, event.store, [])  # the origin keeps its clock
                rows.holdings += _holding_rows(event, event.destination, own)
                rows.flows.append(
                    _base(event) | {"destination": event.destination, "categories": list(event.categories)}
                )
            case ErasureEvent():
                rows.erasures.append(
                    _base(event) | {"categories": list(event.categories), "erasure": event.action}
                )
            case ConsentEvent():
                given = event.action == "consent_given"
                if not given:
                    rows.consents.append(_base(event) | {"categories": list(event.categories)})
                rows.consent_records.append(_consent_record(event, given))
    return rows


def _consent_record(event: ConsentEvent, given: bool) -> dict[str, Any]:
    """A row of graph.consent.MERGE_CONSENTS: the person, the purpose, when, and which way."""
    return {
        "subject": event.subject.key,
        "purpose": event.purpose,
        "at": _epoch_ms(event.occurred_at),
        "event_id": event.event_id,
        "given": given,
    }


@dataclass(frozen=True)
class PreparedBatch:
    """A batch's statement rows, computed before its transaction: pure work, which the record
    stage does for the next batch while Neo4j writes this one."""

    events: Sequence[DataMovementEvent]
    policy: RetentionPolicy
    groups: list[tuple[str, ...]]
    rows: BatchRows
    holdings: list[dict[str, Any]]


def prepare_batch(events: Sequence[DataMovementEvent], policy: RetentionPolicy) -> PreparedBatch:
    rows = rows_for(events, policy.indirect_sources)
    return PreparedBatch(events, policy, identity_groups(events), rows, rows.holding_writes(policy))


def identity_groups(events: Sequence[DataMovementEvent]) -> list[tuple[str, ...]]:
    """Per event, the identifiers it names for one person: its key, then its links."""
    return [(e.subject.key, *e.subject.links) for e in events if not isinstance(e, StoreFlowEvent)]


class GraphWriter:
    """Async writer used inside the faust agents (never the blocking driver there)."""

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def write(self, events: Sequence[DataMovementEvent], policy: RetentionPolicy) -> None:
        """One transaction: identities, data, then the expiry of every holding touched."""
        await self.write_prepared(prepare_batch(events, policy))

    async def write_prepared(self, batch: PreparedBatch) -> None:
        if not batch.events:
            return
        async with self._driver.session(database=self._database) as session:
            await session.execute_write(write_batch, batch)

    async def upsert_alerts(
        self, hits: Sequence[AlertHit], link_subjects: bool = True
    ) -> list[dict[str, Any]]:
        """Record alert hits; returns the alerts that are new or reopened, to announce."""
        if not hits:
            return []
        rows = [hit.row() for hit in hits]
        async with self._driver.session(database=self._database) as session:
            return await session.execute_write(upsert_alerts, rows, link_subjects)


async def write_batch(tx: AsyncManagedTransaction, batch: PreparedBatch) -> None:
    """Identities first (every event's key must identify a subject), then the data, then the
    expiries, which depend on both (all of a merged person's: their moments were folded).
    The holding write returns the expiry inputs of what it wrote: reading them back in a
    query of their own would cost the batch a read of every holding it wrote."""
    rows = batch.rows
    resolved = await resolve_identities(tx, batch.groups)
    merges = resolved.merges
    winners = sorted({merge["winner"] for merge in merges})
    for query, params in rows.before_holdings():
        await (await tx.run(query, rows=params)).consume()
    written = await merge_holdings(tx, by_subject(batch.holdings, resolved.subjects))
    for query, params in rows.after_holdings():
        await (await tx.run(query, rows=params)).consume()
    await merge_consents(tx, rows.consent_records)
    merged = [
        {"subject": w, "store": None, "category": None, "always": True, "event_id": None} for w in winners
    ]
    inputs = [holding.expiry_inputs() for holding in written if holding.refresh]
    await refresh_targets(tx, batch.policy, [*merged, *rows.wide_targets()], inputs)
    recounted = {holding.subject for holding in written if holding.kind_changed}
    if people := rows.people(merges, recounted):
        await tally.enqueue(tx, people)


def by_subject(writes: list[dict[str, Any]], subjects: Mapping[str, str]) -> list[dict[str, Any]]:
    """The holding rows with each identifier replaced by its subject's key (``subjects``, from
    the batch's identity step), rows of one holding folded into one: two identifiers of one
    person in a batch name the same holdings, and MERGE_HOLDINGS needs one row per holding
    (each row reads its holding once, before any row writes). Sorted as ``holding_writes``."""
    folded: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in writes:
        row = row | {"subject": subjects.get(row["subject"], row["subject"])}
        key = (row["subject"], row["store"], row["category"])
        folded[key] = _fold_rows(folded[key], row) if key in folded else row
    return [folded[key] for key in sorted(folded, key=lambda k: (k[1], k[0], k[2]))]


_REFRESH_ORDER = ("no", "if_first", "always")


def _fold_rows(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two finished holding rows of one holding as one: the rules of ``_fold_sighting``."""
    first = min(
        (a["first_at"], a["first_event"], a["subject_type"]),
        (b["first_at"], b["first_event"], b["subject_type"]),
    )
    last = max((a["last_at"], a["last_event"]), (b["last_at"], b["last_event"]))
    moments = {}
    for m in HOLDING_MOMENTS:
        seen = [(r[f"{m}_at"], r[f"{m}_event"]) for r in (a, b) if r[f"{m}_at"] is not None]
        moments[f"{m}_at"], moments[f"{m}_event"] = max(seen) if seen else (None, None)
    return (
        a
        | moments
        | {
            "first_at": first[0],
            "first_event": first[1],
            "subject_type": first[2],
            "last_at": last[0],
            "last_event": last[1],
            "types": sorted({*a["types"], *b["types"]}),
            "purposes": sorted({*a["purposes"], *b["purposes"]}),
            "legal_bases": sorted({*a["legal_bases"], *b["legal_bases"]}),
            "refresh": max(a["refresh"], b["refresh"], key=_REFRESH_ORDER.index),
        }
    )
