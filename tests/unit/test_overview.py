"""The morning overview's arithmetic: alerts per kind, which requests are due, expiring per store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lineage.answers.alerts import Alert
from lineage.answers.overview import RequestDue, alerts_by_kind, expiring_soon, requests_due
from lineage.answers.retention import ExpiringGroup, ExpiringPage

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def alert(kind: str, status: str = "open", count: int = 1, severity: str = "high", hours: int = 0) -> Alert:
    return Alert(
        id=f"{kind}-{status}-{count}-{hours}",
        kind=kind,
        status=status,
        severity=severity,
        store="brevo/contacts",
        chain=None,
        country=None,
        reason="why",
        count=count,
        first_seen=NOW,
        last_seen=NOW + timedelta(hours=hours),
    )


def request(rid: str, days: float, status: str = "open") -> RequestDue:
    return RequestDue(
        id=rid,
        kind="access",
        status=status,
        received_at=NOW - timedelta(days=20),
        deadline=NOW + timedelta(days=days),
        outstanding=1,
    )


def group(store: str, holdings: int, overdue: int, days: int, held: bool = False) -> ExpiringGroup:
    return ExpiringGroup(
        store=store,
        category="user.contact.email",
        subject_type="customer",
        rule="r",
        held=held,
        holdings=holdings,
        subjects=holdings,
        earliest=NOW + timedelta(days=days),
        latest=NOW + timedelta(days=days + 1),
        overdue=overdue,
        held_by=["hold-1 (case)"] if held else [],
    )


class TestAlerts:
    def test_open_and_reopened_alerts_are_counted_per_kind_most_first(self) -> None:
        listed = [
            alert("transfer", count=3, hours=1),
            alert("transfer", status="reopened", severity="medium", count=2, hours=5),
            alert("transfer", status="acknowledged"),
            alert("processing_after_withdrawal"),
            alert("overdue_retention", status="closed"),
        ]
        kinds = alerts_by_kind(listed)
        assert [(k.kind, k.alerts, k.high, k.people) for k in kinds] == [
            ("transfer", 2, 1, 5),
            ("processing_after_withdrawal", 1, 1, 1),
        ]
        assert kinds[0].newest == NOW + timedelta(hours=5)


class TestRequests:
    def test_overdue_and_due_within_the_week_each_by_deadline(self) -> None:
        pending = [
            request("ac-later", 20),
            request("er-week", 6.9),
            request("ob-late", -1, "overdue"),
            request("ac-soon", 1),
            request("po-past", -0.1),  # past its deadline before the check marked it
            request("er-done", 2, "complete"),
            request("rs-in-force", 2, "in_force"),
        ]
        overdue, due = requests_due(pending, NOW)
        assert [r.id for r in overdue] == ["ob-late", "po-past"]
        assert [r.id for r in due] == ["ac-soon", "er-week"]


class TestExpiring:
    def test_summed_per_store_earliest_first_held_data_apart(self) -> None:
        page = ExpiringPage(
            before="2026-04-01",
            now=NOW,
            expiring=[group("b", 2, 0, 10), group("a", 3, 1, 12), group("a", 1, 0, 3)],
            subjects=5,
            overdue_holdings=1,
            left_out_held=[group("c", 4, 0, 5, held=True)],
            next_cursor=None,
        )
        soon = expiring_soon(page)
        assert [(s.store, s.holdings, s.overdue) for s in soon.stores] == [("a", 4, 1), ("b", 2, 0)]
        assert (soon.holdings, soon.people, soon.overdue, soon.held, soon.partial) == (6, 5, 1, 4, False)
        assert expiring_soon(page.model_copy(update={"next_cursor": "1.0"})).partial
