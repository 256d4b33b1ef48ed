"""Holdings and store clocks: what a batch of events writes about people's data, store by store.

One ``Holding`` is one data category of one person in one store; ``(Subject)-[:CLOCK]->(Store)``
keeps the moments that hold for everything the person has in a store (a click is contact, a
deletion of the whole contact an erasure), so a holding created later still sees them; flows
between stores are ``FLOWS_TO`` and, per person carried, ``MOVED``. This module owns those
writes (MERGE_HOLDINGS, MARK_STORE_CLOCKS, MARK_ERASED, MARK_CONSENT_WITHDRAWN, MERGE_FLOWS),
what a holding keeps of its events (purposes, and the legal bases they stated as
``legal_bases``, absent while none did), and the expiry inputs of a holding, which the holding
write returns and the retention reads (:mod:`graph.retention`) select, both decoded here.
Consent per person and purpose is :mod:`graph.consent`'s.

Rows are built by :func:`graph.writer.rows_for`; each row is one (subject, store, category).
Times travel as epoch milliseconds: packing them as Bolt DateTimes costs the driver more than
the whole rest of a batch. A holding's and a CLOCK's moments are stored as epoch milliseconds
too (integers), not DateTimes: they change on most sightings, and an integer is rewritten in
place in the property record where a DateTime takes a whole record of its own. Readers that
answer in DateTimes convert them (:func:`graph.fragments.as_datetime`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import AsyncManagedTransaction

from graph.fragments import (
    HOLDING_MOMENTS,
    LIFECYCLE_MOMENTS,
    STORE_MOMENTS,
    clock_erased_at,
    clock_erasure,
    clock_items,
    latest,
    moment_sets,
    newest,
    sorted_union,
)

# Each row's updates of a holding are ONE SET clause, every item computed from the holding as it
# was before that row: the planner separates clauses with Eager barriers (all rows through one
# clause before the next), so a value carried across clauses would be stale when two rows of a
# batch write the same holding. Inside one clause, rows apply one after the other.


def _holding_write(h: str, c: str) -> str:
    """The SET of one ``row`` (the batch's sightings of the holding, folded by
    graph.writer: first and last sighting, latest time of each moment) on holding ``h``, with
    the person's CLOCK ``c`` to the store (may be null) folded in: the same result whatever was
    stored before, and the same as writing the sightings one by one."""
    tomb = f"coalesce({h}.tombstone, false)"
    first = (
        f"{tomb} OR first_at < {h}.first_seen "
        f"OR (first_at = {h}.first_seen AND row.first_event < {h}.first_event)"
    )
    last_seen = f"CASE WHEN {tomb} OR last_at > {h}.last_seen THEN last_at ELSE {h}.last_seen END"
    moments = ",\n    ".join(
        latest(h, m, f"{m}_at", f"row.{m}_event", f"{m}_at IS NOT NULL") for m in HOLDING_MOMENTS
    )
    erased_at = clock_erased_at(h, c)
    return f"""SET {h}.first_event = CASE WHEN {first} THEN row.first_event ELSE {h}.first_event END,
    {h}.subject_type = CASE WHEN {first} THEN row.subject_type ELSE {h}.subject_type END,
    {h}.first_seen = CASE WHEN {tomb} OR first_at < {h}.first_seen THEN first_at ELSE {h}.first_seen END,
    {h}.last_seen = {last_seen},
    {h}.tombstone = null,
    {h}.fresh = null,
    {h}.purposes = {sorted_union(f"{h}.purposes", "row.purposes")},
    {h}.legal_bases = CASE WHEN size(row.legal_bases) = 0 THEN {h}.legal_bases
                           ELSE {sorted_union(f"coalesce({h}.legal_bases, [])", "row.legal_bases")} END,
    {moments},
    {clock_items(h, c, ("last_at", "row.last_event"))},
    {h}.state = CASE WHEN ({erased_at}) IS NOT NULL AND ({erased_at}) >= ({last_seen})
                     THEN {clock_erasure(h, c)} ELSE 'held' END
"""


# What the retention computation needs about a holding ``h`` in store ``st`` with the person's
# CLOCK ``c`` there (may be null): one list per holding, in the order of EXPIRY_INPUT_COLUMNS,
# all in one record, because the driver builds every record in Python at a cost per record.
# Read by name with expiry_inputs().
EXPIRY_INPUT_COLUMNS = (
    "id",
    "store",
    "category",
    "purposes",
    "subject_type",
    "first_seen_ms",
    "first_seen_event",
    "written_ms",
    "written_event",
    "collected_ms",
    "collected_event",
    "contact_ms",
    "contact_event",
    *(f"{m}_{part}" for m in LIFECYCLE_MOMENTS for part in ("ms", "event")),
    "current_expires_at",
    "current_rule",
    "current_moment",
    "current_event_id",
    "current_legal_rule",
    "current_legal_until",
    "current_action",
    "current_archive_until",
    "current_checked",
)
_EXPIRY_INPUT_VALUES = (
    """h.id, st.id, h.category, h.purposes, h.subject_type,
       h.first_seen, h.first_event,
       h.written_at, h.written_event, h.collected_at, h.collected_event,
       contact.contact_at, contact.contact_event,
       """
    + ",\n       ".join(f"c.{m}_at, c.{m}_event" for m in LIFECYCLE_MOMENTS)
    + """,
       h.expires_at.epochMillis, h.retention_rule, h.retention_moment, h.expiry_event,
       h.legal_rule, h.legal_until.epochMillis, h.expiry_action, h.archive_until.epochMillis,
       h.expiry_checked"""
)
_CONTACT = """CASE WHEN c.contact_at IS NOT NULL AND (h.contact_at IS NULL OR c.contact_at > h.contact_at)
             THEN c ELSE h END AS contact"""
# The RETURN of graph.retention's reads of expiry inputs.
EXPIRY_INPUT_RETURN = (
    """
WITH *, """
    + _CONTACT
    + """
RETURN collect(["""
    + _EXPIRY_INPUT_VALUES
    + """]) AS inputs"""
)

# One row per holding (graph.writer.BatchRows.holding_writes). A holding's relationships are
# made with it, so only a new one needs them: checking them on every row would add to every
# row's reads. Returns every holding written, whether its expiry may have changed (the
# store-wide moments it reads were written earlier in the batch), whether what it counts as in
# the tally (held or not, subject type) changed, and its expiry inputs only if the expiry may
# have: reading a holding's ~25 inputs and shipping them to the worker cost more than the
# write itself, for a sighting that leaves the expiry as it was. Read with merge_holdings().
_MOMENT_TIMES = ", ".join(f"row.{m}_at AS {m}_at" for m in HOLDING_MOMENTS)
_MOMENT_NAMES = ", ".join(f"{m}_at" for m in HOLDING_MOMENTS)

MERGE_HOLDINGS = (
    """
UNWIND $rows AS row
WITH row, row.first_at AS first_at, row.last_at AS last_at, """
    + _MOMENT_TIMES
    + """
MATCH (:Identifier {key: row.subject})-[:IDENTIFIES]->(s:Subject)
SET s.first_seen = CASE WHEN s.first_seen IS NULL OR first_at < s.first_seen.epochMillis
                        THEN datetime({epochMillis: first_at}) ELSE s.first_seen END,
    s.last_seen = CASE WHEN s.last_seen IS NULL OR last_at > s.last_seen.epochMillis
                       THEN datetime({epochMillis: last_at}) ELSE s.last_seen END,
    s.types = """
    + sorted_union("s.types", "row.types")
    + """
MERGE (st:Store {id: row.store})
  ON CREATE SET st.declared = false
MERGE (h:Holding {id: s.key + '|' + row.store + '|' + row.category})
  ON CREATE SET h.category = row.category, h.subject_type = row.subject_type,
                h.first_seen = first_at, h.last_seen = first_at, h.purposes = [],
                h.last_event_at = first_at, h.last_event_id = row.first_event,
                h.first_event = row.first_event, h.fresh = true
FOREACH (_ IN CASE WHEN h.fresh THEN [1] ELSE [] END |
  MERGE (s)-[:HAS_HOLDING]->(h)
  MERGE (h)-[:IN_STORE]->(st))
WITH s, st, h, row, first_at, last_at, """
    + _MOMENT_NAMES
    + """, h.fresh AS fresh, h.state AS was_state, h.subject_type AS was_type
OPTIONAL MATCH (s)-[c:CLOCK]->(st)
"""
    + _holding_write("h", "c")
    + """
WITH h, st, c, row.subject AS identifier,
     row.refresh = 'always' OR (row.refresh = 'if_first'
       AND (h.expiry_checked IS NULL OR h.first_event = row.first_event)) AS refresh,
     coalesce(fresh, false) OR was_state IS NULL OR was_state <> h.state
       OR was_type <> h.subject_type AS kind_changed
WITH *, """
    + _CONTACT
    + """
RETURN collect(CASE WHEN refresh THEN [identifier, true, kind_changed, """
    + _EXPIRY_INPUT_VALUES
    + """]
                    ELSE [identifier, false, kind_changed, h.id, st.id, h.category] END) AS written
"""
)


# Events that name no category (a deletion of a whole contact, an unsubscribe) act on every
# holding the subject has in the store; ``row.categories`` narrows when the event names some.
# An erasure must hold whatever order events are processed in: events of one person arrive on
# different partitions, so a deletion can be stored before the collection it deletes. A deletion
# of everything in a store is kept on (Subject)-[:CLOCK {erased_at}]->(Store), which every later
# holding write there folds in (MERGE_HOLDINGS); a deletion of named categories leaves a
# tombstone holding (seen at the erasure, erased), which an older collection then finds erased.
def _deletion_head(clock_sets: str) -> str:
    """Start of MARK_ERASED and MARK_CONSENT_WITHDRAWN: a whole-store row records itself on the
    CLOCK (``clock_sets``), a row naming categories records those holdings if not seen yet; then
    every holding it concerns, as ``h``."""
    return (
        """
UNWIND $rows AS row
WITH row, row.at AS at
MATCH (:Identifier {key: row.subject})-[:IDENTIFIES]->(s:Subject)
MERGE (st:Store {id: row.store}) ON CREATE SET st.declared = false
FOREACH (_ IN CASE WHEN size(row.categories) = 0 THEN [1] ELSE [] END |
  MERGE (s)-[c:CLOCK]->(st)
  """
        + clock_sets
        + """)
FOREACH (category IN row.categories |
  MERGE (h:Holding {id: s.key + '|' + st.id + '|' + category})
    ON CREATE SET h.category = category, h.subject_type = row.subject_type, h.first_seen = at,
                  h.last_seen = at, h.purposes = [], h.last_event_at = at, h.state = 'held',
                  h.last_event_id = row.event_id, h.first_event = row.event_id, h.tombstone = true
  MERGE (s)-[:HAS_HOLDING]->(h)
  MERGE (h)-[:IN_STORE]->(st)
  // never sighted: the earliest deletion dates it, whichever deletion came first
  FOREACH (_ IN CASE WHEN h.tombstone AND (at < h.first_seen
                          OR (at = h.first_seen AND row.event_id < h.first_event))
                     THEN [1] ELSE [] END |
    SET h.first_seen = at, h.last_seen = at, h.first_event = row.event_id,
        h.subject_type = row.subject_type))
WITH s, st, row, at
// From the person's holdings by id prefix (an index range seek), never from the store: the
// planner otherwise expands every holding of the store for each row.
MATCH (h:Holding) WHERE h.id STARTS WITH s.key + '|' + st.id + '|'
  AND (s)-[:HAS_HOLDING]->(h) AND (h)-[:IN_STORE]->(st)
  AND (size(row.categories) = 0
       OR any(c IN row.categories WHERE h.category = c OR h.category STARTS WITH c + '.'))
"""
    )


_ROW_AS_LAST_EVENT = newest(("h.last_event_at", "h.last_event_id"), (("at", "row.event_id"),))

MARK_ERASED = (
    _deletion_head(
        """SET c.erasure = CASE WHEN c.erased_at IS NULL OR at >= c.erased_at
                                  THEN row.erasure ELSE c.erasure END
  """
        + moment_sets("c", ("erased",), "at", "row.event_id", "['erased']")
    )
    + """
SET h.erasure = CASE WHEN h.erased_at IS NULL OR at >= h.erased_at THEN row.erasure
                     ELSE h.erasure END,
    h.erased_at = CASE WHEN h.erased_at IS NULL OR at > h.erased_at THEN at
                       ELSE h.erased_at END,
    h.last_event_at = ("""
    + _ROW_AS_LAST_EVENT
    + """)[0],
    h.last_event_id = ("""
    + _ROW_AS_LAST_EVENT
    + """)[1],
    h.state = CASE WHEN (h.erased_at IS NULL OR at >= h.erased_at) AND at >= h.last_seen
                   THEN row.erasure
                   WHEN h.erased_at IS NOT NULL AND h.erased_at > at AND h.erased_at >= h.last_seen
                   THEN h.erasure ELSE 'held' END
"""
)

# Order-independent like MARK_ERASED: a withdrawal naming categories proves the store holds them
# (an unsubscribe comes from where the address is), so it records the holding if not seen yet.
MARK_CONSENT_WITHDRAWN = (
    _deletion_head(moment_sets("c", ("consent_withdrawn",), "at", "row.event_id", "['consent_withdrawn']"))
    + """
SET h.consent_withdrawn_at = CASE
      WHEN h.consent_withdrawn_at IS NULL OR at > h.consent_withdrawn_at THEN at
      ELSE h.consent_withdrawn_at END,
    h.last_event_at = ("""
    + _ROW_AS_LAST_EVENT
    + """)[0],
    h.last_event_id = ("""
    + _ROW_AS_LAST_EVENT
    + """)[1]
"""
)

MERGE_FLOWS = (
    """
UNWIND $rows AS row
WITH row, datetime({epochMillis: row.at}) AS at
MERGE (src:Store {id: row.store}) ON CREATE SET src.declared = false
MERGE (dst:Store {id: row.destination}) ON CREATE SET dst.declared = false
MERGE (src)-[f:FLOWS_TO]->(dst)
  ON CREATE SET f.first_seen = at, f.last_seen = at, f.categories = []
SET f.first_seen = CASE WHEN at < f.first_seen THEN at ELSE f.first_seen END,
    f.last_seen = CASE WHEN at > f.last_seen THEN at ELSE f.last_seen END,
    f.categories = """
    + sorted_union("f.categories", "row.categories")
    + """
WITH row, src, dst
MATCH (:Identifier {key: row.subject})-[:IDENTIFIES]->(s:Subject)
MERGE (s)-[:MOVED {src: src.id}]->(dst)
"""
)

MARK_STORE_CLOCKS = (
    """
UNWIND $rows AS row
WITH row, row.at AS at
MATCH (:Identifier {key: row.subject})-[:IDENTIFIES]->(s:Subject)
MERGE (st:Store {id: row.store}) ON CREATE SET st.declared = false
MERGE (s)-[c:CLOCK]->(st)
"""
    + moment_sets("c", STORE_MOMENTS, "at", "row.event_id", "row.marks")
    + """
"""
)


def expiry_inputs(values: Sequence[Any]) -> dict[str, Any]:
    """One holding's expiry inputs, as EXPIRY_INPUT_RETURN lists them, by column name."""
    return dict(zip(EXPIRY_INPUT_COLUMNS, values, strict=True))


@dataclass(frozen=True, slots=True)
class WrittenHolding:
    """One holding MERGE_HOLDINGS wrote, as its RETURN lists it: the row's identifier, whether
    the holding's expiry may have changed, whether its kind in the tally changed (new, held or
    not, subject type), then its expiry inputs (EXPIRY_INPUT_COLUMNS) if the expiry may have
    changed, else only its id, store and category."""

    values: Sequence[Any]

    @property
    def identifier(self) -> str:
        return str(self.values[0])

    @property
    def refresh(self) -> bool:
        return bool(self.values[1])

    @property
    def kind_changed(self) -> bool:
        return bool(self.values[2])

    @property
    def id(self) -> str:
        return str(self.values[3])

    @property
    def store(self) -> str:
        return str(self.values[4])

    @property
    def category(self) -> str:
        return str(self.values[5])

    def expiry_inputs(self) -> dict[str, Any]:
        return expiry_inputs(self.values[3:])


async def merge_holdings(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> list[WrittenHolding]:
    """Writes one row per holding; returns every holding written, once per row."""
    if not rows:
        return []
    result = await tx.run(MERGE_HOLDINGS, rows=rows)
    return [WrittenHolding(values) for values in (await result.single(strict=True))["written"]]
