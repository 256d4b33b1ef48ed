"""A cluster of three brokers loses one without losing an event.

The module starts a local stack of its own: three KRaft brokers (each a controller too) and a
Neo4j, on ports of its own (``LINEAGE_TEST_CLUSTER_*``). The demo feed of every source goes
through a worker twice, as ``lineage-lab chaos`` does: cleanly, then while the broker leading the
most raw and canonical partitions is killed with SIGKILL mid-feed and started again later. The two
graphs must be identical. The receiver answers 2xx with one broker dead (two copies still
acknowledge), and never while a write cannot reach ``min.insync.replicas`` copies.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from kafka.errors import KafkaError

from lineage.domain.catalog import parse_catalog
from lineage.kafka.clients import admin_client
from lineage.kafka.topics import Topics
from lineage.settings import Settings
from lineage_lab.faults.chaos import ChaosOptions, chaos_feed, run_once
from lineage_lab.faults.fingerprints import GRAPH, compare
from lineage_lab.faults.injection import BROKER, Fault, StackServers
from streams.admin import topic_config
from streams.monitor import read_topic
from tests.integration.test_api import BREVO_BODY, BREVO_TOKEN, SECRETS, served

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from tests.servers import cluster_servers

    with cluster_servers(tmp_path_factory.mktemp("cluster")) as settings:
        yield settings


@pytest.fixture
def run(cluster: Settings) -> Iterator[Settings]:
    """The cluster with topics of this test's own (replication 3, min.insync.replicas 2)."""
    import uuid

    from streams.admin import delete_topics
    from streams.worker import prepare

    name = f"t-{uuid.uuid4().hex[:8]}"
    settings = cluster.model_copy(update={"topic_namespace": name, "app_id": name, "api": SECRETS})
    prepare(settings, parse_catalog(settings.catalog.read_text()))
    yield settings
    delete_topics(settings.kafka, Topics(name).all())


def test_every_topic_has_three_copies_and_a_write_needs_two(run: Settings) -> None:
    names = Topics(run.topic_namespace)
    admin = admin_client(run.kafka)
    try:
        described = admin.describe_topics([t.name for t in names.all()])
    finally:
        admin.close()
    assert str(run.kafka.bootstrap).count(",") == 2
    assert {len(p["replica_nodes"]) for t in described for p in t["partitions"]} == {3}
    assert topic_config(run.kafka, names.canonical.name)["min.insync.replicas"] == "2"


def test_a_killed_leader_mid_feed_leaves_the_graph_of_a_clean_run(run: Settings) -> None:
    catalog = parse_catalog(run.catalog.read_text())
    options = ChaosOptions(payloads=500, kills=0, seed=3, down_s=4.0, stall_s=120.0)
    _, feed = chaos_feed(options.payloads)
    clean = run_once(run, catalog, "clean", feed, [], None, options, print)
    pace = len(feed) / max(clean.duration_s, 1.0)
    faulty = run_once(run, catalog, "broker", feed, [Fault(BROKER, 0.3)], pace, options, print)

    diff, graph = compare(clean.fingerprint, faulty.fingerprint), compare(clean.graph, faulty.graph, GRAPH)
    evidence = json.dumps({"holdings": diff.summary(), "graph": graph.summary()}, indent=1)
    assert faulty.restarts == {BROKER: 1} and "node" in faulty.faults[0]["struck"], faulty.faults
    assert faulty.unplanned_exits == [], faulty.unplanned_exits[0]
    assert clean.counts["holdings"] > 150
    assert faulty.published >= len(feed) and faulty.events == clean.events
    assert diff.identical and graph.identical, evidence
    assert clean.fingerprint == faulty.fingerprint


def test_the_receiver_answers_2xx_only_for_writes_the_cluster_acknowledged(run: Settings) -> None:
    """One broker dead: once its partitions have new leaders, two copies acknowledge, 202. Two
    dead: no write reaches min.insync.replicas copies, so no 2xx (the source retries); back up,
    202 again."""
    settings = run.model_copy(update={"api": SECRETS.model_copy(update={"publish_timeout_s": 5.0})})
    topic = Topics(settings.topic_namespace).raw("brevo").name
    servers = StackServers(settings)
    headers = {"Authorization": f"Bearer {BREVO_TOKEN}"}
    with served(settings) as api:
        url = f"{api}/webhooks/brevo"
        assert httpx.post(url, content=BREVO_BODY, headers=headers, timeout=30).status_code == 202
        first, _ = servers.kill_leader()
        try:
            _await_leaders_without(settings, topic, first)
            one_down = [httpx.post(url, content=BREVO_BODY, headers=headers, timeout=30) for _ in range(3)]
            assert [r.status_code for r in one_down] == [202] * 3, one_down[0].text
            second = next(node for node in (1, 2, 3) if node != first)
            servers.kill_broker(second)
            try:
                refused = httpx.post(url, content=BREVO_BODY, headers=headers, timeout=30)
                assert refused.status_code == 503, refused.text
            finally:
                servers.start_broker(second)
        finally:
            servers.start_broker(first)
        assert _post_until_accepted(url, headers) == 202
    # Every 202 is in the topic: 1 before, 3 with one broker down, 1 after (a refused one may be
    # there too: the source sends it again, and the worker's writes absorb the duplicate).
    assert read_topic(settings.kafka, topic).count(BREVO_BODY) >= 5


def _await_leaders_without(settings: Settings, topic: str, dead: int, within_s: float = 60.0) -> None:
    """Until every partition of ``topic`` has a live leader other than ``dead``: the cluster
    notices a killed broker after its session times out (9 s by default); until then writes to
    the partitions it led are refused with 503, never acknowledged."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        with contextlib.suppress(KafkaError):  # the client may try the dead broker first
            admin = admin_client(settings.kafka)
            try:
                leaders = {p["leader_id"] for t in admin.describe_topics([topic]) for p in t["partitions"]}
            finally:
                admin.close()
            if dead not in leaders and -1 not in leaders:
                return
        time.sleep(0.5)
    raise AssertionError(f"{topic} still had no leader but broker {dead} after {within_s:.0f}s")


def _post_until_accepted(url: str, headers: dict[str, str], within_s: float = 90.0) -> int:
    """As a source does: send again until accepted (the restarted brokers catch up first)."""
    deadline = time.monotonic() + within_s
    while True:
        status = httpx.post(url, content=BREVO_BODY, headers=headers, timeout=30).status_code
        if status == 202 or time.monotonic() > deadline:
            return status
        time.sleep(1.0)
