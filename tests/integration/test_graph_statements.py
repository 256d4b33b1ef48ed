"""Cypher statements on the real Neo4j, where batch composition matters and a worker run
cannot force it."""

from __future__ import annotations

import pytest

from graph import queries
from graph.alerts import alert_subjects
from graph.connection import open_driver
from lineage.settings import Settings

pytestmark = pytest.mark.integration


def hit(subject: str, at: int) -> dict[str, object]:
    return {"id": "flow-test", "store": "dropbox/recruitment", "chain": ["dropbox"],
            "country": "US", "reason": "Privacy Shield", "mechanism": None, "subject": subject,
            "at": at, "event_id": f"e-{subject}"}


class TestUpsertAlerts:
    def test_several_hits_of_one_flow_in_one_statement_count_every_subject(
            self, pipeline: Settings) -> None:
        keys = ["a" * 32, "b" * 32, "c" * 32]
        with open_driver(pipeline) as driver:
            database = pipeline.neo4j.database
            driver.execute_query(queries.ATTACH_IDENTIFIERS, database_=database,
                                 rows=[{"winner": k, "identifiers": [k]} for k in keys])
            records, _, _ = driver.execute_query(
                queries.UPSERT_ALERTS, database_=database,
                rows=[hit(k, 1_780_000_000_000 + n) for n, k in enumerate(keys)])
            (announced,) = [r.data() for r in records]
            assert announced["count"] == 3 and announced["announce"] is True
            assert alert_subjects(driver, database, "flow-test") == keys

            # replaying the same hits changes nothing and announces nothing
            records, _, _ = driver.execute_query(
                queries.UPSERT_ALERTS, database_=database,
                rows=[hit(k, 1_780_000_000_000 + n) for n, k in enumerate(keys)])
            assert [(r["count"], r["announce"]) for r in records] == [(3, False)]
