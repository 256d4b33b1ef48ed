"""Prometheus metrics of the API and the worker, defined once (prometheus-client).

Labels are closed vocabularies only: source names, stages (``normalise``, ``record``), error
codes. Never an identifier, a store a user typed, a reason's text or anything from a payload:
a label value is kept by Prometheus for weeks and shown on dashboards, and reasons can quote
what a source sent. Counters are bumped once a batch, not once an event: the worker handles
thousands of events a second, and a locked ``inc()`` per event would show in the profile.

Each process exposes its own registry's metrics: ``lineage serve`` at ``GET /metrics``, the
worker on ``LINEAGE_WORKER_METRICS_PORT`` (:func:`serve_worker_metrics`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter as Tally
from collections.abc import Iterable
from datetime import datetime

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from prometheus_client import start_http_server as _start_http_server

log = logging.getLogger(__name__)

STAGES = ("normalise", "record")

PAYLOADS_RECEIVED = Counter(
    "lineage_payloads_received",
    "Payloads the API published to a raw topic (acknowledged by Kafka), per source.",
    ["source"],
)
PAYLOADS_REFUSED = Counter(
    "lineage_payloads_refused",
    "Payloads the API refused, per source and error code "
    "(unauthorized, invalid_json, payload_too_large, kafka_unavailable...).",
    ["source", "code"],
)
PAYLOADS_READ = Counter(
    "lineage_payloads_read", "Raw payloads the worker's normalise stage read, per source.", ["source"]
)
EVENTS_PRODUCED = Counter("lineage_events_produced", "Canonical events the normalise stage produced.")
EVENTS_STORED = Counter("lineage_events_stored", "Canonical events the record stage stored in Neo4j.")
DEAD_LETTERS = Counter(
    "lineage_dead_letters",
    "Messages sent to the dead-letter topic, per source and stage.",
    ["source", "stage"],
)
BATCH_SIZE = Histogram(
    "lineage_batch_size",
    "Messages per batch, per stage.",
    ["stage"],
    buckets=(1, 5, 10, 50, 100, 250, 500, 1000, 2000),
)
BATCH_SECONDS = Histogram(
    "lineage_batch_seconds",
    "Time to process one batch until its outcome is durable, per stage.",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CONSUMER_LAG = Gauge(
    "lineage_consumer_lag",
    "Messages the worker's consumer group has not committed yet, per "
    "stage (normalise: every raw topic; record: the canonical topic).",
    ["stage"],
)
ALERT_LATENCY = Histogram(
    "lineage_alert_latency_seconds",
    "From the receipt of the payload (normalise) or the "
    "canonical record (record) to the alert acknowledged on the alerts topic, per stage that "
    "raised it.",
    ["stage"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
ALERTS_PUBLISHED = Counter(
    "lineage_alerts_published", "Alert records published (new or reopened alerts), per stage.", ["stage"]
)
NEO4J_RETRIES = Counter(
    "lineage_neo4j_retries",
    "Times a write waited for Neo4j to come back (unavailable, transient error), per stage.",
    ["stage"],
)

for _stage in STAGES:  # every series exists from the start: rate() needs a zero to begin from
    for _metric in (BATCH_SIZE, BATCH_SECONDS, ALERT_LATENCY, ALERTS_PUBLISHED, NEO4J_RETRIES, CONSUMER_LAG):
        _metric.labels(_stage)


def payloads_read(sources: Iterable[str]) -> None:
    """A normalise batch's payloads, counted per source in one pass (one ``inc`` per source)."""
    for source, count in Tally(sources).items():
        PAYLOADS_READ.labels(source).inc(count)


def batch_done(stage: str, size: int, started: float, *, produced: int = 0, stored: int = 0) -> None:
    """One batch of ``stage``, durable: its size, how long since ``started`` (perf_counter),
    and the events it produced (normalise) or stored (record)."""
    BATCH_SIZE.labels(stage).observe(size)
    BATCH_SECONDS.labels(stage).observe(time.perf_counter() - started)
    if produced:
        EVENTS_PRODUCED.inc(produced)
    if stored:
        EVENTS_STORED.inc(stored)


def dead_letter(source: str, stage: str) -> None:
    DEAD_LETTERS.labels(source, stage).inc()


def neo4j_retry(stage: str) -> None:
    NEO4J_RETRIES.labels(stage).inc()


def alerts_published(stage: str, count: int, since: Iterable[datetime | None]) -> None:
    """``count`` alerts just acknowledged by Kafka, raised by a batch whose messages arrived at
    ``since`` (read only when there are alerts: pass a generator): the latency is taken from
    the oldest (the payload that waited longest)."""
    if not count:
        return
    ALERTS_PUBLISHED.labels(stage).inc(count)
    known = [moment for moment in since if moment is not None]
    if known:
        latency = max(0.0, time.time() - min(known).timestamp())
        for _ in range(count):
            ALERT_LATENCY.labels(stage).observe(latency)


def set_lag(stage: str, lag: int) -> None:
    CONSUMER_LAG.labels(stage).set(lag)


def exposition() -> tuple[bytes, str]:
    """This process's metrics in Prometheus' text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


def serve_worker_metrics(host: str, port: int | None) -> None:
    """The worker's ``/metrics`` on its own small HTTP server (a daemon thread), if a port is
    set. Off by default: several workers on one machine would fight over one default port."""
    if not port:
        return
    _start_http_server(port, addr=host)
    log.info("worker metrics on http://%s:%d/metrics", host, port)
