"""``/ui/holds``: the legal holds in force, placing one (on a person, a store, a system or the
whole organisation) and releasing one.

The same answers as ``/holds`` and ``lineage hold`` (:mod:`lineage.answers.holds`), every place
and release recorded in the audit trail with the actor. A person is named in the POST body only,
hashed at once; the page lists holds by their scope and the catalog's ids, never an identifier.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from neo4j import Driver

from lineage.answers import audit, erasure
from lineage.answers import holds as hold_answers
from lineage.answers.catalog_file import read_catalog
from lineage.answers.subjects import subject_key
from lineage.domain.access import Actor
from lineage.domain.holds import HoldScope
from lineage.errors import QueryError
from lineage.settings import Settings
from lineage.web import session as sessions
from lineage.web.forms import BoundedForm
from lineage.web.render import PageRoute, page
from lineage.web.session import Acting, Session, Viewer

router = APIRouter(prefix=sessions.PATH, route_class=PageRoute, include_in_schema=False)
SCOPES = [scope.value for scope in HoldScope]


def _context(request: Request) -> tuple[Settings, Driver]:
    return request.app.state.settings, request.app.state.graph_driver


def _actor(session: Session) -> Actor:
    assert session.actor is not None  # the page's permission dependency signed it in
    return session.actor


def _back() -> RedirectResponse:
    return RedirectResponse(f"{sessions.PATH}/holds", status_code=303)


@router.get("/holds")
def holds_page(request: Request, session: Viewer, ended: bool = False) -> Response:
    """The holds in force (every one with ``ended``), and the form placing one; the catalog's
    stores and systems are offered as targets."""
    settings, driver = _context(request)
    catalog = read_catalog(settings)
    pairs = catalog.stores()
    return page(
        request,
        "holds.html",
        session,
        holds=hold_answers.listed_holds(driver, settings.neo4j.database, ended),
        ended=ended,
        scopes=SCOPES,
        stores=sorted(store.id for _system, store in pairs),
        systems=sorted({system.id for system, _store in pairs}),
    )


@router.post("/holds")
def hold_add(request: Request, session: Acting, form: BoundedForm) -> Response:
    settings, driver = _context(request)
    actor = _actor(session)
    on = hold_answers.hold_on(_scope(form.get("scope")), _person(settings, form), form.get("target"))
    with audit.audited(driver, settings, actor, "hold.place", on.audit_target):
        hold_answers.add_hold(
            driver,
            settings.neo4j.database,
            on,
            form.get("reason", ""),
            _listed(form.get("stores")),
            _listed(form.get("categories")),
            form.get("until") or None,
            erasure.org_zone(settings),
            placed_by=actor.label,
        )
    return _back()


@router.post("/holds/{hold_id}/release")
def hold_release(request: Request, hold_id: str, session: Acting, form: BoundedForm) -> Response:
    settings, driver = _context(request)
    actor = _actor(session)
    with audit.audited(driver, settings, actor, "hold.release", hold_id):
        hold_answers.release_hold(
            driver,
            settings.neo4j.database,
            hold_id,
            form.get("reason") or "released",
            released_by=actor.label,
        )
    return _back()


def _scope(value: str | None) -> HoldScope:
    """The form's scope (a person's when the form names none, as the person form always did)."""
    try:
        return HoldScope(value or HoldScope.PERSON)
    except ValueError:
        raise QueryError(f"scope: one of {', '.join(SCOPES)}") from None


def _person(settings: Settings, form: dict[str, str]) -> str | None:
    """The identifier's keyed hash, when the form names a person (the raw value goes no further)."""
    identifier = form.get("identifier", "").strip()
    return subject_key(settings, identifier) if identifier else None


def _listed(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]
