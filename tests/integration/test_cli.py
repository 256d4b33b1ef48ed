"""The user surface as a user runs it: `lineage ingest` and `lineage stack`, as processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lineage.kafka.topics import Topics
from lineage.runner import WorkerProcess, settings_env
from lineage.settings import Settings
from streams.monitor import topic_size

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).parent.parent / "fixtures" / "brevo"


def lineage(
    env: dict[str, str], *args: str, check: bool = True, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage", *args],
        env=env,
        input=stdin and stdin.decode(),
        capture_output=True,
        text=True,
        check=check,
        timeout=300,
    )


class TestIngest:
    def test_file_and_stdin_reach_the_raw_topic_and_the_graph(
        self, pipeline: Settings, tmp_path: Path
    ) -> None:
        env = settings_env(pipeline)
        out = lineage(env, "ingest", "--source", "brevo", str(FIXTURES / "marketing_list_addition.json"))
        assert "published 1 payload(s)" in out.stdout
        lines = b"\n".join(
            (FIXTURES / name).read_bytes().strip()
            for name in ("marketing_contact_updated.json", "marketing_click.json")
        )
        out = lineage(env, "ingest", "--source", "brevo", "-", stdin=lines + b"\nnot json\n")
        assert "published 3 payload(s)" in out.stdout
        raw = Topics(pipeline.topic_namespace).raw("brevo").name
        assert topic_size(pipeline.kafka, raw) == 4

        with WorkerProcess(pipeline, tmp_path / "worker.log").start() as worker:
            worker.wait_caught_up(timeout=120)
        data_map = json.loads(lineage(env, "subject", "lea.martin@example.fr", "--json").stdout)
        held = set(data_map["stores"][0]["held"])
        assert {"user.contact.email", "user.name.first", "user.behavior"} <= held
        letters = json.loads(lineage(env, "dead-letters", "--json").stdout)
        assert [letter["reason"] for letter in letters] == ["not JSON: Expecting value at line 1 column 1"]
        assert not any(key.startswith("payload") for letter in letters for key in letter)
        letters = json.loads(lineage(env, "dead-letters", "--json", "--with-payloads").stdout)
        assert [letter["payload"] for letter in letters] == ["not json"]

    def test_unknown_source_is_a_clear_error(self, pipeline: Settings) -> None:
        out = lineage(
            settings_env(pipeline), "ingest", "--source", "mailchimp", "-", check=False, stdin=b"{}"
        )
        assert out.returncode != 0 and "unknown source 'mailchimp'" in out.stdout + out.stderr


def free_ports(count: int) -> list[str]:
    """Ports nothing listens on now (the OS picks them), as strings for the environment."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [str(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class TestStackCommands:
    def test_up_is_idempotent_status_tells_and_down_stops(self, tmp_path: Path) -> None:
        kafka, controller, neo4j = free_ports(3)  # a stack of its own, beside the session's
        env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_")}
        env |= {
            "LINEAGE_STACK_HOME": str(tmp_path / "state"),
            "LINEAGE_STACK_KAFKA_PORT": kafka,
            "LINEAGE_STACK_KAFKA_CONTROLLER_PORT": controller,
            "LINEAGE_STACK_NEO4J_PORT": neo4j,
        }
        try:
            first = lineage(env, "stack", "up")
            assert f"127.0.0.1:{kafka}" in first.stdout and f"bolt://127.0.0.1:{neo4j}" in first.stdout
            status = json.loads(lineage(env, "stack", "status", "--json").stdout)
            pids = {s["name"]: s["pid"] for s in status}
            assert all(s["answers"] for s in status)
            lineage(env, "stack", "up")  # already running: nothing restarts
            again = json.loads(lineage(env, "stack", "status", "--json").stdout)
            assert {s["name"]: s["pid"] for s in again} == pids
        finally:
            down = lineage(env, "stack", "down")
        assert "Kafka" in down.stdout and "Neo4j" in down.stdout
        stopped = lineage(env, "stack", "status", "--json", check=False)
        assert stopped.returncode == 1
        assert not any(s["answers"] for s in json.loads(stopped.stdout))
