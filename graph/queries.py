"""Every Cypher statement lineage runs. Values always travel as ``$parameters``.

Fixed statements are UPPER_CASE constants; the one builder (constraints) takes its labels from
the :mod:`graph.model` enums, never from input.
"""

from __future__ import annotations

from graph.model import NODE_KEYS


def constraint_statements() -> list[str]:
    """One uniqueness constraint per node label (idempotent: IF NOT EXISTS)."""
    return [
        f"CREATE CONSTRAINT {label.value.lower()}_{key} IF NOT EXISTS "
        f"FOR (n:{label.value}) REQUIRE n.{key} IS UNIQUE"
        for label, key in NODE_KEYS.items()
    ]


INDEX_STATEMENTS: tuple[str, ...] = (
    "CREATE INDEX holding_state IF NOT EXISTS FOR (h:Holding) ON (h.state)",
    "CREATE INDEX holding_expires IF NOT EXISTS FOR (h:Holding) ON (h.expires_at)",
    # What store-wide answers group by (transfer impact, RoPA), served from the index instead of
    # each holding's property chain: 3x faster on 11M holdings (PROFILE). Every holding write
    # sets all three, so every holding is in it; category never changes, state on erasure.
    "CREATE INDEX holding_held_kind IF NOT EXISTS FOR (h:Holding) ON (h.state, h.category, h.subject_type)",
)

# Held holdings with what they are, from holding_held_kind (no property store reads).
_HELD_FROM_INDEX = """MATCH (h:Holding) USING INDEX h:Holding(state, category, subject_type)
WHERE h.state = 'held' AND h.category IS NOT NULL AND h.subject_type IS NOT NULL"""

# --- catalog -> graph --------------------------------------------------------------------

SYNC_PROCESSORS = """
UNWIND $processors AS p
MERGE (proc:Processor {id: p.id})
SET proc.name = p.name, proc.declared = true
MERGE (c:Country {code: p.country})
WITH proc, c, p
OPTIONAL MATCH (proc)-[old:ESTABLISHED_IN]->(other:Country) WHERE other <> c
DELETE old
MERGE (proc)-[:ESTABLISHED_IN]->(c)
"""

SYNC_SUB_PROCESSORS = """
UNWIND $processors AS p
MATCH (proc:Processor {id: p.id})
OPTIONAL MATCH (proc)-[old:SUB_PROCESSOR]->(sub:Processor) WHERE NOT sub.id IN p.sub_processors
DELETE old
WITH DISTINCT proc, p
UNWIND p.sub_processors AS sub_id
MATCH (sub:Processor {id: sub_id})
MERGE (proc)-[:SUB_PROCESSOR]->(sub)
"""

SYNC_STORES = """
UNWIND $stores AS s
MERGE (sys:System {id: s.system})
SET sys.name = s.system_name, sys.kind = s.kind
MERGE (st:Store {id: s.id})
SET st.name = s.name, st.declared = true, st.categories = s.categories,
    st.subject_types = s.subject_types, st.purposes = s.purposes
MERGE (sys)-[:HAS_STORE]->(st)
WITH st, s
MATCH (proc:Processor {id: s.processor})
OPTIONAL MATCH (st)-[old_run:RUN_BY]->(other:Processor) WHERE other <> proc
DELETE old_run
MERGE (st)-[:RUN_BY]->(proc)
WITH st, s
MERGE (c:Country {code: s.country})
WITH st, c
OPTIONAL MATCH (st)-[old_loc:LOCATED_IN]->(other:Country) WHERE other <> c
DELETE old_loc
MERGE (st)-[:LOCATED_IN]->(c)
"""

# --- retention moments -------------------------------------------------------------------
# Each moment is kept as the latest time it happened and the event that set it (ties broken by
# event id, so arrival order never matters). Holding-level moments come from the event's own
# categories; store-wide ones (a click is contact for everything the person has in the store)
# live on (Subject)-[:CLOCK]->(Store), so a holding created later still sees them.

HOLDING_MOMENTS = ("written", "collected", "contact")
STORE_MOMENTS = ("contact", "contract_end", "account_closure")


def _latest(var: str, moment: str, at: str, event: str, when: str) -> str:
    newer = (
        f"{when} AND ({var}.{moment}_at IS NULL OR {at} > {var}.{moment}_at OR "
        f"({at} = {var}.{moment}_at AND {event} > {var}.{moment}_event))"
    )
    return (
        f"{var}.{moment}_event = CASE WHEN {newer} THEN {event} ELSE {var}.{moment}_event END, "
        f"{var}.{moment}_at = CASE WHEN {newer} THEN {at} ELSE {var}.{moment}_at END"
    )


def _sorted_add(items: str, item: str) -> str:
    """``items`` with ``item`` inserted in order: lists in the graph (subject types, purposes,
    categories) are sets kept sorted, so they do not record the order events arrived in."""
    return (
        f"CASE WHEN {item} IS NULL OR {item} IN {items} THEN {items} "
        f"ELSE [x IN {items} WHERE x < {item}] + {item} + [x IN {items} WHERE x > {item}] END"
    )


def _sorted_union(items: str, more: str) -> str:
    return f"reduce(acc = {items}, y IN {more} | {_sorted_add('acc', 'y')})"


def _moment_sets(var: str, moments: tuple[str, ...], at: str, event: str, marks: str) -> str:
    return "SET " + ",\n    ".join(_latest(var, m, at, event, f"'{m}' IN {marks}") for m in moments)


def _fold_sets(into: str, src: str, moments: tuple[str, ...]) -> str:
    return "SET " + ",\n    ".join(
        _latest(into, m, f"{src}.{m}_at", f"{src}.{m}_event", f"{src}.{m}_at IS NOT NULL") for m in moments
    )


def _newest(current: tuple[str, str], candidates: tuple[tuple[str, str], ...]) -> str:
    """The latest (time, event id) pair of ``current`` and ``candidates`` (nulls skipped), ties
    broken by event id: as a two-item list, so one expression yields both."""
    pairs = ", ".join(f"[{at}, {event}]" for at, event in candidates)
    return (
        f"reduce(m = [{current[0]}, {current[1]}], p IN [{pairs}] | "
        f"CASE WHEN p[0] IS NOT NULL AND (m[0] IS NULL OR p[0] > m[0] "
        f"OR (p[0] = m[0] AND p[1] > m[1])) THEN p ELSE m END)"
    )


def _clock_newer(h: str, c: str, moment: str) -> str:
    return f"{c}.{moment}_at IS NOT NULL AND ({h}.{moment}_at IS NULL OR {c}.{moment}_at > {h}.{moment}_at)"


def _clock_erased_at(h: str, c: str) -> str:
    return f"CASE WHEN {_clock_newer(h, c, 'erased')} THEN {c}.erased_at ELSE {h}.erased_at END"


def _clock_erasure(h: str, c: str) -> str:
    return (
        f"CASE WHEN {_clock_newer(h, c, 'erased')} THEN coalesce({c}.erasure, 'erased') ELSE {h}.erasure END"
    )


def _clock_items(h: str, c: str, row_event: tuple[str, str] | None = None) -> str:
    """SET items folding a store-wide erasure or consent withdrawal recorded on the CLOCK ``c``
    into holding ``h`` (and, with ``row_event``, the row's own event into its last event): the
    same result as if they had been written after the holding, last event included."""
    candidates = ((row_event,) if row_event else ()) + (
        (f"{c}.erased_at", f"{c}.erased_event"),
        (f"{c}.consent_withdrawn_at", f"{c}.consent_withdrawn_event"),
    )
    last_event = _newest((f"{h}.last_event_at", f"{h}.last_event_id"), candidates)
    return f"""{h}.erasure = {_clock_erasure(h, c)},
    {h}.erased_at = {_clock_erased_at(h, c)},
    {h}.consent_withdrawn_at = CASE WHEN {_clock_newer(h, c, "consent_withdrawn")}
                                  THEN {c}.consent_withdrawn_at ELSE {h}.consent_withdrawn_at END,
    {h}.last_event_at = ({last_event})[0],
    {h}.last_event_id = ({last_event})[1]"""


# --- events -> graph ---------------------------------------------------------------------
# Rows are built by graph.writer.rows_for(); each row is one (subject, store, category).
# Times travel as epoch milliseconds: packing them as Bolt DateTimes costs the driver more
# than the whole rest of a batch.

# --- identity (planned by graph.identity, applied before the batch's holdings) ------------


def write_lock(var: str) -> str:
    """Cypher that takes node ``var``'s write lock until commit and leaves nothing behind (a
    property set, then removed). Taken before reading a relationship another transaction may be
    changing, the read waits for that transaction instead of reading what it replaces."""
    return f"SET {var}.locked = true\nREMOVE {var}.locked\n"


# Concurrent batches (several workers, or one worker's parallel transactions) must never plan
# an identity change from a link another one is changing. Each batch first write-locks every
# identifier it names (sorted, created if new: a lock needs a node), then reads where they
# point: no other transaction can move or delete a locked identifier's link, so that read holds
# until commit. A batch that changes identities then locks the subjects involved before reading
# their members: attaching to or deleting a subject needs its lock too. Lock cycles are
# deadlocks, which Neo4j detects and the driver retries (a TransientError).
# Both reads return one record of pairs: the driver builds each record in Python, and a
# record per identifier made the lock cost the batch five times what Neo4j spends on it.
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
    ("ErasureRequest", "FOR"),
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
    + _sorted_union("coalesce(w.types, [])", "coalesce(l.types, [])")
    + """,
    w.first_seen = CASE WHEN w.first_seen IS NULL OR l.first_seen < w.first_seen
                        THEN l.first_seen ELSE w.first_seen END,
    w.last_seen = CASE WHEN w.last_seen IS NULL OR l.last_seen > w.last_seen
                       THEN l.last_seen ELSE w.last_seen END
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
    + _fold_sets("wc", "lc", (*STORE_MOMENTS, "erased", "consent_withdrawn"))
    + """
  DELETE lc
  WITH w, st, wc
  MATCH (w)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st)
  WHERE wc.erased_at IS NOT NULL OR wc.consent_withdrawn_at IS NOT NULL
  SET """
    + _clock_items("h", "wc")
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
    + _fold_sets("n", "h", HOLDING_MOMENTS)
    + """
  SET n.first_seen = CASE WHEN h_first THEN h.first_seen ELSE n.first_seen END,
      n.last_seen = CASE WHEN sighted_only_in_h THEN h.last_seen
                         WHEN sighted_only_in_n THEN n.last_seen
                         WHEN n.tombstone THEN n.first_seen
                         WHEN h.last_seen > n.last_seen THEN h.last_seen ELSE n.last_seen END,
      n.tombstone = CASE WHEN n.tombstone AND h.tombstone THEN true ELSE null END,
      n.purposes = """
    + _sorted_union("n.purposes", "coalesce(h.purposes, [])")
    + """,
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
    + _clock_items("n", "wc")
    + """
  SET n.state = CASE WHEN n.erased_at IS NOT NULL AND n.erased_at >= n.last_seen
                     THEN n.erasure ELSE 'held' END
}
DETACH DELETE l
"""
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
        _latest(h, m, f"{m}_at", f"row.{m}_event", f"{m}_at IS NOT NULL") for m in HOLDING_MOMENTS
    )
    erased_at = _clock_erased_at(h, c)
    return f"""SET {h}.first_event = CASE WHEN {first} THEN row.first_event ELSE {h}.first_event END,
    {h}.subject_type = CASE WHEN {first} THEN row.subject_type ELSE {h}.subject_type END,
    {h}.first_seen = CASE WHEN {tomb} OR first_at < {h}.first_seen THEN first_at ELSE {h}.first_seen END,
    {h}.last_seen = {last_seen},
    {h}.tombstone = null,
    {h}.fresh = null,
    {h}.purposes = {_sorted_union(f"{h}.purposes", "row.purposes")},
    {moments},
    {_clock_items(h, c, ("last_at", "row.last_event"))},
    {h}.state = CASE WHEN ({erased_at}) IS NOT NULL AND ({erased_at}) >= ({last_seen})
                     THEN {_clock_erasure(h, c)} ELSE 'held' END
"""


# What the retention computation needs about a holding ``h`` in store ``st`` with the person's
# CLOCK ``c`` there (may be null): one list per holding, in the order of EXPIRY_INPUT_COLUMNS,
# all in one record (the driver turns records into dicts in Python, a third of the writer's time
# when each holding was a record of named columns).
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
    "contract_end_ms",
    "contract_end_event",
    "account_closure_ms",
    "account_closure_event",
    "current_expires_at",
    "current_rule",
    "current_moment",
    "current_event_id",
    "current_legal_rule",
    "current_legal_until",
    "current_checked",
)
_EXPIRY_INPUT_VALUES = """h.id, st.id, h.category, h.purposes, h.subject_type,
       h.first_seen.epochMillis, h.first_event,
       h.written_at.epochMillis, h.written_event, h.collected_at.epochMillis, h.collected_event,
       contact.contact_at.epochMillis, contact.contact_event,
       c.contract_end_at.epochMillis, c.contract_end_event,
       c.account_closure_at.epochMillis, c.account_closure_event,
       h.expires_at.epochMillis, h.retention_rule, h.retention_moment, h.expiry_event,
       h.legal_rule, h.legal_until.epochMillis, h.expiry_checked"""
_CONTACT = """CASE WHEN c.contact_at IS NOT NULL AND (h.contact_at IS NULL OR c.contact_at > h.contact_at)
             THEN c ELSE h END AS contact"""
_EXPIRY_INPUT_RETURN = (
    """
WITH *, """
    + _CONTACT
    + """
RETURN collect(["""
    + _EXPIRY_INPUT_VALUES
    + """]) AS inputs"""
)

# One row per holding (graph.writer.BatchRows.holding_writes). A holding's relationships are
# made with it, so only a new one needs them (checking them on every row was a quarter of the
# statement's reads). Returns every holding written with its expiry inputs and whether its
# expiry may have changed: the store-wide moments it reads were written earlier in the batch.
_MOMENT_TIMES = ", ".join(
    f"CASE WHEN row.{m}_at IS NOT NULL THEN datetime({{epochMillis: row.{m}_at}}) END AS {m}_at"
    for m in HOLDING_MOMENTS
)
_MOMENT_NAMES = ", ".join(f"{m}_at" for m in HOLDING_MOMENTS)

MERGE_HOLDINGS = (
    """
UNWIND $rows AS row
WITH row, datetime({epochMillis: row.first_at}) AS first_at,
     datetime({epochMillis: row.last_at}) AS last_at, """
    + _MOMENT_TIMES
    + """
MATCH (:Identifier {key: row.subject})-[:IDENTIFIES]->(s:Subject)
SET s.first_seen = CASE WHEN s.first_seen IS NULL OR first_at < s.first_seen
                        THEN first_at ELSE s.first_seen END,
    s.last_seen = CASE WHEN s.last_seen IS NULL OR last_at > s.last_seen
                       THEN last_at ELSE s.last_seen END,
    s.types = """
    + _sorted_union("s.types", "row.types")
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
    + """
OPTIONAL MATCH (s)-[c:CLOCK]->(st)
"""
    + _holding_write("h", "c")
    + """
WITH h, st, c, row.subject AS identifier,
     row.refresh = 'always' OR (row.refresh = 'if_first'
       AND (h.expiry_checked IS NULL OR h.first_event = row.first_event)) AS refresh
WITH *, """
    + _CONTACT
    + """
RETURN collect([identifier, refresh, """
    + _EXPIRY_INPUT_VALUES
    + """]) AS written
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
WITH row, datetime({epochMillis: row.at}) AS at
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
// planner otherwise expands a store's every holding (41,679 rows for 3 withdrawals, PROFILE).
MATCH (h:Holding) WHERE h.id STARTS WITH s.key + '|' + st.id + '|'
  AND (s)-[:HAS_HOLDING]->(h) AND (h)-[:IN_STORE]->(st)
  AND (size(row.categories) = 0
       OR any(c IN row.categories WHERE h.category = c OR h.category STARTS WITH c + '.'))
"""
    )


_ROW_AS_LAST_EVENT = _newest(("h.last_event_at", "h.last_event_id"), (("at", "row.event_id"),))

MARK_ERASED = (
    _deletion_head(
        """SET c.erasure = CASE WHEN c.erased_at IS NULL OR at >= c.erased_at
                                  THEN row.erasure ELSE c.erasure END
  """
        + _moment_sets("c", ("erased",), "at", "row.event_id", "['erased']")
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
    _deletion_head(_moment_sets("c", ("consent_withdrawn",), "at", "row.event_id", "['consent_withdrawn']"))
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
    + _sorted_union("f.categories", "row.categories")
    + """
WITH row, src, dst
MATCH (:Identifier {key: row.subject})-[:IDENTIFIES]->(s:Subject)
MERGE (s)-[:MOVED {src: src.id}]->(dst)
"""
)

MARK_STORE_CLOCKS = (
    """
UNWIND $rows AS row
WITH row, datetime({epochMillis: row.at}) AS at
MATCH (:Identifier {key: row.subject})-[:IDENTIFIES]->(s:Subject)
MERGE (st:Store {id: row.store}) ON CREATE SET st.declared = false
MERGE (s)-[c:CLOCK]->(st)
"""
    + _moment_sets("c", STORE_MOMENTS, "at", "row.event_id", "row.marks")
    + """
"""
)

# What the retention computation needs about every holding of some subjects (or stores).
_EXPIRY_INPUT_COLUMNS = (
    """
OPTIONAL MATCH (s)-[c:CLOCK]->(st)
WITH h, st, c"""
    + _EXPIRY_INPUT_RETURN
    + "\n"
)

# Targets: {subject, store, category, always, event_id}; a null category means every holding in
# the store, a null store every holding of the subject (after a merge). A target not ``always``
# is refreshed only if its expiry was never computed or this event is now its first sighting.
# A target names its holding (an id seek), a store (an id prefix seek) or only the subject;
# expanding every holding of the subject and filtering read 5.5x the rows (PROFILE).
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
    + _EXPIRY_INPUT_COLUMNS
)

EXPIRY_INPUTS_IN_STORE = (
    """
MATCH (st:Store {id: $store})<-[:IN_STORE]-(h:Holding)<-[:HAS_HOLDING]-(s:Subject)
WHERE h.id > $after
WITH st, h, s ORDER BY h.id LIMIT $limit
"""
    + _EXPIRY_INPUT_COLUMNS
)

STORES_WITH_HOLDINGS = "MATCH (st:Store) WHERE EXISTS { (st)<-[:IN_STORE]-(:Holding) } RETURN st.id AS id"

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

SET_EXPIRY = """
UNWIND $rows AS row
MATCH (h:Holding {id: row.id})
SET h.expires_at = CASE WHEN row.expires_at IS NULL THEN null
                        ELSE datetime({epochMillis: row.expires_at}) END,
    h.retention_rule = row.rule, h.retention_trigger = row.trigger,
    h.retention_moment = row.moment, h.expiry_event = row.event_id,
    h.legal_obligation = row.legal_obligation, h.legal_rule = row.legal_rule,
    h.legal_until = CASE WHEN row.legal_until IS NULL THEN null
                         ELSE datetime({epochMillis: row.legal_until}) END,
    h.expiry_checked = true
"""

# --- transfer alerts ---------------------------------------------------------------------
# One Alert per unapproved flow (store, processor chain, country). Its count is the number of
# distinct subjects it CONCERNS, computed when read (never stored, so it cannot drift), and a
# replay changes nothing. A closed alert whose flow is seen
# unapproved again reopens; an acknowledged one stays acknowledged. Rows come one per alert
# (graph.alerts.folded: first and last time, the identifiers of the people it concerns).
# A row's ``link`` false (the normalise stage's early upsert) leaves the CONCERNS links to the
# record stage: linking locks each Subject, which the record stage's running transaction holds,
# and the early alert would wait for it. Its count is then at least the people of its rows.

UPSERT_ALERTS = (
    """
UNWIND $rows AS row
WITH row, datetime({epochMillis: row.first_at}) AS first_at,
     datetime({epochMillis: row.last_at}) AS last_at
MERGE (a:Alert {id: row.id})
  ON CREATE SET a.status = 'new', a.severity = row.severity, a.kind = row.kind,
                a.first_seen = first_at, a.last_seen = last_at, a.store = row.store,
                a.chain = row.chain, a.country = row.country
SET a.reason = row.reason, a.mechanism = row.mechanism,
    a.first_seen = CASE WHEN first_at < a.first_seen THEN first_at ELSE a.first_seen END,
    a.last_seen = CASE WHEN last_at > a.last_seen THEN last_at ELSE a.last_seen END,
    a.status = CASE WHEN a.status = 'closed' THEN 'reopened' ELSE a.status END
WITH a, row
MERGE (st:Store {id: row.store}) ON CREATE SET st.declared = false
MERGE (a)-[:ON_STORE]->(st)
WITH a, row
CALL (a, row) {
  UNWIND CASE WHEN row.link THEN row.subjects ELSE [] END AS key
  MATCH (i:Identifier {key: key})
  // Write-locked before reading where it points, as the record stage's batches do
  // (LOCK_IDENTIFIERS): a merge under way in another worker holds it, so this waits and links
  // the person the merge leaves. Read unlocked, the link met the deleted loser (EntityNotFound).
  """
    + write_lock("i")
    + """  WITH a, i
  MATCH (i)-[:IDENTIFIES]->(s:Subject)
  MERGE (a)-[:CONCERNS]->(s)
}
WITH a, row, COUNT { (a)-[:CONCERNS]->() } AS linked
WITH a, linked, row, a.status IN ['new', 'reopened'] AS announce
SET a.status = CASE WHEN announce THEN 'open' ELSE a.status END
RETURN a.id AS id, a.kind AS kind, announce, a.store AS store, a.chain AS chain,
       a.country AS country,
       a.reason AS reason, a.mechanism AS mechanism, a.severity AS severity,
       CASE WHEN linked < size(row.subjects) THEN size(row.subjects) ELSE linked END AS count,
       a.first_seen AS first_seen, a.last_seen AS last_seen, a.status AS status
"""
)

# The alerts of a batch that are raised already: the early upsert leaves them to the record
# stage. Reading takes no lock; upserting an open alert would, and the record stage's upsert of
# the same alert, linking its people, holds it: waiting for it, or deadlocking with it, made
# the early path late by a second (p99, lineage bench-alerts).
RAISED_ALERTS = """
MATCH (a:Alert) WHERE a.id IN $ids AND a.status IN ['open', 'acknowledged']
RETURN a.id AS id
"""

# At worker start: the flows the current catalog leaves unapproved, for data already held.
HELD_SUBJECTS_IN_STORE = """
UNWIND $stores AS sid
MATCH (:Store {id: sid})<-[:IN_STORE]-(h:Holding {state: 'held'})<-[:HAS_HOLDING]-(s:Subject)
WITH sid, s, max(h.last_seen) AS at
RETURN sid AS store, s.key AS subject, at.epochMillis AS at,
       COLLECT { MATCH (s)-[m:MOVED]->(:Store {id: sid}) RETURN m.src } AS moved_from
"""

CLOSE_APPROVED_ALERTS = """
MATCH (a:Alert {kind: 'unapproved_transfer'}) WHERE a.status <> 'closed' AND NOT a.id IN $unapproved
SET a.status = 'closed', a.closed_at = datetime(), a.closed_reason = 'the catalog now approves this flow'
RETURN a.id AS id
"""

LIST_ALERTS = """
MATCH (a:Alert) WHERE ($status IS NULL OR a.status = $status) AND ($kind IS NULL OR a.kind = $kind)
RETURN a.id AS id, a.kind AS kind, a.status AS status, a.severity AS severity, a.store AS store,
       a.chain AS chain, a.country AS country, a.reason AS reason,
       COUNT { (a)-[:CONCERNS]->() } AS count,
       a.first_seen AS first_seen, a.last_seen AS last_seen
ORDER BY a.last_seen DESC
"""

# Alerts of a kind a scheduled check recomputes whole (overdue retention, erasure deadlines):
# those not in $active close, and each active one concerns exactly the subjects given now.
CLOSE_RESOLVED_ALERTS = """
MATCH (a:Alert {kind: $kind}) WHERE a.status <> 'closed' AND NOT a.id IN $active
SET a.status = 'closed', a.closed_at = datetime(), a.closed_reason = $reason
RETURN a.id AS id
"""

TRIM_ALERT_SUBJECTS = """
UNWIND $alerts AS alert
MATCH (:Alert {id: alert.id})-[r:CONCERNS]->(s:Subject) WHERE NOT s.key IN alert.subjects
DELETE r
"""

ALERT_SUBJECTS = """
MATCH (:Alert {id: $id})-[:CONCERNS]->(s:Subject)
RETURN s.key AS subject ORDER BY subject
"""

ACK_ALERT = """
MATCH (a:Alert {id: $id}) WHERE a.status IN ['open', 'reopened']
SET a.status = 'acknowledged', a.acknowledged_at = datetime()
RETURN a.id AS id
"""

# --- reads -------------------------------------------------------------------------------

# Grouped per store before the catalog side is joined: one lookup per store, not per holding.
# Times leave as epoch milliseconds (SUBJECT_DATA_MAP_TIMES, RETENTION_TIMES; every one was
# written from milliseconds): the driver's hydration of a DateTime costs ~150 µs in Python,
# about 30 of them a person, more than Neo4j takes to answer (cProfile on a million people).
SUBJECT_DATA_MAP_TIMES = ("first_seen", "last_seen", "erased_at", "expires_at")
RETENTION_TIMES = ("expires_at", "legal_until")
SUBJECT_DATA_MAP = """
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)-[:HAS_HOLDING]->(h:Holding)
      -[:IN_STORE]->(st:Store)
WITH s, st, h ORDER BY h.category
WITH s, st,
     collect(CASE WHEN h.state = 'held' THEN h.category END) AS held,
     collect(CASE WHEN h.state <> 'held' THEN h.category END) AS erased,
     min(h.first_seen) AS first_seen, max(h.last_seen) AS last_seen,
     max(h.erased_at) AS erased_at,
     min(CASE WHEN h.state = 'held' THEN h.expires_at END) AS expires_at,
     collect(CASE WHEN h.state = 'held' THEN {category: h.category,
             expires_at: h.expires_at.epochMillis, rule: h.retention_rule,
             trigger: h.retention_trigger, moment: h.retention_moment, event: h.expiry_event,
             legal_rule: h.legal_rule, legal_until: h.legal_until.epochMillis}
             END) AS retention
OPTIONAL MATCH (sys:System)-[:HAS_STORE]->(st)
OPTIONAL MATCH (st)-[:RUN_BY]->(p:Processor)
OPTIONAL MATCH (st)-[:LOCATED_IN]->(c:Country)
RETURN s.key AS subject, st.id AS store, sys.id AS system, p.id AS processor_id,
       p.name AS processor, c.code AS country, st.declared AS declared, s.types AS subject_types,
       held, erased, first_seen.epochMillis AS first_seen, last_seen.epochMillis AS last_seen,
       erased_at.epochMillis AS erased_at, expires_at.epochMillis AS expires_at, retention
ORDER BY store
"""

# Categories and sub-processors in a fixed order, so two graphs holding the same give the
# same answer (collect(DISTINCT) follows storage order otherwise). Sub-processor chains of any
# depth (the catalog refuses cycles; Cypher never repeats a relationship in a path anyway).
ERASURE_IMPACT = """
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)-[:HAS_HOLDING]->(h:Holding {state: 'held'})
      -[:IN_STORE]->(st:Store)
WITH st, h ORDER BY h.category
WITH st, collect(DISTINCT h.category) AS categories
OPTIONAL MATCH (sys:System)-[:HAS_STORE]->(st)
OPTIONAL MATCH (st)-[:RUN_BY]->(p:Processor)
OPTIONAL MATCH (st)-[:LOCATED_IN]->(c:Country)
CALL (p) {
  OPTIONAL MATCH (p)-[:SUB_PROCESSOR*1..]->(sub:Processor)-[:ESTABLISHED_IN]->(sc:Country)
  WITH DISTINCT sub, sc ORDER BY sub.id, sc.code
  RETURN collect({id: sub.id, name: sub.name, country: sc.code}) AS subs
}
RETURN st.id AS store, sys.id AS system, p.id AS processor_id, p.name AS processor,
       c.code AS country, categories,
       [x IN subs WHERE x.id IS NOT NULL] AS sub_processors
ORDER BY store
"""

# What is held in the stores a set of transfer hops starts from. A holding is one person's
# category in one store (its id is subject|store|category), so per (store, category) the
# holdings are the people: counted without expanding to them (half the work, PROFILE). Both
# still read every held holding of those stores: on 11M holdings, seconds, not milliseconds.
HELD_IN_STORES = """
UNWIND $stores AS sid
MATCH (st:Store {id: sid})<-[:IN_STORE]-(h:Holding {state: 'held'})
RETURN st.id AS store, h.subject_type AS subject_type, h.category AS category,
       count(h) AS subjects
ORDER BY store, subject_type, category
"""

SUBJECTS_IN_STORES = """
UNWIND $stores AS sid
MATCH (:Store {id: sid})<-[:IN_STORE]-(:Holding {state: 'held'})<-[:HAS_HOLDING]-(s:Subject)
RETURN count(DISTINCT s) AS subjects
"""

# The same two when the stores hold much of the graph: every held holding from the index,
# filtered by store, beats reading each holding's property chain from its store.
HELD_IN_STORES_FROM_INDEX = (
    _HELD_FROM_INDEX
    + """
MATCH (h)-[:IN_STORE]->(st:Store) WHERE st.id IN $stores
RETURN st.id AS store, h.subject_type AS subject_type, h.category AS category,
       count(h) AS subjects
ORDER BY store, subject_type, category
"""
)

SUBJECTS_IN_STORES_FROM_INDEX = (
    _HELD_FROM_INDEX
    + """
MATCH (s:Subject)-[:HAS_HOLDING]->(h)-[:IN_STORE]->(st:Store) WHERE st.id IN $stores
RETURN count(DISTINCT s) AS subjects
"""
)

# Which of the two: the stores' share of all holdings, from degrees and the count store (O(1)).
STORES_SHARE = """
CALL () { MATCH (h:Holding) RETURN count(h) AS total }
UNWIND $stores AS sid
MATCH (st:Store {id: sid})
RETURN total, sum(COUNT { (st)<-[:IN_STORE]-() }) AS in_stores
"""

STORE_SUMMARY = """
MATCH (st:Store)
OPTIONAL MATCH (st)-[:LOCATED_IN]->(c:Country)
OPTIONAL MATCH (st)-[:RUN_BY]->(p:Processor)
OPTIONAL MATCH (st)<-[:IN_STORE]-(h:Holding)<-[:HAS_HOLDING]-(s:Subject)
WITH st, c, p,
     count(DISTINCT CASE WHEN h.state = 'held' THEN s END) AS subjects_held,
     count(DISTINCT CASE WHEN h.state <> 'held' THEN s END) AS subjects_erased,
     count(CASE WHEN h.state = 'held' THEN h END) AS holdings
RETURN st.id AS store, c.code AS country, p.id AS processor_id, p.name AS processor,
       st.declared AS declared,
       subjects_held, subjects_erased, holdings
ORDER BY store
"""

COUNTRY_SUMMARY = """
MATCH (s:Subject)-[:HAS_HOLDING]->(h:Holding {state: 'held'})-[:IN_STORE]->(:Store)
      -[:LOCATED_IN]->(c:Country)
RETURN c.code AS country, count(DISTINCT s) AS subjects, count(h) AS holdings
ORDER BY subjects DESC, country
"""

# The observed flows between stores, with how many distinct people each carried.
FLOWS = """
MATCH (src:Store)-[f:FLOWS_TO]->(dst:Store)
OPTIONAL MATCH (src)-[:LOCATED_IN]->(sc:Country)
OPTIONAL MATCH (dst)-[:LOCATED_IN]->(dc:Country)
RETURN src.id AS source, dst.id AS destination, sc.code AS source_country,
       dc.code AS destination_country, dst.declared AS declared, f.categories AS categories,
       f.first_seen AS first_seen, f.last_seen AS last_seen,
       COUNT { (:Subject)-[m:MOVED]->(dst) WHERE m.src = src.id } AS subjects
ORDER BY subjects DESC, source, destination
"""

GRAPH_COUNTS = """
CALL () { MATCH (n:Subject) RETURN count(n) AS subjects }
CALL () { MATCH (n:Identifier) RETURN count(n) AS identifiers }
CALL () { MATCH (n:Holding) RETURN count(n) AS holdings }
CALL () { MATCH (n:Holding {state: 'held'}) RETURN count(n) AS held }
CALL () { MATCH (n:Store) RETURN count(n) AS stores }
CALL () { MATCH ()-[r:FLOWS_TO]->() RETURN count(r) AS flows }
RETURN subjects, identifiers, holdings, held, stores, flows
"""

GRAPH_FINGERPRINT = """
MATCH (s:Subject)-[:HAS_HOLDING]->(h:Holding)-[:IN_STORE]->(st:Store)
WITH s.key + '|' + st.id + '|' + h.category + '|' + h.state + '|' + toString(h.first_seen)
     + '|' + toString(h.last_seen) + '|' + h.last_event_id + '|' + coalesce(toString(h.erased_at), '')
     + '|' + coalesce(toString(h.consent_withdrawn_at), '') + '|' + coalesce(toString(h.expires_at), '')
     + '|' + toString(size(s.types)) + '|' + toString(COUNT { (s)<-[:IDENTIFIES]-() }) AS line
ORDER BY line
RETURN count(line) AS holdings, collect(line) AS lines
"""
