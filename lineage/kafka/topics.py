"""Every Kafka topic lineage uses, named once.

- one raw topic per source of :mod:`lineage.source_names`: native payloads exactly as the
  source sent them (bytes);
- the canonical topic: canonical events as JSON, keyed by subject hash so one person's events
  stay in order on one partition;
- the dead-letter topic: what could not be processed, with the reason, so nothing is lost;
- the alerts topic: one record per new or reopened alert (an unapproved transfer flow).

Names hang off a namespace (``LINEAGE_TOPIC_NAMESPACE``, default ``lineage``) so a benchmark or
a test run can use its own topics on a shared broker.
"""

from __future__ import annotations

from dataclasses import dataclass

from lineage.errors import UnknownSourceError
from lineage.settings import Settings
from lineage.source_names import SOURCE_NAMES

# The worker's stages: normalise reads the raw topics, record the canonical one.
STAGES = ("normalise", "record")


def stage_consumers(record_lanes: int) -> tuple[str, ...]:
    """The worker's members of its consumer group, by client name: the normalise stage and
    each lane of the record stage. A worker is in the group once all of them are."""
    return ("normalise", *(f"record-{lane}" for lane in range(record_lanes)))


# Kafka header the receiver puts on each raw record: when it got the payload (epoch ms, ASCII).
RECEIVED_AT_HEADER = "lineage-received-at"


DAY_MS = 24 * 3600 * 1000
RAW_RETENTION_DAYS = 7.0
DEAD_LETTER_RETENTION_DAYS = 30.0


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int = -1  # -1: keep forever
    replication_factor: int = 1
    min_insync_replicas: int | None = None  # None: the broker's default

    def config(self) -> dict[str, str]:
        """Kafka deletes whole segments only, so a segment rolls at least daily: a payload is
        gone at most a day after its retention ends, not a week (Kafka's default roll).
        ``min.insync.replicas`` makes the producers' acks=all mean that many copies."""
        config = {"retention.ms": str(self.retention_ms)}
        if self.retention_ms >= 0:
            config["segment.ms"] = str(min(self.retention_ms, DAY_MS))
        if self.min_insync_replicas is not None:
            config["min.insync.replicas"] = str(self.min_insync_replicas)
        return config


@dataclass(frozen=True)
class Topics:
    """Names and settings of every topic. lineage is a processor of personal data too: the raw
    topics hold native payloads (addresses included) and the dead letters copies of them, so both
    age out (``LINEAGE_RAW_RETENTION_DAYS``, ``LINEAGE_DEAD_LETTER_RETENTION_DAYS``). The
    canonical topic holds keyed hashes only and is kept, so the graph can be rebuilt by replay.
    Partition counts bound how many workers share each stage (``LINEAGE_TOPIC_*``)."""

    namespace: str = "lineage"
    raw_retention_days: float = RAW_RETENTION_DAYS
    dead_letter_retention_days: float = DEAD_LETTER_RETENTION_DAYS
    raw_partitions: int = 3
    canonical_partitions: int = 4
    dead_letter_partitions: int = 1
    alerts_partitions: int = 1
    replication_factor: int = 1
    min_insync_replicas: int | None = None

    def _spec(self, name: str, partitions: int, retention_ms: int = -1) -> TopicSpec:
        return TopicSpec(name, partitions, retention_ms, self.replication_factor, self.min_insync_replicas)

    def raw(self, source: str) -> TopicSpec:
        if source not in SOURCE_NAMES:
            raise UnknownSourceError(f"unknown source {source!r}; known: {', '.join(SOURCE_NAMES)}")
        return self._spec(
            f"{self.raw_prefix}{source}", self.raw_partitions, int(self.raw_retention_days * DAY_MS)
        )

    @property
    def raw_prefix(self) -> str:
        return f"{self.namespace}.raw."

    @property
    def canonical(self) -> TopicSpec:
        return self._spec(f"{self.namespace}.events", self.canonical_partitions)

    @property
    def dead_letter(self) -> TopicSpec:
        # Dead letters keep failed payloads, personal data included: time to look, then gone.
        return self._spec(
            f"{self.namespace}.deadletter",
            self.dead_letter_partitions,
            int(self.dead_letter_retention_days * DAY_MS),
        )

    @property
    def alerts(self) -> TopicSpec:
        return self._spec(f"{self.namespace}.alerts", self.alerts_partitions)

    def all_raw(self) -> tuple[TopicSpec, ...]:
        return tuple(self.raw(source) for source in SOURCE_NAMES)

    def all(self) -> tuple[TopicSpec, ...]:
        return (*self.all_raw(), self.canonical, self.dead_letter, self.alerts)

    def source_of(self, topic_name: str) -> str:
        """The source whose raw topic this is (the raw agent reads all of them at once)."""
        if not topic_name.startswith(self.raw_prefix):
            raise ValueError(f"{topic_name!r} is not a raw topic of {self.namespace!r}")
        return topic_name.removeprefix(self.raw_prefix)


def topics_of(settings: Settings) -> Topics:
    """The topics of a deployment: its namespace, its retention of personal data, and the
    partitions and replication its cluster gives them."""
    layout = settings.topics
    return Topics(
        settings.topic_namespace,
        settings.raw_retention_days,
        settings.dead_letter_retention_days,
        layout.raw_partitions,
        layout.canonical_partitions,
        layout.dead_letter_partitions,
        layout.alerts_partitions,
        layout.replication_factor,
        layout.effective_min_insync_replicas,
    )
