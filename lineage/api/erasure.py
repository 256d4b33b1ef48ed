"""``/erasure-requests``: GDPR Art. 17 requests over HTTP, for the DPO's ticketing tools.

Same authentication and driver as the other query endpoints, and the same JSON as
``lineage erasure`` (both use :mod:`lineage.answers.erasure`). The identifier comes in the body,
never the URL, so it stays out of access logs; it is hashed and not kept, and no answer names
it back.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from neo4j import Driver
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from lineage.answers import erasure as answers
from lineage.answers import notices
from lineage.answers.accounts import client_for_token
from lineage.answers.audit import audited
from lineage.answers.erasure import ErasureRequest
from lineage.answers.notices import TaskAcknowledged
from lineage.answers.subjects import subject_key
from lineage.api.access import (
    Acting,
    AppSettings,
    GraphDriver,
    Viewer,
    body_openapi,
    checked,
    client_address,
    json_body,
    not_found_as,
    refuse,
)
from lineage.domain.access import Actor, Permission
from lineage.domain.requests import MAX_TEXT
from lineage.errors import AckRefused, NotFoundError
from lineage.settings import Settings

router = APIRouter(tags=["erasure"])


class ErasureRequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    identifier: str = Field(
        min_length=1, max_length=512, description="e-mail address, or system:native-id (hubspot:90512)"
    )
    requested_by: str = Field(
        answers.DEFAULT_REQUESTER, min_length=1, max_length=MAX_TEXT, description="Who asked, and how"
    )
    received: Annotated[
        str | None,
        checked(answers.parse_received, "not a YYYY-MM-DD date nor an ISO 8601 time with its offset"),
    ] = Field(None, max_length=40, description="YYYY-MM-DD or ISO 8601 with offset; default now")


@router.post(
    "/erasure-requests",
    status_code=201,
    response_model=ErasureRequest,
    summary="Open an erasure request (GDPR Art. 17)",
    openapi_extra=body_openapi(ErasureRequestBody),
)
def open_request(
    actor: Acting,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[ErasureRequestBody, json_body(ErasureRequestBody)],
) -> ErasureRequest:
    key = subject_key(settings, body.identifier)
    with audited(driver, settings, actor, "request.open.erasure", key):
        return _opened(settings, driver, body, key, actor)


def _opened(
    settings: Settings, driver: Driver, body: ErasureRequestBody, key: str, actor: Actor
) -> ErasureRequest:
    return answers.open_request(
        driver,
        settings.neo4j.database,
        key,
        body.requested_by,
        body.received,
        answers.own_copies(settings),
        answers.org_zone(settings),
        notices.on_opening(settings, body.identifier),
        opened_by=actor.label,
    )


class ExtensionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    months: int = Field(ge=1, le=2, description="Further months: 1 or 2, at most 2 in all (Art. 12(3))")
    reason: str = Field(
        min_length=1, max_length=MAX_TEXT, description="Why, as the person must be told (no personal data)"
    )


@router.post(
    "/erasure-requests/{request_id}/extend",
    response_model=ErasureRequest,
    summary="Extend an erasure request by up to two further months (GDPR Art. 12(3))",
    openapi_extra=body_openapi(ExtensionBody),
)
def extend_request(
    request_id: str,
    actor: Acting,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[ExtensionBody, json_body(ExtensionBody)],
) -> ErasureRequest:
    with (
        audited(driver, settings, actor, "request.extend", request_id),
        not_found_as("no erasure request with this id"),
    ):
        return answers.extend(
            driver,
            settings.neo4j.database,
            request_id,
            body.months,
            body.reason,
            answers.own_copies(settings),
            answers.org_zone(settings),
        )


@router.get(
    "/erasure-requests",
    response_model=list[ErasureRequest],
    summary="Erasure requests, newest first, as last checked against the graph",
)
def list_requests(_actor: Viewer, settings: AppSettings, driver: GraphDriver) -> list[ErasureRequest]:
    return answers.status(driver, settings.neo4j.database, copies=answers.own_copies(settings))


@router.get(
    "/erasure-requests/{request_id}",
    response_model=ErasureRequest,
    summary="One erasure request, as last checked against the graph",
)
def one_request(
    request_id: str, _actor: Viewer, settings: AppSettings, driver: GraphDriver
) -> ErasureRequest:
    with not_found_as("no erasure request with this id"):
        return answers.one(driver, settings.neo4j.database, request_id, answers.own_copies(settings))


@router.post(
    "/erasure-requests/{request_id}/refresh",
    response_model=ErasureRequest,
    summary="Re-check an erasure request's tasks against the graph now",
)
def refresh_request(
    request_id: str, actor: Acting, settings: AppSettings, driver: GraphDriver
) -> ErasureRequest:
    """GETs only read: the worker re-checks every request each ``LINEAGE_RETENTION_CHECK_S``,
    and this re-checks one at once (a deletion just stored closes its task)."""
    with (
        audited(driver, settings, actor, "request.refresh", request_id),
        not_found_as("no erasure request with this id"),
    ):
        return answers.one(
            driver, settings.neo4j.database, request_id, answers.own_copies(settings), refresh=True
        )


@router.post(
    "/erasure-requests/{request_id}/tasks/{task}/ack",
    response_model=TaskAcknowledged,
    summary="A processor acknowledges an erasure task (Bearer: the notice's token)",
)
async def acknowledge_task(
    request_id: str, task: str, request: Request, driver: GraphDriver
) -> TaskAcknowledged:
    """The processor sends the token its notice carried (it has no account); the DPO may record
    an acknowledgement received otherwise with a token of a role that may act. Without either,
    401, and a wrong token cannot tell whether the request or task exists."""
    settings: Settings = request.app.state.settings
    token = _bearer(request.headers.get("authorization"))
    if token is None:
        raise AckRefused("Authorization: Bearer <token> is required")
    target = f"{request_id}/{task}"
    staff = await run_in_threadpool(client_for_token, driver, settings, token)
    if staff is not None:
        return await run_in_threadpool(_staff_ack, driver, settings, staff, request_id, task, target, request)
    return await run_in_threadpool(_processor_ack, driver, settings, request_id, task, token, target, request)


def _staff_ack(
    driver: Driver,
    settings: Settings,
    staff: Actor,
    request_id: str,
    task: str,
    target: str,
    request: Request,
) -> TaskAcknowledged:
    staff = Actor(staff.name, staff.role, staff.kind, address=client_address(request))
    if not staff.may(Permission.ACT):
        refuse(request, staff, Permission.ACT)
    with audited(driver, settings, staff, "task.ack", target), not_found_as("no such task in this request"):
        return notices.acknowledge(driver, settings.neo4j.database, request_id, task, None, by=staff.label)


def _processor_ack(
    driver: Driver, settings: Settings, request_id: str, task: str, token: str, target: str, request: Request
) -> TaskAcknowledged:
    processor = Actor(task, None, "processor", address=client_address(request))
    try:
        with audited(driver, settings, processor, "task.ack", target):
            return notices.acknowledge(driver, settings.neo4j.database, request_id, task, token)
    except NotFoundError:
        raise AckRefused("the acknowledgement token is not this task's") from None


def _bearer(authorization: str | None) -> str | None:
    scheme, _, value = (authorization or "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
