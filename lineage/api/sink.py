"""Kafka for the receiver: the one producer of the process, and the header that dates each record.

Every raw record carries :data:`lineage.kafka.topics.RECEIVED_AT_HEADER`, the time the receiver got the
payload in epoch milliseconds (ASCII digits). The body stays byte for byte what the source sent;
the header is how the worker dates payloads that carry no time of their own (a Greenhouse
deletion). The record's own timestamp is not enough: the topic's ``message.timestamp.type`` or
another producer decides it, while the header is the receiver's own statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError

from lineage.errors import PayloadTooLargeError, PublishError
from lineage.kafka.clients import (
    RELIABLE_PRODUCER,
    KafkaTarget,
    aiokafka_config,
    bootstrap_of,
    broker_answers,
)
from lineage.kafka.topics import RECEIVED_AT_HEADER

log = logging.getLogger(__name__)


class RawPublisher(Protocol):
    """What the receiver needs of Kafka; :class:`RawSink` in service, a fake in unit tests."""

    @property
    def ready(self) -> bool: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic: str, payload: bytes, received_at_ms: int) -> None: ...

    async def broker_answers(self) -> bool: ...


def received_at_headers(received_at_ms: int) -> list[tuple[str, bytes]]:
    """The record headers of one raw payload: when it was received, as the worker parses it."""
    return [(RECEIVED_AT_HEADER, str(received_at_ms).encode("ascii"))]


class RawSink:
    """The one producer of the process, started with the app and restarted lazily.

    The app starts even when Kafka is down (it answers 503 until Kafka is back) so an outage at
    deploy time does not turn into a crash loop. ``request_timeout_ms`` equals the publish
    timeout so a batch abandoned by a timed-out request expires instead of lingering. Requests
    may be a little larger than the body limit so that the broker's own ``message.max.bytes``
    decides, not a client default.
    """

    def __init__(self, kafka: KafkaTarget, timeout_s: float, max_body_bytes: int) -> None:
        self._kafka = kafka  # bootstrap with TLS/SASL settings (lineage/kafka/clients)
        self._bootstrap = bootstrap_of(kafka)
        self._timeout_s = timeout_s
        self._max_request_size = max_body_bytes + 64 * 1024  # record and batch headers
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    @property
    def ready(self) -> bool:
        return self._producer is not None

    async def start(self) -> None:
        """Connects if it can; a failure is logged, not raised (the next publish retries)."""
        with contextlib.suppress(PublishError):
            await self._ensure_started()

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def publish(self, topic: str, payload: bytes, received_at_ms: int) -> None:
        """Returns once the broker has the payload (acks=all).

        Raises :class:`PublishError` when Kafka is down or slow (the source should retry), and
        :class:`PayloadTooLargeError` when Kafka will never take a message this large.
        """
        producer = await self._ensure_started()
        sent = producer.send_and_wait(topic, payload, headers=received_at_headers(received_at_ms))
        try:
            await asyncio.wait_for(sent, self._timeout_s)
        except MessageSizeTooLargeError as exc:  # 503 would have the source retry it forever
            raise PayloadTooLargeError(
                f"Kafka refuses a {len(payload)}-byte message (broker or topic message.max.bytes)"
            ) from exc
        except (KafkaError, TimeoutError) as exc:
            log.warning("publish to %s failed: %s", topic, type(exc).__name__)
            raise PublishError(f"Kafka did not acknowledge the payload: {type(exc).__name__}") from exc

    async def broker_answers(self) -> bool:
        """A fresh metadata round trip, independent of the producer's cached state."""
        check = asyncio.to_thread(broker_answers, self._kafka, min(self._timeout_s, 3.0))
        try:
            return await asyncio.wait_for(check, self._timeout_s)
        except TimeoutError:
            return False

    async def _ensure_started(self) -> AIOKafkaProducer:
        if self._producer is not None:
            return self._producer
        if self._starting.locked():  # another request is connecting: do not queue behind it
            raise PublishError("Kafka is not reachable yet")
        async with self._starting:
            producer = AIOKafkaProducer(
                **aiokafka_config(self._kafka),
                **RELIABLE_PRODUCER,
                request_timeout_ms=int(self._timeout_s * 1000),
                max_request_size=self._max_request_size,
            )
            try:
                await asyncio.wait_for(producer.start(), self._timeout_s)
            except (KafkaError, OSError, TimeoutError) as exc:
                with contextlib.suppress(Exception):
                    await producer.stop()
                log.warning("Kafka at %s is not reachable: %s", self._bootstrap, type(exc).__name__)
                raise PublishError(f"Kafka is not reachable: {type(exc).__name__}") from exc
            self._producer = producer
            return producer
