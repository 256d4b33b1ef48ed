"""At-least-once for real: a worker killed mid-stream loses nothing and duplicates nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from graph.connection import open_driver
from graph.reader import GraphReader
from lineage.demo.brevo_feed import brevo_feed
from lineage.domain.events import CollectionEvent, SubjectRef, encode_event
from lineage.domain.subjects import SubjectType
from lineage.kafka.topics import Topics
from lineage.runner import WorkerProcess
from lineage.settings import Settings
from lineage_lab import statements
from streams.monitor import LagProbe, consumer_lag, read_dead_letters, topic_size
from streams.publisher import RawPublisher

pytestmark = pytest.mark.integration


def publish(settings: Settings, topic: str, payloads: list[bytes]) -> None:
    with RawPublisher(settings.kafka, topic) as publisher:
        for _ in publisher.publish(payloads):
            pass


def fingerprint(settings: Settings) -> list[str]:
    with open_driver(settings) as driver:
        return GraphReader(driver, settings.neo4j.database).fingerprint()


class TestWorkerCrash:
    def test_killed_worker_resumes_without_loss(self, pipeline: Settings, tmp_path: Path) -> None:
        names = Topics(pipeline.topic_namespace)
        payloads = [json.dumps(d).encode() for d in brevo_feed(400, seed=3)]
        publish(pipeline, names.raw("brevo").name, payloads)
        watched = [names.raw("brevo").name, names.canonical.name]

        worker = WorkerProcess(pipeline, tmp_path / "killed.log").start()
        deadline = time.monotonic() + 120
        # One probe kept open: a fresh client a poll (a SASL handshake each) can take longer
        # than the worker needs for the whole feed, and the kill would come after the end.
        with LagProbe(pipeline.kafka, pipeline.app_id) as probe:
            while probe.lag(watched) >= len(payloads):
                assert time.monotonic() < deadline, "the worker made no progress"
                time.sleep(0.01)
            worker.kill()  # no graceful stop: in-flight batches are lost
            assert probe.lag(watched) > 0

        with WorkerProcess(pipeline, tmp_path / "resumed.log").start() as resumed:
            resumed.wait_caught_up(timeout=300)
        after_crash = fingerprint(pipeline)

        # the reference: the same topics processed in one go by a fresh group on an empty graph
        with open_driver(pipeline) as driver:
            driver.execute_query(statements.WIPE, database_=pipeline.neo4j.database)
        reference = pipeline.model_copy(update={"app_id": pipeline.app_id + "-reference"})
        with WorkerProcess(reference, tmp_path / "reference.log").start() as clean:
            clean.wait_caught_up(timeout=300)

        assert len(after_crash) > 400
        assert after_crash == fingerprint(pipeline)


class TestCanonicalTopic:
    def test_bad_canonical_message_is_dead_lettered_and_good_ones_stored(
        self, pipeline: Settings, hasher, tmp_path: Path
    ) -> None:
        from datetime import UTC, datetime

        names = Topics(pipeline.topic_namespace)
        good = CollectionEvent(
            event_id="custom:00000001",
            occurred_at=datetime(2026, 5, 1, tzinfo=UTC),
            source="custom-erp",
            action="collected",
            store="erp/customers",
            subject=SubjectRef(type=SubjectType.CUSTOMER, key=hasher.email("ana@example.com")),
            categories=("user.contact.email", "user.financial"),
        )
        bad = b'{"schema_version": 1, "action": "collected", "store": "erp/customers"}'
        publish(pipeline, names.canonical.name, [bad, encode_event(good)])
        with WorkerProcess(pipeline, tmp_path / "worker.log").start() as worker:
            worker.wait_caught_up(timeout=120)

        with open_driver(pipeline) as driver:
            rows = GraphReader(driver, pipeline.neo4j.database).subject_map(good.subject.key)
        assert [(r["store"], r["declared"], sorted(r["held"])) for r in rows] == [
            ("erp/customers", False, ["user.contact.email", "user.financial"])
        ]
        (letter,) = read_dead_letters(pipeline.kafka, names.dead_letter.name)
        assert letter["stage"] == "record" and "event_id" in letter["reason"]
        assert letter["payload"] == bad.decode()


class TestNeo4jOutage:
    def test_writer_holds_its_acks_until_neo4j_is_back(self, pipeline: Settings, tmp_path: Path) -> None:
        if not pipeline.uses_local_stack:
            pytest.skip("stopping Neo4j needs the local stack (not user servers or containers)")
        from lineage.stack.manager import local_servers

        neo4j = next(s for s in local_servers(pipeline) if s.name == "Neo4j")
        names = Topics(pipeline.topic_namespace)
        payloads = [json.dumps(d).encode() for d in brevo_feed(50, seed=5)]
        with WorkerProcess(pipeline, tmp_path / "worker.log").start() as worker:
            neo4j.process.stop()
            try:
                publish(pipeline, names.raw("brevo").name, payloads)
                deadline = time.monotonic() + 60
                while consumer_lag(pipeline.kafka, pipeline.app_id, [names.raw("brevo").name]) > 0:
                    assert time.monotonic() < deadline, "raw payloads were not normalised"
                    time.sleep(0.2)
                time.sleep(3)  # several commit intervals while Neo4j is down
                held_back = consumer_lag(pipeline.kafka, pipeline.app_id, [names.canonical.name])
            finally:
                neo4j.ensure_running(pipeline.stack.start_timeout)
            worker.wait_caught_up(timeout=240)

        canonical = topic_size(pipeline.kafka, names.canonical.name)
        assert held_back == canonical >= len(payloads)  # nothing committed before Neo4j had it
        with open_driver(pipeline) as driver:
            counts = GraphReader(driver, pipeline.neo4j.database).counts()
        assert counts["subjects"] == 50

    def test_a_read_waits_out_a_neo4j_restart(
        self, pipeline: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The API's and CLI's reads are auto-commit (graph.reader.read_records), which the
        driver's own retries do not cover: a read asked while Neo4j is down answers once it is
        back, the same answer as before."""
        if not pipeline.uses_local_stack:
            pytest.skip("stopping Neo4j needs the local stack (not user servers or containers)")
        from concurrent.futures import ThreadPoolExecutor

        from graph import reader
        from lineage.stack.manager import local_servers

        monkeypatch.setattr(reader, "READ_RETRY_S", 240.0)  # a slow start under a loaded CI
        neo4j = next(s for s in local_servers(pipeline) if s.name == "Neo4j")
        with open_driver(pipeline) as driver, ThreadPoolExecutor(1) as pool:
            graph = GraphReader(driver, pipeline.neo4j.database)
            before = graph.counts()
            neo4j.process.stop()
            try:
                asked = time.monotonic()
                answer = pool.submit(graph.counts)
                time.sleep(2)
                assert not answer.done(), "a read answered while Neo4j was down"
            finally:
                neo4j.ensure_running(pipeline.stack.start_timeout)
            assert answer.result(timeout=240) == before
            assert time.monotonic() - asked > 2


class TestPromptStop:
    """SIGTERM ends the worker within 10 s whatever Kafka and Neo4j are doing, and commits
    nothing it has not stored."""

    @pytest.mark.parametrize("down", ["Kafka", "Neo4j"])
    def test_sigterm_stops_the_worker_within_ten_seconds_while_a_server_is_down(
        self, pipeline: Settings, tmp_path: Path, down: str
    ) -> None:
        if not pipeline.uses_local_stack:
            pytest.skip("stopping a server needs the local stack (not user servers or containers)")
        from lineage.stack.manager import local_servers

        server = next(s for s in local_servers(pipeline) if s.name == down)
        names = Topics(pipeline.topic_namespace)
        publish(pipeline, names.raw("brevo").name, [json.dumps(d).encode() for d in brevo_feed(30, seed=8)])
        worker = WorkerProcess(pipeline, tmp_path / "worker.log").start()
        server.process.stop()
        try:
            time.sleep(3)  # the worker notices: its fetches or writes now fail and retry
            started = time.monotonic()
            worker.stop(timeout=30)
            took = time.monotonic() - started
        finally:
            server.ensure_running(pipeline.stack.start_timeout)
        assert not worker.is_running()
        assert took < 10, f"SIGTERM took {took:.1f}s with {down} down"

        # nothing was lost: a new worker stores every payload
        with WorkerProcess(pipeline, tmp_path / "after.log").start() as again:
            again.wait_caught_up(timeout=240)
        with open_driver(pipeline) as driver:
            assert GraphReader(driver, pipeline.neo4j.database).counts()["subjects"] == 30
