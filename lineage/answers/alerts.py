"""Alerts (unapproved transfers, overdue retention, erasure deadlines): list and acknowledge.

Shared by the browser workspace and anything else that shows alerts, so the graph module stays
the one place that reads them.
"""

from __future__ import annotations

from typing import Any

from neo4j import Driver

from graph import alerts
from lineage.answers.transfers import QueryError
from lineage.errors import NotFoundError

STATUSES = ("open", "acknowledged", "closed")


def listed(driver: Driver, database: str, status: str | None = None) -> list[dict[str, Any]]:
    """Alerts newest first (by last seen), all of them or those of one status."""
    if status is not None and status not in STATUSES:
        raise QueryError(f"status: not one of {', '.join(STATUSES)}")
    return alerts.list_alerts(driver, database, status)


def acknowledge(driver: Driver, database: str, alert_id: str) -> dict[str, Any]:
    """Acknowledge an open alert; one already acknowledged or closed is not found."""
    if not alerts.acknowledge(driver, database, alert_id):
        raise NotFoundError("no open alert with this id")
    return {"id": alert_id, "status": "acknowledged"}
