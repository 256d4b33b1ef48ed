"""Holds on a store, a system and the organisation, on the real servers: holdings built by the
worker, then held out of the overdue check, ``lineage expiring`` and erasure (which names the
hold and its reason), and back in once released; a hold past its end date holds nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.connection import open_driver
from lineage.answers import accounts, audit
from lineage.answers.scheduled_checks import check_retention
from lineage.runner import settings_env
from lineage.settings import ApiSettings, Settings
from tests.integration.feed import publish, run_worker
from tests.integration.test_access_control import PASSWORD
from tests.integration.test_access_control import _settings as browser_settings
from tests.integration.test_api import served

pytestmark = pytest.mark.integration

TOKEN = "holds-token-5e1f"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EVE = "eve@example.com"


def collected(
    person: str, when: str, store: str, category: str, subject_type: str = "prospect"
) -> dict[str, Any]:
    return {
        "event_id": f"holds-test:{person}:{store}",
        "occurred_at": when,
        "source": "demo",
        "action": "collected",
        "store": store,
        "categories": [category],
        "subject": {"type": subject_type, "email": f"{person}@example.com"},
    }


# Every holding is overdue by December 2026; each store is in a system of its own but brevo's two.
EVENTS = [
    collected("cid", "2025-01-02T08:00:00Z", "ovh/web-logs", "user.device.ip_address", "visitor"),
    collected("ana", "2025-01-10T09:00:00Z", "brevo/transactional", "user.contact.email", "customer"),
    collected("bob", "2022-01-10T09:00:00Z", "brevo/contacts", "user.contact.email"),
    collected("dan", "2025-01-01T10:00:00Z", "ga/user-data", "user.behavior", "visitor"),
    collected("eve", "2022-06-01T10:00:00Z", "salesforce/leads", "user.contact.email"),
]
HELD_STORES = {"ovh/web-logs", "brevo/transactional", "brevo/contacts", "ga/user-data"}


def cli(settings: Settings, *args: str) -> Any:
    out = subprocess.run(
        [sys.executable, "-m", "lineage", *args],
        env=settings_env(settings) | {"COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout) if "--json" in args else out.stdout


def refused(settings: Settings, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "lineage", *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0, out.stdout
    return out.stdout + out.stderr


def overdue_alert_stores(settings: Settings) -> set[str]:
    """The stores the worker's overdue check raises (or reopens) an alert for, now."""
    with open_driver(settings) as driver:
        return {a["store"] for a in check_retention(driver, settings.neo4j.database)}


def expiring(settings: Settings) -> tuple[set[str], dict[str, list[str]]]:
    due = cli(settings, "expiring", "--before", "2027-01-01", "--json")
    held: dict[str, list[str]] = {}
    for group in due["left_out_held"]:
        held.setdefault(group["store"], []).extend(group["held_by"])
    return {g["store"] for g in due["expiring"]}, held


def placed_id(output: str) -> str:
    """``hold hold-1a2b3c4d placed on store ovh/web-logs`` -> the id."""
    return output.split()[1]


@pytest.fixture
def built(pipeline: Settings, tmp_path: Path) -> Settings:
    publish(pipeline, "canonical", *EVENTS)
    run_worker(pipeline, tmp_path / "worker.log")
    return pipeline


def test_store_system_and_organisation_holds_keep_data_out_of_expiry_and_erasure(built: Settings) -> None:
    assert overdue_alert_stores(built) == HELD_STORES | {"salesforce/leads"}
    assert expiring(built) == (HELD_STORES | {"salesforce/leads"}, {})
    erasure = cli(built, "erasure", "request", "ana@example.com", "--json")
    assert [t["store"] for t in erasure["tasks"]] == ["brevo/transactional"]

    # A hold already past its end date, on everything: it holds nothing.
    ended = placed_id(
        cli(built, "hold", "add", "--organisation", "--reason", "dispute settled", "--until", "2026-01-01")
    )
    on_store = placed_id(cli(built, "hold", "add", "--store", "ovh/web-logs", "--reason", "case A"))
    on_everyone = placed_id(
        cli(
            built,
            "hold",
            "add",
            "--organisation",
            "--category",
            "user.behavior",
            "--reason",
            "class action C",
        )
    )
    settings = built.model_copy(update={"api": ApiSettings(query_token=TOKEN)})
    with served(settings) as url, httpx.Client(base_url=url, headers=AUTH, timeout=60) as api:
        answer = api.post("/holds", json={"scope": "system", "target": "brevo", "reason": "audit B"})
        assert answer.status_code == 201, answer.text
        on_system = answer.json()["id"]
        assert answer.json() == {"id": on_system, "scope": "system", "subject": None, "target": "brevo"}
        listed = {h["id"]: h for h in api.get("/holds").json()}

    assert set(listed) == {on_store, on_everyone, on_system}
    assert {h["scope"]: h["target"] for h in listed.values()} == {
        "store": "ovh/web-logs",
        "organisation": None,
        "system": "brevo",
    }
    assert listed[on_everyone]["categories"] == ["user.behavior"]
    assert all(h["placed_by"] and h["subject"] is None for h in listed.values())
    everything = {h["id"]: h["status"] for h in cli(built, "hold", "list", "--all", "--json")}
    assert everything[ended] == "ended"
    assert "store ovh/web-logs" in " ".join(cli(built, "hold", "list").split())

    # Held: no overdue alert, listed apart with the hold and its reason, erasure retained.
    assert overdue_alert_stores(built) == set()
    due, held = expiring(built)
    assert due == {"salesforce/leads"}  # the organisation hold is on behaviour data only
    assert held == {
        "ovh/web-logs": [f"{on_store} (case A)"],
        "brevo/transactional": [f"{on_system} (audit B)"],
        "brevo/contacts": [f"{on_system} (audit B)"],
        "ga/user-data": [f"{on_everyone} (class action C)"],
    }
    (status,) = cli(built, "erasure", "status", erasure["id"], "--json")
    (task,) = status["tasks"]
    assert (task["status"], task["reason"]) == ("retained", f"legal hold: {on_system} (audit B)")

    # Released: each comes back to expiry and erasure.
    cli(built, "hold", "release", on_store, "--reason", "case A closed")
    cli(built, "hold", "release", on_everyone)
    with served(settings) as url, httpx.Client(base_url=url, headers=AUTH, timeout=60) as api:
        assert api.post(f"/holds/{on_system}/release", json={"reason": "audit over"}).status_code == 200
    assert cli(built, "hold", "list", "--json") == []
    assert overdue_alert_stores(built) == HELD_STORES
    assert expiring(built) == (HELD_STORES | {"salesforce/leads"}, {})
    (status,) = cli(built, "erasure", "status", erasure["id"], "--json")
    assert status["tasks"][0]["status"] == "outstanding"

    # Every place and release is in the audit trail, with its actor and what was held.
    with open_driver(built) as driver:
        found = audit.entries(driver, built, audit.AuditFilters(action="hold"), limit=50).entries
    placed = {e.target for e in found if e.action == "hold.place"}
    assert placed == {"organisation", "store:ovh/web-logs", "system:brevo"}
    assert {e.target for e in found if e.action == "hold.release"} == {on_store, on_everyone, on_system}
    assert all(e.actor and e.outcome == "ok" for e in found)


def test_a_hold_names_one_known_scope(built: Settings) -> None:
    """What cannot be held is refused, and says why, on every surface."""
    assert "one store per hold" in refused(
        built, "hold", "add", "--store", "ovh/web-logs", "--store", "brevo/contacts", "--reason", "r"
    )
    assert "knows no store" in refused(built, "hold", "add", "--store", "crm/nowhere", "--reason", "r")
    assert "unknown data category" in refused(
        built, "hold", "add", "--organisation", "--category", "user.nothing", "--reason", "r"
    )
    settings = built.model_copy(update={"api": ApiSettings(query_token=TOKEN)})
    with served(settings) as url, httpx.Client(base_url=url, headers=AUTH, timeout=60) as api:
        cases = [
            ({"scope": "system", "target": "nowhere", "reason": "r"}, 404),
            ({"scope": "store", "reason": "r"}, 400),  # which store?
            ({"scope": "organisation", "target": "brevo", "reason": "r"}, 400),
            (
                {"scope": "store", "target": "ovh/web-logs", "identifier": "eve@example.com", "reason": "r"},
                400,
            ),
            ({"scope": "system", "target": "brevo", "stores": ["brevo/contacts"], "reason": "r"}, 400),
            ({"scope": "planet", "reason": "r"}, 400),
            ({"identifier": "eve@example.com", "reason": "r", "target": "brevo"}, 400),
        ]
        for body, expected in cases:
            answer = api.post("/holds", json=body)
            assert answer.status_code == expected, (body, answer.text)
            assert "eve@example.com" not in answer.text
        # The person's form is as it was: an identifier, stores and categories narrowing it.
        person = api.post(
            "/holds",
            json={"identifier": "eve@example.com", "reason": "r", "stores": ["salesforce/leads"]},
        )
        assert person.status_code == 201 and person.json()["scope"] == "person", person.text
        assert api.get("/holds").json()[0]["stores"] == ["salesforce/leads"]
    assert overdue_alert_stores(built) == HELD_STORES  # eve's leads are held, the rest are not


def test_the_holds_page_places_a_store_hold_and_releases_it_and_a_viewer_only_reads(
    built: Settings, browser: Any
) -> None:
    settings = browser_settings(built)
    with open_driver(settings) as driver:
        accounts.add_user(driver, settings, "holds-dpo", "dpo", PASSWORD)
        accounts.add_user(driver, settings, "holds-viewer", "viewer", PASSWORD)
    with served(settings) as url:
        context = browser.new_context()
        tab = context.new_page()
        _sign_in(tab, url, "holds-dpo")
        tab.click("nav >> text=Holds")
        tab.wait_for_url(re.compile(r".*/ui/holds$"))
        assert "No legal hold in force" in tab.inner_text("#holds")
        tab.select_option("#place-hold select[name=scope]", "store")
        tab.fill("#place-hold input[name=target]", "ovh/web-logs")
        tab.fill("#place-hold input[name=reason]", "intrusion inquiry")
        tab.fill("#place-hold input[name=categories]", "user.device")
        tab.click("#place-hold button[type=submit]")
        tab.wait_for_url(re.compile(r".*/ui/holds$"))
        row = tab.locator("#holds tr[data-scope=store]")
        assert "ovh/web-logs" in row.inner_text() and "intrusion inquiry" in row.inner_text()
        assert "account:holds-dpo" in row.inner_text()
        assert overdue_alert_stores(built) == HELD_STORES - {"ovh/web-logs"} | {"salesforce/leads"}

        tab.goto(f"{url}/ui/expiring?before=2027-01-01")
        assert "ovh/web-logs" in tab.inner_text("#held")
        assert tab.inner_text("#holds-in-force").startswith("1 legal hold(s) in force")
        context.close()

        context = browser.new_context()
        tab = context.new_page()
        _sign_in(tab, url, "holds-viewer")
        tab.goto(f"{url}/ui/holds")
        assert "intrusion inquiry" in tab.inner_text("#holds")
        assert tab.locator("#place-hold").count() == 0 and tab.locator("#holds form").count() == 0
        context.close()

        context = browser.new_context()
        tab = context.new_page()
        _sign_in(tab, url, "holds-dpo")
        tab.goto(f"{url}/ui/holds")
        tab.fill("#holds tr[data-scope=store] input[name=reason]", "inquiry closed")
        tab.click("#holds tr[data-scope=store] button[type=submit]")
        tab.wait_for_url(re.compile(r".*/ui/holds$"))
        assert "No legal hold in force" in tab.inner_text("#holds")
        tab.goto(f"{url}/ui/holds?ended=true")
        assert "released" in tab.inner_text("#holds tr[data-scope=store] .status")
        context.close()
    assert overdue_alert_stores(built) == {"ovh/web-logs"}  # its alert reopens


def _sign_in(tab: Any, url: str, name: str) -> None:
    tab.goto(f"{url}/ui/login")
    tab.fill("input[name=name]", name)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(re.compile(r".*/ui/$"))
