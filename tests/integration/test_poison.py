"""No message can stop the pipeline: poison sits between good messages on one partition, the
good ones are stored, each poison message is dead-lettered alone with its reason, and the
consumer group's lag reaches 0 (a wedged partition would never get there)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaProducer

from graph.connection import open_driver
from graph.reader import GraphReader
from lineage.domain.events import CollectionEvent, SubjectRef, encode_event
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.kafka.clients import kafka_python_config
from lineage.kafka.topics import Topics
from lineage.runner import WorkerProcess
from lineage.settings import Settings
from streams.monitor import consumer_lag, read_dead_letters

pytestmark = pytest.mark.integration


def send_to_partition_0(settings: Settings, topic: str, messages: list[bytes]) -> None:
    producer = KafkaProducer(**kafka_python_config(settings.kafka), acks="all")
    try:
        for message in messages:
            producer.send(topic, value=message, partition=0)
        producer.flush()
    finally:
        producer.close()


def canonical(n: int, key: str, occurred_at: str) -> bytes:
    return json.dumps(
        {
            "event_id": f"poison-test:{n}",
            "occurred_at": occurred_at,
            "source": "erp",
            "action": "collected",
            "store": "erp/customers",
            "categories": ["user.contact.email"],
            "subject": {"type": "customer", "key": key},
        }
    ).encode()


def test_poison_between_good_messages_is_dead_lettered_and_the_partition_moves_on(
    pipeline: Settings, hasher: SubjectHasher, tmp_path: Path
) -> None:
    names = Topics(pipeline.topic_namespace)
    good = [hasher.email(f"good-{n}@example.com") for n in range(4)]
    raw = [
        canonical(0, good[0], "2026-05-01T08:00:00+02:00"),
        canonical(1, good[1], "9999-12-31T23:59:59Z"),  # placeholder date
        canonical(2, good[1], "0001-01-01T00:00:00+14:00"),  # cannot even be compared
        b'{"event_id": ' + b"[" * 5000 + b"]" * 5000 + b"}",  # nesting Python gives up on
        b'{"event_id": ' + b"7" * 5000 + b"}",  # integer too long to parse
        b'{"event_id": "\xc3\x28"}',  # not UTF-8
        canonical(3, good[1], "2026-05-02T08:00:00Z"),
    ]
    send_to_partition_0(pipeline, names.raw("canonical").name, raw)
    stored = CollectionEvent(
        event_id="poison-test:direct",
        occurred_at=datetime(2026, 5, 3, tzinfo=UTC),
        source="erp",
        action="collected",
        store="erp/customers",
        categories=("user.contact.email",),
        subject=SubjectRef(type=SubjectType.CUSTOMER, key=good[2]),
    )
    late = json.loads(encode_event(stored)) | {
        "event_id": "poison-test:late",
        "occurred_at": "2100-01-01T00:00:00Z",
    }
    send_to_partition_0(
        pipeline,
        names.canonical.name,
        [
            encode_event(stored),
            json.dumps(late).encode(),
            b"[" * 100_000,
            encode_event(
                stored.model_copy(
                    update={
                        "event_id": "poison-test:again",
                        "subject": SubjectRef(type=SubjectType.CUSTOMER, key=good[3]),
                    }
                )
            ),
        ],
    )

    with WorkerProcess(pipeline, tmp_path / "worker.log").start() as worker:
        worker.wait_caught_up(timeout=180)
        assert worker.is_running()
    topics = [names.raw("canonical").name, names.canonical.name]
    assert consumer_lag(pipeline.kafka, pipeline.app_id, topics) == 0

    with open_driver(pipeline) as driver:
        reader = GraphReader(driver, pipeline.neo4j.database)
        held = {key: sorted(h for row in reader.subject_map(key) for h in row["held"]) for key in good}
    assert held == {key: ["user.contact.email"] for key in good}

    letters = read_dead_letters(pipeline.kafka, names.dead_letter.name)
    reasons = sorted((letter["stage"], letter["reason"]) for letter in letters)
    assert len(reasons) == 7, reasons
    assert all(reason for _, reason in reasons)
    window = [r for _, r in reasons if "outside the accepted window" in r]
    assert len(window) == 3  # two raw placeholder dates, one canonical event dated 2100
    assert any("nested too deeply" in r for _, r in reasons)
    assert any("number is too long" in r for _, r in reasons)
    assert any("not UTF-8" in r for _, r in reasons)
    assert sum(stage == "record" for stage, _ in reasons) == 2
