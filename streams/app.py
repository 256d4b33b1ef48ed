"""The faust application that runs the worker process.

The lineage stages read their topics with their own consumers, in the group ``app_id``
(:mod:`streams.batches`); faust's consumer reads only the alerts topic, for delivery to the
sinks. faust's partition assignor speaks a protocol of its own, which one group cannot mix with
aiokafka's, so faust's consumer is in a group of its own: :func:`alert_delivery_group`.
"""

from __future__ import annotations

import faust
from faust.types.auth import CredentialsT

from lineage.kafka.clients import bootstrap_of, ssl_context
from lineage.settings import KafkaSettings, Settings


def alert_delivery_group(app_id: str) -> str:
    return f"{app_id}-alert-delivery"


def create_app(settings: Settings) -> faust.App:
    return faust.App(
        alert_delivery_group(settings.app_id),
        broker=faust_brokers(settings.kafka),
        # TLS and SASL for faust's consumer, producer and admin client (lineage/kafka/clients).
        broker_credentials=faust_credentials(settings.kafka),
        store="memory://",
        autodiscover=False,
        web_enabled=False,
        datadir=str(settings.stack.home.resolve() / "faust"),
        topic_disable_leader=True,
        topic_allow_declare=False,  # streams.admin creates topics with their own settings
        consumer_auto_offset_reset="earliest",
        processing_guarantee="at_least_once",
        producer_acks=-1,  # faust's producer sends nothing: the stages send with streams.outbox
        # aiokafka keeps one batch in flight per partition; without linger every send waits a
        # broker round trip behind the previous one.
        producer_linger=0.005,
        producer_max_batch_size=256 * 1024,
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        stream_buffer_maxsize=8192,
        # A crashed worker's partitions move to a live one after this, not faust's 60 s default.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
    )


def faust_credentials(kafka: KafkaSettings) -> CredentialsT | None:
    """faust's ``broker_credentials``: faust hands them to aiokafka for its consumer, producer
    and admin client alike. None is PLAINTEXT."""
    context = ssl_context(kafka)
    if kafka.uses_sasl:
        assert kafka.sasl_password is not None
        credentials = faust.SASLCredentials(
            username=kafka.sasl_username,
            password=kafka.sasl_password.get_secret_value(),
            ssl_context=context,
            mechanism=kafka.sasl_mechanism,
        )
        return credentials  # SASL_SSL with a context, SASL_PLAINTEXT without
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def faust_brokers(kafka: KafkaSettings) -> list[str]:
    """faust's ``broker`` list: one URL per bootstrap address (security is in the credentials)."""
    return [f"kafka://{host.strip()}" for host in bootstrap_of(kafka).split(",")]
