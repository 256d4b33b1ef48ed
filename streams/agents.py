"""The two agents: raw -> canonical (normalise) and canonical -> graph (record).

Both read with ``noack_take`` and ack each message only once its outcome is durable: the
canonical events or dead letter acknowledged by the broker, or the batch committed in Neo4j.
Concurrency is 1 per agent: with more, faust may commit the offset of a later message while an
earlier one is still in flight, and a crash would skip it. Nothing raised in a loop body: faust
acks a message whose processing raised, so every failure becomes a dead letter or a retry.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

import faust
import httpx
from aiokafka.errors import KafkaError
from neo4j.exceptions import DriverError, Neo4jError, TransientError

from graph.connection import open_async_driver, open_driver
from graph.writer import GraphWriter
from lineage import metrics
from lineage.answers.live_catalog import LiveCatalog, apply_catalog
from lineage.answers.scheduled_checks import run_checks
from lineage.domain.alerts import AlertHit, alert_hits
from lineage.domain.catalog import Catalog
from lineage.domain.events import DataMovementEvent, encode_event, event_key
from lineage.domain.subjects import SubjectHasher
from lineage.settings import Settings
from streams.app import LineageTopics
from streams.processing import DeadLetter, decode_canonical, normalise, received_time
from streams.sinks import AlertSinks, alert_record
from streams.topics import Topics

log = logging.getLogger(__name__)

NORMALISE_BATCH = 500
RECORD_BATCH = 1000
BATCH_WINDOW_S = 0.05
# The record stage waits longer to fill its batch: Neo4j spends about a fifth less per event on
# batches of ~1,000 than on the ~100 a 50 ms window gathers under load (lineage bench). Nothing
# a user waits for waits on it: the normalise stage has raised the alerts already.
RECORD_WINDOW_S = 0.5
EARLY_ALERT_TIMEOUT_S = 2.0
EARLY_ALERT_PAUSE_S = 15.0
YIELD_EVERY = 100  # events decoded between yields: one batch never holds the loop for long
RETRY_MAX_S = 30.0
RECORD_DEFER_MAX_S = 2.0


def _receipts(batch: Sequence[faust.EventT]) -> Iterator[datetime | None]:
    """When each message of a batch arrived (lazily: read only if the batch raised alerts)."""
    return (received_time(e.message.headers, e.message.timestamp) for e in batch)


def _origin(event: faust.EventT) -> dict[str, Any]:
    msg = event.message
    return {"topic": msg.topic, "partition": msg.partition, "offset": msg.offset}


def register_agents(
    app: faust.App, lineage_topics: LineageTopics, settings: Settings, live: LiveCatalog
) -> None:
    hasher = SubjectHasher(settings.require_subject_key())
    sinks = AlertSinks(settings.alerts)
    names = Topics(settings.topic_namespace)
    canonical, dead_letter = lineage_topics.canonical, lineage_topics.dead_letter
    raw_backlog = Backlog()

    def dead(letter: DeadLetter) -> Outgoing:
        log.warning("dead letter from %s at %s: %s", letter.source, letter.stage, letter.reason)
        metrics.dead_letter(letter.source, letter.stage)
        return dead_letter, letter.source.encode(), letter.to_json()

    def alerted(alerts: Sequence[dict[str, Any]]) -> list[Outgoing]:
        return [(lineage_topics.alerts, a["id"].encode(), alert_record(a)) for a in alerts]

    async def announce(alerts: Sequence[dict[str, Any]]) -> None:
        await _deliver(alerted(alerts))

    @app.agent(lineage_topics.raw, concurrency=1)
    async def normalise_raw(stream: faust.StreamT) -> None:
        driver = open_async_driver(settings)
        early = EarlyAlerts(GraphWriter(driver, settings.neo4j.database))
        try:
            async for batch in stream.noack_take(NORMALISE_BATCH, within=BATCH_WINDOW_S):  # type: ignore[attr-defined]
                raw_backlog.saw(len(batch) == NORMALISE_BATCH)
                started = time.perf_counter()
                outgoing: list[Outgoing] = []
                events: list[DataMovementEvent] = []
                for event in batch:
                    source = names.source_of(event.message.topic)
                    received = received_time(event.message.headers, event.message.timestamp)
                    outcome = normalise(source, event.value, live.adapters, hasher, _origin(event), received)
                    if isinstance(outcome, DeadLetter):
                        outgoing.append(dead(outcome))
                        continue
                    events += outcome
                    outgoing += [(canonical, event_key(e), encode_event(e)) for e in outcome]
                adapted = time.perf_counter()
                announced = await early.announce(_alert_hits(events, live))
                early_done = time.perf_counter()
                await _deliver(alerted(announced) + outgoing)  # acked by the broker (acks=all)
                for event in batch:
                    await stream.ack(event)
                metrics.payloads_read(names.source_of(e.message.topic) for e in batch)
                metrics.batch_done("normalise", len(batch), started, produced=len(events))
                metrics.alerts_published("normalise", len(announced), _receipts(batch))
                log.debug(
                    "normalised %d payloads into %d messages: %.3fs adapt, %.3fs alerts, %.3fs delivery",
                    len(batch),
                    len(outgoing),
                    adapted - started,
                    early_done - adapted,
                    time.perf_counter() - early_done,
                )
        finally:
            await driver.close()

    @app.agent(lineage_topics.canonical, concurrency=1)
    async def record_canonical(stream: faust.StreamT) -> None:
        driver = open_async_driver(settings)
        writer = GraphWriter(driver, settings.neo4j.database)
        try:
            async for batch in stream.noack_take(RECORD_BATCH, within=RECORD_WINDOW_S):  # type: ignore[attr-defined]
                await raw_backlog.defer()
                started = time.perf_counter()
                events: list[DataMovementEvent] = []
                letters: list[DeadLetter] = []
                for number, event in enumerate(batch, start=1):
                    outcome = decode_canonical(event.value, _origin(event))
                    if isinstance(outcome, DeadLetter):
                        letters.append(outcome)
                    else:
                        events.append(outcome)
                    if number % YIELD_EVERY == 0:
                        await asyncio.sleep(0)  # let the normalise agent's alerts through
                decoded = time.perf_counter()
                letters += await _store(writer, events, live)
                refused = {letter.payload for letter in letters}
                stored = [e for e in events if encode_event(e) not in refused] if letters else events
                announced = await _retrying(writer.upsert_alerts, _alert_hits(stored, live))
                await _deliver([dead(letter) for letter in letters] + alerted(announced))
                for event in batch:
                    await stream.ack(event)
                metrics.batch_done("record", len(batch), started, stored=len(stored))
                metrics.alerts_published("record", len(announced), _receipts(batch))
                log.debug(
                    "stored %d events: %.3fs decode, %.3fs Neo4j",
                    len(events),
                    decoded - started,
                    time.perf_counter() - decoded,
                )
        finally:
            await driver.close()

    @app.timer(settings.catalog_check_s)
    async def follow_catalog() -> None:
        """Applies a changed catalog to the graph, then lets the agents judge with it."""
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
        await announce(announced)

    @app.timer(settings.retention_check_s)
    async def clock_checks() -> None:
        """Overdue retention (and erasure deadlines): what the passing of time alone raises."""
        try:
            announced = await asyncio.to_thread(_checks, settings)
        except Exception as exc:
            log.warning("scheduled checks skipped (%s); retrying at the next run", type(exc).__name__)
            return
        await announce(announced)

    @app.agent(lineage_topics.alerts, concurrency=1)
    async def deliver_alerts(stream: faust.StreamT) -> None:
        """Post each alert record to the configured sinks; never holds up the lineage stream."""
        async with httpx.AsyncClient() as client:
            async for record in stream:
                if not sinks.configured:
                    continue
                try:
                    await sinks.deliver(client, json.loads(record))
                except Exception as exc:  # one bad record or sink must not stop the others
                    log.error("alert not delivered to the sinks: %s", type(exc).__name__)


def _checks(settings: Settings) -> list[dict[str, Any]]:
    with open_driver(settings) as driver:
        return run_checks(driver, settings.neo4j.database, settings=settings)


def _apply(settings: Settings, catalog: Catalog, previous: Catalog) -> list[dict[str, Any]]:
    with open_driver(settings) as driver:
        return apply_catalog(driver, settings.neo4j.database, catalog, previous)


Outgoing = tuple[faust.TopicT, bytes, bytes]  # topic, key, value


async def _deliver(outgoing: Sequence[Outgoing]) -> None:
    """Send every record and wait until the broker has acknowledged all of them (acks=all).

    While Kafka is unreachable the whole set is sent again, backing off: the caller acks its
    input only after this returns, and the records downstream are idempotent, so a duplicate
    from a send that did land is harmless and nothing is lost.
    """
    delay = 0.5
    while True:
        try:
            futures = [await topic.send(key=key, value=value) for topic, key, value in outgoing]
            await asyncio.gather(*futures)
            return
        except (TimeoutError, KafkaError, OSError) as exc:
            log.warning(
                "Kafka did not acknowledge %d record(s) (%s); retrying in %.1fs",
                len(outgoing),
                type(exc).__name__,
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)


async def _retrying(
    write: Callable[[list[AlertHit]], Awaitable[list[dict[str, Any]]]], hits: list[AlertHit]
) -> list[dict[str, Any]]:
    """Alerts are written like holdings: Neo4j unavailability is waited out, acks held. An
    error that retrying cannot fix loses the alerts of this batch, never the batch: its events
    are stored, and the next event on the same flow, or the next catalog check, raises them."""
    delay = 0.5
    while True:
        try:
            return await write(hits)
        except (TransientError, DriverError, OSError) as exc:
            metrics.neo4j_retry("record")
            log.warning("Neo4j unavailable for alerts (%s); retrying in %.1fs", type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
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


class EarlyAlerts:
    """Alerts raised by the normalise stage, before the events are stored.

    Waiting for the record stage puts a whole batch's graph write, and the canonical topic's
    queue, in front of an alert: seconds under load. So the normalise stage upserts its batch's
    alert hits itself and announces the new ones at once. It never waits for Neo4j: if the
    upsert fails or takes longer than :data:`EARLY_ALERT_TIMEOUT_S`, it gives up for
    :data:`EARLY_ALERT_PAUSE_S` and normalising goes on; the record stage upserts the same hits
    after storing the events (the upsert is idempotent), which raises anything missed here.
    It writes the alerts without linking their people: the record stage's transaction holds
    those people's locks, and waiting for it took the early path a second a batch (measured);
    the record stage's upsert links them once they are stored.
    """

    def __init__(self, writer: GraphWriter) -> None:
        self._writer = writer
        self._paused_until = 0.0

    async def announce(self, hits: list[AlertHit]) -> list[dict[str, Any]]:
        if not hits or time.monotonic() < self._paused_until:
            return []
        try:
            return await asyncio.wait_for(
                self._writer.upsert_alerts(hits, link_subjects=False), EARLY_ALERT_TIMEOUT_S
            )
        except Exception as exc:
            log.warning(
                "early alerts paused for %.0fs (%s); the record stage raises them",
                EARLY_ALERT_PAUSE_S,
                type(exc).__name__,
            )
            self._paused_until = time.monotonic() + EARLY_ALERT_PAUSE_S
            return []


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


def _refusal(exc: Exception) -> str:
    """Why one event could not be stored, without the values (Neo4j messages quote them)."""
    if isinstance(exc, Neo4jError):
        return f"graph refused event: {exc.code or type(exc).__name__}"
    return f"event cannot be recorded: {type(exc).__name__} in the record stage"


async def _store(
    writer: GraphWriter, events: Sequence[DataMovementEvent], live: LiveCatalog
) -> list[DeadLetter]:
    """Write until Neo4j has the batch. Returns the events that cannot be stored as dead letters.

    Unavailability is waited out (the stream stalls, nothing is acked). Anything else (a row
    Neo4j refuses, an event the retention arithmetic cannot compute, a bug) is narrowed down by
    halving the batch until the event that causes it is alone: it is dead-lettered, the others
    are stored, and the partition moves on.
    """
    delay = 0.5
    while True:
        try:
            await writer.write(events, live.retention)
            return []
        except (TransientError, DriverError, OSError) as exc:
            metrics.neo4j_retry("record")
            log.warning("Neo4j unavailable (%s); retrying in %.1fs", type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
        except Exception as exc:
            if len(events) == 1:
                log.warning("event %s cannot be stored: %s", events[0].event_id, _refusal(exc))
                return [DeadLetter(events[0].source, "record", _refusal(exc), encode_event(events[0]))]
            middle = len(events) // 2
            return await _store(writer, events[:middle], live) + await _store(writer, events[middle:], live)
