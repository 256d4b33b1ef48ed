"""The record of processing (Art. 30) on a real graph: declarations joined with observations.

A few canonical events go through the real worker; ``lineage ropa`` then runs as a process and
``GET /ropa`` over real HTTP, and both must report the disagreements the events create: data in
Dropbox (Privacy Shield, so an unapproved transfer), a phone number in the newsletter store that
declares none, and CVs copied to a file-sharing store the catalog does not know.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lineage.runner import settings_env
from lineage.settings import ApiSettings, Settings
from tests.integration.feed import publish, run_worker
from tests.integration.test_api import served
from tests.integration.test_transfers import canonical

pytestmark = pytest.mark.integration

ON = "2026-11-22"
QUERY_TOKEN = "ropa-token-3d9f-query"
UNDECLARED_STORE = "wetransfer/shared"
EVENTS = [
    canonical("ropa-test:1", "dropbox/recruitment", "ana@example.com", ["user.content.private.cv"]),
    canonical(
        "ropa-test:2",
        "brevo/contacts",
        "cleo@example.org",
        ["user.contact.email", "user.contact.phone_number"],
        "newsletter_subscriber",
    ),
    canonical(
        "ropa-test:3",
        "greenhouse/candidates",
        "dan@example.net",
        ["user.contact.email", "user.content.private.cv"],
    ),
    {
        "event_id": "ropa-test:copy",
        "occurred_at": "2026-06-02T09:00:00Z",
        "source": "demo",
        "action": "copied",
        "store": "greenhouse/candidates",
        "destination": UNDECLARED_STORE,
        "categories": ["user.content.private.cv"],
        "subject": {"type": "job_applicant", "email": "dan@example.net"},
    },
]


@pytest.fixture
def graph(pipeline: Settings, tmp_path: Path) -> Settings:
    publish(pipeline, "canonical", *EVENTS)
    run_worker(pipeline, tmp_path / "worker.log")
    return pipeline


def ropa(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Output decoded without newline translation: the CSV's ``\\r\\n`` row ends are compared as sent."""
    out = subprocess.run(
        [sys.executable, "-m", "lineage", "ropa", "--on", ON, *args],
        env=settings_env(settings),
        capture_output=True,
        timeout=60,
    )
    return subprocess.CompletedProcess(out.args, out.returncode, out.stdout.decode(), out.stderr.decode())


def ropa_json(settings: Settings) -> list[dict[str, Any]]:
    out = ropa(settings, "--format", "json")
    assert out.returncode == 0, out.stderr + out.stdout
    return json.loads(out.stdout)


def row(rows: list[dict[str, Any]], system: str, purpose: str) -> dict[str, Any]:
    return next(r for r in rows if r["system"] == system and r["purpose"] == purpose)


class TestRopaCli:
    def test_json_flags_what_the_graph_saw(self, graph: Settings) -> None:
        rows = ropa_json(graph)
        dropbox = row(rows, "dropbox", "employment.recruitment")
        assert dropbox["subjects_observed"] == 1
        assert any(
            f.startswith("transfer without a valid mechanism: dropbox/recruitment via dropbox -> US")
            and "Privacy Shield" in f
            for f in dropbox["flags"]
        )

        brevo = row(rows, "brevo", "marketing.communications.email")
        assert brevo["subjects_observed"] == 1
        assert (
            "brevo/contacts: observed category user.contact.phone_number not declared for this store"
            in brevo["flags"]
        )
        assert not any("user.contact.email" in f for f in brevo["flags"])  # declared, so no flag

        greenhouse = row(rows, "greenhouse", "employment.recruitment")
        assert (
            f"observed flow greenhouse/candidates -> {UNDECLARED_STORE} (1 subjects): destination "
            "store not declared in the catalog" in greenhouse["flags"]
        )

        undeclared = [r for r in rows if r["system"] == "(undeclared)"]
        assert [r["stores"] for r in undeclared] == [[UNDECLARED_STORE]]
        (shared,) = undeclared
        assert shared["subjects_observed"] == 1 and shared["categories"] == ["user.content.private.cv"]
        assert "store not declared in the catalog" in shared["flags"]

    def test_csv_on_stdout_and_to_a_file(self, graph: Settings, tmp_path: Path) -> None:
        rows = ropa_json(graph)
        out = ropa(graph)  # csv is the default
        assert out.returncode == 0, out.stderr
        parsed = list(csv.DictReader(io.StringIO(out.stdout)))
        assert len(parsed) == len(rows)
        assert [(r["system"], r["purpose"]) for r in parsed] == [(r["system"], r["purpose"]) for r in rows]
        brevo = next(r for r in parsed if r["system"] == "brevo" and r["stores"] == "brevo/contacts")
        assert brevo["subjects_observed"] == "1"

        target = tmp_path / "ropa.csv"
        written = ropa(graph, "--format", "csv", "--output", str(target))
        assert written.returncode == 0 and written.stdout == ""
        assert target.read_bytes().decode() == out.stdout
        flagged = sum(1 for r in rows if r["flags"])
        assert written.stderr.strip() == f"{len(rows)} activities, {flagged} flagged"

    def test_a_bad_format_is_refused(self, servers: Settings) -> None:
        out = ropa(servers, "--format", "xml")
        assert out.returncode == 2
        assert "format: 'xml' is not one of csv, json" in out.stdout + out.stderr


@pytest.fixture
def query_api(graph: Settings) -> Iterator[str]:
    settings = graph.model_copy(update={"api": ApiSettings(query_token=QUERY_TOKEN)})
    with served(settings) as url:
        yield url


def get(url: str, **params: str) -> httpx.Response:
    return httpx.get(
        f"{url}/ropa", params=params, headers={"Authorization": f"Bearer {QUERY_TOKEN}"}, timeout=30
    )


class TestRopaApi:
    def test_json_and_csv_match_the_cli(self, graph: Settings, query_api: str) -> None:
        as_json = get(query_api, on=ON)
        assert as_json.status_code == 200, as_json.text
        assert as_json.json() == ropa_json(graph)

        as_csv = get(query_api, on=ON, format="csv")
        assert as_csv.status_code == 200, as_csv.text
        assert as_csv.headers["content-type"].startswith("text/csv")
        assert as_csv.text == ropa(graph).stdout

    def test_refusals(self, graph: Settings, query_api: str) -> None:
        bad = get(query_api, format="xml")
        assert bad.status_code == 400 and bad.json()["error"] == "bad_query"
        assert get(query_api, on="yesterday").json()["error"] == "bad_query"
        assert httpx.get(f"{query_api}/ropa", timeout=30).status_code == 401
