"""Transfer impact and what-if on a real graph: catalog verdicts joined with who is held where."""

from __future__ import annotations

import json
import re
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

pytestmark = pytest.mark.integration


def canonical(
    event_id: str, store: str, email: str, categories: list[str], subject_type: str = "job_applicant"
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "occurred_at": "2026-06-01T09:00:00Z",
        "source": "demo",
        "action": "collected",
        "store": store,
        "categories": categories,
        "subject": {"type": subject_type, "email": email},
    }


COPY = {
    "event_id": "transfer-test:copy",
    "occurred_at": "2026-06-02T09:00:00Z",
    "source": "dropbox",
    "action": "copied",
    "store": "greenhouse/candidates",
    "destination": "dropbox/recruitment",
    "categories": ["user.content.private.cv"],
    "subject": {"type": "job_applicant", "email": "ana@example.com"},
}
EVENTS = [
    canonical("transfer-test:1", "gmail/mailboxes", "ana@example.com", ["user.contact.email"]),
    canonical("transfer-test:2", "dropbox/recruitment", "ana@example.com", ["user.content.private.cv"]),
    canonical(
        "transfer-test:3", "ga/user-data", "bob@example.com", ["user.behavior.browsing_history"], "visitor"
    ),
    canonical(
        "transfer-test:4",
        "brevo/contacts",
        "cleo@example.org",
        ["user.contact.email"],
        "newsletter_subscriber",
    ),
    COPY,
]


def cli(settings: Settings, *args: str) -> tuple[int, dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, "-m", "lineage", *args, "--on", "2026-11-22", "--json"],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode in (0, 1), out.stderr
    return out.returncode, json.loads(out.stdout)


def load(pipeline: Settings, tmp_path: Path) -> Settings:
    publish(pipeline, "canonical", *EVENTS)
    run_worker(pipeline, tmp_path / "worker.log")
    return pipeline


@pytest.fixture
def graph(pipeline: Settings, tmp_path: Path) -> Settings:
    return load(pipeline, tmp_path)


class TestTransferImpact:
    def test_country_impact_includes_verdicts_and_sub_processor_chains(self, graph: Settings) -> None:
        code, us = cli(graph, "transfer-impact", "--country", "US")
        assert code == 1  # something unapproved reaches the US
        by_store = {(h["store"], h["chain"]): h for h in us["hops"]}
        assert by_store[("gmail/mailboxes", "google")]["status"] == "unapproved"
        assert by_store[("dropbox/recruitment", "dropbox")]["status"] == "unapproved"
        assert by_store[("ga/user-data", "google")]["status"] == "adequate"
        assert by_store[("brevo/contacts", "sendinblue > sms-gateway")]["status"] == "safeguarded"
        assert us["subjects"] == 3  # ana (two stores), bob, cleo through Brevo's SMS sub-processor
        held = {(r["store"], r["category"]): r["subjects"] for r in us["held"]}
        assert held[("dropbox/recruitment", "user.content.private.cv")] == 1

        code, india = cli(graph, "transfer-impact", "--country", "IN")
        assert code == 1 and india["subjects"] == 1  # only through sendinblue > sms-gateway > sms-support
        assert {h["chain"] for h in india["hops"]} == {"sendinblue > sms-gateway > sms-support"}

    def test_what_if_a_new_sub_processor(self, graph: Settings) -> None:
        code, result = cli(
            graph, "what-if", "--processor", "cv-parser", "--country", "CN", "--sub-processor-of", "dropbox"
        )
        assert code == 1
        assert [(h["store"], h["chain"], h["status"]) for h in result["hops"]] == [
            ("dropbox/recruitment", "dropbox > cv-parser", "unapproved")
        ]
        assert result["subjects"] == 1
        code, moved = cli(graph, "what-if", "--processor", "sendinblue", "--country", "CH")
        direct = {
            (h["store"], h["country"], h["status"]) for h in moved["hops"] if h["chain"] == "sendinblue"
        }
        assert direct == {
            (store, country, status)
            for store in ("brevo/contacts", "brevo/transactional")
            for country, status in (("FR", "inside_eea"), ("CH", "adequate"))
        }


class TestFlows:
    def test_observed_copy_with_volume_and_destination_verdict(self, graph: Settings) -> None:
        code, result = cli(graph, "flows")
        assert code == 1
        (flow,) = result["flows"]
        assert (flow["source"], flow["destination"], flow["destination_country"]) == (
            "greenhouse/candidates",
            "dropbox/recruitment",
            "US",
        )
        assert flow["categories"] == ["user.content.private.cv"] and flow["subjects"] == 1
        assert flow["status"] == "unapproved" and "Privacy Shield" in flow["reason"]
        assert flow["flow_declared"] is False

    def test_a_declared_flow_is_judged_on_its_own_mechanism(self, graph: Settings, tmp_path: Path) -> None:
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text(
            re.sub(
                r"\nflows:[^\n]*\n",
                """\nflows:
  - source: greenhouse/candidates
    destination: dropbox/recruitment
    transfer_mechanism: {kind: sccs, module: 2, reference: "CV export addendum"}
""",
                graph.catalog.read_text(),
                count=1,
            )
        )
        code, result = cli(graph.model_copy(update={"catalog": catalog}), "flows")
        (flow,) = result["flows"]
        assert code == 0 and flow["flow_declared"] is True
        assert flow["status"] == "safeguarded" and "module 2" in flow["mechanism"]


QUERY_TOKEN = "query-token-5b1e"


@pytest.fixture
def query_api(graph: Settings) -> Iterator[str]:
    settings = graph.model_copy(update={"api": ApiSettings(query_token=QUERY_TOKEN)})
    with served(settings) as url:
        yield url


def get(url: str, path: str, token: str | None = QUERY_TOKEN, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{url}{path}", params=params, headers=headers, timeout=30)


class TestQueryApi:
    def test_answers_match_the_cli(self, graph: Settings, query_api: str) -> None:
        for path, args, params in (
            ("/transfer-impact", ("transfer-impact", "--country", "US"), {"country": "US"}),
            (
                "/transfer-impact",
                ("transfer-impact", "--processor", "sms-support"),
                {"processor": "sms-support"},
            ),
            ("/flows", ("flows",), {}),
            (
                "/what-if",
                ("what-if", "--processor", "cv-parser", "--country", "CN", "--sub-processor-of", "dropbox"),
                {"processor": "cv-parser", "country": "CN", "sub_processor_of": "dropbox"},
            ),
            ("/transfers", ("transfers",), {}),
        ):
            response = get(query_api, path, on="2026-11-22", **params)
            assert response.status_code == 200, response.text
            assert response.json() == cli(graph, *args)[1], path

    def test_alerts_listed_and_acknowledged(self, graph: Settings, query_api: str) -> None:
        alerts = get(query_api, "/alerts", status="open").json()
        stores = {a["store"] for a in alerts}
        assert {"gmail/mailboxes", "dropbox/recruitment"} <= stores
        dropbox = next(a for a in alerts if a["store"] == "dropbox/recruitment")
        assert dropbox["count"] == 1
        headers = {"Authorization": f"Bearer {QUERY_TOKEN}"}
        acked = httpx.post(f"{query_api}/alerts/{dropbox['id']}/ack", headers=headers)
        assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
        assert dropbox["id"] not in {a["id"] for a in get(query_api, "/alerts", status="open").json()}
        again = httpx.post(f"{query_api}/alerts/{dropbox['id']}/ack", headers=headers)
        assert again.status_code == 404 and again.json()["error"] == "not_found"

    def test_refusals(self, graph: Settings, query_api: str) -> None:
        assert get(query_api, "/flows", token=None).status_code == 401
        assert get(query_api, "/flows", token="wrong").status_code == 401
        bad = get(query_api, "/transfer-impact", country="XX")
        assert bad.status_code == 400 and bad.json()["error"] == "bad_query"
        assert get(query_api, "/transfer-impact").json()["error"] == "bad_query"
        with served(graph) as unconfigured:  # no LINEAGE_API_QUERY_TOKEN: that token stands for nobody
            off = get(unconfigured, "/flows")
        assert off.status_code == 401 and off.json()["error"] == "unauthorized"
