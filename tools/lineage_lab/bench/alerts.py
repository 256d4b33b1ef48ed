"""``lineage-lab bench-alerts``: raw topic -> alert on the alerts topic, p50/p99, under load.

Each trigger must raise an alert of its own. For transfers (``--kind transfer``) each opens a
flow of its own (one alert per flow), so the worker runs with the catalog plus N bench stores
run by a US processor with no transfer mechanism. For withdrawals (``--kind withdrawal``) each
trigger person has withdrawn their newsletter consent before the measurement, and the trigger is
a newsletter delivered to them (one alert per withdrawal). Latency is the alert record's Kafka
timestamp (set by the worker's producer) minus the moment the trigger was sent, both read from
this machine's clock. A background thread publishes ordinary Brevo traffic at a fixed rate
meanwhile.
"""

from __future__ import annotations

import json
import re
import statistics
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import yaml
from kafka import KafkaConsumer

from graph.connection import open_driver
from lineage import render
from lineage.demo.brevo_feed import brevo_feed
from lineage.domain.catalog import Catalog, parse_catalog
from lineage.domain.subjects import SubjectHasher
from lineage.kafka.clients import kafka_python_config
from lineage.kafka.topics import Topics
from lineage.runner import WorkerProcess
from lineage.settings import Settings
from lineage_lab import statements
from lineage_lab.bench.writer import restore_alerts, snapshot_alerts
from streams.admin import delete_topics
from streams.publisher import RawPublisher
from streams.worker import prepare


def bench_catalog(catalog_text: str, run: str, stores: int) -> str:
    data = yaml.safe_load(catalog_text)
    data["processors"].append(
        {"id": "bench-us", "name": "Bench recipient", "country": "US", "transfer_mechanism": {"kind": "none"}}
    )
    data["systems"].append(
        {
            "id": "bench",
            "name": "Bench system",
            "kind": "other",
            "processor": "bench-us",
            "stores": [{"id": _store(run, i), "country": "US"} for i in range(stores)],
        }
    )
    return yaml.safe_dump(data, allow_unicode=True)


def _store(run: str, i: int) -> str:
    return f"bench/{run}/store-{i}"


def _trigger_email(run: str, i: int) -> str:
    return f"trigger{i}.{run}@example.com"


NEWSLETTER, NEWSLETTER_USE = "brevo/contacts", "marketing.communications.email"
ALERT_KINDS = ("transfer", "withdrawal")


def _trigger(run: str, i: int, kind: str) -> bytes:
    """The payload whose alert is timed: a new flow, or a delivery after the withdrawal."""
    event: dict[str, Any] = {
        "event_id": _trigger_event(run, i),
        "occurred_at": "2026-06-01T09:00:00Z",
        "source": "bench",
        "action": "collected",
        "store": _store(run, i),
        "categories": ["user.contact.email"],
        "subject": {"type": "customer", "email": _trigger_email(run, i)},
    }
    if kind == "withdrawal":
        event |= {
            "action": "activity",
            "activity": "delivered",
            "store": NEWSLETTER,
            "purpose": NEWSLETTER_USE,
            "legal_basis": "consent",
        }
    return json.dumps(event).encode()


def _trigger_event(run: str, i: int) -> str:
    return f"bench-{run}:{i}"


def _withdrawal(run: str, i: int) -> bytes:
    return json.dumps(
        {
            "event_id": f"bench-{run}:withdrawn:{i}",
            "occurred_at": "2026-06-01T08:00:00Z",
            "source": "bench",
            "action": "consent_withdrawn",
            "store": NEWSLETTER,
            "purpose": NEWSLETTER_USE,
            "subject": {"type": "newsletter_subscriber", "email": _trigger_email(run, i)},
        }
    ).encode()


def _alert_key(alert: dict[str, Any]) -> str:
    """Which trigger an alert answers: its flow's store, or the delivery its reason cites."""
    if alert.get("kind", "unapproved_transfer") == "unapproved_transfer":
        return str(alert["store"])
    match = re.search(r"\(event ([^)]+)\)", str(alert.get("reason", "")))
    return match.group(1) if match else ""


def _background(settings: Settings, topic: str, rate: int, stop: threading.Event) -> int:
    sent = 0
    payloads = [json.dumps(d).encode() for d in brevo_feed(2000, seed=13)]
    with RawPublisher(settings.kafka, topic) as publisher:
        started = time.monotonic()

        def paced() -> Any:
            nonlocal sent
            while not stop.is_set():
                due = int((time.monotonic() - started) * rate)
                while sent < due:
                    yield payloads[sent % len(payloads)]
                    sent += 1
                time.sleep(0.005)

        for _ in publisher.publish(paced()):
            pass
    return sent


def _alert_times(settings: Settings, topic: str, expected: int, timeout: float) -> dict[str, float]:
    consumer = KafkaConsumer(
        topic,
        **kafka_python_config(settings.kafka),
        group_id=None,
        auto_offset_reset="earliest",
        consumer_timeout_ms=1000,
    )
    seen: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(seen) < expected and time.monotonic() < deadline:
            for message in consumer:
                seen.setdefault(_alert_key(json.loads(message.value)), message.timestamp / 1000)
    finally:
        consumer.close()
    return seen


def run_alert_bench(
    settings: Settings,
    catalog: Catalog,
    triggers: int,
    rate: int,
    interval_s: float,
    as_json: bool,
    kind: str = "transfer",
) -> None:
    run = f"alertbench-{uuid.uuid4().hex[:8]}"
    home = settings.stack.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    catalog_file = home / f"{run}.yaml"
    catalog_file.write_text(bench_catalog(settings.catalog.read_text(), run, triggers))
    settings = settings.model_copy(update={"topic_namespace": run, "app_id": run, "catalog": catalog_file})
    if settings.uses_local_stack:
        from lineage.stack.manager import stack_up

        stack_up(settings)
    prepare(settings, parse_catalog(catalog_file.read_text()))
    with open_driver(settings) as driver:
        alerts_before = snapshot_alerts(driver, settings.neo4j.database)
    names = Topics(run)
    stop = threading.Event()
    counts: dict[str, int] = {}
    with WorkerProcess(settings, home / f"{run}.log").start() as worker:
        background = threading.Thread(
            target=lambda: counts.update(sent=_background(settings, names.raw("brevo").name, rate, stop)),
            daemon=True,
        )
        background.start()
        sent_at: dict[str, float] = {}
        with RawPublisher(settings.kafka, names.raw("canonical").name) as publisher:
            if kind == "withdrawal":
                for _ in publisher.publish(_withdrawal(run, i) for i in range(triggers)):
                    pass
            time.sleep(2.0)  # let the background load settle
            for i in range(triggers):
                key = _store(run, i) if kind == "transfer" else _trigger_event(run, i)
                sent_at[key] = time.time()
                for _ in publisher.publish([_trigger(run, i, kind)]):
                    pass
                time.sleep(interval_s)
        alerts = _alert_times(settings, names.alerts.name, triggers, timeout=60)
        stop.set()
        background.join()
        worker.wait_caught_up(timeout=600)
    delete_topics(settings.kafka, names.all())
    Path(catalog_file).unlink(missing_ok=True)
    hasher = SubjectHasher(settings.require_subject_key())
    with open_driver(settings) as driver:
        driver.execute_query(
            statements.DELETE_BENCH_RUN,
            prefix=f"bench/{run}/",
            subjects=[hasher.email(_trigger_email(run, i)) for i in range(triggers)],
            database_=settings.neo4j.database,
        )
        restore_alerts(driver, settings.neo4j.database, alerts_before)
    _report(sent_at, alerts, rate, counts.get("sent", 0), as_json, kind)


def _report(
    sent_at: dict[str, float],
    alerts: dict[str, float],
    rate: int,
    background: int,
    as_json: bool,
    kind: str,
) -> None:
    latencies = sorted((alerts[s] - t) * 1000 for s, t in sent_at.items() if s in alerts)
    if not latencies:
        raise SystemExit("no alert arrived")
    cut = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    result = {
        "kind": kind,
        "triggers": len(sent_at),
        "alerts": len(latencies),
        "background_rate_per_s": rate,
        "background_payloads": background,
        "p50_ms": round(cut[49]),
        "p99_ms": round(cut[98]),
        "max_ms": round(latencies[-1]),
    }
    if as_json:
        print(render.as_json(result))
        return
    render.console.print(
        f"{result['alerts']}/{result['triggers']} {kind} alerts; raw topic -> alerts topic: "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms, "
        f"with {rate} background payloads/s ({background} sent)"
    )
