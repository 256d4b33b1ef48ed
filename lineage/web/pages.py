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

from lineage.answers import accounts, alerts, audit, erasure, retention
from lineage.answers import holds as hold_answers
from lineage.answers import transfers as chapter5
from lineage.answers.catalog_file import read_catalog
from lineage.answers.overview import overview
from lineage.answers.person_graph import person_graph
from lineage.answers.subjects import subject_key
from lineage.api.access import client_address
from lineage.api.rate_limits import FailedAttempts
from lineage.domain.access import Actor
from lineage.settings import Settings
from lineage.web import session as sessions
from lineage.web.forms import BoundedForm
from lineage.web.render import PageRoute, page
from lineage.web.session import Acting, LoginForm, PeopleReader, PostedForm, Session, SignedIn, Viewer

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
    response = page(request, "login.html", visitor, sso=_sso_name(settings))
    sessions.set_login_cookie(response, settings, visitor)
    return response


def _sso_name(settings: Settings) -> str | None:
    """The single sign-on provider's name for the login page's button, when one is set up."""
    return settings.oidc.provider_name if settings.oidc.enabled else None


@router.post("/login")
def login(request: Request, form: LoginForm) -> Response:
    """A local account's name and password; a new server-side session on success.

    Failures count per client address and per account name (429 past the limit, the right
    password included) and are recorded in the audit trail; the page never says whether the name
    or the password was wrong."""
    settings, driver = _settings(request), _driver(request)
    name, address = form.get("name", "").strip()[:100], client_address(request)
    attempts: FailedAttempts = request.app.state.failed_attempts
    attempts.check(address, name)
    actor = accounts.signed_in(driver, settings, name, form.get("password", ""))
    if actor is None:
        attempts.failed(address, name)
        tried = Actor(name or "(none)", None, "account", address=address)
        audit.record(driver, settings, tried, "session.login", target=None, outcome="refused")
        error = "That name and password do not match an account."
        return page(
            request, "login.html", sessions.visitor(request), 401, error=error, sso=_sso_name(settings)
        )
    response = _see_other("/")
    sessions.start(request, response, actor)
    return response


@router.post("/logout")
def logout(request: Request, session: SignedIn, _form: PostedForm) -> Response:
    response = RedirectResponse(sessions.LOGIN, status_code=303)
    sessions.end(request, response, session)
    return response


@router.get("/")
def home(request: Request, session: Viewer) -> Response:
    """The overview a DPO opens each morning: what needs action, and how much lineage knows."""
    settings = _settings(request)
    zone = read_catalog(settings).zone
    answer = overview(_driver(request), settings.neo4j.database, zone)
    return page(request, "overview.html", session, overview=answer, zone=zone)


# --- a person --------------------------------------------------------------------------------


@router.get("/person")
def person_form(request: Request, session: PeopleReader) -> Response:
    return page(request, "person.html", session, answer=None)


@router.post("/person")
def person(request: Request, session: PeopleReader, form: BoundedForm) -> Response:
    """The data map of whoever the posted identifier names; the identifier is hashed at once
    and is not echoed back (the page names the keyed hash). The look is recorded."""
    settings, driver = _settings(request), _driver(request)
    key = subject_key(settings, form.get("identifier", ""))
    with audit.audited(driver, settings, _actor(session), "person.lookup", key):
        answer = person_graph(
            driver,
            settings.neo4j.database,
            read_catalog(settings),
            key,
            chapter5.parse_day(form.get("on") or None),
        )
    return page(request, "person.html", session, answer=answer)


# --- alerts ----------------------------------------------------------------------------------


@router.get("/alerts")
def alert_list(request: Request, session: Viewer, status: Annotated[str | None, Query()] = None) -> Response:
    settings = _settings(request)
    rows = alerts.listed(_driver(request), settings.neo4j.database, status or None)
    return page(request, "alerts.html", session, alerts=rows, status=status or "")


@router.post("/alerts/{alert_id}/ack")
def acknowledge(request: Request, alert_id: str, session: Acting, _form: PostedForm) -> Response:
    settings, driver, actor = _settings(request), _driver(request), _actor(session)
    with audit.audited(driver, settings, actor, "alert.ack", alert_id):
        alerts.acknowledge(driver, settings.neo4j.database, alert_id, actor.label)
    return _see_other("/alerts")


# --- retention and holds --------------------------------------------------------------------


@router.get("/expiring")
def expiring(
    request: Request, session: Viewer, before: str | None = None, cursor: str | None = None
) -> Response:
    settings, driver = _settings(request), _driver(request)
    zone = erasure.org_zone(settings)
    before = before or (chapter5.parse_day(None) + EXPIRING_HORIZON).isoformat()
    answer = retention.expiring(
        driver, settings.neo4j.database, before, limit=EXPIRING_PAGE, cursor=cursor or None, zone=zone
    )
    holds = hold_answers.listed_holds(driver, settings.neo4j.database)
    return page(request, "expiring.html", session, answer=answer, holds=holds, before=before)


def _actor(session: Session) -> Actor:
    assert session.actor is not None  # a page's permission dependency signed it in
    return session.actor
