"""An erasure request from receipt to proof, driven by the sources' real deletion webhooks."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from graph.connection import open_driver
from graph.holds import add_hold
from graph.requests import overdue_requests, reappearances, refresh_requests, request_status
from lineage.answers.scheduled_checks import check_erasures
from lineage.domain.holds import HoldOn, HoldScope
from lineage.runner import settings_env
from lineage.settings import ApiSettings, Settings
from tests.integration.feed import cli_data_map, publish, run_worker
from tests.integration.test_api import served
from tests.integration.test_identity import HUBSPOT_CREATED, HUBSPOT_DELETED, LEA

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).parent.parent / "fixtures"
BOB = "bob.durand@example.org"
CANDIDATE = 37031511
QUERY_TOKEN = "erasure-test-token"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


BREVO_ADDED = fixture("brevo/marketing_list_addition.json")
BREVO_DELETED = fixture("brevo/marketing_contact_deleted.json")
# Only fields Greenhouse's anonymisation names exactly (see the report on category matching).
GREENHOUSE_APPLIED = {
    "action": "new_candidate_application",
    "payload": {
        "application": {
            "id": 46196263,
            "status": "active",
            "applied_at": "2026-03-02T09:14:00Z",
            "prospect": False,
            "jobs": [{"id": 4480027, "name": "Chargé de recrutement"}],
            "candidate": {
                "id": CANDIDATE,
                "email_addresses": [{"value": LEA, "type": "personal"}],
                "phone_numbers": [{"value": "+33 6 12 34 56 78", "type": "mobile"}],
                "attachments": [
                    {"filename": "cv.pdf", "type": "resume", "url": f"https://files.example/cv/{CANDIDATE}"}
                ],
                "created_at": "2026-03-02T09:14:00Z",
            },
        }
    },
}
GREENHOUSE_ANONYMISED = fixture("greenhouse/candidate_anonymized_received.json")
INVOICE = {
    "event_id": "erp:invoice-2026-0042",
    "occurred_at": "2026-03-10T10:00:00Z",
    "source": "erp",
    "action": "collected",
    "store": "billing/invoices",
    "categories": ["user.financial", "user.name"],
    "subject": {"type": "customer", "email": LEA},
    "legal_basis": "legal_obligation",
}


def s3_event(name: str, at: str) -> dict[str, Any]:
    event = copy.deepcopy(fixture("s3/cv_put.json"))
    record = event["Records"][0]
    record["eventName"], record["eventTime"] = name, at
    record["s3"]["object"]["key"] = f"candidates/{CANDIDATE}/cv.pdf"
    return event


def brevo_added(email: str, ts: int) -> dict[str, Any]:
    return BREVO_ADDED | {
        "email": email,
        "ts": ts,
        "date": datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }


PARIS = ZoneInfo("Europe/Paris")


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage", "erasure", *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def cli_json(settings: Settings, *args: str) -> Any:
    out = cli(settings, *args, "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    assert LEA not in out.stdout and BOB not in out.stdout  # never the raw identifier
    return json.loads(out.stdout)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def load_people(pipeline: Settings, tmp_path: Path) -> None:
    publish(pipeline, "brevo", BREVO_ADDED, brevo_added(BOB, 1772795200))
    publish(pipeline, "hubspot", HUBSPOT_CREATED)
    publish(pipeline, "greenhouse", GREENHOUSE_APPLIED)
    publish(pipeline, "s3", s3_event("ObjectCreated:Put", "2026-03-02T09:15:02.000Z"))
    publish(pipeline, "canonical", INVOICE)
    run_worker(pipeline, tmp_path / "load.log")


def delete_everywhere(pipeline: Settings, tmp_path: Path) -> None:
    publish(pipeline, "brevo", BREVO_DELETED)
    publish(pipeline, "hubspot", HUBSPOT_DELETED)
    publish(pipeline, "greenhouse", GREENHOUSE_ANONYMISED)
    publish(pipeline, "s3", s3_event("ObjectRemoved:Delete", "2026-04-12T09:00:00.000Z"))
    run_worker(pipeline, tmp_path / "deletions.log")


STORES = [
    "billing/invoices",
    "brevo/contacts",
    "greenhouse/candidates",
    "hubspot/contacts",
    "s3://acme-hr-cv",
]


class TestErasureRequest:
    def test_from_request_to_proof(self, pipeline: Settings, tmp_path: Path) -> None:
        load_people(pipeline, tmp_path)

        opened = cli_json(
            pipeline,
            "request",
            LEA,
            "--requested-by",
            "data subject, by e-mail to dpo@",
            "--received",
            "2026-11-20",
        )
        assert [t["store"] for t in opened["tasks"]] == STORES
        assert {t["status"] for t in opened["tasks"]} == {"outstanding"}
        # A date without a time is that day in the organisation's zone (the demo's: Paris), and the
        # deadline runs to the end of the day one month later, in Paris.
        assert at(opened["received_at"]) == datetime(2026, 11, 20, tzinfo=PARIS)
        assert at(opened["deadline"]) == datetime(2026, 12, 20, 23, 59, 59, 999999, tzinfo=PARIS)
        assert opened["status"] == "open" and opened["requested_by"] == "data subject, by e-mail to dpo@"
        s3_task = next(t for t in opened["tasks"] if t["store"] == "s3://acme-hr-cv")
        assert s3_task["categories"] == ["user.content.private.cv"] and "FR" in s3_task["countries"]

        nobody = cli(pipeline, "request", "nobody@example.com")
        assert nobody.returncode == 1 and "knows nobody" in nobody.stdout
        assert "nobody@example.com" not in nobody.stdout + nobody.stderr

        late = cli_json(pipeline, "request", f"greenhouse:{CANDIDATE}", "--received", "2026-10-01")
        with open_driver(pipeline) as driver:
            overdue = overdue_requests(driver, pipeline.neo4j.database, datetime.now(UTC))
        assert [r["id"] for r in overdue] == [late["id"]]
        assert overdue[0]["deadline"] == datetime(2026, 11, 1, 23, 59, 59, 999999, tzinfo=PARIS)
        refused = cli(pipeline, "extend", late["id"], "--months", "1", "--reason", "complex")
        assert refused.returncode == 2 and "that month is over" in refused.stdout
        (shown,) = cli_json(pipeline, "status", late["id"])
        assert shown["status"] == "overdue" and shown["counts"]["outstanding"] == 4  # billing retained
        with open_driver(pipeline) as driver:
            (alert,) = check_erasures(driver, pipeline.neo4j.database)
            assert (alert["kind"], alert["count"]) == ("request_overdue", 1)
            assert late["id"] in alert["reason"]
            assert check_erasures(driver, pipeline.neo4j.database) == []  # one alert, kept up to date

        extended = cli_json(
            pipeline,
            "extend",
            opened["id"],
            "--months",
            "2",
            "--reason",
            "data held by five processors, two outside the EU",
        )
        assert at(extended["deadline"]) == datetime(2027, 2, 20, 23, 59, 59, 999999, tzinfo=PARIS)
        assert extended["extension"]["months"] == 2
        assert at(extended["extension"]["original_deadline"]) == at(opened["deadline"])
        assert extended["extension"]["reason"] == "data held by five processors, two outside the EU"
        more = cli(pipeline, "extend", opened["id"], "--months", "1", "--reason", "still complex")
        assert more.returncode == 2 and "at most 2" in more.stdout

        delete_everywhere(pipeline, tmp_path)
        (proof,) = cli_json(pipeline, "status", opened["id"])
        assert proof["status"] == "complete" and proof["completed_at"]
        tasks = {t["store"]: t for t in proof["tasks"]}
        assert proof["counts"] == {"outstanding": 0, "done": 4, "retained": 1}
        for store in STORES[1:]:
            assert tasks[store]["status"] == "done", tasks[store]
            assert tasks[store]["closed_by_event"] and tasks[store]["closed_at"]
        assert tasks["hubspot/contacts"]["closed_by_event"].startswith("hubspot:")
        assert at(tasks["brevo/contacts"]["closed_at"]) == datetime(2026, 4, 1, 6, tzinfo=UTC)
        assert at(tasks["s3://acme-hr-cv"]["closed_at"]) == datetime(2026, 4, 12, 9, tzinfo=UTC)
        billing = tasks["billing/invoices"]
        assert billing["status"] == "retained" and billing["closed_by_event"] is None
        assert billing["reason"] == ("legal obligation: invoices-10y-end-of-financial-year until 2037-01-01")

        # The person subscribes again: the data is back, the proof stands, the reappearance shows.
        publish(pipeline, "brevo", brevo_added(LEA, int(time.time()) + 60))
        run_worker(pipeline, tmp_path / "again.log")
        (after,) = cli_json(pipeline, "status", opened["id"])
        assert after["status"] == "complete" and after["tasks"] == proof["tasks"]
        with open_driver(pipeline) as driver:
            back = reappearances(driver, pipeline.neo4j.database)
        assert [(r["request"], r["store"], r["category"]) for r in back if r["request"] == opened["id"]] == [
            (opened["id"], "brevo/contacts", "user.contact.email")
        ]
        assert back[0]["last_event_id"] and back[0]["subject"] == proof["subject"]
        with open_driver(pipeline) as driver:
            raised = check_erasures(driver, pipeline.neo4j.database)
        assert [(a["kind"], a["store"]) for a in raised] == [("erasure_reappearance", "brevo/contacts")]

    def test_a_legal_hold_retains_and_the_api_answers_like_the_cli(
        self, pipeline: Settings, hasher, tmp_path: Path
    ) -> None:
        load_people(pipeline, tmp_path)
        with open_driver(pipeline) as driver:
            on = HoldOn(HoldScope.PERSON, hasher.email(BOB))
            hold = add_hold(driver, pipeline.neo4j.database, on, "case 2026-117", [], [], None, "cli:test")
        assert hold is not None
        settings = pipeline.model_copy(update={"api": ApiSettings(query_token=QUERY_TOKEN)})
        headers = {"Authorization": f"Bearer {QUERY_TOKEN}"}
        with served(settings) as url:
            created = httpx.post(
                f"{url}/erasure-requests",
                headers=headers,
                timeout=30,
                json={"identifier": BOB, "requested_by": "data subject, web form"},
            )
            assert created.status_code == 201, created.text
            request = created.json()
            assert [t["store"] for t in request["tasks"]] == ["brevo/contacts"]
            missing = httpx.post(f"{url}/erasure-requests", headers=headers, json={"identifier": "x@y.z"})
            assert missing.status_code == 404 and missing.json()["error"] == "not_found"
            assert httpx.get(f"{url}/erasure-requests/er-none", headers=headers).status_code == 404
            assert httpx.get(f"{url}/erasure-requests", timeout=30).status_code == 401

            # A GET only reads: the task is as opened until a check judges it (the worker's
            # scheduled one, the CLI's status, or the explicit POST .../refresh).
            shown = httpx.get(f"{url}/erasure-requests/{request['id']}", headers=headers, timeout=30)
            assert shown.status_code == 200 and shown.json()["tasks"][0]["status"] == "outstanding"
            refreshed = httpx.post(
                f"{url}/erasure-requests/{request['id']}/refresh", headers=headers, timeout=30
            )
            assert refreshed.status_code == 200 and refreshed.json()["tasks"][0]["status"] == "retained"
            one = httpx.get(f"{url}/erasure-requests/{request['id']}", headers=headers, timeout=30)
            assert [one.json()] == [refreshed.json()] == cli_json(pipeline, "status", request["id"])
            listed = httpx.get(f"{url}/erasure-requests", headers=headers, timeout=30).json()
            assert listed == cli_json(pipeline, "status")

        status = one.json()
        assert status["status"] == "complete"
        (task,) = status["tasks"]
        assert task["status"] == "retained"
        assert task["reason"] == f"legal hold: {hold['id']} (case 2026-117)"


# A 12-year rule of the organisation's own, more specific than the 10-year legal obligation on
# the store: it binds the expiry of the financial data, but only the law refuses an erasure.
LONGER_RULE = """  - id: bank-details-12y
    store: billing/invoices
    categories: [user.financial]
    duration: {years: 12}
    trigger: end_of_financial_year
    source: "the organisation's own promise, longer than the law asks"
"""


class TestLegalPeriodUnderALongerRule:
    def test_retained_by_law_during_the_legal_period_then_outstanding(
        self, pipeline: Settings, tmp_path: Path
    ) -> None:
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            re.sub(
                r"\nretention:[^\n]*\n",
                lambda m: m.group(0) + LONGER_RULE,
                pipeline.catalog.read_text(),
                count=1,
            )
        )
        settings = pipeline.model_copy(update={"catalog": catalog})
        publish(settings, "canonical", INVOICE)  # issued 10 Mar 2026: financial year ends 31 Dec
        run_worker(settings, tmp_path / "worker.log")

        (invoices,) = [s for s in cli_data_map(settings, LEA)["stores"] if s["store"] == "billing/invoices"]
        held = {r["category"]: r for r in invoices["retention"]}
        assert held["user.financial"]["rule"] == "bank-details-12y"
        assert at(held["user.financial"]["expires_at"]) == datetime(2039, 1, 1, tzinfo=PARIS)
        assert held["user.financial"]["legal_rule"] == "invoices-10y-end-of-financial-year"
        assert at(held["user.financial"]["legal_until"]) == datetime(2037, 1, 1, tzinfo=PARIS)

        opened = cli_json(settings, "request", LEA, "--received", "2026-11-20")
        (shown,) = cli_json(settings, "status", opened["id"])  # judged now, within the ten years
        (task,) = shown["tasks"]
        assert (task["status"], task["reason"]) == (
            "retained",
            "legal obligation: invoices-10y-end-of-financial-year until 2037-01-01",
        )

        # Each judged at a moment of its own: a request with nothing outstanding is complete and
        # no longer re-judged, so the second one is opened for the day after the legal period.
        later = cli_json(settings, "request", LEA, "--received", "2036-12-15")
        with open_driver(settings) as driver:
            database = settings.neo4j.database
            # 23:59 on 31 Dec 2036 in Paris, then its midnight (UTC: the driver packs no ZoneInfo).
            refresh_requests(driver, database, datetime(2036, 12, 31, 22, 59, tzinfo=UTC), opened["id"])
            refresh_requests(driver, database, datetime(2036, 12, 31, 23, 0, tzinfo=UTC), later["id"])
            (last_day,) = request_status(driver, database, opened["id"])
            (after,) = request_status(driver, database, later["id"])
        assert [(t["status"], t["reason"]) for t in last_day["tasks"]] == [
            ("retained", "legal obligation: invoices-10y-end-of-financial-year until 2037-01-01")
        ]
        # The law's ten years are over: the organisation's twelve are no ground to refuse.
        assert [(t["status"], t["reason"]) for t in after["tasks"]] == [("outstanding", None)]

        # The first request was complete (retained is an answer); when the legal period ends it
        # is judged again, reopened, and overdue at once: the erasure is owed from that day.
        with open_driver(settings) as driver:
            database = settings.neo4j.database
            assert last_day["status"] == "complete"
            midnight = datetime(2036, 12, 31, 23, 0, tzinfo=UTC)
            changed = refresh_requests(driver, database, midnight, opened["id"])
            (reopened,) = request_status(driver, database, opened["id"], now=midnight)
            overdue = {r["id"] for r in overdue_requests(driver, database, midnight)}
        assert [(c["id"], c["status"]) for c in changed] == [(opened["id"], "open")]
        assert [(t["status"], t["reason"]) for t in reopened["tasks"]] == [("outstanding", None)]
        assert reopened["status"] == "overdue" and opened["id"] in overdue
