"""``lineage bench``: end-to-end throughput of the pipeline on the real servers.

It runs on topics and a consumer group of its own (a fresh namespace per run), so it can run
beside the demo; its people are the demo feed's, so the graph is merged into, not reset.
The clock starts once the worker owns its partitions and stops when its consumer group has
committed every message, which the worker only does after Neo4j has the batch.
"""

from __future__ import annotations

import json
import time
import uuid

from graph.connection import open_driver
from graph.reader import GraphReader
from lineage.cli import render
from lineage.demo.brevo_feed import brevo_feed
from lineage.domain.catalog import Catalog
from lineage.runner import WorkerProcess
from lineage.settings import Settings
from streams.admin import delete_topics
from streams.monitor import topic_size
from streams.publisher import RawPublisher
from streams.topics import Topics
from streams.worker import prepare


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
    log = settings.stack.home.resolve() / f"{run}.log"
    with WorkerProcess(settings, log, loglevel).start() as worker:
        started = time.monotonic()
        with RawPublisher(settings.kafka_bootstrap, names.raw("brevo").name) as publisher:
            for _ in publisher.publish(payloads):
                pass
        published = time.monotonic()
        worker.wait_caught_up(timeout=1800)
        finished = time.monotonic()
    events = topic_size(settings.kafka_bootstrap, names.canonical.name)
    delete_topics(settings.kafka_bootstrap, names.all())
    with open_driver(settings) as driver:
        counts = GraphReader(driver, settings.neo4j.database).counts()
    result = {
        "people": people, "payloads": len(payloads), "canonical_events": events,
        "publish_s": round(published - started, 2), "end_to_end_s": round(finished - started, 2),
        "payloads_per_s": round(len(payloads) / (finished - started)),
        "events_per_s": round(events / (finished - started)), "graph": counts,
    }
    if as_json:
        print(render.as_json(result))
        return
    render.console.print(
        f"{len(payloads)} Brevo payloads -> {events} canonical events -> Neo4j in "
        f"{result['end_to_end_s']}s (publishing took {result['publish_s']}s)\n"
        f"throughput: {result['payloads_per_s']} payloads/s, {result['events_per_s']} events/s\n"
        f"graph now: {render.summary(counts)}"
    )
