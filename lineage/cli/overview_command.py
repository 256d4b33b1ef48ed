"""``lineage overview``'s human output: the workspace's first page, as tables."""

from __future__ import annotations

from lineage import render
from lineage.answers.overview import Overview

REQUEST_COLUMNS = ("id", "kind", "status", "received_at", "deadline", "outstanding")


def show(answer: Overview) -> None:
    counted = answer.counted
    render.console.print(
        f"{counted.people} people under {counted.identifiers} identifiers, {counted.held} holdings "
        f"held in {counted.stores} stores; as of {render.when(answer.now)}"
    )
    render.table(
        f"Open alerts ({sum(k.alerts for k in answer.alerts)})",
        answer.alerts,
        ("kind", "alerts", "high", "people", "newest"),
    )
    render.table(f"Requests overdue ({len(answer.overdue)})", answer.overdue, REQUEST_COLUMNS)
    render.table(
        f"Requests due this week ({len(answer.due_this_week)})", answer.due_this_week, REQUEST_COLUMNS
    )
    soon = answer.expiring
    partial = " (first page only: see lineage expiring)" if soon.partial else ""
    render.table(
        f"Expiring before {soon.before}: {soon.holdings} holding(s) of {soon.people} people, "
        f"{soon.overdue} already overdue, {soon.archive_due} to archive, "
        f"{soon.held} kept by a legal hold{partial}",
        soon.stores,
        ("store", "holdings", "overdue", "earliest"),
    )
