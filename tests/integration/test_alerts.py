"""Real-time transfer alerts on the real servers: raised, deduplicated, delivered, acknowledged,
and closed when the catalog approves the flow."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from graph.alerts import REHEARSAL_ID
from graph.connection import open_driver
from lineage.domain.subjects import SubjectHasher
from lineage.kafka.topics import Topics
from lineage.runner import WorkerProcess, settings_env
from lineage.settings import AlertSettings, Settings
from streams.monitor import read_topic
from streams.warmup import REHEARSAL_EMAIL
from tests.integration import feed

pytestmark = pytest.mark.integration


def event(n: int, store: str, email: str, category: str, subject_type: str) -> dict[str, Any]:
    return {
        "event_id": f"alert-test:{n}",
        "occurred_at": f"2026-06-0{n}T09:00:00Z",
        "source": "demo",
        "action": "collected",
        "store": store,
        "categories": [category],
        "subject": {"type": subject_type, "email": email},
    }


CV_TO_DROPBOX = event(1, "dropbox/recruitment", "ana@example.com", "user.content.private.cv", "job_applicant")
SECOND_CV = event(2, "dropbox/recruitment", "eve@example.com", "user.content.private.cv", "job_applicant")
THIRD_CV = event(5, "dropbox/recruitment", "zoe@example.com", "user.content.private.cv", "job_applicant")
ANALYTICS = event(3, "ga/user-data", "bob@example.com", "user.behavior.browsing_history", "visitor")
NEWSLETTER = event(4, "brevo/contacts", "cleo@example.org", "user.contact.email", "newsletter_subscriber")


class _Collector(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    _Collector.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/alerts", _Collector.received
    server.shutdown()


def publish(settings: Settings, *events: dict[str, Any]) -> None:
    feed.publish(settings, "canonical", *events)


def alert_records(settings: Settings) -> list[dict[str, Any]]:
    """Every alert record, read to the topic's end offsets (an idle timeout read fewer on a
    loaded machine)."""
    return [
        json.loads(value)
        for value in read_topic(settings.kafka, Topics(settings.topic_namespace).alerts.name)
    ]


def alerts_cli(settings: Settings, *args: str) -> Any:
    out = subprocess.run(
        [sys.executable, "-m", "lineage", "alerts", *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout) if "--json" in args else out.stdout


class TestTransferAlerts:
    def test_raised_once_per_flow_delivered_acknowledged_and_closed_by_the_catalog(
        self, pipeline: Settings, webhook: tuple[str, list[dict[str, Any]]], tmp_path: Path
    ) -> None:
        url, received = webhook
        settings = pipeline.model_copy(update={"alerts": AlertSettings(webhook_url=url)})
        publish(settings, CV_TO_DROPBOX, THIRD_CV, ANALYTICS, NEWSLETTER)
        with WorkerProcess(settings, tmp_path / "worker.log").start() as worker:
            worker.wait_caught_up(timeout=120)
            publish(settings, SECOND_CV)  # same flow: the alert is updated, not raised again
            worker.wait_caught_up(timeout=120)

        records = alert_records(settings)
        flows = sorted((r["store"], r["country"]) for r in records)
        assert flows == [("brevo/contacts", "IN"), ("dropbox/recruitment", "US")]  # not GA (DPF)
        dropbox = next(r for r in records if r["store"] == "dropbox/recruitment")
        assert "Privacy Shield" in dropbox["reason"] and dropbox["severity"] == "high"
        assert next(r for r in records if r["country"] == "IN")["chain"] == [
            "sendinblue",
            "sms-gateway",
            "sms-support",
        ]
        assert sorted(r["id"] for r in received) == sorted(r["id"] for r in records)

        listed = {a["id"]: a for a in alerts_cli(settings, "--json")}
        assert listed[dropbox["id"]]["count"] == 3 and listed[dropbox["id"]]["status"] == "open"

        alerts_cli(settings, "ack", dropbox["id"])
        assert {a["id"]: a["status"] for a in alerts_cli(settings, "--json")}[dropbox["id"]] == "acknowledged"

        # The DPO signs SCCs with Dropbox: the catalog says so, and on restart the alert closes.
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            settings.catalog.read_text().replace(
                '    country: US\n    transfer_mechanism: {kind: privacy_shield, reference: "seed 003: '
                "'agréé Privacy Shield'\"}",
                "    country: US\n    transfer_mechanism: {kind: sccs, module: 2}",
            )
        )
        assert catalog.read_text() != settings.catalog.read_text()
        fixed = settings.model_copy(update={"catalog": catalog})
        with WorkerProcess(fixed, tmp_path / "restarted.log").start() as worker:
            worker.wait_caught_up(timeout=120)
        statuses = {a["id"]: a["status"] for a in alerts_cli(fixed, "--json")}
        assert statuses[dropbox["id"]] == "closed"
        assert list(statuses.values()).count("open") == 1  # the Indian sub-processor remains


def wait_for(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.5)
    raise AssertionError("condition not met in time")


class TestCatalogChangeWithoutRestart:
    def test_new_sub_processor_raises_alerts_for_data_held_then_a_mechanism_closes_them(
        self, pipeline: Settings, tmp_path: Path
    ) -> None:
        catalog = tmp_path / "catalog.yaml"
        original = pipeline.catalog.read_text()
        catalog.write_text(original)
        settings = pipeline.model_copy(update={"catalog": catalog, "catalog_check_s": 0.5})
        crm = event(6, "hubspot/contacts", "lou@example.com", "user.contact.email", "prospect")
        publish(settings, crm)
        with WorkerProcess(settings, tmp_path / "worker.log").start() as worker:
            worker.wait_caught_up(timeout=120)
            assert alert_records(settings) == []  # HubSpot in IE/DE: nothing leaves the EEA

            # HubSpot announces a support sub-processor in Brazil... before its adequacy date,
            # with no mechanism: data already held in hubspot/contacts now reaches BR unapproved.
            catalog.write_text(
                original.replace(
                    "  - id: hubspot\n    name: HubSpot Ireland Ltd\n    country: IE\n",
                    "  - id: hubspot\n    name: HubSpot Ireland Ltd\n    country: IE\n"
                    "    sub_processors: [hubspot-support]\n"
                    "  - id: hubspot-support\n    name: HubSpot support\n    country: CN\n",
                )
            )
            (raised,) = wait_for(lambda: alert_records(settings))
            assert (raised["store"], raised["chain"], raised["country"]) == (
                "hubspot/contacts",
                ["hubspot", "hubspot-support"],
                "CN",
            )
            assert raised["count"] == 1

            catalog.write_text("processors: [not a catalog")  # a typo: logged, ignored
            time.sleep(2)
            assert worker.is_running()

            catalog.write_text(
                original.replace(
                    "  - id: hubspot\n    name: HubSpot Ireland Ltd\n    country: IE\n",
                    "  - id: hubspot\n    name: HubSpot Ireland Ltd\n    country: IE\n"
                    "    sub_processors: [hubspot-support]\n"
                    "  - id: hubspot-support\n    name: HubSpot support\n    country: CN\n"
                    "    transfer_mechanism: {kind: sccs, module: 3}\n",
                )
            )
            wait_for(
                lambda: (
                    {a["id"]: a["status"] for a in alerts_cli(settings, "--json")}.get(raised["id"])
                    == "closed"
                )
            )
        assert "does not validate" in (tmp_path / "worker.log").read_text()


class TestWorkerStart:
    def test_each_stage_rehearses_before_its_first_batch_leaving_nothing_and_the_first_alert_arrives(
        self, pipeline: Settings, hasher: SubjectHasher, tmp_path: Path
    ) -> None:
        """The rehearsal runs every statement of the alert path and the record stage on a
        person and a store that do not exist, and rolls back: the graph shows no trace of it,
        and the first alert after the start is raised once."""
        log = tmp_path / "worker.log"
        with WorkerProcess(pipeline, log, loglevel="info").start() as worker:
            publish(pipeline, CV_TO_DROPBOX)
            wait_for(lambda: any(r["store"] == "dropbox/recruitment" for r in alert_records(pipeline)))
            worker.wait_caught_up(timeout=120)

        text = log.read_text()
        assert "normalise stage warmed up" in text and "record-0 stage warmed up" in text
        records = [r for r in alert_records(pipeline) if r["store"] == "dropbox/recruitment"]
        assert len(records) == 1
        with open_driver(pipeline) as driver:
            traces, _, _ = driver.execute_query(
                "MATCH (n) WHERE n.id STARTS WITH $id OR n.key = $key RETURN count(n) AS traces",
                id=REHEARSAL_ID,
                key=hasher.email(REHEARSAL_EMAIL),
                database_=pipeline.neo4j.database,
            )
        assert traces[0]["traces"] == 0
