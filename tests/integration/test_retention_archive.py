"""Retention that ends as promised, on the real servers: the worker computes a closure
replacing the last-use clock (``until``), and an archive rule's holding moves from active to due
for archiving, archived and overdue as time passes, in ``lineage expiring``, the API, the
person's data map and the overdue-retention alerts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from graph.connection import open_driver
from lineage.answers.scheduled_checks import check_retention
from lineage.answers.subjects import erasure_impact
from lineage.settings import ApiSettings, Settings
from tests.integration.feed import publish, run_worker
from tests.integration.test_api import served
from tests.integration.test_retention import cli

pytestmark = pytest.mark.integration

STORE = "app/accounts"
# Seed 002 §2.3.1: archived 3 years after the last use if the account is open, 1 year after its
# closure; the archive kept 5 years (the catalog's figure: the policy states none).
RULE = {
    "id": "accounts-archive",
    "store": STORE,
    "duration": {"years": 3},
    "trigger": "last_contact",
    "until": {"duration": {"years": 1}, "trigger": "account_closure"},
    "at_expiry": "archive",
    "archive": {"duration": {"years": 5}},
    "source": "seed 002 2.3.1",
}


def with_accounts(settings: Settings, tmp_path: Path) -> Settings:
    """The demo catalog plus a members' account store under the seed 002 rule."""
    data = yaml.safe_load(settings.catalog.read_text())
    data["systems"].append(
        {
            "id": "app",
            "name": "Members' accounts",
            "kind": "other",
            "processor": "atelier-nord",
            "stores": [{"id": STORE, "country": "FR", "subject_types": ["member", "partner"]}],
        }
    )
    data["retention"].append(RULE)
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return settings.model_copy(update={"catalog": path})


def event(n: str, when: str, email: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"archive-test:{n}",
        "occurred_at": when,
        "source": "demo",
        "store": STORE,
        "categories": ["user.contact.email"],
        "subject": {"type": "member", "email": email},
        **fields,
    }


def retention_of(settings: Settings, email: str) -> dict[str, Any]:
    result = cli(settings, "subject", email, "--json")
    (row,) = [r for r in result["stores"] if r["store"] == STORE]
    (held,) = row["retention"]
    return held


def expiring(settings: Settings, before: str, on: str) -> dict[str, Any]:
    answer = cli(settings, "expiring", "--before", before, "--on", on, "--store", STORE, "--json")
    return {g["subject_type"] + ":" + g["state"]: g for g in answer["expiring"]} | {"_page": answer}


@pytest.fixture
def accounts(pipeline: Settings, tmp_path: Path) -> Settings:
    settings = with_accounts(pipeline, tmp_path)
    publish(
        settings,
        "canonical",
        event("ana-signup", "2020-01-01T00:00:00Z", "ana@example.com", action="collected"),
        event("bob-signup", "2024-01-10T09:00:00Z", "bob@example.com", action="collected"),
    )
    run_worker(settings, tmp_path / "worker.log")
    return settings


class TestUntilOnRealServers:
    def test_the_closure_replaces_three_years_after_last_use(
        self, accounts: Settings, tmp_path: Path
    ) -> None:
        before = retention_of(accounts, "ana@example.com")
        assert (before["expires_at"], before["trigger"]) == ("2023-01-01T00:00:00Z", "last_contact")
        closed = event(
            "ana-closed",
            "2022-06-01T00:00:00Z",
            "ana@example.com",
            action="activity",
            activity="account_closed",
        )
        publish(accounts, "canonical", closed)
        run_worker(accounts, tmp_path / "closure.log")
        after = retention_of(accounts, "ana@example.com")
        assert (after["expires_at"], after["trigger"], after["event"]) == (
            "2023-06-01T00:00:00Z",
            "account_closure",
            "archive-test:ana-closed",
        )
        assert (after["action"], after["archive_until"], after["state"]) == (
            "archive",
            "2028-06-01T00:00:00Z",
            "archived",  # judged now: past 2023-06-01, inside the archive
        )


class TestArchiveStates:
    def test_active_then_archive_due_then_archived_then_overdue(self, accounts: Settings) -> None:
        bob = retention_of(accounts, "bob@example.com")  # an open account: 3 years after last use
        assert (bob["expires_at"], bob["archive_until"], bob["action"]) == (
            "2027-01-10T09:00:00Z",
            "2032-01-10T09:00:00Z",
            "archive",
        )
        assert expiring(accounts, "2026-06-01", on="2026-01-01").keys() == {"_page"}  # active, nothing due
        due = expiring(accounts, "2027-06-01", on="2026-06-01")
        assert (due["member:archive_due"]["holdings"], due["member:archive_due"]["overdue"]) == (1, 0)
        assert due["_page"]["archive_due_holdings"] == 1
        # archived in 2027: nothing due before 2028 (left out), the deletion due before 2033
        assert "member:archived" not in expiring(accounts, "2028-01-01", on="2027-06-01")
        archived = expiring(accounts, "2033-01-01", on="2027-06-01")["member:archived"]
        assert (archived["holdings"], archived["overdue"], archived["archive_until"]) == (
            2,  # ana (archived since 2023-01-01, until 2028) and bob
            0,
            "2028-01-01T00:00:00Z",
        )
        overdue = expiring(accounts, "2033-01-01", on="2032-06-01")["member:overdue"]
        assert (overdue["holdings"], overdue["overdue"]) == (2, 2)

    def test_the_api_answers_the_same(self, accounts: Settings) -> None:
        token = "archive-token-5e1f"
        settings = accounts.model_copy(update={"api": ApiSettings(query_token=token)})
        with served(settings) as url:
            answer = httpx.get(
                f"{url}/expiring",
                params={"before": "2033-01-01", "on": "2027-06-01", "store": STORE},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
            assert answer.status_code == 200, answer.text
            assert [(g["state"], g["holdings"]) for g in answer.json()["expiring"]] == [("archived", 2)]
            refused = httpx.get(
                f"{url}/expiring",
                params={"before": "2033-01-01", "on": "someday"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
            assert refused.status_code == 400

    def test_overdue_alerts_only_past_the_archive(self, accounts: Settings) -> None:
        from datetime import UTC, datetime

        database = accounts.neo4j.database
        with open_driver(accounts) as driver:
            archived = check_retention(driver, database, datetime(2027, 6, 1, tzinfo=UTC))
            assert STORE not in {a["store"] for a in archived}  # past the active period: archived
            overdue = check_retention(driver, database, datetime(2032, 6, 1, tzinfo=UTC))
            (alert,) = [a for a in overdue if a["store"] == STORE]
            assert (alert["kind"], alert["count"]) == ("overdue_retention", 2)

    def test_the_erasure_impact_names_the_archived_categories(self, accounts: Settings) -> None:
        from datetime import UTC, datetime

        from lineage.answers.subjects import subject_key

        key = subject_key(accounts, "ana@example.com")
        with open_driver(accounts) as driver:
            impact = erasure_impact(driver, accounts.neo4j.database, key, datetime(2025, 1, 1, tzinfo=UTC))
            later = erasure_impact(driver, accounts.neo4j.database, key, datetime(2029, 1, 1, tzinfo=UTC))
        (store,) = [s for s in impact.stores if s.store == STORE]
        assert (store.archived, store.overdue) == (["user.contact.email"], [])
        (store,) = [s for s in later.stores if s.store == STORE]
        assert (store.archived, store.overdue) == ([], ["user.contact.email"])
