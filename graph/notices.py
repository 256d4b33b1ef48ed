"""Notices to processors about request tasks, recorded on the task itself.

``(t:RequestTask {..., notice_id, notice_channel, notice_sent_at, notice_error, ack_token_hash,
acknowledged_at, acknowledged_by, reminded_at})``: what was sent, when, whether it failed, and
the processor's acknowledgement. Never the identifier the notice carried, never the token (its
hash only). This module owns the statements that read and record them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from neo4j import Driver, RoutingControl

from graph.reader import plain

TASKS_OF = """
MATCH (r:Request {id: $id})-[:HAS_TASK]->(t:RequestTask)
WHERE t.status = 'outstanding'
RETURN r.id AS request_id, r.kind AS request_kind, coalesce(r.purposes, []) AS purposes,
       r.deadline AS deadline, t.id AS task, t.store AS store,
       t.system AS system, t.processor AS processor, t.categories AS categories
ORDER BY store
"""

RECORD_SENT = """
UNWIND $rows AS row
MATCH (t:RequestTask {id: row.task})
SET t.notice_id = row.notice_id, t.notice_channel = row.channel, t.notice_sent_at = row.sent_at,
    t.notice_error = row.error, t.ack_token_hash = row.token_hash
"""

# The task named by its notice id (what the processor has) or its store (what the DPO sees).
TASK_FOR_ACK = """
MATCH (:Request {id: $id})-[:HAS_TASK]->(t:RequestTask)
WHERE t.notice_id = $task OR t.store = $task
RETURN t.id AS task, t.ack_token_hash AS token_hash
"""

ACKNOWLEDGE = """
MATCH (t:RequestTask {id: $task})
SET t.acknowledged_at = coalesce(t.acknowledged_at, $now),
    t.acknowledged_by = coalesce(t.acknowledged_by, $by)
RETURN t.acknowledged_at AS acknowledged_at
"""

# Outstanding tasks of open requests whose deadline falls within the reminder window, notified
# and not reminded yet: one reminder per task.
DUE_REMINDERS = """
MATCH (r:Request {status: 'open'})-[:HAS_TASK]->(t:RequestTask {status: 'outstanding'})
WHERE r.deadline > $now AND r.deadline <= $until
  AND t.notice_sent_at IS NOT NULL AND t.reminded_at IS NULL
RETURN r.id AS request_id, r.kind AS request_kind, coalesce(r.purposes, []) AS purposes,
       r.deadline AS deadline, t.id AS task, t.notice_id AS notice_id,
       t.store AS store, t.system AS system, t.processor AS processor, t.categories AS categories
ORDER BY request_id, store
"""

RECORD_REMINDED = """
UNWIND $rows AS row
MATCH (t:RequestTask {id: row.task})
SET t.reminded_at = row.at, t.reminder_error = row.error
"""


def _read(driver: Driver, database: str, query: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(query, params, database_=database, routing_=RoutingControl.READ)
    return [plain(record.data()) for record in records]


def outstanding_tasks(driver: Driver, database: str, request_id: str) -> list[dict[str, Any]]:
    """A request's outstanding tasks with what a notice says about them."""
    return _read(driver, database, TASKS_OF, id=request_id)


def record_sent(driver: Driver, database: str, rows: list[dict[str, Any]]) -> None:
    """Rows of ``{task, notice_id, channel, sent_at, error, token_hash}``."""
    if rows:
        driver.execute_query(RECORD_SENT, rows=rows, database_=database)


def task_for_ack(driver: Driver, database: str, request_id: str, task: str) -> dict[str, Any] | None:
    found = _read(driver, database, TASK_FOR_ACK, id=request_id, task=task)
    return found[0] if found else None


def acknowledge(driver: Driver, database: str, task_id: str, by: str, now: datetime) -> datetime:
    """Records the first acknowledgement (a repeated one changes nothing); returns its time."""
    records, _, _ = driver.execute_query(ACKNOWLEDGE, task=task_id, by=by, now=now, database_=database)
    return plain(records[0].data())["acknowledged_at"]


def due_reminders(driver: Driver, database: str, now: datetime, until: datetime) -> list[dict[str, Any]]:
    return _read(driver, database, DUE_REMINDERS, now=now, until=until)


def record_reminded(driver: Driver, database: str, rows: list[dict[str, Any]]) -> None:
    """Rows of ``{task, at, error}``."""
    if rows:
        driver.execute_query(RECORD_REMINDED, rows=rows, database_=database)
