"""``lineage breach ...``: personal data breaches (GDPR Art. 33-34), from awareness to closure.

Every change is recorded in the audit trail under whoever runs the command, and the breach
keeps who notified the authority and the people. People are named by keyed hash only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from neo4j import Driver

from lineage import render
from lineage.answers import audit
from lineage.answers import breach as answers
from lineage.answers.breach import Breach
from lineage.answers.catalog_file import read_catalog
from lineage.answers.connection import open_driver
from lineage.domain.access import Actor
from lineage.domain.catalog import Catalog
from lineage.errors import NotFoundError, QueryError
from lineage.settings import Settings

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
breach_app = typer.Typer(
    no_args_is_help=True,
    help="Personal data breaches (GDPR Art. 33-34): size, notify the authority and the people, close.",
)


def register(app: typer.Typer) -> None:
    app.add_typer(breach_app, name="breach")


@contextmanager
def acting(action: str, target: str) -> Iterator[tuple[Driver, Settings, Catalog, Actor]]:
    """The graph, the settings, the catalog and whoever runs the command, the action recorded in
    the audit trail under them; no such breach, an answer, exit 1."""
    settings, actor = Settings(), audit.cli_actor()
    catalog = read_catalog(settings)
    try:
        with open_driver(settings) as driver, audit.audited(driver, settings, actor, action, target):
            yield driver, settings, catalog, actor
    except NotFoundError as exc:
        render.console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


def _print(one: Breach, as_json: bool, headline: str) -> None:
    if as_json:
        print(render.as_json(one.model_dump(mode="json")))
        return
    render.console.print(headline)
    _show(one)


@breach_app.command("open")
def open_command(
    exposed_from: Annotated[
        str,
        typer.Option("--from", help="Exposure start (YYYY-MM-DD in the organisation's zone, or ISO 8601)"),
    ],
    exposed_to: Annotated[str, typer.Option("--to", help="Exposure end (YYYY-MM-DD or ISO 8601)")],
    description: Annotated[str, typer.Option(help="What happened; no personal data")],
    store: Annotated[str | None, typer.Option(help="The store breached")] = None,
    processor: Annotated[
        str | None, typer.Option(help="The processor breached: every store its chain reaches")
    ] = None,
    aware_at: Annotated[
        str | None, typer.Option(help="When the organisation became aware (default now): the 72 hours start")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Open a breach: who was held there in the window, which categories and countries, the risk,
    and the deadline to notify the supervisory authority (72 hours from awareness)."""
    target = f"store:{store}" if store else f"processor:{processor}"
    with acting("breach.open", target) as (driver, settings, catalog, actor):
        opened = answers.open_breach(
            driver,
            settings.neo4j.database,
            catalog,
            store=store,
            processor=processor,
            exposed_from=exposed_from,
            exposed_to=exposed_to,
            aware_at=aware_at,
            text=description,
            opened_by=actor.label,
        )
    _print(
        opened,
        as_json,
        f"breach {opened.id}: {opened.subjects} people, risk {opened.risk}, "
        f"notify the authority by {render.when(opened.deadline)}",
    )


@breach_app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Every breach, latest awareness first."""
    settings = Settings()
    catalog = read_catalog(settings)
    with open_driver(settings) as driver:
        found = answers.listed(driver, settings.neo4j.database, catalog)
    if as_json:
        print(render.as_json([b.model_dump(mode="json") for b in found]))
        return
    if not found:
        render.console.print("No breaches.")
    render.table(
        "Breaches",
        found,
        ("id", "scope", "status", "risk", "subjects", "aware_at", "deadline", "description"),
    )


@breach_app.command("show")
def show_command(
    breach_id: Annotated[str, typer.Argument(help="The breach")], as_json: JsonOption = False
) -> None:
    """One breach: its sizing, risk, deadline and notifications."""
    settings = Settings()
    catalog = read_catalog(settings)
    try:
        with open_driver(settings) as driver:
            found = answers.one(driver, settings.neo4j.database, breach_id, catalog)
    except NotFoundError as exc:
        render.console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    _print(found, as_json, f"breach {found.id} ({found.scope}): {found.status}")


@breach_app.command("notify")
def notify_command(
    breach_id: Annotated[str, typer.Argument(help="The breach")],
    authority: Annotated[
        bool, typer.Option("--authority", help="The supervisory authority was notified")
    ] = False,
    people: Annotated[
        bool, typer.Option("--people", help="The people concerned were told (Art. 34)")
    ] = False,
    reference: Annotated[str | None, typer.Option(help="The authority's reference (e.g. the CNIL's)")] = None,
    delay_reason: Annotated[
        str | None, typer.Option(help="After 72 hours: the reasons for the delay (Art. 33(1))")
    ] = None,
    count: Annotated[
        int | None, typer.Option(help="How many people were told (default: all exposed)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record a notification, to the authority or to the people, under whoever runs the command."""
    if authority == people:
        raise QueryError("notify: one of --authority or --people")
    action = "breach.notify.authority" if authority else "breach.notify.people"
    with acting(action, breach_id) as (driver, settings, catalog, actor):
        database = settings.neo4j.database
        if authority:
            done = answers.notify_authority(
                driver,
                database,
                breach_id,
                actor.label,
                reference=reference,
                delay_reason=delay_reason,
                catalog=catalog,
            )
        else:
            done = answers.notify_people(
                driver, database, breach_id, actor.label, count=count, catalog=catalog
            )
    _print(
        done, as_json, f"breach {done.id}: {'authority' if authority else 'people'} notified; {done.status}"
    )


@breach_app.command("close")
def close_command(
    breach_id: Annotated[str, typer.Argument(help="The breach")],
    note: Annotated[
        str, typer.Option(help="Facts, effects and remedial action (Art. 33(5)); no personal data")
    ],
    as_json: JsonOption = False,
) -> None:
    """Close a breach, documenting it (Art. 33(5))."""
    with acting("breach.close", breach_id) as (driver, settings, catalog, actor):
        closed = answers.close(driver, settings.neo4j.database, breach_id, note, actor.label, catalog)
    _print(closed, as_json, f"breach {closed.id}: {closed.status}")


@breach_app.command("subjects")
def subjects_command(
    breach_id: Annotated[str, typer.Argument(help="The breach")], as_json: JsonOption = False
) -> None:
    """The keyed hash of every person exposed, one a line, for the notification mailing: the DPO
    resolves each through that person's access report. Recorded in the audit trail."""
    with acting("breach.subjects", breach_id) as (driver, settings, _catalog, _actor):
        found = answers.affected(driver, settings.neo4j.database, breach_id)
    if as_json:
        print(render.as_json([s.model_dump(mode="json") for s in found]))
        return
    for one in found:
        print(one.subject)


def _show(one: Breach) -> None:
    render.console.print(f"description: {one.description}")
    render.console.print(
        f"exposed {render.when(one.exposed_from)} to {render.when(one.exposed_to)}; "
        f"aware {render.when(one.aware_at)}; deadline {render.when(one.deadline)}"
    )
    render.console.print(f"stores: {', '.join(one.stores)}")
    render.console.print(
        f"countries: {', '.join(one.countries)}"
        + (f" (outside the EEA: {', '.join(one.outside_eea)})" if one.outside_eea else "")
    )
    render.console.print(f"people: {one.subjects} ({render.summary(one.by_type) if one.by_type else 'none'})")
    if one.special:
        render.console.print(f"special categories: {', '.join(one.special)}")
    render.console.print(f"risk: {one.risk}: {'; '.join(one.risk_reasons)}")
    render.console.print(
        "must tell: the supervisory authority"
        + (f" ({one.authority})" if one.authority else "")
        + (" and the people (Art. 34)" if one.notify_people else "")
    )
    if one.authority_notified_at:
        render.console.print(
            f"authority notified {render.when(one.authority_notified_at)} by {one.authority_notified_by}"
            + (f", reference {one.authority_reference}" if one.authority_reference else "")
            + (f"; delay: {one.delay_reason}" if one.delay_reason else "")
        )
    if one.people_notified_at:
        render.console.print(
            f"people told {render.when(one.people_notified_at)} by {one.people_notified_by}: "
            f"{one.people_notified_count}"
        )
    if one.closed_at:
        render.console.print(f"closed {render.when(one.closed_at)} by {one.closed_by}: {one.closure_note}")
