"""Retention answers: what expires before a date (held data left out, and said so), and holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from neo4j import Driver

from graph import holds, retention
from lineage.answers.transfers import QueryError
from lineage.errors import NotFoundError


def parse_date(value: str, name: str) -> datetime:
    """A YYYY-MM-DD date as the start of that day, UTC."""
    try:
        return datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
    except ValueError as exc:
        raise QueryError(f"{name}: {exc}") from exc


def expiring(driver: Driver, database: str, before: str, store: str | None = None,
             category: str | None = None, subject_type: str | None = None) -> dict[str, Any]:
    """Held data expiring before ``before``; what a legal hold keeps is listed apart, with why."""
    now, until = datetime.now(UTC), parse_date(before, "before")
    groups = retention.expiring(driver, database, until, now, store, category, subject_type)
    due = [g for g in groups if not g["held"]]
    return {"before": before, "now": now, "expiring": due,
            "subjects": retention.expiring_subjects(driver, database, until, now, store, category,
                                                    subject_type),
            "overdue_holdings": sum(g["overdue"] for g in due),
            "left_out_held": [g for g in groups if g["held"]]}


def add_hold(driver: Driver, database: str, key: str, reason: str, stores: list[str],
             categories: list[str], until: str | None) -> dict[str, Any]:
    if not reason.strip():
        raise QueryError("a hold needs a reason (the case, the inquiry)")
    placed = holds.add_hold(driver, database, key, reason, stores, categories,
                            parse_date(until, "until") if until else None)
    if placed is None:
        raise NotFoundError("lineage knows nobody by this identifier")
    return placed


def release_hold(driver: Driver, database: str, hold_id: str, reason: str) -> dict[str, Any]:
    if not holds.release_hold(driver, database, hold_id, reason):
        raise NotFoundError(f"no active hold {hold_id!r}")
    return {"id": hold_id, "status": "released"}
