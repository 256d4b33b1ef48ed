"""``lineage-lab bench`` and ``bench-alerts`` in small, on the real servers: every stage measured,
one and two workers, every alert timed, and the graph left as the bench found it (its people are
its own and deleted afterwards)."""

from __future__ import annotations

import json

import pytest

from graph.connection import open_driver
from lineage.domain.catalog import parse_catalog
from lineage.settings import Settings
from lineage_lab.bench.alerts import run_alert_bench
from lineage_lab.bench.pipeline import run_bench
from lineage_lab.fingerprint import graph_fingerprint

pytestmark = pytest.mark.integration


def test_bench_measures_every_stage_and_leaves_the_graph_as_found(
    pipeline: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = parse_catalog(pipeline.catalog.read_text())
    with open_driver(pipeline) as driver:
        before = graph_fingerprint(driver, pipeline.neo4j.database)

    run_bench(pipeline, catalog, people=40, as_json=True, workers=(1, 2))

    doc = json.loads(capsys.readouterr().out)
    assert set(doc["stages"]) == {
        "adapt",
        "kafka_round_trip",
        "graph_batched",
        "graph_per_event",
        "warm_up",
        "graph_writer",
        "end_to_end",
        "end_to_end_2_workers",
    }
    events = doc["canonical_events"]
    assert events > 100
    assert doc["stages"]["end_to_end_2_workers"]["events"] == events
    assert doc["stages"]["graph_writer"]["events"] == events
    assert 0 < doc["stages"]["warm_up"]["events"] <= min(events, 10_000)
    assert doc["stages"]["kafka_round_trip"]["items"] == doc["payloads"]
    assert doc["ceiling"]["scale_out_vs_one_worker"]["end_to_end_2_workers"] > 0
    assert doc["ceiling"]["end_to_end_vs_writer"] > 0
    cpu = doc["cpu"]
    assert set(cpu["bare_us_per_event"]) == {"adapt", "kafka_round_trip", "graph_batched"}
    assert cpu["bare_us_per_event"]["kafka_round_trip"] > 0
    assert cpu["bare_sum_us_per_event"] == sum(cpu["bare_us_per_event"].values())
    servers = {"neo4j", "kafka"} if pipeline.uses_local_stack else set()  # else not ours to read
    assert set(cpu["pipeline_us_per_event"]) == {"worker", "publisher"} | servers
    assert cpu["pipeline_sum_us_per_event"] == sum(cpu["pipeline_us_per_event"].values())
    assert cpu["efficiency"] == round(cpu["bare_sum_us_per_event"] / cpu["pipeline_sum_us_per_event"], 2)
    targets = cpu["targets"]
    assert targets["efficiency"]["target"] == 0.5
    assert (targets["neo4j_us_per_event"]["target"], targets["worker_us_per_event"]["target"]) == (150, 200)
    assert targets["worker_us_per_event"]["measured"] == cpu["pipeline_us_per_event"]["worker"]
    assert isinstance(targets["efficiency"]["met"], bool)
    assert isinstance(targets["neo4j_us_per_event"]["met"], bool) == pipeline.uses_local_stack
    assert cpu["more_workers"]["end_to_end_2_workers"]["efficiency"] > 0
    assert doc["worker_peak_rss_bytes"] > 0
    with open_driver(pipeline) as driver:
        assert graph_fingerprint(driver, pipeline.neo4j.database) == before


@pytest.mark.parametrize("kind", ["transfer", "withdrawal"])
def test_alert_bench_times_every_trigger_and_leaves_the_graph_as_found(
    pipeline: Settings, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    catalog = parse_catalog(pipeline.catalog.read_text())
    with open_driver(pipeline) as driver:
        before = graph_fingerprint(driver, pipeline.neo4j.database)

    run_alert_bench(pipeline, catalog, triggers=4, rate=0, interval_s=0.05, as_json=True, kind=kind)

    doc = json.loads(capsys.readouterr().out)
    assert (doc["kind"], doc["triggers"], doc["alerts"]) == (kind, 4, 4)
    assert 0 < doc["p50_ms"] <= doc["p99_ms"] <= doc["max_ms"]
    with open_driver(pipeline) as driver:
        assert graph_fingerprint(driver, pipeline.neo4j.database) == before
