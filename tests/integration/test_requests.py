"""Every kind of rights request from opening to closure, on the real servers: through the answers
layer, the CLI and the API (the identifier in the body only)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.connection import open_driver
from lineage.answers import requests as answers
from lineage.answers.scheduled_checks import check_requests
from lineage.answers.subjects import subject_key
from lineage.errors import QueryError
from lineage.runner import settings_env
from lineage.settings import ApiSettings, Settings
from tests.integration.test_api import served
from tests.integration.test_erasure import STORES, load_people
from tests.integration.test_identity import LEA

pytestmark = pytest.mark.integration
QUERY_TOKEN = "requests-test-token"


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage", "request", *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def cli_json(settings: Settings, *args: str) -> Any:
    out = cli(settings, *args, "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    assert LEA not in out.stdout  # never the raw identifier
    return json.loads(out.stdout)


def stores(request: Any) -> list[str]:
    tasks = request.tasks if hasattr(request, "tasks") else request["tasks"]
    return [t.store if hasattr(t, "store") else t["store"] for t in tasks]


class TestEveryKind:
    def test_from_opening_to_closure(self, pipeline: Settings, tmp_path: Path) -> None:
        load_people(pipeline, tmp_path)
        database, key = pipeline.neo4j.database, subject_key(pipeline, LEA)
        with open_driver(pipeline) as driver:
            # Access: every store holding the person's data, the verification kept (method only).
            access = answers.open_request(
                driver,
                database,
                "access",
                key,
                verification_method="email_confirmation",
                verified_by="DPO office",
            )
            assert access.id.startswith("ac-") and access.kind == "access"
            assert stores(access) == STORES and access.status == "open"
            assert (access.verification.method, access.verification.verified_by) == (
                "email_confirmation",
                "DPO office",
            )
            with pytest.raises(QueryError, match="must name no one"):
                answers.open_request(driver, database, "access", key, verified_by="jean.dupont@example.org")
            with pytest.raises(QueryError, match="still outstanding"):
                answers.close(driver, database, access.id, "report sent by post")
            for store in STORES:
                answered = answers.answer_task(
                    driver, database, access.id, store, "ticket 4411", "DPO office"
                )
            assert answered.status == "complete" and answered.counts.done == 5
            assert {t.answer_evidence for t in answered.tasks} == {"ticket 4411"}
            with pytest.raises(QueryError, match="already done"):
                answers.answer_task(driver, database, access.id, STORES[0], "again")
            closed = answers.close(driver, database, access.id, "report sent by registered post")
            assert (closed.status, closed.closure_note) == ("complete", "report sent by registered post")

            # Objection to direct marketing: only the data processed for a marketing purpose.
            objection = answers.open_request(driver, database, "objection", key, purposes=["marketing"])
            assert objection.id.startswith("ob-") and objection.purposes == ["marketing"]
            assert "brevo/contacts" in stores(objection) and "billing/invoices" not in stores(objection)
            assert objection.in_force and objection.in_force_since == objection.received_at

            # Rectification of the e-mail address only: the stores holding it.
            rectification = answers.open_request(
                driver, database, "rectification", key, categories=["user.contact.email"]
            )
            assert "billing/invoices" not in stores(rectification)
            assert {c for t in rectification.tasks for c in t.categories or []} == {"user.contact.email"}

            # An erasure task closes on the deletion, never on an answer.
            erasure = answers.open_request(driver, database, "erasure", key)
            with pytest.raises(QueryError, match="deletion event"):
                answers.answer_task(driver, database, erasure.id, "hubspot/contacts", "done")

    def test_restriction_by_the_cli_lifted_with_its_reason(self, pipeline: Settings, tmp_path: Path) -> None:
        load_people(pipeline, tmp_path)
        opened = cli_json(
            pipeline,
            "open",
            "--kind",
            "restriction",
            LEA,
            "--received",
            "2026-11-20",
            "--verification",
            "in_person",
        )
        assert opened["id"].startswith("rs-") and stores(opened) == STORES
        assert opened["in_force"] is True and opened["in_force_since"] == opened["received_at"]
        for store in STORES:
            answered = cli_json(
                pipeline, "answer", opened["id"], store, "--evidence", "restricted in the tool"
            )
        assert answered["status"] == "in_force"  # answered, and still applying
        refused = cli(pipeline, "lift", opened["id"], "--reason", "call 06 12 34 56 78")
        assert refused.returncode == 2 and "phone number" in refused.stdout
        lifted = cli_json(pipeline, "lift", opened["id"], "--reason", "accuracy verified (Art. 18(1)(a))")
        assert lifted["in_force"] is False and lifted["lifted_at"]
        assert (lifted["status"], lifted["lift_reason"]) == ("complete", "accuracy verified (Art. 18(1)(a))")
        again = cli(pipeline, "lift", opened["id"], "--reason", "twice")
        assert again.returncode == 2 and "lifted" in again.stdout
        (shown,) = cli_json(pipeline, "status", opened["id"])
        assert shown == lifted

        nobody = cli(pipeline, "open", "--kind", "access", "nobody@example.com")
        assert nobody.returncode == 1 and "nobody@example.com" not in nobody.stdout + nobody.stderr

    def test_portability_over_http_and_its_report(self, pipeline: Settings, tmp_path: Path) -> None:
        load_people(pipeline, tmp_path)
        settings = pipeline.model_copy(update={"api": ApiSettings(query_token=QUERY_TOKEN)})
        headers = {"Authorization": f"Bearer {QUERY_TOKEN}"}
        with served(settings) as url:
            extra = httpx.post(
                f"{url}/requests", headers=headers, json={"kind": "access", "identifier": LEA, "ssn": "1"}
            )
            assert extra.status_code == 400 and LEA not in extra.text
            too_long = httpx.post(
                f"{url}/requests", headers=headers, json={"kind": "access", "identifier": "x" * 400}
            )
            assert too_long.status_code == 400
            created = httpx.post(
                f"{url}/requests",
                headers=headers,
                timeout=60,
                json={"kind": "portability", "identifier": LEA, "verification_method": "account_login"},
            )
            assert created.status_code == 201, created.text
            request = created.json()
            assert request["id"].startswith("po-") and LEA not in created.text
            # The invoices rest on a legal obligation: not portable.
            assert "billing/invoices" not in stores(request) and stores(request)
            one = httpx.get(f"{url}/requests/{request['id']}", headers=headers, timeout=30).json()
            assert [one] == cli_json(settings, "status", request["id"])
            for store in stores(request):
                answered = httpx.post(
                    f"{url}/requests/{request['id']}/tasks/{store}/answer",
                    headers=headers,
                    timeout=30,
                    json={"evidence": "export file received"},
                )
                assert answered.status_code == 200, answered.text
            assert answered.json()["status"] == "complete"
            closed = httpx.post(
                f"{url}/requests/{request['id']}/close",
                headers=headers,
                json={"note": "export sent"},
                timeout=30,
            )
            assert closed.status_code == 200 and closed.json()["closure_note"] == "export sent"
            html = httpx.get(
                f"{url}/requests/{request['id']}/report",
                headers=headers,
                params={"format": "html"},
                timeout=60,
            )
            assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
            exported = httpx.get(f"{url}/requests/{request['id']}/export", headers=headers, timeout=60)
            assert exported.status_code == 200, exported.text
            assert httpx.get(f"{url}/requests/po-none", headers=headers).status_code == 404
            assert httpx.get(f"{url}/requests", timeout=30).status_code == 401
            listed = httpx.get(f"{url}/requests", headers=headers, params={"kind": "portability"}, timeout=30)
            assert [r["id"] for r in listed.json()] == [request["id"]]

        report = tmp_path / "report.pdf"
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "lineage",
                "request",
                "report",
                request["id"],
                "--format",
                "pdf",
                "--out",
                str(report),
            ],
            env=settings_env(settings),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        assert report.read_bytes().startswith(b"%PDF")

    def test_an_overdue_access_request_raises_request_overdue(
        self, pipeline: Settings, tmp_path: Path
    ) -> None:
        load_people(pipeline, tmp_path)
        late = cli_json(pipeline, "open", "--kind", "access", LEA, "--received", "2026-10-01")
        with open_driver(pipeline) as driver:
            (alert,) = check_requests(driver, pipeline.neo4j.database, datetime.now(UTC))
        assert (alert["kind"], alert["id"]) == ("request_overdue", f"request-overdue-{late['id']}")
        assert alert["reason"].startswith(f"access request {late['id']} past its deadline")


class TestMigration:
    def test_erasure_requests_become_requests_of_kind_erasure_once(self, pipeline: Settings) -> None:
        from graph.schema import apply_schema

        with open_driver(pipeline) as driver:
            database = pipeline.neo4j.database
            driver.execute_query(
                "CREATE (:ErasureRequest {id: 'er-0000000000000001', status: 'open'})"
                "-[:HAS_TASK]->(:ErasureTask {id: 'er-0000000000000001|brevo/contacts', status: 'done'})",
                database_=database,
            )
            apply_schema(driver, database)
            apply_schema(driver, database)  # idempotent
            records, _, _ = driver.execute_query(
                "MATCH (r)-[:HAS_TASK]->(t) RETURN labels(r) AS r, r.kind AS kind, labels(t) AS t",
                database_=database,
            )
        assert [(rec["r"], rec["kind"], rec["t"]) for rec in records] == [
            (["Request"], "erasure", ["RequestTask"])
        ]
