"""Kafka connection settings turned into each client library's options, in one place; and
the probe that tells whether a broker answers.

lineage makes three kinds of Kafka client: faust's (the worker, :mod:`streams.app`),
aiokafka's (the API's producer, the worker's stages) and kafka-python's (admin, CLI, demo,
monitor). Each names security options its own way; building them from one
:class:`KafkaSettings` (here, and faust's from the same :func:`ssl_context`) is what makes
``SASL_SSL`` or mutual TLS reach every one of them. All three get the same
:class:`ssl.SSLContext`, so they verify brokers identically.

A plain ``str`` is accepted wherever settings are, as a PLAINTEXT bootstrap list (the local
stack, tests); production code passes ``settings.kafka``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
from typing import Any

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from lineage.settings import KafkaSettings

KafkaTarget = KafkaSettings | str

# Every producer lineage makes (the API's, the worker's outbox, the publisher of ``ingest`` and
# the demo): a send is acknowledged once every in-sync replica has it (acks=all, and the topics'
# min.insync.replicas says how many that must be), and the producer's own retries after a broker
# dies never write a record twice or out of order (idempotence). aiokafka and kafka-python name
# both options alike.
RELIABLE_PRODUCER: dict[str, Any] = {"acks": "all", "enable_idempotence": True}


class _ScramIsNotInTheClear(logging.Filter):
    """kafka-python warns "Exchanging credentials in the clear" for every SCRAM login over
    SASL_PLAINTEXT (the local stack's listener). SCRAM sends a salted proof, never the password;
    the warning, printed by every command, would only teach users to ignore warnings. (aiokafka
    warns for PLAIN over SASL_PLAINTEXT only, rightly; that one stays.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        return "in the clear" not in str(record.msg)


logging.getLogger("kafka.net.sasl.scram").addFilter(_ScramIsNotInTheClear())


def kafka_settings(target: KafkaTarget) -> KafkaSettings:
    """Settings for ``target``; a bare bootstrap string means PLAINTEXT, not the environment's
    security settings (``model_construct`` reads no environment)."""
    if isinstance(target, KafkaSettings):
        return target
    return KafkaSettings.model_construct(bootstrap=target)


def bootstrap_of(target: KafkaTarget) -> str:
    bootstrap = kafka_settings(target).bootstrap
    assert bootstrap is not None, "Settings fills in the local stack's broker"
    return bootstrap


def ssl_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    """The TLS context of SSL and SASL_SSL: the chain is always verified (against the CA file,
    or the system's trust store for managed clusters' public CAs), the host name unless
    ``ssl_check_hostname`` is off; a client certificate for mutual TLS when one is set."""
    if not kafka.uses_tls:
        return None
    context = ssl.create_default_context(
        ssl.Purpose.SERVER_AUTH, cafile=str(kafka.ssl_ca_file) if kafka.ssl_ca_file else None
    )
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = kafka.ssl_check_hostname
    context.verify_mode = ssl.CERT_REQUIRED
    if kafka.ssl_cert_file:
        password = kafka.ssl_key_password.get_secret_value() if kafka.ssl_key_password else None
        context.load_cert_chain(
            str(kafka.ssl_cert_file), str(kafka.ssl_key_file) if kafka.ssl_key_file else None, password
        )
    return context


def _sasl(kafka: KafkaSettings) -> dict[str, Any]:
    """SASL options; kafka-python and aiokafka share the names (PLAIN and SCRAM alike)."""
    if not kafka.uses_sasl:
        return {}
    assert kafka.sasl_password is not None  # the settings validator insists on it
    return {
        "sasl_mechanism": kafka.sasl_mechanism,
        "sasl_plain_username": kafka.sasl_username,
        "sasl_plain_password": kafka.sasl_password.get_secret_value(),
    }


def kafka_python_config(target: KafkaTarget) -> dict[str, Any]:
    """Keyword arguments for kafka-python's KafkaProducer, KafkaConsumer and KafkaAdminClient:
    aiokafka's, plus the hostname check kafka-python takes apart from the TLS context."""
    kafka = kafka_settings(target)
    config = aiokafka_config(kafka)
    if "ssl_context" in config:
        config["ssl_check_hostname"] = kafka.ssl_check_hostname
    return config


def aiokafka_config(target: KafkaTarget) -> dict[str, Any]:
    """Keyword arguments for aiokafka's AIOKafkaProducer / AIOKafkaConsumer (the API)."""
    kafka = kafka_settings(target)
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap_of(kafka),
        "security_protocol": kafka.security_protocol,
        **_sasl(kafka),
    }
    context = ssl_context(kafka)
    if context is not None:
        config["ssl_context"] = context
    return config


def admin_client(kafka: KafkaTarget, **options: Any) -> KafkaAdminClient:
    """A kafka-python admin client with the deployment's security settings."""
    return KafkaAdminClient(client_id="lineage-admin", **kafka_python_config(kafka), **options)


def _port_open(address: str, timeout_s: float) -> bool:
    host, _, port = address.strip().rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            return True
    except (OSError, ValueError):
        return False


def broker_answers(kafka: KafkaTarget, timeout_s: float = 3.0) -> bool:
    """True when a metadata request to the broker succeeds (over TLS/SASL when configured).

    A closed port is answered at once: kafka-python's client would wait ~30 s for bootstrap.
    """
    if not any(_port_open(address, timeout_s) for address in bootstrap_of(kafka).split(",")):
        return False
    try:
        # A refused handshake or SASL login would otherwise wait out the 30 s bootstrap default.
        admin = admin_client(
            kafka, request_timeout_ms=int(timeout_s * 1000), bootstrap_timeout_ms=int(timeout_s * 1000)
        )
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        with contextlib.suppress(Exception):
            admin.close()
