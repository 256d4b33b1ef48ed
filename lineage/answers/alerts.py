"""Alerts (unapproved transfers, overdue retention, erasure deadlines): list and acknowledge.

The one implementation behind ``lineage alerts``, ``GET /alerts``, ``POST /alerts/{id}/ack``
and the workspace's alerts page: the status asked for is checked here, for all of them.
"""

from __future__ import annotations

from datetime import datetime

from neo4j import Driver
from pydantic import Field

from graph import alerts
from lineage.answers.answer import Answer
from lineage.errors import NotFoundError, QueryError

STATUSES = ("open", "acknowledged", "closed")


class Alert(Answer):
    """One alert: a flow, a store's overdue data or an erasure deadline, with what it concerns."""

    id: str = Field(
        description="stable id of what the alert is about (a flow, a store's rule, a request, a breach)"
    )
    kind: str | None = Field(
        description="transfer, overdue_retention, request_overdue, erasure_reappearance, processing_*, "
        "invariant_broken, breach_deadline, breach_overdue"
    )
    status: str = Field(description="open, reopened, acknowledged or closed")
    severity: str | None = Field(description="high, medium or low")
    store: str | None = Field(description="store the alert is about")
    chain: list[str] | str | None = Field(description="processor chain of a transfer alert")
    country: str | None = Field(description="ISO country code the data reaches")
    reason: str | None = Field(description="why, in words")
    count: int = Field(description="people the alert concerns")
    first_seen: datetime | None = Field(description="first time the cause was seen")
    last_seen: datetime | None = Field(description="last time the cause was seen")


class AlertAcknowledged(Answer):
    """An alert acknowledged: still recorded and counting, no longer open."""

    id: str = Field(description="the alert")
    status: str = Field(description="acknowledged")


def listed(driver: Driver, database: str, status: str | None = None) -> list[Alert]:
    """Alerts newest first (by last seen), all of them or those of one status."""
    if status is not None and status not in STATUSES:
        raise QueryError(f"status: not one of {', '.join(STATUSES)}")
    return [Alert.model_validate(row) for row in alerts.list_alerts(driver, database, status)]


def acknowledge(driver: Driver, database: str, alert_id: str, by: str) -> AlertAcknowledged:
    """Acknowledge an open alert, naming who did (an actor's label); one already acknowledged or
    closed is not found."""
    if not alerts.acknowledge(driver, database, alert_id, by):
        raise NotFoundError("no open alert with this id")
    return AlertAcknowledged(id=alert_id, status="acknowledged")
