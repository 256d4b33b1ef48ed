"""The record of processing (Art. 30) on a real graph: declarations joined with observations.

A few canonical events go through the real worker; ``lineage ropa`` then runs as a process and
``GET /ropa`` over real HTTP, and both must report the disagreements the events create: data in
Dropbox (Privacy Shield, so an unapproved transfer), a phone number in the newsletter store that
declares none, and CVs copied to a file-sharing store the catalog does not know. The demo
catalog's recipients without a store, its DPO, security measures and processor's record (seed
003 §3-4) are in the exports, and ``--diff`` compares with an export written before a catalog
change.
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
import yaml

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
        env=settings_env(settings) | {"COLUMNS": "250"},  # rich tables unfolded, as on a wide terminal
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
    def test_the_processor_record_matches_the_cli(self, graph: Settings, query_api: str) -> None:
        answer = httpx.get(
            f"{query_api}/ropa/processor",
            params={"on": ON},
            headers={"Authorization": f"Bearer {QUERY_TOKEN}"},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == json.loads(ropa(graph, "--processor-record", "--format", "json").stdout)

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


class TestCompleteRecord:
    def test_recipients_without_store_dpo_and_security(self, graph: Settings) -> None:
        rows = ropa_json(graph)
        declared = [r for r in rows if r["system"] != "(undeclared)"]
        assert all(r["dpo"].startswith("Délégué à la protection des données") for r in rows)
        assert all(r["security_measures"] for r in declared)
        billing = " | ".join(row(rows, "billing", "finance")["other_recipients"])
        assert "Tax and social security authorities (authority, FR, legal_obligation" in billing
        assert "External statutory auditors (third party, FR, legal_obligation, seed 003 §10" in billing
        assert "Payroll provider (processor, seed 003 §2" in billing
        greenhouse = row(rows, "greenhouse", "employment.recruitment")
        assert any(
            o.startswith("Client employers and partner agencies") for o in greenhouse["other_recipients"]
        )
        assert row(rows, "hubspot", "sales")["legal_basis"] == []
        assert "no legal basis declared for purpose sales" in row(rows, "hubspot", "sales")["flags"]
        # the undeclared store's row knows nothing of recipients
        (shared,) = [r for r in rows if r["system"] == "(undeclared)"]
        assert shared["other_recipients"] == [] and shared["security_measures"] == []

        csv_rows = list(csv.DictReader(io.StringIO(ropa(graph).stdout)))
        billing_csv = next(r for r in csv_rows if r["system"] == "billing")
        assert (
            billing_csv["other_recipients"].split("; ") == row(rows, "billing", "finance")["other_recipients"]
        )

    def test_processor_record(self, pipeline: Settings) -> None:
        as_json = ropa(pipeline, "--processor-record", "--format", "json")
        assert as_json.returncode == 0, as_json.stderr
        prints, web = json.loads(as_json.stdout)
        assert prints["processor"] == "Atelier Nord SAS (demo)"
        assert prints["source"] == "seed 003 §3, §9" and web["source"] == "seed 003 §4, §9"
        assert prints["sub_processors"] == ["OVH SAS, Roubaix", "Google LLC", "Dropbox, Inc."]
        assert any(
            t.startswith("client-print-datasets via dropbox -> US: unapproved") for t in prints["transfers"]
        )
        assert web["flags"] == []
        as_csv = ropa(pipeline, "--processor-record")
        parsed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
        assert [r["client"] for r in parsed] == [prints["client"], web["client"]]
        assert parsed[0]["activities"].split("; ") == prints["activities"]

    def test_diff_against_an_export_before_a_catalog_change(self, pipeline: Settings, tmp_path: Path) -> None:
        before_json, before_csv = tmp_path / "before.json", tmp_path / "before.csv"
        for target, fmt in ((before_json, "json"), (before_csv, "csv")):
            written = ropa(pipeline, "--format", fmt, "--output", str(target))
            assert written.returncode == 0, written.stderr
        changed = pipeline.model_copy(update={"catalog": _changed_catalog(pipeline.catalog, tmp_path)})

        out = ropa(changed, "--diff", str(before_json), "--json")
        assert out.returncode == 0, out.stderr
        diff = json.loads(out.stdout)
        assert diff["removed"] == ["gmail / sales"]
        assert diff["added"] == []
        fields = {(c["key"], f["field"]): f for c in diff["changed"] for f in c["fields"]}
        basis = fields[("brevo / essential.service.notifications.email", "legal_basis")]
        assert (basis["removed"], basis["added"]) == (["contract"], ["legitimate_interests"])
        added = fields[("billing / finance", "other_recipients")]["added"]
        assert added == ["Debt collection agency (third party, FR, in a payment dispute, test)"]

        table = ropa(changed, "--diff", str(before_csv))
        assert table.returncode == 0, table.stderr
        assert "1 removed" in table.stdout and "gmail / sales" in table.stdout
        assert "legitimate_interests" in table.stdout
        assert ropa(changed, "--diff", str(before_csv), "--fail-on-change").returncode == 1
        assert ropa(pipeline, "--diff", str(before_csv), "--fail-on-change").returncode == 0

    def test_a_file_that_is_no_record_is_refused(self, servers: Settings, tmp_path: Path) -> None:
        wrong = tmp_path / "people.csv"
        wrong.write_text("name,email\nx,y\n", encoding="utf-8")
        out = ropa(servers, "--diff", str(wrong))
        assert out.returncode == 2
        assert "not a record of processing export" in out.stdout + out.stderr


def _changed_catalog(demo: Path, tmp_path: Path) -> Path:
    """The demo catalog with transactional mail on legitimate interests, Gmail no longer used
    for sales, and one recipient more."""
    data = yaml.safe_load(demo.read_text(encoding="utf-8"))
    stores = {st["id"]: st for system in data["systems"] for st in system["stores"]}
    stores["brevo/transactional"]["legal_basis"] = "legitimate_interests"
    stores["gmail/mailboxes"]["purposes"] = ["employment.recruitment"]
    data["recipients"].append(
        {
            "id": "debt-collector",
            "name": "Debt collection agency",
            "kind": "third_party",
            "country": "FR",
            "purposes": ["finance"],
            "when": "in a payment dispute",
            "source": "test",
        }
    )
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path
