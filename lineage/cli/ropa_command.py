"""``lineage ropa``: the record of processing activities (GDPR Art. 30) as CSV or JSON.

The output is a document to keep or hand over, not a view, so it is written as-is (no rich
formatting) to stdout or to ``--output``. Flags are findings for the DPO, not failures, so the
command exits 0 whatever they say; :mod:`lineage.answers.ropa` builds the same record for the API.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer

from lineage import render
from lineage.answers import ropa as answers
from lineage.answers.connection import open_driver
from lineage.answers.transfers import parse_day
from lineage.domain.catalog import Catalog
from lineage.domain.ropa import RopaRow, ropa_csv
from lineage.settings import Settings

FormatOption = Annotated[str, typer.Option("--format", help="csv (one line per activity) or json")]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", dir_okay=False, writable=True, help="Write to this file instead of stdout"
    ),
]
OnOption = Annotated[str | None, typer.Option("--on", help="Judge transfers as of this date (YYYY-MM-DD)")]


def render_record(rows: Sequence[RopaRow], fmt: str) -> str:
    """The record as text; JSON is encoded like the API's so the two compare equal."""
    return ropa_csv(rows) if fmt == "csv" else render.as_json(rows) + "\n"


def _read_record(settings: Settings, catalog: Catalog, on: str | None) -> list[RopaRow]:
    with open_driver(settings) as driver:
        return answers.record(driver, settings.neo4j.database, catalog, parse_day(on))


def _write(text: str, output: Path | None) -> None:
    """``newline=""`` keeps the CSV's ``\\r\\n`` row ends exactly as the csv module wrote them."""
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8", newline="")


def register(app: typer.Typer, read_catalog: Callable[[Settings], Catalog]) -> None:
    @app.command()
    def ropa(fmt: FormatOption = "csv", output: OutputOption = None, on: OnOption = None) -> None:
        """The record of processing activities (GDPR Art. 30), with where the graph disagrees."""
        chosen = answers.parse_format(fmt)  # before any I/O: a typo should not wait for Neo4j
        settings = Settings()
        rows = _read_record(settings, read_catalog(settings), on)
        _write(render_record(rows, chosen), output)
        if output is not None:
            typer.echo(answers.summary(rows), err=True)
