"""Read side of the graph for the CLI, the report and the tests: plain dicts out."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j import READ_ACCESS, Driver, Record
from neo4j.exceptions import DriverError, Neo4jError
from neo4j.time import DateTime

from graph import queries, tally

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def from_epoch_ms(ms: int | None) -> datetime | None:
    """A time a query returned as epoch milliseconds (exactly: no float division)."""
    return None if ms is None else _EPOCH + timedelta(milliseconds=ms)


def plain(value: Any) -> Any:
    if isinstance(value, DateTime):
        return value.to_native()
    if isinstance(value, list):
        return [plain(v) for v in value if v is not None]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


READ_RETRY_S = 30.0
"""How long a read retries what the driver calls retryable (a leader change, a restart), as
long as the driver retries a managed transaction by default."""


def read_records(driver: Driver, database: str, query: str, params: Mapping[str, Any]) -> list[Record]:
    """One read in an auto-commit transaction.

    Why not ``execute_query``: its managed transaction takes two round trips (RUN and PULL, then
    COMMIT), an auto-commit one takes one. On a million people that was over a millisecond of a
    person's answer at the API, whose p99 target is 10 ms (README, Large graph). What the managed
    transaction gave is kept: reads go to followers (READ access mode), are causal after this
    process's own writes (the bookmark manager ``execute_query`` uses), and retryable failures
    are retried, with backoff, for up to ``READ_RETRY_S``.
    """
    deadline = time.monotonic() + READ_RETRY_S
    delay = 0.1
    while True:
        try:
            with driver.session(
                database=database,
                default_access_mode=READ_ACCESS,
                bookmark_manager=driver.execute_query_bookmark_manager,
            ) as session:
                return list(session.run(query, dict(params)))
        except (Neo4jError, DriverError) as exc:
            if not exc.is_retryable() or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


class GraphReader:
    def __init__(self, driver: Driver, database: str) -> None:
        self._driver = driver
        self._database = database

    def _rows(self, query: str, **params: Any) -> list[dict[str, Any]]:
        return [plain(r.data()) for r in read_records(self._driver, self._database, query, params)]

    def subject_map(self, key: str) -> list[dict[str, Any]]:
        """Per store: what is held (and was erased) of one subject, where, by whom, since when."""
        rows = self._rows(queries.SUBJECT_DATA_MAP, key=key)
        for row in rows:
            _times_from_ms(row, queries.SUBJECT_DATA_MAP_TIMES)
            for rule in row["retention"]:
                _times_from_ms(rule, queries.RETENTION_TIMES)
        return rows

    def erasure_impact(self, key: str) -> list[dict[str, Any]]:
        """Per store still holding data: categories, processor, sub-processors, countries."""
        return self._rows(queries.ERASURE_IMPACT, key=key)

    def held_in_stores(self, stores: list[str]) -> list[dict[str, Any]]:
        """Per store, subject type and category: how many subjects have data held there."""
        if (counts := tally.read_counts(self._driver, self._database)) is not None:
            return counts.held_in_stores(stores)
        return self._scan_held(stores, self._large_share(stores))

    def subjects_in_stores(self, stores: list[str]) -> int:
        return self.held_and_subjects(stores)[1]

    def held_and_subjects(self, stores: list[str]) -> tuple[list[dict[str, Any]], int]:
        """Both of the above from one read of the counts of held data (graph.tally); by
        scanning the held holdings while those are not ready."""
        if (counts := tally.read_counts(self._driver, self._database)) is not None:
            return counts.held_in_stores(stores), counts.subjects_in_stores(stores)
        large = self._large_share(stores)
        return self._scan_held(stores, large), self._scan_subjects(stores, large)

    def _scan_held(self, stores: list[str], large: bool) -> list[dict[str, Any]]:
        query = queries.HELD_IN_STORES_FROM_INDEX if large else queries.HELD_IN_STORES
        return self._rows(query, stores=stores)

    def _scan_subjects(self, stores: list[str], large: bool) -> int:
        query = queries.SUBJECTS_IN_STORES_FROM_INDEX if large else queries.SUBJECTS_IN_STORES
        return self._rows(query, stores=stores)[0]["subjects"]

    def _large_share(self, stores: list[str], threshold: float = 0.25) -> bool:
        """Whether ``stores`` hold over ``threshold`` of all holdings: then reading every held
        holding from the index is cheaper than each of theirs from the stores (PROFILE)."""
        rows = self._rows(queries.STORES_SHARE, stores=stores) if stores else []
        return bool(rows) and rows[0]["in_stores"] > threshold * max(1, rows[0]["total"])

    def flows(self) -> list[dict[str, Any]]:
        """Observed store-to-store flows with categories, countries, dates and people carried."""
        return self._rows(queries.FLOWS)

    def store_summary(self) -> list[dict[str, Any]]:
        return self._rows(queries.STORE_SUMMARY)

    def country_summary(self) -> list[dict[str, Any]]:
        return self._rows(queries.COUNTRY_SUMMARY)

    def counts(self) -> dict[str, int]:
        return self._rows(queries.GRAPH_COUNTS)[0]

    def fingerprint(self) -> list[str]:
        """Every holding as one line: equal fingerprints mean equal lineage."""
        return self._rows(queries.GRAPH_FINGERPRINT)[0]["lines"]


def _times_from_ms(row: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        row[name] = from_epoch_ms(row[name])
