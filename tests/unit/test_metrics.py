"""The metrics module and the API's /metrics, without servers (the worker's: integration)."""

from __future__ import annotations

import asyncio
import gzip
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from lineage import metrics
from lineage.api.app import create_api
from lineage.settings import ApiSettings, KafkaSettings, Neo4jSettings, Settings
from tests.unit.test_api_receiver import BREVO, BREVO_TOKEN, PERSON, RecordingSink

OPENLINEAGE_TOKEN = "ol-key-7c41-producer"
METRICS_TOKEN = "scrape-6d2a-prometheus"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def settings(**api: Any) -> Settings:
    return Settings(
        kafka=KafkaSettings(bootstrap="127.0.0.1:9"),
        neo4j=Neo4jSettings(uri="bolt://127.0.0.1:9"),
        api=ApiSettings(brevo_token=BREVO_TOKEN, openlineage_token=OPENLINEAGE_TOKEN, **api),
    )


def call(
    requests: list[tuple[str, str, bytes, dict[str, str]]], sink: RecordingSink | None = None, **api: Any
) -> list[httpx.Response]:
    async def send() -> list[httpx.Response]:
        app = create_api(settings(**api), sink=sink or RecordingSink())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lineage.test") as client:
            return [
                await client.request(method, path, content=body, headers=headers)
                for method, path, body, headers in requests
            ]

    return asyncio.run(send())


class TestMetricModule:
    def test_a_batch_counts_its_payloads_per_source_once(self) -> None:
        brevo, s3 = (
            value("lineage_payloads_read_total", source="brevo"),
            value("lineage_payloads_read_total", source="s3"),
        )
        metrics.payloads_read(["brevo", "s3", "brevo", "brevo"])
        assert value("lineage_payloads_read_total", source="brevo") == brevo + 3
        assert value("lineage_payloads_read_total", source="s3") == s3 + 1

    def test_a_batch_observes_its_size_and_time_and_counts_what_it_stored(self) -> None:
        stored = value("lineage_events_stored_total")
        count = value("lineage_batch_size_count", stage="record")
        total = value("lineage_batch_size_sum", stage="record")
        metrics.batch_done("record", 250, time.perf_counter() - 0.2, stored=249)
        assert value("lineage_events_stored_total") == stored + 249
        assert value("lineage_batch_size_count", stage="record") == count + 1
        assert value("lineage_batch_size_sum", stage="record") == total + 250
        assert value("lineage_batch_seconds_bucket", stage="record", le="0.1") < value(
            "lineage_batch_seconds_bucket", stage="record", le="0.25"
        )

    def test_alert_latency_runs_from_the_oldest_receipt_and_reads_nothing_without_alerts(self) -> None:
        def untouchable() -> Any:
            raise AssertionError("receipts read for a batch that raised no alert")
            yield

        metrics.alerts_published("normalise", 0, untouchable())
        before = value("lineage_alert_latency_seconds_count", stage="normalise")
        published = value("lineage_alerts_published_total", stage="normalise")
        now = datetime.now(UTC)
        metrics.alerts_published("normalise", 2, iter([now - timedelta(seconds=3), None, now]))
        assert value("lineage_alerts_published_total", stage="normalise") == published + 2
        assert value("lineage_alert_latency_seconds_count", stage="normalise") == before + 2
        assert value("lineage_alert_latency_seconds_bucket", stage="normalise", le="2.0") < value(
            "lineage_alert_latency_seconds_bucket", stage="normalise", le="5.0"
        )

    def test_dead_letters_retries_and_lag_carry_source_and_stage_only(self) -> None:
        letters = value("lineage_dead_letters_total", source="hubspot", stage="normalise")
        retries = value("lineage_neo4j_retries_total", stage="record")
        metrics.dead_letter("hubspot", "normalise")
        metrics.neo4j_retry("record")
        metrics.set_lag("record", 17)
        assert value("lineage_dead_letters_total", source="hubspot", stage="normalise") == letters + 1
        assert value("lineage_neo4j_retries_total", stage="record") == retries + 1
        assert value("lineage_consumer_lag", stage="record") == 17
        label_names = {
            name
            for family in REGISTRY.collect()
            if family.name.startswith("lineage_")
            for sample in family.samples
            for name in sample.labels
        }
        assert label_names <= {"source", "stage", "code", "le"}

    def test_every_stage_series_exists_before_anything_happens(self) -> None:
        body, _ = metrics.exposition()
        text = body.decode()
        for stage in metrics.STAGES:
            assert f'lineage_neo4j_retries_total{{stage="{stage}"}}' in text
            assert f'lineage_consumer_lag{{stage="{stage}"}}' in text


class TestApiMetrics:
    def test_receipts_and_refusals_are_counted_per_source_and_code_without_personal_data(self) -> None:
        received = value("lineage_payloads_received_total", source="brevo")
        refused = value("lineage_payloads_refused_total", source="brevo", code="unauthorized")
        bad_json = value("lineage_payloads_refused_total", source="brevo", code="invalid_json")
        unknown = value("lineage_payloads_refused_total", source="unknown", code="unknown_source")
        body = f'{{"event": "unsubscribed", "email": "{PERSON}"}}'.encode()
        answers = call(
            [
                ("POST", "/webhooks/brevo", body, BREVO),
                ("POST", "/webhooks/brevo", body, {"Authorization": "Bearer wrong"}),
                ("POST", "/webhooks/brevo", b"{not json " + PERSON.encode(), BREVO),
                ("POST", f"/webhooks/{PERSON}", body, BREVO),
                ("GET", "/metrics", b"", {}),
            ]
        )
        assert [a.status_code for a in answers] == [202, 401, 400, 404, 200]
        assert value("lineage_payloads_received_total", source="brevo") == received + 1
        assert value("lineage_payloads_refused_total", source="brevo", code="unauthorized") == refused + 1
        assert value("lineage_payloads_refused_total", source="brevo", code="invalid_json") == bad_json + 1
        assert value("lineage_payloads_refused_total", source="unknown", code="unknown_source") == unknown + 1
        scraped = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(answers[-1].text)
            for s in f.samples
        }
        assert scraped[("lineage_payloads_received_total", (("source", "brevo"),))] == received + 1
        assert PERSON not in answers[-1].text and "example" not in answers[-1].text

    def test_with_a_metrics_token_a_scrape_must_bring_it(self) -> None:
        answers = call(
            [
                ("GET", "/metrics", b"", {}),
                ("GET", "/metrics", b"", {"Authorization": "Bearer nope"}),
                ("GET", "/metrics", b"", {"Authorization": f"Bearer {METRICS_TOKEN}"}),
            ],
            metrics_token=METRICS_TOKEN,
        )
        assert [a.status_code for a in answers] == [401, 401, 200]
        assert "lineage_payloads_received_total" in answers[2].text
        assert answers[2].headers["content-type"].startswith("text/plain")


class TestOpenLineageEndpoint:
    EVENT = b'{"eventType": "START", "eventTime": "2026-06-02T09:30:00Z", "run": {"runId": "r1"}}'

    def test_the_transport_api_key_is_the_bearer_token_and_gzip_is_read(self) -> None:
        sink = RecordingSink()
        bearer = {"Authorization": f"Bearer {OPENLINEAGE_TOKEN}", "Content-Type": "application/json"}
        answers = call(
            [
                ("POST", "/api/v1/lineage", self.EVENT, bearer),
                ("POST", "/api/v1/lineage", gzip.compress(self.EVENT), bearer | {"Content-Encoding": "gzip"}),
                ("POST", "/api/v1/lineage", self.EVENT, {"Authorization": f"Bearer {BREVO_TOKEN}"}),
                ("POST", "/api/v1/lineage", self.EVENT, {}),
            ],
            sink=sink,
        )
        assert [a.status_code for a in answers] == [202, 202, 401, 401]
        assert answers[0].json()["topic"] == "lineage.raw.openlineage"
        assert [payload for _topic, payload, _at in sink.sent] == [self.EVENT, self.EVENT]

    @pytest.mark.parametrize(
        ("body", "status", "error"),
        [
            (gzip.compress(b'{"a": "' + b"x" * 200_000 + b'"}'), 413, "payload_too_large"),
            (b"not gzip at all", 400, "invalid_json"),
        ],
    )
    def test_a_bad_or_bombing_gzip_body_is_refused(self, body: bytes, status: int, error: str) -> None:
        sink = RecordingSink()
        headers = {"Authorization": f"Bearer {OPENLINEAGE_TOKEN}", "Content-Encoding": "gzip"}
        [answer] = call([("POST", "/api/v1/lineage", body, headers)], sink=sink, max_body_bytes=64 * 1024)
        assert (answer.status_code, answer.json()["error"]) == (status, error)
        assert sink.sent == []

    def test_without_a_token_openlineage_is_refused(self) -> None:
        async def send() -> httpx.Response:
            app = create_api(
                Settings(
                    kafka=KafkaSettings(bootstrap="127.0.0.1:9"),
                    neo4j=Neo4jSettings(uri="bolt://127.0.0.1:9"),
                ),
                sink=RecordingSink(),
            )
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://lineage.test"
            ) as client:
                return await client.post(
                    "/api/v1/lineage", content=self.EVENT, headers={"Authorization": "Bearer anything"}
                )

        answer = asyncio.run(send())
        assert (answer.status_code, answer.json()["error"]) == (503, "source_not_configured")
