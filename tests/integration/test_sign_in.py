"""Single sign-on in a real browser against a real OpenID provider.

The provider is panva's ``oidc-provider`` (OpenID Certified) under Node (tests/openid_provider.py),
with one confidential client that must use PKCE; ``lineage serve`` runs as a child process on
the session's Neo4j (sessions and the audit trail live there); Playwright drives Debian's
``/usr/bin/chromium`` (the shared ``browser`` fixture). The provider is
``http://localhost:<port>`` and lineage ``http://127.0.0.1:<port>``: two sites to the browser,
as in production, so the cookies sent on the way back from the provider are the ones a browser
really sends.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from lineage.answers import accounts, audit
from lineage.answers.connection import open_driver
from lineage.settings import Settings
from tests import openid_provider
from tests.integration.serve import free_port, lineage_serve

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "sign_in"
ROLE_MAP = {"lineage-viewer": "viewer", "lineage-dpo": "dpo", "lineage-admin": "admin"}


@dataclass(frozen=True)
class Served:
    url: str
    provider: openid_provider.Provider
    settings: Settings


@pytest.fixture
def served(pipeline: Settings, tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secret = secrets.token_urlsafe(32)
    callback = f"{url}/ui/login/oidc/callback"
    with openid_provider.running(free_port(), callback, tmp_path / "provider.log", secret) as provider:
        env = {
            "LINEAGE_API_INSECURE_SESSION_COOKIE": "true",
            "LINEAGE_API_PUBLIC_URL": url,
            "LINEAGE_OIDC_ISSUER": provider.issuer,
            "LINEAGE_OIDC_CLIENT_ID": provider.client_id,
            "LINEAGE_OIDC_CLIENT_SECRET": secret,
            "LINEAGE_OIDC_PROVIDER_NAME": "Test ID",
            "LINEAGE_OIDC_ROLE_CLAIM": openid_provider.ROLE_CLAIM,
            "LINEAGE_OIDC_ROLE_MAP": json.dumps(ROLE_MAP),
            "LINEAGE_OIDC_NAME_CLAIM": "name",
        }
        with lineage_serve(pipeline, tmp_path / "serve.log", env, port=port) as served_url:
            yield Served(served_url, provider, pipeline)


class Visit:
    """A fresh browser (no cookies) signing in at the provider, noting what it requested."""

    def __init__(self, browser: Any, served: Served) -> None:
        self.served = served
        self.context = browser.new_context()
        self.tab = self.context.new_page()
        self.requests: list[str] = []
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.tab.on("request", lambda r: self.requests.append(r.url))
        self.tab.on("pageerror", lambda e: self.problems.append(str(e)))
        self.tab.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def sign_in(self, username: str, password: str | None = None) -> Any:
        """From the workspace's login page through the provider's form, back to lineage."""
        tab = self.tab
        tab.goto(f"{self.served.url}/ui/login")
        assert tab.inner_text("#sso") == "Sign in with Test ID"
        tab.click("#sso")
        tab.wait_for_url(re.compile(rf"^{re.escape(self.served.provider.issuer)}/interaction/"))
        tab.fill("input[name=username]", username)
        tab.fill("input[name=password]", password or openid_provider.PASSWORDS[username])
        tab.click("#provider-sign-in")
        tab.wait_for_url(re.compile(rf"^{re.escape(self.served.url)}/ui/"))
        tab.wait_for_load_state()
        return tab

    def cookies(self) -> dict[str, dict[str, Any]]:
        return {c["name"]: c for c in self.context.cookies() if c["domain"] == "127.0.0.1"}

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.tab.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")


def test_a_dpo_signs_in_at_the_provider_and_lands_in_the_workspace(served: Served, browser: Any) -> None:
    visit = Visit(browser, served)
    tab = visit.sign_in("dana")
    tab.wait_for_url(f"{served.url}/ui/")  # the signed-in page moves on to the overview
    visit.shot("dpo-overview")
    assert tab.inner_text("#who") == "Dana Privacy · dpo"
    cookies = visit.cookies()
    session = cookies["lineage_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict" and session["path"] == "/ui"
    assert "lineage_oidc_flow" not in cookies  # used once, then gone

    # The authorization request: code flow, PKCE S256, a state and a nonce; nothing came back
    # in a URL but the one-time code and the state.
    authorize = next(u for u in visit.requests if u.startswith(f"{served.provider.issuer}/auth?"))
    asked = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
    assert len(asked["code_challenge"]) == 43 and asked["state"] and asked["nonce"]
    assert asked["redirect_uri"] == f"{served.url}/ui/login/oidc/callback"
    back = next(u for u in visit.requests if u.startswith(f"{served.url}/ui/login/oidc/callback?"))
    assert set(parse_qs(urlsplit(back).query)) == {"code", "state", "iss"}

    # The dpo role is the dpo's: one person's page opens.
    answer = tab.goto(f"{served.url}/ui/person")
    assert answer is not None and answer.status == 200 and tab.url == f"{served.url}/ui/person"
    assert visit.problems == [] and visit.dialogs == []

    with open_driver(served.settings) as driver:
        recorded = audit.entries(driver, served.settings, audit.AuditFilters(action="session.login"))
        logins = [(e.actor, e.role, e.kind, e.outcome) for e in recorded.entries]
        known = {a.name: (a.role, a.source) for a in accounts.users(driver, served.settings)}
    assert ("Dana Privacy", "dpo", "account", "ok") in logins
    assert known["Dana Privacy"] == ("dpo", "sso")


def test_a_viewer_gets_the_viewer_role_only(served: Served, browser: Any) -> None:
    visit = Visit(browser, served)
    tab = visit.sign_in("vic")
    tab.wait_for_url(f"{served.url}/ui/")
    assert tab.inner_text("#who") == "Vic Viewer · viewer"
    answer = tab.goto(f"{served.url}/ui/person")
    assert answer is not None and answer.status == 403


def test_an_account_whose_claim_maps_to_no_role_is_refused(served: Served, browser: Any) -> None:
    visit = Visit(browser, served)
    tab = visit.sign_in("nora")
    visit.shot("no-role")
    assert tab.inner_text("h1") == "No lineage role"
    assert "Your account has no lineage role" in tab.inner_text("#error")
    assert tab.inner_text("#account") == "Signed in at the provider as Nora <b>No-Role</b>."
    assert "lineage_session" not in visit.cookies()
    tab.goto(f"{served.url}/ui/")
    assert tab.url == f"{served.url}/ui/login"

    # A name made of markup is shown as text, never run.
    visit = Visit(browser, served)
    tab = visit.sign_in("mallory")
    assert tab.inner_text("#account") == "Signed in at the provider as <img src=x onerror=alert(1)>."
    assert tab.locator("main img").count() == 0 and tab.locator("main b").count() == 0
    assert visit.dialogs == [] and visit.problems == []

    with open_driver(served.settings) as driver:
        recorded = audit.entries(driver, served.settings, audit.AuditFilters(outcome="refused"))
    assert ("Nora <b>No-Role</b>", "session.login") in [(e.actor, e.action) for e in recorded.entries]


def test_a_local_account_of_the_same_name_is_not_taken_over(served: Served, browser: Any) -> None:
    with open_driver(served.settings) as driver:
        accounts.add_user(driver, served.settings, "Vic Viewer", "admin", "a local password, long enough")
    visit = Visit(browser, served)
    tab = visit.sign_in("vic")
    assert tab.inner_text("h1") == "Sign-in refused"
    assert "a local account has this name" in tab.inner_text("#error")
    assert "lineage_session" not in visit.cookies()
    with open_driver(served.settings) as driver:
        local = accounts.user(driver, served.settings, "Vic Viewer")
    assert (local.role, local.source) == ("admin", "local")


def test_a_tampered_state_is_refused(served: Served, browser: Any) -> None:
    """The provider's answer to the login form is taken over: its redirects are followed with the
    browser's own cookies up to lineage's callback URL, whose state is changed before the
    browser goes there. (A route sees the first request of a redirect chain only.)"""
    visit = Visit(browser, served)
    sent_back: list[str] = []

    def tamper(route: Any) -> None:
        resume = route.fetch(max_redirects=0).headers["location"]
        back = visit.context.request.get(urljoin(route.request.url, resume), max_redirects=0)
        callback = back.headers["location"]
        sent_back.append(callback)
        route.fulfill(status=303, headers={"location": re.sub(r"state=[^&]*", "state=tampered", callback)})

    visit.context.route(re.compile(r".*/interaction/[^/]+/login$"), tamper)
    tab = visit.sign_in("dana")
    visit.shot("tampered-state")
    assert sent_back and sent_back[0].startswith(f"{served.url}/ui/login/oidc/callback?code=")
    assert tab.inner_text("h1") == "Sign-in refused"
    assert "state does not match" in tab.inner_text("#error")
    assert "lineage_session" not in visit.cookies() and "lineage_oidc_flow" not in visit.cookies()


def test_the_provider_requires_pkce_s256_of_this_client(served: Served) -> None:
    """Without a code challenge, or with the plain method, the provider itself refuses: the
    flow above passed because lineage sent S256."""
    issuer = served.provider.issuer
    metadata = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    base = {
        "client_id": served.provider.client_id,
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": f"{served.url}/ui/login/oidc/callback",
        "state": "s",
        "nonce": "n",
    }
    for extra in ({}, {"code_challenge": "x" * 43, "code_challenge_method": "plain"}):
        answer = httpx.get(metadata["authorization_endpoint"], params=base | extra)
        assert answer.status_code in (302, 303), answer.text
        refused = parse_qs(urlsplit(answer.headers["location"]).query)
        assert refused["error"] == ["invalid_request"], refused
