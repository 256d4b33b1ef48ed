"""The local stack's failure messages and its Kafka configuration, without starting anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage.errors import StackError
from lineage.settings import StackSettings
from lineage.stack.jars import require_tool, server_jars
from lineage.stack.servers import _write_kafka_config


class TestMissingTools:
    def test_missing_java_or_maven_is_a_clear_message(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PATH", "/nonexistent")
        with pytest.raises(StackError) as err:
            require_tool("mvn", "download the jars")
        message = str(err.value)
        assert "`mvn` was not found" in message and "apt-get install maven" in message
        assert "LINEAGE_KAFKA_BOOTSTRAP" in message

    def test_resolving_jars_without_maven_says_so(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setenv("PATH", "/nonexistent")
        settings = StackSettings(cache=tmp_path / "cache")
        with pytest.raises(StackError, match="`mvn` was not found"):
            server_jars(settings, "kafka")

    def test_missing_manifest(self, tmp_path: Path) -> None:
        with pytest.raises(StackError, match="missing Maven manifest"):
            server_jars(StackSettings(deploy_dir=tmp_path, cache=tmp_path), "kafka")


class TestKafkaConfig:
    def test_single_kraft_node_on_the_configured_loopback_ports(self, tmp_path: Path) -> None:
        settings = StackSettings(kafka_port=19999, kafka_controller_port=19998)
        config = _write_kafka_config(settings, tmp_path).read_text()
        assert "process.roles=broker,controller" in config
        assert "listeners=SASL_PLAINTEXT://127.0.0.1:19999,CONTROLLER://127.0.0.1:19998" in config
        assert "controller.quorum.voters=1@127.0.0.1:19998" in config
        assert "auto.create.topics.enable=false" in config
        assert f"log.dirs={tmp_path / 'data'}" in config


class TestThreeBrokers:
    def test_each_node_is_broker_and_voter_on_its_own_ports(self, tmp_path: Path) -> None:
        settings = StackSettings(
            home=tmp_path, kafka_brokers=3, kafka_port=29092, kafka_controller_port=29093
        )
        config = _write_kafka_config(settings, tmp_path, node=2).read_text()
        assert "node.id=2" in config
        assert "listeners=SASL_PLAINTEXT://127.0.0.1:29094,CONTROLLER://127.0.0.1:29095" in config
        assert "controller.quorum.voters=1@127.0.0.1:29093,2@127.0.0.1:29095,3@127.0.0.1:29097" in config
        for line in (
            "offsets.topic.replication.factor=3",
            "transaction.state.log.replication.factor=3",
            "transaction.state.log.min.isr=2",
            "default.replication.factor=3",
            "min.insync.replicas=2",
        ):
            assert line in config.splitlines()

    def test_one_broker_keeps_one_copy(self, tmp_path: Path) -> None:
        config = _write_kafka_config(StackSettings(home=tmp_path), tmp_path).read_text().splitlines()
        assert "offsets.topic.replication.factor=1" in config and "min.insync.replicas=1" in config

    def test_the_bootstrap_lists_every_broker_and_topics_get_three_copies(self, tmp_path: Path) -> None:
        from lineage.kafka.topics import topics_of
        from lineage.settings import KafkaSettings, Neo4jSettings, Settings

        stack = StackSettings(home=tmp_path, kafka_brokers=3, kafka_port=29092, kafka_controller_port=29093)
        settings = Settings(stack=stack, kafka=KafkaSettings(bootstrap=None), neo4j=Neo4jSettings(uri=None))
        assert settings.kafka.bootstrap == "127.0.0.1:29092,127.0.0.1:29094,127.0.0.1:29096"
        canonical = topics_of(settings).canonical
        assert (canonical.replication_factor, canonical.min_insync_replicas) == (3, 2)

    def test_overlapping_ports_are_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="ports overlap"):
            StackSettings(home=tmp_path, kafka_brokers=3, kafka_port=29092, kafka_controller_port=29094)

    def test_a_stack_keeps_the_brokers_it_was_created_with(self, tmp_path: Path) -> None:
        from lineage.settings import Settings
        from lineage.stack.manager import keep_brokers

        keep_brokers(Settings(stack=StackSettings(home=tmp_path, kafka_brokers=3)))
        assert StackSettings(home=tmp_path).kafka_brokers == 3
        with pytest.raises(StackError, match="created with 3 Kafka broker"):
            keep_brokers(Settings(stack=StackSettings(home=tmp_path, kafka_brokers=1)))
