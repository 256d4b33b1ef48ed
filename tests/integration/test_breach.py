"""Breach response (GDPR Art. 33-34) on real Kafka and Neo4j: a breach sized on the graph the
demo feed builds, counted again from the feed's own payloads; the CLI from opening to closing,
with its actor in the audit trail; the 72-hour alerts on the scheduled check path."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from lineage.answers import accounts
from lineage.answers import breach as breaches
from lineage.answers.alerts import listed
from lineage.answers.audit import AuditFilters, entries
from lineage.answers.catalog_file import read_catalog
from lineage.answers.connection import open_driver
from lineage.answers.scheduled_checks import run_checks
from lineage.demo.brevo_feed import DEFAULT_START
from lineage.demo.run import feed_payloads
from lineage.runner import settings_env
from lineage.settings import Settings
from tests.integration.feed import publish, run_worker
from tests.integration.test_access_control import PASSWORD
from tests.integration.test_access_control import _settings as _access_settings
from tests.integration.test_api import served

pytestmark = pytest.mark.integration

PEOPLE = 60
FROM = DEFAULT_START + timedelta(days=20, hours=7, minutes=13)
TO = DEFAULT_START + timedelta(days=35, hours=2, minutes=41)


def _hubspot_contacts(people: int) -> dict[int, tuple[datetime, datetime | None]]:
    """Contact id -> (created, deleted or None), read from the HubSpot payloads the demo sends."""
    contacts: dict[int, tuple[datetime, datetime | None]] = {}
    for payload in feed_payloads(people)["hubspot"]:
        for event in json.loads(payload):
            at = datetime.fromtimestamp(event["occurredAt"] / 1000, UTC)
            created, deleted = contacts.get(event["objectId"], (at, None))
            if event["subscriptionType"] == "contact.creation":
                created = min(created, at)
            if event["subscriptionType"] == "contact.privacyDeletion":
                deleted = at
            contacts[event["objectId"]] = (created, deleted)
    return contacts


def _exposed(contacts: dict[int, tuple[datetime, datetime | None]], start: datetime, end: datetime) -> int:
    """Held at some point of the window: created before it ends, not deleted before it starts."""
    return sum(
        1
        for created, deleted in contacts.values()
        if created <= end and (deleted is None or deleted >= start)
    )


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage", "breach", *args],
        env=settings_env(settings) | {"USER": "dpo-office", "LOGNAME": "dpo-office"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def demo_graph(pipeline: Settings, tmp_path: Path) -> Settings:
    """The demo company's CRM feed through the real pipeline."""
    publish(pipeline, "hubspot", *feed_payloads(PEOPLE)["hubspot"])
    run_worker(pipeline, tmp_path / "worker.log", timeout=300)
    return pipeline


def test_a_breach_is_sized_as_the_feed_says_and_worked_through_at_the_command_line(
    demo_graph: Settings,
) -> None:
    settings = demo_graph
    contacts = _hubspot_contacts(PEOPLE)
    expected = _exposed(contacts, FROM, TO)
    deleted_before = sum(
        1 for created, deleted in contacts.values() if deleted is not None and deleted < FROM
    )
    assert 0 < expected < len(contacts) and deleted_before > 0  # the window cuts the feed and its erasures

    opened = _json(
        _cli(
            settings,
            "open",
            "--store",
            "hubspot/contacts",
            "--from",
            FROM.isoformat(),
            "--to",
            TO.isoformat(),
            "--description",
            "CRM export left on a public share",
            "--json",
        )
    )
    assert opened["subjects"] == expected
    assert opened["by_store"] == {"hubspot/contacts": expected}
    assert sum(opened["by_type"].values()) >= expected and set(opened["by_type"]) <= {"prospect", "customer"}
    assert opened["countries"] == ["DE", "IE"] and opened["outside_eea"] == []
    assert opened["risk"] == "risk" and opened["special"] == [] and not opened["notify_people"]
    assert opened["status"] == "open" and "CNIL" in opened["authority"]
    aware = datetime.fromisoformat(opened["aware_at"])
    assert datetime.fromisoformat(opened["deadline"]) - aware == timedelta(hours=72)
    breach_id = opened["id"]

    listing = _json(_cli(settings, "list", "--json"))
    assert [b["id"] for b in listing] == [breach_id]

    late = _cli(settings, "notify", breach_id, "--people", "--count", "-1")
    assert late.returncode == 2 and "count" in late.stdout
    notified = _json(
        _cli(settings, "notify", breach_id, "--authority", "--reference", "CNIL-2026-0042", "--json")
    )
    assert notified["status"] == "notified" and notified["authority_reference"] == "CNIL-2026-0042"
    assert notified["authority_notified_by"] == "cli:dpo-office"
    told = _json(_cli(settings, "notify", breach_id, "--people", "--json"))
    assert told["people_notified_count"] == expected and told["people_notified_by"] == "cli:dpo-office"

    keys = _cli(settings, "subjects", breach_id)
    assert keys.returncode == 0, keys.stderr
    lines = keys.stdout.split()
    assert len(lines) == expected and all(re.fullmatch(r"[0-9a-f]{32,}", k) for k in lines)
    assert "@" not in keys.stdout

    closed = _json(_cli(settings, "close", breach_id, "--note", "share removed, keys rotated", "--json"))
    assert closed["status"] == "closed" and closed["closed_by"] == "cli:dpo-office"

    with open_driver(settings) as driver:
        trail = entries(driver, settings, AuditFilters(action="breach"), limit=50)
    done = {(e.action, e.outcome) for e in trail.entries if (e.kind, e.actor) == ("cli", "dpo-office")}
    assert {
        ("breach.open", "ok"),
        ("breach.notify.authority", "ok"),
        ("breach.notify.people", "refused"),
        ("breach.notify.people", "ok"),
        ("breach.subjects", "ok"),
        ("breach.close", "ok"),
    } <= done


def test_a_breach_at_a_sub_processor_that_exposed_nobody_raises_no_deadline_alert(pipeline: Settings) -> None:
    settings = pipeline
    catalog = read_catalog(settings)
    now = datetime.now(UTC)
    with open_driver(settings) as driver:
        database = settings.neo4j.database
        # The graph is empty: nobody is exposed, though the data would reach the US and India.
        soon = breaches.open_breach(
            driver,
            database,
            catalog,
            processor="sms-gateway",
            exposed_from=now - timedelta(days=5),
            exposed_to=now - timedelta(days=3),
            aware_at=now - timedelta(hours=50),
            text="SMS provider reports stolen credentials",
            opened_by="cli:test",
        )
        assert soon.stores == ["brevo/contacts", "brevo/transactional"]
        assert soon.outside_eea == ["IN", "US"] and soon.subjects == 0 and soon.risk == "unlikely"
        # Nobody exposed: nothing to notify, so no deadline alert.
        run_checks(driver, database)
        assert not [a for a in listed(driver, database) if a.kind.startswith("breach_")]
        assert breaches.one(driver, database, soon.id).status == "open"


def test_an_unnotified_breach_alerts_at_50_hours_and_is_overdue_past_72(demo_graph: Settings) -> None:
    settings = demo_graph
    catalog = read_catalog(settings)
    now = datetime.now(UTC)
    with open_driver(settings) as driver:
        database = settings.neo4j.database

        def open_one(hours_ago: int) -> breaches.Breach:
            return breaches.open_breach(
                driver,
                database,
                catalog,
                store="hubspot/contacts",
                exposed_from=FROM,
                exposed_to=TO,
                aware_at=now - timedelta(hours=hours_ago),
                text="laptop with a CRM export stolen",
                opened_by="cli:test",
            )

        soon, late = open_one(50), open_one(80)
        assert soon.subjects > 0 and late.status == "overdue"
        run_checks(driver, database)
        alerts = {a.kind: a for a in listed(driver, database) if a.kind.startswith("breach_")}
        assert set(alerts) == {"breach_deadline", "breach_overdue"}
        assert soon.id in (alerts["breach_deadline"].reason or "") and "h left" in (
            alerts["breach_deadline"].reason or ""
        )
        assert late.id in (alerts["breach_overdue"].reason or "")
        assert (
            alerts["breach_deadline"].status == "open"
            and alerts["breach_deadline"].store == "hubspot/contacts"
        )

        with pytest.raises(Exception, match="reasons for the delay"):
            breaches.notify_authority(driver, database, late.id, "cli:test")
        breaches.notify_authority(
            driver, database, late.id, "cli:test", delay_reason="scope unclear until day 4"
        )
        breaches.notify_authority(driver, database, soon.id, "cli:test", reference="CNIL-1")
        run_checks(driver, database)
        still = [a for a in listed(driver, database) if a.kind.startswith("breach_") and a.status != "closed"]
        assert still == []


def _visit(n: int, at: datetime, categories: list[str]) -> dict[str, Any]:
    return {
        "event_id": f"clinic-portal:{n}",
        "occurred_at": at.isoformat(),
        "source": "ovh-weblogs",
        "action": "collected",
        "store": "ovh/web-logs",
        "subject": {"type": "visitor", "native": {"namespace": "web:cookie", "id": f"c{n:07d}"}},
        "categories": categories,
        "purpose": "essential.service.security",
        "legal_basis": "legitimate_interests",
    }


def test_the_workspace_opens_a_breach_and_the_api_records_its_notifications(
    pipeline: Settings, tmp_path: Path, browser: Any
) -> None:
    settings = _access_settings(pipeline)
    now = datetime.now(UTC).replace(microsecond=0)
    publish(
        settings,
        "canonical",
        _visit(1, now - timedelta(days=3), ["user.device.ip_address"]),
        _visit(2, now - timedelta(days=2), ["user.device.ip_address", "user.health_and_medical"]),
        _visit(3, now - timedelta(hours=2), ["user.device.ip_address"]),  # after the window
    )
    run_worker(settings, tmp_path / "worker.log")
    with open_driver(settings) as driver:
        accounts.add_user(driver, settings, "breach-dpo", "dpo", PASSWORD)
        dpo_token = accounts.add_client(driver, settings, "breach-tool", "dpo").token
        viewer_token = accounts.add_client(driver, settings, "breach-board", "viewer").token
    zone = read_catalog(settings).zone
    local = "%Y-%m-%dT%H:%M"
    with served(settings) as url:
        tab = browser.new_context().new_page()
        tab.goto(f"{url}/ui/login")
        tab.fill("input[name=name]", "breach-dpo")
        tab.fill("input[name=password]", PASSWORD)
        tab.click("button[type=submit]")
        tab.wait_for_url(re.compile(r".*/ui/$"))
        tab.click("nav >> text=Breaches")
        tab.select_option("#open-breach select[name=store]", "ovh/web-logs")
        tab.fill(
            "#open-breach input[name=exposed_from]",
            (now - timedelta(days=4)).astimezone(zone).strftime(local),
        )
        tab.fill(
            "#open-breach input[name=exposed_to]", (now - timedelta(days=1)).astimezone(zone).strftime(local)
        )
        tab.fill(
            "#open-breach input[name=aware_at]", (now - timedelta(hours=10)).astimezone(zone).strftime(local)
        )
        tab.fill("#open-breach input[name=description]", "web logs bucket readable by anyone")
        tab.click("#open-breach button")
        tab.wait_for_url(re.compile(r".*/ui/breaches/br-[0-9a-f]+$"))
        breach_id = tab.url.rsplit("/", 1)[1]
        assert tab.inner_text("#subjects") == "2"
        assert tab.inner_text("#risk").startswith("high") and "user.health_and_medical" in tab.inner_text(
            "#risk"
        )
        assert "Art. 9" in tab.inner_text("#special")
        assert re.search(r"\((61|62) h left\)", tab.inner_text("#deadline")), tab.inner_text("#deadline")
        assert "CNIL" in tab.inner_text("#must-tell") and "Art. 34" in tab.inner_text("#must-tell")
        assert tab.inner_text("#by-type").split() == ["Subject", "type", "People", "visitor", "2"]
        tab.fill("#notify-authority input[name=reference]", "CNIL-2026-0099")
        tab.click("#notify-authority button")
        tab.wait_for_selector("#breach-status.notified")
        notified = tab.inner_text("#authority-notified")
        assert "account:breach-dpo" in notified and "CNIL-2026-0099" in notified

        def api(method: str, path: str, token: str, body: Any = None) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token}"}
            return httpx.request(method, url + path, headers=headers, json=body, timeout=60)

        listing = api("GET", "/breaches", viewer_token)
        assert listing.status_code == 200 and [b["id"] for b in listing.json()] == [breach_id]
        assert api("GET", f"/breaches/{breach_id}/subjects", viewer_token).status_code == 403
        assert api("POST", f"/breaches/{breach_id}/notifications/people", viewer_token, {}).status_code == 403
        keys = api("GET", f"/breaches/{breach_id}/subjects", dpo_token)
        assert keys.status_code == 200 and len(keys.json()) == 2
        assert {tuple(k["categories"]) for k in keys.json()} >= {
            ("user.device.ip_address", "user.health_and_medical")
        }
        told = api("POST", f"/breaches/{breach_id}/notifications/people", dpo_token, {})
        assert told.status_code == 200, told.text
        assert (
            told.json()["people_notified_count"] == 2
            and told.json()["people_notified_by"] == "client:breach-tool"
        )
        opened = api(
            "POST",
            "/breaches",
            dpo_token,
            {
                "processor": "ovh",
                "exposed_from": "2020-01-01",
                "exposed_to": "2019-01-01",
                "description": "x",
            },
        )
        assert opened.status_code == 400 and "before it ends" in opened.text
        tab.reload()
        assert "2 on" in tab.inner_text("#people-notified")
