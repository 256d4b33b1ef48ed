"""``lineage stack up|down|status``: the two local servers as one unit."""

from __future__ import annotations

from dataclasses import dataclass

from graph.connection import server_answers
from lineage.kafka.clients import broker_answers
from lineage.kafka.topics import topics_of
from lineage.settings import Settings
from lineage.stack.credentials import keep_credentials
from lineage.stack.servers import LocalServer, kafka_server, neo4j_server
from streams.admin import ensure_topics


@dataclass(frozen=True)
class ServerStatus:
    name: str
    address: str
    pid: int | None
    answers: bool
    log: str


def local_servers(settings: Settings) -> list[LocalServer]:
    stack = settings.stack
    return [
        kafka_server(stack, broker_answers),
        neo4j_server(stack, server_answers),
    ]


def stack_up(settings: Settings) -> list[ServerStatus]:
    """Start what is not running, wait until both answer, create the topics. Idempotent.

    The servers require credentials (Kafka SASL/SCRAM, Neo4j auth): the stack's, kept in its
    folder's credentials file (written here on the first start, see lineage/stack/credentials)."""
    settings.stack.home.mkdir(parents=True, exist_ok=True)
    keep_credentials(settings.stack)
    for server in local_servers(settings):
        server.ensure_running(settings.stack.start_timeout)
    ensure_topics(settings.kafka, topics_of(settings).all())
    return stack_status(settings)


def stack_down(settings: Settings) -> list[str]:
    """Stop both servers cleanly; returns the names of those that were running."""
    return [s.name for s in reversed(local_servers(settings)) if s.process.stop()]


def stack_status(settings: Settings) -> list[ServerStatus]:
    return [
        ServerStatus(s.name, s.address, s.process.pid(), s.answers(), str(s.process.log_file))
        for s in local_servers(settings)
    ]
