"""Every Kafka topic lineage uses, named once.

- one raw topic per source: native payloads exactly as the source sent them (bytes);
- the canonical topic: canonical events as JSON, keyed by subject hash so one person's events
  stay in order on one partition;
- the dead-letter topic: what could not be processed, with the reason, so nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int = -1  # -1: keep forever, so the graph can be rebuilt by replay

    def config(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms)}


RAW_PREFIX = "lineage.raw."
SOURCES: tuple[str, ...] = ("brevo",)

RAW: dict[str, TopicSpec] = {s: TopicSpec(f"{RAW_PREFIX}{s}", partitions=3) for s in SOURCES}
CANONICAL = TopicSpec("lineage.events", partitions=4)
# Dead letters hold the payloads that failed, personal data included: 30 days to look, then gone.
DEAD_LETTER = TopicSpec("lineage.deadletter", partitions=1, retention_ms=30 * 24 * 3600 * 1000)

ALL: tuple[TopicSpec, ...] = (*RAW.values(), CANONICAL, DEAD_LETTER)


def raw_topic(source: str) -> TopicSpec:
    try:
        return RAW[source]
    except KeyError:
        raise KeyError(f"unknown source {source!r}; known: {', '.join(SOURCES)}") from None


def source_of(topic_name: str) -> str:
    """The source whose raw topic this is (the raw agent reads all of them at once)."""
    if not topic_name.startswith(RAW_PREFIX):
        raise ValueError(f"{topic_name!r} is not a raw topic")
    return topic_name.removeprefix(RAW_PREFIX)
