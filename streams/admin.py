"""Broker-side housekeeping with kafka-python: is the broker up, do our topics exist with the
configured partitions, replication and retention."""

from __future__ import annotations

import contextlib
import logging
import socket
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import InvalidReplicationFactorError, KafkaError, TopicAlreadyExistsError

from lineage.errors import ConfigError
from streams.kafka_config import KafkaTarget, bootstrap_of, kafka_python_config
from streams.topics import TopicSpec

log = logging.getLogger(__name__)


def _port_open(address: str, timeout_s: float) -> bool:
    host, _, port = address.strip().rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            return True
    except (OSError, ValueError):
        return False


def _admin(kafka: KafkaTarget, **options: Any) -> KafkaAdminClient:
    """An admin client with the deployment's security settings."""
    return KafkaAdminClient(client_id="lineage-admin", **kafka_python_config(kafka), **options)


def broker_answers(kafka: KafkaTarget, timeout_s: float = 3.0) -> bool:
    """True when a metadata request to the broker succeeds (over TLS/SASL when configured).

    A closed port is answered at once: kafka-python's client would wait ~30 s for bootstrap.
    """
    if not any(_port_open(address, timeout_s) for address in bootstrap_of(kafka).split(",")):
        return False
    try:
        # A refused handshake or SASL login would otherwise wait out the 30 s bootstrap default.
        admin = _admin(
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


def ensure_topics(kafka: KafkaTarget, specs: tuple[TopicSpec, ...]) -> list[str]:
    """Create the topics that do not exist yet with their partitions and replication; give
    existing ones the configured retention and min.insync.replicas, and more partitions when
    more are configured (idempotent: a shorter retention set later applies to what is already
    kept). Returns the names created.

    Kafka can add partitions but never remove them, and changing an existing topic's
    replication factor takes a partition reassignment: both are logged, not attempted."""
    admin = _admin(kafka)
    try:
        existing = set(admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        for spec in missing:
            _create(admin, spec)
        present = [s for s in specs if s.name in existing]
        if present:
            admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, s.name, configs=s.config()) for s in present]
            )
            _grow_partitions(admin, present)
        return [s.name for s in missing]
    finally:
        admin.close()


def _create(admin: KafkaAdminClient, spec: TopicSpec) -> None:
    """One topic; a replication factor the cluster cannot hold is a setting to fix, said so."""
    topic = NewTopic(spec.name, spec.partitions, spec.replication_factor, topic_configs=spec.config())
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics([topic])
    except InvalidReplicationFactorError as exc:
        brokers = len(admin.describe_cluster().get("brokers", []))
        raise ConfigError(
            f"cannot create {spec.name} with replication factor {spec.replication_factor}: the "
            f"cluster has {brokers} broker(s). Set LINEAGE_TOPIC_REPLICATION_FACTOR to at most "
            "that."
        ) from exc


def _grow_partitions(admin: KafkaAdminClient, specs: list[TopicSpec]) -> None:
    """Add the partitions configured beyond what each topic has; warn where the cluster has
    more partitions or another replication factor than configured (neither changes here)."""
    wanted = {s.name: s for s in specs}
    grow: dict[str, int] = {}
    for topic in admin.describe_topics(list(wanted)):
        spec, partitions = wanted[topic["name"]], topic["partitions"]
        if len(partitions) < spec.partitions:
            grow[spec.name] = spec.partitions
        elif len(partitions) > spec.partitions:
            log.warning(
                "%s has %d partitions, %d configured: Kafka cannot remove partitions, keeping %d",
                spec.name,
                len(partitions),
                spec.partitions,
                len(partitions),
            )
        replicas = {len(p["replica_nodes"]) for p in partitions}
        if replicas and replicas != {spec.replication_factor}:
            log.warning(
                "%s has replication factor %s, %d configured: changing it needs a "
                "partition reassignment (kafka-reassign-partitions), not done here",
                spec.name,
                "/".join(map(str, sorted(replicas))),
                spec.replication_factor,
            )
    if grow:
        admin.create_partitions(grow)
        log.info("partitions added: %s", ", ".join(f"{n} -> {c}" for n, c in sorted(grow.items())))


def partition_counts(kafka: KafkaTarget, topics: list[str]) -> dict[str, int]:
    """How many partitions each topic has on the broker."""
    admin = _admin(kafka)
    try:
        return {t["name"]: len(t["partitions"]) for t in admin.describe_topics(topics)}
    finally:
        admin.close()


def topic_config(kafka: KafkaTarget, topic: str) -> dict[str, str]:
    """A topic's configuration as the broker has it (to check retention)."""
    admin = _admin(kafka)
    try:
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        entries = described.get("topic", {}).get(topic, {})
        return {name: entry["value"] for name, entry in entries.items()}
    finally:
        admin.close()


def delete_topics(kafka: KafkaTarget, specs: tuple[TopicSpec, ...]) -> None:
    """Remove topics of a finished benchmark or test run."""
    admin = _admin(kafka)
    try:
        existing = set(admin.list_topics())
        doomed = [s.name for s in specs if s.name in existing]
        if doomed:
            admin.delete_topics(doomed)
    finally:
        admin.close()
