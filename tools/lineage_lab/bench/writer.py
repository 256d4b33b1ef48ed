"""The benchmark's minimal graph writers: the same holdings the worker writes, with the least
Cypher, into throwaway labels, so ``lineage-lab bench`` can say what Neo4j alone allows.

Blocking driver on purpose: this runs in the bench's own process, never inside the agents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from neo4j import Driver, ManagedTransaction

from graph.writer import rows_for
from lineage.domain.events import DataMovementEvent
from lineage_lab import statements

DELETE_SLICE = 10_000

Rows = list[dict[str, Any]]


def holding_rows(event: DataMovementEvent) -> Rows:
    """The event's (subject, store, category) holdings, as the worker's writer derives them
    (a movement adds its destination), cut to what the minimal MERGE sets."""
    return [
        {"subject": r["subject"], "store": r["store"], "category": r["category"], "at": r["at"]}
        for r in rows_for([event]).holdings
    ]


def _merge(tx: ManagedTransaction, rows: Rows) -> None:
    tx.run(statements.BENCH_MERGE_HOLDINGS, rows=rows).consume()


class BenchGraph:
    """Runs the minimal MERGE batched or one event a transaction, and removes what it wrote."""

    def __init__(self, driver: Driver, database: str) -> None:
        self._driver = driver
        self._database = database

    def prepare(self) -> None:
        """Uniqueness constraints, as the real labels have: without them each MERGE scans."""
        for statement in statements.BENCH_CONSTRAINTS:
            self._driver.execute_query(statement, database_=self._database)

    def write_batches(self, batches: Iterable[Sequence[Rows]]) -> None:
        """One transaction per batch, each batch the rows of its events in one UNWIND."""
        with self._driver.session(database=self._database) as session:
            for batch in batches:
                session.execute_write(_merge, [row for rows in batch for row in rows])

    def write_each(self, per_event: Iterable[Rows]) -> None:
        """One transaction per event: the naive writer batching is measured against."""
        with self._driver.session(database=self._database) as session:
            for rows in per_event:
                session.execute_write(_merge, rows)

    def clear(self) -> int:
        """Deletes the bench labels in slices (one transaction would hold them all in memory)."""
        deleted = 0
        while True:
            records, _, _ = self._driver.execute_query(
                statements.BENCH_DELETE_SLICE, limit=DELETE_SLICE, database_=self._database
            )
            if not records[0]["deleted"]:
                return deleted
            deleted += records[0]["deleted"]

    def drop(self) -> None:
        """Clears the labels, then their constraints: the graph is as before the bench."""
        self.clear()
        for statement in statements.BENCH_DROP_CONSTRAINTS:
            self._driver.execute_query(statement, database_=self._database)


def forget_subjects(driver: Driver, database: str, keys: Sequence[str], page: int = 500) -> None:
    """Delete the people ``keys`` identify, with their holdings and identifiers: the bench's
    own people leave the graph as it found it."""
    for start in range(0, len(keys), page):
        driver.execute_query(
            statements.FORGET_SUBJECTS, subjects=list(keys[start : start + page]), database_=database
        )


def snapshot_alerts(driver: Driver, database: str) -> list[dict[str, Any]]:
    """Every alert as it is, for :func:`restore_alerts` once the bench's people are gone."""
    records, _, _ = driver.execute_query(statements.ALERT_SNAPSHOT, database_=database)
    return [r.data() for r in records]


def restore_alerts(driver: Driver, database: str, snapshot: list[dict[str, Any]]) -> None:
    """Alerts the bench raised are deleted, the ones it touched get their properties back."""
    driver.execute_query(
        statements.RESTORE_ALERTS, ids=[a["id"] for a in snapshot], alerts=snapshot, database_=database
    )
