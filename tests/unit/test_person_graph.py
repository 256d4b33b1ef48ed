"""The data map as a graph: edges carry the verdict of the hop they stand for, stores their marks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from lineage.answers.holds import Hold, holds_covering
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


def graph_of(rows: list[dict[str, Any]], holds: list[Hold]) -> _Graph:
    graph = _Graph("k" * 64)
    hops = catalog_hops(CATALOG, default_transfer_rules(), DAY)
    covering = {
        (r["store"], c["category"]): holds_covering(holds, "k", r["store"], r["system"], c["category"])
        for r in rows
        for c in r["retention"]
    }
    for store in (_store_row(r, covering, NOW) for r in rows):
        graph.add_store(store, CATALOG, [h for h in hops if h.store == store["store"]])
    return graph


def hold(
    scope: str, target: str | None = None, categories: tuple[str, ...] = (), subject: str | None = None
) -> Hold:
    return Hold.model_validate(
        {
            "id": f"hold-{scope}",
            "scope": scope,
            "target": target,
            "subject": subject,
            "reason": "case 2026-117",
            "stores": [],
            "categories": list(categories),
            "since": NOW,
            "until": None,
            "released_at": None,
            "status": "active",
        }
    )


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
    held = graph_of(
        [row("brevo/contacts", datetime(2026, 1, 1, tzinfo=UTC))],
        [hold("person", categories=("user.contact.email",), subject="k")],
    )
    assert held.nodes["store:brevo/contacts"]["overdue"] is False
    assert held.nodes["store:brevo/contacts"]["held"] is True


def test_a_store_system_or_organisation_hold_keeps_the_persons_data_there() -> None:
    expired = [row("brevo/contacts", datetime(2026, 1, 1, tzinfo=UTC))]
    for covering in (
        hold("store", "brevo/contacts"),
        hold("system", "brevo"),
        hold("organisation", categories=("user.contact",)),  # a parent category covers its children
    ):
        store = graph_of(expired, [covering]).nodes["store:brevo/contacts"]
        assert (store["overdue"], store["held"]) == (False, True), covering.scope
    for elsewhere in (
        hold("store", "crm/contacts"),
        hold("system", "crm"),
        hold("organisation", categories=("user.financial",)),
        hold("person", subject="someone else"),
    ):
        store = graph_of(expired, [elsewhere]).nodes["store:brevo/contacts"]
        assert store["overdue"] is True, elsewhere.scope


class Reader:
    def held_in_stores(self, stores: list[str]) -> list[dict[str, Any]]:
        return [{"store": s, "subject_type": "customer", "category": "c", "subjects": 3} for s in stores]


def test_countries_reached_worst_first_with_their_chains() -> None:
    answer = countries_reached(Reader(), CATALOG, DAY)  # type: ignore[arg-type]
    first = answer.countries[0]
    assert first.status == "unapproved" and first.subjects_at_least == 3
    india = next(c for c in answer.countries if c.destination == "IN")
    assert {h.chain for h in india.hops} == {"sendinblue > sms-gateway > sms-support"}
