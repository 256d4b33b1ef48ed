"""Legal holds: data a litigation or an inquiry freezes, excluded from expiry and from erasure.

``(:Hold {id, scope, target, covers, reason, stores, categories, placed_by, since, until,
released_at, released_by, released_reason})``. A person's hold is linked to them,
``(hold)-[:HOLDS]->(:Subject)``, so it follows them through a merge; a hold on a store, a system
or the whole organisation is linked to nobody and found by its ``covers`` key (``store:ID``,
``system:ID``, ``organisation``, indexed in :mod:`graph.schema`), so placing it touches one node
however many people the store holds. ``placed_by`` and ``released_by`` name the actor
(``account:ana``). Empty ``stores``/``categories`` mean all of them (only a person's hold is
narrowed by stores); a category covers its fideslang descendants. A hold is active until released
or past ``until``. Holds written before scopes existed have no ``scope``: they are a person's.

:data:`ACTIVE_HOLDS_ON_HOLDING` is the one definition of "this holding is held", embedded by
every query that must leave held data out and says why, as ``'hold-id (reason)'``; it expects
``s``, ``h``, ``st``, ``$now`` and ``scoped_holds`` (from :data:`SCOPED_HOLDS_IN_FORCE`, embedded
once at the start of the statement) in scope.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from neo4j import Driver, RoutingControl

from graph.fragments import write_lock
from graph.reader import plain
from lineage.domain.holds import HoldOn, HoldScope

_IN_FORCE = "hold.released_at IS NULL AND (hold.until IS NULL OR hold.until > $now)"


def _category_held(hold: str) -> str:
    """``h``'s category is one ``hold`` names, or a descendant of one; an empty list is all."""
    return (
        f"(size({hold}.categories) = 0"
        f" OR any(c IN {hold}.categories WHERE h.category = c OR h.category STARTS WITH c + '.'))"
    )


# The holds on stores, systems and the organisation in force at $now, read once per statement
# (they are few, the holdings millions): one row, ``scoped_holds``, a list of
# {everywhere, store, categories, held_by}; a system's hold is one entry per store of the system. A
# statement embeds it before its holdings and keeps ``scoped_holds`` in scope down to
# ACTIVE_HOLDS_ON_HOLDING.
SCOPED_HOLDS_IN_FORCE = (
    """
CALL () {
  MATCH (hold:Hold) USING INDEX hold:Hold(covers)
  WHERE hold.covers IS NOT NULL AND """
    + _IN_FORCE
    + """
  OPTIONAL MATCH (:System {id: hold.target})-[:HAS_STORE]->(system_store:Store) WHERE hold.scope = 'system'
  WITH hold, system_store
  WHERE hold.scope <> 'system' OR system_store IS NOT NULL
  RETURN collect({everywhere: hold.scope = 'organisation',
                  store: CASE hold.scope WHEN 'store' THEN hold.target ELSE system_store.id END,
                  categories: hold.categories, held_by: hold.id + ' (' + hold.reason + ')'}) AS scoped_holds
}
"""
)

# Per holding: the person's own holds (one hop from the person) and the scoped holds covering
# the holding's store and category, filtered from ``scoped_holds`` in memory (no read).
ACTIVE_HOLDS_ON_HOLDING = (
    """
(COLLECT { MATCH (hold:Hold)-[:HOLDS]->(s)
           WHERE """
    + _IN_FORCE
    + """ AND (size(hold.stores) = 0 OR st.id IN hold.stores)
             AND """
    + _category_held("hold")
    + """
           RETURN hold.id + ' (' + hold.reason + ')' }
 + [scoped IN scoped_holds WHERE (scoped.everywhere OR scoped.store = st.id)
                                 AND """
    + _category_held("scoped")
    + """ | scoped.held_by])
"""
)

# The identifier is write-locked before reading where it points (see UPSERT_ALERTS): a merge
# under way in a worker then finishes first, and the hold goes to the person it leaves.
ADD_PERSON_HOLD = (
    """
MATCH (i:Identifier {key: $key})
"""
    + write_lock("i")
    + """WITH i
MATCH (i)-[:IDENTIFIES]->(s:Subject)
CREATE (hold:Hold {id: $id, scope: 'person', reason: $reason, stores: $stores,
                   categories: $categories, placed_by: $placed_by, since: datetime(),
                   until: CASE WHEN $until IS NULL THEN null ELSE datetime($until) END})
CREATE (hold)-[:HOLDS]->(s)
RETURN hold.id AS id, 'person' AS scope, s.key AS subject, null AS target
"""
)

# A store or a system is held only if the graph knows it (the catalog's, or one observed).
ADD_SCOPED_HOLD = """
WITH $scope AS scope, $target AS target
WHERE scope = 'organisation'
   OR (scope = 'store' AND EXISTS { MATCH (:Store {id: target}) })
   OR (scope = 'system' AND EXISTS { MATCH (:System {id: target}) })
CREATE (hold:Hold {id: $id, scope: scope, target: target, covers: $covers, reason: $reason,
                   stores: [], categories: $categories, placed_by: $placed_by, since: datetime(),
                   until: CASE WHEN $until IS NULL THEN null ELSE datetime($until) END})
RETURN hold.id AS id, scope, null AS subject, target
"""

RELEASE_HOLD = """
MATCH (hold:Hold {id: $id}) WHERE hold.released_at IS NULL
SET hold.released_at = datetime(), hold.released_reason = $reason, hold.released_by = $released_by
RETURN hold.id AS id
"""

LIST_HOLDS = """
MATCH (hold:Hold)
WHERE $all OR (hold.released_at IS NULL AND (hold.until IS NULL OR hold.until > datetime()))
OPTIONAL MATCH (hold)-[:HOLDS]->(s:Subject)
RETURN hold.id AS id, coalesce(hold.scope, 'person') AS scope, hold.target AS target,
       s.key AS subject, hold.reason AS reason, hold.stores AS stores,
       hold.categories AS categories, hold.since AS since, hold.until AS until,
       hold.released_at AS released_at, hold.placed_by AS placed_by, hold.released_by AS released_by,
       CASE WHEN hold.released_at IS NOT NULL THEN 'released'
            WHEN hold.until IS NOT NULL AND hold.until <= datetime() THEN 'ended'
            ELSE 'active' END AS status
ORDER BY since DESC, id
"""


def add_hold(
    driver: Driver,
    database: str,
    on: HoldOn,
    reason: str,
    stores: list[str],
    categories: list[str],
    until: datetime | None,
    placed_by: str,
) -> dict[str, Any] | None:
    """Places a hold; None if lineage knows no such person, store or system."""
    values: dict[str, Any] = {
        "id": f"hold-{secrets.token_hex(4)}",
        "reason": reason,
        "categories": categories,
        "until": until.astimezone(UTC).isoformat() if until else None,
        "placed_by": placed_by,
    }
    if on.scope is HoldScope.PERSON:
        statement, values = ADD_PERSON_HOLD, values | {"key": on.target, "stores": stores}
    else:
        statement = ADD_SCOPED_HOLD
        values |= {"scope": str(on.scope), "target": on.target, "covers": on.covers}
    records, _, _ = driver.execute_query(statement, parameters_=values, database_=database)
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
