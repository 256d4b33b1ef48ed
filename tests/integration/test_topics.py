"""lineage's own copies of personal data age out: raw and dead-letter topics get the configured
retention when created, and existing topics are brought to it at the next worker start."""

from __future__ import annotations

import pytest

from lineage.kafka.topics import DAY_MS, topics_of
from lineage.settings import Settings
from streams.admin import ensure_topics, topic_config

pytestmark = pytest.mark.integration


def test_raw_and_dead_letter_topics_age_out_and_a_changed_retention_reaches_existing_topics(
    pipeline: Settings,
) -> None:
    names = topics_of(pipeline)
    raw, dead, canonical = names.raw("brevo").name, names.dead_letter.name, names.canonical.name
    assert topic_config(pipeline.kafka, raw)["retention.ms"] == str(7 * DAY_MS)
    assert topic_config(pipeline.kafka, raw)["segment.ms"] == str(DAY_MS)
    assert topic_config(pipeline.kafka, dead)["retention.ms"] == str(30 * DAY_MS)
    assert topic_config(pipeline.kafka, canonical)["retention.ms"] == "-1"

    shorter = pipeline.model_copy(update={"raw_retention_days": 2.0, "dead_letter_retention_days": 0.5})
    assert ensure_topics(shorter.kafka, topics_of(shorter).all()) == []  # none created
    assert topic_config(pipeline.kafka, raw)["retention.ms"] == str(2 * DAY_MS)
    assert topic_config(pipeline.kafka, dead)["retention.ms"] == str(DAY_MS // 2)
    assert topic_config(pipeline.kafka, dead)["segment.ms"] == str(DAY_MS // 2)
