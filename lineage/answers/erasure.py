"""Erasure requests (GDPR Art. 17): open one, and follow it to proof.

Shared by ``lineage erasure`` and ``/erasure-requests`` so that both answer the same JSON. Every
read refreshes first: a status is only worth showing if it reflects the graph as it is now.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from neo4j import Driver

from graph import erasure
from lineage.answers.catalog_file import read_catalog
from lineage.answers.notices import OnOpened
from lineage.domain.erasure import OwnCopies
from lineage.domain.notices import task_progress
from lineage.errors import ExtensionRefused, NotFoundError, QueryError
from lineage.settings import Settings

DEFAULT_REQUESTER = "data subject"


def org_zone(settings: Settings) -> tzinfo:
    """The organisation's time zone (the catalog's): the calendar deadlines are counted on."""
    return read_catalog(settings).zone


def parse_received(value: str | None, zone: tzinfo = UTC) -> datetime:
    """When the request arrived: a YYYY-MM-DD date (the start of that day in the organisation's
    zone: the day the organisation received it) or an ISO 8601 time with an offset; now when not
    given. The deadline runs from this, so it must be unambiguous."""
    if value is None:
        return datetime.now(UTC)
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=zone)
        received = datetime.fromisoformat(value)
    except ValueError as exc:
        raise QueryError(f"received: {exc}") from exc
    if received.tzinfo is None:
        raise QueryError("received: a time needs its offset (e.g. +02:00)")
    return received


def own_copies(settings: Settings) -> OwnCopies:
    """lineage's own copies of native payloads under this deployment's retention."""
    from streams.topics import topics_of

    topics = topics_of(settings)
    return OwnCopies(
        raw_topics=f"{topics.raw_prefix}*",
        dead_letter_topic=topics.dead_letter.name,
        raw_retention=timedelta(days=settings.raw_retention_days),
        dead_letter_retention=timedelta(days=settings.dead_letter_retention_days),
    )


def _with_own_copies(request: dict[str, Any], copies: OwnCopies | None) -> dict[str, Any]:
    """The request as shown: each task with its progress with the processor (sent,
    acknowledged, done...), and lineage's own copies when asked."""
    request = request | {
        "tasks": [task | {"progress": task_progress(task).value} for task in request["tasks"]]
    }
    if copies is None:
        return request
    return request | {"lineage_copies": copies.listed(request["received_at"])}


def open_request(
    driver: Driver,
    database: str,
    key: str,
    requested_by: str | None,
    received: str | None,
    copies: OwnCopies | None = None,
    zone: tzinfo = UTC,
    on_opened: OnOpened | None = None,
) -> dict[str, Any]:
    """Opens the request; ``on_opened`` (:func:`lineage.answers.notices.on_opening`) then
    notifies the processors, and the request is shown as it stands after."""
    requester = (requested_by or "").strip() or DEFAULT_REQUESTER
    opened = erasure.open_request(driver, database, key, requester, parse_received(received, zone), zone)
    if opened is None:
        raise NotFoundError("lineage knows nobody by this identifier")
    if on_opened is not None:
        on_opened(driver, database, opened)
        opened = erasure.request_status(driver, database, opened["id"])[0]
    return _with_own_copies(opened, copies)


def extend(
    driver: Driver,
    database: str,
    request_id: str,
    months: int,
    reason: str,
    copies: OwnCopies | None = None,
    zone: tzinfo = UTC,
) -> dict[str, Any]:
    """Extend a request by up to two further months (Art. 12(3)), with the reason the person
    must be told; then the request as it stands. A refusal says why, as a bad query."""
    try:
        found = erasure.extend_request(driver, database, request_id, months, reason, datetime.now(UTC), zone)
    except ExtensionRefused as exc:
        raise QueryError(str(exc)) from None
    if not found:
        raise NotFoundError("no erasure request with this id")
    return status(driver, database, request_id, copies)[0]


def status(
    driver: Driver, database: str, request_id: str | None = None, copies: OwnCopies | None = None
) -> list[dict[str, Any]]:
    """Refresh (one request, or every open one), then the requests as they stand, each with
    lineage's own copies of the person's payloads and when they age out."""
    now = datetime.now(UTC)
    erasure.refresh_requests(driver, database, now, request_id)
    requests = erasure.request_status(driver, database, request_id, now)
    if request_id is not None and not requests:
        raise NotFoundError("no erasure request with this id")
    return [_with_own_copies(r, copies) for r in requests]
