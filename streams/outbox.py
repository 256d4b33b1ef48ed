"""What the worker's stages send: canonical events, dead letters, alerts; one producer for all.

A stage acknowledges its input only after :meth:`Outbox.deliver` returns, that is, once the
broker has every record it sent (``acks=all``). Records are sent with aiokafka directly: faust's
producer wraps each one in futures and callbacks of its own, a cost per record for nothing a
stage uses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

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
            sent = [await producer.send(topic, value=value, key=key) for topic, key, value in outgoing]
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
