"""``lineage audit verify|list|export|purge``: the tamper-evident trail of who did what.

Export and purge are themselves recorded, under the operating-system user (kind ``cli``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, cast

import typer

from lineage import render
from lineage.answers import audit as answers
from lineage.answers.connection import open_driver
from lineage.errors import QueryError
from lineage.settings import Settings

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
audit_app = typer.Typer(
    no_args_is_help=True, help="The audit trail (GDPR Art. 5(2)): verify, list, export, purge."
)
COLUMNS = ("seq", "at", "actor", "role", "action", "target", "outcome", "address")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


ActorOption = Annotated[
    str | None, typer.Option(help="Only this actor, by name (an account, a client, an OS user)")
]
ActionOption = Annotated[
    str | None, typer.Option(help="Only this action, or those under it (request matches request.open)")
]
TargetOption = Annotated[str | None, typer.Option(help="Only this target (a keyed hash, a request id...)")]
OutcomeOption = Annotated[str | None, typer.Option(help="Only this outcome: ok, denied, refused or failed")]
SinceOption = Annotated[
    str | None, typer.Option(help="From this day (YYYY-MM-DD, organisation's zone) or ISO time")
]
UntilOption = Annotated[
    str | None, typer.Option(help="Up to this day included (YYYY-MM-DD) or before this ISO time")
]


@audit_app.command("verify")
def verify(as_json: JsonOption = False) -> None:
    """Check the whole chain: exit 0 when intact, 1 naming the first seq that does not fit."""
    settings = Settings()
    with open_driver(settings) as driver:
        verdict = answers.verify(driver, settings)
    if as_json:
        print(render.as_json(verdict.model_dump(mode="json")))
    elif verdict.ok:
        render.console.print(
            f"audit trail intact: {verdict.checked} entries, seq {verdict.anchor_seq}-{verdict.head_seq}"
            f" ({verdict.purged} purged by retention); head hash {verdict.head_hash}"
        )
    else:
        render.console.print(
            f"[red]audit trail broken at seq {verdict.first_bad_seq}:[/red] {verdict.problem} "
            f"({verdict.checked} entries verified before it)"
        )
    if not verdict.ok:
        raise typer.Exit(1)


@audit_app.command("list")
def list_entries(
    actor: ActorOption = None,
    action: ActionOption = None,
    target: TargetOption = None,
    outcome: OutcomeOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option(help="Entries per page, newest first")] = 50,
    cursor: Annotated[int | None, typer.Option(help="next_cursor of the previous page")] = None,
    as_json: JsonOption = False,
) -> None:
    """Entries newest first, narrowed by actor, action, target, outcome and dates."""
    settings = Settings()
    filters = answers.filters_from(
        settings, actor=actor, action=action, target=target, outcome=outcome, since=since, until=until
    )
    with open_driver(settings) as driver:
        page = answers.entries(driver, settings, filters, cursor, limit)
    if as_json:
        print(render.as_json(page.model_dump(mode="json")))
        return
    render.table("Audit trail", page.entries, COLUMNS)
    if page.next_cursor is not None:
        render.console.print(f"more: --cursor {page.next_cursor}")


@audit_app.command("export")
def export(
    format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of standard output")] = None,
    actor: ActorOption = None,
    action: ActionOption = None,
    target: TargetOption = None,
    outcome: OutcomeOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
) -> None:
    """Every entry that matches, oldest first, as CSV or JSON (the JSON carries the head, so an
    unfiltered export can be verified away from the graph). The export is recorded."""
    if format not in ("csv", "json"):
        raise QueryError("format must be csv or json")
    settings = Settings()
    filters = answers.filters_from(
        settings, actor=actor, action=action, target=target, outcome=outcome, since=since, until=until
    )
    with open_driver(settings) as driver:
        answers.record(driver, settings, answers.cli_actor(), "audit.export", target=None, outcome="ok")
        chunks = answers.export(driver, settings, cast(answers.ExportFormat, format), filters)
        if out is None:
            for chunk in chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
            return
        with out.open("w", encoding="utf-8", newline="") as file:
            for chunk in chunks:
                file.write(chunk)
    render.console.print(f"wrote {out}")


@audit_app.command("purge")
def purge(as_json: JsonOption = False) -> None:
    """Apply retention (LINEAGE_AUDIT_RETENTION_DAYS): remove older entries, keep the chain
    verifiable from the first entry kept, and record the purge."""
    settings = Settings()
    with open_driver(settings) as driver:
        result = answers.purge(driver, settings, answers.cli_actor())
    if as_json:
        print(render.as_json(result.model_dump(mode="json")))
        return
    render.console.print(
        f"purged {result.deleted} entries older than {render.when(result.cutoff)}; "
        f"the chain now starts at seq {result.anchor_seq}; recorded as seq {result.entry.seq}"
    )
