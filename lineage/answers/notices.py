"""Notices to processors about request tasks: sent when a request opens, acknowledged, reminded.

Called from :mod:`lineage.answers.requests` (opening), ``lineage request ack`` / ``lineage
erasure ack`` and ``POST /requests/{id}/tasks/{task}/ack`` / ``POST
/erasure-requests/{id}/tasks/{task}/ack`` (acknowledging), and the worker's scheduled checks
(reminders). What a notice says, and why the identifier travels only in the first one, is in
:mod:`lineage.domain.notices`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j import Driver
from pydantic import Field

from graph import notices as recorded
from graph.requests import judge_tasks
from lineage.answers.answer import Answer
from lineage.answers.catalog_file import read_catalog
from lineage.answers.notice_channels import post_webhook, send_email
from lineage.domain.catalog import Catalog
from lineage.domain.catalog import Notice as Channel
from lineage.domain.notices import (
    Notice,
    new_ack_token,
    new_notice_id,
    reminder_due,
    token_hash,
    token_matches,
)
from lineage.errors import AckRefused, NotFoundError, NoticeFailed
from lineage.settings import Settings

log = logging.getLogger(__name__)

OnOpened = Callable[[Driver, str, str], None]
"""What opening a request does next, given the driver, the database and the new request's id."""


class TaskAcknowledged(Answer):
    """A processor's acknowledgement of a request task, recorded."""

    request_id: str = Field(description="the request")
    task: str = Field(description="the task as named: its notice id or its store")
    acknowledged_at: datetime = Field(description="when it was first acknowledged")


def on_opening(settings: Settings, identifier: str) -> OnOpened:
    """What opening a request does next: notify each task's processor. ``identifier`` is held
    only by this closure, for the duration of the call that opens the request."""

    def notify(driver: Driver, database: str, request_id: str) -> None:
        notify_opened(driver, database, settings, read_catalog(settings), request_id, identifier)

    return notify


def notify_opened(
    driver: Driver,
    database: str,
    settings: Settings,
    catalog: Catalog,
    request_id: str,
    identifier: str,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Sends every outstanding task of a new request to its processor's declared channel and
    records each send (or why it failed); tasks whose processor declares none are left as they are.
    Erasure tasks are judged first, so data retained (a legal obligation, a hold) is not sent for
    erasure; every other kind's outstanding task is sent."""
    now = now or datetime.now(UTC)
    judged = judge_tasks(driver, database, now, request_id)
    sent = []
    for task in recorded.outstanding_tasks(driver, database, request_id):
        channel = _channel(catalog, task["processor"])
        if channel is None or judged.get(task["task"], "outstanding") != "outstanding":
            continue
        token = new_ack_token()
        kind = f"{task['request_kind']}_task"
        notice = _notice(settings, catalog, task, kind, new_notice_id(), token, identifier)
        error = _deliver(settings, channel, notice)
        sent.append(
            {
                "task": task["task"],
                "notice_id": notice.notice_id,
                "channel": _names(channel),
                "sent_at": None if error else now,
                "error": error,
                "token_hash": token_hash(token),
            }
        )
    recorded.record_sent(driver, database, sent)
    return sent


def _channel(catalog: Catalog, processor_id: str | None) -> Channel | None:
    processor = next((p for p in catalog.processors if p.id == processor_id), None)
    return processor.notice if processor else None


def _names(channel: Channel) -> str:
    return "+".join(name for name in ("webhook", "email") if getattr(channel, name))


def _ack_url(settings: Settings, request_kind: str, request_id: str, notice_id: str) -> str:
    """Erasure notices keep the address processors were first given; the other kinds' is
    the rights requests' own."""
    base = (
        settings.notices.ack_url
        or settings.api.public_url
        or f"http://{settings.api.host}:{settings.api.port}"
    )
    path = "erasure-requests" if request_kind == "erasure" else "requests"
    return f"{base.rstrip('/')}/{path}/{request_id}/tasks/{notice_id}/ack"


def _notice(
    settings: Settings,
    catalog: Catalog,
    task: dict[str, Any],
    kind: str,
    notice_id: str,
    token: str | None = None,
    identifier: str | None = None,
) -> Notice:
    return Notice(
        kind=kind,
        request_kind=task["request_kind"],
        purposes=tuple(task["purposes"]),
        request_id=task["request_id"],
        notice_id=notice_id,
        store=task["store"],
        system=task["system"],
        categories=tuple(task["categories"]),
        deadline=task["deadline"],
        ack_url=_ack_url(settings, task["request_kind"], task["request_id"], notice_id),
        organisation=catalog.organisation,
        ack_token=token,
        identifier=identifier,
    )


def _deliver(settings: Settings, channel: Channel, notice: Notice) -> str | None:
    """Every declared channel; None when at least one delivered, else the reasons. Logged with
    the request and task ids only."""
    problems = []
    delivered = False
    for name, send, target in (
        ("webhook", post_webhook, channel.webhook),
        ("email", send_email, channel.email),
    ):
        if target is None:
            continue
        try:
            send(settings.notices, target, notice)
            delivered = True
        except NoticeFailed as exc:
            problems.append(str(exc))
            log.warning(
                "notice %s of %s not delivered by %s: %s", notice.notice_id, notice.request_id, name, exc
            )
    return None if delivered else "; ".join(problems)


def acknowledge(
    driver: Driver,
    database: str,
    request_id: str,
    task: str,
    token: str | None,
    now: datetime | None = None,
    *,
    by: str | None = None,
) -> TaskAcknowledged:
    """Records the processor's acknowledgement of a task (named by notice id or store). With
    ``token`` (the processor, over HTTP) it must be the task's; without (the DPO, who received
    the acknowledgement another way) it is recorded under ``by``, the actor's label."""
    found = recorded.task_for_ack(driver, database, request_id, task)
    if found is None:
        raise NotFoundError("no such task in this request")
    if token is not None and not token_matches(token, found["token_hash"]):
        raise AckRefused("the acknowledgement token is not this task's")
    at = recorded.acknowledge(
        driver,
        database,
        found["task"],
        "processor" if token else (by or "operator"),
        now or datetime.now(UTC),
    )
    return TaskAcknowledged(request_id=request_id, task=task, acknowledged_at=at)


def send_reminders(
    driver: Driver, database: str, settings: Settings, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Reminds each processor once, within ``LINEAGE_NOTICE_REMIND_DAYS`` of the deadline, of a
    task still outstanding (of a request of any kind). A reminder names the request and the
    task, not the person."""
    now = now or datetime.now(UTC)
    before = timedelta(days=settings.notices.remind_days)
    due = [
        t
        for t in recorded.due_reminders(driver, database, now, now + before)
        if reminder_due(t["deadline"], now, before)
    ]
    if not due:
        return []
    catalog = read_catalog(settings)
    rows = []
    for task in due:
        channel = _channel(catalog, task["processor"])
        error = (
            "no notice channel in the catalog any more"
            if channel is None
            else _deliver(settings, channel, _notice(settings, catalog, task, "reminder", task["notice_id"]))
        )
        rows.append({"task": task["task"], "at": now, "error": error})
    recorded.record_reminded(driver, database, rows)
    return rows
