"""Metrics and OpenLineage on the real servers: ``lineage serve`` and ``lineage worker`` as an
operator runs them, payloads over HTTP, both ``/metrics`` scraped over HTTP.

The OpenLineage event is built and sent by the openlineage-python client itself (its
``HttpTransport`` with ``api_key`` auth and gzip), as Airflow's or Spark's integration would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import column_lineage_dataset, tags_dataset
from openlineage.client.transport.http import HttpConfig, HttpTransport
from prometheus_client.parser import text_string_to_metric_families

from lineage.domain.catalog import parse_catalog
from lineage.kafka.topics import Topics
from lineage.runner import WorkerProcess
from lineage.settings import Settings
from lineage.sources import build_adapters
from streams.monitor import read_dead_letters
from streams.processing import normalise
from tests.integration.serve import free_port, lineage_serve
from tests.integration.test_pipeline import GOOD, brevo

pytestmark = pytest.mark.integration

BREVO_TOKEN, OPENLINEAGE_KEY = "brevo-obs-3e1f-token", "ol-api-key-8c2d-token"
QUERY_TOKEN = "query-obs-51aa-token"
BROKEN = brevo("teleported", "lea.martin@example.fr", 1772795100)  # JSON, authentic, unadaptable


SECRETS = {
    "LINEAGE_API_BREVO_TOKEN": BREVO_TOKEN,
    "LINEAGE_API_OPENLINEAGE_TOKEN": OPENLINEAGE_KEY,
    "LINEAGE_API_QUERY_TOKEN": QUERY_TOKEN,
}


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = httpx.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def spark_cv_share() -> RunEvent:
    """A Spark job copying the CV bucket's CVs to the recruiters' Dropbox, its CV column tagged."""
    tags = tags_dataset.TagsDatasetFacet(
        tags=[
            tags_dataset.TagsDatasetFacetFields(
                key="data_category", value="user.content.private.cv", field="cv", source="USER"
            )
        ]
    )
    column = column_lineage_dataset.Fields(
        inputFields=[
            column_lineage_dataset.InputField(namespace="s3://acme-hr-cv", name="candidates", field="cv")
        ],
        transformationDescription="copy",
        transformationType="IDENTITY",
    )
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(fields={"cv_file": column})
    bucket = InputDataset(namespace="s3://acme-hr-cv", name="candidates", facets={"tags": tags})
    return RunEvent(
        eventType=RunState.COMPLETE,
        eventTime="2026-06-02T09:30:00.000Z",
        run=Run(runId="0190a3c2-5b7e-7d2a-9f00-4c1d2e3f4a5b"),
        job=Job(namespace="spark://recruiting", name="share_cvs_with_recruiters"),
        producer="https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/spark",
        inputs=[bucket],
        outputs=[
            OutputDataset(namespace="dropbox://acme", name="recruitment", facets={"columnLineage": lineage})
        ],
    )


def client_for(url: str, key: str) -> OpenLineageClient:
    config = HttpConfig.from_dict(
        {"url": url, "auth": {"type": "api_key", "apiKey": key}, "compression": "gzip"}
    )
    return OpenLineageClient(transport=HttpTransport(config))


def expected_events(settings: Settings, hasher: Any, payloads: list[bytes]) -> int:
    adapters = build_adapters(parse_catalog(settings.catalog.read_text()))
    outcomes = [normalise("brevo", p, adapters, hasher) for p in payloads]
    return sum(len(o) for o in outcomes if isinstance(o, list))


def test_metrics_count_what_the_pipeline_did_and_an_openlineage_run_becomes_an_alerted_flow(
    pipeline: Settings, hasher: Any, tmp_path: Path
) -> None:
    worker_port = free_port()
    settings = pipeline.model_copy(update={"worker_metrics_port": worker_port})
    brevo_events = expected_events(settings, hasher, GOOD[:2])
    with (
        lineage_serve(settings, tmp_path / "serve.log", SECRETS) as url,
        WorkerProcess(settings, tmp_path / "worker.log").start() as worker,
    ):
        bearer = {"Authorization": f"Bearer {BREVO_TOKEN}"}
        statuses = [
            httpx.post(f"{url}/webhooks/brevo", content=body, headers=bearer, timeout=20).status_code
            for body in (GOOD[0], GOOD[1], BROKEN)
        ]
        assert statuses == [202, 202, 202]
        client_for(url, OPENLINEAGE_KEY).emit(spark_cv_share())
        with pytest.raises(Exception, match="401"):
            client_for(url, "not-the-key").emit(spark_cv_share())
        worker.wait_caught_up(timeout=120)
        api = scrape(f"{url}/metrics")
        work = scrape(f"http://127.0.0.1:{worker_port}/metrics")
        flows = httpx.get(f"{url}/flows", headers={"Authorization": f"Bearer {QUERY_TOKEN}"}, timeout=20)
        alerts = httpx.get(
            f"{url}/alerts?status=open", headers={"Authorization": f"Bearer {QUERY_TOKEN}"}, timeout=20
        )

    assert api[("lineage_payloads_received_total", (("source", "brevo"),))] == 3
    assert api[("lineage_payloads_received_total", (("source", "openlineage"),))] == 1
    assert api[("lineage_payloads_refused_total", (("code", "unauthorized"), ("source", "openlineage")))] == 1

    assert work[("lineage_payloads_read_total", (("source", "brevo"),))] == 3
    assert work[("lineage_payloads_read_total", (("source", "openlineage"),))] == 1
    assert work[("lineage_dead_letters_total", (("source", "brevo"), ("stage", "normalise")))] == 1
    assert not any(
        name == "lineage_dead_letters_total" and dict(labels)["source"] != "brevo" for name, labels in work
    )
    assert work[("lineage_events_produced_total", ())] == brevo_events + 1  # + the OpenLineage flow
    assert work[("lineage_events_stored_total", ())] == brevo_events + 1
    assert work[("lineage_batch_size_sum", (("stage", "normalise"),))] == 4
    assert work[("lineage_batch_size_sum", (("stage", "record"),))] == brevo_events + 1
    assert work[("lineage_batch_seconds_count", (("stage", "record"),))] >= 1
    published = sum(
        work[("lineage_alerts_published_total", (("stage", s),))] for s in ("normalise", "record")
    )
    latencies = sum(
        work[("lineage_alert_latency_seconds_count", (("stage", s),))] for s in ("normalise", "record")
    )
    assert published >= 2 and latencies == published  # Brevo's Indian SMS hop, and Dropbox
    assert ("lineage_consumer_lag", (("stage", "record"),)) in work
    assert "lea.martin" not in json.dumps([list(k) for k in work]) + json.dumps([list(k) for k in api])

    [letter] = read_dead_letters(settings.kafka, Topics(settings.topic_namespace).dead_letter.name)
    assert (letter["source"], letter["stage"]) == ("brevo", "normalise")

    assert flows.status_code == 200, flows.text
    [flow] = [f for f in flows.json()["flows"] if f["destination"] == "dropbox/recruitment"]
    assert flow["source"] == "s3://acme-hr-cv" and flow["categories"] == ["user.content.private.cv"]
    assert alerts.status_code == 200, alerts.text
    dropbox = [a for a in alerts.json() if a["store"] == "dropbox/recruitment"]
    assert dropbox and dropbox[0]["kind"] == "unapproved_transfer" and dropbox[0]["country"] == "US"
