"""The workspace's sessions: kept on the server, one cookie naming them, a CSRF token per session.

A browser cannot send ``Authorization: Bearer``, so signing in (a local account's password, or
single sign-on) starts a session kept in the graph (:mod:`lineage.answers.accounts`) and answers
with a cookie holding only a random value whose hash names it: HTTP-only (no script reads it),
SameSite=Strict (no other site's page sends it) and Secure (never over plain HTTP; only a
loopback server may relax that, see ``LINEAGE_API_INSECURE_SESSION_COOKIE``). Signing out, a
role change and an admin's revocation delete the session on the server, so an old copy of the
cookie opens nothing. Every form posts back the session's CSRF token; before signing in, the
login form is protected by a token in a cookie of its own (double submit). Nothing in a cookie
names a person.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from lineage.answers import accounts, audit
from lineage.api.access import client_address, refuse
from lineage.api.bodies import read_body
from lineage.domain.access import Actor, Permission
from lineage.errors import FormRefusedError
from lineage.settings import Settings

COOKIE = "lineage_session"
LOGIN_COOKIE = "lineage_login"
PATH = "/ui"
LOGIN = f"{PATH}/login"
_LOGIN_FORM_SECONDS = 3600
_CURRENT = "lineage_session"


@dataclass(frozen=True)
class Session:
    """Who holds the browser (None before signing in), the CSRF token its forms carry, and when
    it ends (epoch s)."""

    signed_in: bool
    csrf: str
    expires: int
    actor: Actor | None = None
    cookie: str | None = None

    def may(self, permission: str) -> bool:
        """For templates: whether to show a link or a form the role could not use anyway."""
        return self.actor is not None and self.actor.may(Permission(permission))


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def current(request: Request) -> Session | None:
    """The signed-in session the cookie names, else the login form's, else None (read once per
    request)."""
    if hasattr(request.state, _CURRENT):
        found: Session | None = getattr(request.state, _CURRENT)
        return found
    found = _signed_in_session(request) or _login_session(request)
    setattr(request.state, _CURRENT, found)
    return found


def _signed_in_session(request: Request) -> Session | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie or len(cookie) > 100:
        return None
    held = accounts.session_for(
        request.app.state.graph_driver, _settings(request), cookie, client_address(request)
    )
    if held is None:
        return None
    return Session(True, held.csrf, held.expires, held.actor, cookie)


def _login_session(request: Request) -> Session | None:
    token = request.cookies.get(LOGIN_COOKIE)
    if not token or len(token) > 100:
        return None
    return Session(False, token, int(time.time() + _LOGIN_FORM_SECONDS))


def visitor(request: Request) -> Session:
    """The session of the login page: the current one, else a fresh one for the login form."""
    return current(request) or Session(
        False, secrets.token_urlsafe(24), int(time.time() + _LOGIN_FORM_SECONDS)
    )


def _cookie_options(settings: Settings) -> dict[str, Any]:
    return {
        "path": PATH,
        "httponly": True,
        "samesite": "strict",
        "secure": not settings.api.insecure_session_cookie,
    }


def set_login_cookie(response: Response, settings: Settings, session: Session) -> None:
    if not session.signed_in:
        response.set_cookie(
            LOGIN_COOKIE, session.csrf, max_age=_LOGIN_FORM_SECONDS, **_cookie_options(settings)
        )


def start(request: Request, response: Response, actor: Actor) -> Session:
    """Signs ``actor`` in: a new server-side session, its cookie on ``response``, recorded in the
    audit trail. The login form's cookie goes: its token protected the login only."""
    settings, driver = _settings(request), request.app.state.graph_driver
    actor = Actor(actor.name, actor.role, actor.kind, address=client_address(request))
    with audit.audited(driver, settings, actor, "session.login"):
        cookie, held = accounts.start_session(driver, settings, actor)
    response.set_cookie(COOKIE, cookie, max_age=int(held.expires - time.time()), **_cookie_options(settings))
    response.delete_cookie(LOGIN_COOKIE, **_cookie_options(settings))
    return Session(True, held.csrf, held.expires, actor, cookie)


def end(request: Request, response: Response, session: Session) -> None:
    """Signs out: the session is deleted on the server, so a copy of the cookie opens nothing."""
    settings, driver = _settings(request), request.app.state.graph_driver
    if session.cookie and session.actor:
        with audit.audited(driver, settings, session.actor, "session.logout"):
            accounts.end_session(driver, settings, session.cookie)
    response.delete_cookie(COOKIE, **_cookie_options(settings))


def _signed_in(request: Request) -> Session:
    session = current(request)
    if session is None or not session.signed_in or session.actor is None:
        raise HTTPException(303, "sign in first", headers={"Location": LOGIN})
    return session


def _requirement(permission: Permission) -> Any:
    def permitted(request: Request) -> Session:
        session = _signed_in(request)
        assert session.actor is not None
        if not session.actor.may(permission):
            refuse(request, session.actor, permission)
        return session

    permitted.permission = permission  # type: ignore[attr-defined]
    return permitted


_REQUIREMENTS = {permission: _requirement(permission) for permission in Permission}


def require(permission: Permission) -> Any:
    """The dependency of a page that needs ``permission``: the session, else a redirect to the
    login page (not signed in) or a 403 page (a role without it, recorded as denied)."""
    return Depends(_REQUIREMENTS[permission])


async def _form(request: Request, csrf: str) -> dict[str, str]:
    """The posted fields (bounded like any body), once the CSRF token matches the session's."""
    raw = await read_body(request, _settings(request).api.max_body_bytes)
    fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}
    if not hmac.compare_digest(fields.pop("csrf", "").encode(), csrf.encode()):
        raise FormRefusedError(
            "this form has expired or did not come from the workspace: reload the page and send it again"
        )
    return fields


async def _signed_in_form(request: Request) -> dict[str, str]:
    session = await run_in_threadpool(_signed_in, request)
    return await _form(request, session.csrf)


async def _login_form(request: Request) -> dict[str, str]:
    session = _login_session(request)
    if session is None:
        raise FormRefusedError("the login form has expired: reload the page")
    return await _form(request, session.csrf)


Viewer = Annotated[Session, require(Permission.AGGREGATES)]
PeopleReader = Annotated[Session, require(Permission.PEOPLE)]
Acting = Annotated[Session, require(Permission.ACT)]
AuditReader = Annotated[Session, require(Permission.AUDIT)]
Admin = Annotated[Session, require(Permission.ADMINISTER)]
SignedIn = Annotated[Session, Depends(_signed_in)]
PostedForm = Annotated[dict[str, str], Depends(_signed_in_form)]
LoginForm = Annotated[dict[str, str], Depends(_login_form)]
