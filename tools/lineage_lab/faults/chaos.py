"""``lineage-lab chaos``: the demo's whole feed replayed under faults, checked against a clean run.

Delivery guarantees are claims until something breaks. This replays every source of the demo
feed (scaled to the payload count asked for) twice on the local stack, each time on topics and
a consumer group of its own and an empty graph: once cleanly, once while the worker is killed
with SIGKILL at random moments and Kafka and Neo4j are each restarted once (on a stack of 3
brokers, the broker leading the most raw and canonical partitions is killed with SIGKILL instead,
and started again after ``down_s``). Traffic keeps arriving through the faults (the feed is
published in uneven bursts, one during each fault), and publishing retries until the broker
acknowledges. Then the two graphs are compared,
holding by holding and node by node, relationship by relationship: anything lost, extra or
differing is a broken guarantee.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from graph.connection import open_driver
from graph.reader import GraphReader
from lineage.answers.scheduled_checks import run_checks
from lineage.demo.brevo_feed import DAYS, DEFAULT_START, malformed_brevo_payloads
from lineage.demo.erasure_feed import deletion_payloads, erasure_person
from lineage.demo.run import feed_payloads
from lineage.domain.catalog import Catalog
from lineage.errors import LineageError
from lineage.kafka.clients import kafka_python_config
from lineage.kafka.topics import Topics
from lineage.settings import Settings
from lineage_lab import statements
from lineage_lab.faults.fingerprints import GRAPH, FingerprintDiff, compare
from lineage_lab.faults.injection import (
    BROKER,
    KAFKA,
    KILL,
    Fault,
    StackServers,
    WorkerSupervisor,
    fault_plan,
    require_local_stack,
    restarts_of,
)
from lineage_lab.faults.traffic import Item, Traffic
from lineage_lab.fingerprint import graph_fingerprint
from streams.admin import delete_topics
from streams.monitor import topic_size
from streams.worker import prepare

Say = Callable[[str], None]
# Overdue-retention and erasure alerts depend on the clock, not on the events: a run that lasts
# longer would have run them more often, at other moments. The workers do not run them; each
# run ends with them, at the same ``checked_at``, so the two graphs compare.
CLOCK_CHECKS_OFF_S = 7 * 86400.0
PER_PERSON = 17.9  # payloads per person in the demo feed, about: a first guess only
# Faults during which a burst is published against the cluster that lost a server, rather than
# just before: the publisher must wait them out (Kafka restarted) or carry on (a broker killed).
DURING = (KAFKA, BROKER)


@dataclass(frozen=True)
class ChaosOptions:
    payloads: int = 200_000
    kills: int = 10
    seed: int = 1
    down_s: float = 5.0
    stall_s: float = 300.0
    broker_kills: int = 1  # on a stack of 3 brokers: leaders killed, instead of the Kafka restart
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))


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
    ranked = [
        (n / len(payloads), order, source, payload)
        for order, (source, payloads) in enumerate(feeds.items())
        for n, payload in enumerate(payloads)
    ]
    ranked.sort(key=lambda row: row[:2])
    return [(source, payload) for _, _, source, payload in ranked]


# --- watching the worker ------------------------------------------------------------------


@dataclass(frozen=True)
class Offsets:
    """Raw and canonical messages written, and committed by the worker's group."""

    written: int
    committed: int

    @property
    def lag(self) -> int:
        return self.written - self.committed


def offsets(settings: Settings) -> Offsets | None:
    """Where the worker stands, or None while Kafka cannot say (restarting)."""
    names = Topics(settings.topic_namespace)
    watched = [t.name for t in names.all_raw()] + [names.canonical.name]
    try:
        admin = KafkaAdminClient(**kafka_python_config(settings.kafka), client_id="lineage-chaos")
        consumer = KafkaConsumer(**kafka_python_config(settings.kafka), enable_auto_commit=False)
    except (KafkaError, OSError):
        return None
    try:
        partitions = [
            TopicPartition(name, p)
            for name in watched
            for p in sorted(consumer.partitions_for_topic(name) or ())
        ]
        # commits before ends, as streams.monitor.LagProbe: the other order can miss output
        done = admin.list_group_offsets({settings.app_id: None}).get(settings.app_id, {})
        ends = consumer.end_offsets(partitions)
        return Offsets(sum(ends.values()), sum(max(0, done[tp].offset) for tp in partitions if tp in done))
    except (KafkaError, OSError):
        return None
    finally:
        consumer.close()
        admin.close()


def _past(moment: float, _offsets: Offsets) -> bool:
    return time.monotonic() >= moment


def watch(supervisor: WorkerSupervisor, ready: Callable[[Offsets], bool], stall_s: float) -> Offsets:
    """Poll until ``ready``; a worker that exited is restarted (and counted), one that commits
    nothing for ``stall_s`` while messages wait fails the run, naming its log."""
    last, moved = -1, time.monotonic()
    while True:
        supervisor.ensure_running()
        now = offsets(supervisor.settings)
        if now is not None and ready(now):
            return now
        if now is not None and (now.committed != last or now.lag == 0):
            last, moved = now.committed, time.monotonic()
        elif time.monotonic() - moved > stall_s:
            raise LineageError(f"the worker committed nothing for {stall_s:.0f}s; log: {supervisor.log_file}")
        time.sleep(0.5)


def caught_up(supervisor: WorkerSupervisor, stall_s: float) -> Offsets:
    return watch(supervisor, lambda now: now.lag == 0, stall_s)


# --- one run -----------------------------------------------------------------------------


@dataclass
class RunFigures:
    """What one run did and how long it took; ``fingerprint`` (holdings) and ``graph`` (every
    node and relationship) are the graph it left."""

    label: str
    namespace: str
    duration_s: float = 0.0
    published: int = 0
    resent: int = 0
    events: int = 0
    dead_letters: int = 0
    kills: int = 0
    restarts: dict[str, int] = field(default_factory=dict)
    unplanned_exits: list[str] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    fingerprint: list[str] = field(default_factory=list)
    graph: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """Everything but the fingerprints, which are compared, not printed."""
        return {k: v for k, v in self.__dict__.items() if k not in ("fingerprint", "graph")}


def run_once(
    settings: Settings,
    catalog: Catalog,
    label: str,
    feed: list[Item],
    faults: list[Fault],
    pace: float | None,
    options: ChaosOptions,
    say: Say,
) -> RunFigures:
    """The feed through a worker on fresh topics and an empty graph, faults included;
    ``pace`` (payloads/s) spreads the traffic out, None publishes it at once."""
    name = f"chaos-{label}-{uuid.uuid4().hex[:8]}"
    run = settings.model_copy(
        update={"topic_namespace": name, "app_id": name, "retention_check_s": CLOCK_CHECKS_OFF_S}
    )
    figures = RunFigures(label, name, restarts={f.kind: 0 for f in faults if f.kind != KILL})
    wipe_graph(run)
    prepare(run, catalog)
    supervisor = WorkerSupervisor(run, run.stack.home.resolve() / f"{name}.log")
    try:
        supervisor.start()
        say(f"{label} run: worker up (log {supervisor.log_file}), publishing {len(feed)} payloads")
        started = time.monotonic()
        _traffic_through_faults(feed, faults, pace, supervisor, figures, options, say)
        caught_up(supervisor, options.stall_s)
        figures.duration_s = round(time.monotonic() - started, 1)
        supervisor.shut_down()
        _collect(run, figures, supervisor, options.checked_at)
    finally:
        supervisor.shut_down()
        forget_run(run)
    say(f"{label} run: caught up in {figures.duration_s}s, {len(figures.fingerprint)} holdings")
    return figures


def _traffic_through_faults(
    feed: list[Item],
    faults: list[Fault],
    pace: float | None,
    supervisor: WorkerSupervisor,
    figures: RunFigures,
    options: ChaosOptions,
    say: Say,
) -> None:
    """Steady traffic, and each fault at its moment with a small burst of its own: published
    just before a kill or a Neo4j stop, so they meet uncommitted messages even once the steady
    traffic is over, and against the stopped broker for a Kafka restart."""
    settings = supervisor.settings
    steady, bursts = _split(feed, len(faults))
    traffic = Traffic(settings, steady, pace)
    window = len(steady) / pace if pace else 0.0
    started = time.monotonic()
    traffic.start()
    for number, (fault, burst) in enumerate(zip(faults, bursts, strict=True), start=1):
        moment = started + fault.at * window
        watch(supervisor, partial(_past, moment), options.stall_s)
        if fault.kind not in DURING:
            _add_published(figures, Traffic(settings, burst).publish_now())
        at = watch(supervisor, lambda now: True, options.stall_s)
        began = time.monotonic()
        sent, detail = strike(
            fault, supervisor, StackServers(settings), burst if fault.kind in DURING else [], options.down_s
        )
        _count(figures, fault, at, began - started, time.monotonic() - began, sent, detail)
        say(
            f"fault {number}/{len(faults)} at {began - started:.0f}s: {fault.kind}{detail and ' ' + detail}, "
            f"{at.lag} messages uncommitted, over in {figures.faults[-1]['took_s']}s"
        )
    _add_published(figures, traffic.finish())


def _split(feed: list[Item], faults: int) -> tuple[list[Item], list[list[Item]]]:
    """The steady traffic, and one burst per fault from the end of the feed (5% in all)."""
    if not faults:
        return feed, []
    size = max(1, min(max(50, len(feed) // (20 * faults)), len(feed) // (2 * faults)))
    steady = feed[: len(feed) - size * faults]
    rest = feed[len(steady) :]
    return steady, [rest[n * size : (n + 1) * size] for n in range(faults)]


def strike(
    fault: Fault, supervisor: WorkerSupervisor, servers: StackServers, burst: list[Item], down_s: float
) -> tuple[Traffic | None, str]:
    """One fault; ``burst`` is published against the stopped server and must get through.
    Returns the burst and what was struck, when there is more to say than the kind."""
    if fault.kind == KILL:
        supervisor.kill()
        supervisor.start()  # as a supervisor would
        return None, ""
    detail = ""
    if fault.kind == BROKER:
        node, led = servers.kill_leader()
        detail = f"node {node} (leader of {led} partitions)"
    else:
        servers.stop(fault.kind)
    traffic = Traffic(supervisor.settings, burst) if burst else None
    if traffic:
        traffic.start()
    time.sleep(down_s)
    if fault.kind == BROKER:
        servers.start_broker(node)
    else:
        servers.start(fault.kind)
    supervisor.ensure_running()
    return (traffic.finish() if traffic else None), detail


def _count(
    figures: RunFigures,
    fault: Fault,
    at: Offsets,
    when_s: float,
    took_s: float,
    burst: Traffic | None,
    detail: str = "",
) -> None:
    figures.faults.append(
        {"fault": fault.kind, "at_s": round(when_s, 1), "uncommitted": at.lag, "took_s": round(took_s, 1)}
        | ({"struck": detail} if detail else {})
    )
    if fault.kind == KILL:
        figures.kills += 1
    else:
        figures.restarts[fault.kind] += 1
    if burst is not None:
        _add_published(figures, burst)


def _add_published(figures: RunFigures, traffic: Traffic) -> None:
    figures.published += traffic.publisher.acked
    figures.resent += traffic.publisher.resent


def _collect(run: Settings, figures: RunFigures, supervisor: WorkerSupervisor, checked_at: datetime) -> None:
    """The run's figures, once the clock-driven checks have run on the graph it left."""
    names = Topics(run.topic_namespace)
    figures.events = topic_size(run.kafka, names.canonical.name)
    figures.dead_letters = topic_size(run.kafka, names.dead_letter.name)
    figures.unplanned_exits = supervisor.unplanned_exits
    figures.counts, figures.fingerprint, figures.graph = graph_left(run, checked_at)


def graph_left(run: Settings, checked_at: datetime) -> tuple[dict[str, int], list[str], list[str]]:
    """The graph a run left, once the clock-driven checks have run on it: its counts, its
    holdings fingerprint and its whole-graph fingerprint."""
    with open_driver(run) as driver:
        run_checks(driver, run.neo4j.database, checked_at)
        reader = GraphReader(driver, run.neo4j.database)
        return reader.counts(), reader.fingerprint(), graph_fingerprint(driver, run.neo4j.database)


def wipe_graph(settings: Settings, limit: int = 10_000) -> None:
    """Community Neo4j has one database: each run starts from an empty graph."""
    with open_driver(settings) as driver:
        while True:
            records, _, _ = driver.execute_query(
                statements.WIPE_SLICE, limit=limit, database_=settings.neo4j.database
            )
            if records[0]["deleted"] == 0:
                return


def forget_run(settings: Settings) -> None:
    """Delete the run's topics and consumer group: nothing of it is left in Kafka."""
    delete_topics(settings.kafka, Topics(settings.topic_namespace).all())
    with contextlib.suppress(KafkaError):
        admin = KafkaAdminClient(**kafka_python_config(settings.kafka))
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
    graph_diff: FingerprintDiff
    brokers: int = 1

    @property
    def passed(self) -> bool:
        """Same graph, every fault delivered, and no worker gave up on its own."""
        return (
            self.diff.identical
            and self.graph_diff.identical
            and not self.chaos.unplanned_exits
            and self.chaos.kills == self.options.kills
            and self.chaos.restarts == self.restarts_planned
        )

    @property
    def restarts_planned(self) -> dict[str, int]:
        planned = restarts_of(self.brokers, self.options.broker_kills)
        return {kind: planned.count(kind) for kind in planned}

    def as_dict(self) -> dict[str, Any]:
        diff, graph = self.diff.summary(), self.graph_diff.summary()
        return {
            "passed": self.passed,
            "payloads": self.payloads,
            "people": self.people,
            "events": self.clean.events,
            "seed": self.options.seed,
            "brokers": self.brokers,
            "kills": self.chaos.kills,
            "kills_requested": self.options.kills,
            "restarts": self.chaos.restarts,
            "unplanned_worker_exits": len(self.chaos.unplanned_exits),
            "duration_s": {"clean": self.clean.duration_s, "chaos": self.chaos.duration_s},
            "holdings": {"clean": diff.pop("reference_lines"), "chaos": diff.pop("other_lines")},
            **diff,
            "graph": {
                "lines": {"clean": graph.pop("reference_lines"), "chaos": graph.pop("other_lines")},
                **graph,
            },
            "runs": {"clean": self.clean.public(), "chaos": self.chaos.public()},
        }


def run_chaos(settings: Settings, catalog: Catalog, options: ChaosOptions, say: Say) -> ChaosReport:
    """Clean run, then the chaos run, on the local stack; the graph left is the chaos run's."""
    require_local_stack(settings)
    from lineage.stack.manager import stack_up

    stack_up(settings)
    people, feed = chaos_feed(options.payloads)
    say(f"feed: {len(feed)} payloads from {len({s for s, _ in feed})} sources, {people} people")
    clean = run_once(settings, catalog, "clean", feed, [], None, options, say)
    pace = len(feed) / max(clean.duration_s, 1.0)  # the traffic arrives as fast as it went
    brokers = settings.stack.kafka_brokers
    plan = fault_plan(options.kills, options.seed, restarts_of(brokers, options.broker_kills))
    chaos = run_once(settings, catalog, "chaos", feed, plan, pace, options, say)
    return ChaosReport(
        options,
        people,
        len(feed),
        clean,
        chaos,
        compare(clean.fingerprint, chaos.fingerprint),
        compare(clean.graph, chaos.graph, GRAPH),
        brokers,
    )
