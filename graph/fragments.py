"""Cypher fragments that statements of several aggregates embed, so each rule is written once.

- :func:`write_lock`: lock a node before reading what hangs off it (identity, alerts, holds,
  the tally's state).
- :data:`HELD_FROM_INDEX`: held holdings with what they are, from the index (reads, the RoPA).
- The fold rules of holdings and store clocks (:func:`latest`, :func:`sorted_union`,
  :func:`clock_items`...): the holding writes (:mod:`graph.holdings`) and the merge of two
  people (:mod:`graph.identity`) must combine values the same way, or a merge would leave a
  different graph than the events written to one person from the start.

Each moment is kept as the latest time it happened, in epoch milliseconds, and the event that
set it (ties broken by event id, so arrival order never matters). Holding-level moments come
from the event's own categories; store-wide ones (a click is contact for everything the person
has in the store) live on ``(Subject)-[:CLOCK]->(Store)``, so a holding created later still
sees them.
"""

from __future__ import annotations

HOLDING_MOMENTS = ("written", "collected", "contact")
STORE_MOMENTS = ("contact", "contract_end", "account_closure", "rejection", "last_purchase", "session_end")
LIFECYCLE_MOMENTS = STORE_MOMENTS[1:]
"""The store-wide moments only the CLOCK holds (contact is also a holding's own moment)."""

# Held holdings with what they are, from the holding_held_kind index (graph.schema): no
# holding's property chain is read.
HELD_FROM_INDEX = """MATCH (h:Holding) USING INDEX h:Holding(state, category, subject_type)
WHERE h.state = 'held' AND h.category IS NOT NULL AND h.subject_type IS NOT NULL"""


def as_datetime(ms: str) -> str:
    """A holding's or CLOCK's moment ``ms`` (epoch milliseconds, may be null) as a DateTime, for
    answers and comparisons with the DateTimes of other nodes (requests, breaches)."""
    return f"CASE WHEN {ms} IS NOT NULL THEN datetime({{epochMillis: {ms}}}) END"


def write_lock(var: str) -> str:
    """Cypher that takes node ``var``'s write lock until commit and leaves nothing behind (a
    property set, then removed). Taken before reading a relationship another transaction may be
    changing, the read waits for that transaction instead of reading what it replaces."""
    return f"SET {var}.locked = true\nREMOVE {var}.locked\n"


Item = tuple[str, str]
"""One property and the expression of its new value: what a SET writes, or a map entry."""


def set_items(var: str, items: list[Item], separator: str = ", ") -> str:
    """``items`` as SET items on ``var``."""
    return separator.join(f"{var}.{key} = {value}" for key, value in items)


def latest_items(var: str, moment: str, at: str, event: str, when: str) -> list[Item]:
    """``moment`` kept as the later of ``var``'s own and (``at``, ``event``), when ``when`` holds."""
    newer = (
        f"{when} AND ({var}.{moment}_at IS NULL OR {at} > {var}.{moment}_at OR "
        f"({at} = {var}.{moment}_at AND {event} > {var}.{moment}_event))"
    )
    return [
        (f"{moment}_event", f"CASE WHEN {newer} THEN {event} ELSE {var}.{moment}_event END"),
        (f"{moment}_at", f"CASE WHEN {newer} THEN {at} ELSE {var}.{moment}_at END"),
    ]


def latest(var: str, moment: str, at: str, event: str, when: str) -> str:
    """SET items keeping ``var``'s ``moment`` as the later of its own and (``at``, ``event``),
    when ``when`` holds."""
    return set_items(var, latest_items(var, moment, at, event, when))


def _sorted_add(items: str, item: str) -> str:
    """``items`` with ``item`` inserted in order: lists in the graph (subject types, purposes,
    categories) are sets kept sorted, so they do not record the order events arrived in."""
    return (
        f"CASE WHEN {item} IS NULL OR {item} IN {items} THEN {items} "
        f"ELSE [x IN {items} WHERE x < {item}] + {item} + [x IN {items} WHERE x > {item}] END"
    )


def sorted_union(items: str, more: str) -> str:
    return f"reduce(acc = {items}, y IN {more} | {_sorted_add('acc', 'y')})"


def moment_sets(var: str, moments: tuple[str, ...], at: str, event: str, marks: str) -> str:
    """A SET recording (``at``, ``event``) as each of ``moments`` the list ``marks`` names."""
    return "SET " + ",\n    ".join(latest(var, m, at, event, f"'{m}' IN {marks}") for m in moments)


def fold_sets(into: str, src: str, moments: tuple[str, ...]) -> str:
    """A SET folding ``src``'s ``moments`` into ``into``'s."""
    return "SET " + ",\n    ".join(
        latest(into, m, f"{src}.{m}_at", f"{src}.{m}_event", f"{src}.{m}_at IS NOT NULL") for m in moments
    )


def newest(current: tuple[str, str], candidates: tuple[tuple[str, str], ...]) -> str:
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


def clock_erased_at(h: str, c: str) -> str:
    return f"CASE WHEN {_clock_newer(h, c, 'erased')} THEN {c}.erased_at ELSE {h}.erased_at END"


def clock_erasure(h: str, c: str) -> str:
    return (
        f"CASE WHEN {_clock_newer(h, c, 'erased')} THEN coalesce({c}.erasure, 'erased') ELSE {h}.erasure END"
    )


def clock_fold(h: str, c: str, row_event: tuple[str, str] | None = None) -> list[Item]:
    """A store-wide erasure or consent withdrawal recorded on the CLOCK ``c`` folded into holding
    ``h`` (and, with ``row_event``, the row's own event into its last event): the same result
    as if they had been written after the holding, last event included."""
    candidates = ((row_event,) if row_event else ()) + (
        (f"{c}.erased_at", f"{c}.erased_event"),
        (f"{c}.consent_withdrawn_at", f"{c}.consent_withdrawn_event"),
    )
    last_event = newest((f"{h}.last_event_at", f"{h}.last_event_id"), candidates)
    withdrawn = (
        f"CASE WHEN {_clock_newer(h, c, 'consent_withdrawn')}\n"
        f"                                  THEN {c}.consent_withdrawn_at ELSE {h}.consent_withdrawn_at END"
    )
    return [
        ("erasure", clock_erasure(h, c)),
        ("erased_at", clock_erased_at(h, c)),
        ("consent_withdrawn_at", withdrawn),
        ("last_event_at", f"({last_event})[0]"),
        ("last_event_id", f"({last_event})[1]"),
    ]


def clock_items(h: str, c: str) -> str:
    """:func:`clock_fold` as SET items on ``h``."""
    return set_items(h, clock_fold(h, c), ",\n    ")
