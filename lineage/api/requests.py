"""``/requests``: rights requests of every kind over HTTP, for the DPO's ticketing tools.

Same authentication and driver as the other query endpoints, and the same JSON as ``lineage
request`` (both use :mod:`lineage.answers.requests`). The identifier comes in the body, never
the URL, so it stays out of access logs; it is hashed and not kept, and no answer names it back.
Every field is bounded and an unknown one refused.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from neo4j import Driver
from pydantic import Field

from lineage.answers import access_report as reports
from lineage.answers import notices
from lineage.answers import requests as answers
from lineage.answers.access_report import AccessReport
from lineage.answers.audit import audited
from lineage.answers.notices import TaskAcknowledged
from lineage.answers.requests import RightsRequest
from lineage.answers.subjects import subject_key
from lineage.api.access import (
    Acting,
    AppSettings,
    GraphDriver,
    PeopleReader,
    Viewer,
    body_openapi,
    checked,
    json_body,
    not_found_as,
)
from lineage.api.bodies import Bounded, Text
from lineage.api.erasure import acknowledge_task as acknowledge_erasure_task
from lineage.domain.access import Actor
from lineage.domain.requests import MAX_TEXT, RequestKind, VerificationMethod
from lineage.settings import Settings

router = APIRouter(tags=["requests"])
NOT_FOUND = "no request with this id"
Key = Annotated[str, Field(min_length=1, max_length=200)]


class OpenBody(Bounded):
    kind: RequestKind = Field(
        description="access, portability, rectification, restriction, objection, erasure"
    )
    identifier: str = Field(
        min_length=1, max_length=320, description="e-mail address, or system:native-id (hubspot:90512)"
    )
    requested_by: str = Field(
        answers.DEFAULT_REQUESTER, max_length=MAX_TEXT, description="Who asked, and how"
    )
    received: Annotated[
        str | None,
        checked(answers.parse_received, "not a YYYY-MM-DD date nor an ISO 8601 time with its offset"),
    ] = Field(None, max_length=40, description="YYYY-MM-DD or ISO 8601 with offset; default now")
    verification_method: VerificationMethod | None = Field(None, description="How the identity was verified")
    verified_by: str | None = Field(None, max_length=MAX_TEXT, description="Who verified it (a role)")
    purposes: list[Key] = Field([], max_length=50, description="Objection: fideslang data uses ('marketing')")
    categories: list[Key] = Field([], max_length=100, description="Rectification: the categories to correct")


@router.post(
    "/requests",
    status_code=201,
    response_model=RightsRequest,
    summary="Open a rights request (GDPR Art. 15-21)",
    openapi_extra=body_openapi(OpenBody),
)
def open_request(
    actor: Acting, settings: AppSettings, driver: GraphDriver, body: Annotated[OpenBody, json_body(OpenBody)]
) -> RightsRequest:
    key = subject_key(settings, body.identifier)
    with audited(driver, settings, actor, f"request.open.{body.kind.value}", key):
        return _opened(actor, settings, driver, body, key)


def _opened(actor: Actor, settings: Settings, driver: Driver, body: OpenBody, key: str) -> RightsRequest:
    return answers.open_request(
        driver,
        settings.neo4j.database,
        body.kind.value,
        key,
        opened_by=actor.label,
        received=body.received,
        requested_by=body.requested_by,
        verification_method=body.verification_method and body.verification_method.value,
        verified_by=body.verified_by,
        purposes=body.purposes,
        categories=body.categories,
        zone=answers.org_zone(settings),
        on_opened=notices.on_opening(settings, body.identifier),
        copies=answers.own_copies(settings),
    )


@router.get("/requests", response_model=list[RightsRequest], summary="Rights requests, newest first")
def list_requests(
    _actor: Viewer, settings: AppSettings, driver: GraphDriver, kind: RequestKind | None = None
) -> list[RightsRequest]:
    return answers.status(
        driver, settings.neo4j.database, kind=kind and kind.value, copies=answers.own_copies(settings)
    )


@router.get("/requests/{request_id}", response_model=RightsRequest, summary="One rights request")
def one_request(request_id: str, _actor: Viewer, settings: AppSettings, driver: GraphDriver) -> RightsRequest:
    with not_found_as(NOT_FOUND):
        return answers.one(driver, settings.neo4j.database, request_id, answers.own_copies(settings))


@router.post(
    "/requests/{request_id}/refresh",
    response_model=RightsRequest,
    summary="Re-check a request's tasks against the graph now",
)
def refresh_request(
    request_id: str, actor: Acting, settings: AppSettings, driver: GraphDriver
) -> RightsRequest:
    """GETs only read: the worker re-checks every request each ``LINEAGE_RETENTION_CHECK_S``,
    and this re-checks one at once (a deletion just stored closes its task)."""
    with audited(driver, settings, actor, "request.refresh", request_id), not_found_as(NOT_FOUND):
        return answers.one(
            driver, settings.neo4j.database, request_id, answers.own_copies(settings), refresh=True
        )


class ExtensionBody(Bounded):
    months: int = Field(ge=1, le=2, description="Further months: 1 or 2, at most 2 in all (Art. 12(3))")
    reason: Text = Field(description="Why, as the person must be told (no personal data)")


@router.post(
    "/requests/{request_id}/extension",
    response_model=RightsRequest,
    summary="Extend a request by up to two further months (Art. 12(3))",
    openapi_extra=body_openapi(ExtensionBody),
)
def extend_request(
    request_id: str,
    actor: Acting,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[ExtensionBody, json_body(ExtensionBody)],
) -> RightsRequest:
    with audited(driver, settings, actor, "request.extend", request_id), not_found_as(NOT_FOUND):
        return answers.extend(
            driver,
            settings.neo4j.database,
            request_id,
            body.months,
            body.reason,
            answers.org_zone(settings),
            answers.own_copies(settings),
        )


class ReasonBody(Bounded):
    reason: Text = Field(description="Why it is lifted (no personal data)")


@router.post(
    "/requests/{request_id}/lift",
    response_model=RightsRequest,
    summary="Lift a restriction or an objection, with its reason",
    openapi_extra=body_openapi(ReasonBody),
)
def lift_request(
    request_id: str,
    actor: Acting,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[ReasonBody, json_body(ReasonBody)],
) -> RightsRequest:
    with audited(driver, settings, actor, "request.lift", request_id), not_found_as(NOT_FOUND):
        return answers.lift(driver, settings.neo4j.database, request_id, body.reason)


class NoteBody(Bounded):
    note: Text = Field(description="How the person was answered (no personal data)")


@router.post(
    "/requests/{request_id}/close",
    response_model=RightsRequest,
    summary="Close a request with nothing outstanding",
    openapi_extra=body_openapi(NoteBody),
)
def close_request(
    request_id: str,
    actor: Acting,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[NoteBody, json_body(NoteBody)],
) -> RightsRequest:
    with audited(driver, settings, actor, "request.close", request_id), not_found_as(NOT_FOUND):
        return answers.close(driver, settings.neo4j.database, request_id, body.note)


class AnswerBody(Bounded):
    evidence: Text = Field(description="What the system answered (a ticket, a file); no personal data")


@router.post(
    "/requests/{request_id}/tasks/{task:path}/answer",
    response_model=RightsRequest,
    summary="Record a system's answer to a task, closing it",
    openapi_extra=body_openapi(AnswerBody),
)
def answer_task(
    request_id: str,
    task: str,
    actor: Acting,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[AnswerBody, json_body(AnswerBody)],
) -> RightsRequest:
    """Who recorded the answer is the actor asking, not a field of the body."""
    target = f"{request_id}/{task}"
    with (
        audited(driver, settings, actor, "task.answer", target),
        not_found_as("no such task in this request"),
    ):
        return answers.answer_task(
            driver, settings.neo4j.database, request_id, task, body.evidence, actor.label
        )


@router.post(
    "/requests/{request_id}/tasks/{task}/ack",
    response_model=TaskAcknowledged,
    summary="A processor acknowledges a task (Bearer: the notice's token)",
)
async def acknowledge_task(
    request_id: str, task: str, request: Request, driver: GraphDriver
) -> TaskAcknowledged:
    return await acknowledge_erasure_task(request_id, task, request, driver)


@router.get(
    "/requests/{request_id}/report",
    response_model=AccessReport,
    summary="The person's access report: JSON, HTML or PDF",
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
def report(
    request_id: str,
    actor: PeopleReader,
    settings: AppSettings,
    driver: GraphDriver,
    format: Literal["json", "html", "pdf"] = "json",
    lang: Literal["fr", "en"] | None = None,
) -> AccessReport | Response:
    with audited(driver, settings, actor, "request.report", request_id), not_found_as(NOT_FOUND):
        answers.one(driver, settings.neo4j.database, request_id)
        made = reports.access_report(
            driver, settings.neo4j.database, settings, request_id=request_id, lang=lang
        )
    if format == "html":
        return Response(reports.render_html(made), media_type="text/html; charset=utf-8")
    if format == "pdf":
        return Response(reports.render_pdf(made), media_type="application/pdf")
    return made


@router.get(
    "/requests/{request_id}/export",
    response_model=reports.PortabilityExport,
    summary="The portability export (Art. 20): JSON, or CSV",
    responses={200: {"content": {"text/csv": {}}}},
)
def export(
    request_id: str,
    actor: PeopleReader,
    settings: AppSettings,
    driver: GraphDriver,
    format: Literal["json", "csv"] = "json",
) -> reports.PortabilityExport | Response:
    with audited(driver, settings, actor, "request.export", request_id), not_found_as(NOT_FOUND):
        answers.one(driver, settings.neo4j.database, request_id)
        made = reports.portability_export(driver, settings.neo4j.database, settings, request_id=request_id)
    if format == "csv":
        return Response(made.to_csv(), media_type="text/csv; charset=utf-8")
    return made
