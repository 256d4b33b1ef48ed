"""Which canonical events raise a transfer alert, and under which alert they go.

An event that puts data into a store (or moves it to one) makes that data reach every country
the store's transfer hops reach. Each unapproved hop is a *flow*; one alert per flow, keyed by
store, processor chain and country, so a busy flow updates its alert instead of raising one per
event. Pure: the hops come from ``transfer_chains``, the rest is the graph's and the agent's job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from lineage.domain.events import DataMovementEvent, MovementEvent, StoreFlowEvent
from lineage.domain.transfer_chains import TransferHop
from lineage.domain.transfers import HopStatus

# Every action after which the graph holds data in the store (graph.writer.rows_for agrees),
# and a pipeline's store-level flow, which holds nobody's but moves data all the same.
CREATES_OR_MOVES = frozenset(
    {"collected", "updated", "accessed", "activity", "copied", "transferred", "flowed"}
)


def flow_id(hop: TransferHop) -> str:
    """Stable per (store, chain, destination); an international organisation recipient adds its
    id, so hops to a country keep the ids their alerts already have."""
    key = f"{hop.store}|{'>'.join(hop.chain)}|{hop.country}"
    if hop.organisation:
        key += f"|{hop.organisation}"
    return f"flow-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def alert_reason(hop: TransferHop) -> str:
    """The verdict's reason, led by the verdict when it is not a plain refusal (an SCC module
    mismatch), so the alert list tells a wrong contract from a missing one."""
    verdict = hop.verdict
    if verdict.status == HopStatus.UNAPPROVED:
        return verdict.reason
    return f"{verdict.status.value.replace('_', ' ')}: {verdict.reason}"


@dataclass(frozen=True)
class AlertHit:
    """One event's data reaching one unapproved flow."""

    flow: str
    hop: TransferHop
    subject: str | None  # identifier key of the event's subject; None for a store-level flow
    at: datetime
    event_id: str

    @property
    def id(self) -> str:
        """The alert it raises: its flow's."""
        return self.flow

    def row(self) -> dict[str, object]:
        return {
            "id": self.flow,
            "kind": "unapproved_transfer",
            "severity": "high",
            "store": self.hop.store,
            "chain": list(self.hop.chain),
            "country": self.hop.country,
            "reason": alert_reason(self.hop),
            "mechanism": self.hop.verdict.mechanism,
            "subject": self.subject,
            "at": int(self.at.timestamp() * 1000),
            "event_id": self.event_id,
        }


def unapproved_by_store(hops: Iterable[TransferHop]) -> dict[str, list[TransferHop]]:
    by_store: dict[str, list[TransferHop]] = {}
    for hop in hops:
        if not hop.verdict.approved:
            by_store.setdefault(hop.store, []).append(hop)
    return by_store


def alert_hits(
    events: Sequence[DataMovementEvent],
    unapproved: Mapping[str, list[TransferHop]],
    unapproved_moves: Mapping[tuple[str, str], list[TransferHop]] | None = None,
) -> list[AlertHit]:
    """Every (event, unapproved flow) pair among events that create or move data.

    A copy along a declared flow with its own mechanism is judged on ``unapproved_moves`` (that
    flow's unapproved hops) instead of the destination store's. A store-level flow (a pipeline
    run) is judged like a copy; its hit names no subject, so its alert concerns nobody new.
    """
    moves = unapproved_moves or {}
    hits: list[AlertHit] = []
    flows: dict[int, list[tuple[str, TransferHop]]] = {}  # by hop list: a batch names a few
    for event in events:
        if event.action not in CREATES_OR_MOVES:
            continue
        if isinstance(event, MovementEvent | StoreFlowEvent):
            hops = moves.get((event.store, event.destination), unapproved.get(event.destination, []))
        else:
            hops = unapproved.get(event.store, [])
        if not hops:
            continue
        named = flows.get(id(hops))
        if named is None:  # the mappings hold the lists, so an id stays theirs for the call
            named = flows[id(hops)] = [(flow_id(hop), hop) for hop in hops]
        subject = None if isinstance(event, StoreFlowEvent) else event.subject.key
        hits += [AlertHit(flow, hop, subject, event.occurred_at, event.event_id) for flow, hop in named]
    return hits


def overdue_alert_id(store: str, rule: str | None) -> str:
    return f"overdue-{hashlib.sha256(f'{store}|{rule}'.encode()).hexdigest()[:16]}"


def overdue_alert_rows(overdue: Iterable[Mapping[str, object]]) -> list[dict[str, object]]:
    """One alert per (store, retention rule) with data held past its expiry, concerning each
    subject still held there; the identifier key is the subject key (it identifies itself)."""
    return [
        {
            "id": overdue_alert_id(str(row["store"]), row["rule"]),  # type: ignore[arg-type]
            "kind": "overdue_retention",
            "severity": "medium",
            "store": row["store"],
            "chain": [],
            "country": None,
            "mechanism": None,
            "reason": f"data kept past its retention period (rule {row['rule']})",
            "subject": row["subject"],
            "at": row["expired_at_ms"],
            "event_id": "retention-check",
        }
        for row in overdue
    ]


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def request_overdue_rows(requests: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One alert per rights request of any kind past its one-month deadline (Art. 12(3)),
    naming the kind and the stores still outstanding."""
    return [
        {
            "id": f"request-overdue-{r['id']}",
            "kind": "request_overdue",
            "severity": "high",
            "store": store,
            "chain": [],
            "country": None,
            "mechanism": None,
            "reason": f"{r.get('kind') or 'erasure'} request {r['id']} past its deadline "
            f"{r['deadline']:%Y-%m-%d}, outstanding in {', '.join(r['outstanding'])}",
            "subject": r["subject"],
            "at": _ms(r["deadline"]),
            "event_id": "request-check",
        }
        for r in requests
        if r["outstanding"]
        for store in r["outstanding"][:1]
    ]


erasure_overdue_rows = request_overdue_rows


def reappearance_rows(found: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One alert per (completed erasure request, store) where the person's data is held again."""
    rows: dict[str, dict[str, Any]] = {}
    for r in found:
        alert_id = f"reappeared-{r['request']}-{hashlib.sha256(r['store'].encode()).hexdigest()[:8]}"
        rows[alert_id] = {
            "id": alert_id,
            "kind": "erasure_reappearance",
            "severity": "high",
            "store": r["store"],
            "chain": [],
            "country": None,
            "mechanism": None,
            "reason": f"data held again after erasure request {r['request']} was complete "
            f"(event {r['last_event_id']})",
            "subject": r["subject"],
            "at": _ms(r["last_seen"]),
            "event_id": str(r["last_event_id"]),
        }
    return list(rows.values())


class Hit(Protocol):
    """What an alert is raised from (a transfer's :class:`AlertHit`, a person's rights hit):
    one row in the shape ``graph.alerts.upsert_alerts`` takes, for the alert ``id``."""

    @property
    def id(self) -> str: ...

    def row(self) -> dict[str, object]: ...
