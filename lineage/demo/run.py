"""``make demo`` / ``lineage demo``: the whole pipeline on a realistic feed, then a report."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from graph.connection import open_driver
from graph.reader import GraphReader
from lineage.cli import render
from lineage.demo.brevo_feed import brevo_feed, malformed_brevo_payloads
from lineage.domain.catalog import Catalog
from lineage.domain.subjects import SubjectHasher
from lineage.runner import WorkerProcess
from lineage.settings import Settings
from streams.monitor import read_dead_letters
from streams.publisher import RawPublisher
from streams.topics import Topics
from streams.worker import prepare

console = render.console


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console)


def publish_with_progress(settings: Settings, source: str, payloads: list[bytes]) -> None:
    topic = Topics(settings.topic_namespace).raw(source).name
    with _progress() as bar, RawPublisher(settings.kafka_bootstrap, topic) as publisher:
        task = bar.add_task(f"publishing to {topic}", total=len(payloads))
        for count in publisher.publish(payloads):
            if count % 500 == 0 or count == len(payloads):
                bar.update(task, completed=count)


def wait_with_progress(worker: WorkerProcess, total: int) -> None:
    with _progress() as bar:
        task = bar.add_task("worker: raw -> canonical -> Neo4j", total=None)

        def show(lag: int) -> None:
            bar.update(task, total=max(total, lag), completed=max(0, total - lag))

        worker.wait_caught_up(timeout=900, on_progress=show)
        bar.update(task, completed=bar.tasks[0].total)


def feed_payloads(people: int) -> tuple[list[bytes], list[dict[str, Any]]]:
    documents = list(brevo_feed(people))
    return [json.dumps(d, ensure_ascii=False).encode() for d in documents], documents


def example_person(documents: Iterable[dict[str, Any]]) -> str:
    """Someone with a profile update and no deletion: the most interesting data map."""
    deleted = {d.get("email") for d in documents if d.get("event") == "contact_deleted"}
    updated = [d["email"] for d in documents if d.get("event") == "contact_updated"]
    return next(e for e in updated if e not in deleted)


def run_demo(settings: Settings, catalog: Catalog, people: int) -> None:
    started = time.monotonic()
    if settings.uses_local_stack:
        from lineage.stack.manager import stack_up

        with console.status("Starting Kafka and Neo4j on loopback (first run downloads jars)..."):
            stack_up(settings)
        console.print(f"stack up: Kafka {settings.kafka_bootstrap}, Neo4j {settings.neo4j_uri}")
    prepare(settings, catalog)
    payloads, documents = feed_payloads(people)
    bad = malformed_brevo_payloads()
    with WorkerProcess(settings).start() as worker:
        console.print(f"worker running (log: {worker.log_file})")
        publish_with_progress(settings, "brevo", payloads + bad)
        wait_with_progress(worker, total=len(payloads) + len(bad))
    console.print(f"pipeline caught up in {time.monotonic() - started:.1f}s\n")
    print_report(settings, example_person(documents))


def print_report(settings: Settings, email: str) -> None:
    key = SubjectHasher(settings.require_subject_key()).email(email)
    with open_driver(settings) as driver:
        reader = GraphReader(driver, settings.neo4j.database)
        counts = reader.counts()
        stores, countries = reader.store_summary(), reader.country_summary()
        impact = reader.erasure_impact(key)
    letters = read_dead_letters(settings.kafka_bootstrap,
                                Topics(settings.topic_namespace).dead_letter.name, limit=10)
    console.rule("What lineage found")
    console.print(f"{counts['subjects']} people, {counts['held']} data holdings still held "
                  f"({counts['holdings'] - counts['held']} erased), {counts['stores']} stores")
    render.table("Stores", [s for s in stores if s["holdings"] or s["subjects_erased"]],
                 render.STORE_COLUMNS)
    render.table("Countries where data is held", countries, render.COUNTRY_COLUMNS)
    render.table(f"Erasure impact for {email}", render.sub_processor_names(impact),
                 render.IMPACT_COLUMNS)
    render.table(f"Dead letters (newest {len(letters)})", letters, ("source", "reason"))
    console.rule("Ask further")
    for command in (f"lineage subject {email}", f"lineage erasure-impact {email} --json",
                    "lineage report", "lineage dead-letters", "lineage stack down"):
        console.print(f"  .venv/bin/{command}")
