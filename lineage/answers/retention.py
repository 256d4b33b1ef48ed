"""Retention answers: what expires before a date (held data left out, and said so), and holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from neo4j import Driver

from graph import holds, retention
from graph.erasure import fixed_offset
from lineage.errors import NotFoundError, QueryError


def parse_date(value: str, name: str, zone: tzinfo = UTC) -> datetime:
    """A YYYY-MM-DD date as the start of that day in the organisation's zone: "expiring before
    1 July" in Paris means before midnight in Paris, two hours before midnight UTC in summer."""
    try:
        return fixed_offset(datetime.combine(date.fromisoformat(value), time(0), tzinfo=zone))
    except ValueError as exc:
        raise QueryError(f"{name}: {exc}") from exc


def parse_cursor(value: str | None) -> tuple[datetime, int]:
    """``<epoch ms>.<skip>`` as the page start: a time and how many holdings at exactly that
    time the previous pages returned. It names nobody, so it may sit in a URL."""
    if not value:
        return retention.EARLIEST, 0
    at, dot, skip = value.partition(".")
    if not dot or not at.isdigit() or not skip.isdigit():
        raise QueryError("cursor: not a cursor this service gave")
    return datetime.fromtimestamp(int(at) / 1000, UTC), int(skip)


def cursor_of(page: retention.ExpiringPage) -> str | None:
    if page.next_at is None:
        return None
    return f"{int(page.next_at.timestamp() * 1000)}.{page.next_skip}"


def expiring(
    driver: Driver,
    database: str,
    before: str,
    store: str | None = None,
    category: str | None = None,
    subject_type: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    zone: tzinfo = UTC,
) -> dict[str, Any]:
    """Held data expiring before ``before``; what a legal hold keeps is listed apart, with why.

    With ``limit``, one page of at most that many holdings in expiry order, and ``next_cursor``
    to ask for the next (None on the last): on a large graph the holdings expiring within months
    are millions, and no index makes grouping them all quick. Groups are per (store, category),
    so a group's counts from two pages add up; ``subjects`` counts the people of this page.
    """
    if limit is not None and limit < 1:
        raise QueryError("limit: must be at least 1")
    now, until = datetime.now(UTC), parse_date(before, "before", zone)
    from_at, skip = parse_cursor(cursor)
    page = retention.expiring_page(
        driver, database, until, now, store, category, subject_type, limit, from_at, skip
    )
    due = [g for g in page.groups if not g["held"]]
    return {
        "before": before,
        "now": now,
        "expiring": due,
        "subjects": page.subjects,
        "overdue_holdings": sum(g["overdue"] for g in due),
        "left_out_held": [g for g in page.groups if g["held"]],
        "next_cursor": cursor_of(page),
    }


def add_hold(
    driver: Driver,
    database: str,
    key: str,
    reason: str,
    stores: list[str],
    categories: list[str],
    until: str | None,
    zone: tzinfo = UTC,
) -> dict[str, Any]:
    if not reason.strip():
        raise QueryError("a hold needs a reason (the case, the inquiry)")
    placed = holds.add_hold(
        driver, database, key, reason, stores, categories, parse_date(until, "until", zone) if until else None
    )
    if placed is None:
        raise NotFoundError("lineage knows nobody by this identifier")
    return placed


def release_hold(driver: Driver, database: str, hold_id: str, reason: str) -> dict[str, Any]:
    if not holds.release_hold(driver, database, hold_id, reason):
        raise NotFoundError(f"no active hold {hold_id!r}")
    return {"id": hold_id, "status": "released"}


def listed_holds(driver: Driver, database: str, include_ended: bool = False) -> list[dict[str, Any]]:
    """Legal holds in force (every hold, released and ended included, with ``include_ended``)."""
    return holds.list_holds(driver, database, include_ended)
