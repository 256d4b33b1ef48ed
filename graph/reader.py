"""Read side of the graph for the CLI, the report and the tests: plain dicts out."""

from __future__ import annotations

from typing import Any

from neo4j import Driver, RoutingControl
from neo4j.time import DateTime

from graph import queries, tally


def plain(value: Any) -> Any:
    if isinstance(value, DateTime):
        return value.to_native()
    if isinstance(value, list):
        return [plain(v) for v in value if v is not None]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


class GraphReader:
    def __init__(self, driver: Driver, database: str) -> None:
        self._driver = driver
        self._database = database

    def _rows(self, query: str, **params: Any) -> list[dict[str, Any]]:
        records, _, _ = self._driver.execute_query(
            query, parameters_=params, database_=self._database, routing_=RoutingControl.READ
        )
        return [plain(r.data()) for r in records]

    def subject_map(self, key: str) -> list[dict[str, Any]]:
        """Per store: what is held (and was erased) of one subject, where, by whom, since when."""
        return self._rows(queries.SUBJECT_DATA_MAP, key=key)

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
