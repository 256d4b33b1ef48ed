"""What each stage does before it joins its consumer group: rehearse its statements.

A worker that has just started must not hold alerts back while Neo4j plans its statements: the
first upsert of the early path, on a server just started, took seconds, and every hit offered
meanwhile waited for it. So each stage runs its own statements once, on a rehearsal person and
store, in transactions rolled back (:mod:`graph.warmup`), before it takes its first batch: the
normalise stage its alert upserts (and it starts the producer its alerts leave by), each record
lane its batch write, rights check and alert upserts. A rehearsal that fails or takes longer than
:data:`WARMUP_TIMEOUT_S` is logged and given up: the stage starts all the same.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable

from neo4j import AsyncDriver

from graph.alerts import REHEARSAL_ID, rehearse_upserts
from graph.warmup import rehearse, rehearse_batch
from graph.writer import prepare_batch
from lineage.answers.live_catalog import LiveCatalog
from lineage.domain.events import DataMovementEvent
from lineage.domain.subjects import SubjectHasher
from streams.processing import normalise
from streams.rights_watch import RightsWatch

log = logging.getLogger(__name__)

WARMUP_TIMEOUT_S = 30.0
REHEARSAL_SOURCE = "canonical"
REHEARSAL_EMAIL = "rehearsal@lineage.invalid"
_USE = "marketing.communications.email"


async def warm_up(stage: str, steps: list[Callable[[], Awaitable[object]]]) -> bool:
    """Runs ``steps`` in order within :data:`WARMUP_TIMEOUT_S`; True if all of them ran."""
    started = time.perf_counter()

    async def run_all() -> None:
        for step in steps:
            await step()

    try:
        await asyncio.wait_for(run_all(), WARMUP_TIMEOUT_S)
    except Exception as exc:  # a stage that cannot rehearse still starts
        log.warning("%s stage not warmed up (%s); starting all the same", stage, type(exc).__name__)
        return False
    log.info("%s stage warmed up in %.2fs", stage, time.perf_counter() - started)
    return True


def alert_steps(driver: AsyncDriver, database: str) -> list[Callable[[], Awaitable[object]]]:
    """The early path's upserts, rehearsed."""
    return [lambda: rehearse(driver, database, rehearse_upserts)]


def record_steps(
    driver: AsyncDriver, database: str, live: LiveCatalog, hasher: SubjectHasher, rights: RightsWatch
) -> list[Callable[[], Awaitable[object]]]:
    """A record lane's batch write, rights check and upserts, rehearsed on events of each kind
    a batch commonly holds."""
    events = rehearsal_events(live, hasher)
    if not events:
        return alert_steps(driver, database)
    batch = prepare_batch(events, live.retention)
    return [
        lambda: rehearse_batch(driver, database, batch),
        lambda: rights.check(driver, events),
        *alert_steps(driver, database),
    ]


def rehearsal_events(live: LiveCatalog, hasher: SubjectHasher) -> list[DataMovementEvent]:
    """Canonical events of a rehearsal person in a rehearsal store (neither exists: the
    transaction that writes them is rolled back)."""
    if REHEARSAL_SOURCE not in live.adapters:
        return []
    at, store, copy = "2026-01-01T00:00:00Z", REHEARSAL_ID, f"{REHEARSAL_ID}-copy"
    base: dict[str, object] = {"occurred_at": at, "source": REHEARSAL_SOURCE, "store": store}
    person = {"type": "customer", "email": REHEARSAL_EMAIL}
    payloads: list[dict[str, object]] = [
        {"action": "collected", "categories": ["user.contact.email"]},
        {"action": "updated", "categories": ["user.contact.email"]},
        {"action": "activity", "activity": "delivered", "purpose": _USE, "legal_basis": "consent"},
        {"action": "consent_withdrawn", "purpose": _USE},
        {"action": "copied", "destination": copy, "categories": ["user.contact.email"]},
        {"action": "erased"},
    ]
    events = [
        base | payload | {"event_id": f"{REHEARSAL_ID}:{number}", "subject": person}
        for number, payload in enumerate(payloads)
    ]
    outcome = normalise(REHEARSAL_SOURCE, json.dumps(events).encode(), live.adapters, hasher)
    return outcome if isinstance(outcome, list) else []
