"""``/docs`` is off unless enabled, and then served from the package's own files: the page names
no other origin, and every asset it names is served."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx

from lineage.api import docs
from lineage.api.app import create_api
from lineage.settings import ApiSettings, KafkaSettings, Neo4jSettings, Settings
from tests.unit.test_api_queries import QUERY_TOKEN, DownDriver


def _get(*paths: str, enabled: bool) -> list[httpx.Response]:
    settings = Settings(
        kafka=KafkaSettings(bootstrap="127.0.0.1:9"),
        neo4j=Neo4jSettings(uri="bolt://127.0.0.1:9"),
        subject_key="unit-test-subject-key",
        api=ApiSettings(query_token=QUERY_TOKEN, docs=enabled),
    )

    async def send() -> list[httpx.Response]:
        app = create_api(settings, graph_driver=DownDriver())  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lineage.test") as client:
            return [await client.get(path) for path in paths]

    return asyncio.run(send())


def test_off_by_default_but_the_openapi_document_is_served() -> None:
    page, redoc, asset, document = _get(
        "/docs", "/redoc", "/docs/static/swagger-ui-bundle.js", "/openapi.json", enabled=False
    )
    assert (page.status_code, redoc.status_code, asset.status_code) == (404, 404, 404)
    assert "/subject" in document.json()["paths"]


def test_the_page_names_only_same_origin_assets_and_they_are_served() -> None:
    (page,) = _get("/docs", enabled=True)
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    assert "http:" not in page.text and "https:" not in page.text
    served = _get(*assets, "/openapi.json", enabled=True)
    assert [r.status_code for r in served] == [200] * len(served)
    assert served[assets.index("/docs/static/swagger-ui-bundle.js")].content.startswith(b"/*")
    init = (docs.STATIC / "lineage-init.js").read_text()
    assert 'url: "/openapi.json"' in init and "validatorUrl: null" in init


def test_only_the_listed_files_are_served_with_their_licence() -> None:
    assert {"LICENSE", "NOTICE"} <= set(docs.FILES)
    assert all((docs.STATIC / name).is_file() for name in docs.FILES)
    outside, listed = _get("/docs/static/..%2F..%2Fdocs.py", "/docs/static/LICENSE", enabled=True)
    assert outside.status_code == 404 and "Apache License" in listed.text
    assert Path(docs.__file__).with_name("docs.py").is_file()
