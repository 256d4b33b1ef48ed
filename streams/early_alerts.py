"""Alerts raised by the normalise stage, before the events are stored, off its critical path.

Waiting for the record stage puts a whole batch's graph write, and the canonical topic's queue,
in front of an alert: seconds under load. So the normalise stage hands each batch's alert hits
to an :class:`EarlyAlerts` announcer and goes on with the next batch. Transfer hits and people's
rights hits (:mod:`streams.rights_watch`) go the same way.

Nor does the announcement wait for Neo4j: under load (or on a server just started) one upsert
takes from a tenth of a second to seconds, and every hit offered meanwhile waited for it. The
announcer reads the ids of the alerts raised (open or acknowledged) when the stage starts and
again every :data:`RAISED_REFRESH_S`; a hit of any other alert is announced at once, and the
alert written after, one upsert at a time (what arrives meanwhile goes in the next one
together). What the worker announces by any path joins the ids raised; an alert closed
elsewhere (a catalog change, a scheduled check, another worker) leaves them at the next read,
and until then the record stage reopens and announces it. Until the first read has succeeded
the announcer writes first and announces what its upsert finds new or reopened, as the record
stage does.

Delivery: an alert announced early and not written yet is listed in :class:`Unwritten`, shared
with the record stage, which writes it whatever happens to the early write and does not announce
it again. A crash between the announcement and either write announces it once more after the
restart (the record stage finds it new on replay): at least once, never lost. Another worker
that meets the same new flow before either has written it announces it too.

What this pass misses, the record stage raises: it upserts the same hits after storing the events
(the upsert is idempotent). That covers hits dropped while Neo4j was away (the announcer pauses
:data:`EARLY_ALERT_PAUSE_S` after a failure) or beyond :data:`EARLY_ALERT_BACKLOG`. The announcer
writes alerts without linking them to their store and people: the record stage's transaction
holds those locks, and waiting for it would hold the early path up for as long as a batch's
write; the record stage's upsert links them once they are stored.
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

from graph.alerts import announced_before_writing, raised_alert_ids, upsert_alerts
from lineage import metrics
from lineage.domain.alerts import Hit

log = logging.getLogger(__name__)

EARLY_ALERT_PAUSE_S = 15.0
EARLY_ALERT_BACKLOG = 20_000  # hits waiting for one upsert; beyond, the record stage raises them
EARLY_ALERT_DRAIN_S = 10.0  # at stop, how long an upsert under way may take to finish
# How often the alerts raised are read again: an alert closed elsewhere (a catalog change, a
# scheduled check, another worker) leaves them, so its reopening is announced early again.
RAISED_REFRESH_S = 30.0

Announce = Callable[[list[dict[str, Any]]], Awaitable[None]]
LoadRaised = Callable[[], Awaitable[set[str]]]
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

    async def raised(self) -> set[str]:
        """The ids of the alerts raised already (open or acknowledged)."""
        return await raised_alert_ids(self._driver, self._database)


class Unwritten:
    """The alerts the early pass announced and has not written yet, shared with the record
    stage: an upsert of the record stage that finds one of them new (it got there first) does
    not announce it again. Each leaves once either stage's upsert has made it open."""

    def __init__(self) -> None:
        self._ids: set[str] = set()

    def add(self, ids: Iterable[str]) -> None:
        self._ids.update(ids)

    def written(self, ids: Iterable[str]) -> None:
        self._ids.difference_update(ids)

    def ids(self) -> set[str]:
        return set(self._ids)

    def not_announced(self, alerts: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The alerts an upsert raised, less those announced already (which are now written)."""
        kept = [a for a in alerts if a["id"] not in self._ids]
        if len(kept) < len(alerts):
            self.written(a["id"] for a in alerts)
        return kept


class EarlyAlerts:
    """One announcer per normalise stage: :meth:`offer` from the stage, :meth:`run` beside it,
    :meth:`close` when the stage stops.

    It announces an alert as soon as a hit names one that is not raised, then writes it: the
    alerts raised are read at start (:meth:`AlertWriter.raised`), kept current by what this
    worker raises (:meth:`learn`), and read again every :data:`RAISED_REFRESH_S` for those
    closed elsewhere. Until the first read has succeeded it announces what its upsert finds
    new or reopened, after writing, as the record stage does."""

    def __init__(
        self, writer: AlertWriter, announce: Announce, receipts: Receipts, unwritten: Unwritten | None = None
    ) -> None:
        self._writer = writer
        self._announce = announce
        self._receipts = receipts
        self.unwritten = unwritten or Unwritten()
        self._raised: set[str] | None = None  # None until read
        self._read_at = 0.0
        self._learned: set[str] = set()  # raised by other paths since the last read began
        self._waiting: list[Hit] = []
        self._batches: list[Sequence[Any]] = []  # whose hits wait: their receipts, read lazily
        self._ready = asyncio.Event()
        self._to_write: list[Hit] = []
        self._writable = asyncio.Event()
        self._paused_until = 0.0
        self._under_way: list[asyncio.Future[None]] = []

    def learn(self, ids: Iterable[str]) -> None:
        """Alerts raised by another path of this worker (the record stage, a catalog change)."""
        ids = set(ids)
        self._learned.update(ids)
        if self._raised is not None:
            self._raised.update(ids)

    def offer(self, hits: Sequence[Hit], batch: Sequence[Any]) -> None:
        """Queue a batch's hits; never waits. Hits of alerts raised already are left to the
        record stage, without asking Neo4j again (unless the raised are due to be read again:
        one of them may have closed)."""
        if not hits or time.monotonic() < self._paused_until:
            return
        if self._raised is not None and not self._read_due():
            raised = self._raised
            hits = [hit for hit in hits if hit.id not in raised]
            if not hits:
                return
        if len(self._waiting) >= EARLY_ALERT_BACKLOG:
            return  # Neo4j is slow: the record stage's pass raises these
        self._waiting += hits
        self._batches.append(batch)
        self._ready.set()

    async def run(self) -> None:
        """Announces, and hands to :meth:`_write`, what waits, until cancelled. What is under
        way is shielded from the cancellation: a cancelled upsert may commit all the same,
        and the record stage would then find the alert raised and announce nothing."""
        writing = asyncio.ensure_future(self._write())
        try:
            await self._read_raised()
            while True:
                await self._ready.wait()
                self._ready.clear()
                hits, batches = self._waiting, self._batches
                self._waiting, self._batches = [], []
                if self._raised is None or self._read_due():
                    await self._read_raised()
                if self._raised is None:  # announced after writing, from what the write finds
                    await self._shielded(self._raise(hits, batches))
                    continue
                await self._shielded(self._announce_new(hits, batches))
        finally:
            writing.cancel()
            await asyncio.gather(writing, return_exceptions=True)

    async def close(self) -> None:
        """Lets what is under way finish, and writes what was announced and waits to be, for
        up to :data:`EARLY_ALERT_DRAIN_S`: an alert announced and not written would be
        announced again after the restart."""
        deadline = time.monotonic() + EARLY_ALERT_DRAIN_S
        pending = [f for f in self._under_way if not f.done()]
        if pending:
            await asyncio.wait(pending, timeout=EARLY_ALERT_DRAIN_S)
        hits, self._to_write = self._to_write, []
        if hits and time.monotonic() < deadline:
            await asyncio.wait(
                [asyncio.ensure_future(self._upsert(hits))], timeout=deadline - time.monotonic()
            )

    async def _shielded(self, work: Awaitable[None]) -> None:
        under_way = asyncio.ensure_future(work)
        self._under_way = [f for f in self._under_way if not f.done()] + [under_way]
        await asyncio.shield(under_way)

    def _read_due(self) -> bool:
        return time.monotonic() - self._read_at >= RAISED_REFRESH_S

    async def _read_raised(self) -> None:
        """The graph's alerts raised, with those raised while it was read and those announced
        and not written yet: an alert raised before the read began is in the graph (the record
        stage learns its alerts once written). A failed read keeps what was known, and is
        tried again after the same interval."""
        self._learned, self._read_at = set(), time.monotonic()
        try:
            raised = await self._writer.raised()
        except Exception as exc:
            log.warning("alerts raised not read (%s); early alerts wait for their write", type(exc).__name__)
            return
        self._raised = raised | self._learned | self.unwritten.ids()

    async def _announce_new(self, hits: list[Hit], batches: list[Sequence[Any]]) -> None:
        """Announce the alerts the hits raise, then queue them to be written. Hits of alerts
        raised already (announced by an earlier batch, maybe not written yet) are left to the
        record stage."""
        assert self._raised is not None
        new = [hit for hit in hits if hit.id not in self._raised]
        announced = announced_before_writing([hit.row() for hit in new]) if new else []
        ids = [a["id"] for a in announced]
        self._raised.update(ids)
        self.unwritten.add(ids)
        if new:
            self._to_write += new
            self._writable.set()
        if announced and await self._announced(announced):
            metrics.alerts_published("normalise", len(announced), self._receipts(list(chain(*batches))))

    async def _write(self) -> None:
        """Writes what was announced, one upsert at a time (what arrives meanwhile goes in the
        next one). A write that fails leaves its alerts to the record stage, which writes them
        and, finding them among :attr:`unwritten`, does not announce them again."""
        while True:
            await self._writable.wait()
            self._writable.clear()
            hits, self._to_write = self._to_write, []
            work = asyncio.ensure_future(self._upsert(hits))
            self._under_way = [f for f in self._under_way if not f.done()] + [work]
            await asyncio.shield(work)

    async def _upsert(self, hits: list[Hit]) -> None:
        started = time.perf_counter()
        try:
            await self._writer.upsert_alerts(hits, link_subjects=False)
        except Exception as exc:
            self._pause(type(exc).__name__)
            return
        self.unwritten.written(hit.id for hit in hits)
        log.debug("early alerts: %d hits written in %.3fs", len(hits), time.perf_counter() - started)

    async def _raise(self, hits: list[Hit], batches: list[Sequence[Any]]) -> None:
        """Without the raised alerts read: write, then announce what the write raised."""
        try:
            announced = await self._writer.upsert_alerts(hits, link_subjects=False)
        except Exception as exc:
            self._pause(type(exc).__name__)
            return
        if announced and await self._announced(announced):
            metrics.alerts_published("normalise", len(announced), self._receipts(list(chain(*batches))))

    async def _announced(self, alerts: list[dict[str, Any]]) -> bool:
        try:
            await self._announce(alerts)
        except Exception as exc:  # the announcer must outlive any one failure
            log.error("%d early alert(s) not announced: %s", len(alerts), type(exc).__name__)
            return False
        return True

    def _pause(self, why: str) -> None:
        log.warning(
            "early alerts paused for %.0fs (%s); the record stage raises them", EARLY_ALERT_PAUSE_S, why
        )
        self._paused_until = time.monotonic() + EARLY_ALERT_PAUSE_S
        self._waiting, self._batches = [], []
