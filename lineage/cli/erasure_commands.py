"""``lineage erasure request|status``: GDPR Art. 17 requests, from receipt to proof.

The identifier typed in is hashed at once and never printed back: the output (and the request
kept in the graph) is evidence that may be shown to others long after the data is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from lineage import render
from lineage.answers import erasure as answers
from lineage.answers import notices
from lineage.answers.connection import open_driver
from lineage.answers.erasure import ErasureRequest
from lineage.answers.subjects import subject_key
from lineage.cli.request_commands import acting
from lineage.errors import NotFoundError
from lineage.settings import Settings

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
erasure_app = typer.Typer(no_args_is_help=True, help="Erasure requests (GDPR Art. 17): open, follow.")

TASK_COLUMNS = (
    "store",
    "processor",
    "countries",
    "sub_processors",
    "categories",
    "status",
    "progress",
    "reason",
    "closed_by_event",
    "closed_at",
)


def register(app: typer.Typer) -> None:
    app.add_typer(erasure_app, name="erasure")


@contextmanager
def _not_found_exits_1() -> Iterator[None]:
    """Nobody by that identifier, or no such request: an answer, exit 1 (not a usage error)."""
    try:
        yield
    except NotFoundError as exc:
        render.console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


@erasure_app.command("request")
def request(
    identifier: Annotated[
        str, typer.Argument(help="e-mail address, or system:native-id (hubspot:90512, greenhouse:37031511)")
    ],
    requested_by: Annotated[
        str, typer.Option(help="Who asked, and how (e.g. 'data subject, by e-mail to dpo@')")
    ] = answers.DEFAULT_REQUESTER,
    received: Annotated[
        str | None,
        typer.Option(
            help="When it was received (YYYY-MM-DD: that day in the organisation's time zone, or "
            "ISO 8601 with offset); default now"
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Open an erasure request: one task per store holding the person's data, due by the end of
    the day one month after receipt, in the organisation's time zone."""
    key = subject_key(Settings(), identifier)
    with acting("request.open.erasure", key) as (driver, settings, actor):
        opened = answers.open_request(
            driver,
            settings.neo4j.database,
            key,
            requested_by,
            received,
            answers.own_copies(settings),
            answers.org_zone(settings),
            notices.on_opening(settings, identifier),
            opened_by=actor.label,
        )
    if as_json:
        print(render.as_json(opened.model_dump(mode="json")))
        return
    render.console.print(
        f"erasure request {opened.id} for subject {opened.subject}, due {render.when(opened.deadline)}"
    )
    _show(opened)


@erasure_app.command("status")
def status(
    request_id: Annotated[str | None, typer.Argument(help="One request; default all")] = None,
    as_json: JsonOption = False,
) -> None:
    """Re-check the tasks against the graph, then show the requests (newest first)."""
    settings = Settings()
    with _not_found_exits_1(), open_driver(settings) as driver:
        requests = answers.status(driver, settings.neo4j.database, request_id, answers.own_copies(settings))
    if as_json:
        print(render.as_json([one.model_dump(mode="json") for one in requests]))
        return
    if not requests:
        render.console.print("No erasure requests.")
    for one in requests:
        render.console.print(
            f"{one.id}: {one.status}, received {render.day(one.received_at)}, "
            f"due {render.day(one.deadline)}, {render.summary(one.counts.model_dump())}"
        )
        _show(one)


@erasure_app.command("extend")
def extend(
    request_id: Annotated[str, typer.Argument(help="The request to extend")],
    months: Annotated[int, typer.Option(min=1, max=2, help="Further months: 1 or 2, 2 at most in all")],
    reason: Annotated[
        str,
        typer.Option(
            help="Why (complexity, number of requests), as the person must be told; no personal data"
        ),
    ],
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
            answers.own_copies(settings),
            answers.org_zone(settings),
        )
    if as_json:
        print(render.as_json(extended.model_dump(mode="json")))
        return
    render.console.print(f"{extended.id}: extended, now due {render.when(extended.deadline)}")
    _show(extended)


@erasure_app.command("ack")
def ack(
    request_id: Annotated[str, typer.Argument(help="The erasure request")],
    task: Annotated[str, typer.Argument(help="The task: its notice id (nt-...) or its store")],
    token: Annotated[
        str | None,
        typer.Option(
            help="The processor's acknowledgement token; without it the acknowledgement is recorded "
            "as the operator's (received by e-mail or phone)"
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record that the processor acknowledged an erasure task."""
    with acting("task.ack", f"{request_id}/{task}") as (driver, settings, actor):
        acked = notices.acknowledge(driver, settings.neo4j.database, request_id, task, token, by=actor.label)
    if as_json:
        print(render.as_json(acked.model_dump(mode="json")))
        return
    render.console.print(f"{request_id} task {task}: acknowledged at {render.when(acked.acknowledged_at)}")


def _show(one: ErasureRequest) -> None:
    if ext := one.extension:
        render.console.print(
            f"extended by {ext.months} month(s) on {render.day(ext.extended_at)} "
            f"(was due {render.day(ext.original_deadline)}): {ext.reason}"
        )
    render.table(f"Tasks of {one.id}", [task.model_dump() for task in one.tasks], TASK_COLUMNS)
    for copy in one.lineage_copies or []:
        render.console.print(
            f"lineage's own copy: {copy.where} ({copy.holds}), aged out by {render.day(copy.ages_out_by)}"
        )
