"""A worker stage's input: its topics read in batches, in the worker's consumer group.

faust hands an agent one message at a time, each through its conductor, stream, event and ack
objects, and wraps every record it sends in futures of its own: under load that machinery costs
the worker more CPU per event than adapting the payload and writing the graph together. The
stages work on whole batches anyway, so they take them
from aiokafka's ``getmany`` and commit a batch's offsets themselves, once its outcome is durable
(events and dead letters acknowledged by the broker, or the batch committed in Neo4j).

Delivery stays at least once: a batch read again after a crash, a rebalance or a failed commit
is written again, and every write downstream is idempotent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from lineage.kafka.clients import aiokafka_config
from lineage.retrying import Backoff, retry_async
from lineage.settings import Settings

log = logging.getLogger(__name__)

START_BACKOFF = Backoff(first_s=0.5, longest_s=30.0)
# A worker that died leaves the group after this; its partitions move to a live worker.
SESSION_TIMEOUT_MS = 10_000
HEARTBEAT_INTERVAL_MS = 3_000
# The group's leader assigns only partitions it has metadata for; a topic created a moment ago
# (its leader not elected yet) has none. A new snapshot that differs makes it rebalance, so a
# short metadata age bounds how long such partitions stay unread (aiokafka's default: 5 min).
METADATA_MAX_AGE_MS = 5_000

Record: TypeAlias = ConsumerRecord  # [bytes, bytes]: the worker's topics are raw bytes


class BatchConsumer:
    """One stage's consumer. All stages of all workers share the group ``settings.app_id``, so
    the group's committed offsets are the pipeline's progress (``lineage_consumer_lag``)."""

    def __init__(self, settings: Settings, topics: Sequence[str], stage: str) -> None:
        self._stage = stage
        self._consumer = AIOKafkaConsumer(
            *topics,
            group_id=settings.app_id,
            client_id=f"{settings.app_id}-{stage}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
            **aiokafka_config(settings.kafka),
        )
        self._uncommitted: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        """Joins the group, waiting out a broker that is not reachable yet."""

        def waited(exc: Exception, wait: float) -> None:
            log.warning(
                "%s stage cannot reach Kafka (%s); retrying in %.1fs", self._stage, type(exc).__name__, wait
            )

        await retry_async(self._consumer.start, KafkaError, START_BACKOFF, on_retry=waited)

    async def take(self, max_records: int, window_s: float) -> list[Record]:
        """Up to ``max_records`` records: whatever has arrived once ``window_s`` has passed since
        the first one, or a full batch sooner. Waits for the first as long as it takes."""
        batch: list[Record] = []
        deadline: float | None = None
        while len(batch) < max_records:
            left = 1.0 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                break
            fetched = await self._consumer.getmany(
                timeout_ms=int(left * 1000), max_records=max_records - len(batch)
            )
            for records in fetched.values():
                batch += records
            if batch and deadline is None:
                deadline = time.monotonic() + window_s
        return batch

    async def commit(self, batch: Sequence[Record]) -> None:
        """Marks ``batch`` done. A commit that fails (the broker away, the partition moved to
        another worker) is logged and tried again with the next batch: the records it covers
        are durable already, and at worst read and written again."""
        for record in batch:
            tp = TopicPartition(record.topic, record.partition)
            self._uncommitted[tp] = max(self._uncommitted.get(tp, 0), record.offset + 1)
        assigned = self._consumer.assignment()
        offsets = {tp: offset for tp, offset in self._uncommitted.items() if tp in assigned}
        try:
            if offsets:
                await self._consumer.commit(offsets)
            self._uncommitted.clear()
        except KafkaError as exc:
            log.warning("%s stage: offsets not committed yet (%s)", self._stage, type(exc).__name__)

    async def stop(self) -> None:
        await self._consumer.stop()


def origin(record: Record) -> dict[str, Any]:
    """Where a record came from, as dead letters name it."""
    return {"topic": record.topic, "partition": record.partition, "offset": record.offset}


def timestamp_s(record: Record) -> float | None:
    """The record's own time in seconds (aiokafka gives milliseconds)."""
    return record.timestamp / 1000 if record.timestamp is not None else None
