"""The workspace's personal data breaches, under ``/ui/breaches``: open, size, notify, close.

Answered by :mod:`lineage.answers.breach` as the CLI and the API are. A breach page shows its
sizing (people per subject type, category and store), the special categories exposed, the
countries, the risk with its reasons, the 72 hours left, and who notified whom and when.
Every change is recorded in the audit trail under the signed-in actor, who is kept on the
breach too. Times typed without an offset are the organisation's.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from neo4j import Driver

from lineage.answers import audit
from lineage.answers import breach as breaches
from lineage.answers.catalog_file import read_catalog
from lineage.domain.access import Actor
from lineage.errors import QueryError
from lineage.settings import Settings
from lineage.web import session as sessions
from lineage.web.forms import BoundedForm
from lineage.web.render import PageRoute, page
from lineage.web.session import Acting, Session, Viewer

router = APIRouter(prefix=sessions.PATH, route_class=PageRoute, include_in_schema=False)


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _driver(request: Request) -> Driver:
    return request.app.state.graph_driver


def _to(breach_id: str) -> RedirectResponse:
    return RedirectResponse(f"{sessions.PATH}/breaches/{breach_id}", status_code=303)


def _actor(session: Session) -> Actor:
    assert session.actor is not None  # a page's permission dependency signed it in
    return session.actor


def local_time(value: str | None, zone: tzinfo) -> str | None:
    """A browser's ``datetime-local`` value (no offset) read in the organisation's zone; a date
    or a time with its offset unchanged; empty is None."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) in (16, 19) and "T" in value:
        try:
            return datetime.fromisoformat(value).replace(tzinfo=zone).isoformat()
        except ValueError:
            return value
    return value


@router.get("/breaches")
def breach_list(request: Request, session: Viewer) -> Response:
    settings = _settings(request)
    catalog = read_catalog(settings)
    found = breaches.listed(_driver(request), settings.neo4j.database, catalog)
    stores = [store.id for _, store in catalog.stores()]
    processors = [p.id for p in catalog.processors]
    return page(request, "breaches.html", session, breaches=found, stores=stores, processors=processors)


@router.post("/breaches")
def breach_open(request: Request, session: Acting, form: BoundedForm) -> Response:
    """Opens the breach on the store or the processor chosen and moves to its page."""
    settings, driver, actor = _settings(request), _driver(request), _actor(session)
    catalog = read_catalog(settings)
    store, processor = form.get("store") or None, form.get("processor") or None
    target = f"store:{store}" if store else f"processor:{processor}"
    with audit.audited(driver, settings, actor, "breach.open", target):
        opened = breaches.open_breach(
            driver,
            settings.neo4j.database,
            catalog,
            store=store,
            processor=processor,
            exposed_from=local_time(form.get("exposed_from"), catalog.zone) or "",
            exposed_to=local_time(form.get("exposed_to"), catalog.zone) or "",
            aware_at=local_time(form.get("aware_at"), catalog.zone),
            text=form.get("description", ""),
            opened_by=actor.label,
        )
    return _to(opened.id)


@router.get("/breaches/{breach_id}")
def breach_one(request: Request, session: Viewer, breach_id: str) -> Response:
    settings = _settings(request)
    found = breaches.one(_driver(request), settings.neo4j.database, breach_id, read_catalog(settings))
    return page(request, "breach.html", session, br=found)


@router.post("/breaches/{breach_id}/authority")
def breach_authority(request: Request, breach_id: str, session: Acting, form: BoundedForm) -> Response:
    settings, driver, actor = _settings(request), _driver(request), _actor(session)
    with audit.audited(driver, settings, actor, "breach.notify.authority", breach_id):
        breaches.notify_authority(
            driver,
            settings.neo4j.database,
            breach_id,
            actor.label,
            reference=form.get("reference"),
            delay_reason=form.get("delay_reason"),
        )
    return _to(breach_id)


@router.post("/breaches/{breach_id}/people")
def breach_people(request: Request, breach_id: str, session: Acting, form: BoundedForm) -> Response:
    settings, driver, actor = _settings(request), _driver(request), _actor(session)
    try:
        count = int(form["count"]) if form.get("count") else None
    except ValueError:
        raise QueryError("count: a whole number") from None
    with audit.audited(driver, settings, actor, "breach.notify.people", breach_id):
        breaches.notify_people(driver, settings.neo4j.database, breach_id, actor.label, count=count)
    return _to(breach_id)


@router.post("/breaches/{breach_id}/close")
def breach_close(request: Request, breach_id: str, session: Acting, form: BoundedForm) -> Response:
    settings, driver, actor = _settings(request), _driver(request), _actor(session)
    with audit.audited(driver, settings, actor, "breach.close", breach_id):
        breaches.close(driver, settings.neo4j.database, breach_id, form.get("note", ""), actor.label)
    return _to(breach_id)
