"""The local stack's credentials: generated once, kept in its state folder (mode 0600), read by
the settings of that stack, required by its servers' configuration, and never shown."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from lineage.errors import StackError
from lineage.settings import KafkaSettings, Neo4jSettings, Settings, StackSettings, settings_env
from lineage.stack import servers
from lineage.stack.credentials import keep_credentials
from lineage.stack.servers import _format_kafka_storage, _scram_arguments, _write_kafka_config


@pytest.fixture(autouse=True)
def _no_stack_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("LINEAGE_STACK_NEO4J_PASSWORD", "LINEAGE_STACK_KAFKA_PASSWORD", "LINEAGE_STACK_KAFKA_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout


def local(home: Path) -> Settings:
    """Settings that point at the local stack in ``home`` (no server of the user's)."""
    return Settings(
        stack=StackSettings(home=home), kafka=KafkaSettings(bootstrap=None), neo4j=Neo4jSettings(uri=None)
    )


def secret(value: SecretStr | None) -> str:
    assert value is not None
    return value.get_secret_value()


class TestGenerated:
    def test_the_local_stack_settings_carry_scram_and_a_neo4j_password(self, tmp_path: Path) -> None:
        settings = local(tmp_path / "stack")
        assert settings.kafka.security_protocol == "SASL_PLAINTEXT"
        assert settings.kafka.sasl_mechanism == "SCRAM-SHA-512"
        assert settings.kafka.sasl_username == "lineage"
        assert secret(settings.kafka.sasl_password) == secret(settings.stack.kafka_password)
        assert settings.neo4j.user == "neo4j"
        assert secret(settings.neo4j.password) == secret(settings.stack.neo4j_password)
        assert len(secret(settings.neo4j.password)) == 48

    def test_each_new_stack_gets_random_ones(self, tmp_path: Path) -> None:
        one, two = StackSettings(home=tmp_path / "a"), StackSettings(home=tmp_path / "b")
        assert secret(one.kafka_password) != secret(two.kafka_password)
        assert secret(one.neo4j_password) != secret(two.neo4j_password)
        assert secret(one.neo4j_password) != secret(one.kafka_password)

    def test_the_users_own_servers_keep_their_own_security(self, tmp_path: Path) -> None:
        settings = Settings(
            stack=StackSettings(home=tmp_path),
            kafka=KafkaSettings(bootstrap="kafka.example.net:9092"),
            neo4j=Neo4jSettings(uri="bolt://db.example.net:7687", password="theirs-0123"),
        )
        assert settings.kafka.security_protocol == "PLAINTEXT" and settings.kafka.sasl_password is None
        assert secret(settings.neo4j.password) == "theirs-0123"


class TestKept:
    def test_stack_up_writes_them_once_private_and_the_next_settings_read_them(self, tmp_path: Path) -> None:
        home = tmp_path / "stack"
        first = local(home)
        path = keep_credentials(first.stack)
        assert path == home / "credentials.env"
        assert path.stat().st_mode & 0o777 == 0o600
        assert secret(first.stack.kafka_password) in path.read_text()
        again = local(home)  # another process, later: the same credentials
        assert secret(again.kafka.sasl_password) == secret(first.kafka.sasl_password)
        assert secret(again.neo4j.password) == secret(first.neo4j.password)
        before = path.read_text()
        assert keep_credentials(again.stack) == path and path.read_text() == before

    def test_the_environment_chooses_them_before_the_stack_exists(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("LINEAGE_STACK_NEO4J_PASSWORD", "neo4j-from-env-0123")
        monkeypatch.setenv("LINEAGE_STACK_KAFKA_PASSWORD", "kafka-from-env-0123")
        settings = local(tmp_path / "stack")
        assert secret(settings.neo4j.password) == "neo4j-from-env-0123"
        assert secret(settings.kafka.sasl_password) == "kafka-from-env-0123"

    def test_a_stack_that_exists_keeps_its_own_whatever_the_environment_says(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        home = tmp_path / "stack"
        created = local(home)
        keep_credentials(created.stack)
        monkeypatch.setenv("LINEAGE_STACK_NEO4J_PASSWORD", "changed-later-0123")
        monkeypatch.setenv("LINEAGE_STACK_KAFKA_PASSWORD", "changed-later-0123")
        later = local(home)
        assert secret(later.neo4j.password) == secret(created.neo4j.password)
        assert secret(later.kafka.sasl_password) == secret(created.kafka.sasl_password)

    def test_a_kafka_made_without_credentials_is_refused_with_what_to_do(self, tmp_path: Path) -> None:
        home = tmp_path / "stack"
        (home / "kafka" / "data").mkdir(parents=True)
        (home / "kafka" / "data" / "meta.properties").write_text("version=1\n")
        with pytest.raises(StackError, match="created without credentials") as error:
            keep_credentials(StackSettings(home=home))
        assert "lineage stack down" in str(error.value)
        assert not (home / "credentials.env").exists()

    def test_a_child_process_gets_the_same_credentials(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        parent = local(tmp_path / "stack")  # no file yet: the child must not draw new ones
        env = settings_env(parent)
        for name in list(os.environ):
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        child = Settings()
        assert child.kafka == parent.kafka and child.neo4j == parent.neo4j

    @pytest.mark.parametrize("password", ["short", "has space in it", "comma,bracket]=0123"])
    def test_passwords_kafkas_syntax_would_need_to_quote_are_refused(
        self, password: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("LINEAGE_STACK_KAFKA_PASSWORD", password)
        with pytest.raises(ValidationError, match="LINEAGE_STACK_KAFKA_PASSWORD") as error:
            StackSettings()
        assert password not in str(error.value)


class TestNeverShown:
    def test_they_are_scrubbed_secrets_and_not_in_reprs(self, tmp_path: Path) -> None:
        settings = local(tmp_path / "stack")
        values = {secret(settings.stack.kafka_password), secret(settings.stack.neo4j_password)}
        assert values <= set(settings.secret_values())
        assert not any(value in repr(settings) for value in values)

    def test_stack_up_names_the_file_not_the_values(self, tmp_path: Path) -> None:
        from lineage.cli.app import _credentials_note

        settings = local(tmp_path / "stack")
        note = _credentials_note(settings)
        assert str(settings.stack.credentials_file) in note
        assert not any(value in note for value in settings.secret_values())


class TestServersRequireThem:
    def test_the_broker_config_requires_scram_on_its_client_listener(self, tmp_path: Path) -> None:
        stack = StackSettings(home=tmp_path, kafka_port=19999, kafka_controller_port=19998)
        config = _write_kafka_config(stack, tmp_path)
        text = config.read_text()
        assert "listeners=SASL_PLAINTEXT://127.0.0.1:19999,CONTROLLER://127.0.0.1:19998" in text
        assert "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT" in text
        assert "inter.broker.listener.name=SASL_PLAINTEXT" in text
        assert "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512" in text
        assert f'username="lineage" password="{secret(stack.kafka_password)}"' in text  # the broker's own
        assert config.stat().st_mode & 0o777 == 0o600

    def test_the_scram_user_is_stored_at_format_time_off_the_command_line(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stack = StackSettings(home=tmp_path)
        password = secret(stack.kafka_password)
        assert _scram_arguments(stack) == ["--add-scram", f"SCRAM-SHA-512=[name=lineage,password={password}]"]
        seen: dict[str, object] = {}

        def run_java(command: list[str], shown: str) -> None:
            argfile = Path(command[1].removeprefix("@"))
            seen.update(command=command, mode=argfile.stat().st_mode & 0o777, text=argfile.read_text())

        monkeypatch.setattr(servers, "_run_java", run_java)
        _format_kafka_storage("java", ["kafka.tools.StorageTool", *_scram_arguments(stack)], tmp_path)
        assert password not in " ".join(seen["command"])  # type: ignore[arg-type]
        assert seen["mode"] == 0o600 and password in str(seen["text"])
        assert not (tmp_path / "format.args").exists()

    def test_neo4j_starts_with_auth_and_its_password_off_the_command_line(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(servers, "require_tool", lambda name, why: f"/usr/bin/{name}")
        monkeypatch.setattr(servers, "server_jars", lambda settings, server: tmp_path / "lib")
        stack = StackSettings(home=tmp_path / "stack")
        command = servers.neo4j_server(stack, lambda uri, auth: True).prepare()
        assert command[-1] == str(stack.credentials_file.resolve())
        assert secret(stack.neo4j_password) not in " ".join(command)
        launcher = Path(command[-7]).read_text()
        assert "auth_enabled, true" in launcher and "LINEAGE_STACK_NEO4J_PASSWORD=" in launcher
