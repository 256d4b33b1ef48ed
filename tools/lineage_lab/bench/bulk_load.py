"""Bulk path for a large benchmark graph, in the model's own shape (``graph.model``).

The worker MERGEs every row, because events repeat, arrive out of order and name people by
several identifiers. A benchmark population is known in advance to be new and distinct, so it
is CREATEd: one compact row per person (``lineage_lab.bench.large_shape.subject_row``), expanded
here into the same labels, keys, relationships and properties the worker's statements
(``MERGE_HOLDINGS``, ``SET_EXPIRY``, ``ATTACH_IDENTIFIERS``, ``MERGE_FLOWS``) leave, with the
profile templates passed once per transaction. The integration test proves the result equal
to what ``GraphWriter`` builds from the same people's events.
"""

from __future__ import annotations

from typing import Any

from neo4j import Driver

# One person per row: subject, identifiers, holdings, people carried by flows, the alerts on
# the stores they are held in, and a legal hold for some.
CREATE_SUBJECTS = """
UNWIND $rows AS r
WITH r, $profiles[r.p] AS prof
CREATE (s:Subject {key: r.key, types: prof.types})
WITH r, prof, s
CALL (r, s) {
  UNWIND r.ids AS ik
  CREATE (:Identifier {key: ik})-[:IDENTIFIES]->(s)
}
CALL (r, s, prof) {
  UNWIND range(0, size(prof.holdings) - 1) AS i
  WITH r, s, prof.holdings[i] AS t, r.exp[i] AS exp, r.legal[i] AS legal, r.archive[i] AS archive,
       'bench:' + toString(r.n) + ':' AS ev, r.at[prof.holdings[i].first] AS first,
       r.at[prof.holdings[i].last] AS last
  MATCH (st:Store {id: t.store})
  CREATE (s)-[:HAS_HOLDING]->(h:Holding {
    id: s.key + '|' + t.store + '|' + t.category, category: t.category,
    subject_type: t.subject_type, purposes: t.purposes, state: 'held',
    first_seen: first, first_event: ev + t.first_key,
    last_seen: last, last_event_at: last, last_event_id: ev + t.last_key,
    written_at: first, written_event: ev + t.first_key,
    collected_at: first, collected_event: ev + t.first_key,
    contact_at: CASE WHEN t.contact THEN first END,
    contact_event: CASE WHEN t.contact THEN ev + t.first_key END,
    expires_at: CASE WHEN exp IS NOT NULL THEN datetime({epochMillis: exp}) END,
    retention_rule: t.rule, retention_trigger: t.trigger, retention_moment: t.moment,
    expiry_event: CASE WHEN t.expiry_event THEN ev + t.first_key END,
    legal_obligation: t.legal_obligation, legal_rule: t.legal_rule,
    legal_until: CASE WHEN legal IS NOT NULL THEN datetime({epochMillis: legal}) END,
    expiry_action: t.action,
    archive_until: CASE WHEN archive IS NOT NULL THEN datetime({epochMillis: archive}) END,
    expiry_checked: true})-[:IN_STORE]->(st)
}
CALL (s, prof) {
  UNWIND prof.moved AS m
  MATCH (dst:Store {id: m.dst})
  CREATE (s)-[:MOVED {src: m.src}]->(dst)
}
CALL (s, prof) {
  UNWIND prof.alerts AS alert_id
  MATCH (a:Alert {id: alert_id})
  CREATE (a)-[:CONCERNS]->(s)
}
CALL (r, s) {
  WITH r, s WHERE r.hold
  CREATE (:Hold {id: 'hold-bench-' + toString(r.n), reason: 'litigation (benchmark)',
                 stores: [], categories: [], since: datetime()})-[:HOLDS]->(s)
}
"""

# The alerts the catalog's unapproved flows raise (``UPSERT_ALERTS``'s shape, already
# announced), created before the people they concern.
CREATE_ALERTS = """
UNWIND $rows AS row
MATCH (st:Store {id: row.store})
CREATE (a:Alert {id: row.id, kind: row.kind, status: 'open', severity: row.severity,
                 store: row.store, chain: row.chain, country: row.country, reason: row.reason,
                 mechanism: row.mechanism, first_seen: datetime({epochMillis: row.first}),
                 last_seen: datetime({epochMillis: row.last})})-[:ON_STORE]->(st)
"""

# One observed flow, dated by the first and last copy along it (``MERGE_FLOWS``'s shape).
CREATE_FLOW = """
MATCH (src:Store {id: $src}), (dst:Store {id: $dst})
MERGE (src)-[f:FLOWS_TO]->(dst)
SET f.categories = $categories, f.first_seen = datetime({epochMillis: $first}),
    f.last_seen = datetime({epochMillis: $last})
"""


# Indexes on holdings cost half of each commit when maintained row by row; built once after the
# load they come out the same (``graph.schema.apply_schema`` recreates them, then we wait).
DROP_HOLDING_SCHEMA: tuple[str, ...] = (
    "DROP CONSTRAINT holding_id IF EXISTS",
    "DROP INDEX holding_state IF EXISTS",
    "DROP INDEX holding_expires IF EXISTS",
    "DROP INDEX holding_held_kind IF EXISTS",
)
AWAIT_INDEXES = "CALL db.awaitIndexes($seconds)"


def drop_holding_schema(driver: Driver, database: str) -> None:
    for statement in DROP_HOLDING_SCHEMA:
        driver.execute_query(statement, database_=database)


def await_indexes(driver: Driver, database: str, seconds: int = 7200) -> None:
    driver.execute_query(AWAIT_INDEXES, seconds=seconds, database_=database)


def create_subjects(
    driver: Driver, database: str, profiles: list[dict[str, Any]], rows: list[dict[str, Any]]
) -> None:
    """One transaction for a batch of people (tens of thousands of nodes: large on purpose)."""
    driver.execute_query(CREATE_SUBJECTS, profiles=profiles, rows=rows, database_=database)


def create_alerts(driver: Driver, database: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        driver.execute_query(CREATE_ALERTS, rows=rows, database_=database)


def create_flow(
    driver: Driver, database: str, src: str, dst: str, categories: list[str], first_ms: int, last_ms: int
) -> None:
    driver.execute_query(
        CREATE_FLOW, src=src, dst=dst, categories=categories, first=first_ms, last=last_ms, database_=database
    )
