"""The data map as a graph: edges carry the verdict of the hop they stand for, stores their marks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from lineage.answers.person_graph import _Graph, _store_row
from lineage.answers.transfers import countries_reached
from lineage.domain.catalog import parse_catalog
from lineage.domain.transfer_chains import catalog_hops
from lineage.reference import default_transfer_rules
from lineage.settings import Settings

CATALOG = parse_catalog(Settings().catalog.read_text())
DAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def row(store: str, expires: datetime | None) -> dict[str, Any]:
    return {
        "subject": "k",
        "store": store,
        "system": "brevo",
        "processor_id": "sendinblue",
        "processor": "Sendinblue",
        "country": "FR",
        "declared": True,
        "held": ["user.contact.email"],
        "erased": [],
        "retention": [
            {
                "category": "user.contact.email",
                "expires_at": expires,
                "rule": "r",
                "trigger": "last_contact",
                "moment": None,
                "event": "brevo:1",
            }
        ],
    }


def graph_of(rows: list[dict[str, Any]], holds: list[dict[str, Any]]) -> _Graph:
    graph = _Graph("k" * 64)
    hops = catalog_hops(CATALOG, default_transfer_rules(), DAY)
    for store in (_store_row(r, holds, NOW) for r in rows):
        graph.add_store(store, CATALOG, [h for h in hops if h.store == store["store"]])
    return graph


def test_a_chain_reaches_its_countries_with_each_hops_verdict() -> None:
    graph = graph_of([row("brevo/contacts", None)], [])
    edges = {(e["source"], e["target"]): e for e in graph.edges.values()}
    assert edges[("store:brevo/contacts", "country:FR")]["status"] == "inside_eea"
    assert edges[("processor:sendinblue", "processor:sms-gateway")]["status"] == "safeguarded"
    assert edges[("processor:sms-support", "country:IN")]["approved"] is False
    kinds = {n["id"]: n["kind"] for n in graph.nodes.values()}
    assert kinds["processor:sms-support"] == "sub-processor" and kinds["country:IN"] == "country"


def test_overdue_data_is_marked_unless_a_hold_keeps_it() -> None:
    overdue = graph_of([row("brevo/contacts", datetime(2026, 1, 1, tzinfo=UTC))], [])
    assert overdue.nodes["store:brevo/contacts"]["overdue"] is True
    hold = {"id": "hold-1", "status": "active", "stores": [], "categories": ["user.contact.email"]}
    held = graph_of([row("brevo/contacts", datetime(2026, 1, 1, tzinfo=UTC))], [hold])
    assert held.nodes["store:brevo/contacts"]["overdue"] is False
    assert held.nodes["store:brevo/contacts"]["held"] is True


class Reader:
    def held_in_stores(self, stores: list[str]) -> list[dict[str, Any]]:
        return [{"store": s, "subject_type": "customer", "category": "c", "subjects": 3} for s in stores]


def test_countries_reached_worst_first_with_their_chains() -> None:
    answer = countries_reached(Reader(), CATALOG, DAY)  # type: ignore[arg-type]
    first = answer.countries[0]
    assert first.status == "unapproved" and first.subjects_at_least == 3
    india = next(c for c in answer.countries if c.destination == "IN")
    assert {h.chain for h in india.hops} == {"sendinblue > sms-gateway > sms-support"}
