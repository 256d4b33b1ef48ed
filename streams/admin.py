"""Broker-side housekeeping with kafka-python: is the broker up, do our topics exist."""

from __future__ import annotations

import contextlib
import socket

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from streams.topics import TopicSpec


def _port_open(address: str, timeout_s: float) -> bool:
    host, _, port = address.strip().rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            return True
    except (OSError, ValueError):
        return False


def broker_answers(bootstrap: str, timeout_s: float = 3.0) -> bool:
    """True when a metadata request to the broker succeeds.

    A closed port is answered at once: kafka-python's client would wait ~30 s for bootstrap.
    """
    if not any(_port_open(address, timeout_s) for address in bootstrap.split(",")):
        return False
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap,
                                 request_timeout_ms=int(timeout_s * 1000))
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


def ensure_topics(bootstrap: str, specs: tuple[TopicSpec, ...]) -> list[str]:
    """Create the topics that do not exist yet and give existing ones the configured retention
    (idempotent: a shorter retention set later applies to what is already kept); returns the
    names created."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="lineage-admin")
    try:
        existing = set(admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        for spec in missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics([NewTopic(spec.name, spec.partitions, 1, topic_configs=spec.config())])
        present = [s for s in specs if s.name in existing]
        if present:
            admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, s.name, configs=s.config())
                                 for s in present])
        return [s.name for s in missing]
    finally:
        admin.close()


def topic_config(bootstrap: str, topic: str) -> dict[str, str]:
    """A topic's configuration as the broker has it (to check retention)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="lineage-admin")
    try:
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        entries = described.get("topic", {}).get(topic, {})
        return {name: entry["value"] for name, entry in entries.items()}
    finally:
        admin.close()


def delete_topics(bootstrap: str, specs: tuple[TopicSpec, ...]) -> None:
    """Remove topics of a finished benchmark or test run."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="lineage-admin")
    try:
        existing = set(admin.list_topics())
        doomed = [s.name for s in specs if s.name in existing]
        if doomed:
            admin.delete_topics(doomed)
    finally:
        admin.close()
