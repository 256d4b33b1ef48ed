"""``lineage-lab bench-statements``: where the record transaction's Neo4j CPU goes, statement by
statement, on the bench's Brevo feed.

The end-to-end bench says what an event costs Neo4j in all; this says which of the writer's
statements spends it, so an optimisation starts from a measure rather than a guess. The writer
runs in this process on the worker's batches, through a transaction proxy that reads Neo4j's
process CPU (``/proc``, the local stack only) before and after each statement, consuming its
result in between; what is left of the run's CPU outside the statements is the commits and the
server's own background work. Each run writes people of its own and deletes them afterwards.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from neo4j import AsyncManagedTransaction

import graph
from graph.connection import open_async_driver, open_driver
from graph.writer import PreparedBatch, prepare_batch, write_batch
from lineage import render
from lineage.answers.live_catalog import LiveCatalog
from lineage.demo.brevo_feed import brevo_feed
from lineage.domain.catalog import Catalog
from lineage.domain.subjects import SubjectHasher
from lineage.settings import Settings
from lineage_lab.bench.ceiling import chunks
from lineage_lab.bench.cpu import process_cpu_s
from lineage_lab.bench.pipeline import GRAPH_BATCH, forget_bench_people, measure_adapt, server_pids, tagged
from lineage_lab.bench.writer import snapshot_alerts
from streams.worker import prepare


@dataclass
class StatementCosts:
    """Neo4j CPU seconds and calls per statement name."""

    cpu_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def statement_names() -> dict[str, str]:
    """Every Cypher constant of the graph package, by its text: the report names statements as
    the code does."""
    import importlib
    import pkgutil

    names: dict[str, str] = {}
    for module in pkgutil.iter_modules(graph.__path__):
        loaded = importlib.import_module(f"graph.{module.name}")
        for name, value in vars(loaded).items():
            if name.isupper() and isinstance(value, str):
                names.setdefault(value.strip(), f"{module.name}.{name}")
    return names


class _MeteredResult:
    """A consumed result, read back the way the writer reads results."""

    def __init__(self, records: list[Any]) -> None:
        self._records = records

    async def single(self, strict: bool = False) -> Any:
        return self._records[0] if self._records else None

    async def consume(self) -> None:
        return None


class _MeteredTransaction:
    """The writer's transaction, with Neo4j's CPU read around every statement."""

    def __init__(self, tx: AsyncManagedTransaction, pid: int, costs: StatementCosts, names: dict[str, str]):
        self._tx, self._pid, self._costs, self._names = tx, pid, costs, names

    async def run(
        self, query: str, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> _MeteredResult:
        before = process_cpu_s(self._pid) or 0.0
        result = await self._tx.run(query, parameters, **kwargs)
        records = [record async for record in result]
        name = self._names.get(query.strip(), query.strip().splitlines()[0][:60])
        self._costs.cpu_s[name] += (process_cpu_s(self._pid) or 0.0) - before
        self._costs.calls[name] += 1
        return _MeteredResult(records)


def run_statement_bench(settings: Settings, catalog: Catalog, people: int, as_json: bool) -> None:
    if not settings.uses_local_stack:
        raise SystemExit("bench-statements reads Neo4j's CPU from /proc: it runs on the local stack only")
    from lineage.stack.manager import stack_up

    stack_up(settings)
    prepare(settings, catalog)
    tag = f"stmt-{uuid.uuid4().hex[:8]}"
    documents = list(brevo_feed(people, seed=11))
    events, _ = measure_adapt(settings, catalog, tagged(documents, tag))
    policy = LiveCatalog.load(settings.catalog).retention
    pid = server_pids(settings)["neo4j"][0]
    with open_driver(settings) as driver:
        alerts = snapshot_alerts(driver, settings.neo4j.database)
    costs = StatementCosts()
    try:
        total_s, python_s, wall_s = asyncio.run(
            _write(settings, [prepare_batch(b, policy) for b in chunks(events, GRAPH_BATCH)], pid, costs)
        )
    finally:
        forget_bench_people(settings, SubjectHasher(settings.require_subject_key()), documents, [tag], alerts)
    _report(len(events), costs, total_s, python_s, wall_s, as_json)


async def _write(
    settings: Settings, batches: list[PreparedBatch], pid: int, costs: StatementCosts
) -> tuple[float, float, float]:
    names = statement_names()
    driver = open_async_driver(settings)
    try:
        before, own, started = process_cpu_s(pid) or 0.0, time.process_time(), time.monotonic()

        async def metered(tx: AsyncManagedTransaction, batch: PreparedBatch) -> None:
            await write_batch(
                cast(AsyncManagedTransaction, _MeteredTransaction(tx, pid, costs, names)), batch
            )

        for batch in batches:
            async with driver.session(database=settings.neo4j.database) as session:
                await session.execute_write(metered, batch)
        return (process_cpu_s(pid) or 0.0) - before, time.process_time() - own, time.monotonic() - started
    finally:
        await driver.close()


def _report(
    events: int, costs: StatementCosts, total_s: float, python_s: float, wall_s: float, as_json: bool
) -> None:
    per_event = lambda seconds: round(seconds * 1e6 / events)  # noqa: E731
    rows = [
        {"statement": name, "calls": costs.calls[name], "neo4j_us_per_event": per_event(cpu)}
        for name, cpu in sorted(costs.cpu_s.items(), key=lambda item: -item[1])
    ]
    outside = total_s - sum(costs.cpu_s.values())
    result = {
        "events": events,
        "wall_s": round(wall_s, 2),
        "neo4j_us_per_event": per_event(total_s),
        "commits_and_background_us_per_event": per_event(outside),
        "writer_process_us_per_event": per_event(python_s),
        "statements": rows,
    }
    if as_json:
        print(render.as_json(result))
        return
    render.table("Neo4j CPU per statement (µs an event)", rows, ("statement", "calls", "neo4j_us_per_event"))
    render.console.print(
        f"{events} events in {result['wall_s']}s: Neo4j {result['neo4j_us_per_event']} µs an event, "
        f"{result['commits_and_background_us_per_event']} of it outside the statements "
        "(commits, background); "
        f"the writer's own process {result['writer_process_us_per_event']}"
    )
