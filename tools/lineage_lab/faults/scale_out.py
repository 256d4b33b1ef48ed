"""N workers in one consumer group build the graph one worker builds: the same feed through 1
and N worker processes, each on fresh topics and an empty graph, fingerprints compared.

The feed is the chaos feed (every source, identity links across systems, deletions): the
people whose identifiers reach lineage on different partitions are where concurrent
transactions could miss each other's identity links, so they are what the comparison is for.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from graph import tally
from graph.connection import open_driver
from graph.tally import Counts
from lineage.domain.catalog import Catalog
from lineage.errors import LineageError
from lineage.kafka.topics import stage_consumers
from lineage.runner import WorkerProcess
from lineage.settings import Settings
from lineage_lab.faults.chaos import CLOCK_CHECKS_OFF_S, forget_run, graph_left, wipe_graph
from lineage_lab.faults.fingerprints import GRAPH, FingerprintDiff, compare
from lineage_lab.faults.injection import group_members
from lineage_lab.faults.traffic import Item, Traffic
from streams.worker import prepare

Say = Callable[[str], None]
JOIN_TIMEOUT_S = 120.0
# Every worker folds the counts of held data this often: concurrent folds, and folds racing the
# record transactions, are part of what the comparison checks.
TALLY_FOLD_S = 1.0


@dataclass
class WorkersRun:
    """What one run through ``workers`` processes left: its time and its graph."""

    workers: int
    duration_s: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    fingerprint: list[str] = field(default_factory=list)
    graph: list[str] = field(default_factory=list)
    tallied: Counts | None = None  # the counts of held data the workers kept (graph.tally)
    scanned: Counts | None = None  # the same counted from every held holding


class WorkerPool:
    """``size`` worker processes in one consumer group, launched together."""

    def __init__(self, settings: Settings, size: int, label: str, loglevel: str = "warning") -> None:
        home = settings.stack.home.resolve()
        self.workers = [WorkerProcess(settings, home / f"{label}-{n}.log", loglevel) for n in range(size)]
        self.settings = settings

    def start(self, timeout: float = JOIN_TIMEOUT_S) -> WorkerPool:
        """Launch all, then wait until the group is stable with every one of them in it: a
        group of fewer members would leave one worker with every partition for a while."""
        for worker in self.workers:
            worker.launch()
        deadline = time.monotonic() + timeout
        members = len(stage_consumers(self.settings.record_lanes))
        while time.monotonic() < deadline:
            exited = [w for w in self.workers if not w.is_running()]
            if exited:
                raise LineageError(f"a worker exited before joining:\n{exited[0].log_tail()}")
            known = group_members(self.settings)
            if known and known[0] == "Stable" and len(known[1]) == len(self.workers) * members:
                return self
            time.sleep(0.25)
        raise LineageError(
            f"{len(self.workers)} workers did not form one group within "
            f"{timeout:.0f}s; logs: {self.workers[0].log_file.parent}"
        )

    def wait_caught_up(self, timeout: float) -> None:
        self.workers[0].wait_caught_up(timeout)

    def pids(self) -> list[int]:
        return [w.pid for w in self.workers if w.pid is not None]

    def peak_rss_bytes(self) -> list[int | None]:
        return [w.peak_rss_bytes() for w in self.workers]

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()

    def __enter__(self) -> WorkerPool:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_workers(
    settings: Settings,
    catalog: Catalog,
    feed: list[Item],
    workers: int,
    checked_at: datetime,
    say: Say,
    timeout_s: float = 900.0,
) -> WorkersRun:
    """The feed through ``workers`` processes on fresh topics and an empty graph; the clock
    starts once they own their partitions and stops when their group has committed all."""
    name = f"scale-{workers}w-{uuid.uuid4().hex[:8]}"
    run = settings.model_copy(
        update={
            "topic_namespace": name,
            "app_id": name,
            "retention_check_s": CLOCK_CHECKS_OFF_S,
            "tally_refresh_s": TALLY_FOLD_S,
        }
    )
    figures = WorkersRun(workers)
    wipe_graph(run)
    prepare(run, catalog)
    try:
        with WorkerPool(run, workers, name) as pool:
            say(f"{workers} worker(s) up, publishing {len(feed)} payloads")
            started = time.monotonic()
            Traffic(run, feed).publish_now()
            pool.wait_caught_up(timeout_s)
            figures.duration_s = round(time.monotonic() - started, 1)
        figures.counts, figures.fingerprint, figures.graph = graph_left(run, checked_at)
        with open_driver(run) as driver:
            figures.tallied = tally.read_counts(driver, run.neo4j.database)
            figures.scanned = tally.scan_counts(driver, run.neo4j.database)
    finally:
        forget_run(run)
    say(f"{workers} worker(s): caught up in {figures.duration_s}s, {len(figures.fingerprint)} holdings")
    return figures


@dataclass(frozen=True)
class ScaleOutReport:
    one: WorkersRun
    many: WorkersRun
    diff: FingerprintDiff
    graph_diff: FingerprintDiff

    @property
    def identical(self) -> bool:
        return self.one.fingerprint == self.many.fingerprint and self.one.graph == self.many.graph

    @property
    def counts_hold(self) -> bool:
        """Each run's kept counts of held data equal what its holdings count."""
        return all(run.tallied is not None and run.tallied == run.scanned for run in (self.one, self.many))


def compare_workers(
    settings: Settings, catalog: Catalog, feed: list[Item], workers: int, say: Say
) -> ScaleOutReport:
    """One worker, then ``workers``, on the same feed: the graphs must be the same."""
    checked_at = datetime.now(UTC)
    one = run_workers(settings, catalog, feed, 1, checked_at, say)
    many = run_workers(settings, catalog, feed, workers, checked_at, say)
    return ScaleOutReport(
        one, many, compare(one.fingerprint, many.fingerprint), compare(one.graph, many.graph, GRAPH)
    )
