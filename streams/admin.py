"""Broker-side housekeeping with kafka-python: do our topics exist with the configured
partitions, replication and retention (whether the broker answers at all is
:func:`lineage.kafka.clients.broker_answers`)."""

from __future__ import annotations

import contextlib
import logging

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import InvalidReplicationFactorError, TopicAlreadyExistsError

from lineage.errors import ConfigError
from lineage.kafka.clients import KafkaTarget, admin_client
from lineage.kafka.topics import TopicSpec

log = logging.getLogger(__name__)


def ensure_topics(kafka: KafkaTarget, specs: tuple[TopicSpec, ...]) -> list[str]:
    """Create the topics that do not exist yet with their partitions and replication; give
    existing ones the configured retention and min.insync.replicas, and more partitions when
    more are configured (idempotent: a shorter retention set later applies to what is already
    kept). Returns the names created.

    Kafka can add partitions but never remove them, and changing an existing topic's
    replication factor takes a partition reassignment: both are logged, not attempted."""
    admin = admin_client(kafka)
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
    admin = admin_client(kafka)
    try:
        return {t["name"]: len(t["partitions"]) for t in admin.describe_topics(topics)}
    finally:
        admin.close()


def topic_config(kafka: KafkaTarget, topic: str) -> dict[str, str]:
    """A topic's configuration as the broker has it (to check retention)."""
    admin = admin_client(kafka)
    try:
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        entries = described.get("topic", {}).get(topic, {})
        return {name: entry["value"] for name, entry in entries.items()}
    finally:
        admin.close()


def delete_topics(kafka: KafkaTarget, specs: tuple[TopicSpec, ...]) -> None:
    """Remove topics of a finished benchmark or test run."""
    admin = admin_client(kafka)
    try:
        existing = set(admin.list_topics())
        doomed = [s.name for s in specs if s.name in existing]
        if doomed:
            admin.delete_topics(doomed)
    finally:
        admin.close()
