"""Opening drivers. One driver per process, created at start and passed to whoever needs it."""

from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver, AsyncGraphDatabase, Driver, GraphDatabase
from neo4j.exceptions import Neo4jError, ServiceUnavailable

from lineage.settings import Settings


def _auth(settings: Settings) -> Any:
    password = settings.neo4j.password.get_secret_value()
    return (settings.neo4j.user, password) if password else None


def driver_options(settings: Settings) -> dict[str, Any]:
    """Options valid for every URI scheme: ``bolt://`` (one server), ``neo4j://`` (routing: a
    cluster, reads sent to followers) and their ``+s``/``+ssc`` TLS forms (Aura). TLS comes
    from the scheme alone; the driver refuses ``encrypted``/``trusted_certificates`` beside a
    ``+s`` scheme, so none are set here.

    Schema notifications ("relationship type does not exist" on a young graph) are noise to
    lineage's users; real errors still raise."""
    options: dict[str, Any] = {
        "notifications_min_severity": "OFF",
        "max_connection_lifetime": settings.neo4j.max_connection_lifetime_s,
    }
    if settings.neo4j.liveness_check_s is not None:
        options["liveness_check_timeout"] = settings.neo4j.liveness_check_s
    return options


def open_driver(settings: Settings) -> Driver:
    return GraphDatabase.driver(settings.neo4j_uri, auth=_auth(settings), **driver_options(settings))


def open_async_driver(settings: Settings) -> AsyncDriver:
    return AsyncGraphDatabase.driver(settings.neo4j_uri, auth=_auth(settings), **driver_options(settings))


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
