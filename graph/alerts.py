"""Alerts in the graph: upsert per flow, close what the catalog approves, list and acknowledge.

``(Alert {id, kind, status, ...})-[:ON_STORE]->(Store)`` and ``-[:CONCERNS]->(Subject)``: one
per unapproved flow (store, processor chain, country), and per overdue store and rule, late
erasure request or reappearance. Its count is the number of distinct subjects it CONCERNS,
computed when read (never stored, so it cannot drift), and a replay changes nothing. A closed
alert whose flow is seen unapproved again reopens; an acknowledged one stays acknowledged.
This module owns every statement on alerts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction, Driver, RoutingControl

from graph.fragments import write_lock
from graph.reader import plain

# Rows come one per alert (folded: first and last time, the identifiers of the people it
# concerns).
# A row's ``link`` false (the normalise stage's early upsert) leaves the ON_STORE and CONCERNS
# links to the record stage: linking locks the Store and each Subject, which the record stage's
# running transaction holds (its holdings there), and the early alert would wait for it, seconds
# under load. Its count is then at least the people of its rows.

UPSERT_ALERTS = (
    """
UNWIND $rows AS row
WITH row, datetime({epochMillis: row.first_at}) AS first_at,
     datetime({epochMillis: row.last_at}) AS last_at
MERGE (a:Alert {id: row.id})
  ON CREATE SET a.status = 'new', a.severity = row.severity, a.kind = row.kind,
                a.first_seen = first_at, a.last_seen = last_at, a.store = row.store,
                a.chain = row.chain, a.country = row.country
SET a.reason = row.reason, a.mechanism = row.mechanism,
    a.first_seen = CASE WHEN first_at < a.first_seen THEN first_at ELSE a.first_seen END,
    a.last_seen = CASE WHEN last_at > a.last_seen THEN last_at ELSE a.last_seen END,
    a.status = CASE WHEN a.status = 'closed' THEN 'reopened' ELSE a.status END
WITH a, row
CALL (a, row) {
  // Linking to the store locks it, as the record stage's holdings there do for the length of
  // their transaction: the early upsert leaves the link to the record stage's.
  WITH a, row WHERE row.link
  MERGE (st:Store {id: row.store}) ON CREATE SET st.declared = false
  MERGE (a)-[:ON_STORE]->(st)
}
WITH a, row
CALL (a, row) {
  UNWIND CASE WHEN row.link THEN row.subjects ELSE [] END AS key
  MATCH (i:Identifier {key: key})
  // A person linked already needs nothing, and most of a batch's are: read unlocked, the link
  // found is one a merge under way moves with the person (graph.identity), never loses.
  WITH a, i WHERE NOT EXISTS { MATCH (i)-[:IDENTIFIES]->(linked:Subject) WHERE (a)-[:CONCERNS]->(linked) }
  // Write-locked before reading where it points, as the record stage's batches do
  // (LOCK_IDENTIFIERS): a merge under way in another worker holds it, so this waits and links
  // the person the merge leaves. Read unlocked, the link met the deleted loser (EntityNotFound).
  """
    + write_lock("i")
    + """  WITH a, i
  MATCH (i)-[:IDENTIFIES]->(s:Subject)
  MERGE (a)-[:CONCERNS]->(s)
}
WITH a, row, COUNT { (a)-[:CONCERNS]->() } AS linked
WITH a, linked, row, a.status IN ['new', 'reopened'] AS announce
SET a.status = CASE WHEN announce THEN 'open' ELSE a.status END
RETURN a.id AS id, a.kind AS kind, announce, a.store AS store, a.chain AS chain,
       a.country AS country,
       a.reason AS reason, a.mechanism AS mechanism, a.severity AS severity,
       CASE WHEN linked < size(row.subjects) THEN size(row.subjects) ELSE linked END AS count,
       a.first_seen AS first_seen, a.last_seen AS last_seen, a.status AS status
"""
)

# The alerts of a batch that are raised already: the early upsert leaves them to the record
# stage. Reading takes no lock; upserting an open alert would, and the record stage's upsert of
# the same alert, linking its people, holds it: waiting for it, or deadlocking with it, would
# make the early announcement as late as the record stage, or later.
RAISED_ALERTS = """
MATCH (a:Alert) WHERE a.id IN $ids AND a.status IN ['open', 'acknowledged']
RETURN a.id AS id
"""

# At the normalise stage's start: the alerts raised already, which its early pass does not
# announce again.
RAISED_ALERT_IDS = """
MATCH (a:Alert) WHERE a.status IN ['open', 'acknowledged']
RETURN a.id AS id
"""

# At worker start: the flows the current catalog leaves unapproved, for data already held.
HELD_SUBJECTS_IN_STORE = """
UNWIND $stores AS sid
MATCH (:Store {id: sid})<-[:IN_STORE]-(h:Holding {state: 'held'})<-[:HAS_HOLDING]-(s:Subject)
WITH sid, s, max(h.last_seen) AS at
RETURN sid AS store, s.key AS subject, at,
       COLLECT { MATCH (s)-[m:MOVED]->(:Store {id: sid}) RETURN m.src } AS moved_from
"""

CLOSE_APPROVED_ALERTS = """
MATCH (a:Alert {kind: 'unapproved_transfer'}) WHERE a.status <> 'closed' AND NOT a.id IN $unapproved
SET a.status = 'closed', a.closed_at = datetime(), a.closed_reason = 'the catalog now approves this flow'
RETURN a.id AS id
"""

# Invariant alerts the catalog keeps again (a processor back in the EEA): those about where data
# goes close with the catalog, as transfer alerts do; those about data held wait for a person.
CLOSE_KEPT_INVARIANTS = """
MATCH (a:Alert {kind: 'invariant_broken'})
WHERE a.status <> 'closed' AND a.id STARTS WITH 'invariant-stays_in_eea-' AND NOT a.id IN $broken
SET a.status = 'closed', a.closed_at = datetime(), a.closed_reason = 'the catalog keeps this invariant again'
RETURN a.id AS id
"""

LIST_ALERTS = """
MATCH (a:Alert) WHERE ($status IS NULL OR a.status = $status) AND ($kind IS NULL OR a.kind = $kind)
RETURN a.id AS id, a.kind AS kind, a.status AS status, a.severity AS severity, a.store AS store,
       a.chain AS chain, a.country AS country, a.reason AS reason,
       COUNT { (a)-[:CONCERNS]->() } AS count,
       a.first_seen AS first_seen, a.last_seen AS last_seen
ORDER BY a.last_seen DESC
"""

# Alerts of a kind a scheduled check recomputes whole (overdue retention, erasure deadlines):
# those not in $active close, and each active one concerns exactly the subjects given now.
CLOSE_RESOLVED_ALERTS = """
MATCH (a:Alert {kind: $kind}) WHERE a.status <> 'closed' AND NOT a.id IN $active
SET a.status = 'closed', a.closed_at = datetime(), a.closed_reason = $reason
RETURN a.id AS id
"""

TRIM_ALERT_SUBJECTS = """
UNWIND $alerts AS alert
MATCH (:Alert {id: alert.id})-[r:CONCERNS]->(s:Subject) WHERE NOT s.key IN alert.subjects
DELETE r
"""

ALERT_SUBJECTS = """
MATCH (:Alert {id: $id})-[:CONCERNS]->(s:Subject)
RETURN s.key AS subject ORDER BY subject
"""

ACK_ALERT = """
MATCH (a:Alert {id: $id}) WHERE a.status IN ['open', 'reopened']
SET a.status = 'acknowledged', a.acknowledged_at = datetime(), a.acknowledged_by = $by
RETURN a.id AS id
"""

_PER_HIT = ("at", "subject", "event_id")


def folded(rows: list[dict[str, Any]], link_subjects: bool = True) -> list[dict[str, Any]]:
    """The hits as UPSERT_ALERTS takes them: one row per alert, with its first and last time
    and the people it concerns. A batch names the same few flows for a thousand people; one row
    per hit would upsert the same alert a thousand times (twice a batch: both stages raise
    them). Sorted by store, then alert: both stages upsert the same alerts at once, and a new
    alert links to its store as the record stage's holdings do; in two orders they deadlock,
    and the loser retries about a second later. Store order is the order the record stage
    takes them in (graph.writer.BatchRows.holding_writes)."""
    alerts: dict[str, dict[str, Any]] = {}
    for row in rows:
        alert = alerts.get(row["id"])
        if alert is None:
            alert = alerts[row["id"]] = {"first_at": row["at"], "last_at": row["at"], "subjects": set()}
        alert.update({k: v for k, v in row.items() if k not in _PER_HIT})  # the last hit's words
        alert["first_at"] = min(alert["first_at"], row["at"])
        alert["last_at"] = max(alert["last_at"], row["at"])
        if row.get("subject") is not None:
            alert["subjects"].add(row["subject"])
    return [
        alerts[id_] | {"subjects": sorted(alerts[id_]["subjects"]), "link": link_subjects}
        for id_ in sorted(alerts, key=lambda i: (alerts[i]["store"], i))
    ]


async def upsert_alerts(
    tx: AsyncManagedTransaction, rows: list[dict[str, Any]], link_subjects: bool = True
) -> list[dict[str, Any]]:
    """Write the hits; returns the alerts that are new or reopened (to announce), once each.
    Without ``link_subjects``, the early announcement, which must not wait for the graph:
    alerts raised already are left alone (``RAISED_ALERTS``) and the others written
    without being tied to their people yet (``UPSERT_ALERTS``)."""
    if not link_subjects and rows:
        ids = sorted({row["id"] for row in rows})
        raised = {r["id"] async for r in await tx.run(RAISED_ALERTS, ids=ids)}
        rows = [row for row in rows if row["id"] not in raised]
    if not rows:
        return []
    result = await tx.run(UPSERT_ALERTS, rows=folded(rows, link_subjects))
    return [plain(r.data()) async for r in result if r["announce"]]


# The rehearsal's alert (graph.warmup): an id, a store and a person nobody has, in a
# transaction rolled back.
REHEARSAL_ID = "lineage-warm-up"


def rehearsal_rows() -> list[dict[str, Any]]:
    """One hit in the shape both stages upsert (``Hit.row``)."""
    return [
        {
            "id": REHEARSAL_ID,
            "kind": "unapproved_transfer",
            "severity": "high",
            "store": REHEARSAL_ID,
            "chain": [REHEARSAL_ID],
            "country": "US",
            "reason": "rehearsal",
            "mechanism": "none",
            "subject": REHEARSAL_ID,
            "at": 0,
            "event_id": REHEARSAL_ID,
        }
    ]


async def rehearse_upserts(tx: AsyncManagedTransaction) -> None:
    """Both stages' upserts, the early one (which reads what is raised first) and the linking
    one, planned and run once."""
    await upsert_alerts(tx, rehearsal_rows(), link_subjects=False)
    await upsert_alerts(tx, rehearsal_rows(), link_subjects=True)


async def raised_alert_ids(driver: AsyncDriver, database: str) -> set[str]:
    """The ids of the alerts open or acknowledged (read on the leader: the early pass announces
    what is not among them)."""
    records, _, _ = await driver.execute_query(RAISED_ALERT_IDS, database_=database)
    return {str(r["id"]) for r in records}


def announced_before_writing(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alerts of ``rows`` (hits) as ``upsert_alerts`` returns those it raises, for the
    early pass to announce before writing them: the count is the people of the rows."""
    return [
        {
            "id": row["id"],
            "kind": row["kind"],
            "announce": True,
            "store": row["store"],
            "chain": row["chain"],
            "country": row["country"],
            "reason": row["reason"],
            "mechanism": row["mechanism"],
            "severity": row["severity"],
            "count": len(row["subjects"]),
            "first_seen": datetime.fromtimestamp(row["first_at"] / 1000, UTC),
            "last_seen": datetime.fromtimestamp(row["last_at"] / 1000, UTC),
            "status": "open",
        }
        for row in folded(rows, link_subjects=False)
    ]


def close_approved(driver: Driver, database: str, unapproved_flows: list[str]) -> list[str]:
    records, _, _ = driver.execute_query(
        CLOSE_APPROVED_ALERTS, unapproved=unapproved_flows, database_=database
    )
    return [r["id"] for r in records]


def close_kept_invariants(driver: Driver, database: str, broken: list[str]) -> list[str]:
    """Close the ``stays_in_eea`` alerts not in ``broken`` (the catalog's current breaches)."""
    records, _, _ = driver.execute_query(CLOSE_KEPT_INVARIANTS, broken=broken, database_=database)
    return [r["id"] for r in records]


def held_subjects(driver: Driver, database: str, stores: list[str]) -> list[dict[str, Any]]:
    """Who is held in ``stores``. Read on the leader, not a follower: the worker writes alerts
    from the answer, and a follower could lag behind the holdings it just stored."""
    records, _, _ = driver.execute_query(HELD_SUBJECTS_IN_STORE, stores=stores, database_=database)
    return [r.data() for r in records]


def list_alerts(
    driver: Driver, database: str, status: str | None, kind: str | None = None
) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        LIST_ALERTS, status=status, kind=kind, database_=database, routing_=RoutingControl.READ
    )
    return [plain(r.data()) for r in records]


def acknowledge(driver: Driver, database: str, alert_id: str, by: str) -> bool:
    records, _, _ = driver.execute_query(ACK_ALERT, id=alert_id, by=by, database_=database)
    return bool(records)


def alert_subjects(driver: Driver, database: str, alert_id: str) -> list[str]:
    """Keys of the subjects an alert concerns."""
    records, _, _ = driver.execute_query(
        ALERT_SUBJECTS, id=alert_id, database_=database, routing_=RoutingControl.READ
    )
    return [r["subject"] for r in records]


def replace_alerts(
    driver: Driver, database: str, kind: str, rows: list[dict[str, Any]], reason_closed: str
) -> list[dict[str, Any]]:
    """For a kind a scheduled check recomputes whole: upsert the rows' alerts, trim their
    subjects to the current ones, close the rest. Returns the alerts to announce."""
    active = sorted({str(row["id"]) for row in rows})
    driver.execute_query(
        CLOSE_RESOLVED_ALERTS, kind=kind, active=active, reason=reason_closed, database_=database
    )
    if not rows:
        return []
    records, _, _ = driver.execute_query(UPSERT_ALERTS, rows=folded(rows), database_=database)
    subjects: dict[str, list[str]] = {}
    for row in rows:
        subjects.setdefault(str(row["id"]), []).append(str(row["subject"]))
    driver.execute_query(
        TRIM_ALERT_SUBJECTS,
        database_=database,
        alerts=[{"id": k, "subjects": v} for k, v in subjects.items()],
    )
    return [plain(r.data()) for r in records if r["announce"]]
