"""What the worker's stages send: canonical events, dead letters, alerts; one producer for all.

A stage acknowledges its input only after :meth:`Outbox.deliver` returns, that is, once the
broker has every record it sent (``acks=all``). Records are sent with aiokafka directly: faust's
producer wraps each one in futures and callbacks of its own, a cost per record for nothing a
stage uses. The outbox hands aiokafka whole batches, one per partition, which it fills itself:
aiokafka's ``send`` would queue each record with a future of its own, where a stage only ever
waits for all of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner

from lineage.kafka.clients import RELIABLE_PRODUCER, aiokafka_config
from lineage.retrying import Backoff, retry_async
from lineage.settings import Settings

log = logging.getLogger(__name__)

KAFKA_UNAVAILABLE = (TimeoutError, KafkaError, OSError)
SEND_BACKOFF = Backoff(first_s=0.5, longest_s=30.0)
# aiokafka keeps one batch in flight per partition; without linger every send waits a broker
# round trip behind the previous one.
LINGER_MS = 5
MAX_BATCH_BYTES = 256 * 1024

Outgoing = tuple[str, bytes, bytes]  # topic name, key, value

# The partitioner aiokafka's ``send`` applies to a keyed record (Kafka's murmur2 of the key, as
# the Java client's): a person's events land on the partition they always have.
_PARTITIONER = DefaultPartitioner()


class Outbox:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    async def deliver(self, outgoing: Sequence[Outgoing]) -> None:
        """Send every record and wait until the broker has acknowledged all of them.

        While Kafka is unreachable the whole set is sent again, backing off: the caller acks its
        input only after this returns, and the records downstream are idempotent, so a duplicate
        from a send that did land is harmless and nothing is lost.
        """
        if not outgoing:
            return

        async def send_all() -> None:
            producer = await self._started()
            sent = []
            for (topic, partition), records in (await _by_partition(producer, outgoing)).items():
                for batch in _batches(producer, records):
                    sent.append(await producer.send_batch(batch, topic, partition=partition))
            await asyncio.gather(*sent)

        def waited(exc: Exception, wait: float) -> None:
            log.warning(
                "Kafka did not acknowledge %d record(s) (%s); retrying in %.1fs",
                len(outgoing),
                type(exc).__name__,
                wait,
            )

        await retry_async(send_all, KAFKA_UNAVAILABLE, SEND_BACKOFF, on_retry=waited)

    async def start(self) -> None:
        """Connects the producer ahead of the first record (it would start on first use)."""
        await self._started()

    async def _started(self) -> AIOKafkaProducer:
        """The producer, started on first use (and again after a start that failed)."""
        async with self._starting:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    **aiokafka_config(self._settings.kafka),
                    client_id=f"{self._settings.app_id}-outbox",
                    **RELIABLE_PRODUCER,
                    linger_ms=LINGER_MS,
                    max_batch_size=MAX_BATCH_BYTES,
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None


async def _by_partition(
    producer: AIOKafkaProducer, outgoing: Sequence[Outgoing]
) -> dict[tuple[str, int], list[tuple[bytes, bytes]]]:
    """The records grouped by the partition ``send`` would give each, in their order."""
    partitions: dict[str, list[int]] = {}
    grouped: dict[tuple[str, int], list[tuple[bytes, bytes]]] = {}
    for topic, key, value in outgoing:
        if topic not in partitions:
            partitions[topic] = sorted(await producer.partitions_for(topic))
        every = partitions[topic]
        grouped.setdefault((topic, _PARTITIONER(key, every, every)), []).append((key, value))
    return grouped


def _batches(producer: AIOKafkaProducer, records: list[tuple[bytes, bytes]]) -> list[Any]:
    """One partition's records in as few of aiokafka's batches as its batch size allows."""
    batches = [producer.create_batch()]
    for key, value in records:
        if batches[-1].append(key=key, value=value, timestamp=None) is None:
            batches.append(producer.create_batch())
            if batches[-1].append(key=key, value=value, timestamp=None) is None:
                raise KafkaError("a record larger than a whole batch")  # never: a first record fits
    return batches
