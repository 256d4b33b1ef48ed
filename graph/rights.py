"""The rights states the worker enforces, read for its alerts: restrictions and objections
(``(r:Request {kind: 'restriction'|'objection'})-[:FOR]->(s:Subject)``, written by
:mod:`lineage.answers.requests`) and consents (``(s)-[:HAS_CONSENT]->(c:Consent)``,
:mod:`graph.consent`).

Two reads, one shape (a row per person with a state): :data:`CHANGED_RIGHTS` for the worker's
cache (everything at start, then what changed since, by ``changed_at``), and
:data:`BATCH_RIGHTS` for the record stage's check of a stored batch (the people it names). Each
row also carries the holdings the person's states may forbid (seen at or after a restriction or
objection in force began, or a withdrawal): processing stored before the state was, which no
event of the stream will show again. Times travel as epoch milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from neo4j import AsyncDriver, Driver

from lineage.domain.rights_alerts import Consent, Held, Limit, PersonRights, SubjectRights

_EPOCH = datetime.fromtimestamp(0, UTC)

RIGHTS_INDEXES: tuple[str, ...] = (
    # The cache's incremental refresh reads what changed since its last read, every few seconds.
    "CREATE INDEX consent_changed IF NOT EXISTS FOR (c:Consent) ON (c.changed_at)",
    "CREATE INDEX request_changed IF NOT EXISTS FOR (r:Request) ON (r.changed_at)",
)

_KINDS = "['restriction', 'objection']"

_STATE = (
    """
WITH DISTINCT s
WITH s,
     COLLECT { MATCH (r:Request)-[:FOR]->(s)
               WHERE r.kind IN """
    + _KINDS
    + """ AND r.in_force_since IS NOT NULL
               RETURN {request: r.id, kind: r.kind, since: r.in_force_since.epochMillis,
                       purposes: coalesce(r.purposes, []), in_force: coalesce(r.in_force, false)}
     } AS limits,
     COLLECT { MATCH (s)-[:HAS_CONSENT]->(c:Consent) WHERE c.withdrawn_at IS NOT NULL
               RETURN {purpose: c.purpose, given_at: c.given_at.epochMillis,
                       withdrawn_at: c.withdrawn_at.epochMillis, withdrawn_event: c.withdrawn_event}
     } AS consents
WHERE size(limits) > 0 OR size(consents) > 0
RETURN s.key AS subject, limits, consents,
       COLLECT { MATCH (i:Identifier)-[:IDENTIFIES]->(s) RETURN i.key ORDER BY i.key } AS identifiers,
       COLLECT { MATCH (s)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store)
                 WHERE any(l IN limits WHERE l.in_force AND h.last_seen >= l.since)
                    OR any(c IN consents WHERE h.last_seen >= c.withdrawn_at)
                 RETURN {store: st.id, at: h.last_seen, event_id: h.last_event_id,
                         purposes: coalesce(h.purposes, []), legal_bases: coalesce(h.legal_bases, [])}
       } AS holdings
"""
)

# The people whose restriction, objection or consent changed at or after $since (epoch ms; 0
# reads everyone), each through the index on changed_at.
CHANGED_RIGHTS = (
    """
CALL () {
  MATCH (r:Request) USING INDEX r:Request(changed_at)
  WHERE r.changed_at >= datetime({epochMillis: $since}) AND r.kind IN """
    + _KINDS
    + """
  MATCH (r)-[:FOR]->(s:Subject)
  RETURN s
  UNION
  MATCH (c:Consent) USING INDEX c:Consent(changed_at)
  WHERE c.changed_at >= datetime({epochMillis: $since})
  MATCH (c)<-[:HAS_CONSENT]-(s:Subject)
  RETURN s
}"""
    + _STATE
    + """, datetime().epochMillis AS read_at
"""
)

# The people a stored batch names ($keys: identifier keys), those with a state only.
BATCH_RIGHTS = (
    """
UNWIND $keys AS key
MATCH (i:Identifier {key: key}) USING INDEX i:Identifier(key)
MATCH (i)-[:IDENTIFIES]->(s:Subject)"""
    + _STATE
)


async def changed_rights(
    driver: AsyncDriver, database: str, since_ms: int
) -> tuple[list[PersonRights], int | None]:
    """The people of :data:`CHANGED_RIGHTS`, and the server's clock when it read them (None if
    nobody changed). Read on the leader: a follower may lag behind the write that changed them."""
    records, _, _ = await driver.execute_query(CHANGED_RIGHTS, since=since_ms, database_=database)
    read_at = max((int(r["read_at"]) for r in records), default=None)
    return [person_rights(r.data()) for r in records], read_at


async def batch_rights(driver: AsyncDriver, database: str, keys: list[str]) -> list[PersonRights]:
    """The people of :data:`BATCH_RIGHTS` among the identifiers ``keys``."""
    if not keys:
        return []
    records, _, _ = await driver.execute_query(BATCH_RIGHTS, keys=keys, database_=database)
    return [person_rights(r.data()) for r in records]


def ensure_indexes(driver: Driver, database: str) -> None:
    """At the worker's start, with the schema (idempotent)."""
    for statement in RIGHTS_INDEXES:
        driver.execute_query(statement, database_=database)


def _at(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def person_rights(row: dict[str, Any]) -> PersonRights:
    """A row of either read, as the domain judges it."""
    limits = tuple(
        sorted(
            (
                Limit(
                    str(lim["request"]),
                    str(lim["kind"]),
                    _at(lim["since"]) or _EPOCH,
                    tuple(lim["purposes"]),
                    bool(lim["in_force"]),
                )
                for lim in row["limits"]
            ),
            key=lambda lim: lim.request,
        )
    )
    consents = tuple(
        sorted(
            (
                Consent(str(c["purpose"]), _at(c["given_at"]), _at(c["withdrawn_at"]), c["withdrawn_event"])
                for c in row["consents"]
            ),
            key=lambda c: c.purpose,
        )
    )
    held = tuple(
        Held(
            str(h["store"]),
            _at(h["at"]) or _EPOCH,
            str(h["event_id"]),
            tuple(h["purposes"]),
            tuple(h["legal_bases"]),
        )
        for h in row["holdings"]
    )
    return PersonRights(tuple(row["identifiers"]), SubjectRights(row["subject"], limits, consents), held)
