"""The faults ``lineage-lab chaos`` injects, and the supervisor that keeps a worker running.

Three kinds: the worker killed with SIGKILL (a crash, an OOM kill: in-flight batches are lost
and must be redone from the last commit), and Kafka or Neo4j stopped then started again (a
broker or database restart the worker must wait out). On a stack of 3 brokers Kafka is not
restarted whole: the broker leading the most raw and canonical partitions is killed with SIGKILL
(a host lost), the cluster carries on with the other two, and the dead one is started again
later. Restarting a server means stopping its Java process, so it is only possible on the local
stack; against servers the user named, :func:`require_local_stack` refuses before anything runs.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from lineage.errors import LineageError
from lineage.kafka.clients import kafka_python_config
from lineage.kafka.topics import Topics
from lineage.runner import WorkerProcess
from lineage.settings import Settings
from lineage.stack.manager import local_servers
from lineage.stack.servers import LocalServer

KILL, KAFKA, NEO4J, BROKER = "kill", "kafka", "neo4j", "broker"
RESTARTS = (KAFKA, NEO4J)


def restarts_of(brokers: int, broker_kills: int = 1) -> tuple[str, ...]:
    """The server faults of a run: Kafka and Neo4j restarted once each on one broker; on a
    cluster, ``broker_kills`` leading brokers killed instead of the Kafka restart."""
    if brokers == 1:
        return RESTARTS
    return (*([BROKER] * broker_kills), NEO4J)


@dataclass(frozen=True)
class Fault:
    """One fault, and when it strikes: ``at`` of the way through the run's traffic."""

    kind: str
    at: float


def fault_plan(kills: int, seed: int, restarts: tuple[str, ...] = RESTARTS) -> list[Fault]:
    """The faults in a seeded random order, at seeded random moments (ascending).

    Example:
        >>> [f.kind for f in fault_plan(2, seed=1)]
        ['neo4j', 'kill', 'kafka', 'kill']
    """
    rng = random.Random(seed)
    kinds = [KILL] * kills + list(restarts)
    rng.shuffle(kinds)
    moments = sorted(round(rng.uniform(0.02, 0.9), 3) for _ in kinds)
    return [Fault(kind, at) for kind, at in zip(kinds, moments, strict=True)]


def require_local_stack(settings: Settings) -> None:
    """Refuse at once against user servers: their processes are not ours to stop."""
    if not settings.uses_local_stack:
        raise LineageError(
            "lineage-lab chaos restarts Kafka and Neo4j by stopping their processes, which it can "
            "only do on the local stack; unset LINEAGE_KAFKA_BOOTSTRAP and LINEAGE_NEO4J_URI "
            "to run it there (it wipes that graph)."
        )


class StackServers:
    """Kafka and Neo4j of the local stack, by fault kind; the brokers of a cluster by node id."""

    def __init__(self, settings: Settings) -> None:
        require_local_stack(settings)
        self._settings = settings
        servers = local_servers(settings)
        self._servers: dict[str, LocalServer] = {s.name.lower(): s for s in servers}
        self._brokers = servers[: settings.stack.kafka_brokers]  # node n is the n-th
        self._timeout = settings.stack.start_timeout

    def kill_leader(self) -> tuple[int, int]:
        """SIGKILL the broker that leads the most raw and canonical partitions of the run;
        returns (its node id, how many it led). The others elect new leaders from the replicas
        in sync, which hold every acknowledged write (acks=all, min.insync.replicas 2)."""
        led = partition_leaders(self._settings)
        node, count = led.most_common(1)[0] if led else (1, 0)
        self.kill_broker(node)
        return node, count

    def kill_broker(self, node: int) -> None:
        """SIGKILL one broker, as a host lost would: nothing closed cleanly."""
        self._brokers[node - 1].process.kill()

    def start_broker(self, node: int) -> None:
        """Start a killed broker again on its data folder; it catches up from the others."""
        self._brokers[node - 1].ensure_running(self._timeout)

    def stop(self, kind: str) -> None:
        """SIGTERM, as a service manager restarting it would (SIGKILL if it hangs)."""
        self._servers[kind].process.stop()

    def start(self, kind: str) -> None:
        """Start it again on the same data folder and wait until it answers."""
        self._servers[kind].ensure_running(self._timeout)


def partition_leaders(settings: Settings) -> Counter[int]:
    """How many of the run's raw and canonical partitions each broker (node id) leads."""
    names = Topics(settings.topic_namespace)
    watched = [t.name for t in names.all_raw()] + [names.canonical.name]
    admin = KafkaAdminClient(**kafka_python_config(settings.kafka), client_id="lineage-chaos")
    try:
        return Counter(
            partition["leader_id"]
            for topic in admin.describe_topics(watched)
            for partition in topic["partitions"]
            if partition["leader_id"] >= 0
        )
    finally:
        admin.close()


def group_members(settings: Settings) -> tuple[str, frozenset[str]] | None:
    """The worker group's state and member ids, or None while Kafka cannot say."""
    try:
        admin = KafkaAdminClient(**kafka_python_config(settings.kafka), client_id="lineage-chaos")
    except (KafkaError, OSError):
        return None
    try:
        group = admin.describe_groups([settings.app_id]).get(settings.app_id, {})
    except (KafkaError, OSError):
        return None
    finally:
        admin.close()
    return group.get("group_state", ""), frozenset(m["member_id"] for m in group.get("members") or ())


@dataclass
class WorkerSupervisor:
    """Keeps one worker running, as ``Restart=always`` would: started again after each kill.

    An exit nobody asked for (the worker giving up during a Kafka or Neo4j outage) is
    counted, with the end of its log, and the worker restarted, so the run carries on and
    the report says what happened.
    """

    settings: Settings
    log_file: Path
    join_timeout: float = 120.0
    kills: int = 0
    unplanned_exits: list[str] = field(default_factory=list)
    _worker: WorkerProcess | None = None
    _killed: frozenset[str] = frozenset()

    def start(self) -> WorkerSupervisor:
        self._worker = WorkerProcess(self.settings, self.log_file).start()
        if self._killed:
            self._await_new_member()
        return self

    def kill(self) -> None:
        """SIGKILL: no graceful stop, no final commit."""
        if self._worker is not None:
            known = group_members(self.settings)
            self._killed = known[1] if known else frozenset()
            self._worker.kill()
            self.kills += 1

    def _await_new_member(self) -> None:
        """The killed member stays in the group, which still reads Stable, until its session
        times out: only a group of new members means the new worker owns the partitions."""
        deadline = time.monotonic() + self.join_timeout
        while time.monotonic() < deadline:
            self.ensure_running()
            known = group_members(self.settings)
            if known and known[0] == "Stable" and known[1] and not known[1] & self._killed:
                return
            time.sleep(0.5)
        raise LineageError(
            f"the restarted worker did not join within {self.join_timeout:.0f}s; log: {self.log_file}"
        )

    def ensure_running(self) -> None:
        """Restart the worker if it exited by itself, and record that it did."""
        if self._worker is not None and not self._worker.is_running():
            self.unplanned_exits.append(self._worker.log_tail(15))
            self._worker = WorkerProcess(self.settings, self.log_file).start()

    def shut_down(self) -> None:
        """Once every message is committed a SIGKILL loses nothing, and does not wait on a
        graceful stop."""
        if self._worker is not None:
            self._worker.kill()
