"""Erasure requests (GDPR Art. 17): open one, and follow it to proof.

Shared by ``lineage erasure``, ``/erasure-requests`` and the workspace so that all answer the
same :class:`ErasureRequest`. Every read refreshes first: a status is only worth showing if it
reflects the graph as it is now.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from neo4j import Driver
from pydantic import Field

from graph import erasure
from lineage.answers.answer import Answer
from lineage.answers.catalog_file import read_catalog
from lineage.answers.notices import OnOpened
from lineage.domain.erasure import OwnCopies
from lineage.domain.notices import task_progress
from lineage.errors import ExtensionRefused, NotFoundError, QueryError
from lineage.kafka.topics import topics_of
from lineage.settings import Settings

DEFAULT_REQUESTER = "data subject"


class ErasureTask(Answer):
    """One store that held the person's data at receipt: what must be erased there, and the proof."""

    id: str = Field(description="task id: request id | store")
    store: str = Field(description="store id (system/store)")
    system: str | None = Field(description="the system the store belongs to")
    processor: str | None = Field(description="processor running the store")
    countries: list[str] | None = Field(
        description="countries concerned: the store's, the processor's, sub-processors'"
    )
    sub_processors: list[str] | None = Field(description="sub-processors down the chain, as 'id (CC)'")
    categories: list[str] | None = Field(description="categories held there at receipt")
    status: str = Field(description="outstanding, done or retained")
    reason: str | None = Field(description="why the task stands as it does (the legal period, the hold)")
    closed_by_event: str | None = Field(description="id of the deletion event that closed it: the proof")
    closed_at: datetime | None = Field(description="when that deletion happened")
    notice_id: str | None = Field(description="id of the notice sent to the processor")
    notice_channel: str | None = Field(description="how it was sent: webhook, email or both")
    notice_sent_at: datetime | None = Field(description="when it was sent")
    notice_error: str | None = Field(description="why it could not be sent")
    acknowledged_at: datetime | None = Field(description="when the processor acknowledged it")
    acknowledged_by: str | None = Field(description="processor (with its token) or operator")
    reminded_at: datetime | None = Field(description="when the processor was reminded")
    progress: str = Field(description="no_channel, failed, sent, acknowledged, done or retained")


class Extension(Answer):
    """A deadline extended by up to two further months (Art. 12(3)), and why."""

    months: int = Field(description="further months granted in all (1 or 2)")
    reason: str = Field(description="why, as the person must be told")
    extended_at: datetime = Field(description="when it was extended")
    original_deadline: datetime = Field(description="the deadline before any extension")


class TaskCounts(Answer):
    """How many of the request's tasks stand at each status."""

    outstanding: int = Field(description="still to erase")
    done: int = Field(description="erased, with the deletion event as proof")
    retained: int = Field(description="kept lawfully (a legal obligation, a legal hold)")


class OwnCopy(Answer):
    """One of lineage's own copies of the person's native payloads, and when it ages out."""

    where: str = Field(description="the Kafka topics holding it")
    holds: str = Field(description="what they hold")
    ages_out_by: datetime = Field(description="when the last payload received by the request is gone")


class ErasureRequest(Answer):
    """An erasure request as it stands now: its deadline, its tasks, and the proof of each."""

    id: str = Field(description="request id (random; names nobody)")
    subject: str | None = Field(description="keyed hash of the person")
    requested_by: str | None = Field(description="who asked, and how")
    received_at: datetime = Field(description="when the request arrived")
    deadline: datetime = Field(description="end of the day one month after receipt (or as extended)")
    completed_at: datetime | None = Field(description="when the last task closed")
    extension: Extension | None = Field(description="the extension, if the deadline was extended")
    tasks: list[ErasureTask] = Field(description="one task per store that held the person's data")
    status: str = Field(description="open, overdue or complete")
    counts: TaskCounts = Field(description="tasks per status")
    lineage_copies: list[OwnCopy] | None = Field(
        None, description="lineage's own copies of the person's payloads, and when they age out"
    )


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
    topics = topics_of(settings)
    return OwnCopies(
        raw_topics=f"{topics.raw_prefix}*",
        dead_letter_topic=topics.dead_letter.name,
        raw_retention=timedelta(days=settings.raw_retention_days),
        dead_letter_retention=timedelta(days=settings.dead_letter_retention_days),
    )


def _shown(request: dict[str, Any], copies: OwnCopies | None) -> ErasureRequest:
    """The request as shown: each task with its progress with the processor (sent,
    acknowledged, done...), and lineage's own copies when asked."""
    tasks = [task | {"progress": task_progress(task).value} for task in request["tasks"]]
    listed = None if copies is None else copies.listed(request["received_at"])
    return ErasureRequest.model_validate(request | {"tasks": tasks, "lineage_copies": listed})


def open_request(
    driver: Driver,
    database: str,
    key: str,
    requested_by: str | None,
    received: str | None,
    copies: OwnCopies | None = None,
    zone: tzinfo = UTC,
    on_opened: OnOpened | None = None,
) -> ErasureRequest:
    """Opens the request; ``on_opened`` (:func:`lineage.answers.notices.on_opening`) then
    notifies the processors, and the request is shown as it stands after."""
    requester = (requested_by or "").strip() or DEFAULT_REQUESTER
    opened = erasure.open_request(driver, database, key, requester, parse_received(received, zone), zone)
    if opened is None:
        raise NotFoundError("lineage knows nobody by this identifier")
    if on_opened is not None:
        on_opened(driver, database, opened["id"])
        opened = erasure.request_status(driver, database, opened["id"])[0]
    return _shown(opened, copies)


def extend(
    driver: Driver,
    database: str,
    request_id: str,
    months: int,
    reason: str,
    copies: OwnCopies | None = None,
    zone: tzinfo = UTC,
) -> ErasureRequest:
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
) -> list[ErasureRequest]:
    """Refresh (one request, or every open one), then the requests as they stand, each with
    lineage's own copies of the person's payloads and when they age out."""
    now = datetime.now(UTC)
    erasure.refresh_requests(driver, database, now, request_id)
    requests = erasure.request_status(driver, database, request_id, now)
    if request_id is not None and not requests:
        raise NotFoundError("no erasure request with this id")
    return [_shown(r, copies) for r in requests]


def one(driver: Driver, database: str, request_id: str, copies: OwnCopies | None = None) -> ErasureRequest:
    """One request, refreshed; not found if there is no such request."""
    return status(driver, database, request_id, copies)[0]
