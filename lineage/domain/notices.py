"""Notices to processors about rights requests (GDPR Art. 15-21, 19 and 28(3)(e)): what they
say, and when.

Opening a request of any kind sends each task to its processor's channel (the catalog's
``notice:``), saying what is asked: erase, send a copy, export, correct, restrict, or stop
processing for some purposes. The processor needs to find the person, and lineage keeps only a keyed hash it
cannot reverse, so the identifier the request was opened with is put in the **first notice
only**: it is known at that moment (the CLI argument, the POST body), used for the send and
never stored (not in the graph, a topic or a log). Reminders and acknowledgements carry the
request id and the task's notice id only; a processor that lost the first notice asks the DPO.

Each notice carries an acknowledgement token (random, 192 bits): the processor acknowledges
with it; lineage keeps only its SHA-256, enough to check it, useless to forge one. Pure: the
caller sends and records.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from enum import StrEnum
from typing import Any

NOTICE_VERSION = 1
SIGNATURE_HEADER = "X-Lineage-Signature"
TIMESTAMP_HEADER = "X-Lineage-Timestamp"


class Progress(StrEnum):
    """Where a task stands with its processor, as status shows it."""

    NO_CHANNEL = "no_channel"  # the catalog declares no notice for this processor
    FAILED = "failed"  # the notice could not be delivered (reason kept)
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"  # the deletion event closed the task
    RETAINED = "retained"  # kept lawfully (hold, legal obligation)


def task_progress(task: dict[str, Any]) -> Progress:
    """The furthest step a task has reached: its deletion beats the processor's word for it."""
    if task.get("status") in (Progress.DONE, Progress.RETAINED):
        return Progress(task["status"])
    if task.get("acknowledged_at"):
        return Progress.ACKNOWLEDGED
    if task.get("notice_sent_at"):
        return Progress.SENT
    return Progress.FAILED if task.get("notice_error") else Progress.NO_CHANNEL


def new_notice_id() -> str:
    """Short, random, safe in a URL path: it names the task to the processor, nothing else."""
    return f"nt-{secrets.token_hex(6)}"


def new_ack_token() -> str:
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, stored_hash: str | None) -> bool:
    return stored_hash is not None and hmac.compare_digest(token_hash(token), stored_hash)


# What each kind of request asks a processor, in the words of the notice.
ASKED: dict[str, str] = {
    "erasure": "erase",
    "access": "send a copy",
    "portability": "export",
    "rectification": "correct",
    "restriction": "restrict",
    "objection": "stop processing for purposes",
}
_ASKING: dict[str, str] = {
    "erasure": "to erase personal data (GDPR Art. 17 and 28(3))",
    "access": "to send it a copy of the personal data you hold about a person (GDPR Art. 15 and 28(3)(e))",
    "portability": "to export the personal data a person provided, in a structured, commonly used "
    "and machine-readable format (GDPR Art. 20 and 28(3)(e))",
    "rectification": "to correct personal data about a person as it will tell you "
    "(GDPR Art. 16, 19 and 28(3)(e))",
    "restriction": "to restrict the processing of a person's data: keep it, process it no further "
    "until told (GDPR Art. 18, 19 and 28(3)(e))",
    "objection": "to stop processing a person's data for {purposes} (GDPR Art. 21 and 28(3)(e))",
}


def asking(request_kind: str, purposes: tuple[str, ...] = ()) -> str:
    """What the notice asks, as a sentence's end."""
    return _ASKING[request_kind].format(purposes=", ".join(purposes) or "the purposes named")


def identifier_type(identifier: str) -> str:
    """``email`` or the namespace of a ``system:id`` identifier, so the processor knows where
    to look (``hubspot`` for ``hubspot:90512``)."""
    if "@" in identifier:
        return "email"
    return identifier.rpartition(":")[0].strip() or "native_id"


@dataclass(frozen=True)
class Notice:
    """One message to one processor about one task."""

    kind: str  # "<request kind>_task" (at opening: "erasure_task"...) or "reminder"
    request_id: str
    notice_id: str
    store: str
    system: str | None
    categories: tuple[str, ...]
    deadline: datetime
    ack_url: str
    organisation: str
    ack_token: str | None = None  # first notice only
    identifier: str | None = None  # first notice only: never stored
    request_kind: str = "erasure"
    purposes: tuple[str, ...] = ()  # objection: the purposes to stop processing for

    def body(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "version": NOTICE_VERSION,
            "kind": self.kind,
            "controller": self.organisation,
            "request_id": self.request_id,
            "request_kind": self.request_kind,
            "asked": ASKED[self.request_kind],
            "task": self.notice_id,
            "store": self.store,
            "system": self.system,
            "categories": list(self.categories),
            "deadline": self.deadline.isoformat(),
            "acknowledge": {"url": self.ack_url, "method": "POST"},
        }
        if self.purposes:
            document["purposes"] = list(self.purposes)
        if self.identifier is not None:
            document["subject"] = {"identifier": self.identifier, "type": identifier_type(self.identifier)}
        if self.ack_token is not None:
            document["acknowledge"]["token"] = self.ack_token
        return document

    def json_bytes(self) -> bytes:
        return json.dumps(self.body(), sort_keys=True, separators=(",", ":")).encode()

    def email(self, sender: str, recipient: str) -> EmailMessage:
        message = EmailMessage()
        message["From"], message["To"] = sender, recipient
        named = self.request_kind.capitalize()
        what = f"Reminder: {self.request_kind}" if self.kind == "reminder" else named
        message["Subject"] = (
            f"{what} request {self.request_id}, task {self.notice_id} (due {self.deadline:%Y-%m-%d})"
        )
        message.set_content(self.text())
        message.add_attachment(
            self.json_bytes(), maintype="application", subtype="json", filename=f"{self.notice_id}.json"
        )
        return message

    def text(self) -> str:
        lines = [
            f"{self.organisation} asks you, as its processor, {asking(self.request_kind, self.purposes)}.",
            "",
            f"Request: {self.request_id} ({self.request_kind})",
            f"Task: {self.notice_id}",
            f"Store: {self.store}",
            f"Categories: {', '.join(self.categories)}",
            f"Deadline: {self.deadline:%Y-%m-%d %H:%M %Z}",
        ]
        if self.identifier is not None:
            lines += [f"Person ({identifier_type(self.identifier)}): {self.identifier}"]
        else:
            lines += ["The person was named in the first notice of this task; it is not repeated."]
        lines += ["", f"Acknowledge receipt: POST {self.ack_url}"]
        if self.ack_token is not None:
            lines += [f"with the header  Authorization: Bearer {self.ack_token}"]
        return "\n".join(lines) + "\n"


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of "<timestamp>." + body>``: the timestamp is signed too, so
    an old notice replayed later is told apart."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def reminder_due(deadline: datetime, now: datetime, before: timedelta) -> bool:
    """Within ``before`` of the deadline and not past it: after it, the overdue alert speaks."""
    return deadline - before <= now < deadline
