"""``lineage expiring`` and ``lineage hold add|release|list``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from lineage import render
from lineage.answers import audit, holds
from lineage.answers import retention as answers
from lineage.answers.connection import open_driver
from lineage.answers.erasure import org_zone
from lineage.errors import QueryError
from lineage.settings import Settings

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
hold_app = typer.Typer(no_args_is_help=True, help="Legal holds: data kept despite expiry and erasure.")


def register(app: typer.Typer, subject_key: Callable[[Settings, str], str]) -> None:
    app.add_typer(hold_app, name="hold")

    @app.command()
    def expiring(
        before: Annotated[str, typer.Option(help="Expiring before this date (YYYY-MM-DD)")],
        store: Annotated[str | None, typer.Option(help="Only this store")] = None,
        category: Annotated[str | None, typer.Option(help="Only this category (and its children)")] = None,
        subject_type: Annotated[str | None, typer.Option(help="Only this subject type")] = None,
        limit: Annotated[
            int | None,
            typer.Option(
                min=1,
                max=answers.MAX_PAGE,
                help="Holdings per page, in expiry order (default: all in one answer)",
            ),
        ] = None,
        cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page")] = None,
        on: Annotated[
            str | None, typer.Option(help="Judge active, archived and overdue on this day (YYYY-MM-DD)")
        ] = None,
        as_json: JsonOption = False,
    ) -> None:
        """What must be deleted, anonymised or archived before a date, per store, category and
        subject type, with each group's state (held data is listed apart, with its hold)."""
        settings = Settings()
        with open_driver(settings) as driver:
            result = answers.expiring(
                driver,
                settings.neo4j.database,
                before,
                store,
                category,
                subject_type,
                limit,
                cursor,
                org_zone(settings),
                on=on,
            )
        if as_json:
            print(render.as_json(result.model_dump(mode="json")))
            return
        render.console.print(
            f"{result.subjects} subject(s) have data expiring before {before}; "
            f"{result.overdue_holdings} holding(s) already overdue, "
            f"{result.archive_due_holdings} to archive"
        )
        render.table(
            "Expiring",
            [group.model_dump() for group in result.expiring],
            (
                "store",
                "category",
                "subject_type",
                "rule",
                "action",
                "state",
                "subjects",
                "overdue",
                "earliest",
            ),
        )
        if result.left_out_held:
            render.table(
                "Left out: under a legal hold",
                [group.model_dump() for group in result.left_out_held],
                ("store", "category", "subject_type", "subjects", "held_by"),
            )
        if result.next_cursor:
            render.console.print(f"more: --cursor {result.next_cursor}")

    @hold_app.command("add")
    def hold_add(
        reason: Annotated[str, typer.Option(help="Why: the case or inquiry (no personal data)")],
        identifier: Annotated[
            str | None, typer.Argument(help="A person's e-mail address, or system:native-id")
        ] = None,
        subject: Annotated[str | None, typer.Option(help="The person held (instead of the argument)")] = None,
        store: Annotated[
            list[str] | None,
            typer.Option(help="Without a person: the store held; with one: only this store (repeatable)"),
        ] = None,
        system: Annotated[str | None, typer.Option(help="Hold every store of this system")] = None,
        organisation: Annotated[
            bool, typer.Option("--organisation", help="Hold the organisation's data everywhere")
        ] = False,
        category: Annotated[list[str] | None, typer.Option(help="Only this category (repeatable)")] = None,
        until: Annotated[str | None, typer.Option(help="End date (YYYY-MM-DD), if known")] = None,
    ) -> None:
        """Hold a person's data, a store, a system or the whole organisation (all categories, or
        some), out of expiry and erasure until released or until its end date."""
        settings = Settings()
        person = identifier or subject
        if identifier and subject:
            raise QueryError("name the person once: the argument or --subject")
        on, stores = holds.hold_on_options(
            subject_key(settings, person) if person else None, store or [], system, organisation
        )
        actor = audit.cli_actor()
        with (
            open_driver(settings) as driver,
            audit.audited(driver, settings, actor, "hold.place", on.audit_target),
        ):
            placed = holds.add_hold(
                driver,
                settings.neo4j.database,
                on,
                reason,
                stores,
                category or [],
                until,
                org_zone(settings),
                placed_by=actor.label,
            )
        held = f"subject {placed.subject}" if placed.subject else f"{placed.scope} {placed.target or ''}"
        render.console.print(f"hold {placed.id} placed on {held.strip()}")

    @hold_app.command("release")
    def hold_release(
        hold_id: str, reason: Annotated[str, typer.Option(help="Why it ends")] = "released"
    ) -> None:
        """End a hold: the data is subject to expiry and erasure again."""
        settings = Settings()
        actor = audit.cli_actor()
        with open_driver(settings) as driver, audit.audited(driver, settings, actor, "hold.release", hold_id):
            holds.release_hold(driver, settings.neo4j.database, hold_id, reason, released_by=actor.label)
        render.console.print(f"hold {hold_id} released")

    @hold_app.command("list")
    def hold_list(
        include_ended: Annotated[bool, typer.Option("--all", help="Released and ended too")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Holds in force (or all of them)."""
        settings = Settings()
        with open_driver(settings) as driver:
            listed = holds.listed_holds(driver, settings.neo4j.database, include_ended)
        if as_json:
            print(render.as_json([hold.model_dump(mode="json") for hold in listed]))
        else:
            render.table(
                "Legal holds",
                listed,
                ("id", "status", "on", "reason", "stores", "categories", "since", "until", "placed_by"),
            )
