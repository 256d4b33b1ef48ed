"""The workspace's pages, under ``/ui``: each one a question the answers layer already answers.

Handlers are plain ``def`` (FastAPI runs them in its thread pool, where the blocking Neo4j
driver belongs) and call :mod:`lineage.answers` only, as the CLI and the JSON API do. People are
named in POST bodies only: the person and erasure forms post, and answer with a page (or a
redirect to a request's random id), so no e-mail or native id reaches a URL, a browser history
or an access log.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from neo4j import Driver

from lineage.answers import alerts, erasure, retention
from lineage.answers import transfers as chapter5
from lineage.answers.catalog_file import read_catalog
from lineage.answers.overview import overview
from lineage.answers.person_graph import person_graph
from lineage.answers.subjects import subject_key
from lineage.errors import QueryError
from lineage.settings import Settings
from lineage.web import session as sessions
from lineage.web.forms import BoundedForm
from lineage.web.render import PageRoute, page
from lineage.web.session import LoginForm, PostedForm, SignedIn

router = APIRouter(prefix=sessions.PATH, route_class=PageRoute, include_in_schema=False)

STATIC = Path(__file__).parent / "static"
_STATIC_FILES = {
    "app.css": "text/css",
    "graph.js": "text/javascript",
    "vendor/cytoscape.min.js": "text/javascript",
}
EXPIRING_HORIZON = timedelta(days=90)
EXPIRING_PAGE = 500


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _driver(request: Request) -> Driver:
    return request.app.state.graph_driver


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(f"{sessions.PATH}{path}", status_code=303)


@router.get("/static/{name:path}")
def static(name: str) -> FileResponse:
    """The workspace's own CSS and JavaScript (cytoscape vendored, never a CDN): a fixed list."""
    if name not in _STATIC_FILES:
        raise HTTPException(404)
    return FileResponse(
        STATIC / name, media_type=_STATIC_FILES[name], headers={"Cache-Control": "public, max-age=3600"}
    )


# --- login ---------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request) -> Response:
    settings, visitor = _settings(request), sessions.visitor(request)
    response = page(request, "login.html", visitor)
    sessions.set_cookie(response, settings, visitor)
    return response


@router.post("/login")
def login(request: Request, form: LoginForm) -> Response:
    """The token against the query token; a new session (and CSRF token) on success."""
    settings = _settings(request)
    if not sessions.token_matches(settings, form.get("token", "")):
        return page(
            request, "login.html", sessions.current(request), 401, error="That is not the workspace's token."
        )
    response = _see_other("/")
    sessions.set_cookie(response, settings, sessions.Session.new(True, settings.api.session_hours * 3600))
    return response


@router.post("/logout")
def logout(request: Request, _form: PostedForm) -> Response:
    response = RedirectResponse(sessions.LOGIN, status_code=303)
    sessions.clear_cookie(response, _settings(request))
    return response


@router.get("/")
def home(request: Request, session: SignedIn) -> Response:
    """The overview a DPO opens each morning: what needs action, and how much lineage knows."""
    settings = _settings(request)
    zone = read_catalog(settings).zone
    answer = overview(_driver(request), settings.neo4j.database, zone)
    return page(request, "overview.html", session, overview=answer, zone=zone)


# --- a person --------------------------------------------------------------------------------


@router.get("/person")
def person_form(request: Request, session: SignedIn) -> Response:
    return page(request, "person.html", session, answer=None)


@router.post("/person")
def person(request: Request, session: SignedIn, form: BoundedForm) -> Response:
    """The data map of whoever the posted identifier names; the identifier is hashed at once
    and is not echoed back (the page names the keyed hash)."""
    settings = _settings(request)
    key = subject_key(settings, form.get("identifier", ""))
    answer = person_graph(
        _driver(request),
        settings.neo4j.database,
        read_catalog(settings),
        key,
        chapter5.parse_day(form.get("on") or None),
    )
    return page(request, "person.html", session, answer=answer)


# --- alerts ----------------------------------------------------------------------------------


@router.get("/alerts")
def alert_list(
    request: Request, session: SignedIn, status: Annotated[str | None, Query()] = None
) -> Response:
    settings = _settings(request)
    rows = alerts.listed(_driver(request), settings.neo4j.database, status or None)
    return page(request, "alerts.html", session, alerts=rows, status=status or "")


@router.post("/alerts/{alert_id}/ack")
def acknowledge(request: Request, alert_id: str, _form: PostedForm) -> Response:
    alerts.acknowledge(_driver(request), _settings(request).neo4j.database, alert_id)
    return _see_other("/alerts")


# --- retention and holds --------------------------------------------------------------------


@router.get("/expiring")
def expiring(
    request: Request, session: SignedIn, before: str | None = None, cursor: str | None = None
) -> Response:
    settings, driver = _settings(request), _driver(request)
    zone = erasure.org_zone(settings)
    before = before or (chapter5.parse_day(None) + EXPIRING_HORIZON).isoformat()
    answer = retention.expiring(
        driver, settings.neo4j.database, before, limit=EXPIRING_PAGE, cursor=cursor or None, zone=zone
    )
    holds = retention.listed_holds(driver, settings.neo4j.database)
    return page(request, "expiring.html", session, answer=answer, holds=holds, before=before)


@router.post("/holds")
def hold_add(request: Request, form: BoundedForm) -> Response:
    settings = _settings(request)
    key = subject_key(settings, form.get("identifier", ""))
    retention.add_hold(
        _driver(request),
        settings.neo4j.database,
        key,
        form.get("reason", ""),
        _listed(form.get("stores")),
        _listed(form.get("categories")),
        form.get("until") or None,
        erasure.org_zone(settings),
    )
    return _back_to_expiring(form)


@router.post("/holds/{hold_id}/release")
def hold_release(request: Request, hold_id: str, form: BoundedForm) -> Response:
    retention.release_hold(
        _driver(request), _settings(request).neo4j.database, hold_id, form.get("reason") or "released"
    )
    return _back_to_expiring(form)


def _back_to_expiring(form: dict[str, str]) -> Response:
    """Back to the page the form was on, with its date (a date names nobody; a bad one is dropped)."""
    before = form.get("before", "")
    try:
        retention.parse_date(before, "before")
    except QueryError:
        return _see_other("/expiring")
    return _see_other(f"/expiring?before={before}")


def _listed(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]
