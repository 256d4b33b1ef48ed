"""``lineage transfers``, ``flows``, ``transfer-impact`` and ``what-if``: Chapter V questions;
``lineage invariants``: the catalog's declared invariants.

The answers come from :mod:`lineage.answers.transfers` (the API serves the same) and
:mod:`lineage.answers.invariants`. A command exits 1 when its answer contains an unapproved hop
or a broken invariant, so a pipeline can gate on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated

import typer

from lineage import render
from lineage.answers import transfers as answers
from lineage.answers.connection import open_driver
from lineage.answers.invariants import check_invariants
from lineage.answers.transfers import Flow, Hop, TransferImpact, WhatIf
from lineage.domain.catalog import Catalog
from lineage.settings import Settings

OnOption = Annotated[str | None, typer.Option("--on", help="Judge as of this date (YYYY-MM-DD)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
HOP_COLUMNS = ("store", "chain", "country", "status", "reason")
FLOW_COLUMNS = (
    "source",
    "destination",
    "destination_country",
    "categories",
    "subjects",
    "last_seen",
    "status",
    "mechanism",
)


def _exit_if_unapproved(rows: Iterable[Hop | Flow]) -> None:
    if answers.has_unapproved(rows):
        raise typer.Exit(1)


def _show(title: str, result: TransferImpact | WhatIf, as_json: bool) -> None:
    if as_json:
        print(render.as_json(result))
    else:
        unapproved = sum(1 for h in result.hops if not h.status.approved)
        render.console.print(
            f"{title}: {result.subjects} subjects, {len(result.hops)} hop(s), {unapproved} unapproved"
        )
        render.table("Hops", result.hops, (*HOP_COLUMNS[:4], "subjects_at_least", "reason"))
        render.table(
            "Subject types and categories reached",
            result.held,
            ("store", "subject_type", "category", "subjects"),
        )
    _exit_if_unapproved(result.hops)


def register(app: typer.Typer, read_catalog: Callable[[Settings], Catalog]) -> None:
    @app.command()
    def transfers(
        on: OnOption = None,
        unapproved: Annotated[bool, typer.Option("--unapproved", help="Only unapproved hops")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Every transfer hop the catalog declares, sub-processor chains included, with its verdict."""
        settings = Settings()
        result = answers.declared_hops(read_catalog(settings), answers.parse_day(on), unapproved)
        if as_json:
            print(render.as_json(result))
        else:
            render.table(
                f"Transfer hops on {result.on} (rules as of {result.rules_as_of})", result.hops, HOP_COLUMNS
            )
        _exit_if_unapproved(result.hops)

    @app.command()
    def invariants(on: OnOption = None, as_json: JsonOption = False) -> None:
        """The catalog's declared invariants per store, and those the catalog itself breaks."""
        result = check_invariants(read_catalog(Settings()), answers.parse_day(on))
        if as_json:
            print(render.as_json(result))
        else:
            render.table("Declared invariants", result.stores, ("store", "stays_in_eea", "never_holds"))
            render.table(f"Broken by the catalog ({len(result.broken)})", result.broken, ("store", "reason"))
        if result.broken:
            raise typer.Exit(1)

    @app.command()
    def flows(on: OnOption = None, as_json: JsonOption = False) -> None:
        """The observed personal-data flows between stores, with the verdict on each destination."""
        settings = Settings()
        with open_driver(settings) as driver:
            reader = answers.graph_reader(driver, settings.neo4j.database)
            result = answers.observed_flows(reader, read_catalog(settings), answers.parse_day(on))
        if as_json:
            print(render.as_json(result))
        else:
            render.table(f"Observed flows ({len(result.flows)})", result.flows, FLOW_COLUMNS)
        _exit_if_unapproved(result.flows)

    @app.command("transfer-impact")
    def transfer_impact(
        country: Annotated[str | None, typer.Option(help="ISO country code, e.g. US")] = None,
        processor: Annotated[str | None, typer.Option(help="Processor id from the catalog")] = None,
        on: OnOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Who and what reaches a country or processor, through which chains, under which mechanism."""
        settings = Settings()
        with open_driver(settings) as driver:
            reader = answers.graph_reader(driver, settings.neo4j.database)
            result = answers.transfer_impact(
                reader, read_catalog(settings), answers.parse_day(on), country, processor
            )
        _show(f"Transfer impact ({country or processor})", result, as_json)

    @app.command("what-if")
    def what_if(
        processor: Annotated[str, typer.Option(help="Processor id (existing, or a new one)")],
        country: Annotated[str, typer.Option(help="Country it would sit in")],
        sub_processor_of: Annotated[
            str | None, typer.Option(help="For a new sub-processor: the processor that would use it")
        ] = None,
        on: OnOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Subjects and categories a proposed move or new sub-processor would affect (for a TIA)."""
        settings = Settings()
        with open_driver(settings) as driver:
            reader = answers.graph_reader(driver, settings.neo4j.database)
            result = answers.what_if(
                reader, read_catalog(settings), answers.parse_day(on), processor, country, sub_processor_of
            )
        _show(f"What if {processor} were in {result.country}", result, as_json)
