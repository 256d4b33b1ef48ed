"""Erasure requests in the graph: the impact snapshot at receipt, task evaluation, the proof.

``(r:ErasureRequest {id, received_at, deadline, requested_by, status, completed_at, zone,
extension_months, extension_reason, extended_at, original_deadline})-[:FOR]->(s)``
and ``(r)-[:HAS_TASK]->(t:ErasureTask {id, store, system, processor, countries, sub_processors,
categories, status, reason, closed_by_event, closed_at, created_at})``, one task per store that
held the person's data at receipt. The request is evidence that may outlive the data it is
about, so it keeps only ids, categories and countries, never an identifier's raw value.

The decisions (deadline, task status) belong to :mod:`lineage.domain.erasure`; this module
owns every statement on requests and tasks, reads the facts and writes the outcomes (the
notices to processors about the tasks are :mod:`graph.notices`).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timezone, tzinfo
from typing import Any

from neo4j import Driver, ManagedTransaction, RoutingControl

from graph.holds import ACTIVE_HOLDS_ON_HOLDING
from graph.reader import plain
from lineage.domain.catalog import zone_of
from lineage.domain.erasure import (
    HoldingFacts,
    TaskStatus,
    erasure_deadline,
    extend,
    shown_status,
    task_outcome,
)

# Per store where the subject holds data: what a processor must be told to erase, and where.
IMPACT_AT_RECEIPT = """
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)
OPTIONAL MATCH (s)-[:HAS_HOLDING]->(h:Holding {state: 'held'})-[:IN_STORE]->(st:Store)
OPTIONAL MATCH (sys:System)-[:HAS_STORE]->(st)
OPTIONAL MATCH (st)-[:RUN_BY]->(p:Processor)
OPTIONAL MATCH (p)-[:ESTABLISHED_IN]->(pc:Country)
OPTIONAL MATCH (st)-[:LOCATED_IN]->(c:Country)
OPTIONAL MATCH (p)-[:SUB_PROCESSOR*1..]->(sub:Processor)-[:ESTABLISHED_IN]->(sc:Country)
WITH s, st, sys, p, pc, c, collect(DISTINCT h.category) AS categories,
     collect(DISTINCT sub.id + ' (' + sc.code + ')') AS subs, collect(DISTINCT sc.code) AS sub_countries
RETURN s.key AS subject, st.id AS store, sys.id AS system, p.id AS processor,
       [x IN [c.code, pc.code] + sub_countries WHERE x IS NOT NULL] AS countries,
       subs AS sub_processors, categories
"""

CREATE_REQUEST = """
MATCH (s:Subject {key: $subject})
CREATE (r:ErasureRequest {id: $id, received_at: $received_at, deadline: $deadline,
                          requested_by: $requested_by, status: 'open', created_at: $created_at,
                          zone: $zone})
CREATE (r)-[:FOR]->(s)
WITH r
UNWIND $tasks AS task
CREATE (r)-[:HAS_TASK]->(:ErasureTask {id: r.id + '|' + task.store, store: task.store,
        system: task.system, processor: task.processor, countries: task.countries,
        sub_processors: task.sub_processors, categories: task.categories,
        status: 'outstanding', created_at: $created_at})
"""

# The facts about the task's holdings now. A done task is not read again: its closing evidence
# stands even if the data comes back later (that is a reappearance, reported apart). A retained
# task is, even once its request is complete: the legal period or the hold that kept the data
# ends, and from that day the erasure is owed (REOPEN_REQUESTS).
TASK_FACTS = (
    """
MATCH (r:ErasureRequest)-[:FOR]->(s:Subject)
WHERE ($id IS NULL OR r.id = $id)
  AND (r.status = 'open'
       OR (r.status = 'complete' AND EXISTS { (r)-[:HAS_TASK]->(:ErasureTask {status: 'retained'}) }))
MATCH (r)-[:HAS_TASK]->(t:ErasureTask)
WHERE (r.status = 'open' AND t.status <> 'done') OR t.status = 'retained'
OPTIONAL MATCH (s)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store {id: t.store})
WHERE h.category IN t.categories
WITH r, t, s, h, st, CASE WHEN h IS NULL THEN [] ELSE """
    + ACTIVE_HOLDS_ON_HOLDING
    + """ END AS held_by
RETURN t.id AS task, t.status AS status, t.categories AS categories, r.zone AS zone,
       collect(CASE WHEN h IS NULL THEN null ELSE
               {category: h.category, state: h.state, erased_at: h.erased_at,
                last_event_id: h.last_event_id, held_by: held_by,
                legal_obligation: coalesce(h.legal_obligation, false), expires_at: h.expires_at,
                retention_rule: h.retention_rule, legal_rule: h.legal_rule,
                legal_until: h.legal_until} END) AS holdings
"""
)

SET_TASKS = """
UNWIND $rows AS row
MATCH (t:ErasureTask {id: row.id})
SET t.status = row.status, t.reason = row.reason, t.closed_by_event = row.closed_by_event,
    t.closed_at = row.closed_at, t.evaluated_at = $now
"""

# A complete request with a task outstanding again (its data was retained, and no longer may
# be) is open again, with the day it reopened: its deadline is past, so it is overdue at once.
REOPEN_REQUESTS = """
MATCH (r:ErasureRequest {status: 'complete'})
WHERE ($id IS NULL OR r.id = $id)
  AND EXISTS { (r)-[:HAS_TASK]->(:ErasureTask {status: 'outstanding'}) }
SET r.status = 'open', r.reopened_at = $now, r.completed_at = null
RETURN r.id AS id, r.status AS status, r.completed_at AS completed_at
"""

COMPLETE_REQUESTS = """
MATCH (r:ErasureRequest {status: 'open'})
WHERE ($id IS NULL OR r.id = $id)
  AND NOT EXISTS { (r)-[:HAS_TASK]->(:ErasureTask {status: 'outstanding'}) }
SET r.status = 'complete', r.completed_at = $now
RETURN r.id AS id, r.status AS status, r.completed_at AS completed_at
"""

REQUESTS = """
MATCH (r:ErasureRequest)
WHERE $id IS NULL OR r.id = $id
OPTIONAL MATCH (r)-[:FOR]->(s:Subject)
RETURN r.id AS id, s.key AS subject, r.requested_by AS requested_by, r.received_at AS received_at,
       r.deadline AS deadline, r.status AS stored_status, r.completed_at AS completed_at,
       CASE WHEN r.extension_months IS NULL THEN null
            ELSE {months: r.extension_months, reason: r.extension_reason,
                  extended_at: r.extended_at, original_deadline: r.original_deadline} END AS extension,
       COLLECT { MATCH (r)-[:HAS_TASK]->(t:ErasureTask)
                 RETURN t {.id, .store, .system, .processor, .countries, .sub_processors, .categories,
                           .status, .reason, .closed_by_event, .closed_at, .notice_id, .notice_channel,
                           .notice_sent_at, .notice_error, .acknowledged_at, .acknowledged_by,
                           .reminded_at} AS task
                 ORDER BY t.store } AS tasks
ORDER BY received_at DESC, id DESC
"""

OVERDUE = """
MATCH (r:ErasureRequest {status: 'open'})-[:FOR]->(s:Subject)
WHERE r.deadline < $now
RETURN r.id AS id, s.key AS subject, r.received_at AS received_at, r.deadline AS deadline,
       r.extension_months AS extension_months, r.extension_reason AS extension_reason,
       [(r)-[:HAS_TASK]->(t:ErasureTask {status: 'outstanding'}) | t.store] AS outstanding
ORDER BY deadline, id
"""

# What an extension is judged from; read and written in one transaction, so two extensions at
# once cannot both count the months as not yet used.
EXTENSION_FACTS = """
MATCH (r:ErasureRequest {id: $id})
RETURN r.received_at AS received_at, r.status AS status, r.zone AS zone,
       coalesce(r.extension_months, 0) AS months
"""

EXTEND = """
MATCH (r:ErasureRequest {id: $id})
SET r.original_deadline = coalesce(r.original_deadline, r.deadline), r.deadline = $deadline,
    r.extension_months = $months, r.extension_reason = $reason, r.extended_at = $extended_at
"""

# Held again after the request was complete, or after the erasure that closed its store's task:
# either way the data came back (a new list addition, a re-import) and the erasure must be redone.
REAPPEARANCES = """
MATCH (r:ErasureRequest {status: 'complete'})-[:FOR]->(s:Subject)
      -[:HAS_HOLDING]->(h:Holding {state: 'held'})-[:IN_STORE]->(st:Store)
WHERE h.last_seen > r.completed_at
   OR EXISTS { MATCH (r)-[:HAS_TASK]->(t:ErasureTask {store: st.id, status: 'done'})
               WHERE h.category IN t.categories AND h.last_seen > t.closed_at }
RETURN r.id AS request, s.key AS subject, st.id AS store, h.category AS category,
       h.last_seen AS last_seen, h.last_event_id AS last_event_id
ORDER BY request, store, category
"""


def open_request(
    driver: Driver, database: str, key: str, requested_by: str, received_at: datetime, zone: tzinfo = UTC
) -> dict[str, Any] | None:
    """Opens a request for the subject an identifier key names, with one task per store holding
    their data now; None if lineage knows nobody by that key. Read and write share a transaction
    so the snapshot is exactly what the tasks were made from. ``zone``: the organisation's, whose
    calendar the deadline's last day is counted on."""
    request_id = f"er-{secrets.token_hex(8)}"
    with driver.session(database=database) as session:
        created = session.execute_write(_create, key, request_id, requested_by, received_at, zone)
    return request_status(driver, database, request_id)[0] if created else None


def _create(
    tx: ManagedTransaction, key: str, request_id: str, requested_by: str, received_at: datetime, zone: tzinfo
) -> bool:
    rows = [record.data() for record in tx.run(IMPACT_AT_RECEIPT, key=key)]
    if not rows:
        return False
    tasks = [_task(row) for row in rows if row["store"] is not None and row["categories"]]
    tx.run(
        CREATE_REQUEST,
        subject=rows[0]["subject"],
        id=request_id,
        requested_by=requested_by,
        received_at=fixed_offset(received_at),
        deadline=erasure_deadline(received_at, zone),
        created_at=fixed_offset(datetime.now(received_at.tzinfo)),
        tasks=tasks,
        zone=getattr(zone, "key", "UTC"),
    ).consume()
    return True


def fixed_offset(at: datetime) -> datetime:
    """``at`` with its UTC offset as a fixed zone: a named zone (ZoneInfo) is not something the
    driver can pack, and the instant and the offset it was seen at are all the evidence needs."""
    offset = at.utcoffset()
    return at if offset is None else at.astimezone(timezone(offset))


def extend_request(
    driver: Driver,
    database: str,
    request_id: str,
    months: int,
    reason: str,
    now: datetime,
    zone: tzinfo = UTC,
) -> bool:
    """Extends a request's deadline (Art. 12(3)); False if there is no such request. The domain
    refuses what the law does not allow (:class:`ExtensionRefused`)."""
    with driver.session(database=database) as session:
        return session.execute_write(_extend, request_id, months, reason, now, zone)


def _extend(
    tx: ManagedTransaction, request_id: str, months: int, reason: str, now: datetime, zone: tzinfo
) -> bool:
    found = tx.run(EXTENSION_FACTS, id=request_id).single()
    if found is None:
        return False
    granted = extend(
        found["received_at"].to_native(),
        found["status"],
        found["months"],
        months,
        reason,
        now,
        _zone(found["zone"], zone),
    )
    tx.run(
        EXTEND,
        id=request_id,
        deadline=granted.deadline,
        months=granted.months,
        reason=granted.reason,
        extended_at=fixed_offset(granted.extended_at),
    ).consume()
    return True


def _task(row: dict[str, Any]) -> dict[str, Any]:
    """Sorted lists, so that the same graph always gives the same snapshot."""
    return {
        "store": row["store"],
        "system": row["system"],
        "processor": row["processor"],
        "countries": sorted(set(row["countries"])),
        "sub_processors": sorted(row["sub_processors"]),
        "categories": sorted(row["categories"]),
    }


def refresh_requests(
    driver: Driver, database: str, now: datetime, request_id: str | None = None
) -> list[dict[str, Any]]:
    """Re-judges the tasks of open requests (or of one), and the retained tasks of complete
    ones, from the graph as it is at ``now``; reopens a complete request whose retained data is
    no longer retained, and completes the requests with nothing outstanding. Returns the
    requests whose status changed."""
    with driver.session(database=database) as session:
        return session.execute_write(_refresh, now, request_id)


def _refresh(tx: ManagedTransaction, now: datetime, request_id: str | None) -> list[dict[str, Any]]:
    facts = [plain(record.data()) for record in tx.run(TASK_FACTS, id=request_id, now=now)]
    rows = [_judged(row, now) for row in facts]
    if rows:
        tx.run(SET_TASKS, rows=rows, now=now).consume()
    changed = [plain(record.data()) for record in tx.run(REOPEN_REQUESTS, id=request_id, now=now)]
    return changed + [plain(record.data()) for record in tx.run(COMPLETE_REQUESTS, id=request_id, now=now)]


def judge_tasks(driver: Driver, database: str, now: datetime, request_id: str) -> dict[str, str]:
    """Task id -> the status the task would be judged to have at ``now``, nothing recorded: what
    a notice to a processor must not ask to erase (data retained by law or held)."""
    records, _, _ = driver.execute_query(
        TASK_FACTS, id=request_id, now=now, database_=database, routing_=RoutingControl.READ
    )
    return {row["id"]: row["status"] for row in (_judged(plain(r.data()), now) for r in records)}


def _zone(name: str | None, default: tzinfo = UTC) -> tzinfo:
    """The calendar a request was opened on (kept with it, so its dates never depend on who
    reads it: the worker's scheduled check or the CLI); requests from before it was kept: UTC."""
    return zone_of(name) if name else default


def _judged(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A task judged, its dates (retained until...) on the request's own calendar."""
    zone = _zone(row.get("zone"))
    holdings = [
        HoldingFacts(
            **{
                **h,
                "held_by": tuple(h["held_by"]),
                "expires_at": h["expires_at"] and h["expires_at"].astimezone(zone),
                "legal_until": h.get("legal_until") and h["legal_until"].astimezone(zone),
            }
        )
        for h in row["holdings"]
    ]
    outcome = task_outcome(row["categories"], holdings, now)
    return {
        "id": row["task"],
        "status": outcome.status.value,
        "reason": outcome.reason,
        "closed_by_event": outcome.closed_by_event,
        "closed_at": outcome.closed_at,
    }


def request_status(
    driver: Driver, database: str, request_id: str | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Requests (one, or all newest first) with their tasks, the status to show (``overdue``
    computed from the deadline) and the count of tasks per status."""
    records, _, _ = driver.execute_query(
        REQUESTS, id=request_id, database_=database, routing_=RoutingControl.READ
    )
    moment = now or datetime.now().astimezone()
    return [_shown(plain(record.data()), moment) for record in records]


def _shown(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    stored = row.pop("stored_status")
    statuses = [task["status"] for task in row["tasks"]]
    counts = {s.value: statuses.count(s.value) for s in TaskStatus}
    return {**row, "status": shown_status(stored, row["deadline"], now).value, "counts": counts}


def overdue_requests(driver: Driver, database: str, now: datetime) -> list[dict[str, Any]]:
    """Open requests past their deadline, with the stores still outstanding."""
    records, _, _ = driver.execute_query(OVERDUE, now=now, database_=database, routing_=RoutingControl.READ)
    return [plain(record.data()) for record in records]


def reappearances(driver: Driver, database: str) -> list[dict[str, Any]]:
    """Data held again for a person whose erasure was complete: per request, store and category."""
    records, _, _ = driver.execute_query(REAPPEARANCES, database_=database, routing_=RoutingControl.READ)
    return [plain(record.data()) for record in records]
