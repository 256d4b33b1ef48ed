"""``lineage bench``: end-to-end throughput of the pipeline on the real servers, and the ceiling
each stage alone allows on the same payloads, so the figure says what it is bound by.

It runs on topics and a consumer group of its own (a fresh namespace per run), so it can run
beside the demo; its people are the demo feed's, so the graph is merged into, not reset.
The end-to-end clock starts once the worker owns its partitions and stops when its consumer
group has committed every message, which the worker only does after Neo4j has the batch.
The stages alone (:mod:`lineage.demo.ceiling`): adapters + encoding in this process, a bare
Kafka read of the raw topic, and a minimal MERGE of the same holdings into throwaway labels,
batched and one transaction an event (on a sample: it is slow by design).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from graph.bench_writer import BenchGraph, Rows, holding_rows
from graph.connection import open_driver
from graph.reader import GraphReader
from lineage.adapters import build_adapters
from lineage.cli import render
from lineage.demo import ceiling
from lineage.demo.brevo_feed import brevo_feed
from lineage.demo.ceiling import StageRate, chunks, timed
from lineage.domain.catalog import Catalog
from lineage.domain.events import DataMovementEvent, encode_event
from lineage.domain.subjects import SubjectHasher
from lineage.runner import WorkerProcess
from lineage.settings import Settings
from streams.admin import delete_topics
from streams.monitor import drain_topic, topic_size
from streams.processing import DeadLetter, normalise
from streams.publisher import RawPublisher
from streams.topics import Topics
from streams.worker import prepare

GRAPH_BATCH = 1000  # events a batch, as the worker's record stage takes them
PER_EVENT_SAMPLE = 2000  # events the one-transaction-each writer gets: enough, and short


def run_bench(settings: Settings, catalog: Catalog, people: int, as_json: bool,
              loglevel: str = "warning") -> None:
    run = f"bench-{uuid.uuid4().hex[:8]}"
    settings = settings.model_copy(update={"topic_namespace": run, "app_id": run})
    if settings.uses_local_stack:
        from lineage.stack.manager import stack_up

        stack_up(settings)
    prepare(settings, catalog)
    names = Topics(run)
    payloads = [json.dumps(d).encode() for d in brevo_feed(people, seed=11)]
    events, adapt = measure_adapt(settings, catalog, payloads)
    measured, rss = _end_to_end(settings, run, payloads, loglevel)
    result = {"people": people} | measured
    kafka = _measure_kafka(settings, names.raw("brevo").name, len(payloads), len(events))
    delete_topics(settings.kafka, names.all())
    with open_driver(settings) as driver:
        batched, per_event = _measure_graph(BenchGraph(driver, settings.neo4j.database), events)
        result["graph"] = GraphReader(driver, settings.neo4j.database).counts()
    end_to_end = StageRate(ceiling.END_TO_END, result["canonical_events"], "events",
                           result["end_to_end_s"], result["canonical_events"])
    result |= ceiling.report([adapt, kafka, batched, per_event], end_to_end, rss)
    _print(result, as_json)


def measure_adapt(settings: Settings, catalog: Catalog,
                  payloads: list[bytes]) -> tuple[list[DataMovementEvent], StageRate]:
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

    events, seconds = timed(adapt)
    return events, StageRate(ceiling.ADAPT, len(events), "events", seconds, len(events))


def _end_to_end(settings: Settings, run: str, payloads: list[bytes],
                loglevel: str) -> tuple[dict[str, Any], int | None]:
    """Publish to a worker and wait for its commits, as before; the worker's peak RSS is read
    while it still runs (it dies with the process)."""
    names = Topics(run)
    log = settings.stack.home.resolve() / f"{run}.log"
    with WorkerProcess(settings, log, loglevel).start() as worker:
        started = time.monotonic()
        with RawPublisher(settings.kafka, names.raw("brevo").name) as publisher:
            for _ in publisher.publish(payloads):
                pass
        published = time.monotonic()
        worker.wait_caught_up(timeout=1800)
        finished = time.monotonic()
        rss = worker.peak_rss_bytes()
    events = topic_size(settings.kafka, names.canonical.name)
    elapsed = finished - started
    return {
        "payloads": len(payloads), "canonical_events": events,
        "publish_s": round(published - started, 2), "end_to_end_s": round(elapsed, 2),
        "payloads_per_s": round(len(payloads) / elapsed), "events_per_s": round(events / elapsed),
    }, rss


def _measure_kafka(settings: Settings, topic: str, payloads: int, events: int) -> StageRate:
    read, seconds = timed(lambda: drain_topic(settings.kafka, topic))
    return StageRate(ceiling.KAFKA_READ, read, "messages", seconds,
                     ceiling.scaled_events(read, payloads, events))


def _measure_graph(graph: BenchGraph,
                   events: list[DataMovementEvent]) -> tuple[StageRate, StageRate]:
    """Batched, then (on an empty label again) one transaction per event on a sample."""
    per_event: list[Rows] = [holding_rows(e) for e in events]
    sample = per_event[:PER_EVENT_SAMPLE]
    graph.prepare()
    try:
        _, batched_s = timed(lambda: graph.write_batches(chunks(per_event, GRAPH_BATCH)))
        graph.clear()
        _, each_s = timed(lambda: graph.write_each(sample))
    finally:
        graph.drop()
    return (StageRate(ceiling.GRAPH_BATCHED, len(per_event), "events", batched_s, len(per_event)),
            StageRate(ceiling.GRAPH_PER_EVENT, len(sample), "events", each_s, len(sample)))


def _print(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(render.as_json(result))
        return
    render.console.print(
        f"{result['payloads']} Brevo payloads -> {result['canonical_events']} canonical events -> "
        f"Neo4j in {result['end_to_end_s']}s (publishing took {result['publish_s']}s)\n"
        f"throughput: {result['payloads_per_s']} payloads/s, {result['events_per_s']} events/s\n"
        f"{ceiling.format_report(result)}\n"
        f"graph now: {render.summary(result['graph'])}", highlight=False, markup=False, soft_wrap=True)
