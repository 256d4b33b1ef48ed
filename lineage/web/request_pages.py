"""The workspace's rights requests, under ``/ui/requests``: open one, follow it, answer it.

Every kind (access, portability, rectification, restriction, objection, erasure) on one list
and one page per request, answered by :mod:`lineage.answers.requests` as the CLI and the API
are. The person is named in the opening form's POST body only; from then on the request's random
id stands for them in every URL. The access report is served from the request's page, in the
person's language, as HTML to read or PDF to send.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from neo4j import Driver

from lineage.answers import audit, notices
from lineage.answers import requests as rights
from lineage.answers.access_report import access_report, render_html, render_pdf
from lineage.answers.catalog_file import read_catalog
from lineage.answers.subjects import subject_key
from lineage.domain.access import Actor
from lineage.domain.requests import RequestKind, VerificationMethod
from lineage.errors import QueryError
from lineage.settings import Settings
from lineage.web import session as sessions
from lineage.web.render import PageRoute, page
from lineage.web.session import Acting, PeopleReader, PostedForm, Session, Viewer

router = APIRouter(prefix=sessions.PATH, route_class=PageRoute, include_in_schema=False)
KINDS = [kind.value for kind in RequestKind]
METHODS = [method.value for method in VerificationMethod]


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _driver(request: Request) -> Driver:
    return request.app.state.graph_driver


def _to(request_id: str) -> RedirectResponse:
    return RedirectResponse(f"{sessions.PATH}/requests/{request_id}", status_code=303)


def _actor(session: Session) -> Actor:
    assert session.actor is not None  # a page's permission dependency signed it in
    return session.actor


def _listed(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@router.get("/requests")
def request_list(request: Request, session: Viewer) -> Response:
    settings = _settings(request)
    found = rights.status(_driver(request), settings.neo4j.database)
    return page(request, "requests.html", session, requests=found, kinds=KINDS, methods=METHODS)


@router.post("/requests")
def request_open(request: Request, session: Acting, form: PostedForm) -> Response:
    """Opens the request and moves to its page, whose URL holds the request's random id only."""
    return _to(_open(request, session, form, form.get("kind", "")))


def _open(request: Request, session: Session, form: dict[str, str], kind: str) -> str:
    settings, driver, actor = _settings(request), _driver(request), _actor(session)
    identifier = form.get("identifier", "")
    key = subject_key(settings, identifier)
    with audit.audited(driver, settings, actor, f"request.open.{kind}", key):
        return _opened(request, actor.label, form, kind, key)


def _opened(request: Request, opened_by: str, form: dict[str, str], kind: str, key: str) -> str:
    settings, identifier = _settings(request), form.get("identifier", "")
    opened = rights.open_request(
        _driver(request),
        settings.neo4j.database,
        kind,
        key,
        opened_by=opened_by,
        received=form.get("received") or None,
        requested_by=form.get("requested_by"),
        verification_method=form.get("verification_method") or None,
        verified_by=form.get("verified_by"),
        purposes=_listed(form.get("purposes")),
        categories=_listed(form.get("categories")),
        zone=read_catalog(settings).zone,
        on_opened=notices.on_opening(settings, identifier),
        copies=rights.own_copies(settings),
    )
    return opened.id


@router.get("/requests/{request_id}")
def request_one(request: Request, session: Viewer, request_id: str) -> Response:
    settings = _settings(request)
    shown = rights.one(_driver(request), settings.neo4j.database, request_id, rights.own_copies(settings))
    return page(request, "request.html", session, rq=shown)


@router.post("/requests/{request_id}/extension")
def request_extend(request: Request, request_id: str, session: Acting, form: PostedForm) -> Response:
    settings, driver = _settings(request), _driver(request)
    try:
        months = int(form.get("months", ""))
    except ValueError:
        raise QueryError("months: 1 or 2") from None
    zone = read_catalog(settings).zone
    with audit.audited(driver, settings, _actor(session), "request.extend", request_id):
        rights.extend(driver, settings.neo4j.database, request_id, months, form.get("reason", ""), zone)
    return _to(request_id)


@router.post("/requests/{request_id}/answer")
def request_answer(request: Request, request_id: str, session: Acting, form: PostedForm) -> Response:
    """A system's answer to one task (the task named in the body: a store id holds a slash),
    recorded under the signed-in actor."""
    settings, driver, actor = _settings(request), _driver(request), _actor(session)
    task = form.get("task", "")
    with audit.audited(driver, settings, actor, "task.answer", f"{request_id}/{task}"):
        rights.answer_task(
            driver, settings.neo4j.database, request_id, task, form.get("evidence", ""), actor.label
        )
    return _to(request_id)


@router.post("/requests/{request_id}/lift")
def request_lift(request: Request, request_id: str, session: Acting, form: PostedForm) -> Response:
    settings, driver = _settings(request), _driver(request)
    with audit.audited(driver, settings, _actor(session), "request.lift", request_id):
        rights.lift(driver, settings.neo4j.database, request_id, form.get("reason", ""))
    return _to(request_id)


@router.post("/requests/{request_id}/close")
def request_close(request: Request, request_id: str, session: Acting, form: PostedForm) -> Response:
    settings, driver = _settings(request), _driver(request)
    with audit.audited(driver, settings, _actor(session), "request.close", request_id):
        rights.close(driver, settings.neo4j.database, request_id, form.get("note", ""))
    return _to(request_id)


@router.get("/requests/{request_id}/report.{fmt}")
def request_report(
    request: Request, session: PeopleReader, request_id: str, fmt: str, lang: str | None = None
) -> Response:
    """The access report of the request's person, as HTML to read or PDF to send them."""
    if fmt not in ("html", "pdf"):
        raise QueryError("format: html or pdf")
    settings, driver = _settings(request), _driver(request)
    with audit.audited(driver, settings, _actor(session), "request.report", request_id):
        report = access_report(
            driver, settings.neo4j.database, settings, request_id=request_id, lang=lang or None
        )
    if fmt == "html":
        return HTMLResponse(render_html(report))
    return Response(
        render_pdf(report),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="access-report-{request_id}.pdf"'},
    )


# --- the erasure pages, which every request's pages replace ----------------------------------


@router.get("/erasure")
def erasure_list(_session: Viewer) -> Response:
    return RedirectResponse(f"{sessions.PATH}/requests", status_code=303)


@router.post("/erasure")
def erasure_open(request: Request, session: Acting, form: PostedForm) -> Response:
    return _to(_open(request, session, form, RequestKind.ERASURE.value))


@router.get("/erasure/{request_id}")
def erasure_one(_session: Viewer, request_id: str) -> Response:
    return _to(request_id)
