"""``lineage-lab bench``: end-to-end throughput and CPU an event of the pipeline on the real
servers, beside each stage alone on the same payloads, so the figure says what lineage adds.

Each end-to-end run (one worker, then two in one consumer group) has topics, a group and people
of its own (the feed's addresses plus-tagged with the run), so the runs do the same work, the
bench can run beside the demo, and its people are deleted afterwards: the graph is left as it
was found. The clock starts once the workers own their partitions and stops when their group
has committed every message, which a worker only does after Neo4j has the batch.
The stages alone (:mod:`lineage_lab.bench.ceiling`): adapters + encoding in this process, a bare
Kafka round trip (the raw payloads published to a throwaway topic as the publisher does, and
read back), and a minimal MERGE of the same holdings into throwaway labels, batched and one
transaction an event (on a sample: it is slow by design); and, to compare with, lineage's own
graph writer in this process. The batched three are the bare stages whose CPU, summed, end to
end is measured against. The bare graph stages change the schema (their labels' constraints),
which has Neo4j plan every statement anew, so they run last, after the stages that measure
lineage: its writer alone, then end to end. Before those, lineage's writer warms Neo4j up on
people of its own (``warm_up``), for a Neo4j just started or a schema changed by the last bench.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from graph.connection import open_async_driver, open_driver
from graph.writer import GraphWriter
from lineage import render
from lineage.answers.live_catalog import LiveCatalog
from lineage.demo.brevo_feed import brevo_feed
from lineage.domain.catalog import Catalog
from lineage.domain.events import DataMovementEvent, encode_event
from lineage.domain.subjects import SubjectHasher
from lineage.kafka.topics import Topics, TopicSpec
from lineage.settings import Settings
from lineage.sources import build_adapters
from lineage_lab.bench import ceiling
from lineage_lab.bench.ceiling import StageRate, chunks, timed
from lineage_lab.bench.cpu import CpuMeter
from lineage_lab.bench.writer import (
    BenchGraph,
    Rows,
    forget_subjects,
    holding_rows,
    restore_alerts,
    snapshot_alerts,
)
from lineage_lab.faults.scale_out import WorkerPool
from streams.admin import delete_topics, ensure_topics
from streams.monitor import drain_topic, topic_size
from streams.processing import DeadLetter, normalise
from streams.publisher import RawPublisher
from streams.worker import prepare

T = TypeVar("T")

GRAPH_BATCH = 1000  # events a batch, as the worker's record stage takes them
PER_EVENT_SAMPLE = 2000  # events the one-transaction-each writer gets: enough, and short
WORKER_COUNTS = (1, 2)
# A schema change (the last bench's bare graph stages) makes Neo4j plan every statement anew:
# the first ~8 batches after one cost it about three times what they cost a Neo4j that has been
# running them. lineage's writer runs this many events first, so the stages after it measure
# what a running worker costs, not a schema change.
WARM_UP_EVENTS = 10_000


def run_bench(
    settings: Settings,
    catalog: Catalog,
    people: int,
    as_json: bool,
    loglevel: str = "warning",
    workers: tuple[int, ...] = WORKER_COUNTS,
) -> None:
    run = f"bench-{uuid.uuid4().hex[:8]}"
    settings = settings.model_copy(update={"topic_namespace": run, "app_id": run})
    if settings.uses_local_stack:
        from lineage.stack.manager import stack_up

        stack_up(settings)
    prepare(settings, catalog)
    documents = list(brevo_feed(people, seed=11))
    payloads = [json.dumps(d).encode() for d in documents]
    events, adapt = measure_adapt(settings, catalog, payloads)
    hasher = SubjectHasher(settings.require_subject_key())
    tags = [f"{run}-{n}w" for n in workers] + [f"{run}-warm-up", f"{run}-writer"]
    with open_driver(settings) as driver:
        alerts = snapshot_alerts(driver, settings.neo4j.database)
    try:
        kafka = _measure_kafka(settings, Topics(f"{run}-kafka").raw("brevo"), payloads, len(events))
        warm_people, _ = measure_adapt(settings, catalog, tagged(documents, tags[-2]))
        warm_up = measure_writer(settings, warm_people[:WARM_UP_EVENTS], ceiling.WARM_UP)
        own_people, _ = measure_adapt(settings, catalog, tagged(documents, tags[-1]))
        writer = measure_writer(settings, own_people)
        runs, rss = _end_to_end_runs(settings, run, documents, workers, loglevel)
        result = {"people": people, **runs[0][1]}
        # last: their schema change would have Neo4j plan lineage's statements anew
        with open_driver(settings) as driver:
            batched, per_event = _measure_graph(settings, BenchGraph(driver, settings.neo4j.database), events)
    finally:
        for n in workers:
            delete_topics(settings.kafka, Topics(f"{run}-{n}w").all())
        delete_topics(settings.kafka, (Topics(f"{run}-kafka").raw("brevo"),))
        forget_bench_people(settings, hasher, documents, tags, alerts)
    stages = [adapt, kafka, batched, per_event, warm_up, writer]
    result |= ceiling.report(stages, runs[0][0], rss, [stage for stage, _ in runs[1:]])
    _print(result, as_json)


def server_pids(settings: Settings) -> dict[str, list[int]]:
    """Kafka's and Neo4j's process ids when they are the local stack's (else their CPU is not
    this machine's to read)."""
    if not settings.uses_local_stack:
        return {}
    from lineage.stack.manager import stack_status

    return {s.name.lower(): [s.pid] for s in stack_status(settings) if s.pid is not None}


def _metered(settings: Settings, work: Callable[[], T]) -> tuple[T, float, dict[str, float]]:
    """``work()``, its wall time, and the CPU this process (``bench``) and the servers spent."""
    meter = CpuMeter(lambda: server_pids(settings), own="bench").start()
    result, seconds = timed(work)
    return result, seconds, meter.stop()


def tagged(documents: list[dict[str, Any]], tag: str) -> list[bytes]:
    """The payloads with every address plus-tagged: each measured run writes people of its
    own, so every run does the same work on the graph (none finds another's holdings)."""
    return [json.dumps(_tag(d, tag)).encode() for d in documents]


def _tag(document: dict[str, Any], tag: str) -> dict[str, Any]:
    email = document.get("email")
    if not isinstance(email, str) or "@" not in email:
        return document
    local, domain = email.split("@", 1)
    return document | {"email": f"{local}+{tag}@{domain}"}


def forget_bench_people(
    settings: Settings,
    hasher: SubjectHasher,
    documents: list[dict[str, Any]],
    tags: list[str],
    alerts: list[dict[str, Any]],
) -> None:
    """The bench's people deleted, and the alerts as they were before it."""
    addresses = {d["email"] for d in documents if isinstance(d.get("email"), str)}
    keys = sorted(hasher.email(_tag({"email": a}, tag)["email"]) for tag in tags for a in addresses)
    with open_driver(settings) as driver:
        forget_subjects(driver, settings.neo4j.database, keys)
        restore_alerts(driver, settings.neo4j.database, alerts)


def measure_adapt(
    settings: Settings, catalog: Catalog, payloads: list[bytes]
) -> tuple[list[DataMovementEvent], StageRate]:
    """Normalise and encode every payload here, on one core: the worker's adapt step without
    Kafka or faust around it. Returns the events too, for the graph stages."""
    adapters = build_adapters(catalog)
    hasher = SubjectHasher(settings.require_subject_key())
    received = datetime.now(UTC)

    def adapt() -> list[DataMovementEvent]:
        events: list[DataMovementEvent] = []
        for raw in payloads:
            outcome = normalise("brevo", raw, adapters, hasher, {}, received)
            if isinstance(outcome, DeadLetter):
                continue
            for event in outcome:
                encode_event(event)
                events.append(event)
        return events

    events, seconds, cpu = _metered(settings, adapt)
    return events, StageRate(
        ceiling.ADAPT, len(events), "events", seconds, len(events), {"bench": cpu["bench"]}
    )


def measure_writer(
    settings: Settings, events: list[DataMovementEvent], name: str = ceiling.GRAPH_WRITER
) -> StageRate:
    """lineage's own :class:`GraphWriter` on the events, in the worker's batches, in this
    process: the record stage without Kafka or faust, the ceiling of what the worker can store."""
    policy = LiveCatalog.load(settings.catalog).retention

    async def write_all() -> None:
        driver = open_async_driver(settings)
        try:
            writer = GraphWriter(driver, settings.neo4j.database)
            for batch in chunks(events, GRAPH_BATCH):
                await writer.write(batch, policy)
        finally:
            await driver.close()

    _, seconds, cpu = _metered(settings, lambda: asyncio.run(write_all()))
    return StageRate(name, len(events), "events", seconds, len(events), _without(cpu, "kafka"))


def _end_to_end_runs(
    settings: Settings, run: str, documents: list[dict[str, Any]], workers: tuple[int, ...], loglevel: str
) -> tuple[list[tuple[StageRate, dict[str, Any]]], int | None]:
    """One end-to-end run per worker count, each on topics, a group and people of its own;
    returns the runs and the single worker's peak RSS."""
    runs, rss = [], None
    for n in workers:
        name = f"{run}-{n}w"
        each = settings.model_copy(update={"topic_namespace": name, "app_id": name})
        prepare(each, LiveCatalog.load(settings.catalog).catalog)
        measured, peak = _end_to_end(each, tagged(documents, name), n, loglevel)
        stage = StageRate(
            ceiling.end_to_end_name(n),
            measured["canonical_events"],
            "events",
            measured["end_to_end_s"],
            measured["canonical_events"],
            measured.pop("cpu_s"),
        )
        runs.append((stage, measured))
        if n == 1:
            rss = peak
    return runs, rss


def _end_to_end(
    settings: Settings, payloads: list[bytes], workers: int, loglevel: str
) -> tuple[dict[str, Any], int | None]:
    """Publish to the workers and wait for their group's commits; the workers' peak RSS is
    read while they still run (it dies with the process)."""
    names = Topics(settings.topic_namespace)
    with WorkerPool(settings, workers, settings.topic_namespace, loglevel) as pool:
        meter = CpuMeter(lambda: server_pids(settings) | {"worker": pool.pids()}, own="publisher")
        meter.start()
        started = time.monotonic()
        with RawPublisher(settings.kafka, names.raw("brevo").name) as publisher:
            for _ in publisher.publish(payloads):
                pass
        published = time.monotonic()
        pool.wait_caught_up(timeout=1800)
        finished = time.monotonic()
        cpu = meter.stop()  # the workers' CPU dies with them
        rss = max((r for r in pool.peak_rss_bytes() if r is not None), default=None)
    events = topic_size(settings.kafka, names.canonical.name)
    elapsed = finished - started
    return {
        "workers": workers,
        "payloads": len(payloads),
        "canonical_events": events,
        "publish_s": round(published - started, 2),
        "end_to_end_s": round(elapsed, 2),
        "payloads_per_s": round(len(payloads) / elapsed),
        "events_per_s": round(events / elapsed),
        "cpu_s": cpu,
    }, rss


def _measure_kafka(settings: Settings, topic: TopicSpec, payloads: list[bytes], events: int) -> StageRate:
    """The bare Kafka round trip: the raw payloads published to a throwaway topic with the
    publisher's producer (acks=all, its batching), then read back from beginning to end with
    a plain consumer; the CPU of this process and of Kafka."""
    ensure_topics(settings.kafka, (topic,))

    def round_trip() -> int:
        with RawPublisher(settings.kafka, topic.name) as publisher:
            for _ in publisher.publish(payloads):
                pass
        return drain_topic(settings.kafka, topic.name)

    read, seconds, cpu = _metered(settings, round_trip)
    return StageRate(
        ceiling.KAFKA_ROUND_TRIP,
        read,
        "messages",
        seconds,
        ceiling.scaled_events(read, len(payloads), events),
        _without(cpu, "neo4j"),
    )


def _without(cpu: dict[str, float], name: str) -> dict[str, float]:
    """A stage's CPU without a server it does not use (its background work is noise here)."""
    return {k: v for k, v in cpu.items() if k != name}


def _measure_graph(
    settings: Settings, graph: BenchGraph, events: list[DataMovementEvent]
) -> tuple[StageRate, StageRate]:
    """Batched, then (on an empty label again) one transaction per event on a sample."""
    per_event: list[Rows] = [holding_rows(e) for e in events]
    sample = per_event[:PER_EVENT_SAMPLE]
    graph.prepare()
    try:
        _, batched_s, batched_cpu = _metered(
            settings, lambda: graph.write_batches(chunks(per_event, GRAPH_BATCH))
        )
        graph.clear()
        _, each_s, each_cpu = _metered(settings, lambda: graph.write_each(sample))
    finally:
        graph.drop()
    return (
        StageRate(
            ceiling.GRAPH_BATCHED,
            len(per_event),
            "events",
            batched_s,
            len(per_event),
            _without(batched_cpu, "kafka"),
        ),
        StageRate(
            ceiling.GRAPH_PER_EVENT, len(sample), "events", each_s, len(sample), _without(each_cpu, "kafka")
        ),
    )


def _print(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(render.as_json(result))
        return
    render.console.print(
        f"{result['payloads']} Brevo payloads -> {result['canonical_events']} canonical events -> "
        f"Neo4j in {result['end_to_end_s']}s (publishing took {result['publish_s']}s)\n"
        f"throughput: {result['payloads_per_s']} payloads/s, {result['events_per_s']} events/s\n"
        f"{ceiling.format_report(result)}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
