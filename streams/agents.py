"""The worker's stages, raw -> canonical (normalise) and canonical -> graph (record), and the
delivery of alerts to the user's sinks.

Each stage reads its topics in batches (:mod:`streams.batches`) and commits a batch's offsets
only once its outcome is durable: the canonical events or dead letters acknowledged by the
broker, or the batch committed in Neo4j. One batch at a time per consumer (the normalise stage,
each record lane): committing a later batch while an earlier one is still in flight would skip it
after a crash. Record lanes write concurrently because each is a consumer of its own in the group,
committing only its own partitions. Nothing in a stage
raises: every failure becomes a dead letter or a retry, and a stage that fails anyway starts
again from its last commit. faust runs the process: the stages as its tasks, alert delivery as
its agent, the checks as its timers, start and stop.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import faust
import httpx
from neo4j import AsyncDriver, Driver
from neo4j.exceptions import DriverError, Neo4jError, TransientError

from graph.connection import open_async_driver, open_driver
from graph.writer import GraphWriter, PreparedBatch, prepare_batch
from lineage import metrics
from lineage.answers import audit
from lineage.answers.live_catalog import LiveCatalog, apply_catalog
from lineage.answers.scheduled_checks import refresh_counts, run_checks
from lineage.domain.access import Actor, Role
from lineage.domain.alerts import AlertHit, Hit, alert_hits
from lineage.domain.catalog import Catalog
from lineage.domain.events import DataMovementEvent, encode_event, event_key
from lineage.domain.invariants import InvariantHit, invariant_hits
from lineage.domain.rights_alerts import RightsHit
from lineage.domain.subjects import SubjectHasher
from lineage.kafka.topics import Topics, stage_consumers
from lineage.retrying import Backoff, retry_async
from lineage.settings import Settings
from streams.batches import BatchConsumer, Record, origin, timestamp_s
from streams.early_alerts import AlertWriter, EarlyAlerts, Unwritten
from streams.outbox import Outbox, Outgoing
from streams.processing import DeadLetter, decode_canonical, normalise, received_time
from streams.rights_watch import RightsWatch
from streams.sinks import AlertSinks, alert_record
from streams.warmup import alert_steps, record_steps, warm_up

log = logging.getLogger(__name__)

NORMALISE_BATCH = 500
RECORD_BATCH = 1000
# The normalise stage's window is the wait an alert may add before its payload is judged: at
# a few hundred payloads a second a batch never fills, so the window alone decides it. Under
# load the batches fill first, and it does not matter.
BATCH_WINDOW_S = 0.02
# The record stage waits longer to fill its batch: Neo4j spends less per event on batches of
# ~1,000 than on the few dozen a short window gathers. Nothing a user waits for waits on it:
# the normalise stage has raised the alerts already.
RECORD_WINDOW_S = 0.5
YIELD_EVERY = 100  # events decoded between yields: one batch never holds the loop for long
# Neo4j being down (or a transient refusal: a deadlock, a leader change) is waited out for as
# long as it lasts, acknowledging nothing meanwhile.
NEO4J_UNAVAILABLE = (TransientError, DriverError, OSError)
NEO4J_BACKOFF = Backoff(first_s=0.5, longest_s=30.0)
RECORD_DEFER_MAX_S = 2.0
RESTART_S = 5.0
AUDIT_RETENTION_EVERY_S = 24 * 3600.0


T = TypeVar("T")


@dataclass
class Adapted:
    """A raw batch adapted (its alert hits offered already), waiting for its delivery."""

    outgoing: list[Outgoing]
    events: int
    started: float
    adapted_s: float = field(init=False)

    def __post_init__(self) -> None:
        self.adapted_s = time.perf_counter() - self.started


@dataclass
class Decoded:
    """A record batch, decoded and prepared for its transaction before its turn comes."""

    events: list[DataMovementEvent]
    letters: list[DeadLetter]
    prepared: PreparedBatch | None
    started: float
    prepared_s: float = field(init=False)

    def __post_init__(self) -> None:
        self.prepared_s = time.perf_counter() - self.started


def _prepared(events: list[DataMovementEvent], live: LiveCatalog) -> PreparedBatch | None:
    """The batch's statement rows, or None if one event breaks the preparation: the write then
    narrows it down to that event (``_store``), which dead-letters it alone."""
    try:
        return prepare_batch(events, live.retention)
    except Exception:
        return None


def _received(record: Record) -> datetime | None:
    return received_time(record.headers, timestamp_s(record))


def _receipts(batch: Sequence[Record]) -> Iterator[datetime | None]:
    """When each message of a batch arrived (lazily: read only if the batch raised alerts)."""
    return (_received(record) for record in batch)


def register_agents(app: faust.App, settings: Settings, live: LiveCatalog) -> None:
    """The stages as faust tasks, alert delivery as a faust agent, the catalog and clock
    checks as faust timers."""
    stages = Stages(settings, live)
    for name, run in stages.all().items():
        app.task(_supervised(name, run))
    sinks = AlertSinks(settings.alerts)
    alerts = app.topic(
        Topics(settings.topic_namespace).alerts.name, key_serializer="raw", value_serializer="raw"
    )

    @app.agent(alerts, concurrency=1)
    async def deliver_alerts(stream: faust.StreamT) -> None:
        """Post each alert record to the configured sinks; never holds up the lineage stream.
        A faust agent: alerts are few, and faust's per-message cost does not matter here."""
        async with httpx.AsyncClient() as client:
            async for record in stream:
                if not sinks.configured:
                    continue
                try:
                    await sinks.deliver(client, json.loads(record))
                except Exception as exc:  # one bad record or sink must not stop the others
                    log.error("alert not delivered to the sinks: %s", type(exc).__name__)

    @app.timer(settings.catalog_check_s)
    async def follow_catalog() -> None:
        """Applies a changed catalog to the graph, then lets the stages judge with it."""
        current = live.catalog
        changed = live.changed()
        if changed is None:
            return
        try:
            announced = await asyncio.to_thread(_apply, settings, changed, current)
        except Exception as exc:  # a timer that raises stops for good: never let one
            log.warning("catalog change not applied yet (%s); retrying at the next check", type(exc).__name__)
            live.revert(current)
            return
        log.warning("catalog reloaded from %s; %d alert(s) raised or reopened", live.path, len(announced))
        await stages.announce(announced)

    _audit_retention(app, settings)

    @app.timer(settings.rights_refresh_s)
    async def follow_rights() -> None:
        """Keeps the early pass's restrictions, objections and consents current, and raises
        what a state recorded just now forbids in data stored before it."""
        await stages.refresh_rights()

    counting = CountRefresh(settings)

    @app.timer(settings.tally_refresh_s)
    async def fold_counts() -> None:
        """Keeps the counts that transfer impact and the record of processing read current."""
        try:
            await asyncio.to_thread(counting.run)
        except Exception as exc:
            log.warning("held-data counts not refreshed (%s); retrying at the next run", type(exc).__name__)

    @app.timer(settings.retention_check_s)
    async def clock_checks() -> None:
        """Overdue retention (and erasure deadlines): what the passing of time alone raises."""
        try:
            announced = await asyncio.to_thread(_checks, settings)
        except Exception as exc:
            log.warning("scheduled checks skipped (%s); retrying at the next run", type(exc).__name__)
            return
        await stages.announce(announced)


def _audit_retention(app: faust.App, settings: Settings) -> None:
    """Once a day, the audit trail loses what is older than ``LINEAGE_AUDIT_RETENTION_DAYS``
    (the purge records itself, as the worker); a failure waits for the next day."""

    @app.timer(AUDIT_RETENTION_EVERY_S)
    async def keep_audit_trail() -> None:
        try:
            await asyncio.to_thread(_purge_audit, settings)
        except Exception as exc:
            log.warning("audit retention not applied (%s); retrying tomorrow", type(exc).__name__)


def _purge_audit(settings: Settings) -> None:
    with open_driver(settings) as driver:
        audit.purge(driver, settings, Actor("worker", Role.ADMIN, "service"))


def _supervised(stage: str, run: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """A stage that fails all the same starts again after a pause, from its last commit: the
    worker never stops over one stage's bug, and the batch it was on is read again."""

    async def supervise() -> None:
        while True:
            try:
                await run()
            except Exception as exc:
                log.error("%s stage failed (%s); restarting in %.0fs", stage, type(exc).__name__, RESTART_S)
                await asyncio.sleep(RESTART_S)

    supervise.__name__ = supervise.__qualname__ = f"{stage}_stage"
    return supervise


class Stages:
    """The worker's two stages and what they share: the live catalog, one producer, and
    the flag by which the record stage gives way to the normalise stage."""

    def __init__(self, settings: Settings, live: LiveCatalog) -> None:
        self._settings = settings
        self._live = live
        self._names = Topics(settings.topic_namespace)
        self._hasher = SubjectHasher(settings.require_subject_key())
        self._outbox = Outbox(settings)
        self._backlog = Backlog()
        self._running = 0
        self._rights = RightsWatch(settings, live)
        self._rights_driver: AsyncDriver | None = None
        self._unwritten = Unwritten()  # announced by the early pass, not written yet
        self._early: EarlyAlerts | None = None

    def all(self) -> dict[str, Callable[[], Awaitable[None]]]:
        """The stages' runs by consumer name: the normalise stage and each record lane."""
        runs: dict[str, Callable[[], Awaitable[None]]] = {"normalise": self.normalise}
        for lane in stage_consumers(self._settings.record_lanes)[1:]:
            runs[lane] = functools.partial(self.record, lane)
        return runs

    async def announce(self, alerts: Sequence[dict[str, Any]]) -> None:
        """Announce what an upsert raised, less what the early pass announced already."""
        alerts = self._unwritten.not_announced(alerts)
        if self._early is not None:
            self._early.learn(a["id"] for a in alerts)
        await self._deliver_alerts(alerts)

    async def _deliver_alerts(self, alerts: Sequence[dict[str, Any]]) -> None:
        await self._outbox.deliver(self._alerted(alerts))

    async def refresh_rights(self) -> None:
        """One read of the rights that changed; the alerts it raises are announced. Never
        raises: a timer that raises stops for good."""
        if self._rights_driver is None:
            self._rights_driver = open_async_driver(self._settings)
        driver = self._rights_driver
        try:
            hits = await self._rights.refresh(driver)
            announced = await AlertWriter(driver, self._settings.neo4j.database).upsert_alerts(hits)
        except Exception as exc:
            log.warning("rights not refreshed (%s); retrying at the next run", type(exc).__name__)
            return
        await self.announce(announced)

    def _alerted(self, alerts: Sequence[dict[str, Any]]) -> list[Outgoing]:
        return [(self._names.alerts.name, a["id"].encode(), alert_record(a)) for a in alerts]

    def _dead(self, letter: DeadLetter) -> Outgoing:
        log.warning("dead letter from %s at %s: %s", letter.source, letter.stage, letter.reason)
        metrics.dead_letter(letter.source, letter.stage)
        return self._names.dead_letter.name, letter.source.encode(), letter.to_json()

    async def _consume(
        self,
        topics: Sequence[str],
        stage: str,
        size: int,
        window_s: float,
        prepare: Callable[[list[Record]], Awaitable[T]],
        handle: Callable[[list[Record], T], Awaitable[None]],
    ) -> None:
        """Batches of ``topics`` through ``prepare`` then ``handle``, each committed once
        ``handle`` returns. One consumer's batches are handled and committed one at a time, in
        order (a record lane is one consumer, so lanes run side by side); the next one is read
        and prepared while the last is handled, so the Python work of one (decoding, statement
        rows) overlaps the other's wait for Neo4j or the broker."""
        consumer = BatchConsumer(self._settings, topics, stage)
        handling: asyncio.Future[None] | None = None

        async def handle_and_commit(batch: list[Record], prepared: T) -> None:
            await handle(batch, prepared)
            await consumer.commit(batch)

        self._running += 1
        try:
            await consumer.start()
            while True:
                batch = await consumer.take(size, window_s)
                prepared = await prepare(batch)
                if handling is not None:
                    await handling  # raises what handling raised: the stage starts again
                handling = asyncio.ensure_future(handle_and_commit(batch, prepared))
        finally:
            if handling is not None and not handling.done():
                handling.cancel()
                await asyncio.gather(handling, return_exceptions=True)
            await consumer.stop()
            await self._release()

    async def _release(self) -> None:
        """One user of the shared outbox fewer; the last one stops it."""
        self._running -= 1
        if not self._running:
            await self._outbox.stop()

    async def normalise(self) -> None:
        driver = open_async_driver(self._settings)
        rights = self._rights
        early = self._early = EarlyAlerts(
            AlertWriter(driver, self._settings.neo4j.database),
            self._deliver_alerts,
            _receipts,
            self._unwritten,
        )
        names, live, canonical = self._names, self._live, self._names.canonical.name

        async def adapt(batch: list[Record]) -> Adapted:
            """Run while the last batch's delivery is under way, so this batch's alerts do not
            wait for the broker to acknowledge the last one's events."""
            started = time.perf_counter()
            outgoing: list[Outgoing] = []
            events: list[DataMovementEvent] = []
            for record in batch:
                source = names.source_of(record.topic)
                outcome = normalise(
                    source,
                    record.value or b"",
                    live.adapters,
                    self._hasher,
                    origin(record),
                    _received(record),
                )
                if isinstance(outcome, DeadLetter):
                    outgoing.append(self._dead(outcome))
                    continue
                events += outcome
                outgoing += [(canonical, event_key(e), encode_event(e)) for e in outcome]
            early.offer(
                [*_alert_hits(events, live), *_invariant_hits(events, live), *_rights_hits(rights, events)],
                batch,
            )
            return Adapted(outgoing, len(events), started)

        async def handle(batch: list[Record], adapted: Adapted) -> None:
            self._backlog.saw(len(batch) == NORMALISE_BATCH)
            delivering = time.perf_counter()
            await self._outbox.deliver(adapted.outgoing)  # acked by the broker
            metrics.payloads_read(names.source_of(record.topic) for record in batch)
            metrics.batch_done("normalise", len(batch), adapted.started, produced=adapted.events)
            log.debug(
                "normalised %d payloads into %d messages: %.3fs adapt, %.3fs delivery",
                len(batch),
                len(adapted.outgoing),
                adapted.adapted_s,
                time.perf_counter() - delivering,
            )

        announcer = asyncio.ensure_future(early.run())
        self._running += 1  # the outbox outlives the announcer's last announcement
        if not rights.loaded:
            await self.refresh_rights()  # the cache read whole before the first batch
        await warm_up("normalise", [self._outbox.start, *alert_steps(driver, self._settings.neo4j.database)])
        try:
            raw = [spec.name for spec in names.all_raw()]
            await self._consume(raw, "normalise", NORMALISE_BATCH, BATCH_WINDOW_S, adapt, handle)
        finally:
            announcer.cancel()
            await asyncio.gather(announcer, return_exceptions=True)
            await early.close()
            await self._release()
            await driver.close()

    async def record(self, lane: str) -> None:
        """One lane of the record stage. Lanes write concurrently, like workers: each commits
        only the partitions the group gave its own consumer, and the graph's writes are
        made safe against each other the same way (locks, retried deadlocks). A lane opens its own
        async driver, so its transactions never queue behind another lane's connection."""
        driver = open_async_driver(self._settings)
        writer = GraphWriter(driver, self._settings.neo4j.database)
        alerts = AlertWriter(driver, self._settings.neo4j.database)
        live = self._live

        async def prepare(batch: list[Record]) -> Decoded:
            started = time.perf_counter()
            events: list[DataMovementEvent] = []
            letters: list[DeadLetter] = []
            for number, record in enumerate(batch, start=1):
                outcome = decode_canonical(record.value or b"", origin(record))
                if isinstance(outcome, DeadLetter):
                    letters.append(outcome)
                else:
                    events.append(outcome)
                if number % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # let the normalise stage's alerts through
            return Decoded(events, letters, _prepared(events, live), started)

        async def handle(batch: list[Record], decoded: Decoded) -> None:
            await self._backlog.defer()
            writing = time.perf_counter()
            events = decoded.events
            letters = decoded.letters + await _store(writer, events, live, decoded.prepared)
            refused = {letter.payload for letter in letters}
            stored = [e for e in events if encode_event(e) not in refused] if letters else events
            hits: list[Hit] = [
                *_alert_hits(stored, live),
                *_invariant_hits(stored, live),
                *await _checked(self._rights, driver, stored),
            ]
            announced = self._unwritten.not_announced(await _retrying(alerts.upsert_alerts, hits))
            if self._early is not None:
                self._early.learn(a["id"] for a in announced)
            await self._outbox.deliver([self._dead(letter) for letter in letters] + self._alerted(announced))
            # the batch's own time: its preparation and its write, not its wait for the last one
            metrics.batch_done("record", len(batch), writing - decoded.prepared_s, stored=len(stored))
            metrics.alerts_published("record", len(announced), _receipts(batch))
            log.debug(
                "stored %d events: %.3fs decode, %.3fs Neo4j",
                len(events),
                decoded.prepared_s,
                time.perf_counter() - writing,
            )

        database = self._settings.neo4j.database
        await warm_up(lane, record_steps(driver, database, live, self._hasher, self._rights))
        try:
            canonical = [self._names.canonical.name]
            await self._consume(canonical, lane, RECORD_BATCH, RECORD_WINDOW_S, prepare, handle)
        finally:
            await driver.close()


class CountRefresh:
    """The count refresh's own blocking driver, opened once: it runs every few seconds."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._driver: Driver | None = None

    def run(self) -> int:
        if self._driver is None:
            self._driver = open_driver(self._settings)
        return refresh_counts(self._driver, self._settings.neo4j.database, self._settings.tally_refresh_s / 2)


def _checks(settings: Settings) -> list[dict[str, Any]]:
    with open_driver(settings) as driver:
        return run_checks(driver, settings.neo4j.database, settings=settings)


def _apply(settings: Settings, catalog: Catalog, previous: Catalog) -> list[dict[str, Any]]:
    with open_driver(settings) as driver:
        return apply_catalog(driver, settings.neo4j.database, catalog, previous)


def _neo4j_waited(message: str) -> Callable[[Exception, float], None]:
    """Counts and logs one wait for Neo4j; ``message`` takes the error's type and the wait."""

    def waited(exc: Exception, wait: float) -> None:
        metrics.neo4j_retry("record")
        log.warning(message, type(exc).__name__, wait)

    return waited


async def _retrying(
    write: Callable[[list[Hit]], Awaitable[list[dict[str, Any]]]], hits: list[Hit]
) -> list[dict[str, Any]]:
    """Alerts are written like holdings: Neo4j unavailability is waited out, acks held. An
    error that retrying cannot fix loses the alerts of this batch, never the batch: its events
    are stored, and the next event on the same flow, or the next catalog check, raises them."""
    try:
        return await retry_async(
            lambda: write(hits),
            NEO4J_UNAVAILABLE,
            NEO4J_BACKOFF,
            on_retry=_neo4j_waited("Neo4j unavailable for alerts (%s); retrying in %.1fs"),
        )
    except Exception as exc:
        log.error("alerts of a batch not recorded: %s", _refusal(exc))
        return []


class Backlog:
    """Whether the normalise stage is behind its raw topics, so the record stage gives way.

    Alerts leave from the normalise stage; one worker's event loop, and the machine's cores,
    are shared with the record stage, whose graph writes then put seconds in front of every
    alert under a burst. While the normalise stage takes full batches (payloads waiting), the
    record stage waits before each batch, up to :data:`RECORD_DEFER_MAX_S`: it slows, never
    stops, and its queue is the canonical topic, durable, which it drains once the burst is over.
    """

    def __init__(self) -> None:
        self._behind = False

    def saw(self, full_batch: bool) -> None:
        self._behind = full_batch

    async def defer(self) -> None:
        deadline = time.monotonic() + RECORD_DEFER_MAX_S
        while self._behind and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


def _alert_hits(events: Sequence[DataMovementEvent], live: LiveCatalog) -> list[AlertHit]:
    """The alert hits of stored events; an event the rules cannot judge is logged and skipped
    (it is stored already: failing it now would hold up the partition for nothing)."""
    try:
        return alert_hits(events, live.unapproved, live.unapproved_moves)
    except Exception:
        hits: list[AlertHit] = []
        for event in events:
            try:
                hits += alert_hits([event], live.unapproved, live.unapproved_moves)
            except Exception as exc:
                log.error("alert rules failed on event %s: %s", event.event_id, type(exc).__name__)
        return hits


def _invariant_hits(events: Sequence[DataMovementEvent], live: LiveCatalog) -> list[InvariantHit]:
    """The declared invariants the events break; a failure is logged and loses this batch's
    invariant hits only (the catalog check at the next change raises what the catalog breaks)."""
    try:
        return invariant_hits(events, live.invariants)
    except Exception as exc:
        log.error("invariant rules failed on a batch: %s", type(exc).__name__)
        return []


def _rights_hits(rights: RightsWatch, events: Sequence[DataMovementEvent]) -> list[RightsHit]:
    """The early pass's rights hits; a failure loses them to the record stage's check, never
    the batch."""
    try:
        return rights.hits(events)
    except Exception as exc:
        log.error("rights rules failed on a batch: %s", type(exc).__name__)
        return []


async def _checked(
    rights: RightsWatch, driver: AsyncDriver, events: Sequence[DataMovementEvent]
) -> list[RightsHit]:
    """The record stage's rights check of stored events. Neo4j unavailability is waited out
    like the alerts' upsert; any other failure is logged, and the batch goes on: its events
    are stored, and the next event of the same person raises the alert."""
    try:
        return await retry_async(
            lambda: rights.check(driver, events),
            NEO4J_UNAVAILABLE,
            NEO4J_BACKOFF,
            on_retry=_neo4j_waited("Neo4j unavailable for the rights check (%s); retrying in %.1fs"),
        )
    except Exception as exc:
        log.error("rights of a batch not checked: %s", _refusal(exc))
        return []


def _refusal(exc: Exception) -> str:
    """Why one event could not be stored, without the values (Neo4j messages quote them)."""
    if isinstance(exc, Neo4jError):
        return f"graph refused event: {exc.code or type(exc).__name__}"
    return f"event cannot be recorded: {type(exc).__name__} in the record stage"


async def _store(
    writer: GraphWriter,
    events: Sequence[DataMovementEvent],
    live: LiveCatalog,
    prepared: PreparedBatch | None = None,
) -> list[DeadLetter]:
    """Write until Neo4j has the batch. Returns the events that cannot be stored as dead letters.

    Unavailability is waited out (the stream stalls, nothing is acked). Anything else (a row
    Neo4j refuses, an event the retention arithmetic cannot compute, a bug) is narrowed down by
    halving the batch until the event that causes it is alone: it is dead-lettered, the others
    are stored, and the partition moves on. ``prepared`` is the batch's rows, made ahead.
    """

    async def write() -> None:
        if prepared is not None:
            await writer.write_prepared(prepared)
        else:
            await writer.write(events, live.retention)

    try:
        await retry_async(
            write,
            NEO4J_UNAVAILABLE,
            NEO4J_BACKOFF,
            on_retry=_neo4j_waited("Neo4j unavailable (%s); retrying in %.1fs"),
        )
        return []
    except Exception as exc:
        if len(events) == 1:
            log.warning("event %s cannot be stored: %s", events[0].event_id, _refusal(exc))
            return [DeadLetter(events[0].source, "record", _refusal(exc), encode_event(events[0]))]
        middle = len(events) // 2
        return await _store(writer, events[:middle], live) + await _store(writer, events[middle:], live)
