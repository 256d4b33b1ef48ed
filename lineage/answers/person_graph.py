"""One person's data map as a graph: person -> stores -> processors -> sub-processors -> countries.

The browser workspace draws it; the answer is plain data (nodes, edges, per-store holdings), so
it is tested and reused like any other answer. Edges carry the transfer verdict of the hop they
stand for (from the catalog and the dated rules, judged on ``day``), stores carry what is
overdue and what a legal hold keeps, so the picture shows where to look first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from neo4j import Driver

from graph.holds import list_holds
from lineage.answers.subjects import data_map
from lineage.domain.catalog import Catalog
from lineage.domain.transfer_chains import TransferHop, catalog_hops
from lineage.domain.transfers import HopStatus
from lineage.reference import default_transfer_rules

# Worst first: an edge standing for several hops shows the worst of them.
_SEVERITY = ("unapproved", "scc_module_mismatch", "derogation", "safeguarded", "adequate", "inside_eea")


def person_graph(
    driver: Driver, database: str, catalog: Catalog, key: str, day: date, now: datetime | None = None
) -> dict[str, Any]:
    """The data map of the person ``key`` names, as nodes and edges with verdicts and marks.

    ``subject`` is None when nobody is known by ``key`` (then no nodes): like ``POST /subject``,
    the answer says no more than the CLI's.
    """
    now = now or datetime.now(UTC)
    answer = data_map(driver, database, key)
    subject = answer["subject"]
    holds = [h for h in list_holds(driver, database) if subject and h["subject"] == subject]
    stores = [_store_row(row, holds, now) for row in answer["stores"]]
    hops = [
        h
        for h in catalog_hops(catalog, default_transfer_rules(), day)
        if h.store in {s["store"] for s in stores}
    ]
    graph = _Graph(subject)
    for store in stores:
        graph.add_store(store, catalog, [h for h in hops if h.store == store["store"]])
    return {
        "identifier": key,
        "subject": subject,
        "on": day,
        "stores": stores,
        "holds": holds,
        "hops": [_hop_row(h) for h in hops],
        "nodes": list(graph.nodes.values()),
        "edges": list(graph.edges.values()),
    }


def _store_row(row: dict[str, Any], holds: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """A data-map row with each held category's expiry, overdue flag and the hold keeping it."""
    categories = []
    for item in row["retention"]:
        hold = _hold_on(holds, row["store"], item["category"])
        overdue = item["expires_at"] is not None and item["expires_at"] < now and hold is None
        categories.append(item | {"overdue": overdue, "hold": hold["id"] if hold else None})
    return row | {
        "categories": categories,
        "overdue": any(c["overdue"] for c in categories),
        "held_by": sorted({c["hold"] for c in categories if c["hold"]}),
    }


def _hold_on(holds: list[dict[str, Any]], store: str, category: str) -> dict[str, Any] | None:
    """The first active hold covering (store, category); an empty list in a hold means all."""
    return next(
        (
            h
            for h in holds
            if h["status"] == "active"
            and (not h["stores"] or store in h["stores"])
            and (not h["categories"] or category in h["categories"])
        ),
        None,
    )


def _hop_row(hop: TransferHop) -> dict[str, Any]:
    return {
        "store": hop.store,
        "chain": " > ".join(hop.chain),
        "country": hop.country,
        "organisation": hop.organisation,
        "status": hop.verdict.status.value,
        "approved": hop.verdict.approved,
        "mechanism": hop.verdict.mechanism,
        "reason": hop.verdict.reason,
    }


class _Graph:
    """Nodes and edges keyed so that a processor serving two stores is drawn once."""

    def __init__(self, subject: str | None) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[tuple[str, str], dict[str, Any]] = {}
        if subject:
            self._node("person", "person", f"person {subject[:8]}", 0)

    def _node(self, node_id: str, kind: str, label: str, column: int, **marks: Any) -> str:
        node = self.nodes.setdefault(node_id, {"id": node_id, "kind": kind, "label": label, "column": column})
        node["column"] = max(node["column"], column)
        node.update({k: v for k, v in marks.items() if v or k not in node})
        return node_id

    def _edge(
        self, source: str, target: str, relation: str, status: str | None = None, reason: str | None = None
    ) -> None:
        edge = self.edges.get((source, target))
        if edge is None or _worse(status, edge["status"]):
            self.edges[(source, target)] = {
                "id": f"{source}->{target}",
                "source": source,
                "target": target,
                "relation": relation,
                "status": status,
                "reason": reason,
                "approved": status is None or HopStatus(status).approved,
            }

    def add_store(self, store: dict[str, Any], catalog: Catalog, hops: list[TransferHop]) -> None:
        sid = self._node(
            f"store:{store['store']}",
            "store",
            store["store"],
            1,
            overdue=store["overdue"],
            held=bool(store["held_by"]),
            undeclared=not store["declared"],
            erased=not store["held"],
        )
        self._edge("person", sid, ", ".join(store["held"]) or "erased")
        if not hops:  # undeclared: what the graph observed, nothing judged
            if store["processor_id"]:
                self._edge(
                    sid,
                    self._node(
                        f"processor:{store['processor_id']}",
                        "processor",
                        store["processor"] or store["processor_id"],
                        2,
                    ),
                    "run by",
                )
            if store["country"]:
                self._edge(sid, self._country(store["country"]), "stored in")
            return
        for hop in hops:
            self._add_hop(sid, hop, catalog, store["country"])

    def _add_hop(self, sid: str, hop: TransferHop, catalog: Catalog, located: str | None) -> None:
        status, reason = hop.verdict.status.value, hop.verdict.reason
        chain = [self._processor(pid, catalog, depth) for depth, pid in enumerate(hop.chain)]
        parent = chain[-2] if len(chain) > 1 else sid
        self._edge(parent, chain[-1], "sub-processor" if len(chain) > 1 else "run by", status, reason)
        country = self._country(hop.destination)
        if len(chain) == 1 and hop.country == located:
            self._edge(sid, country, "stored in", status, reason)
        if len(chain) > 1 or hop.country == catalog.processor(hop.chain[0]).country:
            self._edge(chain[-1], country, "established in", status, reason)

    def _processor(self, pid: str, catalog: Catalog, depth: int) -> str:
        kind = "processor" if depth == 0 else "sub-processor"
        return self._node(f"processor:{pid}", kind, catalog.processor(pid).name, 2 + depth)

    def _country(self, code: str) -> str:
        return self._node(f"country:{code}", "country", code, 99)


def _worse(status: str | None, than: str | None) -> bool:
    if status is None:
        return False
    return than is None or _SEVERITY.index(status) < _SEVERITY.index(than)
