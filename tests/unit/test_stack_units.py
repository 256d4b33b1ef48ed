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
