"""The audit trail in the graph: ``(:AuditEntry {seq, ...})`` nodes and one ``(:AuditHead)``.

Appending is one write transaction that first takes the head's write lock (:data:`LOCK_HEAD`),
then reads the last seq and hash from it, creates the next entry and moves the head. Every
appender (each API process, the CLI, the worker) goes through the same lock, so two of them
never both build on the same last entry: the chain cannot fork. The uniqueness constraint on
``AuditEntry.seq`` (``graph.schema``) would refuse a second entry with a seq all the same.

The hash itself is computed by the caller (``build``, from ``lineage.domain.audit``) inside the
transaction: the key never reaches the database. A transaction the driver retries calls
``build`` again with the head it then reads.

Retention (:func:`purge`) removes the oldest entries in the same kind of transaction and moves
the head's anchor to the first entry kept, then appends the purge's own entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from neo4j import READ_ACCESS, Driver, ManagedTransaction, RoutingControl

from graph.fragments import write_lock
from graph.reader import plain

HEAD_ID = "audit"
GENESIS = "0" * 64

_HEAD_FIELDS = """RETURN h.seq AS seq, h.hash AS hash, h.anchor_seq AS anchor_seq,
       h.anchor_hash AS anchor_hash, h.purged AS purged, h.anchor_seal AS anchor_seal
"""

LOCK_HEAD = (
    """
MERGE (h:AuditHead {id: $id})
ON CREATE SET h.seq = 0, h.hash = $genesis, h.anchor_seq = 1, h.anchor_hash = $genesis, h.purged = 0
"""
    + write_lock("h")
    + _HEAD_FIELDS
)

READ_HEAD = (
    """
MATCH (h:AuditHead {id: $id})
"""
    + _HEAD_FIELDS
)

# The head must still be where this transaction read it (it is, under the lock): otherwise no
# row, and the append fails rather than fork the chain.
APPEND_ENTRY = """
MATCH (h:AuditHead {id: $id}) WHERE h.seq = $head_seq AND h.hash = $head_hash
CREATE (e:AuditEntry {seq: $entry.seq, at: $entry.at, actor: $entry.actor, role: $entry.role,
                      kind: $entry.kind, action: $entry.action, target: $entry.target,
                      outcome: $entry.outcome, address: $entry.address,
                      prev_hash: $entry.prev_hash, hash: $entry.hash})
SET h.seq = $entry.seq, h.hash = $entry.hash
RETURN e.seq AS seq
"""

_ENTRY_FIELDS = """RETURN e.seq AS seq, e.at AS at, e.actor AS actor, e.role AS role, e.kind AS kind,
       e.action AS action, e.target AS target, e.outcome AS outcome, e.address AS address,
       e.prev_hash AS prev_hash, e.hash AS hash
"""

# Every entry from the anchor to the head, in seq order (the constraint's index gives the order).
CHAIN = (
    """
MATCH (e:AuditEntry) WHERE e.seq >= $first AND e.seq <= $last
"""
    + _ENTRY_FIELDS
    + "ORDER BY e.seq\n"
)

# ``$action`` matches itself and the actions under it (``request`` matches ``request.open``).
_FILTERS = """
  AND ($actor IS NULL OR e.actor = $actor)
  AND ($action IS NULL OR e.action = $action OR e.action STARTS WITH $action + '.')
  AND ($target IS NULL OR e.target = $target)
  AND ($outcome IS NULL OR e.outcome = $outcome)
  AND ($since IS NULL OR e.at >= $since)
  AND ($until IS NULL OR e.at < $until)
"""

# Newest first, one page: the cursor is the last seq of the page before.
PAGE = (
    """
MATCH (e:AuditEntry) WHERE ($before IS NULL OR e.seq < $before)"""
    + _FILTERS
    + _ENTRY_FIELDS
    + "ORDER BY e.seq DESC\nLIMIT $limit\n"
)

# Oldest first, every entry that matches (exports).
SELECTED = (
    """
MATCH (e:AuditEntry) WHERE e.seq >= 0"""
    + _FILTERS
    + _ENTRY_FIELDS
    + "ORDER BY e.seq\n"
)

# The first entry retention keeps: the oldest not older than the cutoff. Entries before it go,
# even one whose clock ran late, so what is kept is always a whole tail of the chain.
FIRST_KEPT = """
MATCH (e:AuditEntry) WHERE e.at >= $cutoff
RETURN min(e.seq) AS seq
"""

ENTRY_PREV_HASH = """
MATCH (e:AuditEntry {seq: $seq})
RETURN e.prev_hash AS prev_hash
"""

DELETE_BEFORE = """
MATCH (e:AuditEntry) WHERE e.seq < $seq
DELETE e
RETURN count(*) AS deleted
"""

MOVE_ANCHOR = """
MATCH (h:AuditHead {id: $id})
SET h.anchor_seq = $anchor_seq, h.anchor_hash = $anchor_hash, h.purged = $purged, h.anchor_seal = $seal
"""

Head = dict[str, Any]
Entry = dict[str, Any]
Build = Callable[[Head], Entry]
"""Given the locked head, the next entry's properties (its ``at`` a timezone-aware datetime)."""
Seal = Callable[[int, str, int], str]
"""(anchor seq, anchor hash, purged) -> the anchor's seal."""


class ChainMoved(RuntimeError):
    """The head was not where the transaction read it: nothing was written."""


def _locked_head(tx: ManagedTransaction) -> Head:
    record = tx.run(LOCK_HEAD, id=HEAD_ID, genesis=GENESIS).single(strict=True)
    return record.data()


def _append(tx: ManagedTransaction, head: Head, entry: Entry) -> None:
    written = tx.run(
        APPEND_ENTRY, id=HEAD_ID, head_seq=head["seq"], head_hash=head["hash"], entry=entry
    ).single()
    if written is None:
        raise ChainMoved("the audit head moved under its lock")


def append(driver: Driver, database: str, build: Build) -> Entry:
    """Append the entry ``build`` makes from the locked head; returns it as written."""

    def work(tx: ManagedTransaction) -> Entry:
        head = _locked_head(tx)
        entry = build(head)
        _append(tx, head, entry)
        return entry

    with driver.session(database=database, bookmark_manager=driver.execute_query_bookmark_manager) as session:
        return session.execute_write(work)


def head(driver: Driver, database: str) -> Head | None:
    """The head as stored; None before the first entry."""
    records, _, _ = driver.execute_query(
        READ_HEAD, id=HEAD_ID, database_=database, routing_=RoutingControl.READ
    )
    return records[0].data() if records else None


def _stream(driver: Driver, database: str, query: str, params: Mapping[str, Any]) -> Iterator[Entry]:
    with driver.session(
        database=database,
        default_access_mode=READ_ACCESS,
        bookmark_manager=driver.execute_query_bookmark_manager,
    ) as session:
        for record in session.run(query, dict(params)):
            yield plain(record.data())


def chain(driver: Driver, database: str, first: int, last: int) -> Iterator[Entry]:
    """Entries ``first`` to ``last`` in seq order, streamed (a long trail is never held whole)."""
    return _stream(driver, database, CHAIN, {"first": first, "last": last})


def _filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("actor", "action", "target", "outcome", "since", "until")
    return {key: filters.get(key) for key in keys}


def page(
    driver: Driver, database: str, filters: Mapping[str, Any], before: int | None, limit: int
) -> list[Entry]:
    """Up to ``limit`` entries matching ``filters``, newest first, all below seq ``before``."""
    params = {**_filters(filters), "before": before, "limit": limit}
    return list(_stream(driver, database, PAGE, params))


def selected(driver: Driver, database: str, filters: Mapping[str, Any]) -> Iterator[Entry]:
    """Every entry matching ``filters``, oldest first, streamed."""
    return _stream(driver, database, SELECTED, _filters(filters))


def purge(driver: Driver, database: str, cutoff: datetime, seal: Seal, build: Build) -> dict[str, Any]:
    """Remove the entries older than ``cutoff`` (a whole head of the chain), move the anchor to
    the first entry kept, seal it, and append the purge's own entry (``build``, given the head and
    the purge's figures under ``purge``), all in one transaction."""

    def work(tx: ManagedTransaction) -> dict[str, Any]:
        current = _locked_head(tx)
        first_kept = tx.run(FIRST_KEPT, cutoff=cutoff).single(strict=True)["seq"]
        keep_from = current["seq"] + 1 if first_kept is None else first_kept
        deleted, anchor_hash = 0, current["anchor_hash"]
        if keep_from > current["anchor_seq"]:
            if keep_from <= current["seq"]:
                anchor_hash = tx.run(ENTRY_PREV_HASH, seq=keep_from).single(strict=True)["prev_hash"]
            else:
                anchor_hash = current["hash"]
            deleted = tx.run(DELETE_BEFORE, seq=keep_from).single(strict=True)["deleted"]
            purged = current["purged"] + deleted
            tx.run(
                MOVE_ANCHOR,
                id=HEAD_ID,
                anchor_seq=keep_from,
                anchor_hash=anchor_hash,
                purged=purged,
                seal=seal(keep_from, anchor_hash, purged),
            ).consume()
        figures = {
            "deleted": deleted,
            "first_deleted": current["anchor_seq"] if deleted else None,
            "anchor_seq": max(keep_from, current["anchor_seq"]),
            "anchor_hash": anchor_hash,
        }
        entry = build({**current, "purge": figures})
        _append(tx, current, entry)
        return {**figures, "entry": entry}

    with driver.session(database=database, bookmark_manager=driver.execute_query_bookmark_manager) as session:
        return session.execute_write(work)
