"""What the CLI, the API, the report and the tests read about people, stores and flows: plain dicts out.

This module owns those reads (a person's data map, the erasure impact, what is held in a set of
stores, the store, country and flow summaries, the graph's counts and fingerprint) and
:func:`read_records`, the one-round-trip read they go through. Held data in a set of stores
comes from :mod:`graph.tally`'s counts when they are ready, by scanning the holdings before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j import READ_ACCESS, Driver, Record
from neo4j.exceptions import DriverError, Neo4jError
from neo4j.time import DateTime

from graph import tally
from graph.fragments import HELD_FROM_INDEX, as_datetime
from lineage.retrying import Backoff, retry

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
READ_BACKOFF = Backoff(first_s=0.1, longest_s=2.0)
"""How long a read retries what the driver calls retryable (a leader change, a restart), as
long as the driver retries a managed transaction by default."""


def read_records(driver: Driver, database: str, query: str, params: Mapping[str, Any]) -> list[Record]:
    """One read in an auto-commit transaction.

    Why not ``execute_query``: its managed transaction takes two round trips (RUN and PULL, then
    COMMIT), an auto-commit one takes one, and on a large graph that second round trip is a
    sizeable share of a person's answer at the API. What the managed transaction gave is kept:
    reads go to followers (READ access mode), are causal after this process's own writes (the
    bookmark manager ``execute_query`` uses), and retryable failures are retried, with backoff
    (:mod:`lineage.retrying`), for up to ``READ_RETRY_S``.
    """

    def read() -> list[Record]:
        with driver.session(
            database=database,
            default_access_mode=READ_ACCESS,
            bookmark_manager=driver.execute_query_bookmark_manager,
        ) as session:
            return list(session.run(query, dict(params)))

    return retry(read, _retryable, READ_BACKOFF, within_s=READ_RETRY_S)


def _retryable(exc: Exception) -> bool:
    """What the driver itself would retry in a managed transaction (a leader change, a restart)."""
    return isinstance(exc, Neo4jError | DriverError) and exc.is_retryable()


# Grouped per store before the catalog side is joined: one lookup per store, not per holding.
# Times leave as epoch milliseconds (SUBJECT_DATA_MAP_TIMES, RETENTION_TIMES; every one was
# written from milliseconds): hydrating the DateTimes of a person's map costs the driver more
# in Python than Neo4j takes to answer.
SUBJECT_DATA_MAP_TIMES = ("first_seen", "last_seen", "erased_at", "expires_at")
RETENTION_TIMES = ("expires_at", "legal_until", "archive_until")
SUBJECT_DATA_MAP = """
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)-[:HAS_HOLDING]->(h:Holding)
      -[:IN_STORE]->(st:Store)
WITH s, st, h ORDER BY h.category
WITH s, st,
     collect(CASE WHEN h.state = 'held' THEN h.category END) AS held,
     collect(CASE WHEN h.state <> 'held' THEN h.category END) AS erased,
     min(h.first_seen) AS first_seen, max(h.last_seen) AS last_seen,
     max(h.erased_at) AS erased_at,
     min(CASE WHEN h.state = 'held' THEN h.expires_at END) AS expires_at,
     collect(CASE WHEN h.state = 'held' THEN {category: h.category,
             expires_at: h.expires_at.epochMillis, rule: h.retention_rule,
             trigger: h.retention_trigger, moment: h.retention_moment, event: h.expiry_event,
             legal_rule: h.legal_rule, legal_until: h.legal_until.epochMillis,
             action: h.expiry_action, archive_until: h.archive_until.epochMillis}
             END) AS retention
OPTIONAL MATCH (sys:System)-[:HAS_STORE]->(st)
OPTIONAL MATCH (st)-[:RUN_BY]->(p:Processor)
OPTIONAL MATCH (st)-[:LOCATED_IN]->(c:Country)
RETURN s.key AS subject, st.id AS store, sys.id AS system, p.id AS processor_id,
       p.name AS processor, c.code AS country, st.declared AS declared, s.types AS subject_types,
       held, erased, first_seen, last_seen, erased_at, expires_at.epochMillis AS expires_at, retention
ORDER BY store
"""

# Categories and sub-processors in a fixed order, so two graphs holding the same give the
# same answer (collect(DISTINCT) follows storage order otherwise). Sub-processor chains of any
# depth (the catalog refuses cycles; Cypher never repeats a relationship in a path anyway).
ERASURE_IMPACT = """
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)-[:HAS_HOLDING]->(h:Holding {state: 'held'})
      -[:IN_STORE]->(st:Store)
WITH st, h ORDER BY h.category
WITH st, collect(DISTINCT h.category) AS categories,
     collect({category: h.category, expires_at: h.expires_at.epochMillis,
              archive_until: h.archive_until.epochMillis}) AS retention
OPTIONAL MATCH (sys:System)-[:HAS_STORE]->(st)
OPTIONAL MATCH (st)-[:RUN_BY]->(p:Processor)
OPTIONAL MATCH (st)-[:LOCATED_IN]->(c:Country)
CALL (p) {
  OPTIONAL MATCH (p)-[:SUB_PROCESSOR*1..]->(sub:Processor)-[:ESTABLISHED_IN]->(sc:Country)
  WITH DISTINCT sub, sc ORDER BY sub.id, sc.code
  RETURN collect({id: sub.id, name: sub.name, country: sc.code}) AS subs
}
RETURN st.id AS store, sys.id AS system, p.id AS processor_id, p.name AS processor,
       c.code AS country, categories, retention,
       [x IN subs WHERE x.id IS NOT NULL] AS sub_processors
ORDER BY store
"""

# What is held in the stores a set of transfer hops starts from. A holding is one person's
# category in one store (its id is subject|store|category), so per (store, category) the
# holdings are the people: counted without expanding to them. Both still read every held
# holding of those stores: on a large graph, seconds, which graph.tally's counts spare.
HELD_IN_STORES = """
UNWIND $stores AS sid
MATCH (st:Store {id: sid})<-[:IN_STORE]-(h:Holding {state: 'held'})
RETURN st.id AS store, h.subject_type AS subject_type, h.category AS category,
       count(h) AS subjects
ORDER BY store, subject_type, category
"""

SUBJECTS_IN_STORES = """
UNWIND $stores AS sid
MATCH (:Store {id: sid})<-[:IN_STORE]-(:Holding {state: 'held'})<-[:HAS_HOLDING]-(s:Subject)
RETURN count(DISTINCT s) AS subjects
"""

# The same two when the stores hold much of the graph: every held holding from the index,
# filtered by store, beats reading each holding's property chain from its store.
HELD_IN_STORES_FROM_INDEX = (
    HELD_FROM_INDEX
    + """
MATCH (h)-[:IN_STORE]->(st:Store) WHERE st.id IN $stores
RETURN st.id AS store, h.subject_type AS subject_type, h.category AS category,
       count(h) AS subjects
ORDER BY store, subject_type, category
"""
)

SUBJECTS_IN_STORES_FROM_INDEX = (
    HELD_FROM_INDEX
    + """
MATCH (s:Subject)-[:HAS_HOLDING]->(h)-[:IN_STORE]->(st:Store) WHERE st.id IN $stores
RETURN count(DISTINCT s) AS subjects
"""
)

# Which of the two: the stores' share of all holdings, from degrees and the count store (O(1)).
STORES_SHARE = """
CALL () { MATCH (h:Holding) RETURN count(h) AS total }
UNWIND $stores AS sid
MATCH (st:Store {id: sid})
RETURN total, sum(COUNT { (st)<-[:IN_STORE]-() }) AS in_stores
"""

STORE_SUMMARY = """
MATCH (st:Store)
OPTIONAL MATCH (st)-[:LOCATED_IN]->(c:Country)
OPTIONAL MATCH (st)-[:RUN_BY]->(p:Processor)
OPTIONAL MATCH (st)<-[:IN_STORE]-(h:Holding)<-[:HAS_HOLDING]-(s:Subject)
WITH st, c, p,
     count(DISTINCT CASE WHEN h.state = 'held' THEN s END) AS subjects_held,
     count(DISTINCT CASE WHEN h.state <> 'held' THEN s END) AS subjects_erased,
     count(CASE WHEN h.state = 'held' THEN h END) AS holdings
RETURN st.id AS store, c.code AS country, p.id AS processor_id, p.name AS processor,
       st.declared AS declared,
       subjects_held, subjects_erased, holdings
ORDER BY store
"""

COUNTRY_SUMMARY = """
MATCH (s:Subject)-[:HAS_HOLDING]->(h:Holding {state: 'held'})-[:IN_STORE]->(:Store)
      -[:LOCATED_IN]->(c:Country)
RETURN c.code AS country, count(DISTINCT s) AS subjects, count(h) AS holdings
ORDER BY subjects DESC, country
"""

# The observed flows between stores, with how many distinct people each carried.
FLOWS = """
MATCH (src:Store)-[f:FLOWS_TO]->(dst:Store)
OPTIONAL MATCH (src)-[:LOCATED_IN]->(sc:Country)
OPTIONAL MATCH (dst)-[:LOCATED_IN]->(dc:Country)
RETURN src.id AS source, dst.id AS destination, sc.code AS source_country,
       dc.code AS destination_country, dst.declared AS declared, f.categories AS categories,
       f.first_seen AS first_seen, f.last_seen AS last_seen,
       COUNT { (:Subject)-[m:MOVED]->(dst) WHERE m.src = src.id } AS subjects
ORDER BY subjects DESC, source, destination
"""

GRAPH_COUNTS = """
CALL () { MATCH (n:Subject) RETURN count(n) AS subjects }
CALL () { MATCH (n:Identifier) RETURN count(n) AS identifiers }
CALL () { MATCH (n:Holding) RETURN count(n) AS holdings }
CALL () { MATCH (n:Holding {state: 'held'}) RETURN count(n) AS held }
CALL () { MATCH (n:Store) RETURN count(n) AS stores }
CALL () { MATCH ()-[r:FLOWS_TO]->() RETURN count(r) AS flows }
RETURN subjects, identifiers, holdings, held, stores, flows
"""

# Times as DateTimes, so a line reads as dates and compares with the fingerprints of graphs that
# kept them so.
GRAPH_FINGERPRINT = f"""
MATCH (s:Subject)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store)
WITH s.key + '|' + st.id + '|' + h.category + '|' + h.state + '|' + toString({as_datetime("h.first_seen")})
     + '|' + toString({as_datetime("h.last_seen")}) + '|' + h.last_event_id
     + '|' + coalesce(toString({as_datetime("h.erased_at")}), '')
     + '|' + coalesce(toString({as_datetime("h.consent_withdrawn_at")}), '')
     + '|' + coalesce(toString(h.expires_at), '')
     + '|' + toString(size(s.types)) + '|' + toString(COUNT {{ (s)<-[:IDENTIFIES]-() }}) AS line
ORDER BY line
RETURN count(line) AS holdings, collect(line) AS lines
"""


class GraphReader:
    def __init__(self, driver: Driver, database: str) -> None:
        self._driver = driver
        self._database = database

    def _rows(self, query: str, **params: Any) -> list[dict[str, Any]]:
        return [plain(r.data()) for r in read_records(self._driver, self._database, query, params)]

    def subject_map(self, key: str) -> list[dict[str, Any]]:
        """Per store: what is held (and was erased) of one subject, where, by whom, since when."""
        rows = self._rows(SUBJECT_DATA_MAP, key=key)
        for row in rows:
            _times_from_ms(row, SUBJECT_DATA_MAP_TIMES)
            for rule in row["retention"]:
                _times_from_ms(rule, RETENTION_TIMES)
        return rows

    def erasure_impact(self, key: str) -> list[dict[str, Any]]:
        """Per store still holding data: categories (with their expiry times, to say which
        are archived), processor, sub-processors, countries."""
        rows = self._rows(ERASURE_IMPACT, key=key)
        for row in rows:
            for held in row["retention"]:
                _times_from_ms(held, ("expires_at", "archive_until"))
        return rows

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
        query = HELD_IN_STORES_FROM_INDEX if large else HELD_IN_STORES
        return self._rows(query, stores=stores)

    def _scan_subjects(self, stores: list[str], large: bool) -> int:
        query = SUBJECTS_IN_STORES_FROM_INDEX if large else SUBJECTS_IN_STORES
        return self._rows(query, stores=stores)[0]["subjects"]

    def _large_share(self, stores: list[str], threshold: float = 0.25) -> bool:
        """Whether ``stores`` hold over ``threshold`` of all holdings: then reading every held
        holding from the index is cheaper than each of theirs from the stores."""
        rows = self._rows(STORES_SHARE, stores=stores) if stores else []
        return bool(rows) and rows[0]["in_stores"] > threshold * max(1, rows[0]["total"])

    def flows(self) -> list[dict[str, Any]]:
        """Observed store-to-store flows with categories, countries, dates and people carried."""
        return self._rows(FLOWS)

    def store_summary(self) -> list[dict[str, Any]]:
        return self._rows(STORE_SUMMARY)

    def country_summary(self) -> list[dict[str, Any]]:
        return self._rows(COUNTRY_SUMMARY)

    def counts(self) -> dict[str, int]:
        return self._rows(GRAPH_COUNTS)[0]

    def fingerprint(self) -> list[str]:
        """Every holding as one line: equal fingerprints mean equal lineage."""
        return self._rows(GRAPH_FINGERPRINT)[0]["lines"]


def _times_from_ms(row: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        row[name] = from_epoch_ms(row[name])
