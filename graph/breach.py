"""Personal data breaches in the graph: the people exposed, the record, its notifications.

``(b:Breach {id, description, scope, stores, countries, outside_eea, exposed_from, exposed_to,
aware_at, deadline, status, risk, risk_reasons, special, subjects, sizing, opened_by,
opened_at, authority_notified_at, authority_notified_by, authority_reference, delay_reason,
people_notified_at, people_notified_by, people_notified_count, closed_at, closed_by,
closure_note})-[:AFFECTS {stores, types, categories}]->(s:Subject)``: one AFFECTS per person
exposed, made when the breach is opened and kept as it was (the snapshot the notification was
sized on, even if the data is erased later). A person is exposed when one of their holdings in
a store of the breach was first seen before the window ends and was not erased before it
began; a holding held again after an erasure counts (lineage keeps its latest sighting, not
each one). The breach keeps keyed hashes only, never a raw identifier. This module owns every
statement on breaches; the decisions are :mod:`lineage.domain.breach`'s.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from neo4j import Driver, ManagedTransaction, RoutingControl

from graph.reader import plain
from graph.requests import fixed_offset
from lineage.domain.breach import (
    Risk,
    Scope,
    Window,
    assess_risk,
    close,
    new_breach_id,
    notification_deadline,
    notify_authority,
    people_told,
    special_categories,
)

CREATE_BREACH = """
CREATE (b:Breach {id: $id, description: $description, scope: $scope, stores: $stores,
                  countries: $countries, outside_eea: $outside_eea, exposed_from: $exposed_from,
                  exposed_to: $exposed_to, aware_at: $aware_at, deadline: $deadline,
                  status: 'open', opened_by: $opened_by, opened_at: $opened_at})
"""

# Per person, what of theirs the breach exposed: from the stores' holdings, never from people.
LINK_EXPOSED = """
MATCH (b:Breach {id: $id})
UNWIND b.stores AS sid
MATCH (st:Store {id: sid})<-[:IN_STORE]-(h:Holding)
WHERE h.first_seen <= b.exposed_to.epochMillis AND NOT coalesce(h.tombstone, false)
  AND (h.state = 'held' OR h.erased_at IS NULL OR h.erased_at >= b.exposed_from.epochMillis)
MATCH (s:Subject)-[:HAS_HOLDING]->(h)
WITH b, s, collect(DISTINCT st.id) AS stores, collect(DISTINCT h.subject_type) AS types,
     collect(DISTINCT h.category) AS categories
CREATE (b)-[:AFFECTS {stores: stores, types: types, categories: categories}]->(s)
"""

SIZE = """
MATCH (b:Breach {id: $id})
RETURN COUNT { (b)-[:AFFECTS]->() } AS subjects,
       COLLECT { MATCH (b)-[a:AFFECTS]->() UNWIND a.types AS name
                 WITH name, count(*) AS n RETURN [name, n] AS pair ORDER BY name } AS by_type,
       COLLECT { MATCH (b)-[a:AFFECTS]->() UNWIND a.categories AS name
                 WITH name, count(*) AS n RETURN [name, n] AS pair ORDER BY name } AS by_category,
       COLLECT { MATCH (b)-[a:AFFECTS]->() UNWIND a.stores AS name
                 WITH name, count(*) AS n RETURN [name, n] AS pair ORDER BY name } AS by_store
"""

SET_RISK = """
MATCH (b:Breach {id: $id})
SET b.subjects = $subjects, b.sizing = $sizing, b.risk = $risk, b.risk_reasons = $reasons,
    b.special = $special
"""

BREACHES = """
MATCH (b:Breach)
WHERE $id IS NULL OR b.id = $id
RETURN b {.id, .description, .scope, .stores, .countries, .outside_eea, .exposed_from,
          .exposed_to, .aware_at, .deadline, .status, .risk, .risk_reasons, .special, .subjects,
          .sizing, .opened_by, .opened_at, .authority_notified_at, .authority_notified_by,
          .authority_reference, .delay_reason, .people_notified_at, .people_notified_by,
          .people_notified_count, .closed_at, .closed_by, .closure_note} AS breach
ORDER BY breach.aware_at DESC, breach.id DESC
"""

# What a notification or a closure is judged from; read and written in one transaction.
BREACH_FACTS = """
MATCH (b:Breach {id: $id})
RETURN b.status AS status, b.deadline AS deadline, b.authority_notified_at AS authority_notified_at,
       b.subjects AS subjects
"""

NOTIFY_AUTHORITY = """
MATCH (b:Breach {id: $id})
SET b.authority_notified_at = $at, b.authority_notified_by = $by, b.authority_reference = $reference,
    b.delay_reason = $delay_reason
"""

NOTIFY_PEOPLE = """
MATCH (b:Breach {id: $id})
SET b.people_notified_at = $at, b.people_notified_by = $by, b.people_notified_count = $count
"""

CLOSE_BREACH = """
MATCH (b:Breach {id: $id})
SET b.status = 'closed', b.closed_at = $at, b.closed_by = $by, b.closure_note = $note
"""

AFFECTED_SUBJECTS = """
MATCH (:Breach {id: $id})-[a:AFFECTS]->(s:Subject)
RETURN s.key AS subject, a.stores AS stores, a.types AS types, a.categories AS categories
ORDER BY subject
"""

# The scheduled check's input: open breaches the authority has not been told of yet.
AWAITING_AUTHORITY = """
MATCH (b:Breach {status: 'open'}) WHERE b.authority_notified_at IS NULL
RETURN b.id AS id, b.status AS status, b.stores AS stores, b.deadline AS deadline,
       b.risk AS risk, b.authority_notified_at AS authority_notified_at
ORDER BY deadline, id
"""


def open_breach(
    driver: Driver,
    database: str,
    scope: Scope,
    scope_label: str,
    exposed: Window,
    description: str,
    outside_eea: list[str],
    opened_by: str,
    now: datetime,
) -> str:
    """Records the breach, links everyone it exposed, judges its risk; returns its id. One
    transaction, so the breach is never seen unsized."""
    breach_id = new_breach_id()
    with driver.session(database=database) as session:
        session.execute_write(
            _open, breach_id, scope, scope_label, exposed, description, outside_eea, opened_by, now
        )
    return breach_id


def _open(
    tx: ManagedTransaction,
    breach_id: str,
    scope: Scope,
    scope_label: str,
    exposed: Window,
    description: str,
    outside_eea: list[str],
    opened_by: str,
    now: datetime,
) -> None:
    tx.run(
        CREATE_BREACH,
        id=breach_id,
        description=description,
        scope=scope_label,
        stores=sorted(scope.stores),
        countries=list(scope.countries),
        outside_eea=outside_eea,
        exposed_from=fixed_offset(exposed.start),
        exposed_to=fixed_offset(exposed.end),
        aware_at=fixed_offset(exposed.aware_at),
        deadline=fixed_offset(notification_deadline(exposed.aware_at)),
        opened_by=opened_by,
        opened_at=fixed_offset(now),
    ).consume()
    tx.run(LINK_EXPOSED, id=breach_id).consume()
    size = tx.run(SIZE, id=breach_id).single(strict=True).data()
    sizing = {name: dict(size[name]) for name in ("by_type", "by_category", "by_store")}
    risk: Risk = assess_risk(size["subjects"], sizing["by_category"], outside_eea)
    tx.run(
        SET_RISK,
        id=breach_id,
        subjects=size["subjects"],
        sizing=json.dumps(sizing, sort_keys=True),
        risk=risk.level.value,
        reasons=list(risk.reasons),
        special=[f"{c} ({a})" for c, a in special_categories(sizing["by_category"]).items()],
    ).consume()


def breaches(driver: Driver, database: str, breach_id: str | None = None) -> list[dict[str, Any]]:
    """Breaches (one, or all, latest awareness first), as recorded, the sizing decoded."""
    records, _, _ = driver.execute_query(
        BREACHES, id=breach_id, database_=database, routing_=RoutingControl.READ
    )
    found = [plain(record["breach"]) for record in records]
    return [b | {"sizing": json.loads(b["sizing"] or "{}")} for b in found]


def record_authority(
    driver: Driver,
    database: str,
    breach_id: str,
    reference: str | None,
    delay_reason: str | None,
    by: str,
    now: datetime,
) -> bool:
    """Records the notification to the supervisory authority; False if no such breach."""
    with driver.session(database=database) as session:
        return session.execute_write(_authority, breach_id, reference, delay_reason, by, now)


def _authority(
    tx: ManagedTransaction,
    breach_id: str,
    reference: str | None,
    delay_reason: str | None,
    by: str,
    now: datetime,
) -> bool:
    found = tx.run(BREACH_FACTS, id=breach_id).single()
    if found is None:
        return False
    notified = notify_authority(
        found["status"],
        found["deadline"].to_native(),
        found["authority_notified_at"],
        reference,
        delay_reason,
        by,
        now,
    )
    tx.run(
        NOTIFY_AUTHORITY,
        id=breach_id,
        at=fixed_offset(notified.at),
        by=notified.by,
        reference=notified.reference,
        delay_reason=notified.delay_reason,
    ).consume()
    return True


def record_people(
    driver: Driver, database: str, breach_id: str, count: int | None, by: str, now: datetime
) -> bool:
    """Records that the people were told (Art. 34), how many; False if no such breach."""
    with driver.session(database=database) as session:
        return session.execute_write(_people, breach_id, count, by, now)


def _people(tx: ManagedTransaction, breach_id: str, count: int | None, by: str, now: datetime) -> bool:
    found = tx.run(BREACH_FACTS, id=breach_id).single()
    if found is None:
        return False
    told = people_told(found["status"], count, found["subjects"] or 0)
    tx.run(NOTIFY_PEOPLE, id=breach_id, at=fixed_offset(now), by=by, count=told).consume()
    return True


def close_breach(driver: Driver, database: str, breach_id: str, text: str, by: str, now: datetime) -> bool:
    """Closes a breach with its note; False if no such breach."""
    with driver.session(database=database) as session:
        return session.execute_write(_close, breach_id, text, by, now)


def _close(tx: ManagedTransaction, breach_id: str, text: str, by: str, now: datetime) -> bool:
    found = tx.run(BREACH_FACTS, id=breach_id).single()
    if found is None:
        return False
    closing = close(found["status"], text)
    tx.run(CLOSE_BREACH, id=breach_id, at=fixed_offset(now), by=by, note=closing).consume()
    return True


def affected_subjects(driver: Driver, database: str, breach_id: str) -> list[dict[str, Any]]:
    """The keyed hash of every person the breach exposed, with where and what."""
    records, _, _ = driver.execute_query(
        AFFECTED_SUBJECTS, id=breach_id, database_=database, routing_=RoutingControl.READ
    )
    return [plain(record.data()) for record in records]


def awaiting_authority(driver: Driver, database: str) -> list[dict[str, Any]]:
    """Open breaches the authority has not been told of: the deadline alerts' input."""
    records, _, _ = driver.execute_query(AWAITING_AUTHORITY, database_=database, routing_=RoutingControl.READ)
    return [plain(record.data()) for record in records]
