"""``/ui/admin``: accounts, API clients and sessions, for an admin.

The same answers as ``/admin`` and ``lineage users|clients|sessions``
(:mod:`lineage.answers.accounts`), every change recorded in the audit trail. A new client's token
is shown on the page that made it, once, and is never in a URL: the form posts, the page answers.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from neo4j import Driver

from lineage.answers import accounts, audit
from lineage.answers.accounts import IssuedToken
from lineage.domain.access import Actor, Role
from lineage.settings import Settings
from lineage.web import session as sessions
from lineage.web.render import PageRoute, page
from lineage.web.session import Admin, PostedForm, Session

router = APIRouter(prefix=sessions.PATH, route_class=PageRoute, include_in_schema=False)
ROLES = [role.value for role in Role]


def _context(request: Request) -> tuple[Settings, Driver]:
    return request.app.state.settings, request.app.state.graph_driver


def _actor(session: Session) -> Actor:
    assert session.actor is not None  # the page's permission dependency signed it in
    return session.actor


def _admin_page(request: Request, session: Session, issued: IssuedToken | None = None) -> Response:
    settings, driver = _context(request)
    return page(
        request,
        "admin.html",
        session,
        users=accounts.users(driver, settings),
        clients=accounts.clients(driver, settings),
        roles=ROLES,
        issued=issued,
    )


def _back() -> RedirectResponse:
    return RedirectResponse(f"{sessions.PATH}/admin", status_code=303)


@router.get("/admin")
def admin(request: Request, session: Admin) -> Response:
    return _admin_page(request, session)


@router.post("/admin/users")
def save_user(request: Request, session: Admin, form: PostedForm) -> Response:
    """A new account, or a role (and, if given, a password) changed; its sessions end."""
    settings, driver = _context(request)
    name = form.get("name", "")
    with audit.audited(driver, settings, _actor(session), "user.save", name):
        accounts.add_user(driver, settings, name, form.get("role", ""), form.get("password") or None)
    return _back()


@router.post("/admin/users/{name}/disable")
def disable_user(request: Request, name: str, session: Admin, _form: PostedForm) -> Response:
    settings, driver = _context(request)
    with audit.audited(driver, settings, _actor(session), "user.disable", name):
        accounts.disable_user(driver, settings, name)
    return _back()


@router.post("/admin/users/{name}/sessions/end")
def end_sessions(request: Request, name: str, session: Admin, _form: PostedForm) -> Response:
    settings, driver = _context(request)
    with audit.audited(driver, settings, _actor(session), "session.revoke", name):
        accounts.end_sessions(driver, settings, name)
    return _back()


@router.post("/admin/clients")
def add_client(request: Request, session: Admin, form: PostedForm) -> Response:
    """A new client; the page that answers shows its token, this once."""
    settings, driver = _context(request)
    name, days = form.get("name", ""), form.get("expires_days") or None
    with audit.audited(driver, settings, _actor(session), "client.add", name):
        issued = accounts.add_client(
            driver, settings, name, form.get("role", ""), accounts.expiry_days(days) if days else None
        )
    return _admin_page(request, session, issued)


@router.post("/admin/clients/{name}/revoke")
def revoke_client(request: Request, name: str, session: Admin, _form: PostedForm) -> Response:
    settings, driver = _context(request)
    with audit.audited(driver, settings, _actor(session), "client.revoke", name):
        accounts.revoke_client(driver, settings, name)
    return _back()
