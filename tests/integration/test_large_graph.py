"""``lineage-lab bench-graph``'s bulk path builds the graph the worker builds, and the API answers
the same on it.

The same people (``lineage_lab.bench.large_shape``) are written twice on the real Neo4j: as canonical
events through ``GraphWriter`` (the record agent's own path, expiries from the catalog's
policy), and as rows through ``lineage_lab.bench.bulk_load``. Both graphs must have the same fingerprint
(every node, relationship and property) and give the same answers over real HTTP: a person's
data map and erasure impact (by e-mail and by native id), transfer impact, expiring, RoPA.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from graph.catalog import sync_catalog
from graph.connection import open_async_driver, open_driver
from graph.retention import recompute_stores
from graph.writer import GraphWriter
from lineage.domain.catalog import Catalog, parse_catalog
from lineage.domain.retention import RetentionPolicy
from lineage.domain.subjects import SubjectHasher
from lineage.settings import ApiSettings, Settings
from lineage_lab import statements
from lineage_lab.bench.large_graph import load_graph, overdue_check
from lineage_lab.bench.large_shape import GREENHOUSE_BASE, HUBSPOT_BASE, email_of, events_for
from lineage_lab.fingerprint import fingerprint_difference, graph_fingerprint
from tests.integration.test_api import served

pytestmark = pytest.mark.integration

PEOPLE = 150
NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
TOKEN = "query-token-large-graph"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _catalog(settings: Settings) -> Catalog:
    return parse_catalog(settings.catalog.read_text(encoding="utf-8"))


def _wipe(settings: Settings) -> None:
    with open_driver(settings) as driver:
        driver.execute_query(statements.WIPE, database_=settings.neo4j.database)


def worker_built(settings: Settings, catalog: Catalog) -> None:
    """The people's events, oldest first, through the record agent's writer in batches."""
    hasher = SubjectHasher(settings.require_subject_key())
    now_ms = int(NOW.timestamp() * 1000)
    events = sorted(
        (e for n in range(PEOPLE) for e in events_for(hasher, n, now_ms)),
        key=lambda e: (e.occurred_at, e.event_id),
    )
    _wipe(settings)
    with open_driver(settings) as driver:
        sync_catalog(driver, settings.neo4j.database, catalog)
        recompute_stores(driver, settings.neo4j.database, catalog)  # what a worker start does

    async def write() -> None:
        driver = open_async_driver(settings)
        try:
            writer = GraphWriter(driver, settings.neo4j.database)
            for start in range(0, len(events), 250):
                await writer.write(events[start : start + 250], RetentionPolicy(catalog))
        finally:
            await driver.close()

    asyncio.run(write())


def answers(settings: Settings) -> dict[str, Any]:
    """What the API says about some of the people and about the whole graph."""
    people = [email_of(n) for n in (0, 1, 4, 5, 17, PEOPLE - 1)]
    people += [f"hubspot:{HUBSPOT_BASE + 4}", f"greenhouse:{GREENHOUSE_BASE + 5}"]
    served_settings = settings.model_copy(update={"api": ApiSettings(query_token=TOKEN)})
    found: dict[str, Any] = {}
    with served(served_settings) as url, httpx.Client(base_url=url, headers=AUTH, timeout=60) as client:
        for person in people:
            for path in ("/subject", "/erasure-impact"):
                response = client.post(path, json={"identifier": person})
                assert response.status_code == 200, response.text
                found[f"{path} {person}"] = response.json()
        for path, params in (
            ("/transfer-impact", {"country": "US"}),
            ("/transfer-impact", {"country": "IN"}),
            ("/expiring", {"before": (NOW + timedelta(days=400)).date().isoformat()}),
            ("/ropa", {"format": "json"}),
        ):
            response = client.get(path, params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            if isinstance(body, dict):
                body.pop("now", None)
            found[f"{path} {params}"] = body
    return found


def test_the_bulk_path_builds_the_graph_the_worker_builds(pipeline: Settings) -> None:
    catalog = _catalog(pipeline)
    worker_built(pipeline, catalog)
    with open_driver(pipeline) as driver:
        expected = graph_fingerprint(driver, pipeline.neo4j.database)
    expected_answers = answers(pipeline)

    _wipe(pipeline)
    report = load_graph(pipeline, catalog, PEOPLE, batch=60, workers=2, now=NOW, alerts=False)
    with open_driver(pipeline) as driver:
        actual = graph_fingerprint(driver, pipeline.neo4j.database)
    assert report.counts["subjects"] == PEOPLE and report.holdings > 10 * PEOPLE
    assert fingerprint_difference(expected, actual) == {"lost": [], "extra": []}
    got = answers(pipeline)
    assert got == expected_answers
    mapped = got[f"/subject {email_of(4)}"]
    assert mapped["subject"] and len(mapped["stores"]) >= 5
    assert got[f"/subject hubspot:{HUBSPOT_BASE + 4}"]["subject"] == mapped["subject"]


def _totals(groups: list[dict[str, Any]]) -> dict[tuple[str, ...], tuple[int, int, int]]:
    totals: dict[tuple[str, ...], tuple[int, int, int]] = {}
    for g in groups:
        key = (g["store"], g["category"], g["subject_type"], str(g["rule"]), str(g["held"]))
        holdings, subjects, overdue = totals.get(key, (0, 0, 0))
        totals[key] = (holdings + g["holdings"], subjects + g["subjects"], overdue + g["overdue"])
    return totals


def test_a_bulk_graph_has_alerts_holds_overdue_data_and_expiring_pages(pipeline: Settings) -> None:
    """Alerts, a hold and the worker's overdue check on a bulk graph; pages of 97 holdings
    (ties at one expiry time cut across pages) add up to one big page."""
    _wipe(pipeline)
    load_graph(pipeline, _catalog(pipeline), 1_000, batch=500, workers=2, now=datetime.now(UTC))
    assert overdue_check(pipeline) < 30
    served_settings = pipeline.model_copy(update={"api": ApiSettings(query_token=TOKEN)})
    before = (datetime.now(UTC) + timedelta(days=120)).date().isoformat()
    with served(served_settings) as url, httpx.Client(base_url=url, headers=AUTH, timeout=60) as client:
        alerts = client.get("/alerts").json()
        held = client.get("/holds").json()
        everything = client.get("/expiring", params={"before": "2099-01-01", "limit": 100_000}).json()
        whole = client.get("/expiring", params={"before": before, "limit": 100_000}).json()
        pages, cursor = [], None
        while True:
            params = {"before": before, "limit": 97} | ({"cursor": cursor} if cursor else {})
            page = client.get("/expiring", params=params).json()
            pages.append(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert "@" not in cursor and "|" not in cursor
        refused = client.get("/expiring", params={"before": before, "cursor": "p4@bench.example"})
    assert {a["kind"] for a in alerts} == {"unapproved_transfer", "overdue_retention"}
    assert all(a["count"] > 0 for a in alerts)
    assert [h["id"] for h in held] == ["hold-bench-996"]
    assert everything["left_out_held"] and everything["overdue_holdings"] > 0
    assert whole["next_cursor"] is None
    assert len(pages) > 5
    groups = [g for p in pages for g in p["expiring"] + p["left_out_held"]]
    assert _totals(groups) == _totals(whole["expiring"] + whole["left_out_held"])
    assert (refused.status_code, refused.json()["error"]) == (400, "bad_query")
    assert "bench.example" not in refused.text
