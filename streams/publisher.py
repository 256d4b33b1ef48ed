"""Publishing to lineage's topics from outside the worker (``lineage ingest``, the demo)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kafka import KafkaProducer

from lineage.errors import StackError
from lineage.kafka.clients import RELIABLE_PRODUCER, KafkaTarget, kafka_python_config


class RawPublisher:
    """Publishes native payloads, unchanged, to one source's raw topic; acks=all, idempotent."""

    def __init__(self, kafka: KafkaTarget, topic: str) -> None:
        self._topic = topic
        self._producer = KafkaProducer(
            **kafka_python_config(kafka), **RELIABLE_PRODUCER, linger_ms=5, batch_size=256 * 1024, retries=5
        )

    def publish(self, payloads: Iterable[bytes]) -> Iterator[int]:
        """Sends each payload; yields a running count so callers can show progress."""
        futures = []
        for count, payload in enumerate(payloads, start=1):
            futures.append(self._producer.send(self._topic, value=payload))
            yield count
        self._producer.flush()
        failed = [f.exception for f in futures if f.failed()]
        if failed:
            raise StackError(f"{len(failed)} payload(s) were not accepted by Kafka: {failed[0]}")

    def close(self) -> None:
        self._producer.close()

    def __enter__(self) -> RawPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
