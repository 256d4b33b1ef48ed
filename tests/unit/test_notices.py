"""Processor notices: the catalog's channel, what a notice says, progress, signature, reminders."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

import lineage
from lineage.domain.catalog import Notice as Channel
from lineage.domain.catalog import parse_catalog
from lineage.domain.notices import (
    Notice,
    Progress,
    identifier_type,
    reminder_due,
    signature,
    task_progress,
    token_hash,
    token_matches,
)
from lineage.errors import CatalogError

DEMO = Path(lineage.__file__).parent / "catalogs" / "demo.yaml"
DUE = datetime(2026, 12, 20, 23, 59, 59, tzinfo=UTC)


def notice(**extra: object) -> Notice:
    return Notice(
        kind="erasure_task",
        request_id="er-1",
        notice_id="nt-abc",
        store="hubspot/contacts",
        system="hubspot",
        categories=("user.contact.email",),
        deadline=DUE,
        ack_url="https://lineage.example/erasure-requests/er-1/tasks/nt-abc/ack",
        organisation="Atelier Nord SAS",
        **extra,
    )  # type: ignore[arg-type]


class TestCatalogChannel:
    def test_optional_and_backward_compatible(self) -> None:
        catalog = parse_catalog(DEMO.read_text())
        assert all(p.notice is None for p in catalog.processors)

    def test_a_channel_is_read(self) -> None:
        data = yaml.safe_load(DEMO.read_text())
        data["processors"][1]["notice"] = {
            "webhook": "https://api.brevo.example/gdpr",
            "email": "dpo@brevo.example",
        }
        processor = parse_catalog(yaml.safe_dump(data)).processors[1]
        assert processor.notice == Channel(
            webhook="https://api.brevo.example/gdpr", email="dpo@brevo.example"
        )

    @pytest.mark.parametrize(
        ("notice", "problem"),
        [
            ({"webhook": "http://api.brevo.example/gdpr"}, "https://"),
            ({"webhook": "ftp://127.0.0.1/x"}, "https://"),
            ({"email": "not an address"}, "not an e-mail address"),
            ({}, "needs webhook or email"),
        ],
    )
    def test_refusals(self, notice: dict[str, str], problem: str) -> None:
        data = yaml.safe_load(DEMO.read_text())
        data["processors"][1]["notice"] = notice
        with pytest.raises(CatalogError, match=problem):
            parse_catalog(yaml.safe_dump(data))

    def test_plain_http_only_on_loopback(self) -> None:
        assert Channel(webhook="http://127.0.0.1:8123/notices").webhook


class TestNotice:
    def test_first_notice_names_the_person_and_carries_the_token(self) -> None:
        body = notice(identifier="lea@example.fr", ack_token="tok").body()
        assert body["subject"] == {"identifier": "lea@example.fr", "type": "email"}
        assert body["acknowledge"] == {"url": notice().ack_url, "method": "POST", "token": "tok"}
        assert body["deadline"] == DUE.isoformat() and body["controller"] == "Atelier Nord SAS"

    def test_a_reminder_names_nobody(self) -> None:
        reminder = Notice(**{**notice().__dict__, "kind": "reminder"})
        assert "subject" not in reminder.body() and "token" not in reminder.body()["acknowledge"]
        message = reminder.email("dpo@atelier.example", "dpo@hubspot.example")
        assert message["Subject"].startswith("Reminder: erasure request er-1, task nt-abc")
        assert "not repeated" in message.get_body(("plain",)).get_content()

    def test_email_has_text_and_json(self) -> None:
        message = notice(identifier="hubspot:90512", ack_token="tok").email("a@x.example", "b@y.example")
        text = message.get_body(("plain",)).get_content()
        assert "Person (hubspot): hubspot:90512" in text and "Bearer tok" in text
        (attached,) = message.iter_attachments()
        assert json.loads(attached.get_content())["task"] == "nt-abc"

    def test_identifier_type(self) -> None:
        assert identifier_type("a@b.fr") == "email"
        assert identifier_type("salesforce:lead:00Q5") == "salesforce:lead"

    def test_signature_covers_timestamp_and_body(self) -> None:
        expected = hmac.new(b"k", b"1700000000." + b"{}", hashlib.sha256).hexdigest()
        assert signature(b"k", "1700000000", b"{}") == f"sha256={expected}"
        assert signature(b"k", "1700000001", b"{}") != signature(b"k", "1700000000", b"{}")


class TestProgressAndReminders:
    @pytest.mark.parametrize(
        ("task", "progress"),
        [
            ({"status": "outstanding"}, Progress.NO_CHANNEL),
            ({"status": "outstanding", "notice_error": "email: SMTPRecipientsRefused"}, Progress.FAILED),
            ({"status": "outstanding", "notice_sent_at": DUE}, Progress.SENT),
            ({"status": "outstanding", "notice_sent_at": DUE, "acknowledged_at": DUE}, Progress.ACKNOWLEDGED),
            ({"status": "done", "notice_sent_at": DUE, "acknowledged_at": DUE}, Progress.DONE),
            ({"status": "retained"}, Progress.RETAINED),
        ],
    )
    def test_progress(self, task: dict[str, object], progress: Progress) -> None:
        assert task_progress(task) == progress

    def test_tokens_are_checked_by_hash(self) -> None:
        assert token_matches("tok", token_hash("tok"))
        assert not token_matches("tok2", token_hash("tok")) and not token_matches("tok", None)

    def test_reminder_window(self) -> None:
        week = timedelta(days=7)
        assert not reminder_due(DUE, DUE - timedelta(days=8), week)
        assert reminder_due(DUE, DUE - timedelta(days=6), week)
        assert not reminder_due(DUE, DUE + timedelta(seconds=1), week)
