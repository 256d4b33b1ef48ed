"""``lineage transfers``, ``transfer-impact`` and ``what-if``: Chapter V questions.

The hops and their verdicts come from the catalog and the dated transfer rules (domain); who and
what is concerned comes from the graph. A command exits 1 when its answer contains an
unapproved hop, so a pipeline can gate on it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import typer

from lineage.cli import render
from lineage.domain.catalog import Catalog, normalise_country
from lineage.domain.transfer_chains import (
    TransferHop,
    catalog_hops,
    hops_reaching,
    with_processor_moved,
    with_sub_processor,
)
from lineage.errors import LineageError
from lineage.reference import default_transfer_rules
from lineage.settings import Settings

OnOption = Annotated[str | None, typer.Option("--on", help="Judge as of this date (YYYY-MM-DD)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
HOP_COLUMNS = ("store", "chain", "country", "status", "reason")


def _day(on: str | None) -> date:
    try:
        return date.fromisoformat(on) if on else date.today()
    except ValueError as exc:
        raise LineageError(f"--on: {exc}") from exc


def _country(code: str | None) -> str | None:
    try:
        return normalise_country(code) if code else None
    except ValueError as exc:
        raise LineageError(str(exc)) from exc


def _hop_row(hop: TransferHop) -> dict[str, Any]:
    return {"store": hop.store, "chain": " > ".join(hop.chain), "country": hop.country,
            "status": hop.verdict.status.value, "mechanism": hop.verdict.mechanism,
            "reason": hop.verdict.reason}


def _impact(settings: Settings, hops: list[TransferHop]) -> dict[str, Any]:
    """Who and what the hops concern, from the graph."""
    from graph.connection import open_driver
    from graph.reader import GraphReader

    stores = sorted({h.store for h in hops})
    with open_driver(settings) as driver:
        reader = GraphReader(driver, settings.neo4j.database)
        held, subjects = reader.held_in_stores(stores), reader.subjects_in_stores(stores)
    per_store: dict[str, int] = {}
    for row in held:
        per_store[row["store"]] = max(per_store.get(row["store"], 0), row["subjects"])
    return {"subjects": subjects, "held": held,
            "hops": [_hop_row(h) | {"subjects_at_least": per_store.get(h.store, 0)} for h in hops]}


def _destination_verdict(hops: list[TransferHop], store: str) -> dict[str, Any]:
    """The worst verdict among the destination store's hops; an undeclared store is unapproved."""
    own = [h for h in hops if h.store == store]
    if not own:
        return {"status": "unapproved", "mechanism": None,
                "reason": "destination store is not declared in the catalog"}
    order = ["unapproved", "safeguarded", "adequate", "inside_eea"]
    worst = min(own, key=lambda h: order.index(h.verdict.status.value))
    return {"status": worst.verdict.status.value, "mechanism": worst.verdict.mechanism,
            "reason": worst.verdict.reason}


def _show(title: str, result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(render.as_json(result))
    else:
        unapproved = sum(1 for h in result["hops"] if h["status"] == "unapproved")
        render.console.print(f"{title}: {result['subjects']} subjects, {len(result['hops'])} hop(s), "
                             f"{unapproved} unapproved")
        render.table("Hops", result["hops"], (*HOP_COLUMNS[:4], "subjects_at_least", "reason"))
        render.table("Subject types and categories reached", result["held"],
                     ("store", "subject_type", "category", "subjects"))
    if any(h["status"] == "unapproved" for h in result["hops"]):
        raise typer.Exit(1)


def register(app: typer.Typer, read_catalog: Callable[[Settings], Catalog]) -> None:
    @app.command()
    def transfers(on: OnOption = None,
                  unapproved: Annotated[bool, typer.Option("--unapproved",
                                                           help="Only unapproved hops")] = False,
                  as_json: JsonOption = False) -> None:
        """Every transfer hop the catalog declares, sub-processor chains included, with its verdict."""
        settings, day, rules = Settings(), _day(on), default_transfer_rules()
        hops = [h for h in catalog_hops(read_catalog(settings), rules, day)
                if not unapproved or not h.verdict.approved]
        rows = [_hop_row(h) for h in hops]
        if as_json:
            print(render.as_json({"on": day, "rules_as_of": rules.as_of, "hops": rows}))
        else:
            render.table(f"Transfer hops on {day} (rules as of {rules.as_of})", rows, HOP_COLUMNS)
        if any(not h.verdict.approved for h in hops):
            raise typer.Exit(1)

    @app.command()
    def flows(on: OnOption = None, as_json: JsonOption = False) -> None:
        """The observed personal-data flows between stores, with the verdict on each destination."""
        from graph.connection import open_driver
        from graph.reader import GraphReader

        settings, day = Settings(), _day(on)
        hops = catalog_hops(read_catalog(settings), default_transfer_rules(), day)
        with open_driver(settings) as driver:
            rows = GraphReader(driver, settings.neo4j.database).flows()
        for row in rows:
            row.update(_destination_verdict(hops, row["destination"]))
        if as_json:
            print(render.as_json({"on": day, "flows": rows}))
        else:
            render.table(f"Observed flows ({len(rows)})", rows,
                         ("source", "destination", "destination_country", "categories", "subjects",
                          "last_seen", "status", "mechanism"))
        if any(r["status"] == "unapproved" for r in rows):
            raise typer.Exit(1)

    @app.command("transfer-impact")
    def transfer_impact(
        country: Annotated[str | None, typer.Option(help="ISO country code, e.g. US")] = None,
        processor: Annotated[str | None, typer.Option(help="Processor id from the catalog")] = None,
        on: OnOption = None, as_json: JsonOption = False,
    ) -> None:
        """Who and what reaches a country or processor, through which chains, under which mechanism."""
        if not country and not processor:
            raise LineageError("give --country or --processor")
        settings, day = Settings(), _day(on)
        hops = hops_reaching(catalog_hops(read_catalog(settings), default_transfer_rules(), day),
                             country=_country(country), processor=processor)
        result = {"country": _country(country), "processor": processor, "on": day,
                  **_impact(settings, hops)}
        _show(f"Transfer impact ({country or processor})", result, as_json)

    @app.command("what-if")
    def what_if(
        processor: Annotated[str, typer.Option(help="Processor id (existing, or a new one)")],
        country: Annotated[str, typer.Option(help="Country it would sit in")],
        sub_processor_of: Annotated[str | None, typer.Option(
            help="For a new sub-processor: the processor that would use it")] = None,
        on: OnOption = None, as_json: JsonOption = False,
    ) -> None:
        """Subjects and categories a proposed move or new sub-processor would affect (for a TIA)."""
        settings, day, rules = Settings(), _day(on), default_transfer_rules()
        proposed = with_processor_moved(read_catalog(settings), processor, _country(country) or "")
        if sub_processor_of:
            proposed = with_sub_processor(proposed, sub_processor_of, processor)
        hops = hops_reaching(catalog_hops(proposed, rules, day), processor=processor)
        result = {"processor": processor, "country": _country(country), "on": day,
                  **_impact(settings, hops)}
        _show(f"What if {processor} were in {_country(country)}", result, as_json)
