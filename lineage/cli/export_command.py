"""``lineage export fides``: what lineage knows, as manifests another tool loads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from lineage.answers import fides as answers
from lineage.answers.connection import open_driver
from lineage.answers.transfers import parse_day
from lineage.domain.catalog import Catalog
from lineage.settings import Settings

export_app = typer.Typer(no_args_is_help=True, help="Export the catalog and the observed graph.")


def register(app: typer.Typer, read_catalog: Callable[[Settings], Catalog]) -> None:
    app.add_typer(export_app, name="export")

    @export_app.command("fides")
    def fides(
        out: Annotated[
            Path, typer.Option("--out", file_okay=False, help="Folder the manifests are written to")
        ] = Path("fides"),
        on: Annotated[
            str | None,
            typer.Option("--on", help="Judge transfers as of this date (YYYY-MM-DD); default today"),
        ] = None,
    ) -> None:
        """Fides system and dataset manifests (fideslang), validated, from the catalog and the graph."""
        day = parse_day(on)
        settings = Settings()
        catalog = read_catalog(settings)
        with open_driver(settings) as driver:
            built = answers.export(driver, settings.neo4j.database, catalog, day)
        typer.echo(answers.summary(built, answers.write(built, out)))
