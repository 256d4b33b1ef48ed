"""Checks that depend on the clock, not on an event: run by a worker timer and on demand.

Data kept past its expiry raises an **overdue_retention** alert per (store, rule), through the
same alert machinery and sinks as transfers; it closes itself once nothing is overdue there
(erased, or put under a legal hold). Blocking driver: the worker runs these in a thread.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from neo4j import Driver

from graph.alerts import replace_alerts
from graph.retention import overdue
from lineage.domain.alerts import overdue_alert_rows

log = logging.getLogger(__name__)


def check_retention(driver: Driver, database: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Overdue-retention alerts brought up to date; returns the new or reopened ones."""
    rows = overdue_alert_rows(overdue(driver, database, now or datetime.now(UTC)))
    return replace_alerts(driver, database, "overdue_retention", rows,
                          "nothing is held past its retention there any more")


def run_checks(driver: Driver, database: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every clock-driven check; returns the alerts to announce."""
    return check_retention(driver, database, now)
