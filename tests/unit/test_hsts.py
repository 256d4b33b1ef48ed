"""Strict-Transport-Security on answers given over TLS: seen by the server, or by a trusted proxy."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from lineage.api.app import create_api
from lineage.settings import ApiSettings, KafkaSettings, Neo4jSettings, Settings
from tests.unit.test_api_queries import QUERY_TOKEN, DownDriver


def _get(
    base_url: str, path: str, headers: dict[str, str] | None = None, trust: bool = False
) -> httpx.Response:
    settings = Settings(
        kafka=KafkaSettings(bootstrap="127.0.0.1:9"),
        neo4j=Neo4jSettings(uri="bolt://127.0.0.1:9"),
        subject_key="unit-test-subject-key",
        api=ApiSettings(query_token=QUERY_TOKEN, trust_forwarded_proto=trust),
    )

    async def send() -> httpx.Response:
        app = create_api(settings, graph_driver=DownDriver())  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            return await client.get(path, headers=headers or {})

    return asyncio.run(send())


@pytest.mark.parametrize("path", ["/ui/login", "/overview", "/no-such-page"])
def test_over_https_every_answer_carries_hsts(path: str) -> None:
    answer = _get("https://lineage.test", path)
    assert answer.headers["strict-transport-security"] == "max-age=31536000"


def test_over_plain_http_there_is_none() -> None:
    assert "strict-transport-security" not in _get("http://lineage.test", "/ui/login").headers


def test_a_forwarded_proto_counts_only_when_trusted() -> None:
    forwarded = {"X-Forwarded-Proto": "https"}
    assert "strict-transport-security" not in _get("http://lineage.test", "/ui/login", forwarded).headers
    trusted = _get("http://lineage.test", "/ui/login", forwarded, trust=True)
    assert trusted.headers["strict-transport-security"] == "max-age=31536000"
    chain = _get("http://lineage.test", "/ui/login", {"X-Forwarded-Proto": "https, http"}, trust=True)
    assert "strict-transport-security" in chain.headers
    plain = _get("http://lineage.test", "/ui/login", {"X-Forwarded-Proto": "http"}, trust=True)
    assert "strict-transport-security" not in plain.headers
