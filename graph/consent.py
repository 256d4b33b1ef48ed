"""Consent per person and purpose: ``(Subject)-[:HAS_CONSENT]->(Consent)``.

One ``Consent {id, purpose, given_at, given_event, withdrawn_at, withdrawn_event, changed_at}``
per person and purpose keeps the latest consent given and the latest withdrawal, each with the
event that said so (ties broken by event id), so any arrival order and any replay leave the same
node; whether consent stood at an instant is :func:`lineage.domain.consent.withdrawn_at_time`.
``changed_at`` is lineage's own clock (``datetime()``) of the last write that changed a time:
what a reader refreshing incrementally asks for. The node's id is the person's key and the
purpose, so the merge of two people folds their consents (``graph.identity``) with the same rule.

This module owns those statements and the read of one person's consents; rows come from
:func:`graph.writer.rows_for`.
"""

from __future__ import annotations

from typing import Any

from neo4j import AsyncManagedTransaction, Driver, RoutingControl

from graph.fragments import as_datetime, latest

CONSENT_MOMENTS = ("given", "withdrawn")


def _newer(c: str, moment: str, at: str, event: str) -> str:
    """Whether (``at``, ``event``) is later than ``c``'s ``moment``: the rule of
    :func:`graph.fragments.latest`, for telling whether a write changes anything."""
    return (
        f"({c}.{moment}_at IS NULL OR {at} > {c}.{moment}_at OR "
        f"({at} = {c}.{moment}_at AND {event} > {c}.{moment}_event))"
    )


def consent_sets(c: str, at: str, event: str, given: str, withdrawn: str) -> str:
    """The SET keeping ``c``'s latest consent and withdrawal: (``at``, ``event``) is a consent
    when ``given`` holds, a withdrawal when ``withdrawn`` does. ``changed_at`` comes first, so it
    compares with the times as they were before this write."""
    changed = (
        f"({given} AND {_newer(c, 'given', at, event)}) "
        f"OR ({withdrawn} AND {_newer(c, 'withdrawn', at, event)})"
    )
    return (
        f"SET {c}.changed_at = CASE WHEN {changed} THEN datetime() ELSE {c}.changed_at END,\n    "
        + latest(c, "given", at, event, given)
        + ",\n    "
        + latest(c, "withdrawn", at, event, withdrawn)
        + "\n"
    )


# One row per consent event: {subject, purpose, at (epoch ms), event_id, given (bool)}.
MERGE_CONSENTS = """
UNWIND $rows AS row
WITH row, datetime({epochMillis: row.at}) AS at
MATCH (:Identifier {key: row.subject})-[:IDENTIFIES]->(s:Subject)
MERGE (c:Consent {id: s.key + '|' + row.purpose})
  ON CREATE SET c.purpose = row.purpose
MERGE (s)-[:HAS_CONSENT]->(c)
""" + consent_sets("c", "at", "row.event_id", "row.given", "NOT row.given")

# Folds the loser's consents into the winner's (graph.identity.MERGE_SUBJECTS embeds it, with
# ``w`` the winner and ``l`` the loser in scope): the same latest-of rule as MERGE_CONSENTS.
FOLD_CONSENTS = (
    """CALL (w, l) {
  MATCH (l)-[:HAS_CONSENT]->(lc:Consent)
  MERGE (wc:Consent {id: w.key + '|' + lc.purpose})
    ON CREATE SET wc.purpose = lc.purpose
  MERGE (w)-[:HAS_CONSENT]->(wc)
  """
    + consent_sets("wc", "lc.given_at", "lc.given_event", "lc.given_at IS NOT NULL", "false")
    + "  "
    + consent_sets("wc", "lc.withdrawn_at", "lc.withdrawn_event", "false", "lc.withdrawn_at IS NOT NULL")
    + """  DETACH DELETE lc
}
"""
)

PERSON_CONSENTS = """
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)-[:HAS_CONSENT]->(c:Consent)
RETURN c.purpose AS purpose, c.given_at AS given_at, c.given_event AS given_event,
       c.withdrawn_at AS withdrawn_at, c.withdrawn_event AS withdrawn_event
ORDER BY purpose
"""

# Per purpose: how many people's latest word is a withdrawal, and how many gave consent since.
CONSENT_COUNTS = """
MATCH (:Subject)-[:HAS_CONSENT]->(c:Consent)
WITH c.purpose AS purpose,
     c.withdrawn_at IS NOT NULL AND (c.given_at IS NULL OR c.withdrawn_at >= c.given_at) AS withdrawn
RETURN purpose, sum(CASE WHEN withdrawn THEN 1 ELSE 0 END) AS withdrawn,
       sum(CASE WHEN withdrawn THEN 0 ELSE 1 END) AS given
ORDER BY purpose
"""

# Per held holding of one person: the bases its events stated (graph.holdings writes them).
PERSON_HOLDING_BASES = (
    """
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store)
RETURN st.id AS store, h.category AS category, coalesce(h.purposes, []) AS purposes,
       coalesce(h.legal_bases, []) AS legal_bases, """
    + as_datetime("h.consent_withdrawn_at")
    + """ AS consent_withdrawn_at
ORDER BY store, category
"""
)


async def merge_consents(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    """Records the batch's consents given and withdrawn, per person and purpose."""
    if rows:
        await (await tx.run(MERGE_CONSENTS, rows=rows)).consume()


def _read(driver: Driver, database: str, query: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        query, parameters_=params, database_=database, routing_=RoutingControl.READ
    )
    return [record.data() for record in records]


def person_consents(driver: Driver, database: str, key: str) -> list[dict[str, Any]]:
    """The person's consent per purpose: latest given and latest withdrawal, with their events."""
    rows = _read(driver, database, PERSON_CONSENTS, key=key)
    for row in rows:
        for name in ("given_at", "withdrawn_at"):
            row[name] = row[name].to_native() if row[name] is not None else None
    return rows


def person_holding_bases(driver: Driver, database: str, key: str) -> list[dict[str, Any]]:
    """Per holding of the person: store, category, purposes and the bases its events stated."""
    rows = _read(driver, database, PERSON_HOLDING_BASES, key=key)
    for row in rows:
        moment = row["consent_withdrawn_at"]
        row["consent_withdrawn_at"] = moment.to_native() if moment is not None else None
    return rows


def consent_counts(driver: Driver, database: str) -> dict[str, dict[str, int]]:
    """Purpose -> {withdrawn, given}: people whose latest word for it is each."""
    return {
        row["purpose"]: {"withdrawn": row["withdrawn"], "given": row["given"]}
        for row in _read(driver, database, CONSENT_COUNTS)
    }
