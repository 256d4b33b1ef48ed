"""``lineage-lab bench-graph``: load a large graph in the model's shape, then time the answers at the API.

Load: ``--subjects`` people of :mod:`lineage_lab.bench.large_shape` (about 11 holdings each) through
``lineage_lab.bench.bulk_load`` in large CREATE transactions, with the catalog's unapproved-transfer alerts
concerning everyone held in their stores, a CV flow to Dropbox, legal holds on one person in
~1,000, and then the worker's own overdue-retention check (``lineage.answers.scheduled_checks``), timed,
raising the overdue alerts.

Measure: ``lineage serve`` in a child process (its own interpreter, as deployed), real HTTP with
keep-alive, each question asked ``--samples`` times after a warm-up: p50 and p99 per answer
beside its target. The graph is wiped first only with ``--yes``.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from graph import reader, tally
from graph.catalog import sync_catalog
from graph.connection import open_driver
from graph.retention import mark_computed
from graph.schema import apply_schema
from lineage.domain.alerts import flow_id, unapproved_by_store
from lineage.domain.catalog import Catalog
from lineage.domain.retention import RetentionPolicy
from lineage.domain.subjects import SubjectHasher
from lineage.domain.transfer_chains import catalog_hops
from lineage.errors import LineageError
from lineage.reference import default_transfer_rules
from lineage.settings import Settings, settings_env
from lineage_lab import statements
from lineage_lab.bench import bulk_load
from lineage_lab.bench.large_shape import (
    PROFILES,
    TEMPLATES,
    BulkShape,
    ExpiryTables,
    email_of,
    subject_rows,
)

# What each answer should take at the API (ms), p99.
TARGETS_MS: dict[str, float] = {
    "subject": 10,
    "erasure_impact": 10,
    "alerts": 200,
    "transfer_impact": 2000,
    "expiring": 2000,
    "ropa": 2000,
}


@dataclass
class LoadReport:
    subjects: int = 0
    holdings: int = 0
    seconds: float = 0.0
    overdue_check_s: float = 0.0
    tally_s: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


# --- load ------------------------------------------------------------------------------------


def transfer_alert_rows(catalog: Catalog, day: date, first_ms: int, last_ms: int) -> list[dict[str, Any]]:
    """One alert per unapproved flow of the catalog, as the worker raises them (same ids)."""
    hops = catalog_hops(catalog, default_transfer_rules(), day)
    return [
        {
            "id": flow_id(hop),
            "kind": "unapproved_transfer",
            "severity": "high",
            "store": hop.store,
            "chain": list(hop.chain),
            "country": hop.country,
            "reason": hop.verdict.reason,
            "mechanism": hop.verdict.mechanism,
            "first": first_ms,
            "last": last_ms,
        }
        for store_hops in unapproved_by_store(hops).values()
        for hop in store_hops
    ]


def profile_parameters(shape: BulkShape, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``$profiles`` with, per profile, the alerts on the stores its people are held in."""
    by_store: dict[str, list[str]] = {}
    for alert in alerts:
        by_store.setdefault(alert["store"], []).append(alert["id"])
    params = shape.parameters()
    for profile in params:
        stores = sorted({h["store"] for h in profile["holdings"]})
        profile["alerts"] = [a for st in stores for a in by_store.get(st, [])]
    return params


def holdings_per_profile(shape: BulkShape) -> list[int]:
    return [len(p) for p in shape.profiles]


def load_graph(
    settings: Settings,
    catalog: Catalog,
    subjects: int,
    batch: int,
    workers: int,
    now: datetime,
    alerts: bool = True,
    progress: Callable[[int], None] | None = None,
) -> LoadReport:
    """Schema and catalog, alerts, then people in parallel batches (the holdings' indexes built
    once at the end), then the flow's dates. Two loaders: one packs its rows while the other's
    transaction commits (Neo4j applies commits one at a time, so more do not help)."""
    hasher = SubjectHasher(settings.require_subject_key())
    shape, tables = BulkShape.of(catalog), ExpiryTables(RetentionPolicy(catalog))
    now_ms = int(now.timestamp() * 1000)
    database = settings.neo4j.database
    started = time.perf_counter()
    with open_driver(settings) as driver:
        apply_schema(driver, database)
        tally.forget(driver, database)  # the people below are not queued: counted after the load
        bulk_load.drop_holding_schema(driver, database)
        sync_catalog(driver, database, catalog)
        alert_rows = (
            transfer_alert_rows(catalog, now.date(), now_ms - 1100 * 86_400_000, now_ms) if alerts else []
        )
        bulk_load.create_alerts(driver, database, alert_rows)
        profiles = profile_parameters(shape, alert_rows)

        def one(start: int) -> int:
            rows = list(subject_rows(shape, tables, hasher, start, min(start + batch, subjects), now_ms))
            bulk_load.create_subjects(driver, database, profiles, rows)
            return len(rows)

        done = 0
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for loaded in pool.map(one, range(0, subjects, batch)):
                done += loaded
                if progress:
                    progress(done)
        _create_flows(driver, database, hasher, shape, tables, subjects, now_ms)
        mark_computed(driver, database, catalog, (store.id for _, store in catalog.stores()))
        apply_schema(driver, database)
        bulk_load.await_indexes(driver, database)
        report = LoadReport(subjects=subjects, seconds=time.perf_counter() - started)
        report.counts = _counts(driver, database)
    report.holdings = report.counts.get("holdings", 0)
    return report


def _create_flows(
    driver: Any,
    database: str,
    hasher: SubjectHasher,
    shape: BulkShape,
    tables: ExpiryTables,
    subjects: int,
    now_ms: int,
) -> None:
    """The copies' flow, dated by its first and last copy (found from the shape, not the graph)."""
    from lineage_lab.bench.large_shape import event_times, profile_of

    for p, (_, _, keys) in enumerate(PROFILES):
        for key in keys:
            template = TEMPLATES[key]
            if not template.copy_of:
                continue
            times = [event_times(n, now_ms)[key] for n in range(subjects) if profile_of(n) == p]
            if times:
                bulk_load.create_flow(
                    driver,
                    database,
                    TEMPLATES[template.copy_of].store,
                    template.store,
                    sorted(template.categories),
                    min(times),
                    max(times),
                )


def _counts(driver: Any, database: str) -> dict[str, int]:
    records, _, _ = driver.execute_query(reader.GRAPH_COUNTS, database_=database)
    return dict(records[0].data())


def graph_is_empty(settings: Settings) -> bool:
    with open_driver(settings) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (n) WHERE n:Subject OR n:Holding RETURN count(n) > 0 AS any",
            database_=settings.neo4j.database,
        )
    return not records[0]["any"]


def wipe(settings: Settings) -> None:
    """Slice by slice: one transaction deleting millions of nodes exceeds its memory."""
    with open_driver(settings) as driver:
        while True:
            records, _, _ = driver.execute_query(
                statements.WIPE_SLICE, limit=50_000, database_=settings.neo4j.database
            )
            if not records[0]["deleted"]:
                return


def overdue_check(settings: Settings) -> float:
    """The worker's every-minute check, once: raises the overdue alerts; returns its seconds."""
    from lineage.answers.scheduled_checks import check_retention

    with open_driver(settings) as driver:
        started = time.perf_counter()
        check_retention(driver, settings.neo4j.database)
        return time.perf_counter() - started


def count_held(settings: Settings) -> float:
    """The counts transfer impact and RoPA read, built by the worker's refresh (its first pass
    over a graph written without them); returns its seconds."""
    with open_driver(settings) as driver:
        started = time.perf_counter()
        tally.refresh_all(driver, settings.neo4j.database)
        return time.perf_counter() - started


# --- measure ---------------------------------------------------------------------------------


def time_overdue_query(settings: Settings, runs: int = 3) -> dict[str, float | int]:
    """The worker's every-minute read (``graph.retention.overdue``) alone: it must stay well
    under its minute on a large graph. Seconds of each run, and the rows it returned."""
    from graph.retention import overdue

    seconds, rows = [], 0
    with open_driver(settings) as driver:
        for _ in range(runs):
            started = time.perf_counter()
            rows = len(overdue(driver, settings.neo4j.database, datetime.now(UTC)))
            seconds.append(time.perf_counter() - started)
    return {"min_s": round(min(seconds), 2), "max_s": round(max(seconds), 2), "rows": rows}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def served_api(settings: Settings, token: str, log: Path) -> Iterator[str]:
    """``lineage serve`` as a child process on a free port, with its own query token; its
    output goes to ``log`` (a pipe nobody reads would stall it once full)."""
    port = _free_port()
    env = settings_env(settings) | {
        "LINEAGE_API_PORT": str(port),
        "LINEAGE_API_HOST": "127.0.0.1",
        "LINEAGE_API_QUERY_TOKEN": token,
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        child = subprocess.Popen(
            [sys.executable, "-m", "lineage", "serve"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, child, log)
        yield url
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()


def _wait_until_up(url: str, child: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise LineageError(f"lineage serve exited; see {log}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=2).status_code < 500:
                return
        time.sleep(0.2)
    raise LineageError("lineage serve did not answer within 60 s")


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: with 200 samples p99 is the second largest, not an average."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def _time(client: httpx.Client, method: str, path: str, **kwargs: Any) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.request(method, path, **kwargs)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise LineageError(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
    return elapsed, response


def questions(subjects: int, samples: int, now: datetime) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    """The requests of each answer: people spread over the population, the countries the
    catalog transfers to, expiry horizons of one to twelve months."""
    step = max(1, subjects // max(1, samples))
    people = [email_of((i * step * 7_919) % subjects) for i in range(samples)]
    countries = ["US", "IN", "FR", "DE"]
    horizons = [(now + timedelta(days=d)).date().isoformat() for d in (30, 90, 180, 365)]
    few = max(3, samples // 20)
    return {
        "subject": [("POST", "/subject", {"json": {"identifier": p}}) for p in people],
        "erasure_impact": [("POST", "/erasure-impact", {"json": {"identifier": p}}) for p in people],
        "transfer_impact": [
            ("GET", "/transfer-impact", {"params": {"country": countries[i % 4]}}) for i in range(few)
        ],
        "expiring": [("GET", "/expiring", {"params": {"before": horizons[i % 4]}}) for i in range(few)],
        "alerts": [
            ("GET", "/alerts", {"params": {"status": "open"} if i % 2 else {}})
            for i in range(max(10, samples // 4))
        ],
        "ropa": [("GET", "/ropa", {"params": {"format": "json"}}) for _ in range(few)],
    }


def measure(
    url: str, token: str, asks: dict[str, list[tuple[str, str, dict[str, Any]]]]
) -> dict[str, dict[str, Any]]:
    """p50/p99 per answer (ms), after one warm-up request each."""
    results: dict[str, dict[str, Any]] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=600) as client:
        for name, requests in asks.items():
            method, path, kwargs = requests[0]
            _, warm = _time(client, method, path, **kwargs)
            timings = [_time(client, m, p, **kw)[0] for m, p, kw in requests]
            results[name] = {
                "requests": len(timings),
                "p50_ms": round(percentile(timings, 0.5), 2),
                "p99_ms": round(percentile(timings, 0.99), 2),
                "target_ms": TARGETS_MS[name],
                "answer_bytes": len(warm.content),
            }
            results[name]["meets"] = results[name]["p99_ms"] <= TARGETS_MS[name]
    return results


def run_graph_bench(
    settings: Settings,
    catalog: Catalog,
    subjects: int,
    batch: int,
    workers: int,
    samples: int,
    load: bool,
    wipe_first: bool,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Load (unless ``load`` is False: measure the graph as it is), then measure."""
    now = datetime.now(UTC)
    report = LoadReport()
    if load:
        if not graph_is_empty(settings):
            if not wipe_first:
                raise LineageError(
                    "the graph is not empty: pass --yes to wipe it, or --no-load to measure it as it is"
                )
            say("wiping the graph...")
            wipe(settings)
        report = load_graph(
            settings,
            catalog,
            subjects,
            batch,
            workers,
            now,
            progress=lambda done: say(f"loaded {done:,} people"),
        )
        say(f"loaded {report.subjects:,} people, {report.holdings:,} holdings in {report.seconds:.0f} s")
        report.overdue_check_s = overdue_check(settings)
        say(f"worker overdue check (raises the overdue alerts): {report.overdue_check_s:.1f} s")
        report.tally_s = count_held(settings)
        say(f"counts of held data, first pass over everyone (graph.tally): {report.tally_s:.1f} s")
    token = secrets.token_urlsafe(24)
    with open_driver(settings) as driver:
        counts = _counts(driver, settings.neo4j.database)
    population = counts["subjects"] if not load else subjects
    with served_api(settings, token, settings.stack.home / "bench-graph-api.log") as url:
        results = measure(url, token, questions(population, samples, now))
    overdue_query = time_overdue_query(settings)
    return {
        "load": {
            "subjects": report.subjects,
            "holdings": report.holdings,
            "seconds": round(report.seconds, 1),
            "overdue_check_s": round(report.overdue_check_s, 2),
            "tally_s": round(report.tally_s, 1),
        }
        if load
        else None,
        "graph": counts,
        "answers": results,
        "worker_overdue_query_s": overdue_query,
        "neo4j": {"heap": settings.stack.neo4j_heap, "pagecache_mb": settings.stack.neo4j_pagecache_mb},
        "holdings_per_profile": {
            name: n
            for (name, _, _), n in zip(PROFILES, holdings_per_profile(BulkShape.of(catalog)), strict=True)
        },
    }
