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
    Item,
    clock_erased_at,
    clock_erasure,
    clock_fold,
    latest_items,
    moment_sets,
    newest,
    sorted_union,
)

# A row reads its holding once, as a map (``hp``), computes every new value from that map and
# the row, and writes only the properties whose value changes: reading ``h.x`` walks the
# holding's property chain each time, and a fold of ~20 items read it ~80 times a row. The
# writer gives each holding one row (graph.writer folds a batch's sightings by person), so no
# row reads a map another row of the statement has made stale.


def _holding_values(p: str, c: str) -> list[Item]:
    """The new values of one ``row`` (the batch's sightings of the holding, folded by
    graph.writer: first and last sighting, latest time of each moment) on the holding read as
    map ``p`` (named neither ``p`` nor ``m``, graph.fragments.newest's variables), with the
    person's CLOCK to the store read as map ``c`` (may be null) folded in: the same result
    whatever was stored before, and the same as writing the sightings one by one."""
    tomb = f"coalesce({p}.tombstone, false)"
    first = (
        f"{tomb} OR first_at < {p}.first_seen "
        f"OR (first_at = {p}.first_seen AND row.first_event < {p}.first_event)"
    )
    last_seen = f"CASE WHEN {tomb} OR last_at > {p}.last_seen THEN last_at ELSE {p}.last_seen END"
    erased_at = clock_erased_at(p, c)
    legal_bases = sorted_union(f"coalesce({p}.legal_bases, [])", "row.legal_bases")
    return [
        ("first_event", f"CASE WHEN {first} THEN row.first_event ELSE {p}.first_event END"),
        ("subject_type", f"CASE WHEN {first} THEN row.subject_type ELSE {p}.subject_type END"),
        (
            "first_seen",
            f"CASE WHEN {tomb} OR first_at < {p}.first_seen THEN first_at ELSE {p}.first_seen END",
        ),
        ("last_seen", last_seen),
        ("tombstone", "null"),
        ("fresh", "null"),
        ("purposes", sorted_union(f"{p}.purposes", "row.purposes")),
        ("legal_bases", f"CASE WHEN size(row.legal_bases) = 0 THEN {p}.legal_bases ELSE {legal_bases} END"),
        *(
            item
            for m in HOLDING_MOMENTS
            for item in latest_items(p, m, f"{m}_at", f"row.{m}_event", f"{m}_at IS NOT NULL")
        ),
        *clock_fold(p, c, ("last_at", "row.last_event")),
        (
            "state",
            f"CASE WHEN ({erased_at}) IS NOT NULL AND ({erased_at}) >= ({last_seen})\n"
            f"                     THEN {clock_erasure(p, c)} ELSE 'held' END",
        ),
    ]


_HOLDING_VALUES = _holding_values("hp", "cp")
_NEW_VALUES = "{" + ",\n     ".join(f"{key}: {value}" for key, value in _HOLDING_VALUES) + "}"
# The holding as it is once written: what it was, with every new value over it.
_WRITTEN = "hp {.*, " + ", ".join(f"{key}: new.{key}" for key, _ in _HOLDING_VALUES) + "}"
_CHANGED = "[k IN keys(new) WHERE (new[k] IS NULL) <> (hp[k] IS NULL) OR new[k] <> hp[k]]"


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
    "node",
)


def _expiry_input_values(h: str, c: str, contact: str, node: str) -> str:
    """EXPIRY_INPUT_COLUMNS' values of holding ``h`` in store ``st``, with the person's CLOCK
    ``c`` there and the later ``contact`` of the two: nodes, or the maps the holding write has;
    ``node`` is the holding's node, whose element id the batch's expiry write finds it by."""
    return (
        f"""{h}.id, st.id, {h}.category, {h}.purposes, {h}.subject_type,
       {h}.first_seen, {h}.first_event,
       {h}.written_at, {h}.written_event, {h}.collected_at, {h}.collected_event,
       {contact}.contact_at, {contact}.contact_event,
       """
        + ",\n       ".join(f"{c}.{m}_at, {c}.{m}_event" for m in LIFECYCLE_MOMENTS)
        + f""",
       {h}.expires_at.epochMillis, {h}.retention_rule, {h}.retention_moment, {h}.expiry_event,
       {h}.legal_rule, {h}.legal_until.epochMillis, {h}.expiry_action, {h}.archive_until.epochMillis,
       {h}.expiry_checked, elementId({node})"""
    )


def _contact(h: str, c: str) -> str:
    return f"""CASE WHEN {c}.contact_at IS NOT NULL
                  AND ({h}.contact_at IS NULL OR {c}.contact_at > {h}.contact_at)
             THEN {c} ELSE {h} END AS contact"""


# The RETURN of graph.retention's reads of expiry inputs.
EXPIRY_INPUT_RETURN = (
    """
WITH *, """
    + _contact("h", "c")
    + """
RETURN collect(["""
    + _expiry_input_values("h", "c", "contact", "h")
    + """]) AS inputs"""
)

# One row per holding (graph.writer.BatchRows.holding_writes). A holding's relationships are
# made with it, so only a new one needs them: checking them on every row would add to every
# row's reads. A holding this row created (``fresh``: no other row names it, and the deletions'
# tombstones are made with their relationships) has none yet, so they are created, not merged.
# Returns every holding written, whether its expiry may have changed (the store-wide moments it
# reads were written earlier in the batch), whether what it counts as in the tally (held or
# not, subject type) changed, and its expiry inputs only if the expiry may have: reading a
# holding's ~25 inputs and shipping them to the worker cost more than the write itself, for a
# sighting that leaves the expiry as it was. Read with merge_holdings().
_MOMENT_TIMES = ", ".join(f"row.{m}_at AS {m}_at" for m in HOLDING_MOMENTS)
_MOMENT_NAMES = ", ".join(f"{m}_at" for m in HOLDING_MOMENTS)

MERGE_HOLDINGS = (
    """
UNWIND $rows AS row
WITH row, row.first_at AS first_at, row.last_at AS last_at, """
    + _MOMENT_TIMES
    + """
MATCH (s:Subject {key: row.subject})
FOREACH (_ IN CASE WHEN all(t IN row.types WHERE t IN s.types) THEN [] ELSE [1] END |
  SET s.types = """
    + sorted_union("s.types", "row.types")
    + """)
MERGE (st:Store {id: row.store})
  ON CREATE SET st.declared = false
MERGE (h:Holding {id: row.id})
  ON CREATE SET h.category = row.category, h.subject_type = row.subject_type,
                h.first_seen = first_at, h.last_seen = first_at, h.purposes = [],
                h.last_event_at = first_at, h.last_event_id = row.first_event,
                h.first_event = row.first_event, h.fresh = true
FOREACH (_ IN CASE WHEN h.fresh THEN [1] ELSE [] END |
  CREATE (s)-[:HAS_HOLDING]->(h)
  CREATE (h)-[:IN_STORE]->(st))
WITH s, st, h, row, first_at, last_at, """
    + _MOMENT_NAMES
    + """, properties(h) AS hp
OPTIONAL MATCH (s)-[c:CLOCK]->(st)
WITH st, h, row, first_at, last_at, """
    + _MOMENT_NAMES
    + """, hp, properties(c) AS cp
WITH st, h, row, hp, cp, """
    + _NEW_VALUES
    + """ AS new
FOREACH (k IN """
    + _CHANGED
    + """ | SET h[k] = new[k])
WITH st, h, row, hp, cp, new, """
    + _WRITTEN
    + """ AS hv
WITH st, h, cp, hv, row.subject AS subject,
     row.refresh = 'always' OR (row.refresh = 'if_first'
       AND (hp.expiry_checked IS NULL OR new.first_event = row.first_event)) AS refresh,
     coalesce(hp.fresh, false) OR hp.state IS NULL OR hp.state <> new.state
       OR hp.subject_type <> new.subject_type AS kind_changed
WITH *, """
    + _contact("hv", "cp")
    + """
RETURN collect(CASE WHEN refresh THEN [subject, true, kind_changed, """
    + _expiry_input_values("hv", "cp", "contact", "h")
    + """]
                    ELSE [subject, false, kind_changed, hv.id, st.id, hv.category] END) AS written
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


def holding_id(subject: str, store: str, category: str) -> str:
    """A holding's key: its person's, its store's and its category's, which no two holdings share."""
    return f"{subject}|{store}|{category}"


def expiry_inputs(values: Sequence[Any]) -> dict[str, Any]:
    """One holding's expiry inputs, as EXPIRY_INPUT_RETURN lists them, by column name."""
    return dict(zip(EXPIRY_INPUT_COLUMNS, values, strict=True))


@dataclass(frozen=True, slots=True)
class WrittenHolding:
    """One holding MERGE_HOLDINGS wrote, as its RETURN lists it: its subject's key, whether
    the holding's expiry may have changed, whether its kind in the tally changed (new, held or
    not, subject type), then its expiry inputs (EXPIRY_INPUT_COLUMNS) if the expiry may have
    changed, else only its id, store and category."""

    values: Sequence[Any]

    @property
    def subject(self) -> str:
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
    """Writes one row per holding (rows name the subject by key); returns every holding
    written, once per row."""
    if not rows:
        return []
    rows = [row | {"id": holding_id(row["subject"], row["store"], row["category"])} for row in rows]
    result = await tx.run(MERGE_HOLDINGS, rows=rows)
    return [WrittenHolding(values) for values in (await result.single(strict=True))["written"]]
