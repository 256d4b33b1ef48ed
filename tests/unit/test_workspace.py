"""The workspace's door, without servers: signed sessions, CSRF, cookie flags, errors as pages.

Served in-process (httpx's ASGI transport, over https so the Secure cookie travels) with a Neo4j
driver that is always down: a page that gets past the session answers 503 as a page.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from lineage.api.app import create_api
from lineage.settings import ApiSettings, KafkaSettings, Neo4jSettings, Settings
from lineage.web import session as sessions
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


async def logged_in(client: httpx.AsyncClient) -> str:
    login = await client.get("/ui/login")
    answer = await client.post("/ui/login", data={"token": TOKEN, "csrf": csrf_of(login)})
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/"  # the overview
    return csrf_of(await client.get("/ui/person"))


class TestSessionCookie:
    def test_round_trips_and_refuses_a_forgery(self) -> None:
        config, session = settings(), sessions.Session(True, "c", int(time.time()) + 60)
        value = sessions.encode(config, session)
        assert sessions.decode(config, value) == session
        payload, _, signature = value.partition(".")
        forged = sessions._b64(sessions._unb64(payload).replace(b'"in":true', b'"in":false'))
        assert sessions.decode(config, f"{forged}.{signature}") is None
        assert sessions.decode(config, "garbage") is None and sessions.decode(config, "a.!!") is None

    def test_a_new_token_ends_every_session_and_old_ones_expire(self) -> None:
        value = sessions.encode(settings(), sessions.Session(True, "c", int(time.time()) + 60))
        assert sessions.decode(settings("another-token-9e0f"), value) is None
        stale = sessions.encode(settings(), sessions.Session(True, "c", int(time.time()) - 1))
        assert sessions.decode(settings(), stale) is None

    def test_secure_flag_is_dropped_on_loopback_only(self) -> None:
        assert ApiSettings(host="127.0.0.1", insecure_session_cookie=True).insecure_session_cookie
        with pytest.raises(ValidationError, match="only allowed with"):
            ApiSettings(host="0.0.0.0", insecure_session_cookie=True)


class TestLogin:
    def test_cookie_is_secure_http_only_strict_and_names_nobody(self) -> None:
        async def steps(client: httpx.AsyncClient) -> str:
            login = await client.get("/ui/login")
            answer = await client.post("/ui/login", data={"token": TOKEN, "csrf": csrf_of(login)})
            return answer.headers["set-cookie"]

        cookie = browse(steps).lower()
        for flag in ("secure", "httponly", "samesite=strict", "path=/ui"):
            assert flag in cookie
        assert TOKEN.lower() not in cookie

    def test_a_wrong_token_or_a_forged_form_is_refused(self) -> None:
        async def steps(client: httpx.AsyncClient) -> list[int]:
            login = await client.get("/ui/login")
            wrong = await client.post("/ui/login", data={"token": "nope", "csrf": csrf_of(login)})
            assert "nope" not in wrong.text
            forged = await client.post("/ui/login", data={"token": TOKEN, "csrf": "forged"})
            after = await client.get("/ui/alerts")
            return [wrong.status_code, forged.status_code, after.status_code]

        assert browse(steps) == [401, 403, 303]

    def test_pages_need_a_session_and_forms_their_csrf_token(self) -> None:
        async def steps(client: httpx.AsyncClient) -> dict[str, int]:
            before = await client.get("/ui/transfers")
            csrf = await logged_in(client)
            no_csrf = await client.post("/ui/person", data={"identifier": PERSON})
            down = await client.post("/ui/person", data={"identifier": PERSON, "csrf": csrf})
            assert PERSON not in down.text and "not answering" in down.text
            assert down.headers["cache-control"] == "no-store"
            assert "frame-ancestors 'none'" in down.headers["content-security-policy"]
            out = await client.post("/ui/logout", data={"csrf": csrf})
            again = await client.get("/ui/person")
            return {
                "before": before.status_code,
                "no_csrf": no_csrf.status_code,
                "down": down.status_code,
                "out": out.status_code,
                "again": again.status_code,
            }

        assert browse(steps) == {"before": 303, "no_csrf": 403, "down": 503, "out": 303, "again": 303}

    def test_off_until_the_token_is_set(self) -> None:
        async def steps(client: httpx.AsyncClient) -> int:
            return (await client.get("/ui/login")).status_code

        assert browse(steps, token=None) == 503


def test_static_files_are_the_packaged_ones_only() -> None:
    async def steps(client: httpx.AsyncClient) -> list[int]:
        names = ("vendor/cytoscape.min.js", "graph.js", "app.css", "../pages.py", "templates/base.html")
        return [(await client.get(f"/ui/static/{name}")).status_code for name in names]

    assert browse(steps) == [200, 200, 200, 404, 404]


def test_every_page_names_the_zone_its_times_are_in() -> None:
    async def steps(client: httpx.AsyncClient) -> str:
        await logged_in(client)
        return (await client.get("/ui/person")).text

    assert 'id="zone"' in browse(steps) and "times in Europe/Paris" in browse(steps)
