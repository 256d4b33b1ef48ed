"""Identity resolution: which identifiers belong to which subject, and merging two subjects.

A person reaches lineage under several identifiers (hashed e-mail, CRM id, ATS id). Each is an
``Identifier`` node pointing at one ``Subject``. An event whose ``subject.links`` joins
identifiers of two subjects merges them. The subject's key is always the smallest identifier
key of the group, so the outcome does not depend on the order events arrive in, and a replay
from offset 0 ends in the same graph.

This module owns the identity statements (locking identifiers and subjects, attaching
identifiers, folding one subject into another), the plan of a batch's changes (pure, without
I/O: :func:`plan_identities`) and the step that applies it in the batch's transaction
(:func:`resolve_identities`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from neo4j import AsyncManagedTransaction

from graph.consent import FOLD_CONSENTS
from graph.fragments import (
    HOLDING_MOMENTS,
    STORE_MOMENTS,
    clock_items,
    fold_sets,
    sorted_union,
    write_lock,
)

# Concurrent batches (several workers, or one worker's parallel transactions) must never plan
# an identity change from a link another one is changing. Each batch first write-locks every
# identifier it names (sorted, created if new: a lock needs a node), then reads where they
# point: no other transaction can move or delete a locked identifier's link, so that read holds
# until commit. A batch that changes identities then locks the subjects involved before reading
# their members: attaching to or deleting a subject needs its lock too. Lock cycles are
# deadlocks, which Neo4j detects and the driver retries (a TransientError).
# Both reads return one record of pairs: the driver builds each record in Python, and a record
# per identifier costs it more than Neo4j spends on the lock.
LOCK_IDENTIFIERS = (
    """
UNWIND $keys AS k
MERGE (i:Identifier {key: k})
"""
    + write_lock("i")
    + """WITH i
MATCH (i)-[:IDENTIFIES]->(s:Subject)
RETURN collect([i.key, s.key]) AS links
"""
)

LOCK_SUBJECTS = """
UNWIND $subjects AS sk
MATCH (s:Subject {key: sk})
""" + write_lock("s")

SUBJECT_MEMBERS = """
UNWIND $subjects AS sk
MATCH (s:Subject {key: sk})<-[:IDENTIFIES]-(i:Identifier)
WITH s, collect(i.key) AS identifiers
RETURN collect([s.key, identifiers]) AS members
"""

ATTACH_IDENTIFIERS = """
UNWIND $rows AS row
MERGE (s:Subject {key: row.winner})
  ON CREATE SET s.types = []
WITH s, row
UNWIND row.identifiers AS k
MERGE (i:Identifier {key: k})
WITH s, i
OPTIONAL MATCH (i)-[old:IDENTIFIES]->(other:Subject) WHERE other <> s
DELETE old
MERGE (i)-[:IDENTIFIES]->(s)
"""

# What points at a person follows them when they turn out to be someone already known (and the
# flows that carried them, their store clocks and holdings, below).
_POINTING_AT_A_PERSON = (
    ("Identifier", "IDENTIFIES"),
    ("Alert", "CONCERNS"),
    ("Hold", "HOLDS"),
    ("Request", "FOR"),
)


def _repoint(label: str, rel: str) -> str:
    return f"CALL (w, l) {{\n  MATCH (x:{label})-[r:{rel}]->(l)\n  DELETE r\n  MERGE (x)-[:{rel}]->(w)\n}}\n"


# Folds subject ``loser`` into ``winner``: holdings of the same store and category combine
# with the same min/max rules the event writes use, then the loser is deleted.
MERGE_SUBJECTS = (
    """
UNWIND $rows AS row
MATCH (w:Subject {key: row.winner}), (l:Subject {key: row.loser})
SET w.types = """
    + sorted_union("coalesce(w.types, [])", "coalesce(l.types, [])")
    + """
WITH w, l
"""
    + "".join(_repoint(label, rel) for label, rel in _POINTING_AT_A_PERSON)
    + """CALL (w, l) {
  MATCH (l)-[m:MOVED]->(dst:Store)
  MERGE (w)-[:MOVED {src: m.src}]->(dst)
  DELETE m
}
CALL (w, l) {
  MATCH (l)-[lc:CLOCK]->(st:Store)
  MERGE (w)-[wc:CLOCK]->(st)
  SET wc.erasure = CASE WHEN lc.erased_at IS NOT NULL
                             AND (wc.erased_at IS NULL OR lc.erased_at > wc.erased_at)
                        THEN lc.erasure ELSE wc.erasure END
  """
    + fold_sets("wc", "lc", (*STORE_MOMENTS, "erased", "consent_withdrawn"))
    + """
  DELETE lc
  WITH w, st, wc
  MATCH (w)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st)
  WHERE wc.erased_at IS NOT NULL OR wc.consent_withdrawn_at IS NOT NULL
  SET """
    + clock_items("h", "wc")
    + """
  SET h.state = CASE WHEN h.erased_at IS NOT NULL AND h.erased_at >= h.last_seen
                     THEN h.erasure ELSE 'held' END
}
CALL (w, l) {
  MATCH (l)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store)
  MERGE (n:Holding {id: w.key + '|' + st.id + '|' + h.category})
    ON CREATE SET n.category = h.category, n.subject_type = h.subject_type,
                  n.first_seen = h.first_seen, n.last_seen = h.last_seen, n.purposes = [],
                  n.last_event_at = h.last_event_at, n.last_event_id = h.last_event_id,
                  n.first_event = h.first_event, n.tombstone = h.tombstone
  MERGE (w)-[:HAS_HOLDING]->(n)
  MERGE (n)-[:IN_STORE]->(st)
  WITH w, h, n, st,
       coalesce(n.tombstone, false) AND NOT coalesce(h.tombstone, false) AS sighted_only_in_h,
       coalesce(h.tombstone, false) AND NOT coalesce(n.tombstone, false) AS sighted_only_in_n
  // A tombstone's times are its deletion's, not a sighting: the sighted side wins outright.
  WITH *, sighted_only_in_h OR (NOT sighted_only_in_n
            AND (h.first_seen < n.first_seen
                 OR (h.first_seen = n.first_seen AND h.first_event < n.first_event))) AS h_first
  SET n.subject_type = CASE WHEN h_first THEN h.subject_type ELSE n.subject_type END,
      n.first_event = CASE WHEN h_first THEN h.first_event ELSE n.first_event END
  """
    + fold_sets("n", "h", HOLDING_MOMENTS)
    + """
  SET n.first_seen = CASE WHEN h_first THEN h.first_seen ELSE n.first_seen END,
      n.last_seen = CASE WHEN sighted_only_in_h THEN h.last_seen
                         WHEN sighted_only_in_n THEN n.last_seen
                         WHEN n.tombstone THEN n.first_seen
                         WHEN h.last_seen > n.last_seen THEN h.last_seen ELSE n.last_seen END,
      n.tombstone = CASE WHEN n.tombstone AND h.tombstone THEN true ELSE null END,
      n.purposes = """
    + sorted_union("n.purposes", "coalesce(h.purposes, [])")
    + """,
      n.legal_bases = CASE WHEN h.legal_bases IS NULL THEN n.legal_bases
                           ELSE """
    + sorted_union("coalesce(n.legal_bases, [])", "h.legal_bases")
    + """ END,
      n.erasure = CASE WHEN h.erased_at IS NOT NULL
                        AND (n.erased_at IS NULL OR h.erased_at >= n.erased_at)
                       THEN h.erasure ELSE n.erasure END,
      n.erased_at = CASE WHEN h.erased_at IS NOT NULL
                          AND (n.erased_at IS NULL OR h.erased_at > n.erased_at)
                         THEN h.erased_at ELSE n.erased_at END,
      n.consent_withdrawn_at = CASE WHEN h.consent_withdrawn_at IS NOT NULL
                                     AND (n.consent_withdrawn_at IS NULL
                                          OR h.consent_withdrawn_at > n.consent_withdrawn_at)
                                    THEN h.consent_withdrawn_at ELSE n.consent_withdrawn_at END
  FOREACH (_ IN CASE WHEN h.last_event_at > n.last_event_at
                      OR (h.last_event_at = n.last_event_at AND h.last_event_id > n.last_event_id)
                     THEN [1] ELSE [] END |
    SET n.last_event_at = h.last_event_at, n.last_event_id = h.last_event_id)
  DETACH DELETE h
  WITH w, n, st
  // the person's store-wide erasures (their own and the absorbed one's) reach what moved too
  OPTIONAL MATCH (w)-[wc:CLOCK]->(st)
  SET """
    + clock_items("n", "wc")
    + """
  SET n.state = CASE WHEN n.erased_at IS NOT NULL AND n.erased_at >= n.last_seen
                     THEN n.erasure ELSE 'held' END
}
"""
    + FOLD_CONSENTS
    + """DETACH DELETE l
"""
)


@dataclass
class IdentityPlan:
    """What one batch must change: identifiers to (re)attach, subjects to fold into others."""

    attach: list[dict[str, object]] = field(default_factory=list)  # {winner, identifiers}
    merges: list[dict[str, str]] = field(default_factory=list)  # {winner, loser}
    subjects: dict[str, str] = field(default_factory=dict)  # identifier -> its subject's key, once done

    def __bool__(self) -> bool:
        return bool(self.attach or self.merges)


class _UnionFind:
    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self._parent.setdefault(item, item)
        while self._parent[item] != item:
            self._parent[item] = self._parent[self._parent[item]]
            item = self._parent[item]
        return item

    def union(self, items: Iterable[str]) -> None:
        roots = [self.find(i) for i in items]
        for root in roots[1:]:
            self._parent[root] = roots[0]

    def components(self) -> list[set[str]]:
        groups: dict[str, set[str]] = {}
        for item in list(self._parent):
            groups.setdefault(self.find(item), set()).add(item)
        return list(groups.values())


def plan_identities(
    groups: Sequence[Sequence[str]], known: Mapping[str, str], members: Mapping[str, Sequence[str]]
) -> IdentityPlan:
    """Plan the identity changes of a batch.

    Args:
        groups: per event, its key followed by its links (identifiers of one person).
        known: identifier -> subject key, for the identifiers already in the graph.
        members: subject key -> all its identifiers, for every subject in ``known``'s values.
    """
    union = _UnionFind()
    for group in groups:
        union.union(group)
    for identifiers in members.values():
        union.union(identifiers)
    plan = IdentityPlan()
    for component in union.components():
        winner = min(component)
        plan.subjects.update(dict.fromkeys(component, winner))
        moving = sorted(i for i in component if known.get(i) != winner)
        if moving:
            plan.attach.append({"winner": winner, "identifiers": moving})
        losers = sorted({known[i] for i in component if i in known} - {winner})
        plan.merges += [{"winner": winner, "loser": loser} for loser in losers]
    return plan


def needs_lookup(groups: Sequence[Sequence[str]], known: Mapping[str, str]) -> bool:
    """False on the fast path: every event names one identifier the graph already has."""
    return any(len(group) > 1 or group[0] not in known for group in groups)


@dataclass(frozen=True)
class Resolved:
    """What the identity step did: the merges (winner, loser), and the key of the subject each
    identifier of the batch names once they are done."""

    merges: list[dict[str, str]]
    subjects: Mapping[str, str]


async def resolve_identities(tx: AsyncManagedTransaction, groups: Sequence[Sequence[str]]) -> Resolved:
    """Attaches and merges. Locks first (see ``LOCK_IDENTIFIERS``): the plan is made from links
    no concurrent batch can change."""
    keys = sorted({k for group in groups for k in group})
    known = dict(await _collected(tx, LOCK_IDENTIFIERS, "links", keys=keys))
    if not needs_lookup(groups, known):
        return Resolved([], known)
    involved = sorted(set(known.values()))
    await (await tx.run(LOCK_SUBJECTS, subjects=involved)).consume()
    members = dict(await _collected(tx, SUBJECT_MEMBERS, "members", subjects=involved))
    plan = plan_identities(groups, known, members)
    if plan.attach:
        await (await tx.run(ATTACH_IDENTIFIERS, rows=plan.attach)).consume()
    if plan.merges:
        await (await tx.run(MERGE_SUBJECTS, rows=plan.merges)).consume()
    return Resolved(list(plan.merges), plan.subjects)


async def _collected(tx: AsyncManagedTransaction, query: str, column: str, **params: Any) -> list[Any]:
    """The list a statement collects its rows into, in its one record."""
    record = await (await tx.run(query, **params)).single(strict=True)
    return list(record[column])
