"""The traffic of a chaos run: payloads published until acknowledged, at a steady pace.

Real sources do not stop sending while the pipeline is in trouble: webhooks keep arriving
during a worker crash or a broker restart, and a source whose request failed sends it again.
:class:`AckedPublisher` is that source; :class:`Traffic` runs it in the background, paced, so
faults strike while messages are in flight rather than on an idle worker.
"""

from __future__ import annotations

import contextlib
import threading
import time

from kafka.errors import KafkaError

from lineage.errors import StackError
from lineage.kafka.topics import Topics
from lineage.settings import Settings
from streams.publisher import RawPublisher

Item = tuple[str, bytes]  # (source, native payload)


class AckedPublisher:
    """Publishes (source, payload) pairs until the broker acknowledged every one.

    A chunk the producer gives up on (Kafka down past its delivery timeout) is sent again
    whole, as a webhook source retries a request that was not answered: some payloads then
    arrive twice, which the idempotent writes absorb. Not shared between threads.
    """

    def __init__(self, settings: Settings, retry_s: float = 2.0) -> None:
        self._settings, self._retry_s = settings, retry_s
        self._topics = Topics(settings.topic_namespace)
        self._open: dict[str, RawPublisher] = {}
        self.acked = self.resent = 0

    def publish(self, chunk: list[Item]) -> None:
        """Returns once the broker has acknowledged the whole chunk."""
        while True:
            try:
                for source, payloads in _by_source(chunk).items():
                    for _ in self._publisher(source).publish(payloads):
                        pass
                self.acked += len(chunk)
                return
            except (KafkaError, StackError, OSError):
                self.close()
                self.resent += len(chunk)
                time.sleep(self._retry_s)

    def _publisher(self, source: str) -> RawPublisher:
        if source not in self._open:
            self._open[source] = RawPublisher(self._settings.kafka, self._topics.raw(source).name)
        return self._open[source]

    def close(self) -> None:
        for publisher in self._open.values():
            with contextlib.suppress(Exception):
                publisher.close()
        self._open.clear()


def _by_source(chunk: list[Item]) -> dict[str, list[bytes]]:
    grouped: dict[str, list[bytes]] = {}
    for source, payload in chunk:
        grouped.setdefault(source, []).append(payload)
    return grouped


class Traffic(threading.Thread):
    """Publishes ``items`` in the background at ``rate`` payloads/s (unpaced when None);
    ``join`` re-raises what went wrong in it."""

    def __init__(
        self, settings: Settings, items: list[Item], rate: float | None = None, chunk: int = 200
    ) -> None:
        super().__init__(daemon=True)
        self.publisher = AckedPublisher(settings)
        self._items, self._rate, self._chunk = items, rate, chunk
        self._error: BaseException | None = None

    def run(self) -> None:
        started = time.monotonic()
        try:
            for start in range(0, len(self._items), self._chunk):
                if self._rate:
                    time.sleep(max(0.0, started + start / self._rate - time.monotonic()))
                self.publisher.publish(self._items[start : start + self._chunk])
        except BaseException as exc:
            self._error = exc
        finally:
            self.publisher.close()

    def publish_now(self) -> Traffic:
        """Publish in this thread, until acknowledged."""
        self.run()
        return self.finish()

    def finish(self) -> Traffic:
        """Wait until everything is acknowledged."""
        if self.is_alive():
            self.join()
        if self._error is not None:
            raise self._error
        return self
