"""The whole graph as sorted text lines, to prove two runs built the same graph.

Counts can agree while contents differ (a different last event, an expiry a day off), so the
order-independence, replay and fault tests compare every node and relationship with every
property. Properties that record when lineage itself acted (an alert closed, a task evaluated)
are wall-clock times, not functions of the events, and are left out; lists are compared as sets.
"""

from __future__ import annotations

import json
from typing import Any

from neo4j import Driver, RoutingControl

from graph.model import NODE_KEYS
from graph.reader import plain
from graph.schema import SCHEMA_LABELS
from graph.tally import BOOKKEEPING_LABELS

# Set by lineage's own clock (datetime() in Cypher, or $now), not by any event.
WALL_CLOCK_PROPERTIES = frozenset(
    {
        "closed_at",
        "acknowledged_at",
        "evaluated_at",
        "completed_at",
        "since",
        "released_at",
        "closed_reason",
        "changed_at",
    }
)

# graph.tally's counts are derived from the rest and kept on their own clock, and the schema's
# record of conversions done depends on which process started first: left out.
_NODES = """
MATCH (n) WHERE NOT any(l IN labels(n) WHERE l IN $bookkeeping)
RETURN labels(n) AS labels, properties(n) AS props
"""
_RELATIONSHIPS = """
MATCH (a)-[r]->(b)
RETURN labels(a) AS a_labels, properties(a) AS a_props, type(r) AS type, properties(r) AS props,
       labels(b) AS b_labels, properties(b) AS b_props
"""
_KEYS = {label.value: key for label, key in NODE_KEYS.items()}


def _canonical(value: Any) -> Any:
    value = plain(value)
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, default=str))
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items()) if k not in WALL_CLOCK_PROPERTIES}
    return value


def _text(value: Any) -> str:
    return json.dumps(_canonical(value), default=str, sort_keys=True, ensure_ascii=False)


def _name(labels: list[str], props: dict[str, Any]) -> str:
    """A node by its key where it has one, by all of its properties otherwise."""
    label = ":".join(sorted(labels))
    key = next((_KEYS[x] for x in labels if x in _KEYS), None)
    return f"({label} {props.get(key)})" if key else f"({label} {_text(props)})"


def graph_fingerprint(driver: Driver, database: str) -> list[str]:
    """Every node and relationship with its properties, one sorted line each."""

    def rows(query: str) -> list[dict[str, Any]]:
        records, _, _ = driver.execute_query(
            query,
            bookkeeping=[*BOOKKEEPING_LABELS, *SCHEMA_LABELS],
            database_=database,
            routing_=RoutingControl.READ,
        )
        return [r.data() for r in records]

    lines = [f"{_name(r['labels'], r['props'])} {_text(r['props'])}" for r in rows(_NODES)]
    lines += [
        f"{_name(r['a_labels'], r['a_props'])}-[{r['type']} {_text(r['props'])}]->"
        f"{_name(r['b_labels'], r['b_props'])}"
        for r in rows(_RELATIONSHIPS)
    ]
    return sorted(lines)


def fingerprint_difference(expected: list[str], actual: list[str]) -> dict[str, list[str]]:
    """Lines only in ``expected`` (lost) and only in ``actual`` (extra)."""
    want, got = set(expected), set(actual)
    return {"lost": sorted(want - got), "extra": sorted(got - want)}
