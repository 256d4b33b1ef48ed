"""Watching the pipeline from outside: consumer lag and the dead-letter topic."""

from __future__ import annotations

import json
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError

from lineage.kafka.clients import KafkaTarget, kafka_python_config
from lineage.kafka.topics import Topics


class LagProbe:
    """A consumer group's lag, asked of the broker as often as needed over one pair of clients.

    Each new client bootstraps and fetches metadata: polled four times a second while a benchmark
    or a test waits for the worker, opening a pair per question would cost Kafka more CPU than the
    pipeline's own traffic (and the waiting process as much), on the cores the worker needs. A
    question that fails drops the clients, so the next one starts afresh (a restarted broker).
    """

    def __init__(self, kafka: KafkaTarget, group: str) -> None:
        self._kafka = kafka
        self._group = group
        self._clients: tuple[KafkaAdminClient, KafkaConsumer] | None = None

    def lag(self, topic_names: list[str]) -> int:
        """Messages in ``topic_names`` the group has not committed yet (0: caught up)."""
        admin, consumer = self._open()
        try:
            partitions = [
                TopicPartition(name, p)
                for name in topic_names
                for p in sorted(consumer.partitions_for_topic(name) or ())
            ]
            # Commits first, ends after: a stage commits its input only once its output is on
            # the next topic, so ends read after the commits include that output. Read the other
            # way round, a raw commit landing between the two reads made the events it had just
            # published invisible, and the pipeline looked caught up before a single one was
            # stored (seen in a test once commits followed each batch at once).
            committed = admin.list_group_offsets({self._group: None}).get(self._group, {})
            ends = consumer.end_offsets(partitions)
        except Exception:
            self.close()
            raise
        return sum(max(0, ends[tp] - (committed[tp].offset if tp in committed else 0)) for tp in partitions)

    def _open(self) -> tuple[KafkaAdminClient, KafkaConsumer]:
        if self._clients is None:
            admin = KafkaAdminClient(client_id="lineage-monitor", **kafka_python_config(self._kafka))
            try:
                consumer = KafkaConsumer(**kafka_python_config(self._kafka), enable_auto_commit=False)
                self._clients = admin, consumer
            except Exception:
                admin.close()
                raise
        return self._clients

    def close(self) -> None:
        if self._clients is not None:
            admin, consumer = self._clients
            self._clients = None
            consumer.close()
            admin.close()

    def __enter__(self) -> LagProbe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def consumer_lag(kafka: KafkaTarget, group: str, topic_names: list[str]) -> int:
    """Messages in ``topic_names`` the group has not committed yet (0: caught up), asked once."""
    with LagProbe(kafka, group) as probe:
        return probe.lag(topic_names)


def lag_by_stage(kafka: KafkaTarget, group: str, names: Topics) -> dict[str, int]:
    """The group's lag per worker stage: normalise (every raw topic), record (the canonical
    topic). Read from the broker, like :func:`consumer_lag`: the lag of the whole group, the
    same figure whichever worker reports it."""
    with LagProbe(kafka, group) as probe:
        return {
            "normalise": probe.lag([t.name for t in names.all_raw()]),
            "record": probe.lag([names.canonical.name]),
        }


def read_dead_letters(
    kafka: KafkaTarget, topic: str, limit: int = 100, timeout_s: float = 3.0
) -> list[dict[str, Any]]:
    """The newest ``limit`` dead letters (without committing: reading them changes nothing)."""
    consumer = KafkaConsumer(
        **kafka_python_config(kafka),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        group_id=None,
        consumer_timeout_ms=int(timeout_s * 1000),
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            return []
        consumer.assign(partitions)
        ends = consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, max(0, ends[tp] - limit))
        letters = []
        for message in consumer:
            letters.append(json.loads(message.value))
            if all(consumer.position(tp) >= ends[tp] for tp in partitions):
                break
        return letters[-limit:]
    finally:
        consumer.close()


def read_records(kafka: KafkaTarget, topic: str) -> list[ConsumerRecord]:
    """Every record of ``topic``, headers included, from the beginning, without a consumer group
    (reading changes nothing); order across partitions is not kept."""
    consumer = KafkaConsumer(
        **kafka_python_config(kafka), group_id=None, enable_auto_commit=False, consumer_timeout_ms=10_000
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            batch = consumer.poll(timeout_ms=1000)
            records += [message for messages in batch.values() for message in messages]
        return records
    finally:
        consumer.close()


def read_topic(kafka: KafkaTarget, topic: str) -> list[bytes]:
    """Every message value of ``topic``, from the beginning."""
    return [record.value for record in read_records(kafka, topic)]


def group_is_stable(kafka: KafkaTarget, group: str, members: int = 1) -> bool:
    """True once the worker's consumer group has ``members`` members (one per stage of each
    worker) and finished rebalancing."""
    admin = KafkaAdminClient(client_id="lineage-monitor", **kafka_python_config(kafka))
    try:
        description = admin.describe_groups([group]).get(group, {})
    except KafkaError:  # e.g. no group coordinator yet on a brand-new broker
        return False
    finally:
        admin.close()
    return description.get("group_state") == "Stable" and len(description.get("members") or ()) >= members


def topic_size(kafka: KafkaTarget, topic: str) -> int:
    """Messages ever written to ``topic`` (sum of end offsets; our topics are never compacted)."""
    consumer = KafkaConsumer(**kafka_python_config(kafka), enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(partitions).values()) if partitions else 0
    finally:
        consumer.close()


def drain_topic(kafka: KafkaTarget, topic: str) -> int:
    """Reads ``topic`` from the beginning to its end offsets, no consumer group, and returns the
    message count: the bare Kafka read rate a benchmark compares the worker with."""
    return len(read_records(kafka, topic))
