"""The query endpoints fail closed and cheap: token first, body bounded, reasons without values.

Served in-process (httpx's ASGI transport) with a Neo4j driver that is always down, so a request
that gets past every check answers 503 ``graph_unavailable``: that is how these tests see a body
accepted without a graph.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from neo4j.exceptions import ServiceUnavailable

from lineage.api.app import create_api
from lineage.api.erasure import router as erasure_router
from lineage.api.queries import router as query_router
from lineage.api.ropa import router as ropa_router
from lineage.api.transfers import router as transfers_router
from lineage.api.webhooks import router as webhook_router
from lineage.settings import ApiSettings, KafkaSettings, Neo4jSettings, Settings

QUERY_TOKEN = "query-token-3d9c"
AUTH = {"Authorization": f"Bearer {QUERY_TOKEN}"}
LIMIT = 64 * 1024
PERSON = "lea.martin@example.fr"
QUERY_ROUTERS: tuple[APIRouter, ...] = (query_router, transfers_router, ropa_router, erasure_router)


class DownDriver:
    """Neo4j as seen during an outage: every query fails at once.

    Reads retry what is retryable for ``graph.reader.READ_RETRY_S``; ``no_read_retries`` sets
    that to zero where this driver stands in, so an outage answers at once."""

    execute_query_bookmark_manager = None

    def execute_query(self, *_args: Any, **_kwargs: Any) -> Any:
        raise ServiceUnavailable("Neo4j is down")

    def session(self, *_args: Any, **_kwargs: Any) -> Any:
        raise ServiceUnavailable("Neo4j is down")

    def close(self) -> None:
        return None


def settings(query_token: str | None = QUERY_TOKEN) -> Settings:
    return Settings(
        kafka=KafkaSettings(bootstrap="127.0.0.1:9"),
        neo4j=Neo4jSettings(uri="bolt://127.0.0.1:9"),
        subject_key="unit-test-subject-key",
        api=ApiSettings(query_token=query_token, max_body_bytes=LIMIT),
    )


def request(
    method: str,
    path: str,
    *,
    content: Any = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    query_token: str | None = QUERY_TOKEN,
) -> httpx.Response:
    async def send() -> httpx.Response:
        app = create_api(settings(query_token), graph_driver=DownDriver())  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lineage.test") as client:
            return await client.request(
                method, path, content=content, headers=dict(headers or {}), params=params
            )

    return asyncio.run(send())


def body_routes() -> list[tuple[str, str]]:
    return [("POST", "/holds"), ("POST", "/erasure-requests"), ("POST", "/holds/h-1/release")]


class TestTokenFirst:
    def test_no_route_has_fastapi_read_its_body_before_the_dependencies(self) -> None:
        routes = [r for router in (*QUERY_ROUTERS, webhook_router) for r in router.routes]
        assert routes and all(isinstance(r, APIRoute) and r.body_field is None for r in routes)

    @pytest.mark.parametrize("method, path", body_routes())
    @pytest.mark.parametrize("token", [None, "wrong"])
    def test_malformed_json_without_a_valid_token_gets_401(
        self, method: str, path: str, token: str | None
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = request(method, path, content=b'{"identifier": ', headers=headers)
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "unauthorized"

    def test_every_query_endpoint_answers_401_without_a_token_whatever_the_body(self) -> None:
        for router in QUERY_ROUTERS:
            for route in router.routes:
                assert isinstance(route, APIRoute)
                path = (
                    route.path.replace("{alert_id}", "a-1")
                    .replace("{hold_id}", "h-1")
                    .replace("{request_id}", "er-1")
                )
                for method in route.methods:
                    response = request(method, path, content=b"\xff not json")
                    assert response.status_code == 401, (method, path, response.text)

    def test_a_huge_body_without_a_token_is_not_read(self) -> None:
        pulled = 0

        async def fifty_mebibytes() -> AsyncIterator[bytes]:
            nonlocal pulled
            for _ in range(50 * 16):
                pulled += 1
                yield b"x" * 65536

        response = request(
            "POST", "/holds", content=fifty_mebibytes(), headers={"Content-Length": str(50 * 1024 * 1024)}
        )
        assert response.status_code == 401
        assert pulled <= 1

    def test_without_the_setting_an_unknown_token_is_refused_before_its_body_is_read(self) -> None:
        response = request("POST", "/holds", content=b"{", headers=AUTH, query_token=None)
        assert (response.status_code, response.json()["error"]) == (401, "unauthorized")


class TestBodiesAfterTheToken:
    @pytest.mark.parametrize("method, path", body_routes()[:2])
    @pytest.mark.parametrize(
        "body", [b'{"identifier": ', b"\xff\xfe", b"[" * 5000, b'{"n": ' + b"9" * 5000 + b"}"]
    )
    def test_a_body_that_cannot_be_parsed_gets_400(self, method: str, path: str, body: bytes) -> None:
        response = request(method, path, content=body, headers=AUTH)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_json"

    def test_a_body_over_the_limit_gets_413_declared_or_streamed(self) -> None:
        big = json.dumps({"identifier": PERSON, "reason": "x" * LIMIT}).encode()

        async def streamed() -> AsyncIterator[bytes]:
            for start in range(0, len(big), 4096):
                yield big[start : start + 4096]

        for content in (big, streamed()):
            response = request("POST", "/holds", content=content, headers=AUTH)
            assert (response.status_code, response.json()["error"]) == (413, "payload_too_large")

    def test_a_valid_body_reaches_the_graph(self) -> None:
        response = request(
            "POST", "/holds", content=json.dumps({"identifier": PERSON, "reason": "case 7"}), headers=AUTH
        )
        assert (response.status_code, response.json()["error"]) == (503, "graph_unavailable")

    def test_release_takes_its_reason_in_an_optional_body(self) -> None:
        for content in (b"", b'{"reason": "case closed"}'):
            response = request("POST", "/holds/h-1/release", content=content, headers=AUTH)
            assert response.status_code == 503, response.text


class TestNoValueInReasons:
    @pytest.mark.parametrize(
        "path, document",
        [
            ("/holds", {"identifier": PERSON}),
            ("/holds", {"identifier": PERSON, "reason": "case 7", "until": PERSON}),
            ("/holds", {"identifier": PERSON, "reason": "case 7", "stores": PERSON}),
            ("/holds", {"identifier": "lea martin", "reason": "case 7"}),
            ("/erasure-requests", {"identifier": PERSON, "received": PERSON}),
            ("/erasure-requests", {"identifier": "lea martin"}),
            ("/erasure-requests", [PERSON]),
        ],
    )
    def test_a_bad_body_names_the_field_not_the_value(
        self, path: str, document: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.DEBUG):
            response = request("POST", path, content=json.dumps(document), headers=AUTH)
        assert (response.status_code, response.json()["error"]) == (400, "bad_query"), response.text
        assert PERSON not in response.text and "lea martin" not in response.text
        assert PERSON not in caplog.text and "lea martin" not in caplog.text

    @pytest.mark.parametrize(
        "path, params",
        [
            ("/flows", {"on": PERSON}),
            ("/transfer-impact", {"country": PERSON}),
            ("/what-if", {"processor": "p", "country": PERSON}),
            ("/expiring", {"before": PERSON}),
            ("/ropa", {"format": PERSON}),
            ("/alerts", {"status": PERSON}),
            ("/holds", {"include_ended": PERSON}),
        ],
    )
    def test_a_bad_parameter_gets_400_naming_the_parameter_not_the_value(
        self, path: str, params: dict[str, str]
    ) -> None:
        response = request("GET", path, params=params, headers=AUTH)
        assert (response.status_code, response.json()["error"]) == (400, "bad_query"), response.text
        assert next(iter(params.keys() - {"processor"})) in response.json()["reason"]
        assert "lea.martin" not in response.text

    @pytest.mark.parametrize(
        "method, path", [("GET", "/erasure-requests/lea.martin"), ("POST", "/holds/lea.martin/release")]
    )
    def test_not_found_answers_do_not_echo_the_id(
        self, method: str, path: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from graph import holds, requests

        monkeypatch.setattr(holds, "release_hold", lambda *_args: False)
        monkeypatch.setattr(requests, "refresh_requests", lambda *_args: None)
        monkeypatch.setattr(requests, "request_status", lambda *_args: [])
        response = request(method, path, headers=AUTH)
        assert (response.status_code, response.json()["error"]) == (404, "not_found"), response.text
        assert "lea.martin" not in response.json()["reason"]
