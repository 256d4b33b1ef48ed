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
from pydantic import Field

from lineage.answers.answer import Answer
from lineage.answers.holds import Hold, holds_covering, listed_holds
from lineage.answers.subjects import CategoryRetention, ConsentRecord, StoreHoldings, data_map
from lineage.domain.catalog import Catalog
from lineage.domain.retention import RetentionState, retention_state
from lineage.domain.transfer_chains import TransferHop, catalog_hops
from lineage.domain.transfers import HopStatus
from lineage.reference import default_transfer_rules

# Worst first: an edge standing for several hops shows the worst of them.
_SEVERITY = ("unapproved", "scc_module_mismatch", "derogation", "safeguarded", "adequate", "inside_eea")


class CategoryStatus(CategoryRetention):
    """A held category with whether it is overdue and the hold that keeps it, if any."""

    overdue: bool = Field(
        description="past its expiry (an archive rule's: past its archive) and not under a hold"
    )
    hold: str | None = Field(description="id of the first active hold covering it")


class PersonStore(StoreHoldings):
    """A data-map row with each held category's expiry, overdue flag and hold."""

    categories: list[CategoryStatus] = Field(description="per held category: expiry, overdue, hold")
    overdue: bool = Field(description="whether any category there is overdue")
    held_by: list[str] = Field(description="ids of the holds keeping data there")


class PersonHop(Answer):
    """A declared transfer hop from one of the person's stores, judged on the day asked."""

    store: str = Field(description="the store whose data travels")
    chain: str = Field(description="the processors it passes through, ' > '-joined")
    country: str = Field(description="where the last processor of the chain sits")
    organisation: str | None = Field(description="the international organisation received by, if any")
    status: str = Field(description="the Chapter V verdict")
    approved: bool = Field(description="whether the verdict lets the data go")
    mechanism: str | None = Field(description="the adequacy decision or safeguard relied on")
    reason: str = Field(description="why the verdict is what it is")


class GraphNode(Answer):
    """A node drawn: the person, a store, a processor, a sub-processor or a country."""

    id: str = Field(description="kind:id, unique in the drawing")
    kind: str = Field(description="person, store, processor, sub-processor or country")
    label: str = Field(description="what the node shows")
    column: int = Field(description="left-to-right rank in the drawing")
    overdue: bool | None = Field(None, description="a store with overdue data")
    held: bool | None = Field(None, description="a store where a legal hold keeps data")
    undeclared: bool | None = Field(None, description="a store the catalog does not declare")
    erased: bool | None = Field(None, description="a store where nothing is held any more")


class GraphEdge(Answer):
    """An edge drawn, with the worst verdict of the hops it stands for."""

    id: str = Field(description="source->target")
    source: str = Field(description="node id it starts from")
    target: str = Field(description="node id it ends at")
    relation: str = Field(description="holds, run by, sub-processor, stored in, established in")
    status: str | None = Field(description="the worst verdict of the hops it stands for")
    reason: str | None = Field(description="why")
    approved: bool = Field(description="whether every hop it stands for is approved")


class PersonGraph(Answer):
    """The data map of one person as nodes and edges with verdicts and marks."""

    identifier: str = Field(description="the keyed hash looked up")
    subject: str | None = Field(description="the person it belongs to; null when nobody is known")
    on: date = Field(description="the day the transfers are judged on")
    stores: list[PersonStore] = Field(description="one row per store")
    holds: list[Hold] = Field(description="legal holds in force on the person")
    consents: list[ConsentRecord] = Field(
        [], description="per purpose the person gave or withdrew consent for"
    )
    hops: list[PersonHop] = Field(description="declared hops from the person's stores")
    nodes: list[GraphNode] = Field(description="what the drawing shows")
    edges: list[GraphEdge] = Field(description="how the nodes are joined")

    def drawing(self) -> dict[str, list[dict[str, Any]]]:
        """Nodes and edges as the browser's script reads them (a node carries its marks only
        when it has them)."""
        return {
            "nodes": [n.model_dump(mode="json", exclude_none=True) for n in self.nodes],
            "edges": [e.model_dump(mode="json") for e in self.edges],
        }


def person_graph(
    driver: Driver, database: str, catalog: Catalog, key: str, day: date, now: datetime | None = None
) -> PersonGraph:
    """``subject`` is None when nobody is known by ``key`` (then no nodes): like ``POST
    /subject``, the answer says no more than the CLI's."""
    now = now or datetime.now(UTC)
    answer = data_map(driver, database, key, catalog, now)
    subject = answer.subject
    systems = {store.id: system.id for system, store in catalog.stores()}
    in_force = listed_holds(driver, database) if subject else []
    covering = {
        (row.store, item.category): holds_covering(
            in_force, subject or "", row.store, systems.get(row.store), item.category
        )
        for row in answer.stores
        for item in row.retention
    }
    holds = [h for h in in_force if any(h in found for found in covering.values())]
    stores = [_store_row(row.model_dump(), covering, now) for row in answer.stores]
    hops = [
        h
        for h in catalog_hops(catalog, default_transfer_rules(), day)
        if h.store in {s["store"] for s in stores}
    ]
    graph = _Graph(subject)
    for store in stores:
        graph.add_store(store, catalog, [h for h in hops if h.store == store["store"]])
    return PersonGraph(
        identifier=key,
        subject=subject,
        on=day,
        stores=[PersonStore.model_validate(s) for s in stores],
        holds=holds,
        consents=answer.consents,
        hops=[PersonHop.model_validate(_hop_row(h)) for h in hops],
        nodes=[GraphNode.model_validate(n) for n in graph.nodes.values()],
        edges=[GraphEdge.model_validate(e) for e in graph.edges.values()],
    )


def _store_row(
    row: dict[str, Any], covering: dict[tuple[str, str], list[Hold]], now: datetime
) -> dict[str, Any]:
    """A data-map row with each held category's expiry, overdue flag and the hold keeping it."""
    categories = []
    for item in row["retention"]:
        holds = covering.get((row["store"], item["category"]), [])
        hold = holds[0].id if holds else None
        state = retention_state(item["expires_at"], item.get("archive_until"), now)
        overdue = state is RetentionState.OVERDUE and hold is None
        categories.append(item | {"overdue": overdue, "hold": hold})
    return row | {
        "categories": categories,
        "overdue": any(c["overdue"] for c in categories),
        "held_by": sorted({c["hold"] for c in categories if c["hold"]}),
    }


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
