"""Who may do what, over real HTTP against a real Neo4j: every route of the app, for every role.

The matrix walks the app's own route table, so a route added without a declared permission
fails here (unless it is one of the few public doors, each with its own credential). Then the
doors themselves: failed attempts limited per address and per account, tokens revoked and
expired, sessions that end on the server at sign-out, at a role change and by an admin.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from neo4j import Driver

from graph.connection import open_driver
from lineage.answers import accounts
from lineage.api.app import create_api
from lineage.domain.access import ROLE_PERMISSIONS, Permission, Role
from lineage.settings import ApiSettings, Settings
from tests.integration.test_api import served

pytestmark = pytest.mark.integration
# A loaded two-core machine may take seconds to answer; httpx's default of five is too short.
http = httpx.Client(timeout=60)

PASSWORD = "correct horse battery staple"
# Doors with a credential of their own (a source's signature, a notice's token, Prometheus's
# token) or none by nature (signing in, the health check, the workspace's own CSS and JS).
PUBLIC = {
    ("POST", "/webhooks/{source}"),
    ("POST", "/api/v1/lineage"),
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("POST", "/erasure-requests/{request_id}/tasks/{task}/ack"),
    ("POST", "/requests/{request_id}/tasks/{task}/ack"),
    ("GET", "/ui/login"),
    ("POST", "/ui/login"),
    ("GET", "/ui/static/{name:path}"),
    ("GET", "/ui/login/oidc"),
    ("GET", "/ui/login/oidc/callback"),
    ("POST", "/ui/logout"),  # any signed-in role; checked on its own below
}


def _settings(pipeline: Settings, **api: Any) -> Settings:
    return pipeline.model_copy(
        update={"api": ApiSettings(insecure_session_cookie=True, max_body_bytes=65536, **api)}
    )


@pytest.fixture
def access(pipeline: Settings) -> Settings:
    return _settings(pipeline)


@pytest.fixture
def driver(access: Settings) -> Iterator[Driver]:
    with open_driver(access) as opened:
        yield opened


@dataclass
class Credentials:
    tokens: dict[Role, str]
    sessions: dict[Role, httpx.Client]


def sign_in(url: str, name: str, password: str = PASSWORD) -> httpx.Response:
    """Signs in on the login form, as a browser does: the form's CSRF token, then the post."""
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=60)
    form = client.get("/ui/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf, "the login form carries a CSRF token"
    response = client.post("/ui/login", data={"csrf": csrf.group(1), "name": name, "password": password})
    response.extensions["client"] = client
    return response


def signed_in_client(url: str, name: str) -> httpx.Client:
    response = sign_in(url, name)
    assert response.status_code == 303, response.text
    client: httpx.Client = response.extensions["client"]
    return client


def csrf_of(client: httpx.Client) -> str:
    page = client.get("/ui/")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:300]
    return found.group(1)


@pytest.fixture
def everyone(access: Settings, driver: Driver) -> Iterator[tuple[str, Credentials]]:
    tokens = {}
    for role in Role:
        accounts.add_user(driver, access, f"{role.value}-person", role.value, PASSWORD)
        tokens[role] = accounts.add_client(driver, access, f"{role.value}-program", role.value).token
    with served(access) as url:
        sessions = {role: signed_in_client(url, f"{role.value}-person") for role in Role}
        yield url, Credentials(tokens, sessions)
        for client in sessions.values():
            client.close()


def _permission(route: APIRoute) -> Permission | None:
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        found = getattr(dependant.call, "permission", None)
        if found is not None:
            return Permission(found)
        pending.extend(dependant.dependencies)
    return None


def _routes(settings: Settings) -> list[tuple[str, str, Permission | None]]:
    app = create_api(settings, sink=_NoSink(), graph_driver=None)
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.route, APIRoute):
            for method in sorted(context.methods or ()):
                found.append((method, context.path, _permission(context.route)))
    return found


class _NoSink:
    """The matrix never publishes; create_api wants a sink it need not start here."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_route_declares_its_permission_or_is_a_known_public_door(access: Settings) -> None:
    undeclared = [
        (m, p) for m, p, permission in _routes(access) if permission is None and (m, p) not in PUBLIC
    ]
    assert undeclared == []
    assert len(_routes(access)) > 40


def test_every_route_answers_each_role_as_its_permission_says(
    access: Settings, everyone: tuple[str, Credentials]
) -> None:
    url, credentials = everyone
    wrong: list[str] = []
    checked = 0
    for method, path, permission in _routes(access):
        if permission is None:
            continue
        target = _concrete(path)
        ui = path.startswith("/ui")
        anonymous = httpx.request(method, url + target, follow_redirects=False, timeout=30)
        expected_anonymous = 303 if ui else 401
        if anonymous.status_code != expected_anonymous:
            wrong.append(f"{method} {path} without credential: {anonymous.status_code}")
        for role in Role:
            allowed = permission in ROLE_PERMISSIONS[role]
            if ui:
                client = credentials.sessions[role]
                data = {"csrf": csrf_of(client)} if method == "POST" else None
                answer = client.request(method, target, data=data, timeout=60)
            else:
                headers = {"Authorization": f"Bearer {credentials.tokens[role]}"}
                answer = httpx.request(method, url + target, headers=headers, json={}, timeout=60)
            denied = answer.status_code in (401, 403) or (
                ui and answer.status_code == 303 and "login" in answer.headers.get("location", "")
            )
            if allowed == denied:
                wrong.append(f"{method} {path} as {role}: {answer.status_code} (allowed: {allowed})")
            checked += 1
    assert wrong == []
    assert checked >= 3 * 40


def test_denials_and_person_lookups_name_their_actor_in_the_audit_trail(
    access: Settings, driver: Driver, everyone: tuple[str, Credentials]
) -> None:
    from lineage.answers import audit

    url, credentials = everyone
    viewer = {"Authorization": f"Bearer {credentials.tokens[Role.VIEWER]}"}
    dpo = {"Authorization": f"Bearer {credentials.tokens[Role.DPO]}"}
    assert (
        http.post(f"{url}/subject", headers=viewer, json={"identifier": "lea@example.fr"}).status_code == 403
    )
    assert http.post(f"{url}/subject", headers=dpo, json={"identifier": "lea@example.fr"}).status_code == 200
    found = audit.entries(driver, access, audit.AuditFilters(), None, 100).entries
    denied = [e for e in found if e.outcome == "denied" and e.actor == "viewer-program"]
    looked = [e for e in found if e.action == "person.lookup" and e.actor == "dpo-program"]
    assert denied and denied[0].role == "viewer" and denied[0].kind == "client"
    assert looked and looked[0].outcome == "ok" and looked[0].role == "dpo"
    assert looked[0].target and "lea" not in looked[0].target  # the keyed hash, never the address
    assert audit.verify(driver, access).ok


def test_failed_tokens_are_limited_per_address_even_for_the_right_one_after(
    pipeline: Settings, driver: Driver
) -> None:
    settings = _settings(pipeline, failed_auth_per_address="5/10minutes")
    good = accounts.add_client(driver, settings, "dashboard", "viewer").token
    with served(settings) as url:
        for _ in range(5):
            assert http.get(f"{url}/alerts", headers={"Authorization": "Bearer lin_wrong"}).status_code == 401
        limited = http.get(f"{url}/alerts", headers={"Authorization": f"Bearer {good}"})
    assert limited.status_code == 429
    assert limited.json()["error"] == "too_many_attempts"
    assert int(limited.headers["Retry-After"]) >= 1


def test_failed_sign_ins_are_limited_per_account_from_any_address(pipeline: Settings, driver: Driver) -> None:
    settings = _settings(pipeline, failed_auth_per_account="3/10minutes")
    accounts.add_user(driver, settings, "ana", "dpo", PASSWORD)
    with served(settings) as url:
        for _ in range(3):
            assert sign_in(url, "ana", "not the password").status_code == 401
        assert sign_in(url, "ana", PASSWORD).status_code == 429
        assert sign_in(url, "someone-else", "not the password").status_code == 401  # another account


def test_a_revoked_or_expired_token_stops_working(access: Settings, driver: Driver) -> None:
    revoked = accounts.add_client(driver, access, "old-dashboard", "viewer").token
    expired = accounts.add_client(driver, access, "short-lived", "viewer", expires_days=1).token
    driver.execute_query(
        "MATCH (c:ApiClient {name: 'short-lived'}) SET c.expires_at = datetime() - duration('PT1S')",
        database_=access.neo4j.database,
    )
    with served(access) as url:
        assert http.get(f"{url}/alerts", headers={"Authorization": f"Bearer {revoked}"}).status_code == 200
        accounts.revoke_client(driver, access, "old-dashboard")
        assert http.get(f"{url}/alerts", headers={"Authorization": f"Bearer {revoked}"}).status_code == 401
        assert http.get(f"{url}/alerts", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    statuses = {client.name: client.status for client in accounts.clients(driver, access)}
    assert statuses == {"old-dashboard": "revoked", "short-lived": "expired"}
    stored = driver.execute_query(
        "MATCH (c:ApiClient) RETURN c.token_hash AS h", database_=access.neo4j.database
    )
    assert revoked not in {record["h"] for record in stored.records}  # only a hash is kept


def _still_signed_in(client: httpx.Client, cookie: str) -> bool:
    """Whether a copy of the session cookie, sent by another client, still opens the workspace."""
    copy = httpx.Client(base_url=str(client.base_url), cookies={"lineage_session": cookie}, timeout=60)
    return copy.get("/ui/", follow_redirects=False).status_code == 200


def test_sessions_end_on_the_server_at_sign_out_role_change_and_by_an_admin(
    access: Settings, driver: Driver
) -> None:
    accounts.add_user(driver, access, "ana", "dpo", PASSWORD)
    with served(access) as url:
        ana = signed_in_client(url, "ana")
        cookie = ana.cookies["lineage_session"]
        assert ana.post("/ui/logout", data={"csrf": csrf_of(ana)}).status_code == 303
        assert not _still_signed_in(ana, cookie)

        ana = signed_in_client(url, "ana")
        cookie = ana.cookies["lineage_session"]
        assert _still_signed_in(ana, cookie)
        accounts.add_user(driver, access, "ana", "viewer", None)
        assert not _still_signed_in(ana, cookie)

        ana = signed_in_client(url, "ana")
        cookie = ana.cookies["lineage_session"]
        admin_token = accounts.add_client(driver, access, "ops", "admin").token
        ended = http.post(
            f"{url}/admin/users/ana/sessions/end",
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=60,
        )
        assert ended.status_code == 200 and ended.json()["ended"] == 1
        assert not _still_signed_in(ana, cookie)


def test_passwords_are_stored_as_argon2id_hashes(access: Settings, driver: Driver) -> None:
    accounts.add_user(driver, access, "ana", "dpo", PASSWORD)
    stored = driver.execute_query(
        "MATCH (a:Account {name: 'ana'}) RETURN a.password_hash AS h", database_=access.neo4j.database
    ).records[0]["h"]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.signed_in(driver, access, "ana", PASSWORD) is not None
    assert accounts.signed_in(driver, access, "ana", PASSWORD + "!") is None


@pytest.mark.browser
def test_an_admin_manages_accounts_and_clients_in_the_browser_and_a_viewer_sees_only_aggregates(
    access: Settings, driver: Driver, browser: Any
) -> None:
    accounts.add_user(driver, access, "root-admin", "admin", PASSWORD)
    with served(access) as url:
        context = browser.new_context()
        tab = context.new_page()
        tab.goto(f"{url}/ui/login")
        tab.fill("input[name=name]", "root-admin")
        tab.fill("input[name=password]", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url(re.compile(r".*/ui/$"))
        assert "root-admin · admin" in tab.inner_text("#who")
        tab.click("text=Accounts")
        tab.fill("#save-user input[name=name]", "vera")
        tab.select_option("#save-user select[name=role]", "viewer")
        tab.fill("#save-user input[name=password]", PASSWORD)
        tab.click("#save-user button")
        assert "viewer" in tab.inner_text("tr[data-user=vera]")
        tab.fill("#add-client input[name=name]", "grafana")
        tab.select_option("#add-client select[name=role]", "viewer")
        tab.click("#add-client button")
        token = tab.inner_text("#token").strip()
        assert token.startswith("lin_")
        assert (
            http.get(f"{url}/alerts", headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code
            == 200
        )
        tab.click("tr[data-client=grafana] button")
        assert "revoked" in tab.inner_text("tr[data-client=grafana] .status")
        assert (
            http.get(f"{url}/alerts", headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code
            == 401
        )
        assert token not in tab.content()  # shown once, on the page that made it
        context.close()

        context = browser.new_context()
        tab = context.new_page()
        tab.goto(f"{url}/ui/login")
        tab.fill("input[name=name]", "vera")
        tab.fill("input[name=password]", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url(re.compile(r".*/ui/$"))
        nav = tab.inner_text("nav")
        assert "Transfers" in nav and "Person" not in nav and "Audit" not in nav and "Accounts" not in nav
        assert tab.goto(f"{url}/ui/person").status == 403
        context.close()

    from lineage.answers import audit

    actions = {
        (e.actor, e.action, e.outcome)
        for e in audit.entries(driver, access, audit.AuditFilters(), None, 100).entries
    }
    assert {
        ("root-admin", "user.save", "ok"),
        ("root-admin", "client.add", "ok"),
        ("root-admin", "client.revoke", "ok"),
    } <= actions
    assert ("vera", "GET /ui/person", "denied") in actions
