"""Erasure notices to processors on the real servers, a real SMTP server and a real webhook.

HubSpot's processor takes notices on a webhook (a small HTTP server in the test), Greenhouse's by
e-mail (aiosmtpd). Opening a request over the API sends both, with the person's identifier and
an acknowledgement token; both processors acknowledge; a reminder near the deadline carries
neither identifier nor token; the sources' deletion webhooks then close the tasks.
"""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from aiosmtpd.controller import Controller

from graph.connection import open_driver
from lineage.answers.scheduled_checks import run_checks
from lineage.runner import settings_env
from lineage.settings import ApiSettings, NoticeSettings, Settings
from tests.integration.feed import publish, run_worker
from tests.integration.test_api import served
from tests.integration.test_erasure import GREENHOUSE_ANONYMISED, load_people
from tests.integration.test_identity import HUBSPOT_DELETED, LEA

pytestmark = pytest.mark.integration
QUERY_TOKEN = "notices-query-token"
WEBHOOK_SECRET = "notice-signing-secret-5c1"
DPO = "dpo@greenhouse.example"


class Inbox:
    """aiosmtpd handler: every message the SMTP server accepted."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd checks its port by connecting: 0 will not do
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: Any) -> None:  # the notice is not the test's to print
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[list[tuple[dict[str, str], bytes]], str]]:
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver.received, f"http://127.0.0.1:{server.server_address[1]}/lineage-notices"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def settings(
    pipeline: Settings, smtp: tuple[Inbox, int], webhook: tuple[list, str], tmp_path: Path
) -> Settings:
    """The demo catalog with a notice channel for HubSpot (webhook) and Greenhouse (e-mail)."""
    catalog = yaml.safe_load(pipeline.catalog.read_text())
    for processor in catalog["processors"]:
        if processor["id"] == "hubspot":
            processor["notice"] = {"webhook": webhook[1]}
        if processor["id"] == "greenhouse":
            processor["notice"] = {"email": DPO}
        if processor["id"] == "pennylane":  # its task is retained by law: never sent
            processor["notice"] = {"email": "dpo@pennylane.example"}
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(catalog, sort_keys=False))
    notices = NoticeSettings(
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        smtp_security="none",
        sender="dpo@atelier-nord.example",
        webhook_secret=WEBHOOK_SECRET,
        remind_days=7,
    )
    return pipeline.model_copy(
        update={"catalog": path, "notices": notices, "api": ApiSettings(query_token=QUERY_TOKEN)}
    )


def status(settings: Settings, request_id: str) -> dict[str, dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, "-m", "lineage", "erasure", "status", request_id, "--json"],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert LEA not in out.stdout
    return {task["store"]: task for task in json.loads(out.stdout)[0]["tasks"]}


def nodes_holding(settings: Settings, value: str) -> int:
    """Nodes with a string property (or list item) containing ``value``."""
    with open_driver(settings) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (n) WHERE any(k IN keys(n) WHERE any(x IN CASE WHEN n[k] IS :: LIST<ANY> THEN n[k] "
            "ELSE [n[k]] END WHERE toStringOrNull(x) CONTAINS $value)) RETURN count(n) AS n",
            value=value,
            database_=settings.neo4j.database,
        )
    return records[0]["n"]


def test_notices_acknowledgements_reminders_and_deletions(
    settings: Settings, smtp: tuple[Inbox, int], webhook: tuple[list, str], tmp_path: Path
) -> None:
    load_people(settings, tmp_path)
    inbox, posts = smtp[0], webhook[0]
    received = (datetime.now(UTC) - timedelta(days=26)).date().isoformat()  # due in ~5 days
    with served(settings) as url:
        opened = httpx.post(
            f"{url}/erasure-requests",
            timeout=60,
            headers={"Authorization": f"Bearer {QUERY_TOKEN}"},
            json={"identifier": LEA, "received": received},
        )
        assert opened.status_code == 201, opened.text
        request = opened.json()
        tasks = {t["store"]: t for t in request["tasks"]}
        assert tasks["hubspot/contacts"]["progress"] == "sent"
        assert tasks["greenhouse/candidates"]["progress"] == "sent"
        assert tasks["greenhouse/candidates"]["notice_channel"] == "email"
        assert tasks["brevo/contacts"]["progress"] == "no_channel"  # Sendinblue declares none
        assert tasks["billing/invoices"]["notice_sent_at"] is None  # retained by law: not sent

        # The webhook: signed, the identifier and the token in the first notice only.
        ((headers, body),) = posts
        stamp = headers["X-Lineage-Timestamp"]
        expected = hmac.new(WEBHOOK_SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256)
        assert headers["X-Lineage-Signature"] == f"sha256={expected.hexdigest()}"
        notice = json.loads(body)
        assert notice["subject"] == {"identifier": LEA, "type": "email"}
        assert (notice["request_id"], notice["store"]) == (request["id"], "hubspot/contacts")
        assert notice["task"] == tasks["hubspot/contacts"]["notice_id"]

        # The e-mail: to the processor's DPO, the same facts in words and as a JSON attachment.
        ((recipients, message),) = inbox.messages
        assert recipients == [DPO] and message["From"] == "dpo@atelier-nord.example"
        assert request["id"] in message["Subject"]
        text, attachment = (
            part.get_payload(decode=True)
            for part in message.walk()
            if part.get_content_type() in ("text/plain", "application/json")
        )
        assert LEA.encode() in text
        mailed = json.loads(attachment)
        assert mailed["store"] == "greenhouse/candidates" and mailed["subject"]["identifier"] == LEA

        assert nodes_holding(settings, LEA) == 0  # sent, never stored
        assert nodes_holding(settings, tasks["hubspot/contacts"]["notice_id"]) == 1  # the search works

        ack_path = urlsplit(notice["acknowledge"]["url"]).path
        wrong = httpx.post(f"{url}{ack_path}", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"
        assert httpx.post(f"{url}{ack_path}").status_code == 401
        acked = httpx.post(
            f"{url}{ack_path}", headers={"Authorization": f"Bearer {notice['acknowledge']['token']}"}
        )
        assert acked.status_code == 200, acked.text

    by_cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "lineage",
            "erasure",
            "ack",
            request["id"],
            mailed["task"],
            "--token",
            mailed["acknowledge"]["token"],
            "--json",
        ],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert by_cli.returncode == 0, by_cli.stdout + by_cli.stderr
    shown = status(settings, request["id"])
    assert shown["billing/invoices"]["progress"] == "retained"
    assert shown["hubspot/contacts"]["progress"] == "acknowledged"
    assert shown["greenhouse/candidates"]["progress"] == "acknowledged"
    assert shown["greenhouse/candidates"]["acknowledged_by"] == "processor"

    # Five days before the deadline: one reminder per notified task, naming no one.
    with open_driver(settings) as driver:
        run_checks(driver, settings.neo4j.database, settings=settings)
        run_checks(driver, settings.neo4j.database, settings=settings)
    assert len(posts) == 2 and len(inbox.messages) == 2
    reminder = json.loads(posts[1][1])
    assert reminder["kind"] == "reminder" and "subject" not in reminder
    assert "token" not in reminder["acknowledge"]
    assert LEA.encode() not in posts[1][1] and LEA not in inbox.messages[1][1].as_string()
    assert status(settings, request["id"])["hubspot/contacts"]["reminded_at"]

    publish(settings, "hubspot", HUBSPOT_DELETED)
    publish(settings, "greenhouse", GREENHOUSE_ANONYMISED)
    run_worker(settings, tmp_path / "deletions.log")
    shown = status(settings, request["id"])
    assert shown["hubspot/contacts"]["progress"] == "done"
    assert shown["greenhouse/candidates"]["progress"] == "done"
    assert shown["brevo/contacts"]["progress"] == "no_channel"
