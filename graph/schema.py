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


# Graphs written by older versions, changed a slice per transaction so that a large graph converts
# in bounded memory; each statement matches nothing once it has run. A Subject's first and last
# sightings go (its holdings keep them); holdings' and store clocks' moments, once DateTimes,
# become epoch milliseconds.
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


SLICED_MIGRATIONS: tuple[str, ...] = (
    """MATCH (s:Subject) WHERE s.first_seen IS NOT NULL OR s.last_seen IS NOT NULL
WITH s LIMIT $limit REMOVE s.first_seen, s.last_seen RETURN count(s) AS changed""",
    f"""MATCH (h:Holding) WHERE h.first_seen IS :: ZONED DATETIME
WITH h LIMIT $limit SET {_to_epoch_ms("h", _HOLDING_TIMES)} RETURN count(h) AS changed""",
    f"""MATCH ()-[c:CLOCK]->()
WHERE any(k IN keys(c) WHERE k ENDS WITH '_at' AND c[k] IS :: ZONED DATETIME)
WITH c LIMIT $limit SET {_to_epoch_ms("c", _CLOCK_TIMES)} RETURN count(c) AS changed""",
)


def apply_schema(driver: Driver, database: str) -> None:
    for statement in (*constraint_statements(), *INDEX_STATEMENTS, *MIGRATIONS):
        driver.execute_query(statement, database_=database)
    for statement in SLICED_MIGRATIONS:
        while driver.execute_query(statement, limit=MIGRATION_SLICE, database_=database).records[0][
            "changed"
        ]:
            pass
