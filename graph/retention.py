"""Expiry per holding: moments read from the graph, rules applied by the domain, results written.

The domain (``lineage.domain.retention``) decides; this module only moves rows. Expiries are
recomputed for every holding of the subjects a batch touched (in the batch's transaction), and
for whole stores when the catalog's rules change, so an expiry is always the current catalog
applied to the current moments, never an increment that could drift.

This module owns the statements that read expiry inputs (by target, by store), write expiries
(SET_EXPIRY), record which rules each store's expiries were computed from (its retention
fingerprint), and answer what expires (EXPIRING_PAGE) and what is overdue (OVERDUE). The expiry
inputs' columns belong to :mod:`graph.holdings`, whose write returns them too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from neo4j import AsyncManagedTransaction, Driver, RoutingControl

from graph.holdings import EXPIRY_INPUT_RETURN, expiry_inputs
from graph.holds import ACTIVE_HOLDS_ON_HOLDING, SCOPED_HOLDS_IN_FORCE
from graph.reader import plain
from lineage.domain.catalog import Catalog
from lineage.domain.retention import (
    Expiry,
    HoldingClock,
    Moment,
    RetentionPolicy,
    retention_fingerprint,
)

PAGE = 5000
YIELD_EVERY = 200  # expiries computed between yields to the event loop, inside a batch

# What the retention computation needs about every holding of some subjects (or stores).
_WITH_EXPIRY_INPUTS = (
    """
OPTIONAL MATCH (s)-[c:CLOCK]->(st)
WITH h, st, c"""
    + EXPIRY_INPUT_RETURN
    + "\n"
)

# Targets: {subject, store, category, always, event_id}; a null category means every holding in
# the store, a null store every holding of the subject (after a merge). A target not ``always``
# is refreshed only if its expiry was never computed or this event is now its first sighting.
# A target names its holding (an id seek), a store (an id prefix seek) or only the subject:
# never every holding of the subject, filtered.
EXPIRY_INPUTS_OF_TARGETS = (
    """
UNWIND $targets AS t
MATCH (:Identifier {key: t.subject})-[:IDENTIFIES]->(s:Subject)
CALL (s, t) {
  WITH s, t WHERE t.category IS NOT NULL
  MATCH (h:Holding {id: s.key + '|' + t.store + '|' + t.category})
  RETURN h
UNION
  WITH s, t WHERE t.category IS NULL AND t.store IS NOT NULL
  MATCH (h:Holding) WHERE h.id STARTS WITH s.key + '|' + t.store + '|'
  RETURN h
UNION
  WITH s, t WHERE t.store IS NULL
  MATCH (s)-[:HAS_HOLDING]->(h:Holding)
  RETURN h
}
MATCH (s)-[:HAS_HOLDING]->(h)-[:IN_STORE]->(st:Store)
WHERE (t.store IS NULL OR st.id = t.store)
  AND (t.always OR h.expiry_checked IS NULL OR h.first_event = t.event_id)
WITH DISTINCT s, h, st
"""
    + _WITH_EXPIRY_INPUTS
)

EXPIRY_INPUTS_IN_STORE = (
    """
MATCH (st:Store {id: $store})<-[:IN_STORE]-(h:Holding)<-[:HAS_HOLDING]-(s:Subject)
WHERE h.id > $after
WITH st, h, s ORDER BY h.id LIMIT $limit
"""
    + _WITH_EXPIRY_INPUTS
)

# What each store's expiries were last computed from (lineage.domain.retention
# .retention_fingerprint), set once a store's recomputation is complete.
STORE_FINGERPRINTS = """
MATCH (st:Store) WHERE EXISTS { (st)<-[:IN_STORE]-(:Holding) }
RETURN st.id AS id, st.retention_fingerprint AS fingerprint
"""

EMPTY_STORE_FINGERPRINTS = """
MATCH (st:Store) WHERE NOT EXISTS { (st)<-[:IN_STORE]-(:Holding) }
RETURN st.id AS id, st.retention_fingerprint AS fingerprint
"""

SET_STORE_FINGERPRINT = """
MATCH (st:Store {id: $store})
SET st.retention_fingerprint = $fingerprint
"""

_SET_EXPIRY = """SET h.expires_at = CASE WHEN row.expires_at IS NULL THEN null
                        ELSE datetime({epochMillis: row.expires_at}) END,
    h.retention_rule = row.rule, h.retention_trigger = row.trigger,
    h.retention_moment = row.moment, h.expiry_event = row.event_id,
    h.legal_obligation = row.legal_obligation, h.legal_rule = row.legal_rule,
    h.legal_until = CASE WHEN row.legal_until IS NULL THEN null
                         ELSE datetime({epochMillis: row.legal_until}) END,
    h.expiry_action = row.action,
    h.archive_until = CASE WHEN row.archive_until IS NULL THEN null
                           ELSE datetime({epochMillis: row.archive_until}) END,
    h.expiry_checked = true
"""
SET_EXPIRY = (
    """
UNWIND $rows AS row
MATCH (h:Holding {id: row.id})
"""
    + _SET_EXPIRY
)
# Inside the transaction that read the holdings: found by element id, no index seek (an
# element id is only known stable within its transaction).
SET_EXPIRY_IN_BATCH = (
    """
UNWIND $rows AS row
MATCH (h:Holding) WHERE elementId(h) = row.node
"""
    + _SET_EXPIRY
)


def holding_clock(row: dict[str, Any]) -> HoldingClock:
    """One EXPIRY_INPUTS row as the domain's view of a holding. Times come as epoch ms: Bolt
    DateTimes cost the driver more to unpack than the whole query."""
    moments: dict[Moment, tuple[datetime, str]] = {}
    for moment in Moment:
        ms = row.get(f"{moment.value}_ms")
        if ms is not None:
            moments[moment] = (datetime.fromtimestamp(ms / 1000, UTC), row.get(f"{moment.value}_event") or "")
    return HoldingClock(
        store=row["store"],
        system=None,
        category=row["category"],
        purposes=tuple(row.get("purposes") or ()),
        moments=moments,
        subject_type=row.get("subject_type"),
    )  # rules may differ per subject type


def as_inputs(values: list[list[Any]]) -> list[dict[str, Any]]:
    """The expiry input lists a query collected, as rows by column name."""
    return [expiry_inputs(row) for row in values]


def expiry_row(holding_id: str, expiry: Expiry | None, node: str | None = None) -> dict[str, Any]:
    if expiry is None:  # no rule covers it: every retention property is removed
        return {
            "id": holding_id,
            "node": node,
            "expires_at": None,
            "rule": None,
            "trigger": None,
            "moment": None,
            "event_id": None,
            "legal_obligation": None,
            "legal_rule": None,
            "legal_until": None,
            "action": None,
            "archive_until": None,
        }
    return {
        "id": holding_id,
        "node": node,
        "expires_at": _ms(expiry.at),
        "rule": expiry.rule,
        "trigger": expiry.trigger.value,
        "moment": expiry.moment.value if expiry.moment else None,
        "event_id": expiry.event_id,
        "legal_obligation": expiry.legal_obligation,
        "legal_rule": expiry.legal_rule,
        "legal_until": _ms(expiry.legal_until),
        "action": expiry.action.value,
        "archive_until": _ms(expiry.archive_until),
    }


def _ms(at: datetime | None) -> int | None:
    return None if at is None else int(at.timestamp() * 1000)


# The legal period is compared too: a longer ordinary rule can leave expires_at as it was while
# the legal obligation under it moves (a new invoice), and erasure answers from legal_until.
_COMPARED = (
    ("expires_at", "current_expires_at"),
    ("rule", "current_rule"),
    ("moment", "current_moment"),
    ("event_id", "current_event_id"),
    ("legal_rule", "current_legal_rule"),
    ("legal_until", "current_legal_until"),
    ("action", "current_action"),
    ("archive_until", "current_archive_until"),
)


def expiry_rows(policy: RetentionPolicy, inputs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose expiry differs from what the holding has: most writes of a batch leave
    most expiries as they were, and rewriting them all would multiply the batch's writes."""
    rows = (
        (expiry_row(row["id"], policy.expiry(holding_clock(row)), row.get("node")), row) for row in inputs
    )
    return [
        new
        for new, old in rows
        if old.get("current_checked") is None
        or any(new[field] != old.get(current) for field, current in _COMPARED)
    ]


async def refresh_targets(
    tx: AsyncManagedTransaction,
    policy: RetentionPolicy,
    targets: list[dict[str, Any]],
    known: Sequence[dict[str, Any]] = (),
) -> None:
    """Inside a batch's transaction: recompute the holdings the batch may have changed, from
    the ``known`` inputs (returned by the holding write) and those of ``targets``, read now."""
    inputs = {row["id"]: row for row in known}
    if targets:
        result = await tx.run(EXPIRY_INPUTS_OF_TARGETS, targets=targets)
        inputs |= {row["id"]: row for row in as_inputs((await result.single(strict=True))["inputs"])}
    ordered = list(inputs.values())
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ordered), YIELD_EVERY):  # the worker's loop serves alerts meanwhile
        rows += expiry_rows(policy, ordered[start : start + YIELD_EVERY])
        await asyncio.sleep(0)
    if rows:
        await (await tx.run(SET_EXPIRY_IN_BATCH, rows=rows)).consume()


def stale_stores(driver: Driver, database: str, catalog: Catalog) -> list[str]:
    """The stores holding data whose expiries were computed from other rules than the catalog's
    (or never recorded as computed): only those need recomputing."""
    records, _, _ = driver.execute_query(STORE_FINGERPRINTS, database_=database)
    return sorted(r["id"] for r in records if r["fingerprint"] != retention_fingerprint(catalog, r["id"]))


def recompute_stores(
    driver: Driver, database: str, catalog: Catalog, stores: Iterable[str] | None = None
) -> int:
    """Recompute the expiry of every holding in ``stores`` (the stale ones when None), by pages.
    Each store's fingerprint is recorded once all its holdings are done (an interrupted
    recomputation is taken up again at the next start), and so are the catalog's stores that
    hold nothing yet: what the worker writes there is computed with these rules."""
    policy = RetentionPolicy(catalog)
    stores = stale_stores(driver, database, catalog) if stores is None else sorted(stores)
    done = 0
    for store in stores:
        done += _recompute_store(driver, database, policy, store)
        mark_computed(driver, database, catalog, [store])
    mark_computed(driver, database, catalog, _unmarked_empty_stores(driver, database, catalog))
    return done


def _unmarked_empty_stores(driver: Driver, database: str, catalog: Catalog) -> list[str]:
    records, _, _ = driver.execute_query(EMPTY_STORE_FINGERPRINTS, database_=database)
    return [r["id"] for r in records if r["fingerprint"] != retention_fingerprint(catalog, r["id"])]


def mark_computed(driver: Driver, database: str, catalog: Catalog, stores: Iterable[str]) -> None:
    """Record ``stores``' expiries as computed from ``catalog`` (by a loader that computed them
    with the same domain rules), so no worker start recomputes them."""
    for store in sorted(stores):
        driver.execute_query(
            SET_STORE_FINGERPRINT,
            store=store,
            fingerprint=retention_fingerprint(catalog, store),
            database_=database,
        )


def _recompute_store(driver: Driver, database: str, policy: RetentionPolicy, store: str) -> int:
    done, after = 0, ""
    while True:
        records, _, _ = driver.execute_query(
            EXPIRY_INPUTS_IN_STORE, store=store, after=after, limit=PAGE, database_=database
        )
        inputs = as_inputs(records[0]["inputs"])
        if not inputs:
            return done
        rows = expiry_rows(policy, inputs)
        if rows:
            driver.execute_query(SET_EXPIRY, rows=rows, database_=database)
        done += len(rows)
        after = inputs[-1]["id"]


# --- reads: what expires, what is overdue ------------------------------------------------

# A holding's retention state at $now (lineage.domain.retention.retention_state, with the
# horizon $before): an archive rule's holding is archive_due before the end of its active
# period, archived after it, and overdue only past the end of its archive.
_STATE = """CASE WHEN coalesce(h.archive_until, h.expires_at) <= $now THEN 'overdue'
            WHEN h.archive_until IS NULL THEN 'active'
            WHEN h.expires_at <= $now THEN 'archived'
            ELSE 'archive_due' END"""

# Held data whose active period ends before $before (with the filters), and the holds on each
# holding, but for archived data whose archive outlasts $before (nothing is due for it by then).
# The holdings come from the expires_at index in expiry order (a range seek: only what expires
# before $before is read, never every holding of every store), one page at a time: from
# $from_at, skipping the $skip first (those the previous page returned at exactly that time),
# at most $limit. A cursor is a time and a count, so it names nobody.
EXPIRING_PAGE = (
    SCOPED_HOLDS_IN_FORCE
    + """CALL () {
  MATCH (h:Holding) USING INDEX h:Holding(expires_at)
  WHERE h.expires_at >= $from_at AND h.expires_at < $before AND h.state = 'held'
    AND NOT (h.expires_at <= $now AND coalesce(h.archive_until >= $before, false))
    AND ($category IS NULL OR h.category = $category OR h.category STARTS WITH $category + '.')
    AND ($subject_type IS NULL OR h.subject_type = $subject_type)
  WITH h ORDER BY h.expires_at, h.id SKIP $skip LIMIT $limit
  RETURN collect(h) AS page
}
WITH scoped_holds, page, CASE WHEN size(page) = $limit THEN page[-1].expires_at END AS next_at
WITH scoped_holds, page, next_at,
     size([x IN page WHERE x.expires_at = next_at])
       + CASE WHEN next_at = $from_at THEN $skip ELSE 0 END AS next_skip
CALL (page, scoped_holds) {
  UNWIND page AS h
  MATCH (s:Subject)-[:HAS_HOLDING]->(h)-[:IN_STORE]->(st:Store)
  WHERE $store IS NULL OR st.id = $store
  WITH s, h, st, """
    + ACTIVE_HOLDS_ON_HOLDING
    + """ AS holds
  WITH st.id AS store, h.category AS category, h.subject_type AS subject_type,
       h.retention_rule AS rule, size(holds) > 0 AS held, h.expires_at AS expires_at, s, holds,
       coalesce(h.expiry_action, 'delete') AS action, h.archive_until AS archive_until,
       """
    + _STATE
    + """ AS state
  WITH store, category, subject_type, rule, held, action, state, count(*) AS holdings,
       count(DISTINCT s) AS subjects, min(expires_at) AS earliest, max(expires_at) AS latest,
       min(archive_until) AS archive_until,
       sum(CASE WHEN state = 'overdue' THEN 1 ELSE 0 END) AS overdue,
       reduce(acc = [], x IN collect(holds) | acc + [r IN x WHERE NOT r IN acc]) AS held_by,
       collect(DISTINCT CASE WHEN NOT held THEN s END) AS people
  ORDER BY held, earliest, store, category, state
  WITH collect({store: store, category: category, subject_type: subject_type, rule: rule,
                held: held, action: action, state: state, holdings: holdings,
                subjects: subjects, earliest: earliest, latest: latest,
                archive_until: archive_until, overdue: overdue, held_by: held_by}) AS groups,
       collect(people) AS people
  CALL (people) {
    UNWIND people AS group_people
    UNWIND group_people AS person
    RETURN count(DISTINCT person) AS subjects
  }
  RETURN groups, subjects
}
RETURN groups, subjects, next_at, next_skip
"""
)

# Overdue and not held, per (store, rule): the flows of overdue-retention alerts. Run by the
# worker every minute, so it reads only holdings past their active period, from the expires_at
# index; an archive rule's holding is overdue only past the end of its archive.
OVERDUE = (
    SCOPED_HOLDS_IN_FORCE
    + """MATCH (h:Holding) USING INDEX h:Holding(expires_at)
WHERE h.expires_at <= $now AND h.state = 'held'
  AND (h.archive_until IS NULL OR h.archive_until <= $now)
MATCH (s:Subject)-[:HAS_HOLDING]->(h)-[:IN_STORE]->(st:Store)
WITH s, h, st, """
    + ACTIVE_HOLDS_ON_HOLDING
    + """ AS holds
WHERE size(holds) = 0
RETURN st.id AS store, h.retention_rule AS rule, s.key AS subject,
       max(coalesce(h.archive_until, h.expires_at)).epochMillis AS expired_at_ms
"""
)

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ExpiringPage:
    """Groups of one page of holdings in expiry order, the distinct people in them (held data
    left out), and where the next page starts (None: this was the last)."""

    groups: list[dict[str, Any]]
    subjects: int
    next_at: datetime | None
    next_skip: int


def expiring_page(
    driver: Driver,
    database: str,
    before: datetime,
    now: datetime,
    store: str | None = None,
    category: str | None = None,
    subject_type: str | None = None,
    limit: int | None = None,
    from_at: datetime = EARLIEST,
    skip: int = 0,
) -> ExpiringPage:
    """One page of at most ``limit`` holdings (all of them when None), grouped."""
    records, _, _ = driver.execute_query(
        EXPIRING_PAGE,
        before=before,
        now=now,
        store=store,
        category=category,
        subject_type=subject_type,
        limit=limit if limit is not None else 2**62,
        from_at=from_at,
        skip=skip,
        database_=database,
        routing_=RoutingControl.READ,
    )
    row = records[0]
    next_at = row["next_at"].to_native() if row["next_at"] is not None else None
    return ExpiringPage(plain(row["groups"]), int(row["subjects"]), next_at, int(row["next_skip"]))


def overdue(driver: Driver, database: str, now: datetime) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(OVERDUE, now=now, database_=database, routing_=RoutingControl.READ)
    return [plain(r.data()) for r in records]
