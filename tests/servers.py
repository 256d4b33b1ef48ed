"""Where the integration tests get a real Kafka broker and a real Neo4j server.

In this order: servers the user names (``LINEAGE_KAFKA_BOOTSTRAP`` and ``LINEAGE_NEO4J_URI``),
testcontainers when a Docker engine answers, otherwise the no-Docker local stack on ports and
a state folder of its own (so a running demo stack is left alone).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from lineage.settings import KafkaSettings, Neo4jSettings, Settings, StackSettings

TEST_SUBJECT_KEY = "integration-tests-subject-key-0123456789"


def _docker_answers() -> bool:
    try:
        from testcontainers.core.docker_client import DockerClient

        DockerClient().client.ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def user_servers() -> Iterator[Settings]:
    yield Settings(subject_key=TEST_SUBJECT_KEY)


@contextlib.contextmanager
def container_servers() -> Iterator[Settings]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.neo4j import Neo4jContainer

    with (
        KafkaContainer("apache/kafka:3.9.1").with_kraft() as kafka,
        Neo4jContainer("neo4j:5.26-community") as neo4j,
    ):
        yield Settings(
            subject_key=TEST_SUBJECT_KEY,
            kafka=KafkaSettings(bootstrap=kafka.get_bootstrap_server()),
            neo4j=Neo4jSettings(uri=neo4j.get_connection_url(), user="neo4j", password=neo4j.password),
        )


@contextlib.contextmanager
def local_stack_servers(state: Path) -> Iterator[Settings]:
    stack = StackSettings(
        home=state,
        kafka_port=int(os.environ.get("LINEAGE_TEST_KAFKA_PORT", 19092)),
        kafka_controller_port=int(os.environ.get("LINEAGE_TEST_CONTROLLER_PORT", 19093)),
        neo4j_port=int(os.environ.get("LINEAGE_TEST_NEO4J_PORT", 17687)),
    )
    with _stack_servers(stack) as settings:
        yield settings


@contextlib.contextmanager
def cluster_servers(state: Path, brokers: int = 3) -> Iterator[Settings]:
    """A local stack of ``brokers`` Kafka brokers and a Neo4j of its own, on ports of its own
    (``LINEAGE_TEST_CLUSTER_*``; broker n listens 2(n-1) above the first), for tests that kill
    a broker: always the local stack, whose processes the test may kill."""
    stack = StackSettings(
        home=state,
        kafka_brokers=brokers,
        kafka_port=int(os.environ.get("LINEAGE_TEST_CLUSTER_KAFKA_PORT", 19192)),
        kafka_controller_port=int(os.environ.get("LINEAGE_TEST_CLUSTER_CONTROLLER_PORT", 19193)),
        neo4j_port=int(os.environ.get("LINEAGE_TEST_CLUSTER_NEO4J_PORT", 17787)),
        kafka_heap="384m",
        neo4j_heap="512m",
    )
    with _stack_servers(stack) as settings:
        yield settings


@contextlib.contextmanager
def _stack_servers(stack: StackSettings) -> Iterator[Settings]:
    """The local stack ``stack`` describes, up for the block and down after it, with settings
    that reach it (no bootstrap or URI of the user's)."""
    from lineage.stack.manager import stack_down, stack_up

    settings = Settings(
        subject_key=TEST_SUBJECT_KEY,
        stack=stack,
        kafka=KafkaSettings(bootstrap=None),
        neo4j=Neo4jSettings(uri=None),
    )
    stack_up(settings)
    try:
        yield settings
    finally:
        stack_down(settings)


def servers(state: Path) -> contextlib.AbstractContextManager[Settings]:
    if os.environ.get("LINEAGE_KAFKA_BOOTSTRAP") and os.environ.get("LINEAGE_NEO4J_URI"):
        return user_servers()
    if _docker_answers():
        return container_servers()
    return local_stack_servers(state)
