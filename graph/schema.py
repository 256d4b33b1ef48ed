"""The graph's constraints and indexes: applied at every start, idempotent (IF NOT EXISTS).

Labels and keys come from the :mod:`graph.model` enums, never from input.
"""

from __future__ import annotations

from neo4j import Driver

from graph.fragments import HOLDING_MOMENTS, STORE_MOMENTS
from graph.model import NODE_KEYS

INDEX_STATEMENTS: tuple[str, ...] = (
    "CREATE INDEX holding_state IF NOT EXISTS FOR (h:Holding) ON (h.state)",
    "CREATE INDEX holding_expires IF NOT EXISTS FOR (h:Holding) ON (h.expires_at)",
    # What store-wide answers group by (transfer impact, RoPA), served from the index instead of
    # each holding's property chain. Every holding write sets all three, so every holding is in
    # it; category never changes, state on erasure.
    "CREATE INDEX holding_held_kind IF NOT EXISTS FOR (h:Holding) ON (h.state, h.category, h.subject_type)",
    # The audit trail's retention purge and its date filters (seq has its uniqueness constraint).
    "CREATE INDEX auditentry_at IF NOT EXISTS FOR (e:AuditEntry) ON (e.at)",
    # Each API request finds its client by the hash of its token; sessions end by account.
    "CREATE INDEX apiclient_token IF NOT EXISTS FOR (c:ApiClient) ON (c.token_hash)",
    "CREATE INDEX websession_actor IF NOT EXISTS FOR (w:WebSession) ON (w.actor, w.kind)",
    # Every holding read for expiry or erasure looks up the holds on its store, its system and
    # the organisation by this key (graph.holds.ACTIVE_HOLDS_ON_HOLDING).
    "CREATE INDEX hold_covers IF NOT EXISTS FOR (hold:Hold) ON (hold.covers)",
)


def constraint_statements() -> list[str]:
    """One uniqueness constraint per node label."""
    return [
        f"CREATE CONSTRAINT {label.value.lower()}_{key} IF NOT EXISTS "
        f"FOR (n:{label.value}) REQUIRE n.{key} IS UNIQUE"
        for label, key in NODE_KEYS.items()
    ]


# Graphs written before every rights request shared one model: erasure requests and their tasks
# become requests of kind erasure. Each statement matches nothing once it has run.
MIGRATIONS: tuple[str, ...] = (
    "MATCH (r:ErasureRequest) SET r:Request, r.kind = coalesce(r.kind, 'erasure') REMOVE r:ErasureRequest",
    "MATCH (t:ErasureTask) SET t:RequestTask REMOVE t:ErasureTask",
    "DROP CONSTRAINT erasurerequest_id IF EXISTS",
)


# Graphs written by older versions: a Subject's first and last sightings go (its holdings keep
# them), and holdings' and store clocks' moments, once DateTimes, become epoch milliseconds. A
# slice of people or holdings per transaction, in key order from the unique index, so a large
# graph converts in bounded memory and in one pass; ``(:Migration {id})`` records it done, so
# later starts read one node.
EPOCH_MS_MIGRATION = "epoch-ms-moments"
SCHEMA_LABELS = ("Migration",)  # the schema's own record, no part of what the events built
_HOLDING_TIMES = (
    "first_seen",
    "last_seen",
    "last_event_at",
    *(f"{m}_at" for m in (*HOLDING_MOMENTS, "erased", "consent_withdrawn")),
)
_CLOCK_TIMES = tuple(f"{m}_at" for m in (*STORE_MOMENTS, "erased", "consent_withdrawn"))
MIGRATION_SLICE = 10_000


def _to_epoch_ms(var: str, names: tuple[str, ...]) -> str:
    return ", ".join(
        f"{var}.{n} = CASE WHEN {var}.{n} IS :: ZONED DATETIME THEN {var}.{n}.epochMillis ELSE {var}.{n} END"
        for n in names
    )


_MIGRATED = "MATCH (m:Migration {id: $id}) RETURN count(m) > 0 AS done"
_MIGRATION_DONE = "MERGE (:Migration {id: $id})"
SLICED_MIGRATIONS: tuple[str, ...] = (
    f"""MATCH (s:Subject) WHERE s.key > $after
WITH s ORDER BY s.key LIMIT $limit
REMOVE s.first_seen, s.last_seen
WITH s
OPTIONAL MATCH (s)-[c:CLOCK]->()
SET {_to_epoch_ms("c", _CLOCK_TIMES)}
RETURN max(s.key) AS last""",
    f"""MATCH (h:Holding) WHERE h.id > $after
WITH h ORDER BY h.id LIMIT $limit
SET {_to_epoch_ms("h", _HOLDING_TIMES)}
RETURN max(h.id) AS last""",
)


def apply_schema(driver: Driver, database: str) -> None:
    for statement in (*constraint_statements(), *INDEX_STATEMENTS, *MIGRATIONS):
        driver.execute_query(statement, database_=database)
    _migrate_in_slices(driver, database)


def _migrate_in_slices(driver: Driver, database: str) -> None:
    if driver.execute_query(_MIGRATED, id=EPOCH_MS_MIGRATION, database_=database).records[0]["done"]:
        return
    for statement in SLICED_MIGRATIONS:
        after = ""
        while True:
            records, _, _ = driver.execute_query(
                statement, after=after, limit=MIGRATION_SLICE, database_=database
            )
            if records[0]["last"] is None:
                break
            after = records[0]["last"]
    driver.execute_query(_MIGRATION_DONE, id=EPOCH_MS_MIGRATION, database_=database)
