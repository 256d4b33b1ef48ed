"""docker-compose.yml is checked as YAML here (no Docker engine where lineage is developed):
the worker service can be scaled (``--scale worker=N``) and every service gets the same
connection settings."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def test_the_worker_service_can_be_scaled() -> None:
    worker = yaml.safe_load(COMPOSE.read_text())["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker


def test_worker_and_api_share_the_kafka_and_neo4j_connection() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    keys = (
        "LINEAGE_KAFKA_BOOTSTRAP",
        "LINEAGE_KAFKA_SECURITY_PROTOCOL",
        "LINEAGE_KAFKA_SASL_PASSWORD",
        "LINEAGE_NEO4J_URI",
        "LINEAGE_NEO4J_DATABASE",
    )
    for key in keys:
        assert services["worker"]["environment"][key] == services["api"]["environment"][key]


def test_prometheus_scrapes_the_api_and_every_worker_on_their_metrics_ports() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    config = yaml.safe_load((COMPOSE.parent / "deploy" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["lineage-api"]["static_configs"][0]["targets"] == ["api:8080"]
    [workers] = jobs["lineage-worker"]["dns_sd_configs"]
    assert workers["names"] == ["worker"]
    assert workers["port"] == services["worker"]["environment"]["LINEAGE_WORKER_METRICS_PORT"]
    assert "./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in services["prometheus"]["volumes"]


def test_the_grafana_dashboard_charts_only_metrics_lineage_exports() -> None:
    import json
    import re

    from lineage import metrics

    dashboard = json.loads((COMPOSE.parent / "deploy" / "grafana" / "lineage.json").read_text())
    exported = {m._name for m in vars(metrics).values() if hasattr(m, "_name") and hasattr(m, "_type")}
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"lineage_[a-z0-9_]+", target["expr"])
    }
    suffixes = ("_total", "_bucket", "_sum", "_count")
    bases = {next((n.removesuffix(s) for s in suffixes if n.endswith(s)), n) for n in used}
    assert bases and bases <= exported
    assert {"lineage_consumer_lag", "lineage_alert_latency_seconds", "lineage_dead_letters"} <= bases
