"""No GET writes: every GET of the API and of the workspace answers through a Neo4j driver whose
every transaction is opened in READ access mode, which Neo4j refuses to write in
(``Neo.ClientError.Statement.AccessMode``). A crawler, a prefetching browser or a retried GET
changes nothing lineage records; the one write a GET may make is its own entry in the audit
trail (reading a person's report, exporting the trail), which goes through the real driver."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from neo4j import READ_ACCESS, Driver, RoutingControl

from graph.connection import open_driver
from lineage.answers import accounts, audit, erasure, holds, requests
from lineage.answers.subjects import subject_key
from lineage.api import app as app_module
from lineage.api.app import create_api
from lineage.domain.access import Actor, Role
from lineage.settings import ApiSettings, Settings
from lineage.web import request_pages
from tests.integration.test_erasure import load_people
from tests.integration.test_identity import LEA

pytestmark = pytest.mark.integration
TOKEN = "read-only-gets-token-4c2e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class _ReadOnlySession:
    def __init__(self, session: Any) -> None:
        self._session = session

    def __enter__(self) -> _ReadOnlySession:
        self._session.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._session.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def execute_write(self, work: Any, *args: Any, **kwargs: Any) -> Any:
        return self._session.execute_read(work, *args, **kwargs)


class ReadOnlyDriver:
    """A driver whose every transaction is READ: a write in one fails on the server."""

    def __init__(self, driver: Driver) -> None:
        self._driver = driver

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    def execute_query(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        return self._driver.execute_query(query, *args, **(kwargs | {"routing_": RoutingControl.READ}))

    def session(self, **kwargs: Any) -> _ReadOnlySession:
        return _ReadOnlySession(self._driver.session(**(kwargs | {"default_access_mode": READ_ACCESS})))

    def close(self) -> None:
        return None


def test_the_read_only_driver_refuses_a_write(servers: Settings) -> None:
    with open_driver(servers) as driver:
        read_only = ReadOnlyDriver(driver)
        with pytest.raises(Exception, match=r"AccessMode|read access mode"):
            read_only.execute_query("CREATE (:ReadOnlyProbe)", database_=servers.neo4j.database)
        with (
            read_only.session(database=servers.neo4j.database) as session,
            pytest.raises(Exception, match=r"AccessMode|read access mode"),
        ):
            session.execute_write(lambda tx: tx.run("CREATE (:ReadOnlyProbe)").consume())


def _get_routes() -> list[str]:
    routers = [value for value in vars(app_module).values() if isinstance(value, APIRouter)]
    routers.append(request_pages.router)
    paths = {
        route.path
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and "GET" in route.methods
    }
    return sorted(paths)


# Query strings that make each GET do its work (not a 400 for a missing parameter).
PARAMETERS: dict[str, dict[str, str]] = {
    "/expiring": {"before": "2027-12-31", "limit": "10"},
    "/ui/expiring": {"before": "2027-12-31"},
    "/what-if": {"processor": "hubspot", "country": "US"},
    "/transfer-impact": {"country": "US"},
    "/ui/transfer-impact": {"country": "US"},
    "/ui/what-if": {"processor": "hubspot", "country": "US"},
    "/holds": {"include_ended": "true"},
}


@pytest.fixture
def graph_with_everything(pipeline: Settings, tmp_path: Path) -> Iterator[dict[str, str]]:
    """People in every store, an erasure request, an access request and a hold."""
    load_people(pipeline, tmp_path)
    database, key = pipeline.neo4j.database, subject_key(pipeline, LEA)
    with open_driver(pipeline) as driver:
        erasure_request = erasure.open_request(driver, database, key, "data subject", None)
        access = requests.open_request(driver, database, "access", key)
        on = holds.HoldOn(holds.HoldScope.PERSON, key)
        hold = holds.add_hold(driver, database, on, "litigation", [], [], None, placed_by="cli:test")
    yield {"erasure": erasure_request.id, "access": access.id, "hold": hold.id}


def _filled(path: str, ids: dict[str, str]) -> str:
    request_id = ids["erasure"] if path.startswith("/erasure-requests") else ids["access"]
    names = {"request_id": request_id, "hold_id": ids["hold"], "alert_id": "al-none", "fmt": "html"}
    names |= {"name": "app.css", "task": "brevo/contacts", "source": "brevo"}
    return re.sub(r"\{(\w+)(?::path)?\}", lambda m: names.get(m.group(1), "x"), path)


def _audit_through_the_real_driver(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The audit trail's appends bypass the read-only wrapper; the actions appended, listed."""
    appended: list[str] = []
    original = audit.record

    def record(driver: Any, *args: Any, **kwargs: Any) -> Any:
        appended.append(args[2])
        return original(getattr(driver, "_driver", driver), *args, **kwargs)

    monkeypatch.setattr(audit, "record", record)
    return appended


def test_every_get_reads_only(
    graph_with_everything: dict[str, str], pipeline: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = pipeline.model_copy(update={"api": ApiSettings(query_token=TOKEN)})
    appended = _audit_through_the_real_driver(monkeypatch)
    with open_driver(pipeline) as driver:
        accounts.add_user(driver, pipeline, "reader-dpo", "dpo", "read only gets password")
        cookie, _ = accounts.start_session(driver, pipeline, Actor("reader-dpo", Role.DPO, "account"))
    paths = _get_routes()
    assert {"/erasure-requests", "/requests/{request_id}", "/ui/requests/{request_id}", "/ui/"} <= set(paths)

    async def crawl(driver: Driver) -> dict[str, int]:
        app = create_api(settings, graph_driver=ReadOnlyDriver(driver))  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        answered = {}
        async with httpx.AsyncClient(
            transport=transport, base_url="https://lineage.test", timeout=120
        ) as client:
            client.cookies.set("lineage_session", cookie, path="/ui")
            for path in paths:
                url = _filled(path, graph_with_everything)
                response = await client.get(url, params=PARAMETERS.get(path, {}), headers=AUTH)
                answered[url] = response.status_code
        return answered

    with open_driver(pipeline) as driver:
        answered = asyncio.run(crawl(driver))
    failed = {url: status for url, status in answered.items() if status >= 500}
    assert not failed, failed
    recorded = {action for action in appended if not action.startswith("GET ")}  # those: denials
    # reading people (a request's report or export, a breach's subjects) and exporting the trail are recorded
    assert recorded <= {"request.report", "request.export", "audit.export", "breach.subjects"}, appended
    # The reads that matter were made, not refused for a missing parameter or an unknown id.
    for path in (
        "/erasure-requests",
        "/requests",
        "/overview",
        "/expiring",
        "/holds",
        "/ui/",
        "/ui/requests",
    ):
        assert answered[path] == 200, (path, answered[path])
    assert answered[f"/erasure-requests/{graph_with_everything['erasure']}"] == 200
    assert answered[f"/ui/requests/{graph_with_everything['access']}"] == 200
