"""Erasure requests (GDPR Art. 17): open one, and follow it to proof.

The erasure kind of every rights request (:mod:`lineage.answers.requests`), answered in the
shape ``lineage erasure``, ``/erasure-requests`` and the workspace have always read: an
:class:`ErasureRequest`. Every read refreshes first: a status is only worth showing if it
reflects the graph as it is now.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from neo4j import Driver
from pydantic import Field

from lineage.answers import requests
from lineage.answers.answer import Answer
from lineage.answers.notices import OnOpened
from lineage.answers.requests import (
    DEFAULT_REQUESTER,
    Extension,
    OwnCopy,
    RightsRequest,
    TaskCounts,
    org_zone,
    own_copies,
    parse_received,
)
from lineage.domain.erasure import OwnCopies
from lineage.domain.requests import RequestKind
from lineage.errors import NotFoundError

__all__ = [
    "DEFAULT_REQUESTER",
    "ErasureRequest",
    "ErasureTask",
    "Extension",
    "OwnCopy",
    "TaskCounts",
    "extend",
    "one",
    "open_request",
    "org_zone",
    "own_copies",
    "parse_received",
    "status",
]
ERASURE = RequestKind.ERASURE.value
NO_SUCH_ERASURE = "no erasure request with this id"


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


def erasure_of(request: RightsRequest) -> ErasureRequest:
    """A rights request of kind erasure in the erasure answer's shape (its fields only)."""
    tasks = [task.model_dump(include=set(ErasureTask.model_fields)) for task in request.tasks]
    fields = set(ErasureRequest.model_fields) - {"tasks"}
    return ErasureRequest.model_validate(request.model_dump(include=fields) | {"tasks": tasks})


def open_request(
    driver: Driver,
    database: str,
    key: str,
    requested_by: str | None,
    received: str | None,
    copies: OwnCopies | None = None,
    zone: tzinfo = UTC,
    on_opened: OnOpened | None = None,
    opened_by: str | None = None,
) -> ErasureRequest:
    """Opens the request; ``on_opened`` (:func:`lineage.answers.notices.on_opening`) then
    notifies the processors, and the request is shown as it stands after."""
    opened = requests.open_request(
        driver,
        database,
        ERASURE,
        key,
        received=received,
        requested_by=requested_by,
        on_opened=on_opened,
        copies=copies,
        zone=zone,
        opened_by=opened_by,
    )
    return erasure_of(opened)


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
    one(driver, database, request_id)  # an erasure request, or not found
    requests.extend(driver, database, request_id, months, reason, zone)
    return one(driver, database, request_id, copies)


def status(
    driver: Driver, database: str, request_id: str | None = None, copies: OwnCopies | None = None
) -> list[ErasureRequest]:
    """Refresh (one request, or every open one), then the erasure requests as they stand, each
    with lineage's own copies of the person's payloads and when they age out."""
    try:
        found = requests.status(driver, database, request_id, kind=ERASURE, copies=copies)
    except NotFoundError:
        raise NotFoundError(NO_SUCH_ERASURE) from None
    return [erasure_of(r) for r in found]


def one(driver: Driver, database: str, request_id: str, copies: OwnCopies | None = None) -> ErasureRequest:
    """One request, refreshed; not found if there is no such request."""
    return status(driver, database, request_id, copies)[0]
