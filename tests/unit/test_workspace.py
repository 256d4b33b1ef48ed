"""The workspace's door, without servers: the login form's CSRF, cookie flags, errors as pages.

Served in-process (httpx's ASGI transport, over https so the Secure cookie travels) with a Neo4j
driver that is always down: a page that gets past the session answers 503 as a page.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from lineage.api.app import create_api
from lineage.settings import ApiSettings, KafkaSettings, Neo4jSettings, Settings
from tests.unit.test_api_queries import DownDriver

TOKEN = "workspace-token-77aa"
PERSON = "lea.martin@example.fr"


def settings(token: str | None = TOKEN) -> Settings:
    return Settings(
        kafka=KafkaSettings(bootstrap="127.0.0.1:9"),
        neo4j=Neo4jSettings(uri="bolt://127.0.0.1:9"),
        subject_key="unit-test-subject-key",
        api=ApiSettings(query_token=token),
    )


def browse(steps: Callable[[httpx.AsyncClient], Awaitable[Any]], token: str | None = TOKEN) -> Any:
    async def run() -> Any:
        app = create_api(settings(token), graph_driver=DownDriver())  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://lineage.test") as client:
            return await steps(client)

    return asyncio.run(run())


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


class TestSessionCookie:
    def test_secure_flag_is_dropped_on_loopback_only(self) -> None:
        assert ApiSettings(host="127.0.0.1", insecure_session_cookie=True).insecure_session_cookie
        with pytest.raises(ValidationError, match="only allowed with"):
            ApiSettings(host="0.0.0.0", insecure_session_cookie=True)


class TestLogin:
    def test_a_forged_form_is_refused_before_any_password_is_checked(self) -> None:
        async def steps(client: httpx.AsyncClient) -> list[int]:
            await client.get("/ui/login")
            forged = await client.post(
                "/ui/login", data={"name": "ana", "password": "p" * 12, "csrf": "forged"}
            )
            after = await client.get("/ui/alerts")
            return [forged.status_code, after.status_code]

        assert browse(steps) == [403, 303]

    def test_the_login_form_carries_its_own_csrf_cookie(self) -> None:
        async def steps(client: httpx.AsyncClient) -> tuple[str, str]:
            login = await client.get("/ui/login")
            return csrf_of(login), login.headers["set-cookie"].lower()

        token, cookie = browse(steps)
        assert f"lineage_login={token.lower()}" in cookie
        for flag in ("secure", "httponly", "samesite=strict", "path=/ui"):
            assert flag in cookie

    def test_pages_send_whoever_has_no_session_to_the_login(self) -> None:
        async def steps(client: httpx.AsyncClient) -> list[tuple[int, str]]:
            answers = [await client.get(path) for path in ("/ui/", "/ui/transfers", "/ui/person")]
            return [(a.status_code, a.headers.get("location", "")) for a in answers]

        assert browse(steps) == [(303, "/ui/login")] * 3

    def test_a_graph_that_is_down_is_a_page_not_a_crash(self) -> None:
        async def steps(client: httpx.AsyncClient) -> httpx.Response:
            login = await client.get("/ui/login")
            return await client.post(
                "/ui/login", data={"name": PERSON, "password": "p" * 12, "csrf": csrf_of(login)}
            )

        down = browse(steps)
        assert down.status_code == 503 and PERSON not in down.text
        assert down.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in down.headers["content-security-policy"]


def test_static_files_are_the_packaged_ones_only() -> None:
    async def steps(client: httpx.AsyncClient) -> list[int]:
        names = ("vendor/cytoscape.min.js", "graph.js", "app.css", "../pages.py", "templates/base.html")
        return [(await client.get(f"/ui/static/{name}")).status_code for name in names]

    assert browse(steps) == [200, 200, 200, 404, 404]
