"""The workspace's session: a signed cookie, a CSRF token, and the login that issues them.

A browser cannot send ``Authorization: Bearer``, so the login form takes the query token once
and answers with a cookie proving it was given: HMAC-signed with a key derived from the token
(changing the token ends every session), HTTP-only (no script reads it), SameSite=Strict (no
other site's page sends it) and Secure (never over plain HTTP; only a loopback server may relax
that, see ``LINEAGE_API_INSECURE_SESSION_COOKIE``). The cookie also carries a random CSRF token
that every form posts back; a visitor who has not logged in yet gets an anonymous session, so
the login form is protected the same way. Nothing in the cookie names a person.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, HTTPException, Request, Response

from lineage.api.bodies import read_body
from lineage.errors import FormRefusedError, QueriesNotConfiguredError
from lineage.settings import Settings

COOKIE = "lineage_session"
PATH = "/ui"
LOGIN = f"{PATH}/login"
_KEY_CONTEXT = b"lineage web session v1"
_ANONYMOUS_SECONDS = 3600


@dataclass(frozen=True)
class Session:
    """Whether the holder logged in, the CSRF token its forms carry, and when it ends (epoch s)."""

    signed_in: bool
    csrf: str
    expires: int

    @classmethod
    def new(cls, signed_in: bool, seconds: float) -> Session:
        return cls(signed_in, secrets.token_urlsafe(24), int(time.time() + seconds))


def _token(settings: Settings) -> bytes:
    token = settings.api.query_token
    if token is None or not token.get_secret_value():
        raise QueriesNotConfiguredError("the workspace is off until LINEAGE_API_QUERY_TOKEN is set")
    return token.get_secret_value().encode()


def _key(settings: Settings) -> bytes:
    """The signing key, derived from the token: a cookie never carries the token itself."""
    return hmac.new(_token(settings), _KEY_CONTEXT, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(settings: Settings, session: Session) -> str:
    payload = json.dumps(
        {"in": session.signed_in, "csrf": session.csrf, "exp": session.expires}, separators=(",", ":")
    ).encode()
    signature = hmac.new(_key(settings), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"


def decode(settings: Settings, value: str | None) -> Session | None:
    """The session a cookie holds, or None when it is missing, forged, malformed or expired."""
    if not value or "." not in value:
        return None
    payload_text, _, signature_text = value.partition(".")
    try:
        payload, signature = _unb64(payload_text), _unb64(signature_text)
    except ValueError:
        return None
    if not hmac.compare_digest(hmac.new(_key(settings), payload, hashlib.sha256).digest(), signature):
        return None
    fields = json.loads(payload)
    session = Session(bool(fields["in"]), str(fields["csrf"]), int(fields["exp"]))
    return session if session.expires > time.time() else None


def set_cookie(response: Response, settings: Settings, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        encode(settings, session),
        max_age=int(session.expires - time.time()),
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=not settings.api.insecure_session_cookie,
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE, path=PATH, httponly=True, samesite="strict", secure=not settings.api.insecure_session_cookie
    )


def token_matches(settings: Settings, given: str) -> bool:
    return hmac.compare_digest(_token(settings), given.encode())


def current(request: Request) -> Session | None:
    settings: Settings = request.app.state.settings
    return decode(settings, request.cookies.get(COOKIE))


def visitor(request: Request) -> Session:
    """The session of the login page: the current one, else a fresh anonymous one (its cookie
    is set by the login page, so the login form has a CSRF token too)."""
    return current(request) or Session.new(False, _ANONYMOUS_SECONDS)


def _signed_in(request: Request) -> Session:
    session = current(request)
    if session is None or not session.signed_in:
        raise HTTPException(303, "log in first", headers={"Location": LOGIN})
    return session


async def _form(request: Request, session: Session) -> dict[str, str]:
    """The posted fields (bounded like any body), once the CSRF token matches the session's."""
    settings: Settings = request.app.state.settings
    raw = await read_body(request, settings.api.max_body_bytes)
    fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}
    if not hmac.compare_digest(fields.pop("csrf", "").encode(), session.csrf.encode()):
        raise FormRefusedError(
            "this form has expired or did not come from the workspace: reload the page and send it again"
        )
    return fields


async def _signed_in_form(request: Request) -> dict[str, str]:
    return await _form(request, _signed_in(request))


async def _login_form(request: Request) -> dict[str, str]:
    session = current(request)
    if session is None:
        raise FormRefusedError("the login form has expired: reload the page")
    return await _form(request, session)


SignedIn = Annotated[Session, Depends(_signed_in)]
PostedForm = Annotated[dict[str, str], Depends(_signed_in_form)]
LoginForm = Annotated[dict[str, str], Depends(_login_form)]
