"""Counts of held data kept beside the graph, so store-wide answers read hundreds of rows, not
millions of holdings.

Transfer impact and the record of processing count every held holding of most stores: on a
large graph, tens of seconds whatever the index. They only need two aggregates:

- ``(:HeldCount {store, subject_type, category, holdings})``: held holdings per kind. A holding
  is one person's category in one store, so this is also the people per kind.
- ``(:StoreSetCount {stores, subjects})``: people per set of stores they have data held in.
  People in a set of stores = the sets that meet it; people in one store = the sets holding it.
  Real populations fall into few such sets (the demo's seven profiles give seven).

How they stay right without slowing the record transaction:

- Each record transaction appends one ``(:TallyQueue {keys})`` node naming the people whose
  held kinds it may have changed (a new holding, a holding erased or revived, a merge; not a
  sighting of what is held already). Appending conflicts with nothing, so concurrent workers
  never wait on a counter.
- :func:`refresh` (the worker, every ``tally_refresh_s``) takes a lock, recounts the queued
  people from their holdings, and moves the counts by the difference between that and what
  each person contributed before (``(:Tally {subject, kinds})``). A recount is idempotent, so a
  person queued twice, or recounted by the first pass over an older graph, is counted once.
- Readers add the queue that is not yet refreshed to the counts they read, so an answer is
  exact the moment its events are stored, and retry when a refresh committed mid-read.

Until the first pass over a graph that predates the counts is done, readers say so (``None``)
and callers fall back to scanning the holdings.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from neo4j import AsyncManagedTransaction, Driver, ManagedTransaction

from graph.fragments import write_lock

log = logging.getLogger(__name__)

SEP = "\x1f"  # between store, subject type and category in a kind: in no id of the catalog
FIRST_PASS_PAGE = 10_000  # people a transaction in the first pass over an older graph
QUEUED_PER_REFRESH = 20  # queued batches a refresh transaction folds (up to ~20,000 people)
BOOKKEEPING_LABELS = ("Tally", "TallyQueue", "TallyState", "HeldCount", "StoreSetCount")

# --- write side ----------------------------------------------------------------------------

ENQUEUE = "CREATE (:TallyQueue {keys: $keys})"


async def enqueue(tx: AsyncManagedTransaction, keys: list[str]) -> None:
    """In a record transaction: queue the people it touched for the next refresh."""
    await (await tx.run(ENQUEUE, keys=keys)).consume()


_LOCK = (
    """
CALL () { MATCH (s:Subject) RETURN count(s) = 0 AS empty }
MERGE (t:TallyState {id: 'tally'})
  ON CREATE SET t.initialised = empty, t.cursor = '', t.version = 0
"""
    + write_lock("t")
    + """RETURN t.initialised AS initialised, t.cursor AS cursor
"""
)

_QUEUED = "MATCH (q:TallyQueue) WITH q LIMIT $limit RETURN elementId(q) AS id, q.keys AS keys"

_NEXT_SUBJECTS = """
MATCH (s:Subject) WHERE s.key > $after
RETURN s.key AS key ORDER BY key LIMIT $limit
"""

# A queued key is an identifier's (events name people by them; a subject's key is its smallest
# identifier's). It names the person it identifies now, and itself: a subject folded into another
# keeps its key only in its old Tally, which must leave the counts.
_RESOLVE = """
UNWIND $keys AS k
OPTIONAL MATCH (:Identifier {key: k})-[:IDENTIFIES]->(s:Subject)
RETURN collect(DISTINCT s.key) AS subjects
"""

_STATE = f"""
UNWIND $keys AS k
OPTIONAL MATCH (s:Subject {{key: k}})
OPTIONAL MATCH (t:Tally {{subject: k}})
WITH k, s, t WHERE s IS NOT NULL OR t IS NOT NULL
CALL (s) {{
  OPTIONAL MATCH (s)-[:HAS_HOLDING]->(h:Holding {{state: 'held'}})-[:IN_STORE]->(st:Store)
  RETURN collect(DISTINCT st.id + '{SEP}' + h.subject_type + '{SEP}' + h.category) AS kinds
}}
RETURN k AS subject, coalesce(t.kinds, []) AS counted, kinds
"""

_MOVE_HELD = """
UNWIND $rows AS row
MERGE (c:HeldCount {id: row.id})
  ON CREATE SET c.store = row.store, c.subject_type = row.subject_type, c.category = row.category,
                c.holdings = 0
SET c.holdings = c.holdings + row.delta
WITH c WHERE c.holdings = 0
DELETE c
"""

_MOVE_SETS = """
UNWIND $rows AS row
MERGE (c:StoreSetCount {id: row.id})
  ON CREATE SET c.stores = row.stores, c.subjects = 0
SET c.subjects = c.subjects + row.delta
WITH c WHERE c.subjects = 0
DELETE c
"""

_SET_TALLIES = """
UNWIND $rows AS row
MERGE (t:Tally {subject: row.subject})
SET t.kinds = row.kinds
"""

_DROP_TALLIES = "UNWIND $subjects AS k MATCH (t:Tally {subject: k}) DELETE t"

_DEQUEUE = "UNWIND $ids AS id MATCH (q:TallyQueue) WHERE elementId(q) = id DELETE q"

_FINISH = """
MATCH (t:TallyState {id: 'tally'})
SET t.version = t.version + 1, t.initialised = $initialised, t.cursor = $cursor
"""

# --- read side -----------------------------------------------------------------------------

_VERSION = "MATCH (t:TallyState {id: 'tally'}) RETURN t.initialised AS initialised, t.version AS version"
_HELD_COUNTS = """
MATCH (c:HeldCount)
RETURN c.store AS store, c.subject_type AS type, c.category AS category, c.holdings AS n
"""
_SET_COUNTS = "MATCH (c:StoreSetCount) RETURN c.stores AS stores, c.subjects AS n"
_ALL_QUEUED = "MATCH (q:TallyQueue) UNWIND q.keys AS k RETURN collect(DISTINCT k) AS keys"


@dataclass(frozen=True)
class Recount:
    """One person: the kinds their Tally contributed, and the kinds held now."""

    subject: str
    counted: Sequence[str]
    held: Sequence[str]


@dataclass
class Deltas:
    held: Counter[str] = field(default_factory=Counter)
    sets: Counter[tuple[str, ...]] = field(default_factory=Counter)

    def add(self, recount: Recount) -> None:
        self.held.update(recount.held)
        self.held.subtract(recount.counted)
        before, after = stores_of(recount.counted), stores_of(recount.held)
        if before != after:
            if before:
                self.sets[before] -= 1
            if after:
                self.sets[after] += 1


def stores_of(kinds: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({kind.split(SEP, 1)[0] for kind in kinds}))


def deltas(recounts: Iterable[Recount]) -> Deltas:
    """How far the counts move when each person's contribution becomes what they hold now."""
    moved = Deltas()
    for recount in recounts:
        moved.add(recount)
    return moved


# --- refresh -------------------------------------------------------------------------------


def refresh(driver: Driver, database: str, limit: int = QUEUED_PER_REFRESH) -> int:
    """One refresh transaction: the first pass's next page of people over a graph that predates
    the counts, else up to ``limit`` queued batches. Returns how many people it recounted."""
    with driver.session(database=database) as session:
        return session.execute_write(_refresh, limit)


def refresh_all(driver: Driver, database: str, limit: int = QUEUED_PER_REFRESH) -> int:
    """Refresh until nothing is left: after a bulk load, and in tests."""
    total = 0
    while done := refresh(driver, database, limit):
        total += done
    return total


def _refresh(tx: ManagedTransaction, limit: int) -> int:
    state = tx.run(_LOCK).single(strict=True)
    if not state["initialised"]:
        page = [r["key"] for r in tx.run(_NEXT_SUBJECTS, after=state["cursor"], limit=FIRST_PASS_PAGE)]
        _recount(tx, page)
        finished = len(page) < FIRST_PASS_PAGE
        tx.run(_FINISH, initialised=finished, cursor=page[-1] if page else state["cursor"]).consume()
        if page:
            return len(page)
    queued = [r.data() for r in tx.run(_QUEUED, limit=limit)]
    if not queued:
        return 0
    keys = {k for q in queued for k in q["keys"]}
    recounted = _recount(tx, sorted(keys))
    tx.run(_DEQUEUE, ids=[q["id"] for q in queued]).consume()
    tx.run(_FINISH, initialised=True, cursor=state["cursor"]).consume()
    return max(recounted, 1)


def _recount(tx: ManagedTransaction, keys: list[str]) -> int:
    recounts = _recounts(tx, keys)
    moved = deltas(recounts)
    tx.run(_MOVE_HELD, rows=_held_rows(moved.held)).consume()
    tx.run(_MOVE_SETS, rows=_set_rows(moved.sets)).consume()
    tx.run(
        _SET_TALLIES, rows=[{"subject": r.subject, "kinds": sorted(r.held)} for r in recounts if r.held]
    ).consume()
    tx.run(_DROP_TALLIES, subjects=[r.subject for r in recounts if not r.held and r.counted]).consume()
    return len(recounts)


def _recounts(tx: Any, keys: list[str]) -> list[Recount]:
    """Works in read and write transactions: the readers compute the same recounts."""
    if not keys:
        return []
    subjects = tx.run(_RESOLVE, keys=keys).single(strict=True)["subjects"]
    every = sorted({*keys, *subjects})
    return [
        Recount(r["subject"], sorted(r["counted"]), sorted(r["kinds"])) for r in tx.run(_STATE, keys=every)
    ]


def _held_rows(held: Counter[str]) -> list[dict[str, Any]]:
    rows = []
    for kind, delta in sorted(held.items()):
        if delta:
            store, subject_type, category = _kind_key(kind)
            rows.append(
                {
                    "id": kind,
                    "store": store,
                    "subject_type": subject_type,
                    "category": category,
                    "delta": delta,
                }
            )
    return rows


def _set_rows(sets: Counter[tuple[str, ...]]) -> list[dict[str, Any]]:
    return [
        {"id": SEP.join(stores), "stores": list(stores), "delta": delta}
        for stores, delta in sorted(sets.items())
        if delta
    ]


_FORGET_SLICE = """
MATCH (n) WHERE any(l IN labels(n) WHERE l IN $labels)
WITH n LIMIT $limit DELETE n RETURN count(n) AS deleted
"""


def forget(driver: Driver, database: str) -> None:
    """Drops the counts, so the next refresh recounts everyone: before a bulk load writes people
    without queueing them."""
    while True:
        records, _, _ = driver.execute_query(
            _FORGET_SLICE, labels=list(BOOKKEEPING_LABELS), limit=50_000, database_=database
        )
        if not records[0]["deleted"]:
            return


# --- read ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """The counts as of one moment: held holdings per (store, subject type, category), and
    people per set of stores."""

    held: dict[tuple[str, str, str], int]
    sets: dict[tuple[str, ...], int]

    def held_in_stores(self, stores: Iterable[str]) -> list[dict[str, Any]]:
        wanted = set(stores)
        return [
            {"store": store, "subject_type": subject_type, "category": category, "subjects": n}
            for (store, subject_type, category), n in sorted(self.held.items())
            if store in wanted and n > 0
        ]

    def subjects_in_stores(self, stores: Iterable[str]) -> int:
        wanted = set(stores)
        return sum(n for held_in, n in self.sets.items() if wanted.intersection(held_in))

    def per_store(self) -> dict[str, dict[str, Any]]:
        """Per store: people, and the subject types and categories held there."""
        out: dict[str, dict[str, Any]] = {}
        for (store, subject_type, category), n in self.held.items():
            if n > 0:
                entry = out.setdefault(store, {"subjects": 0, "subject_types": set(), "categories": set()})
                entry["subject_types"].add(subject_type)
                entry["categories"].add(category)
        for held_in, n in self.sets.items():
            for store in held_in:
                if store in out:
                    out[store]["subjects"] += n
        return out


_SCAN_HELD = """
MATCH (st:Store)<-[:IN_STORE]-(h:Holding {state: 'held'})
WHERE h.subject_type IS NOT NULL AND h.category IS NOT NULL
RETURN st.id AS store, h.subject_type AS type, h.category AS category, count(h) AS n
"""

_SCAN_SETS = """
MATCH (s:Subject)-[:HAS_HOLDING]->(h:Holding {state: 'held'})-[:IN_STORE]->(st:Store)
WHERE h.subject_type IS NOT NULL AND h.category IS NOT NULL
WITH s, collect(DISTINCT st.id) AS stores
RETURN stores, count(s) AS n
"""


def scan_counts(driver: Driver, database: str) -> Counts:
    """The same counts from every held holding: what the kept counts must equal (the scale-out
    and test comparisons; far too slow to answer from on a large graph)."""
    held, _, _ = driver.execute_query(_SCAN_HELD, database_=database)
    sets, _, _ = driver.execute_query(_SCAN_SETS, database_=database)
    by_set: Counter[tuple[str, ...]] = Counter()
    for r in sets:
        by_set[tuple(sorted(r["stores"]))] += r["n"]
    return Counts({(r["store"], r["type"], r["category"]): r["n"] for r in held}, dict(by_set))


def read_counts(driver: Driver, database: str, attempts: int = 3) -> Counts | None:
    """The counts plus what is queued and not yet refreshed; ``None`` before the first pass is
    done (callers scan the holdings instead). Reads again when a refresh committed meanwhile:
    its queue would otherwise be counted twice or not at all."""
    with driver.session(database=database, default_access_mode="READ") as session:
        for _ in range(attempts):
            counts = session.execute_read(_read_counts)
            if counts is not _MOVED:
                return counts if isinstance(counts, Counts) else None
    log.info("tally counts kept moving under %d reads; scanning the holdings instead", attempts)
    return None


_MOVED = object()


def _read_counts(tx: ManagedTransaction) -> Counts | object | None:
    before = tx.run(_VERSION).single()
    if before is None or not before["initialised"]:
        return None
    held = Counter({(r["store"], r["type"], r["category"]): r["n"] for r in tx.run(_HELD_COUNTS)})
    sets = Counter({tuple(r["stores"]): r["n"] for r in tx.run(_SET_COUNTS)})
    pending = deltas(_recounts(tx, tx.run(_ALL_QUEUED).single(strict=True)["keys"]))
    after = tx.run(_VERSION).single()
    if after is None or after["version"] != before["version"]:
        return _MOVED
    held.update({_kind_key(kind): delta for kind, delta in pending.held.items()})
    sets.update(pending.sets)
    return Counts({k: v for k, v in held.items() if v}, {k: v for k, v in sets.items() if v})


def _kind_key(kind: str) -> tuple[str, str, str]:
    store, subject_type, category = kind.split(SEP)
    return store, subject_type, category
