"""``lineage-lab chaos`` in small: every source under SIGKILLs and a Kafka and a Neo4j restart ends
in the graph of a clean run. The full-size run is ``make chaos`` (200,000 payloads, 10 kills)."""

from __future__ import annotations

import json

import pytest

from lineage.domain.catalog import parse_catalog
from lineage.settings import Settings
from lineage_lab.faults.chaos import ChaosOptions, chaos_feed, run_chaos
from lineage_lab.faults.fingerprints import GRAPH, compare
from lineage_lab.faults.injection import KILL, fault_plan

SOURCES = {"brevo", "hubspot", "salesforce", "greenhouse", "s3", "canonical"}


class TestFaultPlan:
    def test_same_seed_same_faults_each_restart_once(self) -> None:
        plan = fault_plan(3, seed=4)
        assert plan == fault_plan(3, seed=4)
        assert sorted(f.kind for f in plan) == ["kafka", KILL, KILL, KILL, "neo4j"]
        assert all(0 < f.at < 1 for f in plan)


class TestCompare:
    def test_lost_extra_duplicated_and_differing_holdings_are_told_apart(self) -> None:
        clean = ["a|s|c|held|1|2|e1", "b|s|c|held|1|2|e1", "c|s|c|held|1|2|e1"]
        chaos = ["a|s|c|held|1|3|e2", "c|s|c|held|1|2|e1", "c|s|c|held|1|2|e1", "d|s|c|held|1|2|e1"]
        diff = compare(clean, chaos)
        assert diff.lost == ["b|s|c|held|1|2|e1"]
        assert diff.extra == ["c|s|c|held|1|2|e1", "d|s|c|held|1|2|e1"]
        assert diff.field_counts() == {"last_seen": 1, "last_event_id": 1}
        assert compare(clean, list(reversed(clean))).identical

    def test_whole_graph_lines_are_matched_by_node_and_relationship(self) -> None:
        clean = [
            '(Holding h1) {"id": "h1", "last_seen": "2026-01-02"}',
            "(Subject s1)-[HAS_HOLDING {}]->(Holding h1)",
            '(Subject s1) {"key": "s1"}',
        ]
        chaos = [
            '(Holding h1) {"id": "h1", "last_seen": "2026-01-03"}',
            '(Subject s1) {"key": "s1"}',
            '(Subject s2) {"key": "s2"}',
        ]
        diff = compare(clean, chaos, GRAPH)
        assert diff.lost == ["(Subject s1)-[HAS_HOLDING {}]->(Holding h1)"]
        assert diff.extra == ['(Subject s2) {"key": "s2"}']
        assert diff.field_counts() == {"Holding.last_seen": 1}


class TestChaosFeed:
    def test_the_feed_covers_every_source(self) -> None:
        people, feed = chaos_feed(3000)
        assert len(feed) >= 3000 and {source for source, _ in feed} == SOURCES
        assert people < 200 and feed == chaos_feed(3000)[1]
        assert all(isinstance(json.loads(p), dict | list) for s, p in feed if s != "brevo")


@pytest.mark.integration
class TestChaosRun:
    def test_kills_and_restarts_leave_the_graph_of_a_clean_run(self, servers: Settings) -> None:
        if not servers.uses_local_stack:
            pytest.skip("restarting Kafka and Neo4j needs the local stack (not user servers or containers)")
        catalog = parse_catalog(servers.catalog.read_text())
        options = ChaosOptions(payloads=3000, kills=3, seed=5, down_s=2.0, stall_s=180.0)
        report = run_chaos(servers, catalog, options, say=print)

        result = report.as_dict()
        evidence = json.dumps(
            {k: result[k] for k in ("lost", "extra", "differing", "differing_fields", "examples")}, indent=1
        )
        assert report.chaos.kills == 3 and report.chaos.restarts == {"kafka": 1, "neo4j": 1}
        assert report.chaos.unplanned_exits == [], report.chaos.unplanned_exits[0]
        assert report.clean.counts["holdings"] > 1000
        assert (result["lost"], result["extra"]) == (0, 0), evidence
        assert report.clean.fingerprint == report.chaos.fingerprint, evidence
        assert report.clean.graph == report.chaos.graph, json.dumps(result["graph"], indent=1)
        assert report.passed
