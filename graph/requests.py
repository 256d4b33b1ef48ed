"""Rights requests in the graph: the snapshot at receipt, the tasks, their answers, the proof.

``(r:Request {id, kind, received_at, deadline, zone, status, requested_by, verification_method,
verified_by, extension_months, extension_reason, extended_at, original_deadline, completed_at,
reopened_at, closure_note, closed_at, purposes, categories, in_force, in_force_since, lifted_at,
lift_reason, created_at, changed_at})-[:FOR]->(s)`` and ``(r)-[:HAS_TASK]->(t:RequestTask {id,
store, system, processor, countries, sub_processors, categories, status, reason,
closed_by_event, closed_at, answered_at, answered_by, answer_evidence, created_at})``, one task
per store the request must reach (:func:`lineage.domain.requests.plan_tasks`). The request is
evidence that may outlive the data it is about, so it keeps only ids, categories, purposes and
countries, never an identifier's raw value. ``changed_at`` is set by every write, so a reader
of the rights in force (the worker) refreshes incrementally.

Erasure tasks are judged from the graph's deletions (:mod:`lineage.domain.erasure`); the tasks
of every other kind are done when their system answers. The decisions belong to the domain;
this module owns every statement on requests and tasks, reads the facts and writes the
outcomes (the notices to processors about the tasks are :mod:`graph.notices`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timezone, tzinfo
from typing import Any

from neo4j import Driver, ManagedTransaction, RoutingControl

from graph.fragments import as_datetime
from graph.holds import ACTIVE_HOLDS_ON_HOLDING, SCOPED_HOLDS_IN_FORCE
from graph.reader import plain
from lineage.domain.catalog import zone_of
from lineage.domain.erasure import HoldingFacts, task_outcome
from lineage.domain.requests import (
    HeldData,
    Opening,
    StoreHolding,
    TaskStatus,
    Verification,
    answer_task,
    close,
    extend,
    in_force_since,
    lift,
    new_request_id,
    plan_tasks,
    request_deadline,
    shown_status,
)

# Per store where the subject holds data: where it is, who runs it, and per category what it is
# processed for and on what basis; the domain picks the stores a request of each kind reaches.
IMPACT_AT_RECEIPT = """
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)
OPTIONAL MATCH (s)-[:HAS_HOLDING]->(h:Holding {state: 'held'})-[:IN_STORE]->(st:Store)
OPTIONAL MATCH (sys:System)-[:HAS_STORE]->(st)
OPTIONAL MATCH (st)-[:RUN_BY]->(p:Processor)
OPTIONAL MATCH (p)-[:ESTABLISHED_IN]->(pc:Country)
OPTIONAL MATCH (st)-[:LOCATED_IN]->(c:Country)
OPTIONAL MATCH (p)-[:SUB_PROCESSOR*1..]->(sub:Processor)-[:ESTABLISHED_IN]->(sc:Country)
WITH s, st, sys, p, pc, c,
     collect(DISTINCT CASE WHEN h IS NULL THEN null
                      ELSE {category: h.category, purposes: h.purposes,
                            legal_bases: h.legal_bases} END) AS held,
     collect(DISTINCT sub.id + ' (' + sc.code + ')') AS subs, collect(DISTINCT sc.code) AS sub_countries
RETURN s.key AS subject, st.id AS store, sys.id AS system, p.id AS processor,
       [x IN [c.code, pc.code] + sub_countries WHERE x IS NOT NULL] AS countries,
       subs AS sub_processors, held, coalesce(st.purposes, []) AS store_purposes
"""

CREATE_REQUEST = """
MATCH (s:Subject {key: $subject})
CREATE (r:Request {id: $id, kind: $kind, received_at: $received_at, deadline: $deadline,
                   requested_by: $requested_by, opened_by: $opened_by,
                   verification_method: $verification_method,
                   verified_by: $verified_by, purposes: $purposes, categories: $categories,
                   in_force: $in_force, in_force_since: $in_force_since, status: 'open',
                   created_at: $created_at, zone: $zone, changed_at: datetime()})
CREATE (r)-[:FOR]->(s)
WITH r
UNWIND $tasks AS task
CREATE (r)-[:HAS_TASK]->(:RequestTask {id: r.id + '|' + task.store, store: task.store,
        system: task.system, processor: task.processor, countries: task.countries,
        sub_processors: task.sub_processors, categories: task.categories, reason: task.reason,
        status: 'outstanding', created_at: $created_at})
"""

# The facts about an erasure task's holdings now. A done task is not read again: its closing
# evidence stands even if the data comes back later (that is a reappearance, reported apart). A
# retained task is, even once its request is complete: the legal period or the hold that kept
# the data ends, and from that day the erasure is owed (REOPEN_REQUESTS).
TASK_FACTS = (
    SCOPED_HOLDS_IN_FORCE
    + """MATCH (r:Request {kind: 'erasure'})-[:FOR]->(s:Subject)
WHERE ($id IS NULL OR r.id = $id)
  AND (r.status = 'open'
       OR (r.status = 'complete' AND EXISTS { (r)-[:HAS_TASK]->(:RequestTask {status: 'retained'}) }))
MATCH (r)-[:HAS_TASK]->(t:RequestTask)
WHERE (r.status = 'open' AND t.status <> 'done') OR t.status = 'retained'
OPTIONAL MATCH (s)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store {id: t.store})
WHERE h.category IN t.categories
WITH r, t, s, h, st, CASE WHEN h IS NULL THEN [] ELSE """
    + ACTIVE_HOLDS_ON_HOLDING
    + """ END AS held_by
RETURN t.id AS task, t.status AS status, t.categories AS categories, r.zone AS zone,
       collect(CASE WHEN h IS NULL THEN null ELSE
               {category: h.category, state: h.state, erased_at: """
    + as_datetime("h.erased_at")
    + """,
                last_event_id: h.last_event_id, held_by: held_by,
                legal_obligation: coalesce(h.legal_obligation, false), expires_at: h.expires_at,
                retention_rule: h.retention_rule, legal_rule: h.legal_rule,
                legal_until: h.legal_until} END) AS holdings
"""
)

SET_TASKS = """
UNWIND $rows AS row
MATCH (t:RequestTask {id: row.id})
SET t.status = row.status, t.reason = row.reason, t.closed_by_event = row.closed_by_event,
    t.closed_at = row.closed_at, t.evaluated_at = $now
"""

# A complete request with a task outstanding again (its data was retained, and no longer may
# be) is open again, with the day it reopened: its deadline is past, so it is overdue at once.
REOPEN_REQUESTS = """
MATCH (r:Request {status: 'complete'})
WHERE ($id IS NULL OR r.id = $id)
  AND EXISTS { (r)-[:HAS_TASK]->(:RequestTask {status: 'outstanding'}) }
SET r.status = 'open', r.reopened_at = $now, r.completed_at = null, r.changed_at = datetime()
RETURN r.id AS id, r.status AS status, r.completed_at AS completed_at
"""

COMPLETE_REQUESTS = """
MATCH (r:Request {status: 'open'})
WHERE ($id IS NULL OR r.id = $id)
  AND NOT EXISTS { (r)-[:HAS_TASK]->(:RequestTask {status: 'outstanding'}) }
SET r.status = 'complete', r.completed_at = $now, r.changed_at = datetime()
RETURN r.id AS id, r.status AS status, r.completed_at AS completed_at
"""

REQUESTS = """
MATCH (r:Request)
WHERE ($id IS NULL OR r.id = $id) AND ($kind IS NULL OR r.kind = $kind)
OPTIONAL MATCH (r)-[:FOR]->(s:Subject)
RETURN r.id AS id, r.kind AS kind, s.key AS subject, r.requested_by AS requested_by,
       r.opened_by AS opened_by,
       r.received_at AS received_at, r.deadline AS deadline, r.status AS stored_status,
       r.completed_at AS completed_at, r.closure_note AS closure_note, r.closed_at AS closed_at,
       {method: r.verification_method, verified_by: r.verified_by} AS verification,
       r.purposes AS purposes, r.categories AS categories, r.in_force AS in_force,
       r.in_force_since AS in_force_since, r.lifted_at AS lifted_at, r.lift_reason AS lift_reason,
       CASE WHEN r.extension_months IS NULL THEN null
            ELSE {months: r.extension_months, reason: r.extension_reason,
                  extended_at: r.extended_at, original_deadline: r.original_deadline} END AS extension,
       COLLECT { MATCH (r)-[:HAS_TASK]->(t:RequestTask)
                 RETURN t {.id, .store, .system, .processor, .countries, .sub_processors, .categories,
                           .status, .reason, .closed_by_event, .closed_at, .answered_at, .answered_by,
                           .answer_evidence, .notice_id, .notice_channel, .notice_sent_at,
                           .notice_error, .acknowledged_at, .acknowledged_by, .reminded_at} AS task
                 ORDER BY t.store } AS tasks
ORDER BY received_at DESC, id DESC
"""

OVERDUE = """
MATCH (r:Request {status: 'open'})-[:FOR]->(s:Subject)
WHERE r.deadline < $now
RETURN r.id AS id, r.kind AS kind, s.key AS subject, r.received_at AS received_at,
       r.deadline AS deadline, r.extension_months AS extension_months,
       r.extension_reason AS extension_reason,
       [(r)-[:HAS_TASK]->(t:RequestTask {status: 'outstanding'}) | t.store] AS outstanding
ORDER BY deadline, id
"""

# What an extension is judged from; read and written in one transaction, so two extensions at
# once cannot both count the months as not yet used.
EXTENSION_FACTS = """
MATCH (r:Request {id: $id})
RETURN r.received_at AS received_at, r.status AS status, r.zone AS zone,
       coalesce(r.extension_months, 0) AS months
"""

EXTEND = """
MATCH (r:Request {id: $id})
SET r.original_deadline = coalesce(r.original_deadline, r.deadline), r.deadline = $deadline,
    r.extension_months = $months, r.extension_reason = $reason, r.extended_at = $extended_at,
    r.changed_at = datetime()
"""

# Held again after the erasure was complete, or after the erasure that closed its store's task:
# either way the data came back (a new list addition, a re-import) and the erasure must be redone.
REAPPEARANCES = (
    """
MATCH (r:Request {kind: 'erasure', status: 'complete'})-[:FOR]->(s:Subject)
      -[:HAS_HOLDING]->(h:Holding {state: 'held'})-[:IN_STORE]->(st:Store)
WHERE h.last_seen > r.completed_at.epochMillis
   OR EXISTS { MATCH (r)-[:HAS_TASK]->(t:RequestTask {store: st.id, status: 'done'})
               WHERE h.category IN t.categories AND h.last_seen > t.closed_at.epochMillis }
RETURN r.id AS request, s.key AS subject, st.id AS store, h.category AS category,
       """
    + as_datetime("h.last_seen")
    + """ AS last_seen, h.last_event_id AS last_event_id
ORDER BY request, store, category
"""
)

# The task named by its id, its notice id (what the processor has) or its store (what the DPO sees).
TASK_TO_ANSWER = """
MATCH (r:Request {id: $id})-[:HAS_TASK]->(t:RequestTask)
WHERE t.id = $task OR t.notice_id = $task OR t.store = $task
RETURN r.kind AS kind, t.id AS task, t.status AS status
"""

ANSWER_TASK = """
MATCH (r:Request)-[:HAS_TASK]->(t:RequestTask {id: $task})
SET t.status = 'done', t.answered_at = $at, t.answered_by = $by, t.answer_evidence = $evidence,
    t.closed_at = $at, r.changed_at = datetime()
"""

STATE_FACTS = """
MATCH (r:Request {id: $id})
RETURN r.kind AS kind, coalesce(r.in_force, false) AS in_force, r.status AS status,
       COUNT { (r)-[:HAS_TASK]->(:RequestTask {status: 'outstanding'}) } AS outstanding
"""

LIFT = """
MATCH (r:Request {id: $id})
SET r.in_force = false, r.lifted_at = $at, r.lift_reason = $reason, r.changed_at = datetime()
"""

CLOSE = """
MATCH (r:Request {id: $id})
SET r.closure_note = $note, r.closed_at = $at, r.status = 'complete',
    r.completed_at = coalesce(r.completed_at, $at), r.changed_at = datetime()
"""


def open_request(
    driver: Driver,
    database: str,
    key: str,
    opening: Opening,
    requested_by: str,
    received_at: datetime,
    zone: tzinfo = UTC,
    verification: Verification | None = None,
    opened_by: str | None = None,
) -> dict[str, Any] | None:
    """Opens a request of ``opening.kind`` for the subject an identifier key names, with one
    task per store it must reach now; None if lineage knows nobody by that key. Read and write
    share a transaction so the snapshot is exactly what the tasks were made from. ``zone``: the
    organisation's, whose calendar the deadline's last day is counted on."""
    request_id = new_request_id(opening.kind)
    checked = verification or Verification(None, None)
    with driver.session(database=database) as session:
        created = session.execute_write(
            _create, key, request_id, opening, requested_by, received_at, zone, checked, opened_by
        )
    return request_status(driver, database, request_id)[0] if created else None


def _create(
    tx: ManagedTransaction,
    key: str,
    request_id: str,
    opening: Opening,
    requested_by: str,
    received_at: datetime,
    zone: tzinfo,
    verification: Verification,
    opened_by: str | None,
) -> bool:
    rows = [record.data() for record in tx.run(IMPACT_AT_RECEIPT, key=key)]
    if not rows:
        return False
    plans = plan_tasks(
        opening.kind,
        [_holding(row) for row in rows if row["store"] is not None and row["held"]],
        opening.purposes,
        opening.categories,
    )
    since = in_force_since(opening.kind, received_at)
    tx.run(
        CREATE_REQUEST,
        subject=rows[0]["subject"],
        id=request_id,
        kind=opening.kind.value,
        requested_by=requested_by,
        opened_by=opened_by,
        verification_method=verification.method and verification.method.value,
        verified_by=verification.verified_by,
        purposes=opening.purposes or None,
        categories=opening.categories or None,
        in_force=True if since else None,
        in_force_since=since and fixed_offset(since),
        received_at=fixed_offset(received_at),
        deadline=request_deadline(received_at, zone),
        created_at=fixed_offset(datetime.now(received_at.tzinfo)),
        tasks=[plan.row() for plan in plans],
        zone=getattr(zone, "key", "UTC"),
    ).consume()
    return True


def _holding(row: dict[str, Any]) -> StoreHolding:
    return StoreHolding(
        store=row["store"],
        system=row["system"],
        processor=row["processor"],
        countries=row["countries"],
        sub_processors=row["sub_processors"],
        held=[
            HeldData(h["category"], tuple(h["purposes"] or ()), h["legal_bases"])
            for h in row["held"]
            if h is not None
        ],
        store_purposes=tuple(row["store_purposes"]),
    )


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


def refresh_requests(
    driver: Driver, database: str, now: datetime, request_id: str | None = None
) -> list[dict[str, Any]]:
    """Re-judges the erasure tasks of open requests (or of one), and the retained tasks of
    complete ones, from the graph as it is at ``now``; reopens a complete request whose
    retained data is no longer retained, and completes the requests with nothing outstanding.
    Returns the requests whose status changed."""
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
    """Erasure task id -> the status the task would be judged to have at ``now``, nothing
    recorded: what a notice to a processor must not ask to erase (data retained by law or held)."""
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
    driver: Driver,
    database: str,
    request_id: str | None = None,
    now: datetime | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """Requests (one, or all newest first; of one kind or all) with their tasks, the status to
    show (``overdue`` computed from the deadline) and the count of tasks per status."""
    records, _, _ = driver.execute_query(
        REQUESTS, id=request_id, kind=kind, database_=database, routing_=RoutingControl.READ
    )
    moment = now or datetime.now().astimezone()
    return [_shown(plain(record.data()), moment) for record in records]


def _shown(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    stored = row.pop("stored_status")
    statuses = [task["status"] for task in row["tasks"]]
    counts = {s.value: statuses.count(s.value) for s in TaskStatus}
    shown = shown_status(stored, row["deadline"], now, bool(row["in_force"]))
    return {**row, "status": shown.value, "counts": counts}


def overdue_requests(driver: Driver, database: str, now: datetime) -> list[dict[str, Any]]:
    """Open requests of every kind past their deadline, with the stores still outstanding."""
    records, _, _ = driver.execute_query(OVERDUE, now=now, database_=database, routing_=RoutingControl.READ)
    return [plain(record.data()) for record in records]


def reappearances(driver: Driver, database: str) -> list[dict[str, Any]]:
    """Data held again for a person whose erasure was complete: per request, store and category."""
    records, _, _ = driver.execute_query(REAPPEARANCES, database_=database, routing_=RoutingControl.READ)
    return [plain(record.data()) for record in records]


def record_answer(
    driver: Driver, database: str, request_id: str, task: str, evidence: str, by: str | None, now: datetime
) -> bool:
    """Closes a task on its system's answer (the domain refuses an erasure task, or one already
    closed) and completes the request if nothing is left; False if there is no such task."""
    with driver.session(database=database) as session:
        return session.execute_write(_answer, request_id, task, evidence, by, now)


def _answer(
    tx: ManagedTransaction, request_id: str, task: str, evidence: str, by: str | None, now: datetime
) -> bool:
    found = tx.run(TASK_TO_ANSWER, id=request_id, task=task).single()
    if found is None:
        return False
    answered = answer_task(found["kind"], found["status"], evidence, by, now)
    tx.run(
        ANSWER_TASK, task=found["task"], at=answered.at, by=answered.by, evidence=answered.evidence
    ).consume()
    tx.run(COMPLETE_REQUESTS, id=request_id, now=now).consume()
    return True


def lift_request(driver: Driver, database: str, request_id: str, reason: str, now: datetime) -> bool:
    """Ends a restriction or objection, with its reason; False if there is no such request."""
    with driver.session(database=database) as session:
        return session.execute_write(_lift, request_id, reason, now)


def _lift(tx: ManagedTransaction, request_id: str, reason: str, now: datetime) -> bool:
    found = tx.run(STATE_FACTS, id=request_id).single()
    if found is None:
        return False
    lifted = lift(found["kind"], found["in_force"], reason, now)
    tx.run(LIFT, id=request_id, at=lifted.at, reason=lifted.reason).consume()
    return True


def close_request(driver: Driver, database: str, request_id: str, note: str, now: datetime) -> bool:
    """Records how the person was answered, once nothing is outstanding; False if no such request."""
    with driver.session(database=database) as session:
        return session.execute_write(_close, request_id, note, now)


def _close(tx: ManagedTransaction, request_id: str, note: str, now: datetime) -> bool:
    found = tx.run(STATE_FACTS, id=request_id).single()
    if found is None:
        return False
    tx.run(CLOSE, id=request_id, note=close(found["outstanding"], note), at=now).consume()
    return True
