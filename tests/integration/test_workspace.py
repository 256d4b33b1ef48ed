"""The DPO's workspace in a real browser: headless Chromium driving ``lineage serve``.

``lineage serve`` runs as a child process on the session's real Kafka and Neo4j, fed by a real
worker; Playwright drives Debian's ``/usr/bin/chromium`` (no browser download). A screenshot of
every page is kept under ``tests/artifacts/workspace/`` (the path is printed) to be looked at.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.connection import open_driver
from lineage.answers import accounts
from lineage.settings import Settings
from tests.integration.feed import publish, run_worker
from tests.integration.serve import lineage_serve
from tests.integration.test_erasure import BOB, CANDIDATE, STORES, load_people
from tests.integration.test_identity import HUBSPOT_DELETED, LEA

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
DPO_NAME = "dpo-ana"
PASSWORD = "workspace test password 5f1e"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "workspace"
IDENTIFIERS = (LEA, BOB, f"greenhouse:{CANDIDATE}", "90512")


SERVE_ENV = {"LINEAGE_API_INSECURE_SESSION_COOKIE": "true"}


@pytest.fixture
def loaded(pipeline: Settings, tmp_path: Path) -> Settings:
    load_people(pipeline, tmp_path)
    with open_driver(pipeline) as driver:
        accounts.add_user(driver, pipeline, DPO_NAME, "dpo", PASSWORD)
    return pipeline


@pytest.fixture
def served(loaded: Settings, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "serve.log"
    with lineage_serve(loaded, log, SERVE_ENV) as url:
        yield url, log


class Pages:
    """A browser tab logged in or not, collecting console errors and saving screenshots."""

    def __init__(self, browser: Any, url: str) -> None:
        self.url = url
        self.context = browser.new_context(viewport={"width": 1360, "height": 900})
        self.tab = self.context.new_page()
        self.problems: list[str] = []
        self.tab.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        self.tab.on("pageerror", lambda e: self.problems.append(str(e)))
        self.visited: list[str] = []
        self.not_found: list[str] = []
        self.tab.on("response", lambda r: r.status == 404 and self.not_found.append(r.url))
        self.tab.on("request", lambda r: self.visited.append(r.url))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def go(self, path: str) -> Any:
        self.tab.goto(f"{self.url}{path}")
        return self.tab

    def shot(self, name: str) -> None:
        path = ARTIFACTS / f"{name}.png"
        self.tab.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")

    def wait_until(self, expression: str, timeout: float = 30.0) -> None:
        """Poll ``expression`` until it is truthy.

        Not ``wait_for_function``: once its first check fails, Playwright re-evaluates the
        predicate with ``eval`` inside the page, which the workspace's CSP (``script-src 'self'``)
        rightly refuses. ``evaluate`` goes through the DevTools protocol, outside the CSP.
        """
        from playwright.sync_api import Error

        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(Error):  # the page may still be navigating
                if self.tab.evaluate(expression):
                    return
            assert time.monotonic() < deadline, f"never true: {expression}"
            time.sleep(0.1)

    def log_in(self) -> None:
        self.go("/ui/login").fill("input[name=name]", DPO_NAME)
        self.tab.fill("input[name=password]", PASSWORD)
        self.tab.click("button[type=submit]")
        self.tab.wait_for_url(re.compile(r".*/ui/$"))


def test_a_dpo_works_through_the_workspace(
    served: tuple[str, Path], loaded: Settings, browser: Any, tmp_path: Path
) -> None:
    url, server_log = served
    pages = Pages(browser, url)
    tab = pages.tab

    # Nothing without signing in; a wrong password is refused and not echoed.
    tab.goto(f"{url}/ui/alerts")
    assert tab.url.endswith("/ui/login")
    tab.fill("input[name=name]", DPO_NAME)
    tab.fill("input[name=password]", "not-the-password")
    tab.click("button[type=submit]")
    assert "do not match an account" in tab.inner_text("#error")
    assert "not-the-password" not in tab.content()
    pages.shot("login")
    assert [problem.split(": ")[-1] for problem in pages.problems] == [
        "the server responded with a status of 401 (Unauthorized)"
    ]
    pages.problems.clear()  # that 401 was asked for; from here on, none is expected
    pages.log_in()
    cookie = next(c for c in pages.context.cookies() if c["name"] == "lineage_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/ui"

    # The overview the workspace opens on: people and stores counted, open alerts by kind, the
    # data expiring within 30 days, every time in the organisation's zone.
    pages.shot("overview")
    assert int(tab.inner_text("#people")) >= 2 and int(tab.inner_text("#stores")) >= len(STORES)
    assert int(tab.inner_text("#alerts-by-kind tr[data-kind='unapproved_transfer'] td.count")) >= 1
    assert "holding(s)" in tab.inner_text("#expiring-summary")
    assert tab.inner_text("#zone") == "times in Europe/Paris"
    assert re.search(r"as of \d{4}-\d\d-\d\d \d\d:\d\d CES?T", tab.inner_text("h1"))
    pages.go("/ui/person")

    # A person: looked up by a POST, the graph shows their stores, the identifier is nowhere.
    tab.fill("input[name=identifier]", LEA)
    tab.click("form[action='/ui/person'] button[type=submit]")
    pages.wait_until("window.lineageGraph !== undefined")
    stores = tab.evaluate("window.lineageGraph.nodes('[kind = \"store\"]').map(n => n.data('label'))")
    assert sorted(stores) == STORES
    kinds = set(tab.evaluate("window.lineageGraph.nodes().map(n => n.data('kind'))"))
    assert {"person", "store", "processor", "sub-processor", "country"} <= kinds
    assert tab.evaluate("window.lineageGraph.edges('[!approved]').length") > 0  # Brevo's support in India
    assert set(tab.locator("#holdings td.store").all_inner_texts()) >= set(STORES)
    # Each holding's purposes and legal basis, and where the basis comes from.
    bases = {
        row.locator("td.store").inner_text(): row.inner_text() for row in tab.locator("#bases tbody tr").all()
    }
    assert "consent" in bases["brevo/contacts"]
    assert "legal_obligation" in bases["billing/invoices"] and "from the events" in bases["billing/invoices"]
    assert "legitimate_interests from the events" in bases["greenhouse/candidates"]
    # Interactive: a real click on the India node of the canvas tells what it is.
    box = tab.locator("#graph").bounding_box()
    at = tab.evaluate("window.lineageGraph.$id('country:IN').renderedPosition()")
    tab.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
    assert tab.inner_text("#graph-detail") == "country: IN"
    assert tab.url == f"{url}/ui/person" and LEA not in tab.content()
    tab.locator("#graph").scroll_into_view_if_needed()
    pages.shot("person")

    # Transfers: every country reached, the worst first, with a what-if.
    pages.go("/ui/transfers")
    first = tab.locator("#countries tbody tr").first
    assert "unapproved" in first.inner_text()
    assert "IN" in tab.locator("#countries").inner_text()
    pages.shot("transfers")
    tab.click("#countries a:text-is('US')")
    assert int(tab.inner_text("#impact strong")) >= 1
    pages.go("/ui/what-if?processor=hubspot&country=CN")
    assert int(tab.inner_text("#what-if-subjects")) >= 1
    assert "unapproved" in tab.inner_text("#what-if-hops")
    pages.shot("what-if")

    # Alerts: newest first, one acknowledged from the page.
    pages.go("/ui/alerts")
    open_rows = tab.locator("#alerts tr.open")
    assert open_rows.count() >= 1
    alert_id = open_rows.first.get_attribute("data-alert")
    pages.shot("alerts")
    open_rows.first.locator("button:text('Acknowledge')").click()
    tab.wait_for_url(re.compile(r".*/ui/alerts$"))
    assert tab.locator(f"#alerts tr[data-alert='{alert_id}'] td.status").inner_text() == "acknowledged"

    # An erasure request, opened from the requests page, then a task closing when HubSpot's
    # deletion arrives; the identity's verification is its method and who checked, nothing more.
    pages.go("/ui/erasure")
    tab.wait_for_url(re.compile(r".*/ui/requests$"))  # the erasure pages are the requests' now
    form = "form#open-request"
    tab.select_option(f"{form} select[name=kind]", "erasure")
    tab.fill(f"{form} input[name=identifier]", LEA)
    tab.fill(f"{form} input[name=requested_by]", "data subject, by e-mail")
    tab.select_option(f"{form} select[name=verification_method]", "email_confirmation")
    tab.fill(f"{form} input[name=verified_by]", "DPO office")
    tab.fill(f"{form} input[name=received]", (date.today() - timedelta(days=26)).isoformat())  # due soon
    tab.click(f"{form} button[type=submit]")
    tab.wait_for_url(re.compile(r".*/ui/requests/er-[0-9a-f]+$"))
    request_id = tab.url.rsplit("/", 1)[-1]
    assert tab.inner_text("#verification") == "email confirmation, by DPO office"
    assert re.search(r"23:59 CES?T$", tab.inner_text("#deadline"))  # the end of a Paris day
    assert (
        sorted(tab.locator("#tasks tr[data-store]").evaluate_all("rows => rows.map(r => r.dataset.store)"))
        == STORES
    )
    hubspot = tab.locator("#tasks tr[data-store='hubspot/contacts'] td.status")
    assert hubspot.inner_text() == "outstanding"
    pages.shot("erasure-opened")
    publish(loaded, "hubspot", HUBSPOT_DELETED)
    run_worker(loaded, tmp_path / "deletion.log")
    tab.reload()  # the page only reads: the task stays as last checked until a check runs
    assert hubspot.inner_text() == "outstanding"
    tab.click("form#refresh button[type=submit]")  # re-checks it now (a POST)
    tab.wait_for_url(re.compile(rf".*/ui/requests/{request_id}$"))
    assert hubspot.inner_text() == "done"
    assert tab.locator("#tasks tr[data-store='hubspot/contacts'] code").inner_text().startswith("hubspot:")
    assert tab.locator("#tasks tr[data-store='brevo/contacts'] td.status").inner_text() == "outstanding"
    pages.shot("erasure-task-closed")
    pages.go(f"/ui/erasure/{request_id}")
    assert tab.url.endswith(f"/ui/requests/{request_id}")
    pages.go("/ui/")
    assert tab.locator(f"#due-this-week tr[data-request='{request_id}']").count() == 1

    # An access request: one task per system asked for its copy, one answered from the page, the
    # report the person can read in HTML and PDF.
    pages.go("/ui/requests")
    tab.select_option(f"{form} select[name=kind]", "access")
    tab.fill(f"{form} input[name=identifier]", BOB)
    tab.click(f"{form} button[type=submit]")
    tab.wait_for_url(re.compile(r".*/ui/requests/ac-[0-9a-f]+$"))
    access_id = tab.url.rsplit("/", 1)[-1]
    tasks = tab.locator("#tasks tr[data-store]")
    assert tasks.count() >= 1
    first = tasks.first.get_attribute("data-store")
    tasks.first.locator("input[name=evidence]").fill("ticket 4411, copy sent")
    tasks.first.locator("button:text('Answered')").click()
    tab.wait_for_url(re.compile(rf".*/ui/requests/{access_id}$"))
    assert tab.locator(f"#tasks tr[data-store='{first}'] td.status").inner_text() == "done"
    assert "ticket 4411" in tab.inner_text(f"#tasks tr[data-store='{first}']")
    pages.shot("access-request")
    with tab.expect_download() as download:
        tab.click("#report-pdf")
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    before = len(pages.problems)
    tab.click("#report-html")
    tab.wait_for_url(re.compile(rf".*/ui/requests/{access_id}/report.html$"))
    assert "CNIL" in tab.content()
    pages.shot("access-report")
    # The report is the person's own standalone document: it names no icon, so the browser asks
    # the server's root for /favicon.ico, a 404 that is no fault of the page. Nothing else fails.
    assert [u for u in pages.not_found if not u.endswith("/favicon.ico")] == []
    pages.problems[before:] = [p for p in pages.problems[before:] if "404 (Not Found)" not in p]
    tab.go_back()

    # An objection to direct marketing, with its purposes on its page; every request listed.
    pages.go("/ui/requests")
    tab.select_option(f"{form} select[name=kind]", "objection")
    tab.fill(f"{form} input[name=identifier]", LEA)
    tab.fill(f"{form} input[name=purposes]", "marketing")
    tab.click(f"{form} button[type=submit]")
    tab.wait_for_url(re.compile(r".*/ui/requests/ob-[0-9a-f]+$"))
    assert tab.inner_text("#purposes") == "marketing"
    pages.go("/ui/requests")
    assert tab.locator("#requests tbody tr").count() == 3
    pages.shot("requests")

    # Holds, then expiring data: a hold placed from its page shows, with its reason, and what
    # it keeps is left out of what expires.
    pages.go("/ui/holds")
    tab.fill("#place-hold input[name=identifier]", BOB)
    tab.fill("#place-hold input[name=reason]", "case 2026-117")
    tab.click("#place-hold button[type=submit]")
    tab.wait_for_url(re.compile(r".*/ui/holds$"))
    assert "case 2026-117" in tab.inner_text("#holds")
    pages.shot("holds")
    pages.go("/ui/expiring?before=2099-01-01")
    assert "billing/invoices" in tab.inner_text("#expiring")  # Lea's invoices, 10 years
    assert "brevo/contacts" in tab.inner_text("#held")  # Bob's list subscription, now held
    assert tab.inner_text("#holds-in-force").startswith("1 legal hold(s) in force")
    pages.shot("expiring")

    # The RoPA, and its CSV download.
    pages.go("/ui/ropa")
    assert tab.locator("#ropa tbody tr").count() >= 5
    assert "dpo@atelier-nord.example" in tab.inner_text("#ropa-header")
    assert tab.locator("#ropa-processor tbody tr").count() == 2  # seed 003 §3-4, for clients
    pages.shot("ropa")
    with tab.expect_download() as download:
        tab.click("#ropa-csv")
    saved = tmp_path / "ropa.csv"
    download.value.save_as(saved)
    assert saved.read_text().startswith("activity,system,purpose")

    assert pages.problems == []  # no script error, no content-security-policy violation
    everything = "\n".join(pages.visited) + server_log.read_text()
    for identifier in IDENTIFIERS:
        assert identifier not in everything, identifier
    pages.context.close()


def test_forms_need_the_session_and_its_csrf_token(served: tuple[str, Path]) -> None:
    url, _log = served
    with httpx.Client(base_url=url) as client:
        assert client.get("/ui/person").status_code == 303
        login = client.get("/ui/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert csrf is not None
        credentials = {"name": DPO_NAME, "password": PASSWORD}
        forged = client.post("/ui/login", data={**credentials, "csrf": "forged"})
        assert forged.status_code == 403
        signed_in = client.post("/ui/login", data={**credentials, "csrf": csrf.group(1)})
        assert signed_in.status_code == 303
        page = client.get("/ui/person")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert client.post("/ui/person", data={"identifier": LEA}).status_code == 403
        client.cookies.set("lineage_session", "forged.value", path="/ui")
        assert client.get("/ui/alerts").status_code == 303
