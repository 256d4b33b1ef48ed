"""Legal holds: data a litigation or an inquiry freezes, excluded from expiry and from erasure.

``(:Hold {id, reason, stores, categories, placed_by, since, until, released_at, released_by})
-[:HOLDS]->(:Subject)``; ``placed_by`` and ``released_by`` name the actor (``account:ana``).
Empty ``stores``/``categories`` mean all of them; a category covers its fideslang descendants.
A hold is active until released or past ``until``. :data:`ACTIVE_HOLDS_ON_HOLDING` is the one
definition of "this holding is held", embedded by every query that must leave held data out
(expects ``s``, ``h``, ``st`` and ``$now`` in scope) and says why.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from neo4j import Driver, RoutingControl

from graph.fragments import write_lock
from graph.reader import plain

ACTIVE_HOLDS_ON_HOLDING = """
COLLECT { MATCH (hold:Hold)-[:HOLDS]->(s)
          WHERE hold.released_at IS NULL AND (hold.until IS NULL OR hold.until > $now)
            AND (size(hold.stores) = 0 OR st.id IN hold.stores)
            AND (size(hold.categories) = 0 OR any(c IN hold.categories
                                                  WHERE h.category = c OR h.category STARTS WITH c + '.'))
          RETURN hold.id + ' (' + hold.reason + ')' }
"""

# The identifier is write-locked before reading where it points (see UPSERT_ALERTS): a merge
# under way in a worker then finishes first, and the hold goes to the person it leaves.
ADD_HOLD = (
    """
MATCH (i:Identifier {key: $key})
"""
    + write_lock("i")
    + """WITH i
MATCH (i)-[:IDENTIFIES]->(s:Subject)
CREATE (hold:Hold {id: $id, reason: $reason, stores: $stores, categories: $categories,
                   placed_by: $placed_by, since: datetime(),
                   until: CASE WHEN $until IS NULL THEN null ELSE datetime($until) END})
CREATE (hold)-[:HOLDS]->(s)
RETURN hold.id AS id, s.key AS subject
"""
)

RELEASE_HOLD = """
MATCH (hold:Hold {id: $id}) WHERE hold.released_at IS NULL
SET hold.released_at = datetime(), hold.released_reason = $reason, hold.released_by = $released_by
RETURN hold.id AS id
"""

LIST_HOLDS = """
MATCH (hold:Hold)-[:HOLDS]->(s:Subject)
WHERE $all OR (hold.released_at IS NULL AND (hold.until IS NULL OR hold.until > datetime()))
RETURN hold.id AS id, s.key AS subject, hold.reason AS reason, hold.stores AS stores,
       hold.categories AS categories, hold.since AS since, hold.until AS until,
       hold.released_at AS released_at, hold.placed_by AS placed_by, hold.released_by AS released_by,
       CASE WHEN hold.released_at IS NOT NULL THEN 'released'
            WHEN hold.until IS NOT NULL AND hold.until <= datetime() THEN 'ended'
            ELSE 'active' END AS status
ORDER BY since DESC
"""


def add_hold(
    driver: Driver,
    database: str,
    key: str,
    reason: str,
    stores: list[str],
    categories: list[str],
    until: datetime | None,
    placed_by: str,
) -> dict[str, Any] | None:
    """Places a hold on the subject an identifier key names; None if lineage knows no such person."""
    hold_id = f"hold-{secrets.token_hex(4)}"
    records, _, _ = driver.execute_query(
        ADD_HOLD,
        key=key,
        id=hold_id,
        reason=reason,
        stores=stores,
        categories=categories,
        until=until.astimezone(UTC).isoformat() if until else None,
        placed_by=placed_by,
        database_=database,
    )
    return records[0].data() if records else None


def release_hold(driver: Driver, database: str, hold_id: str, reason: str, released_by: str) -> bool:
    records, _, _ = driver.execute_query(
        RELEASE_HOLD, id=hold_id, reason=reason, released_by=released_by, database_=database
    )
    return bool(records)


def list_holds(driver: Driver, database: str, include_ended: bool = False) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        LIST_HOLDS, all=include_ended, database_=database, routing_=RoutingControl.READ
    )
    return [plain(r.data()) for r in records]
