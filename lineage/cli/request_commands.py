"""``lineage request ...``: rights requests of every kind (GDPR Art. 15-21), from receipt to closure.

The identifier typed in is hashed at once and never printed back: the output (and the request
kept in the graph) is evidence that may be shown to others long after the data is gone.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from neo4j import Driver

from lineage import render
from lineage.answers import access_report as reports
from lineage.answers import audit, notices
from lineage.answers import requests as answers
from lineage.answers.connection import open_driver
from lineage.answers.requests import RightsRequest
from lineage.answers.subjects import subject_key
from lineage.domain.access import Actor
from lineage.domain.requests import RequestKind, VerificationMethod
from lineage.errors import NotFoundError, QueryError
from lineage.settings import Settings

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
request_app = typer.Typer(
    no_args_is_help=True,
    help="Rights requests (GDPR Art. 15-21): access, portability, rectification, restriction, "
    "objection, erasure.",
)

TASK_COLUMNS = (
    "store",
    "processor",
    "countries",
    "categories",
    "status",
    "progress",
    "reason",
    "closed_by_event",
    "answered_at",
    "answer_evidence",
)
FORMATS = ("html", "pdf", "json", "csv")


def register(app: typer.Typer) -> None:
    app.add_typer(request_app, name="request")


@contextmanager
def _not_found_exits_1() -> Iterator[None]:
    """Nobody by that identifier, or no such request: an answer, exit 1 (not a usage error)."""
    try:
        yield
    except NotFoundError as exc:
        render.console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


@contextmanager
def acting(action: str, target: str) -> Iterator[tuple[Driver, Settings, Actor]]:
    """The graph, the settings and whoever runs the command, the action recorded in the audit
    trail under them (refused when it fails); nobody found, an answer, exit 1."""
    settings, actor = Settings(), audit.cli_actor()
    with (
        _not_found_exits_1(),
        open_driver(settings) as driver,
        audit.audited(driver, settings, actor, action, target),
    ):
        yield driver, settings, actor


def _print(one: RightsRequest, as_json: bool, headline: str) -> None:
    if as_json:
        print(render.as_json(one.model_dump(mode="json")))
        return
    render.console.print(headline)
    _show(one)


@request_app.command("open")
def open_command(
    identifier: Annotated[str, typer.Argument(help="e-mail address, or system:native-id (hubspot:90512)")],
    kind: Annotated[RequestKind, typer.Option(help="What the person asks for")],
    received: Annotated[
        str | None,
        typer.Option(help="When it was received (YYYY-MM-DD in the organisation's zone, or ISO 8601)"),
    ] = None,
    requested_by: Annotated[str, typer.Option(help="Who asked, and how")] = answers.DEFAULT_REQUESTER,
    verification: Annotated[
        VerificationMethod | None, typer.Option(help="How the identity was verified (the method only)")
    ] = None,
    verified_by: Annotated[
        str | None, typer.Option(help="Who verified it (a role, no personal data)")
    ] = None,
    purpose: Annotated[
        list[str] | None, typer.Option(help="Objection: a purpose (fideslang data use; 'marketing': all)")
    ] = None,
    category: Annotated[list[str] | None, typer.Option(help="Rectification: a category to correct")] = None,
    as_json: JsonOption = False,
) -> None:
    """Open a request: one task per store it must reach (each sent to its processor), due by the
    end of the day one month after receipt, in the organisation's time zone."""
    key = subject_key(Settings(), identifier)
    with acting(f"request.open.{kind.value}", key) as (driver, settings, actor):
        opened = answers.open_request(
            driver,
            settings.neo4j.database,
            kind.value,
            key,
            opened_by=actor.label,
            received=received,
            requested_by=requested_by,
            verification_method=verification and verification.value,
            verified_by=verified_by,
            purposes=purpose,
            categories=category,
            zone=answers.org_zone(settings),
            on_opened=notices.on_opening(settings, identifier),
            copies=answers.own_copies(settings),
        )
    _print(opened, as_json, f"{opened.kind} request {opened.id}, due {render.when(opened.deadline)}")


@request_app.command("status")
def status_command(
    request_id: Annotated[str | None, typer.Argument(help="One request; default all")] = None,
    kind: Annotated[RequestKind | None, typer.Option(help="Only requests of this kind")] = None,
    as_json: JsonOption = False,
) -> None:
    """Re-check the tasks against the graph, then show the requests (newest first)."""
    settings = Settings()
    with _not_found_exits_1(), open_driver(settings) as driver:
        found = answers.status(
            driver,
            settings.neo4j.database,
            request_id,
            kind=kind and kind.value,
            copies=answers.own_copies(settings),
        )
    if as_json:
        print(render.as_json([one.model_dump(mode="json") for one in found]))
        return
    if not found:
        render.console.print("No requests.")
    for one in found:
        render.console.print(
            f"{one.id} ({one.kind}): {one.status}, received {render.day(one.received_at)}, "
            f"due {render.day(one.deadline)}, {render.summary(one.counts.model_dump())}"
        )
        _show(one)


@request_app.command("extend")
def extend_command(
    request_id: Annotated[str, typer.Argument(help="The request to extend")],
    months: Annotated[int, typer.Option(min=1, max=2, help="Further months: 1 or 2, 2 at most in all")],
    reason: Annotated[str, typer.Option(help="Why, as the person must be told; no personal data")],
    as_json: JsonOption = False,
) -> None:
    """Extend a request by up to two further months (Art. 12(3)); only within its first month."""
    with acting("request.extend", request_id) as (driver, settings, _actor):
        extended = answers.extend(
            driver,
            settings.neo4j.database,
            request_id,
            months,
            reason,
            answers.org_zone(settings),
            answers.own_copies(settings),
        )
    _print(extended, as_json, f"{extended.id}: extended, now due {render.when(extended.deadline)}")


@request_app.command("answer")
def answer_command(
    request_id: Annotated[str, typer.Argument(help="The request")],
    task: Annotated[str, typer.Argument(help="The task: its store, notice id (nt-...) or id")],
    evidence: Annotated[
        str, typer.Option(help="What the system answered (a ticket, a file); no personal data")
    ],
    as_json: JsonOption = False,
) -> None:
    """Record a system's answer to a task (not erasure: its deletions close it), closing it; it
    is recorded as answered by whoever runs the command."""
    with acting("task.answer", f"{request_id}/{task}") as (driver, settings, actor):
        answered = answers.answer_task(
            driver, settings.neo4j.database, request_id, task, evidence, actor.label
        )
    _print(answered, as_json, f"{answered.id} task {task}: answered; request {answered.status}")


@request_app.command("lift")
def lift_command(
    request_id: Annotated[str, typer.Argument(help="The restriction or objection")],
    reason: Annotated[str, typer.Option(help="Why it is lifted (Art. 18(3)); no personal data")],
    as_json: JsonOption = False,
) -> None:
    """Lift a restriction or an objection, with its reason."""
    with acting("request.lift", request_id) as (driver, settings, _actor):
        lifted = answers.lift(driver, settings.neo4j.database, request_id, reason)
    _print(lifted, as_json, f"{lifted.id}: lifted, {lifted.status}")


@request_app.command("close")
def close_command(
    request_id: Annotated[str, typer.Argument(help="The request")],
    note: Annotated[str, typer.Option(help="How the person was answered; no personal data")],
    as_json: JsonOption = False,
) -> None:
    """Close a request with nothing outstanding, noting how the person was answered."""
    with acting("request.close", request_id) as (driver, settings, _actor):
        closed = answers.close(driver, settings.neo4j.database, request_id, note)
    _print(closed, as_json, f"{closed.id}: {closed.status}")


@request_app.command("ack")
def ack_command(
    request_id: Annotated[str, typer.Argument(help="The request")],
    task: Annotated[str, typer.Argument(help="The task: its notice id (nt-...) or its store")],
    token: Annotated[str | None, typer.Option(help="The processor's token; without: the operator's")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record that the processor acknowledged a task."""
    with acting("task.ack", f"{request_id}/{task}") as (driver, settings, actor):
        acked = notices.acknowledge(driver, settings.neo4j.database, request_id, task, token, by=actor.label)
    if as_json:
        print(render.as_json(acked.model_dump(mode="json")))
        return
    render.console.print(f"{request_id} task {task}: acknowledged at {render.when(acked.acknowledged_at)}")


@request_app.command("report")
def report_command(
    request_id: Annotated[str, typer.Argument(help="The request whose person the report is for")],
    format: Annotated[str, typer.Option(help="html, pdf, json, or csv (portability)")] = "html",
    lang: Annotated[str | None, typer.Option(help="fr or en; default the organisation's")] = None,
    out: Annotated[Path | None, typer.Option(help="Write it to this file and print its path")] = None,
) -> None:
    """The person's access report (Art. 15), or for a portability request its export (Art. 20)
    in JSON or CSV; HTML and PDF are the report a person can read."""
    if format not in FORMATS:
        raise QueryError(f"format: one of {', '.join(FORMATS)}")
    with acting("request.report", request_id) as (driver, settings, _actor):
        database = settings.neo4j.database
        one = answers.one(driver, database, request_id)
        content: str | bytes
        if one.kind == RequestKind.PORTABILITY and format in ("json", "csv"):
            export = reports.portability_export(driver, database, settings, request_id=request_id)
            content = export.to_json() if format == "json" else export.to_csv()
        elif format == "csv":
            raise QueryError(
                "format: csv is the portability export's; the access report is html, pdf or json"
            )
        else:
            report = reports.access_report(driver, database, settings, request_id=request_id, lang=lang)
            if format == "pdf":
                content = reports.render_pdf(report)
            elif format == "html":
                content = reports.render_html(report)
            else:
                content = report.model_dump_json(indent=2) + "\n"
    if out is not None:
        out.write_bytes(content if isinstance(content, bytes) else content.encode())
        render.console.print(str(out))
    elif isinstance(content, bytes):
        sys.stdout.buffer.write(content)
    else:
        sys.stdout.write(content)


def _show(one: RightsRequest) -> None:
    method = one.verification.method or "not recorded"
    render.console.print(
        f"verified: {method}"
        + (f" by {one.verification.verified_by}" if one.verification.verified_by else "")
    )
    if one.purposes:
        render.console.print(f"purposes: {', '.join(one.purposes)}")
    if one.in_force is not None:
        since = render.when(one.in_force_since) if one.in_force_since else "receipt"
        lifted = render.when(one.lifted_at) if one.lifted_at else ""
        state = f"in force since {since}" if one.in_force else f"lifted {lifted}"
        render.console.print(state + (f": {one.lift_reason}" if one.lift_reason else ""))
    if ext := one.extension:
        render.console.print(
            f"extended by {ext.months} month(s) on {render.day(ext.extended_at)} "
            f"(was due {render.day(ext.original_deadline)}): {ext.reason}"
        )
    render.table(f"Tasks of {one.id}", one.tasks, TASK_COLUMNS)
    if one.closure_note:
        render.console.print(f"closed: {one.closure_note}")
    for copy in one.lineage_copies or []:
        render.console.print(
            f"lineage's own copy: {copy.where} ({copy.holds}), aged out by {render.day(copy.ages_out_by)}"
        )
