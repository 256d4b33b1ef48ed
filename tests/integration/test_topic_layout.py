"""Partitions and replication as settings, on the real broker: ensure_topics adds partitions to
existing topics, never removes any, sets min.insync.replicas, and says plainly when the
cluster has fewer brokers than the replication factor."""

from __future__ import annotations

import logging

import pytest

from lineage.errors import ConfigError
from lineage.kafka.topics import topics_of
from lineage.settings import Settings, TopicSettings
from streams.admin import ensure_topics, partition_counts, topic_config

pytestmark = pytest.mark.integration


def layout(settings: Settings, **fields: int) -> Settings:
    return settings.model_copy(update={"topics": TopicSettings.model_validate(fields)})


def test_more_partitions_reach_existing_topics_and_fewer_are_kept(
    pipeline: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    names = topics_of(pipeline)
    canonical, raw = names.canonical.name, names.raw("brevo").name
    assert partition_counts(pipeline.kafka, [canonical, raw]) == {canonical: 4, raw: 3}

    grown = layout(pipeline, raw_partitions=5, canonical_partitions=6, min_insync_replicas=1)
    assert ensure_topics(grown.kafka, topics_of(grown).all()) == []
    assert partition_counts(pipeline.kafka, [canonical, raw]) == {canonical: 6, raw: 5}
    assert topic_config(pipeline.kafka, canonical)["min.insync.replicas"] == "1"
    assert topic_config(pipeline.kafka, raw)["retention.ms"] == str(names.raw("brevo").retention_ms)

    with caplog.at_level(logging.WARNING, logger="streams.admin"):
        ensure_topics(pipeline.kafka, names.all())  # the defaults again: 4 and 3
    assert partition_counts(pipeline.kafka, [canonical, raw]) == {canonical: 6, raw: 5}
    assert f"{canonical} has 6 partitions, 4 configured" in caplog.text


def test_a_replication_factor_beyond_the_cluster_is_a_clear_error(pipeline: Settings) -> None:
    wide = layout(pipeline, replication_factor=3).model_copy(
        update={"topic_namespace": pipeline.topic_namespace + "-rf3"}
    )
    with pytest.raises(ConfigError, match="replication factor 3: the cluster has 1 broker"):
        ensure_topics(wide.kafka, topics_of(wide).all())
