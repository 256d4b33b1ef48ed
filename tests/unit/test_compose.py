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


CLUSTER = COMPOSE.parent / "deploy" / "compose.kafka-cluster.yml"


def _cluster_services() -> dict[str, dict]:
    """docker-compose.yml with the three-broker file laid over it, merged as Compose merges
    services: mappings key by key, the rest replaced."""
    merged = yaml.safe_load(COMPOSE.read_text())["services"]
    for name, override in yaml.safe_load(CLUSTER.read_text())["services"].items():
        service = merged.setdefault(name, {})
        for key, value in override.items():
            if isinstance(value, dict) and isinstance(service.get(key), dict):
                service[key] = service[key] | value
            else:
                service[key] = value
    return merged


def test_the_cluster_file_makes_three_brokers_that_each_vote_in_one_quorum() -> None:
    services = _cluster_services()
    brokers = {name: services[name]["environment"] for name in ("kafka", "kafka-2", "kafka-3")}
    voters = {f"{env['KAFKA_NODE_ID']}@{name}:9093" for name, env in brokers.items()}
    for name, env in brokers.items():
        assert set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == voters
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        host_port = services[name]["ports"][0].split(":")[1]
        assert (
            env["KAFKA_ADVERTISED_LISTENERS"] == f"INTERNAL://{name}:29092,EXTERNAL://127.0.0.1:{host_port}"
        )
    assert sorted(env["KAFKA_NODE_ID"] for env in brokers.values()) == [1, 2, 3]
    assert len({services[name]["ports"][0] for name in brokers}) == 3
    assert {services[name]["volumes"][0].split(":")[0] for name in brokers} == {
        "kafka-data",
        "kafka-2-data",
        "kafka-3-data",
    }


def test_the_cluster_keeps_three_copies_and_a_write_needs_two() -> None:
    services = _cluster_services()
    for name in ("kafka", "kafka-2", "kafka-3"):
        env = services[name]["environment"]
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 3
        assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == 3
        assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == 2
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == 2
    assert services["worker"]["environment"]["LINEAGE_TOPIC_REPLICATION_FACTOR"].endswith(":-3}")


def test_worker_and_api_bootstrap_from_every_broker_of_the_cluster() -> None:
    services = _cluster_services()
    every = "kafka:29092,kafka-2:29092,kafka-3:29092"
    for name in ("worker", "api"):
        env = services[name]["environment"]
        assert env["LINEAGE_KAFKA_BOOTSTRAP"] == "${LINEAGE_KAFKA_BOOTSTRAP:-" + every + "}"
        assert {"kafka", "kafka-2", "kafka-3"} <= set(services[name]["depends_on"])
    assert {"kafka-2-data", "kafka-3-data"} <= set(yaml.safe_load(CLUSTER.read_text())["volumes"])
