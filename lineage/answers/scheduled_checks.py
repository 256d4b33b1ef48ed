"""Checks that depend on the clock, not on an event: run by a worker timer and on demand.

Through the same alert machinery and sinks as transfers, each kind recomputed whole, so an alert
closes itself once its cause is gone:
- **overdue_retention**, per (store, rule): data kept past its expiry and not under a hold;
- **request_overdue**, per rights request of any kind: open past its deadline (one month, or the
  extended one, whose extension and reason the alert states);
- **erasure_reappearance**, per (request, store): data held again for an erased person;
- **breach_deadline** / **breach_overdue**, per personal data breach: less than a day left of
  the 72 hours to notify the supervisory authority (Art. 33(1)), or past them.
Requests are re-evaluated first, so a deletion that just arrived completes its request before
the deadline check. The counts of held data (graph.tally) are folded on a timer of their
own. Blocking driver: the worker runs these in a thread.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from neo4j import Driver

from graph import tally
from graph.alerts import replace_alerts
from graph.requests import overdue_requests, reappearances, refresh_requests
from graph.retention import overdue
from lineage.answers.breach import check_breaches
from lineage.answers.notices import send_reminders
from lineage.domain.alerts import overdue_alert_rows, reappearance_rows, request_overdue_rows
from lineage.settings import Settings

log = logging.getLogger(__name__)


def check_retention(driver: Driver, database: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Overdue-retention alerts brought up to date; returns the new or reopened ones."""
    rows = overdue_alert_rows(overdue(driver, database, now or datetime.now(UTC)))
    return replace_alerts(
        driver, database, "overdue_retention", rows, "nothing is held past its retention there any more"
    )


def overdue_rows_with_extensions(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deadline alerts, each saying when its request was extended and why: whoever reads the
    alert must know the deadline passed is already the extended one."""
    rows: list[dict[str, Any]] = []
    for request in requests:
        for row in request_overdue_rows([request]):
            if request.get("extension_months"):
                row["reason"] += (
                    f"; extended by {request['extension_months']} month(s) "
                    f"(Art. 12(3)): {request['extension_reason']}"
                )
            rows.append(row)
    return rows


def check_requests(driver: Driver, database: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Requests refreshed, then deadline and reappearance alerts brought up to date. An open
    ``erasure_overdue`` alert (a graph written before every kind shared one deadline alert)
    closes: ``request_overdue`` is the deadline alert of every kind."""
    now = now or datetime.now(UTC)
    refresh_requests(driver, database, now)
    replace_alerts(driver, database, "erasure_overdue", [], "raised as request_overdue")
    announced = replace_alerts(
        driver,
        database,
        "request_overdue",
        overdue_rows_with_extensions(overdue_requests(driver, database, now)),
        "the request is complete",
    )
    return announced + replace_alerts(
        driver,
        database,
        "erasure_reappearance",
        reappearance_rows(reappearances(driver, database)),
        "the data is gone again",
    )


check_erasures = check_requests
"""Every request's checks, erasure's among them."""


def run_checks(
    driver: Driver, database: str, now: datetime | None = None, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """Every clock-driven check; returns the alerts to announce. With ``settings`` (the
    worker's), processors are also reminded of request tasks due soon."""
    announced = check_retention(driver, database, now) + check_requests(driver, database, now)
    announced += check_breaches(driver, database, now)
    if settings is not None:
        send_reminders(driver, database, settings, now)
    return announced


def refresh_counts(driver: Driver, database: str, budget_s: float = 1.0) -> int:
    """Folds queued people into the counts of held data (graph.tally) for up to about
    ``budget_s``; returns how many were recounted. Every worker runs it: the refreshes take
    turns on one lock, so more workers only share the work."""
    started, recounted = time.monotonic(), 0
    while time.monotonic() - started < budget_s and (done := tally.refresh(driver, database)):
        recounted += done
    return recounted
