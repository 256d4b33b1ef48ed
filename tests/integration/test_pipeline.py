"""Brevo payloads through real Kafka, the real worker process, into real Neo4j."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from graph.connection import open_driver
from graph.reader import GraphReader
from lineage.kafka.topics import Topics
from lineage.runner import settings_env
from lineage.settings import Settings
from streams.monitor import read_dead_letters
from tests.integration.feed import publish, run_worker

pytestmark = pytest.mark.integration

LEA, PAUL = "lea.martin@example.fr", "paul.durand@example.org"


def brevo(event: str, email: str, ts: int, **extra: Any) -> bytes:
    body = {"id": 771204, "email": email, "event": event, "ts": ts, **extra}
    return json.dumps(body).encode()


GOOD = [
    brevo("list_addition", LEA, 1772795100, list_id=[42], key="f3a9c1d07e"),
    brevo("contact_updated", LEA, 1772870400, content=[{"FIRSTNAME": "Léa", "COMPANY": "Atelier Nord"}]),
    brevo("list_addition", PAUL, 1772795200, list_id=[42], key="a1b2c3d4e5"),
    brevo(
        "click",
        LEA,
        1772880000,
        camp_id=87,
        **{"campaign name": "Newsletter mars"},
        list_id=[42],
        URL="https://example.fr/offre",
    ),
    brevo("contact_deleted", PAUL, 1775023200, list_id=[42]),
]
BAD = [b"this is not json", brevo("teleported", LEA, 1772795100), b'{"event": "list_addition"}']


def reader_for(settings: Settings) -> tuple[Any, GraphReader]:
    driver = open_driver(settings)
    return driver, GraphReader(driver, settings.neo4j.database)


class TestBrevoPipeline:
    def test_good_payloads_land_in_the_graph_and_bad_ones_in_the_dead_letter_topic(
        self, pipeline: Settings, hasher, tmp_path: Path
    ) -> None:
        interleaved = [GOOD[0], BAD[0], GOOD[1], BAD[1], GOOD[2], BAD[2], *GOOD[3:]]
        publish(pipeline, "brevo", *interleaved)
        run_worker(pipeline, tmp_path / "worker.log")

        driver, reader = reader_for(pipeline)
        with driver:
            lea = {row["store"]: row for row in reader.subject_map(hasher.email(LEA))}
            paul = {row["store"]: row for row in reader.subject_map(hasher.email(PAUL))}
            lea_impact = reader.erasure_impact(hasher.email(LEA))
            paul_impact = reader.erasure_impact(hasher.email(PAUL))
            counts = reader.counts()

        assert set(lea) == {"brevo/contacts"}
        held = set(lea["brevo/contacts"]["held"])
        assert {"user.contact.email", "user.name.first", "user.contact.organization"} <= held
        assert lea["brevo/contacts"]["country"] == "FR"
        assert lea["brevo/contacts"]["processor"] == "Sendinblue SAS (Brevo), Paris"
        assert paul["brevo/contacts"]["held"] == []
        assert "user.contact.email" in paul["brevo/contacts"]["erased"]
        assert paul_impact == []
        assert [(r["store"], r["country"]) for r in lea_impact] == [("brevo/contacts", "FR")]
        assert {s["id"] for s in lea_impact[0]["sub_processors"]} == {"sms-gateway", "sms-support"}
        assert counts["subjects"] == 2

        letters = read_dead_letters(pipeline.kafka, Topics(pipeline.topic_namespace).dead_letter.name)
        assert len(letters) == 3
        assert {letter["payload"] for letter in letters} == {b.decode() for b in BAD}
        reasons = " | ".join(letter["reason"] for letter in letters)
        assert "not JSON" in reasons and "unknown event name" in reasons and "email" in reasons
        assert "teleported" not in reasons  # reasons name the problem, never the value

    def test_replaying_the_same_payloads_or_the_whole_topic_changes_nothing(
        self, pipeline: Settings, tmp_path: Path
    ) -> None:
        publish(pipeline, "brevo", *GOOD)
        run_worker(pipeline, tmp_path / "first.log")
        driver, reader = reader_for(pipeline)
        with driver:
            before = reader.fingerprint()

            publish(pipeline, "brevo", *GOOD)  # the source retried every webhook
            run_worker(pipeline, tmp_path / "second.log")
            after_duplicates = reader.fingerprint()

            # a new consumer group reads both topics from offset 0: a full replay
            replay = pipeline.model_copy(update={"app_id": pipeline.app_id + "-replay"})
            run_worker(replay, tmp_path / "replay.log")
            after_replay = reader.fingerprint()

        assert len(before) >= 5
        assert after_duplicates == before
        assert after_replay == before

    def test_cli_answers_by_email(self, pipeline: Settings, tmp_path: Path) -> None:
        publish(pipeline, "brevo", *GOOD)
        run_worker(pipeline, tmp_path / "worker.log")

        def cli(*args: str) -> dict[str, Any]:
            out = subprocess.run(
                [sys.executable, "-m", "lineage", *args, "--json"],
                env=settings_env(pipeline),
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            )
            return json.loads(out.stdout)

        data_map = cli("subject", "  LEA.Martin@example.fr ")
        impact = cli("erasure-impact", LEA)
        assert [row["store"] for row in data_map["stores"]] == ["brevo/contacts"]
        # Brevo's own store is in France; its SMS sub-processor chain reaches the US and India.
        assert impact["countries"] == ["FR", "IN", "US"]
        assert impact["stores"][0]["processor_id"] == "sendinblue"
        assert {(s["id"], s["country"]) for s in impact["stores"][0]["sub_processors"]} == {
            ("sms-gateway", "US"),
            ("sms-support", "IN"),
        }
        assert LEA not in json.dumps(data_map) and LEA not in json.dumps(impact)
