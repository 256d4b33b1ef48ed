"""Opening drivers. One driver per process, created at start and passed to whoever needs it."""

from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver, AsyncGraphDatabase, Driver, GraphDatabase
from neo4j.exceptions import Neo4jError, ServiceUnavailable

from lineage.settings import Settings


def _auth(settings: Settings) -> Any:
    password = settings.neo4j.password.get_secret_value()
    return (settings.neo4j.user, password) if password else None


# Schema notifications ("relationship type does not exist" on a young graph) are noise to
# lineage's users; real errors still raise.
_QUIET = {"notifications_min_severity": "OFF"}


def open_driver(settings: Settings) -> Driver:
    return GraphDatabase.driver(settings.neo4j_uri, auth=_auth(settings), **_QUIET)


def open_async_driver(settings: Settings) -> AsyncDriver:
    return AsyncGraphDatabase.driver(settings.neo4j_uri, auth=_auth(settings), **_QUIET)


def server_answers(uri: str, auth: Any = None) -> bool:
    """True when the server runs ``RETURN 1``."""
    try:
        with GraphDatabase.driver(uri, auth=auth, connection_timeout=3.0) as driver:
            driver.verify_connectivity()
            with driver.session() as session:
                session.run("RETURN 1").consume()
        return True
    except (ServiceUnavailable, Neo4jError, OSError, ValueError):
        return False
