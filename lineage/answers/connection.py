"""The one door to the graph for the CLI, the HTTP API, the workspace and the demo.

They never import ``graph``: they open a driver here (one per process, or one per command) and
hand it to the answers. The driver is a context manager, so ``with open_driver(settings) as
driver:`` closes it after a command.
"""

from __future__ import annotations

from neo4j import Driver

from graph import connection
from lineage.settings import Settings


def open_driver(settings: Settings) -> Driver:
    """A blocking driver to the configured Neo4j; nothing is contacted until its first query."""
    return connection.open_driver(settings)
