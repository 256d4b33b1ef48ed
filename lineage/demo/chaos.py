"""``lineage chaos``: the demo's whole feed replayed under faults, checked against a clean run.

Delivery guarantees are claims until something breaks. This replays every source of the demo
feed (scaled to the payload count asked for) twice on the local stack, each time on topics and
a consumer group of its own and an empty graph: once cleanly, once while the worker is killed
with SIGKILL at random moments and Kafka and Neo4j are each restarted once. Traffic keeps
arriving through the faults (the feed is published in uneven bursts, one during each fault),
and publishing retries until the broker acknowledges. Then the two graphs' fingerprints are
compared holding by holding: anything lost, extra or differing is a broken guarantee.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from graph import queries
from graph.connection import open_driver
from graph.reader import GraphReader
from lineage.demo.brevo_feed import DAYS, DEFAULT_START, malformed_brevo_payloads
from lineage.demo.erasure_feed import deletion_payloads, erasure_person
from lineage.demo.faults import (
    KAFKA,
    KILL,
    NEO4J,
    Fault,
    StackServers,
    WorkerSupervisor,
    fault_plan,
    require_local_stack,
    segment_sizes,
)
from lineage.demo.fingerprints import FingerprintDiff, compare
from lineage.demo.run import feed_payloads
from lineage.domain.catalog import Catalog
from lineage.errors import LineageError, StackError
from lineage.settings import Settings
from streams.admin import delete_topics
from streams.monitor import consumer_lag, topic_size
from streams.publisher import RawPublisher
from streams.topics import Topics
from streams.worker import prepare

Say = Callable[[str], None]
Item = tuple[str, bytes]  # (source, native payload)
PER_PERSON = 17.9  # payloads per person in the demo feed, measured: a first guess only


@dataclass(frozen=True)
class ChaosOptions:
    payloads: int = 200_000
    kills: int = 10
    seed: int = 1
    down_s: float = 5.0
    stall_s: float = 300.0


# --- the feed ----------------------------------------------------------------------------

def chaos_feed(payloads: int) -> tuple[int, list[Item]]:
    """The demo's feed of every source for enough people to reach ``payloads``, with its
    malformed payloads and one person's deletions everywhere; returns (people, feed)."""
    people = max(1, math.ceil(payloads / PER_PERSON))
    while True:
        feeds = feed_payloads(people)
        total = sum(len(p) for p in feeds.values())
        if total >= payloads:
            break
        people += math.ceil((payloads - total) / PER_PERSON) + 1
    feeds["brevo"] += malformed_brevo_payloads()
    erased_at = DEFAULT_START + timedelta(days=DAYS)  # fixed: both runs get the same bytes
    for source, documents in deletion_payloads(erasure_person(people), erased_at).items():
        feeds[source] += [json.dumps(d).encode() for d in documents]
    return people, interleave(feeds)


def interleave(feeds: dict[str, list[bytes]]) -> list[Item]:
    """All sources mixed in proportion, each in its own order, as they would arrive together."""
    ranked = [(n / len(payloads), order, source, payload)
              for order, (source, payloads) in enumerate(feeds.items())
              for n, payload in enumerate(payloads)]
    ranked.sort(key=lambda row: row[:2])
    return [(source, payload) for _, _, source, payload in ranked]


# --- publishing --------------------------------------------------------------------------

class AckedPublisher:
    """Publishes (source, payload) pairs until the broker acknowledged every one.

    A chunk the producer gives up on (Kafka down past its delivery timeout) is sent again
    whole, as a webhook source retries a request that was not answered: some payloads then
    arrive twice, which the idempotent writes absorb.
    """

    def __init__(self, settings: Settings, chunk: int = 2000, retry_s: float = 2.0) -> None:
        self._settings, self._chunk, self._retry_s = settings, chunk, retry_s
        self._topics = Topics(settings.topic_namespace)
        self._open: dict[str, RawPublisher] = {}
        self.acked = self.resent = 0

    def publish(self, items: list[Item]) -> None:
        for start in range(0, len(items), self._chunk):
            self._publish_chunk(items[start:start + self._chunk])

    def _publish_chunk(self, chunk: list[Item]) -> None:
        while True:
            try:
                for source, payloads in _by_source(chunk).items():
                    for _ in self._publisher(source).publish(payloads):
                        pass
                self.acked += len(chunk)
                return
            except (KafkaError, StackError, OSError):
                self.close()
                self.resent += len(chunk)
                time.sleep(self._retry_s)

    def _publisher(self, source: str) -> RawPublisher:
        if source not in self._open:
            self._open[source] = RawPublisher(self._settings.kafka_bootstrap,
                                              self._topics.raw(source).name)
        return self._open[source]

    def close(self) -> None:
        for publisher in self._open.values():
            with contextlib.suppress(Exception):
                publisher.close()
        self._open.clear()


def _by_source(chunk: list[Item]) -> dict[str, list[bytes]]:
    grouped: dict[str, list[bytes]] = {}
    for source, payload in chunk:
        grouped.setdefault(source, []).append(payload)
    return grouped


class _Background(threading.Thread):
    """Publishing beside a fault; ``join`` re-raises what went wrong in it."""

    def __init__(self, publisher: AckedPublisher, items: list[Item]) -> None:
        super().__init__(daemon=True)
        self._publisher, self._items = publisher, items
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            self._publisher.publish(self._items)
        except BaseException as exc:
            self._error = exc

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self._error is not None:
            raise self._error


# --- watching the backlog ----------------------------------------------------------------

def backlog(settings: Settings) -> int | None:
    """Uncommitted raw and canonical messages, or None while Kafka cannot say (restarting)."""
    names = Topics(settings.topic_namespace)
    watched = [t.name for t in names.all_raw()] + [names.canonical.name]
    try:
        return consumer_lag(settings.kafka_bootstrap, settings.app_id, watched)
    except (KafkaError, OSError):
        return None


def drain(supervisor: WorkerSupervisor, done: Callable[[int], bool], stall_s: float) -> int:
    """Wait until ``done(backlog)``; a worker that exited is restarted (and counted), one
    that stops making progress for ``stall_s`` fails the run with its log."""
    last, changed = None, time.monotonic()
    while True:
        supervisor.ensure_running()
        lag = backlog(supervisor.settings)
        if lag is not None and done(lag):
            return lag
        if lag != last:
            last, changed = lag, time.monotonic()
        elif time.monotonic() - changed > stall_s:
            raise LineageError(f"the worker made no progress for {stall_s:.0f}s (backlog {lag}); "
                               f"log: {supervisor.log_file}")
        time.sleep(0.5)


def current_backlog(supervisor: WorkerSupervisor, stall_s: float) -> int:
    return drain(supervisor, lambda lag: True, stall_s)


# --- one run -----------------------------------------------------------------------------

@dataclass
class RunFigures:
    """What one run did and how long it took; ``fingerprint`` is the graph it left."""

    label: str
    namespace: str
    duration_s: float = 0.0
    published: int = 0
    resent: int = 0
    events: int = 0
    dead_letters: int = 0
    kills: int = 0
    restarts: dict[str, int] = field(default_factory=lambda: {KAFKA: 0, NEO4J: 0})
    unplanned_exits: list[str] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    fingerprint: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """Everything but the fingerprint, which is compared, not printed."""
        return {k: v for k, v in self.__dict__.items() if k != "fingerprint"}


def run_once(settings: Settings, catalog: Catalog, label: str, feed: list[Item],
             faults: list[Fault], pace: float, options: ChaosOptions, say: Say) -> RunFigures:
    """The feed through a worker on fresh topics and an empty graph, faults included;
    ``pace`` (messages/s) is how fast a clean run went, to time the faults."""
    name = f"chaos-{label}-{uuid.uuid4().hex[:8]}"
    run = settings.model_copy(update={"topic_namespace": name, "app_id": name})
    figures = RunFigures(label, name)
    wipe_graph(run)
    prepare(run, catalog)
    supervisor = WorkerSupervisor(run, run.stack.home.resolve() / f"{name}.log")
    publisher = AckedPublisher(run)
    try:
        supervisor.start()
        say(f"{label} run: worker up (log {supervisor.log_file}), publishing {len(feed)} payloads")
        started = time.monotonic()
        _feed_through_faults(feed, faults, pace, supervisor, publisher, figures, options, say)
        drain(supervisor, lambda lag: lag == 0, options.stall_s)
        figures.duration_s = round(time.monotonic() - started, 1)
        supervisor.shut_down()
        _collect(run, figures, supervisor, publisher)
    finally:
        supervisor.shut_down()
        publisher.close()
        forget_run(run)
    say(f"{label} run: caught up in {figures.duration_s}s, {len(figures.fingerprint)} holdings")
    return figures


def _feed_through_faults(feed: list[Item], faults: list[Fault], pace: float,
                         supervisor: WorkerSupervisor, publisher: AckedPublisher,
                         figures: RunFigures, options: ChaosOptions, say: Say) -> None:
    """A burst of traffic, then for each fault: wait for its moment, strike while the next
    burst is published, and carry on."""
    bursts = _bursts(feed, len(faults) + 1, options.seed)
    publisher.publish(bursts[0])
    for number, (fault, burst) in enumerate(zip(faults, bursts[1:], strict=True), start=1):
        lag = await_moment(supervisor, fault, pace, options.stall_s)
        began = time.monotonic()
        strike(fault, supervisor, StackServers(supervisor.settings),
               _Background(publisher, burst), options.down_s)
        figures.faults.append({"fault": fault.kind, "backlog": lag,
                               "took_s": round(time.monotonic() - began, 1)})
        if fault.kind == KILL:
            figures.kills += 1
        else:
            figures.restarts[fault.kind] += 1
        say(f"fault {number}/{len(faults)}: {fault.kind} with {lag} messages uncommitted, "
            f"over in {figures.faults[-1]['took_s']}s")


def _bursts(feed: list[Item], parts: int, seed: int) -> list[list[Item]]:
    bursts, start = [], 0
    for size in segment_sizes(len(feed), parts, seed):
        bursts.append(feed[start:start + size])
        start += size
    return bursts


def await_moment(supervisor: WorkerSupervisor, fault: Fault, pace: float, stall_s: float) -> int:
    """Wait until the worker is making progress again (a restarted one has joined), then for
    ``fault.at`` of the time the backlog would take at the clean run's ``pace``: the fault lands
    mid-stream, at a moment nobody chose. Returns the backlog at that moment."""
    after_last = current_backlog(supervisor, stall_s)
    lag = drain(supervisor, lambda lag: lag < after_last or lag == 0, stall_s)
    until = time.monotonic() + fault.at * lag / pace
    return drain(supervisor, lambda lag: time.monotonic() >= until or lag == 0, stall_s)


def strike(fault: Fault, supervisor: WorkerSupervisor, servers: StackServers,
           burst: _Background, down_s: float) -> None:
    """One fault, with a burst of traffic published while it lasts."""
    if fault.kind == KILL:
        supervisor.kill()
        burst.start()
        supervisor.start()  # as a supervisor would; it waits for the group to settle
    else:
        servers.stop(fault.kind)
        burst.start()  # against a stopped broker, publishing retries until it is back
        time.sleep(down_s)
        servers.start(fault.kind)
    burst.join()
    supervisor.ensure_running()


def _collect(run: Settings, figures: RunFigures, supervisor: WorkerSupervisor,
             publisher: AckedPublisher) -> None:
    names = Topics(run.topic_namespace)
    figures.published, figures.resent = publisher.acked, publisher.resent
    figures.events = topic_size(run.kafka_bootstrap, names.canonical.name)
    figures.dead_letters = topic_size(run.kafka_bootstrap, names.dead_letter.name)
    figures.unplanned_exits = supervisor.unplanned_exits
    with open_driver(run) as driver:
        reader = GraphReader(driver, run.neo4j.database)
        figures.counts, figures.fingerprint = reader.counts(), reader.fingerprint()


def wipe_graph(settings: Settings) -> None:
    """Community Neo4j has one database: each run starts from an empty graph."""
    with open_driver(settings) as driver:
        driver.execute_query(queries.WIPE, database_=settings.neo4j.database)


def forget_run(settings: Settings) -> None:
    """Delete the run's topics and consumer group: nothing of it is left in Kafka."""
    delete_topics(settings.kafka_bootstrap, Topics(settings.topic_namespace).all())
    with contextlib.suppress(KafkaError):
        admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
        try:
            admin.delete_groups([settings.app_id])
        finally:
            admin.close()


# --- the whole command -------------------------------------------------------------------

@dataclass(frozen=True)
class ChaosReport:
    options: ChaosOptions
    people: int
    payloads: int
    clean: RunFigures
    chaos: RunFigures
    diff: FingerprintDiff

    @property
    def passed(self) -> bool:
        """Same graph, every fault delivered, and no worker gave up on its own."""
        return (self.diff.identical and not self.chaos.unplanned_exits
                and self.chaos.kills == self.options.kills
                and all(n == 1 for n in self.chaos.restarts.values()))

    def as_dict(self) -> dict[str, Any]:
        diff = self.diff.summary()
        return {
            "passed": self.passed, "payloads": self.payloads, "people": self.people,
            "events": self.clean.events, "seed": self.options.seed,
            "kills": self.chaos.kills, "kills_requested": self.options.kills,
            "restarts": self.chaos.restarts,
            "unplanned_worker_exits": len(self.chaos.unplanned_exits),
            "duration_s": {"clean": self.clean.duration_s, "chaos": self.chaos.duration_s},
            "holdings": {"clean": diff.pop("reference_lines"), "chaos": diff.pop("other_lines")},
            **diff,
            "runs": {"clean": self.clean.public(), "chaos": self.chaos.public()},
        }


def run_chaos(settings: Settings, catalog: Catalog, options: ChaosOptions, say: Say) -> ChaosReport:
    """Clean run, then the chaos run, on the local stack; the graph left is the chaos run's."""
    require_local_stack(settings)
    from lineage.stack.manager import stack_up

    stack_up(settings)
    people, feed = chaos_feed(options.payloads)
    say(f"feed: {len(feed)} payloads from {len({s for s, _ in feed})} sources, {people} people")
    clean = run_once(settings, catalog, "clean", feed, [], 1.0, options, say)
    pace = (clean.published + clean.events) / max(clean.duration_s, 1.0)
    plan = fault_plan(options.kills, options.seed)
    chaos = run_once(settings, catalog, "chaos", feed, plan, pace, options, say)
    return ChaosReport(options, people, len(feed), clean, chaos,
                       compare(clean.fingerprint, chaos.fingerprint))
