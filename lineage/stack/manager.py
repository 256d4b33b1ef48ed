"""``lineage stack up|down|status``: the two local servers as one unit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from graph.connection import server_answers
from lineage.errors import StackError
from lineage.kafka.clients import broker_answers
from lineage.kafka.topics import topics_of
from lineage.settings import Settings
from lineage.stack.credentials import keep_credentials
from lineage.stack.servers import LocalServer, kafka_servers, neo4j_server
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
    return [*kafka_servers(stack, broker_answers), neo4j_server(stack, server_answers)]


def stack_up(settings: Settings) -> list[ServerStatus]:
    """Start what is not running, wait until both answer, create the topics. Idempotent.

    The servers require credentials (Kafka SASL/SCRAM, Neo4j auth): the stack's, kept in its
    folder's credentials file (written here on the first start, see lineage/stack/credentials)."""
    settings.stack.home.mkdir(parents=True, exist_ok=True)
    keep_brokers(settings)
    keep_credentials(settings.stack)
    servers = local_servers(settings)
    started = [server.launch() for server in servers]  # a quorum answers once a majority runs
    for server, process in zip(servers, started, strict=True):
        server.wait(settings.stack.start_timeout, process)
    ensure_topics(settings.kafka, topics_of(settings).all())
    return stack_status(settings)


def keep_brokers(settings: Settings) -> None:
    """Record how many brokers the stack is created with; refuse another count for a stack
    that exists (its brokers' quorum is written in their storage)."""
    stack = settings.stack
    kept = stack.kept_kafka_brokers
    formatted = (stack.home / "kafka" / "data" / "meta.properties").exists()
    if kept is None and formatted:
        kept = 1  # made before the count was recorded: one broker
    if kept is not None and kept != stack.kafka_brokers:
        raise StackError(
            f"the local stack in {stack.home} was created with {kept} Kafka broker(s), not "
            f"{stack.kafka_brokers}. Use another LINEAGE_STACK_HOME (and ports) for a stack of "
            f"{stack.kafka_brokers}, or stop this one (`lineage stack down`) and remove its kafka* "
            "folders and kafka-brokers file (its topics; the graph is kept)."
        )
    stack.brokers_file.write_text(f"{stack.kafka_brokers}\n")


def stack_down(settings: Settings) -> list[str]:
    """Stop every server cleanly; returns the names of those that were running. The brokers
    stop together: the last of a quorum stopped alone would wait for a majority that is gone."""
    servers = local_servers(settings)
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        stopped = list(pool.map(lambda server: server.process.stop(), servers))
    return [server.name for server, was in zip(servers, stopped, strict=True) if was]


def stack_status(settings: Settings) -> list[ServerStatus]:
    return [
        ServerStatus(s.name, s.address, s.process.pid(), s.answers(), str(s.process.log_file))
        for s in local_servers(settings)
    ]
