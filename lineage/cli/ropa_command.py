"""``lineage ropa``: the record of processing activities (GDPR Art. 30) as CSV or JSON, the
processor's record (Art. 30(2)) with ``--processor-record``, and what changed since a previous
export with ``--diff FILE``.

The record is a document to keep or hand over, not a view, so it is written as-is (no rich
formatting) to stdout or to ``--output``. Flags are findings for the DPO, not failures, so the
command exits 0 whatever they say; a diff exits 0 too, unless ``--fail-on-change`` asks a CI job
to stop on a record that moved. :mod:`lineage.answers.ropa` builds the same records for the API.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from lineage import render
from lineage.answers import ropa as answers
from lineage.answers.connection import open_driver
from lineage.answers.transfers import parse_day
from lineage.domain.catalog import Catalog
from lineage.domain.ropa import ProcessorRow, RopaRow, processor_record_csv, ropa_csv
from lineage.domain.ropa_diff import RecordDiff, diff_json, diff_summary
from lineage.errors import QueryError
from lineage.settings import Settings

FormatOption = Annotated[str, typer.Option("--format", help="csv (one line per activity) or json")]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", dir_okay=False, writable=True, help="Write to this file instead of stdout"
    ),
]
OnOption = Annotated[str | None, typer.Option("--on", help="Judge transfers as of this date (YYYY-MM-DD)")]
ProcessorOption = Annotated[
    bool,
    typer.Option(
        "--processor-record", help="The processor's record (Art. 30(2)): processing done for clients"
    ),
]
DiffOption = Annotated[
    Path | None,
    typer.Option(
        "--diff",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Compare with a previous export of this command (CSV or JSON)",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="With --diff: the differences as JSON")]
FailOption = Annotated[
    bool, typer.Option("--fail-on-change", help="With --diff: exit 1 when the record changed (for CI)")
]


def render_record(rows: Sequence[RopaRow], fmt: str) -> str:
    """The record as text; JSON is encoded like the API's so the two compare equal."""
    return ropa_csv(rows) if fmt == "csv" else render.as_json(rows) + "\n"


def render_processor_record(rows: Sequence[ProcessorRow], fmt: str) -> str:
    return processor_record_csv(rows) if fmt == "csv" else render.as_json(rows) + "\n"


def _read_record(settings: Settings, catalog: Catalog, on: str | None) -> list[RopaRow]:
    with open_driver(settings) as driver:
        return answers.record(driver, settings.neo4j.database, catalog, parse_day(on))


def _write(text: str, output: Path | None) -> None:
    """``newline=""`` keeps the CSV's ``\\r\\n`` row ends exactly as the csv module wrote them."""
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8", newline="")


def _show_diff(diff: RecordDiff) -> None:
    """The differences as tables: activities added and removed, then each changed cell."""
    render.console.print(diff_summary(diff))
    if diff.added or diff.removed:
        moved = [{"change": "added", "activity": k} for k in diff.added]
        moved += [{"change": "removed", "activity": k} for k in diff.removed]
        render.table("Activities added or removed", moved, ("change", "activity"))
    if diff.changed:
        render.table("Changed activities", _changed_cells(diff), ("activity", "field", "before", "after"))
    if diff.columns_added or diff.columns_removed:
        render.console.print(
            f"columns not compared: new {', '.join(diff.columns_added) or '-'}; "
            f"gone {', '.join(diff.columns_removed) or '-'}"
        )


def _changed_cells(diff: RecordDiff) -> list[dict[str, Any]]:
    """One line per changed cell; a list shows only what appeared (+) and what went (-)."""
    cells = []
    for change in diff.changed:
        for f in change.changes:
            if isinstance(f.before, tuple):
                before: object = [f"- {item}" for item in f.removed]
                after: object = [f"+ {item}" for item in f.added]
            else:
                before, after = f.before, f.after
            cells.append({"activity": change.key, "field": f.field, "before": before, "after": after})
    return cells


def _diff(settings: Settings, catalog: Catalog, on: str | None, previous: Path, as_json: bool) -> RecordDiff:
    text = previous.read_text(encoding="utf-8")
    with open_driver(settings) as driver:
        _rows, diff = answers.diff(
            driver, settings.neo4j.database, catalog, parse_day(on), text, previous.name
        )
    if as_json:
        sys.stdout.write(render.as_json(diff_json(diff)) + "\n")
    else:
        _show_diff(diff)
    return diff


def register(app: typer.Typer, read_catalog: Callable[[Settings], Catalog]) -> None:
    @app.command()
    def ropa(
        fmt: FormatOption = "csv",
        output: OutputOption = None,
        on: OnOption = None,
        processor_record: ProcessorOption = False,
        diff: DiffOption = None,
        as_json: JsonOption = False,
        fail_on_change: FailOption = False,
    ) -> None:
        """The record of processing activities (GDPR Art. 30), with where the graph disagrees."""
        chosen = answers.parse_format(fmt)  # before any I/O: a typo should not wait for Neo4j
        if diff is not None and processor_record:
            raise QueryError("--diff compares the controller's record; drop --processor-record")
        if (as_json or fail_on_change) and diff is None:
            raise QueryError("--json and --fail-on-change go with --diff FILE")
        settings = Settings()
        catalog = read_catalog(settings)
        if diff is not None:
            if not _diff(settings, catalog, on, diff, as_json).empty and fail_on_change:
                raise typer.Exit(1)
            return
        if processor_record:
            entries = answers.processors_record(catalog, parse_day(on))
            _write(render_processor_record(entries, chosen), output)
            if output is not None:
                typer.echo(f"{len(entries)} client processing entries", err=True)
            return
        rows = _read_record(settings, catalog, on)
        _write(render_record(rows, chosen), output)
        if output is not None:
            typer.echo(answers.summary(rows), err=True)
