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
    keys = ("LINEAGE_KAFKA_BOOTSTRAP", "LINEAGE_KAFKA_SECURITY_PROTOCOL", "LINEAGE_KAFKA_SASL_PASSWORD",
            "LINEAGE_NEO4J_URI", "LINEAGE_NEO4J_DATABASE")
    for key in keys:
        assert services["worker"]["environment"][key] == services["api"]["environment"][key]
