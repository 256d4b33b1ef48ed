"""Chapter V answers: every hop and its verdict, observed flows, transfer impact, what-if.

The hops and their verdicts come from the catalog and the dated transfer rules; who and what is
concerned comes from the graph.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from graph.reader import GraphReader
from lineage.domain.catalog import Catalog, normalise_country
from lineage.domain.transfer_chains import (
    TransferHop,
    catalog_hops,
    flow_hops,
    hops_reaching,
    with_processor_moved,
    with_sub_processor,
)
from lineage.domain.transfer_rules import legal_day
from lineage.domain.transfers import HopStatus
from lineage.errors import QueryError
from lineage.reference import default_transfer_rules

_WORST_FIRST = ("unapproved", "scc_module_mismatch", "derogation", "safeguarded", "adequate", "inside_eea")


def parse_day(on: str | None) -> date:
    """The day asked for, else today in Brussels, the days the decisions' dates are in."""
    try:
        return date.fromisoformat(on) if on else legal_day(datetime.now(UTC))
    except ValueError as exc:
        raise QueryError(f"on: {exc}") from exc


def parse_country(code: str | None) -> str | None:
    try:
        return normalise_country(code) if code else None
    except ValueError as exc:
        raise QueryError(str(exc)) from exc


def hop_row(hop: TransferHop) -> dict[str, Any]:
    return {
        "store": hop.store,
        "chain": " > ".join(hop.chain),
        "country": hop.country,
        "organisation": hop.organisation,
        "status": hop.verdict.status.value,
        "mechanism": hop.verdict.mechanism,
        "reason": hop.verdict.reason,
    }


def has_unapproved(rows: list[dict[str, Any]]) -> bool:
    """An SCC module mismatch counts: the clauses signed do not cover the hop."""
    return any(not HopStatus(row["status"]).approved for row in rows)


def declared_hops(catalog: Catalog, day: date, unapproved_only: bool = False) -> dict[str, Any]:
    """Every hop the catalog implies on ``day``, sub-processor chains included."""
    rules = default_transfer_rules()
    hops = [h for h in catalog_hops(catalog, rules, day) if not unapproved_only or not h.verdict.approved]
    return {"on": day, "rules_as_of": rules.as_of, "hops": [hop_row(h) for h in hops]}


def observed_flows(reader: GraphReader, catalog: Catalog, day: date) -> dict[str, Any]:
    """Store-to-store flows seen in events, each with the verdict on where it lands."""
    rules = default_transfer_rules()
    rows = reader.flows()
    for row in rows:
        hops = flow_hops(catalog, rules, day, row["source"], row["destination"])
        row["flow_declared"] = catalog.flow(row["source"], row["destination"]) is not None
        row.update(_destination_verdict(hops, row["destination"]))
    return {"on": day, "flows": rows}


def transfer_impact(
    reader: GraphReader, catalog: Catalog, day: date, country: str | None = None, processor: str | None = None
) -> dict[str, Any]:
    """Who and what reaches a country or a processor, through which chains, under what."""
    if not country and not processor:
        raise QueryError("give a country or a processor")
    code = parse_country(country)
    hops = hops_reaching(
        catalog_hops(catalog, default_transfer_rules(), day), country=code, processor=processor
    )
    return {"country": code, "processor": processor, "on": day, **_impact(reader, hops)}


def what_if(
    reader: GraphReader,
    catalog: Catalog,
    day: date,
    processor: str,
    country: str,
    sub_processor_of: str | None = None,
) -> dict[str, Any]:
    """The subjects and categories a proposed move or new sub-processor would affect."""
    code = parse_country(country)
    if code is None:
        raise QueryError("give the country the processor would sit in")
    proposed = with_processor_moved(catalog, processor, code)
    if sub_processor_of:
        try:
            proposed = with_sub_processor(proposed, sub_processor_of, processor)
        except ValueError as exc:
            raise QueryError(str(exc)) from exc
    hops = hops_reaching(catalog_hops(proposed, default_transfer_rules(), day), processor=processor)
    return {"processor": processor, "country": code, "on": day, **_impact(reader, hops)}


def _impact(reader: GraphReader, hops: list[TransferHop]) -> dict[str, Any]:
    stores = sorted({h.store for h in hops})
    held, subjects = reader.held_and_subjects(stores)
    per_store: dict[str, int] = {}
    for row in held:
        per_store[row["store"]] = max(per_store.get(row["store"], 0), row["subjects"])
    return {
        "subjects": subjects,
        "held": held,
        "hops": [hop_row(h) | {"subjects_at_least": per_store.get(h.store, 0)} for h in hops],
    }


def _destination_verdict(hops: list[TransferHop], store: str) -> dict[str, Any]:
    """The worst verdict among the destination store's hops; an undeclared store is unapproved."""
    own = [h for h in hops if h.store == store]
    if not own:
        return {
            "status": "unapproved",
            "mechanism": None,
            "reason": "destination store is not declared in the catalog",
        }
    worst = min(own, key=lambda h: _WORST_FIRST.index(h.verdict.status.value))
    return {
        "status": worst.verdict.status.value,
        "mechanism": worst.verdict.mechanism,
        "reason": worst.verdict.reason,
    }


def countries_reached(reader: GraphReader, catalog: Catalog, day: date) -> dict[str, Any]:
    """Every country (or international organisation) the catalog's hops reach on ``day``: by
    which chains, under what verdict, and at least how many people (the largest store behind
    it: one read for all stores; ``transfer-impact`` counts one country exactly)."""
    rules = default_transfer_rules()
    hops = catalog_hops(catalog, rules, day)
    per_store: dict[str, int] = {}
    for row in reader.held_in_stores(sorted({h.store for h in hops})):
        per_store[row["store"]] = max(per_store.get(row["store"], 0), row["subjects"])
    reached: dict[str, dict[str, Any]] = {}
    for hop in hops:
        entry = reached.setdefault(
            hop.destination,
            {"destination": hop.destination, "hops": [], "subjects_at_least": 0, "status": "inside_eea"},
        )
        entry["hops"].append(hop_row(hop) | {"subjects_at_least": per_store.get(hop.store, 0)})
        entry["subjects_at_least"] = max(entry["subjects_at_least"], per_store.get(hop.store, 0))
        if _WORST_FIRST.index(hop.verdict.status.value) < _WORST_FIRST.index(entry["status"]):
            entry["status"] = hop.verdict.status.value
    countries = sorted(reached.values(), key=lambda e: (_WORST_FIRST.index(e["status"]), e["destination"]))
    return {"on": day, "rules_as_of": rules.as_of, "countries": countries}
