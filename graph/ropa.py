"""What the record of processing (GDPR Art. 30) needs from the graph: per store and per flow.

This module owns the record's statements; the rows come out as the domain's ``ObservedStore``
/ ``ObservedFlow`` so that ``lineage.domain.ropa`` stays free of I/O.
"""

from __future__ import annotations

from typing import Any

from neo4j import Driver, RoutingControl

from graph import tally
from graph.fragments import HELD_FROM_INDEX
from lineage.domain.ropa import ObservedFlow, ObservedStore

# Only data still held counts: an erased holding is no longer processed, and reporting it would
# flag categories the organisation has already dealt with. Lists are sorted so that two reads of
# the same graph give the same record.
# Held holdings come from the (state, category, subject_type) index, which carries both
# grouped values, so no holding's property chain is read.
OBSERVED_STORES = (
    "\n"
    + HELD_FROM_INDEX
    + """
MATCH (s:Subject)-[:HAS_HOLDING]->(h)-[:IN_STORE]->(st:Store)
WITH st, count(DISTINCT s) AS subjects,
     collect(DISTINCT h.subject_type) AS subject_types, collect(DISTINCT h.category) AS categories
RETURN st.id AS store, subjects,
       [t IN subject_types WHERE t IS NOT NULL] AS subject_types,
       [c IN categories WHERE c IS NOT NULL] AS categories
ORDER BY store
"""
)

# A flow's people are those MOVED into the destination from this source (the same count as
# ``graph.reader.FLOWS``), whether or not their data is still held there: the move happened.
OBSERVED_FLOWS = """
MATCH (src:Store)-[f:FLOWS_TO]->(dst:Store)
RETURN src.id AS source, dst.id AS destination, coalesce(f.categories, []) AS categories,
       COUNT { (:Subject)-[m:MOVED]->(dst) WHERE m.src = src.id } AS subjects
ORDER BY source, destination
"""


def _read(driver: Driver, database: str, query: str) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(query, database_=database, routing_=RoutingControl.READ)
    return [record.data() for record in records]


def observed_stores(driver: Driver, database: str) -> list[ObservedStore]:
    """Per store holding data: distinct people, and the subject types and categories held.
    From graph.tally's counts when they are ready; by scanning the held holdings before."""
    if (counts := tally.read_counts(driver, database)) is not None:
        return [
            ObservedStore(
                store=store,
                subjects=seen["subjects"],
                subject_types=tuple(sorted(seen["subject_types"])),
                categories=tuple(sorted(seen["categories"])),
            )
            for store, seen in sorted(counts.per_store().items())
        ]
    return [
        ObservedStore(
            store=row["store"],
            subjects=row["subjects"],
            subject_types=tuple(sorted(row["subject_types"])),
            categories=tuple(sorted(row["categories"])),
        )
        for row in _read(driver, database, OBSERVED_STORES)
    ]


def observed_flows(driver: Driver, database: str) -> list[ObservedFlow]:
    """Per observed store-to-store flow: the categories it carried and the people moved."""
    return [
        ObservedFlow(
            source=row["source"],
            destination=row["destination"],
            categories=tuple(row["categories"]),
            subjects=row["subjects"],
        )
        for row in _read(driver, database, OBSERVED_FLOWS)
    ]
