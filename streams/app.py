"""The faust application: settings for at-least-once processing, and its topics.

Topics carry raw bytes (``value_serializer="raw"``) and the agents decode explicitly: a decode
error inside faust's own deserialiser would be logged and the message skipped, whereas ours
goes to the dead-letter topic with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from lineage.settings import Settings
from streams.kafka_config import faust_brokers, faust_credentials
from streams.topics import Topics


@dataclass(frozen=True)
class LineageTopics:
    raw: faust.TopicT
    canonical: faust.TopicT
    dead_letter: faust.TopicT
    alerts: faust.TopicT


def create_app(settings: Settings) -> faust.App:
    return faust.App(
        settings.app_id,
        broker=faust_brokers(settings.kafka),
        # TLS and SASL for faust's consumer, producer and admin client (streams/kafka_config).
        broker_credentials=faust_credentials(settings.kafka),
        store="memory://",
        autodiscover=False,
        web_enabled=False,
        datadir=str(settings.stack.home.resolve() / "faust"),
        topic_disable_leader=True,
        topic_allow_declare=False,  # streams.admin creates topics with their own settings
        consumer_auto_offset_reset="earliest",
        processing_guarantee="at_least_once",
        producer_acks=-1,
        # aiokafka keeps one batch in flight per partition; without linger every send waits a
        # broker round trip behind the previous one (measured: ~2 ms a message).
        producer_linger=0.005,
        producer_max_batch_size=256 * 1024,
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        stream_buffer_maxsize=8192,
        # A crashed worker's partitions move to a live one after this, not faust's 60 s default.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
    )


def declare_topics(app: faust.App, names: Topics) -> LineageTopics:
    def topic(*topic_names: str) -> faust.TopicT:
        return app.topic(*topic_names, key_serializer="raw", value_serializer="raw")

    return LineageTopics(
        raw=topic(*(spec.name for spec in names.all_raw())),
        canonical=topic(names.canonical.name),
        dead_letter=topic(names.dead_letter.name),
        alerts=topic(names.alerts.name),
    )
