"""The overview a DPO reads each morning: what needs action today, and how much lineage knows.

One answer behind ``/ui/`` (the workspace opens on it), ``GET /overview`` and ``lineage
overview``: open alerts by kind, requests overdue or due within the week, data expiring within
30 days, and the people and stores counted. Every part is read from an answer that already
exists (alerts, requests, retention, the graph's counts), so the overview says nothing the
pages behind it would not.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta, tzinfo

from neo4j import Driver
from pydantic import Field

from graph.reader import GraphReader
from lineage.answers import alerts, requests, retention
from lineage.answers.answer import Answer

DUE_WITHIN = timedelta(days=7)
EXPIRING_WITHIN = timedelta(days=30)
# Holdings read for the expiring part: enough for any organisation's month; on a larger graph
# the part says it is partial and the expiring page pages through the rest.
EXPIRING_READ = 20_000
OPEN = ("open", "reopened")
PENDING = ("open", "overdue")  # not complete, nor a restriction or objection answered and in force


class AlertsOfKind(Answer):
    """Open alerts of one kind."""

    kind: str = Field(
        description="unapproved_transfer, overdue_retention, request_overdue, processing_after_withdrawal..."
    )
    alerts: int = Field(description="open (or reopened) alerts of this kind")
    people: int = Field(description="people they concern, summed over the alerts")
    high: int = Field(description="how many of them are of high severity")
    newest: datetime | None = Field(description="when the most recent cause was seen")


class RequestDue(Answer):
    """A request whose deadline is past or near."""

    id: str = Field(description="request id (random; names nobody)")
    kind: str = Field(description="access, portability, rectification, restriction, objection or erasure")
    status: str = Field(description="open or overdue")
    received_at: datetime = Field(description="when it arrived")
    deadline: datetime = Field(description="when it is due (extension included)")
    outstanding: int = Field(description="tasks still outstanding")


class ExpiringStore(Answer):
    """What one store must delete within the window."""

    store: str = Field(description="store id (system/store)")
    holdings: int = Field(description="holdings expiring (one person's category in the store)")
    overdue: int = Field(description="holdings already past their expiry")
    earliest: datetime = Field(description="the earliest expiry")


class ExpiringSoon(Answer):
    """Data to delete before a date, held data left out."""

    before: str = Field(description="the date (YYYY-MM-DD, the organisation's calendar)")
    people: int = Field(description="people with data to delete")
    holdings: int = Field(description="holdings to delete")
    overdue: int = Field(description="holdings already past their expiry")
    archive_due: int = Field(0, description="holdings to move into the intermediate archive")
    held: int = Field(description="holdings a legal hold keeps, left out")
    stores: list[ExpiringStore] = Field(description="per store, the earliest expiry first")
    partial: bool = Field(description="true when more holdings expire than were read: see the expiring page")


class Counted(Answer):
    """How much lineage knows."""

    people: int = Field(description="people known (one per merged identity)")
    identifiers: int = Field(description="keyed identifiers pointing at them")
    stores: int = Field(description="stores, declared or seen in events only")
    held: int = Field(description="holdings still held")


class Overview(Answer):
    """The morning overview."""

    now: datetime = Field(description="when it was computed")
    zone: str = Field(description="the organisation's time zone, which days and weeks are counted in")
    alerts: list[AlertsOfKind] = Field(description="open alerts per kind, most first")
    overdue: list[RequestDue] = Field(description="requests past their deadline, oldest deadline first")
    due_this_week: list[RequestDue] = Field(description="open requests due within seven days")
    expiring: ExpiringSoon = Field(description="data expiring within 30 days")
    counted: Counted = Field(description="people, identifiers, stores and holdings")


def overview(driver: Driver, database: str, zone: tzinfo, now: datetime | None = None) -> Overview:
    """The overview as of ``now`` (default: this instant), days counted in ``zone``."""
    now = now or datetime.now(UTC)
    overdue, due = requests_due(_requests(driver, database), now)
    before = (now.astimezone(zone) + EXPIRING_WITHIN).date().isoformat()
    page = retention.expiring(driver, database, before, limit=EXPIRING_READ, zone=zone)
    counts = GraphReader(driver, database).counts()
    return Overview(
        now=now,
        zone=str(zone),
        alerts=alerts_by_kind(alerts.listed(driver, database)),
        overdue=overdue,
        due_this_week=due,
        expiring=expiring_soon(page),
        counted=Counted(
            people=counts["subjects"],
            identifiers=counts["identifiers"],
            stores=counts["stores"],
            held=counts["held"],
        ),
    )


def alerts_by_kind(listed: list[alerts.Alert]) -> list[AlertsOfKind]:
    """Open and reopened alerts counted per kind, the kind with most alerts first."""
    by_kind: dict[str, list[alerts.Alert]] = defaultdict(list)
    for alert in listed:
        if alert.status in OPEN:
            by_kind[alert.kind or "unknown"].append(alert)
    kinds = [
        AlertsOfKind(
            kind=kind,
            alerts=len(found),
            people=sum(a.count for a in found),
            high=sum(1 for a in found if a.severity == "high"),
            newest=max((a.last_seen for a in found if a.last_seen), default=None),
        )
        for kind, found in by_kind.items()
    ]
    return sorted(kinds, key=lambda k: (-k.alerts, k.kind))


def _requests(driver: Driver, database: str) -> list[RequestDue]:
    """Every request not complete, as it stands now."""
    return [
        RequestDue(
            id=r.id,
            kind=r.kind,
            status=r.status,
            received_at=r.received_at,
            deadline=r.deadline,
            outstanding=r.counts.outstanding,
        )
        for r in requests.status(driver, database)
        if r.status in PENDING
    ]


def requests_due(pending: list[RequestDue], now: datetime) -> tuple[list[RequestDue], list[RequestDue]]:
    """Overdue requests, and those due within :data:`DUE_WITHIN`; each by deadline."""
    shown = sorted((r for r in pending if r.status in PENDING), key=lambda r: r.deadline)
    overdue = [r for r in shown if r.status == "overdue" or r.deadline < now]
    due = [r for r in shown if r not in overdue and r.deadline < now + DUE_WITHIN]
    return overdue, due


def expiring_soon(page: retention.ExpiringPage) -> ExpiringSoon:
    """One page of expiring data summed per store; partial when the page is not the last."""
    stores: dict[str, list[retention.ExpiringGroup]] = defaultdict(list)
    for group in page.expiring:
        stores[group.store].append(group)
    per_store = [
        ExpiringStore(
            store=store,
            holdings=sum(g.holdings for g in groups),
            overdue=sum(g.overdue for g in groups),
            earliest=min(g.earliest for g in groups),
        )
        for store, groups in stores.items()
    ]
    return ExpiringSoon(
        before=page.before,
        people=page.subjects,
        holdings=sum(s.holdings for s in per_store),
        overdue=page.overdue_holdings,
        archive_due=page.archive_due_holdings,
        held=sum(g.holdings for g in page.left_out_held),
        stores=sorted(per_store, key=lambda s: (s.earliest, s.store)),
        partial=page.next_cursor is not None,
    )
