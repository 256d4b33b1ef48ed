"""Shared fixtures. Integration fixtures start the real servers once per test session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage.domain.subjects import SubjectHasher

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def hasher() -> SubjectHasher:
    from tests.servers import TEST_SUBJECT_KEY

    return SubjectHasher(TEST_SUBJECT_KEY.encode())


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:  # noqa: F821
    """Real Kafka + Neo4j for the whole session (see tests/servers.py for where from)."""
    from tests.servers import servers as real_servers

    with real_servers(tmp_path_factory.mktemp("stack")) as settings:
        yield settings


@pytest.fixture
def pipeline(servers, tmp_path: Path):
    """Settings with topics and a consumer group of this test's own, on an empty graph."""
    from graph.connection import open_driver
    from lineage.domain.catalog import parse_catalog
    from lineage.kafka.topics import Topics
    from lineage_lab import statements
    from streams.admin import delete_topics
    from streams.worker import prepare

    run = f"t-{uuid.uuid4().hex[:8]}"
    settings = servers.model_copy(update={"topic_namespace": run, "app_id": run})
    with open_driver(settings) as driver:
        driver.execute_query(statements.WIPE, database_=settings.neo4j.database)
    prepare(settings, parse_catalog(settings.catalog.read_text()))
    yield settings
    delete_topics(settings.kafka, Topics(run).all())


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/cypher from graph/'s statements (tests/unit/test_cypher_golden.py)",
    )
