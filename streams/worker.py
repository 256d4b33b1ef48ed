"""Running the worker: prepare broker and graph, then hand the loop to faust."""

from __future__ import annotations

import faust

from graph.connection import open_driver
from graph.schema import apply_schema
from lineage.domain.catalog import Catalog
from lineage.settings import Settings
from streams.admin import ensure_topics
from streams.agents import register_agents
from streams.alerting import alert_record
from streams.app import create_app, declare_topics
from streams.live_catalog import LiveCatalog, apply_catalog
from streams.publisher import RawPublisher
from streams.topics import Topics


def prepare(settings: Settings, catalog: Catalog) -> None:
    """Topics, constraints and the catalog's nodes exist before the first event (idempotent);
    alerts are re-evaluated against the catalog as it is now."""
    names = Topics(settings.topic_namespace)
    ensure_topics(settings.kafka_bootstrap, names.all())
    with open_driver(settings) as driver:
        apply_schema(driver, settings.neo4j.database)
        announced = apply_catalog(driver, settings.neo4j.database, catalog)
    if announced:
        with RawPublisher(settings.kafka_bootstrap, names.alerts.name) as publisher:
            for _ in publisher.publish(alert_record(a) for a in announced):
                pass


def run_worker(settings: Settings, loglevel: str = "warning") -> None:
    """Blocks until SIGINT/SIGTERM; faust then stops the agents and commits acked offsets."""
    settings.require_subject_key()
    live = LiveCatalog.load(settings.catalog)
    prepare(settings, live.catalog)
    app = create_app(settings)
    register_agents(app, declare_topics(app, Topics(settings.topic_namespace)), settings, live)
    faust.Worker(app, loglevel=loglevel, quiet=True).execute_from_commandline()
