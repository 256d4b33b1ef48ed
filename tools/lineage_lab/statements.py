"""The laboratory's own Cypher: wiping a test graph, cleaning up after a benchmark, and the
ceiling stages' throwaway writes. The product never runs these. Values travel as ``$parameters``.
"""

from __future__ import annotations

WIPE = "MATCH (n) DETACH DELETE n"
# WIPE in slices, for graphs too large for one transaction's memory (a 200,000-payload feed).
WIPE_SLICE = "MATCH (n) WITH n LIMIT $limit DETACH DELETE n RETURN count(n) AS deleted"

# The alert benchmark's own stores, alerts, holdings and trigger people (with their consents,
# holdings and rights alerts elsewhere), once it has measured.
DELETE_BENCH_RUN = """
CALL () {
  MATCH (st:Store) WHERE st.id STARTS WITH $prefix
  OPTIONAL MATCH (st)<-[:IN_STORE]-(:Holding)<-[:HAS_HOLDING]-(s:Subject)
  WITH collect(DISTINCT s.key) AS keys
  CREATE (:TallyQueue {keys: keys})
}
CALL () {
  MATCH (st:Store) WHERE st.id STARTS WITH $prefix
  OPTIONAL MATCH (st)<-[:IN_STORE]-(h:Holding)
  OPTIONAL MATCH (st)<-[:ON_STORE]-(a:Alert)
  DETACH DELETE h, a, st
}
CALL () {
  MATCH (n) WHERE (n:Processor AND n.id = 'bench-us') OR (n:System AND n.id = 'bench')
  DETACH DELETE n
}
CALL () {
  UNWIND $subjects AS key
  MATCH (i:Identifier {key: key})-[:IDENTIFIES]->(s:Subject)
  OPTIONAL MATCH (s)-[:HAS_CONSENT]->(c:Consent)
  OPTIONAL MATCH (s)-[:HAS_HOLDING]->(h:Holding)
  OPTIONAL MATCH (s)<-[:CONCERNS]-(a:Alert) WHERE a.kind STARTS WITH 'processing_'
  WITH i, s, c, h, a, s.key AS subject
  DETACH DELETE i, s, c, h, a
  WITH collect(DISTINCT subject) AS keys
  CREATE (:TallyQueue {keys: keys})
}
"""

# ``lineage-lab bench``'s own people (addresses tagged with the run), once it has measured; they
# leave the tally's counts too (graph.tally).
FORGET_SUBJECTS = """
UNWIND $subjects AS key
MATCH (:Identifier {key: key})-[:IDENTIFIES]->(s:Subject)
WITH DISTINCT s
CALL (s) { MATCH (s)-[:HAS_HOLDING]->(h:Holding) DETACH DELETE h }
CALL (s) { MATCH (s)-[:HAS_CONSENT]->(c:Consent) DETACH DELETE c }
CALL (s) { MATCH (s)<-[:IDENTIFIES]-(i:Identifier) DETACH DELETE i }
WITH s, s.key AS key
DETACH DELETE s
WITH collect(key) AS keys
CREATE (:TallyQueue {keys: keys})
"""

# The alerts before the bench, and putting them back after: its flows raise and touch alerts.
ALERT_SNAPSHOT = "MATCH (a:Alert) RETURN a.id AS id, properties(a) AS properties"

RESTORE_ALERTS = """
CALL () {
  MATCH (a:Alert) WHERE NOT a.id IN $ids
  DETACH DELETE a
}
UNWIND $alerts AS row
MATCH (a:Alert {id: row.id})
SET a = row.properties
"""

# --- ``lineage-lab bench``'s ceiling stages ------------------------------------------------------
# The least a graph writer can do with the same holdings (subject, store, category), into
# throwaway labels so the real graph is untouched: what Neo4j alone allows, batched or one
# transaction an event. Deleted in slices afterwards, constraints dropped.

BENCH_CONSTRAINTS: tuple[str, ...] = (
    "CREATE CONSTRAINT bench_subject_key IF NOT EXISTS FOR (n:BenchSubject) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT bench_holding_id IF NOT EXISTS FOR (n:BenchHolding) REQUIRE n.id IS UNIQUE",
)

BENCH_MERGE_HOLDINGS = """
UNWIND $rows AS row
MERGE (s:BenchSubject {key: row.subject})
MERGE (h:BenchHolding {id: row.subject + '|' + row.store + '|' + row.category})
SET h.store = row.store, h.category = row.category, h.last_seen = row.at
MERGE (s)-[:BENCH_HOLDS]->(h)
"""

BENCH_DELETE_SLICE = """
MATCH (n) WHERE n:BenchSubject OR n:BenchHolding
WITH n LIMIT $limit DETACH DELETE n RETURN count(n) AS deleted
"""

BENCH_DROP_CONSTRAINTS: tuple[str, ...] = (
    "DROP CONSTRAINT bench_subject_key IF EXISTS",
    "DROP CONSTRAINT bench_holding_id IF EXISTS",
)
