"""Retention on the real servers: expiry per holding, moved by contact and never by an open,
recomputed when the catalog changes, held data left out, overdue data alerted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from graph.connection import open_driver
from graph.retention import recompute_stores, stale_stores
from lineage.answers.scheduled_checks import check_retention
from lineage.domain.catalog import parse_catalog
from lineage.runner import WorkerProcess, settings_env
from lineage.settings import Settings
from tests.integration.feed import publish, run_worker

pytestmark = pytest.mark.integration


def collected(
    n: str,
    when: str,
    email: str,
    store: str = "brevo/contacts",
    categories: tuple[str, ...] = ("user.contact.email",),
) -> dict[str, Any]:
    return {
        "event_id": f"retention-test:{n}",
        "occurred_at": when,
        "source": "demo",
        "action": "collected",
        "store": store,
        "categories": list(categories),
        "subject": {"type": "prospect", "email": email},
    }


def activity(n: str, when: str, email: str, kind: str) -> dict[str, Any]:
    return {
        "event_id": f"retention-test:{n}",
        "occurred_at": when,
        "source": "demo",
        "action": "activity",
        "activity": kind,
        "store": "brevo/contacts",
        "categories": ["user.behavior"],
        "subject": {"type": "prospect", "email": email},
    }


EVENTS = [
    collected("ana-signup", "2024-01-10T09:00:00Z", "ana@example.com"),
    activity("ana-click", "2025-06-01T12:00:00Z", "ana@example.com", "clicked"),
    collected("bob-signup", "2024-01-10T09:00:00Z", "bob@example.com"),
    activity("bob-open", "2025-06-01T12:00:00Z", "bob@example.com", "opened"),
    collected(
        "old-log", "2025-01-02T08:00:00Z", "cid@example.com", "ovh/web-logs", ("user.device.ip_address",)
    ),
]


def cli(settings: Settings, *args: str) -> Any:
    out = subprocess.run(
        [sys.executable, "-m", "lineage", *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout) if "--json" in args else out.stdout


def email_holding(settings: Settings, email: str, store: str = "brevo/contacts") -> dict[str, Any]:
    result = cli(settings, "subject", email, "--json")
    (row,) = [r for r in result["stores"] if r["store"] == store]
    return {r["category"]: r for r in row["retention"]}


@pytest.fixture
def retained(pipeline: Settings, tmp_path: Path) -> Settings:
    publish(pipeline, "canonical", *EVENTS)
    run_worker(pipeline, tmp_path / "worker.log")
    return pipeline


class TestExpiry:
    def test_a_click_extends_the_expiry_an_open_does_not(self, retained: Settings) -> None:
        ana = email_holding(retained, "ana@example.com")["user.contact.email"]
        assert ana["expires_at"] == "2028-06-01T12:00:00Z"  # 3 years from the click
        assert (ana["rule"], ana["moment"], ana["event"]) == (
            "newsletter-3y-last-contact",
            "contact",
            "retention-test:ana-click",
        )
        bob = email_holding(retained, "bob@example.com")["user.contact.email"]
        assert bob["expires_at"] == "2027-01-10T09:00:00Z"  # 3 years from the sign-up
        assert bob["event"] == "retention-test:bob-signup"
        # the behaviour log of opens is no contact either: it runs from its first sighting
        assert (
            email_holding(retained, "bob@example.com")["user.behavior"]["expires_at"]
            == "2028-06-01T12:00:00Z"
        )

    def test_expiring_and_holds(self, retained: Settings) -> None:
        due = cli(retained, "expiring", "--before", "2027-06-01", "--json")
        groups = {(g["store"], g["category"]): g for g in due["expiring"]}
        assert groups[("brevo/contacts", "user.contact.email")]["subjects"] == 1  # bob, not ana
        assert groups[("ovh/web-logs", "user.device.ip_address")]["overdue"] == 1  # 6 months

        cli(
            retained,
            "hold",
            "add",
            "bob@example.com",
            "--reason",
            "case 2026-114",
            "--store",
            "brevo/contacts",
        )
        due = cli(retained, "expiring", "--before", "2027-06-01", "--json")
        assert ("brevo/contacts", "user.contact.email") not in {
            (g["store"], g["category"]) for g in due["expiring"]
        }
        (held,) = [g for g in due["left_out_held"] if g["category"] == "user.contact.email"]
        assert held["subjects"] == 1 and "case 2026-114" in held["held_by"][0]
        (hold,) = cli(retained, "hold", "list", "--json")
        cli(retained, "hold", "release", hold["id"])
        assert cli(retained, "hold", "list", "--json") == []

    def test_overdue_data_raises_one_alert_that_closes_when_erased(
        self, retained: Settings, tmp_path: Path
    ) -> None:
        with open_driver(retained) as driver:
            (raised,) = check_retention(driver, retained.neo4j.database)
            assert (raised["kind"], raised["store"], raised["count"]) == (
                "overdue_retention",
                "ovh/web-logs",
                1,
            )
            assert check_retention(driver, retained.neo4j.database) == []  # updated, not raised again
        erase = {
            "event_id": "retention-test:purge",
            "occurred_at": "2026-11-01T00:00:00Z",
            "source": "demo",
            "action": "erased",
            "store": "ovh/web-logs",
            "subject": {"type": "visitor", "email": "cid@example.com"},
        }
        publish(retained, "canonical", erase)
        run_worker(retained, tmp_path / "erase.log")
        with open_driver(retained) as driver:
            check_retention(driver, retained.neo4j.database)
        alerts = cli(retained, "alerts", "--json")
        assert {a["id"]: a["status"] for a in alerts}[raised["id"]] == "closed"

    def test_a_rule_change_in_the_catalog_recomputes_expiries(
        self, retained: Settings, tmp_path: Path
    ) -> None:
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            retained.catalog.read_text().replace(
                "  - id: newsletter-3y-last-contact\n    store: brevo/contacts\n    duration: {years: 3}",
                "  - id: newsletter-2y-last-contact\n    store: brevo/contacts\n    duration: {years: 2}",
            )
        )
        changed = retained.model_copy(update={"catalog": catalog})
        with WorkerProcess(changed, tmp_path / "changed.log").start() as worker:
            worker.wait_caught_up(timeout=120)
        ana = email_holding(changed, "ana@example.com")["user.contact.email"]
        assert (ana["expires_at"], ana["rule"]) == ("2027-06-01T12:00:00Z", "newsletter-2y-last-contact")

    def test_a_restart_recomputes_only_stores_whose_rules_changed(self, retained: Settings) -> None:
        """Each store records what its expiries were computed from: a worker start with the same
        catalog recomputes nothing (on millions of holdings it took hours); a changed rule
        recomputes its store alone."""
        catalog = parse_catalog(retained.catalog.read_text())
        database = retained.neo4j.database
        with open_driver(retained) as driver:
            assert stale_stores(driver, database, catalog) == []
            assert recompute_stores(driver, database, catalog) == 0
            changed = parse_catalog(
                retained.catalog.read_text().replace(
                    "  - id: newsletter-3y-last-contact\n    store: brevo/contacts\n    duration: {years: 3}",
                    "  - id: newsletter-2y-last-contact\n    store: brevo/contacts\n    duration: {years: 2}",
                )
            )
            assert stale_stores(driver, database, changed) == ["brevo/contacts"]
            assert recompute_stores(driver, database, changed) > 0
            assert stale_stores(driver, database, changed) == []
            assert recompute_stores(driver, database, catalog) > 0  # and back


class TestRetentionApi:
    def test_expiring_and_holds_over_http(self, retained: Settings) -> None:
        import httpx

        from lineage.settings import ApiSettings
        from tests.integration.test_api import served

        token = "retention-token-3c9a"
        settings = retained.model_copy(update={"api": ApiSettings(query_token=token)})
        headers = {"Authorization": f"Bearer {token}"}
        with served(settings) as url:
            due = httpx.get(f"{url}/expiring", params={"before": "2027-06-01"}, headers=headers)
            assert due.status_code == 200
            assert (
                due.json()["expiring"]
                == cli(retained, "expiring", "--before", "2027-06-01", "--json")["expiring"]
            )
            placed = httpx.post(
                f"{url}/holds", headers=headers, json={"identifier": "ana@example.com", "reason": "inquiry 7"}
            )
            assert placed.status_code == 201, placed.text
            nobody = httpx.post(
                f"{url}/holds",
                headers=headers,
                json={"identifier": "nobody@example.com", "reason": "inquiry 7"},
            )
            assert nobody.status_code == 404
            listed = httpx.get(f"{url}/holds", headers=headers).json()
            assert [h["id"] for h in listed] == [placed.json()["id"]]
            released = httpx.post(f"{url}/holds/{placed.json()['id']}/release", headers=headers)
            assert released.status_code == 200
            assert (
                httpx.get(f"{url}/expiring", params={"before": "yesterday"}, headers=headers).status_code
                == 400
            )
