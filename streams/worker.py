"""Running the worker: prepare broker and graph, then hand the loop to faust."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import threading

import faust

from graph.connection import open_driver
from graph.rights import ensure_indexes
from graph.schema import apply_schema
from lineage import metrics
from lineage.answers.live_catalog import LiveCatalog, apply_catalog
from lineage.domain.catalog import Catalog
from lineage.kafka.topics import Topics, topics_of
from lineage.log_hygiene import install_log_hygiene
from lineage.settings import Settings
from streams.admin import ensure_topics
from streams.agents import register_agents
from streams.app import create_app
from streams.monitor import lag_by_stage
from streams.publisher import RawPublisher
from streams.sinks import alert_record

log = logging.getLogger(__name__)

STOP_GRACE_S = 8.0
LAG_CHECK_S = 10.0
# Objects allocated between two young-generation collections (Python's default: 700). Every
# event allocates dozens of containers that live as long as its batch: collected every 700,
# the same live batch is traversed again and again.
GC_YOUNG_THRESHOLD = 10_000


class PromptWorker(faust.Worker):
    """faust's worker with a deadline on stopping.

    A graceful stop commits acknowledged offsets and leaves the group, which needs the broker;
    with Kafka or Neo4j unreachable it can wait for minutes, and an orchestrator's SIGKILL follows.
    Past :data:`STOP_GRACE_S` the process exits at once instead: nothing is lost, since offsets
    are committed only for what Neo4j has stored, and the rest is read again at the next start.
    """

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        """No terminal spinner: faust's sets the root logger to DEBUG so that every record
        advances it, and then every library's debug call builds (and log hygiene scrubs) a
        record nobody writes, a sizeable share of the worker's time under load."""
        self.spinner = None

    def _schedule_shutdown(self, sig: signal.Signals) -> None:
        if not self._signal_stop_time:
            timer = threading.Timer(STOP_GRACE_S, _exit_now)
            timer.daemon = True
            timer.start()
        super()._schedule_shutdown(sig)


def _exit_now() -> None:
    log.warning(
        "the worker did not stop within %.0fs (Kafka or Neo4j unreachable?); exiting "
        "without further commits: what was not stored is read again at the next start",
        STOP_GRACE_S,
    )
    sys.stderr.flush()
    os._exit(0)


def prepare(settings: Settings, catalog: Catalog) -> None:
    """Topics, constraints and the catalog's nodes exist before the first event (idempotent);
    alerts are re-evaluated against the catalog as it is now."""
    names = topics_of(settings)
    ensure_topics(settings.kafka, names.all())
    with open_driver(settings) as driver:
        apply_schema(driver, settings.neo4j.database)
        ensure_indexes(driver, settings.neo4j.database)
        announced = apply_catalog(driver, settings.neo4j.database, catalog)
    if announced:
        with RawPublisher(settings.kafka, names.alerts.name) as publisher:
            for _ in publisher.publish(alert_record(a) for a in announced):
                pass


def run_worker(settings: Settings, loglevel: str = "warning") -> None:
    """Blocks until SIGINT/SIGTERM; faust then stops the agents and commits acked offsets."""
    settings.require_subject_key()
    install_log_hygiene(settings.secret_values())
    live = LiveCatalog.load(settings.catalog)
    prepare(settings, live.catalog)
    app = create_app(settings)
    register_agents(app, settings, live)
    if settings.worker_metrics_port:
        watch_lag(app, settings)
        metrics.serve_worker_metrics(settings.worker_metrics_host, settings.worker_metrics_port)
    tune_gc()
    PromptWorker(app, loglevel=loglevel, quiet=True).execute_from_commandline()


def tune_gc() -> None:
    """Keeps Python's cycle collector off what lives as long as the process. The modules,
    schemas and catalog loaded by now are hundreds of thousands of objects that every full
    collection would walk again, while the events churn; frozen, the collector walks only what
    came after. Anything frozen is still freed when its last reference goes."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


def watch_lag(app: faust.App, settings: Settings) -> None:
    """Keeps ``lineage_consumer_lag`` current: every :data:`LAG_CHECK_S`, the group's committed
    offsets against the topics' ends, asked of the broker off the event loop. A stalled stage
    (Neo4j down) shows its lag growing, which a figure taken per batch could not."""
    names = Topics(settings.topic_namespace)

    @app.timer(LAG_CHECK_S)
    async def report_lag() -> None:
        try:
            lags = await asyncio.to_thread(lag_by_stage, settings.kafka, settings.app_id, names)
        except Exception as exc:  # a timer that raises stops for good
            log.warning("consumer lag not measured (%s)", type(exc).__name__)
            return
        for stage, lag in lags.items():
            metrics.set_lag(stage, lag)
