"""Sign-in to the workspace through the organisation's OpenID Connect provider.

The authorization code flow, done by Authlib: the provider's discovery document names its
endpoints and its keys (JWKS); ``/ui/login/oidc`` sends the browser there with a fresh ``state``,
``nonce`` and PKCE ``code_verifier`` (S256), kept in a short-lived signed cookie of this path
only (HTTP-only, SameSite=Lax so the browser brings it back from the provider's site, never in
a URL); ``/ui/login/oidc/callback`` checks the state, exchanges the code with the client secret
and the verifier, and checks the ID token: its signature against the provider's keys (fetched
again when a key id is new, for rotations), ``iss``, ``aud``, ``exp``, ``iat``, ``nonce`` and
``at_hash``. The role comes from one claim, through ``LINEAGE_OIDC_ROLE_MAP``: an account whose
values map to no role is refused. Every refusal or failure is a page that says what went wrong
in lineage's own words; a value the provider sent is only ever shown escaped, by the template.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import BaseApp, FrameworkIntegration, OAuth2Mixin, OpenIDMixin
from authlib.integrations.httpx_client import OAuth2Client
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from joserfc.errors import JoseError
from neo4j.exceptions import DriverError

from lineage.answers import accounts, audit
from lineage.api.access import client_address
from lineage.domain.access import Actor, Role
from lineage.errors import LineageError
from lineage.settings import OidcSettings, Settings
from lineage.web import session as sessions
from lineage.web.render import PageRoute, page

log = logging.getLogger(__name__)

# Authlib's httpx client runs on httpx2 when that is installed (a dependency of some tools),
# else on httpx: a provider that does not answer raises the error of either.
_HTTP_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError,)
with contextlib.suppress(ImportError):
    import httpx2

    _HTTP_ERRORS += (httpx2.HTTPError,)

router = APIRouter(prefix=sessions.PATH, route_class=PageRoute, include_in_schema=False)

START = f"{sessions.LOGIN}/oidc"
CALLBACK = f"{START}/callback"
FLOW_COOKIE = "lineage_oidc_flow"
FLOW_SECONDS = 600
ROLES = (Role.VIEWER, Role.DPO, Role.ADMIN)  # each has all the ones before it
_FLOW_KEY_CONTEXT = b"lineage oidc flow v1"
_NAME_LIMIT = 100  # lineage.answers.accounts.checked_name's bound


@dataclass(frozen=True)
class Account:
    """Who signed in, as the workspace names them, and the role their claim maps to."""

    name: str
    role: Role


class SignInRefused(Exception):
    """A sign-in that ends here: the status and the words of the page that says why."""

    def __init__(self, status: int, title: str, reason: str, *, name: str | None = None) -> None:
        super().__init__(reason)
        self.status, self.title, self.reason, self.name = status, title, reason, name


NOT_CONFIGURED = SignInRefused(404, "No single sign-on", "Single sign-on is not configured.")


# --- claims to an account (no I/O) ------------------------------------------------------------


def claim_values(claims: Mapping[str, Any], path: str) -> list[str]:
    """The strings a claim holds: one string, or the strings of a list; a dotted path reaches into
    objects (Keycloak's ``realm_access.roles``). Anything else holds none."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return []
        value = value[part]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def role_for(claims: Mapping[str, Any], oidc: OidcSettings) -> Role | None:
    """The highest role the account's claim values map to, or None. An e-mail address counts only
    when the provider says it verified it (``email_verified``)."""
    if oidc.role_claim == "email" and claims.get("email_verified") is not True:
        return None
    values = claim_values(claims, oidc.role_claim)
    mapped = {oidc.role_map[value] for value in values if value in oidc.role_map}
    return max(mapped, key=ROLES.index, default=None)


def account_for(claims: Mapping[str, Any], oidc: OidcSettings) -> Account:
    """The account the verified ID token's claims describe, or :class:`SignInRefused`."""
    names = claim_values(claims, oidc.name_claim) or claim_values(claims, "sub")
    name = names[0].strip()[:_NAME_LIMIT] if names else ""
    if not name:
        raise SignInRefused(
            502, "Sign-in failed", f"The provider's ID token names no account (no {oidc.name_claim}, no sub)."
        )
    role = role_for(claims, oidc)
    if role is None:
        raise SignInRefused(
            403,
            "No lineage role",
            f"Your account has no lineage role: none of its {oidc.role_claim} values is mapped to one. "
            "Ask the workspace's administrator to give you access.",
            name=name,
        )
    return Account(name, role)


# --- the flow's cookie ------------------------------------------------------------------------


def _flow_key(oidc: OidcSettings) -> bytes:
    assert oidc.client_secret is not None
    secret = oidc.client_secret.get_secret_value().encode()
    return hmac.new(secret, _FLOW_KEY_CONTEXT, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_flow(oidc: OidcSettings, flow: Mapping[str, str]) -> str:
    payload = json.dumps({**flow, "exp": int(time.time() + FLOW_SECONDS)}, separators=(",", ":")).encode()
    signature = hmac.new(_flow_key(oidc), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"


def decode_flow(oidc: OidcSettings, value: str | None) -> dict[str, str] | None:
    """The flow a cookie holds (state, nonce, verifier), or None: missing, forged or expired."""
    if not value or "." not in value:
        return None
    payload_text, _, signature_text = value.partition(".")
    try:
        payload, signature = _unb64(payload_text), _unb64(signature_text)
    except ValueError:
        return None
    if not hmac.compare_digest(hmac.new(_flow_key(oidc), payload, hashlib.sha256).digest(), signature):
        return None
    fields = json.loads(payload)
    if int(fields.pop("exp", 0)) <= time.time():
        return None
    return {key: str(value) for key, value in fields.items()}


def _cookie_options(settings: Settings) -> dict[str, Any]:
    secure = not settings.api.insecure_session_cookie
    return {"path": START, "httponly": True, "samesite": "lax", "secure": secure}


# --- the provider -----------------------------------------------------------------------------


class _Provider(OAuth2Mixin, OpenIDMixin, BaseApp):
    """Authlib's OpenID Connect client (discovery, PKCE, ID token checks) over httpx."""

    client_cls = OAuth2Client


def provider(request: Request) -> Any:
    """The app's client of the provider, made once: it keeps the discovery document and keys."""
    state = request.app.state
    client = getattr(state, "oidc_provider", None)
    if client is None:
        oidc: OidcSettings = state.settings.oidc
        assert oidc.issuer is not None and oidc.client_secret is not None
        client = _Provider(
            FrameworkIntegration("lineage"),
            name="lineage",
            client_id=oidc.client_id,
            client_secret=oidc.client_secret.get_secret_value(),
            server_metadata_url=f"{oidc.issuer.rstrip('/')}/.well-known/openid-configuration",
            client_kwargs={
                "scope": oidc.scopes,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": oidc.token_auth_method,
                "timeout": oidc.timeout_s,
            },
        )
        state.oidc_provider = client
    return client


def _metadata(client: Any, oidc: OidcSettings) -> dict[str, Any]:
    """The discovery document, once it names the issuer configured (OpenID Discovery 4.3)."""
    metadata: dict[str, Any] = client.load_server_metadata()
    assert oidc.issuer is not None
    if str(metadata.get("issuer", "")).rstrip("/") != oidc.issuer.rstrip("/"):
        raise SignInRefused(
            502,
            "Sign-in failed",
            "The provider's discovery document names another issuer than LINEAGE_OIDC_ISSUER.",
        )
    if "S256" not in metadata.get("code_challenge_methods_supported", ["S256"]):
        raise SignInRefused(502, "Sign-in failed", "The provider does not offer PKCE with S256.")
    return metadata


def redirect_uri(settings: Settings) -> str:
    assert settings.api.public_url is not None
    return f"{settings.api.public_url.rstrip('/')}{CALLBACK}"


def _refused_page(request: Request, refused: SignInRefused) -> Response:
    response = page(
        request,
        "sign_in_refused.html",
        None,
        refused.status,
        title=refused.title,
        reason=refused.reason,
        name=refused.name,
        zone=None,
    )
    response.delete_cookie(FLOW_COOKIE, **_cookie_options(request.app.state.settings))
    return response


def _failure(exc: Exception) -> SignInRefused:
    """An exception of the flow, in words; the provider's own message is logged by kind only."""
    if isinstance(exc, SignInRefused):
        return exc
    log.warning("single sign-on failed: %s", type(exc).__name__)
    if isinstance(exc, _HTTP_ERRORS):
        return SignInRefused(502, "Sign-in failed", "The sign-in provider did not answer. Try again later.")
    if isinstance(exc, JoseError):
        return SignInRefused(
            401,
            "Sign-in failed",
            "The provider's ID token did not verify (signature, issuer, audience, expiry or nonce).",
        )
    if isinstance(exc, LineageError):  # lineage's own words: a disabled account, a name too long
        return SignInRefused(403, "Sign-in refused", f"This account cannot sign in here: {exc}.")
    if isinstance(exc, DriverError):
        return SignInRefused(503, "Sign-in failed", "The graph is not answering. Try again later.")
    if isinstance(exc, AuthlibBaseError):
        return SignInRefused(502, "Sign-in failed", "The provider refused to exchange the sign-in's code.")
    return SignInRefused(502, "Sign-in failed", "The sign-in could not be completed. Try again.")


# --- the routes -------------------------------------------------------------------------------


@router.get("/login/oidc")
def start(request: Request) -> Response:
    """To the provider's sign-in page, with a new state, nonce and PKCE challenge."""
    settings: Settings = request.app.state.settings
    oidc = settings.oidc
    if not oidc.enabled:
        return _refused_page(request, NOT_CONFIGURED)
    try:
        client = provider(request)
        _metadata(client, oidc)
        flow = client.create_authorization_url(
            redirect_uri(settings), code_verifier=secrets.token_urlsafe(48), nonce=secrets.token_urlsafe(24)
        )
    except Exception as exc:
        return _refused_page(request, _failure(exc))
    response = RedirectResponse(flow["url"], status_code=303)
    kept = {"state": flow["state"], "nonce": flow["nonce"], "verifier": flow["code_verifier"]}
    value = encode_flow(oidc, kept)
    response.set_cookie(FLOW_COOKIE, value, max_age=FLOW_SECONDS, **_cookie_options(settings))
    return response


@router.get("/login/oidc/callback")
def callback(request: Request) -> Response:
    """Back from the provider: state, code, ID token and role checked, then a session."""
    settings: Settings = request.app.state.settings
    oidc = settings.oidc
    if not oidc.enabled:
        return _refused_page(request, NOT_CONFIGURED)
    try:
        account = _account(request, settings)
    except Exception as exc:
        refused = _failure(exc)
        _record_refusal(request, settings, refused)
        return _refused_page(request, refused)
    try:
        # Known to lineage from now on (users list), with the role the provider gives it today;
        # an account disabled here, or a local account of the same name, is refused.
        accounts.sso_user(request.app.state.graph_driver, settings, account.name, account.role)
    except (LineageError, DriverError) as exc:
        refused = _failure(exc)
        refused.name = account.name
        _record_refusal(request, settings, refused)
        return _refused_page(request, refused)
    response = page(request, "signed_in.html", None, account=account, zone=None)
    response.delete_cookie(FLOW_COOKIE, **_cookie_options(settings))
    sessions.start(request, response, Actor(account.name, account.role, "account"))
    return response


def _record_refusal(request: Request, settings: Settings, refused: SignInRefused) -> None:
    """A refused sign-in in the audit trail, as a refused password is: under the account's name
    when the provider vouched for one, else ``(none)``. A refusal the trail cannot take is still
    a refusal: it is logged, and the page says why the sign-in stopped."""
    actor = Actor(refused.name or "(none)", None, "account", address=client_address(request))
    outcome = "refused" if refused.status < 500 else "failed"
    try:
        audit.record(
            request.app.state.graph_driver, settings, actor, "session.login", target=None, outcome=outcome
        )
    except (LineageError, DriverError) as exc:
        log.warning("a refused single sign-on was not recorded: %s", type(exc).__name__)


def _account(request: Request, settings: Settings) -> Account:
    oidc, query = settings.oidc, request.query_params
    flow = decode_flow(oidc, request.cookies.get(FLOW_COOKIE))
    if flow is None:
        raise SignInRefused(
            400, "Sign-in expired", "This sign-in has expired or was not started here. Start again."
        )
    if not hmac.compare_digest(query.get("state", "").encode(), flow["state"].encode()):
        raise SignInRefused(
            400, "Sign-in refused", "The sign-in's state does not match the one sent. Start again."
        )
    client = provider(request)
    metadata = _metadata(client, oidc)
    if "error" in query:
        raise SignInRefused(403, "Sign-in refused", "The provider did not sign you in.")
    # RFC 9207: a provider that says it names itself in the response must do so (mix-up attacks).
    issuer = query.get("iss")
    iss_promised = metadata.get("authorization_response_iss_parameter_supported")
    if (issuer is not None or iss_promised) and issuer != metadata["issuer"]:
        raise SignInRefused(400, "Sign-in refused", "The response names another issuer than the provider's.")
    code = query.get("code")
    if not code:
        raise SignInRefused(400, "Sign-in refused", "The provider's response carries no code.")
    token = client.fetch_access_token(redirect_uri(settings), code=code, code_verifier=flow["verifier"])
    if "id_token" not in token:
        raise SignInRefused(502, "Sign-in failed", "The provider answered without an ID token.")
    claims = client.parse_id_token(token, nonce=flow["nonce"], leeway=60)
    return account_for(claims, oidc)
