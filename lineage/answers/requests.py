"""Rights requests (GDPR Art. 15-21) of every kind: open one, follow it, answer it, close it.

Shared by ``lineage request``, ``/requests`` and the workspace so that all answer the same
:class:`RightsRequest`; ``lineage erasure`` and ``/erasure-requests`` are the erasure kind of it
(:mod:`lineage.answers.erasure`). Every read refreshes first: a status is only worth showing if
it reflects the graph as it is now. What each kind reaches and what closes its tasks is
:mod:`lineage.domain.requests`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from neo4j import Driver
from pydantic import Field

from graph import requests as recorded
from lineage.answers.answer import Answer
from lineage.answers.catalog_file import read_catalog
from lineage.answers.notices import OnOpened
from lineage.domain.erasure import OwnCopies
from lineage.domain.notices import task_progress
from lineage.domain.requests import RequestKind, opening, verification
from lineage.errors import ExtensionRefused, NotFoundError, QueryError
from lineage.kafka.topics import topics_of
from lineage.settings import Settings

DEFAULT_REQUESTER = "data subject"
NO_SUCH_REQUEST = "no request with this id"
COPIES_SHOWN = frozenset({RequestKind.ERASURE, RequestKind.ACCESS})
"""Kinds whose answer lists lineage's own copies of the person's payloads: what it holds too."""


class RequestTask(Answer):
    """One store the request must reach: what is asked there, and the proof it was done."""

    id: str = Field(description="task id: request id | store")
    store: str = Field(description="store id (system/store)")
    system: str | None = Field(description="the system the store belongs to")
    processor: str | None = Field(description="processor running the store")
    countries: list[str] | None = Field(
        description="countries concerned: the store's, the processor's, sub-processors'"
    )
    sub_processors: list[str] | None = Field(description="sub-processors down the chain, as 'id (CC)'")
    categories: list[str] | None = Field(description="categories the request concerns there")
    status: str = Field(description="outstanding, done or retained (erasure only)")
    reason: str | None = Field(
        description="why the task stands as it does (the legal period, the hold, a basis not recorded)"
    )
    closed_by_event: str | None = Field(description="erasure: id of the deletion event that closed it")
    closed_at: datetime | None = Field(description="when the task closed")
    answered_at: datetime | None = Field(None, description="when the system's answer was recorded")
    answered_by: str | None = Field(None, description="who recorded the answer")
    answer_evidence: str | None = Field(None, description="the evidence of the answer (a ticket, a file)")
    notice_id: str | None = Field(description="id of the notice sent to the processor")
    notice_channel: str | None = Field(description="how it was sent: webhook, email or both")
    notice_sent_at: datetime | None = Field(description="when it was sent")
    notice_error: str | None = Field(description="why it could not be sent")
    acknowledged_at: datetime | None = Field(description="when the processor acknowledged it")
    acknowledged_by: str | None = Field(description="processor (with its token) or operator")
    reminded_at: datetime | None = Field(description="when the processor was reminded")
    progress: str = Field(description="no_channel, failed, sent, acknowledged, done or retained")


class Verification(Answer):
    """How the person's identity was verified: the method, never a copy of what was shown."""

    method: str | None = Field(description="account_login, email_confirmation, known_identifiers, ...")
    verified_by: str | None = Field(description="who verified it (a role or a team)")


class Extension(Answer):
    """A deadline extended by up to two further months (Art. 12(3)), and why."""

    months: int = Field(description="further months granted in all (1 or 2)")
    reason: str = Field(description="why, as the person must be told")
    extended_at: datetime = Field(description="when it was extended")
    original_deadline: datetime = Field(description="the deadline before any extension")


class TaskCounts(Answer):
    """How many of the request's tasks stand at each status."""

    outstanding: int = Field(description="still to do")
    done: int = Field(description="done: erased with the deletion event as proof, or answered")
    retained: int = Field(description="kept lawfully (a legal obligation, a legal hold)")


class OwnCopy(Answer):
    """One of lineage's own copies of the person's native payloads, and when it ages out."""

    where: str = Field(description="the Kafka topics holding it")
    holds: str = Field(description="what they hold")
    ages_out_by: datetime = Field(description="when the last payload received by the request is gone")


class RightsRequest(Answer):
    """A rights request as it stands now: its kind, deadline, tasks, and state."""

    id: str = Field(description="request id (random; names nobody; its prefix names the kind)")
    kind: str = Field(description="access, portability, rectification, restriction, objection or erasure")
    subject: str | None = Field(description="keyed hash of the person")
    requested_by: str | None = Field(description="who asked, and how")
    opened_by: str | None = Field(None, description="who recorded it in lineage (kind:name of the actor)")
    received_at: datetime = Field(description="when the request arrived")
    deadline: datetime = Field(description="end of the day one month after receipt (or as extended)")
    status: str = Field(description="open, overdue, complete, or in_force (a restriction or objection)")
    completed_at: datetime | None = Field(description="when the last task closed")
    closure_note: str | None = Field(description="how the person was answered, recorded at closure")
    closed_at: datetime | None = Field(description="when the closure was recorded")
    verification: Verification = Field(description="how the identity was verified")
    extension: Extension | None = Field(description="the extension, if the deadline was extended")
    tasks: list[RequestTask] = Field(description="one task per store the request reaches")
    counts: TaskCounts = Field(description="tasks per status")
    purposes: list[str] | None = Field(description="objection: the purposes objected to")
    categories: list[str] | None = Field(description="rectification: the categories to correct")
    in_force: bool | None = Field(description="restriction or objection: whether it still applies")
    in_force_since: datetime | None = Field(description="processing from this instant on is refused")
    lifted_at: datetime | None = Field(description="when the restriction or objection was lifted")
    lift_reason: str | None = Field(description="why it was lifted")
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


def shown(request: dict[str, Any], copies: OwnCopies | None = None) -> RightsRequest:
    """The request as shown: each task with its progress with the processor (sent,
    acknowledged, done...), and lineage's own copies when asked and the kind concerns them."""
    tasks = [task | {"progress": task_progress(task).value} for task in request["tasks"]]
    listed = None
    if copies is not None and request["kind"] in COPIES_SHOWN:
        listed = copies.listed(request["received_at"])
    return RightsRequest.model_validate(request | {"tasks": tasks, "lineage_copies": listed})


def open_request(
    driver: Driver,
    database: str,
    kind: str,
    key: str,
    *,
    received: str | datetime | None = None,
    requested_by: str | None = None,
    verification_method: str | None = None,
    verified_by: str | None = None,
    purposes: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    zone: tzinfo = UTC,
    on_opened: OnOpened | None = None,
    copies: OwnCopies | None = None,
    opened_by: str | None = None,
) -> RightsRequest:
    """Opens a request of ``kind`` for the person an identifier key names: one task per store it
    must reach, due one month after receipt. ``on_opened`` (:func:`lineage.answers.notices.on_opening`)
    then notifies the processors, and the request is shown as it stands after.

    Example: ``open_request(driver, "neo4j", "objection", key, purposes=["marketing"],
    verification_method="email_confirmation", verified_by="DPO office", zone=paris)``.
    """
    asked = opening(kind, purposes or (), categories or ())
    checked = verification(verification_method, verified_by)
    requester = (requested_by or "").strip() or DEFAULT_REQUESTER
    at = received if isinstance(received, datetime) else parse_received(received, zone)
    opened = recorded.open_request(driver, database, key, asked, requester, at, zone, checked, opened_by)
    if opened is None:
        raise NotFoundError("lineage knows nobody by this identifier")
    if on_opened is not None:
        on_opened(driver, database, opened["id"])
        opened = recorded.request_status(driver, database, opened["id"])[0]
    return shown(opened, copies)  # as opened: every task outstanding until the first status read


def status(
    driver: Driver,
    database: str,
    request_id: str | None = None,
    *,
    kind: str | None = None,
    copies: OwnCopies | None = None,
) -> list[RightsRequest]:
    """Refresh (one request, or every open one), then the requests as they stand, newest first
    (of one ``kind``, or all)."""
    now = datetime.now(UTC)
    recorded.refresh_requests(driver, database, now, request_id)
    requests = recorded.request_status(driver, database, request_id, now, kind)
    if request_id is not None and not requests:
        raise NotFoundError(NO_SUCH_REQUEST)
    return [shown(r, copies) for r in requests]


def one(driver: Driver, database: str, request_id: str, copies: OwnCopies | None = None) -> RightsRequest:
    """One request, refreshed; not found if there is no such request."""
    return status(driver, database, request_id, copies=copies)[0]


def extend(
    driver: Driver,
    database: str,
    request_id: str,
    months: int,
    reason: str,
    zone: tzinfo = UTC,
    copies: OwnCopies | None = None,
) -> RightsRequest:
    """Extend a request by up to two further months (Art. 12(3)), with the reason the person
    must be told; then the request as it stands. A refusal says why, as a bad query."""
    try:
        found = recorded.extend_request(driver, database, request_id, months, reason, datetime.now(UTC), zone)
    except ExtensionRefused as exc:
        raise QueryError(str(exc)) from None
    if not found:
        raise NotFoundError(NO_SUCH_REQUEST)
    return one(driver, database, request_id, copies)


def answer_task(
    driver: Driver, database: str, request_id: str, task_id: str, evidence: str, by: str | None = None
) -> RightsRequest:
    """Records a system's answer to a task (named by its id, notice id or store), which closes
    it; the request completes when nothing is left. Erasure tasks close on deletions instead."""
    if not recorded.record_answer(driver, database, request_id, task_id, evidence, by, datetime.now(UTC)):
        raise NotFoundError("no such task in this request")
    return one(driver, database, request_id)


def lift(driver: Driver, database: str, request_id: str, reason: str) -> RightsRequest:
    """Ends a restriction or objection, with the reason kept beside it; processing is free
    again from now on, and what happened while it applied stays alerted."""
    if not recorded.lift_request(driver, database, request_id, reason, datetime.now(UTC)):
        raise NotFoundError(NO_SUCH_REQUEST)
    return one(driver, database, request_id)


def close(driver: Driver, database: str, request_id: str, note: str) -> RightsRequest:
    """Records how the person was answered (the report sent, the corrections made), once
    nothing is outstanding; the request is complete from then on."""
    one(driver, database, request_id)  # refreshed first: a deletion just stored may close a task
    if not recorded.close_request(driver, database, request_id, note, datetime.now(UTC)):
        raise NotFoundError(NO_SUCH_REQUEST)
    return one(driver, database, request_id)
