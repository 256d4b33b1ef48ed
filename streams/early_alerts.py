"""Alerts raised by the normalise stage, before the events are stored, off its critical path.

Waiting for the record stage puts a whole batch's graph write, and the canonical topic's queue,
in front of an alert: seconds under load. So the normalise stage hands each batch's alert hits
to an :class:`EarlyAlerts` announcer and goes on with the next batch. The announcer upserts what
is waiting, one transaction at a time (hits that arrive meanwhile go in the next one together),
and announces the alerts that are new or reopened. Transfer hits and people's rights hits
(:mod:`streams.rights_watch`) go the same way.

Normalising never waits for Neo4j: under load a round trip queues behind the record lanes'
commits, and a stage whose every batch waited for one would fall behind its raw topics under a
burst, putting seconds in front of every alert.

What this pass misses, the record stage raises: it upserts the same hits after storing the events
(the upsert is idempotent, and whichever commits first announces). That covers hits dropped while
Neo4j was away (the announcer pauses :data:`EARLY_ALERT_PAUSE_S` after a failure) or beyond
:data:`EARLY_ALERT_BACKLOG`. The announcer writes alerts without linking their people: the record
stage's transaction holds those people's locks, and waiting for it would hold the early path up
for as long as a batch's write; the record stage's upsert links them once they are stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from itertools import chain
from typing import Any

from neo4j import AsyncDriver

from graph.alerts import upsert_alerts
from lineage import metrics
from lineage.domain.alerts import Hit

log = logging.getLogger(__name__)

EARLY_ALERT_PAUSE_S = 15.0
EARLY_ALERT_BACKLOG = 20_000  # hits waiting for one upsert; beyond, the record stage raises them
EARLY_ALERT_DRAIN_S = 10.0  # at stop, how long an upsert under way may take to finish
RAISED_KEPT_S = 60.0  # how long an alert the early pass saw raised is taken as raised still

Announce = Callable[[list[dict[str, Any]]], Awaitable[None]]
Receipts = Callable[[Sequence[Any]], Iterable[datetime | None]]


class AlertWriter:
    """Upserts hits of any kind (transfers, people's rights) as alerts: both stages' writer."""

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def upsert_alerts(self, hits: Sequence[Hit], link_subjects: bool = True) -> list[dict[str, Any]]:
        """Returns the alerts that are new or reopened, to announce (``graph.alerts``)."""
        if not hits:
            return []
        rows = [hit.row() for hit in hits]
        async with self._driver.session(database=self._database) as session:
            return await session.execute_write(upsert_alerts, rows, link_subjects)


class EarlyAlerts:
    """One announcer per normalise stage: :meth:`offer` from the stage, :meth:`run` beside it,
    :meth:`close` when the stage stops."""

    def __init__(self, writer: AlertWriter, announce: Announce, receipts: Receipts) -> None:
        self._writer = writer
        self._announce = announce
        self._receipts = receipts
        self._waiting: list[Hit] = []
        self._batches: list[Sequence[Any]] = []  # whose hits wait: their receipts, read lazily
        self._ready = asyncio.Event()
        self._paused_until = 0.0
        self._under_way: asyncio.Future[None] | None = None
        self._raised: dict[str, float] = {}  # alert id -> when the early pass last saw it raised

    def offer(self, hits: Sequence[Hit], batch: Sequence[Any]) -> None:
        """Queue a batch's hits for the next upsert; never waits. Hits of alerts raised
        already are left to the record stage without asking Neo4j again."""
        if not hits or time.monotonic() < self._paused_until:
            return
        hits = self._unraised(hits)
        if not hits:
            return
        if len(self._waiting) >= EARLY_ALERT_BACKLOG:
            return  # Neo4j is slow: the record stage's pass raises these
        self._waiting += hits
        self._batches.append(batch)
        self._ready.set()

    async def run(self) -> None:
        """Upserts and announces what waits, one upsert at a time, until cancelled. The upsert
        itself is shielded from the cancellation: a cancelled upsert may commit all the same,
        and the record stage would then find the alert raised and announce nothing."""
        while True:
            await self._ready.wait()
            self._ready.clear()
            hits, batches = self._waiting, self._batches
            self._waiting, self._batches = [], []
            self._under_way = asyncio.ensure_future(self._raise(hits, batches))
            await asyncio.shield(self._under_way)

    async def close(self) -> None:
        """Lets an upsert under way finish and announce, for up to :data:`EARLY_ALERT_DRAIN_S`."""
        if self._under_way is not None and not self._under_way.done():
            await asyncio.wait([self._under_way], timeout=EARLY_ALERT_DRAIN_S)

    def _unraised(self, hits: Sequence[Hit]) -> list[Hit]:
        """The hits whose alert the early pass has not seen raised (open or acknowledged) in
        the last :data:`RAISED_KEPT_S`. Under load nearly every hit is of a flow raised long
        ago (a sub-processor's traffic); writing them, or even reading their status, put
        thousands of rows in front of a new alert's. An alert closed meanwhile (the catalog
        approved its flow, then no longer) is reopened by the record stage's pass."""
        now, raised = time.monotonic(), self._raised
        fresh: dict[str, bool] = {}
        kept: list[Hit] = []
        for hit in hits:
            id_ = hit.id
            new = fresh.get(id_)
            if new is None:
                seen = raised.get(id_)
                new = fresh[id_] = seen is None or now - seen > RAISED_KEPT_S
            if new:
                kept.append(hit)
        return kept

    def _learn(self, hits: Sequence[Hit]) -> None:
        """After an upsert commits, every alert it named is raised: new or reopened ones are
        open now, the others were open or acknowledged already."""
        now = time.monotonic()
        for id_ in {hit.id for hit in hits}:
            self._raised[id_] = now
        if len(self._raised) > EARLY_ALERT_BACKLOG:
            self._raised = {k: t for k, t in self._raised.items() if now - t <= RAISED_KEPT_S}

    async def _raise(self, hits: list[Hit], batches: list[Sequence[Any]]) -> None:
        started = time.perf_counter()
        try:
            announced = await self._writer.upsert_alerts(hits, link_subjects=False)
        except Exception as exc:
            self._pause(type(exc).__name__)
            return
        self._learn(hits)
        upserted = time.perf_counter()
        if not announced:
            return
        try:
            await self._announce(announced)
        except Exception as exc:  # the announcer must outlive any one failure
            log.error("%d early alert(s) not announced: %s", len(announced), type(exc).__name__)
            return
        log.debug(
            "early alerts: %d hits, %d announced: %.3fs upsert, %.3fs announce",
            len(hits),
            len(announced),
            upserted - started,
            time.perf_counter() - upserted,
        )
        metrics.alerts_published("normalise", len(announced), self._receipts(list(chain(*batches))))

    def _pause(self, why: str) -> None:
        log.warning(
            "early alerts paused for %.0fs (%s); the record stage raises them", EARLY_ALERT_PAUSE_S, why
        )
        self._paused_until = time.monotonic() + EARLY_ALERT_PAUSE_S
        self._waiting, self._batches = [], []
