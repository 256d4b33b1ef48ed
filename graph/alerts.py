"""Alert persistence: upsert per flow, close what the catalog approves, list and acknowledge."""

from __future__ import annotations

from typing import Any

from neo4j import AsyncManagedTransaction, Driver, RoutingControl

from graph import queries
from graph.reader import plain

_PER_HIT = ("at", "subject", "event_id")


def folded(rows: list[dict[str, Any]], link_subjects: bool = True) -> list[dict[str, Any]]:
    """The hits as UPSERT_ALERTS takes them: one row per alert, with its first and last time
    and the people it concerns. A batch names the same few flows for a thousand people; one row
    per hit upserted the same alert a thousand times (twice a batch: both stages raise them).
    Sorted by store, then alert: both stages upsert the same alerts at once, and a new alert
    links to its store as the record stage's holdings do; in two orders they deadlocked, the
    loser retried after about a second, an alert late by as much (p99). Store order is the
    order the record stage takes them in (graph.writer.BatchRows.holding_writes)."""
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
    alerts raised already are left alone (``queries.RAISED_ALERTS``) and the others written
    without being tied to their people yet (``queries.UPSERT_ALERTS``)."""
    if not link_subjects and rows:
        ids = sorted({row["id"] for row in rows})
        raised = {r["id"] async for r in await tx.run(queries.RAISED_ALERTS, ids=ids)}
        rows = [row for row in rows if row["id"] not in raised]
    if not rows:
        return []
    result = await tx.run(queries.UPSERT_ALERTS, rows=folded(rows, link_subjects))
    return [plain(r.data()) async for r in result if r["announce"]]


def close_approved(driver: Driver, database: str, unapproved_flows: list[str]) -> list[str]:
    records, _, _ = driver.execute_query(
        queries.CLOSE_APPROVED_ALERTS, unapproved=unapproved_flows, database_=database
    )
    return [r["id"] for r in records]


def held_subjects(driver: Driver, database: str, stores: list[str]) -> list[dict[str, Any]]:
    """Who is held in ``stores``. Read on the leader, not a follower: the worker writes alerts
    from the answer, and a follower could lag behind the holdings it just stored."""
    records, _, _ = driver.execute_query(queries.HELD_SUBJECTS_IN_STORE, stores=stores, database_=database)
    return [r.data() for r in records]


def list_alerts(
    driver: Driver, database: str, status: str | None, kind: str | None = None
) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        queries.LIST_ALERTS, status=status, kind=kind, database_=database, routing_=RoutingControl.READ
    )
    return [plain(r.data()) for r in records]


def acknowledge(driver: Driver, database: str, alert_id: str) -> bool:
    records, _, _ = driver.execute_query(queries.ACK_ALERT, id=alert_id, database_=database)
    return bool(records)


def alert_subjects(driver: Driver, database: str, alert_id: str) -> list[str]:
    """Keys of the subjects an alert concerns."""
    records, _, _ = driver.execute_query(
        queries.ALERT_SUBJECTS, id=alert_id, database_=database, routing_=RoutingControl.READ
    )
    return [r["subject"] for r in records]


def replace_alerts(
    driver: Driver, database: str, kind: str, rows: list[dict[str, Any]], reason_closed: str
) -> list[dict[str, Any]]:
    """For a kind a scheduled check recomputes whole: upsert the rows' alerts, trim their
    subjects to the current ones, close the rest. Returns the alerts to announce."""
    active = sorted({str(row["id"]) for row in rows})
    driver.execute_query(
        queries.CLOSE_RESOLVED_ALERTS, kind=kind, active=active, reason=reason_closed, database_=database
    )
    if not rows:
        return []
    records, _, _ = driver.execute_query(queries.UPSERT_ALERTS, rows=folded(rows), database_=database)
    subjects: dict[str, list[str]] = {}
    for row in rows:
        subjects.setdefault(str(row["id"]), []).append(str(row["subject"]))
    driver.execute_query(
        queries.TRIM_ALERT_SUBJECTS,
        database_=database,
        alerts=[{"id": k, "subjects": v} for k, v in subjects.items()],
    )
    return [plain(r.data()) for r in records if r["announce"]]
