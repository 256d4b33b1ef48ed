"""Feeding the real pipeline in integration tests: payloads onto a source's raw topic, then a
worker run until everything is in Neo4j (and, when asked, the derived expiries too)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from lineage.kafka.topics import Topics
from lineage.runner import WorkerProcess, settings_env
from lineage.settings import Settings
from streams.publisher import RawPublisher


def publish(settings: Settings, source: str, *payloads: Any) -> None:
    """Each payload as the source sends it: bytes unchanged, anything else as JSON."""
    topic = Topics(settings.topic_namespace).raw(source).name
    with RawPublisher(settings.kafka, topic) as publisher:
        for _ in publisher.publish(p if isinstance(p, bytes) else json.dumps(p).encode() for p in payloads):
            pass


def run_worker(settings: Settings, log: Path, timeout: float = 180) -> None:
    """A worker process from start to caught up, then stopped."""
    with WorkerProcess(settings, log).start() as worker:
        worker.wait_caught_up(timeout=timeout)


def cli_data_map(settings: Settings, identifier: str) -> Any:
    """``lineage subject IDENTIFIER --json`` as a user runs it, parsed."""
    out = subprocess.run(
        [sys.executable, "-m", "lineage", "subject", identifier, "--json"],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)
