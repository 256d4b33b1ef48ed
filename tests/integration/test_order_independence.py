"""The graph is a function of the events, not of their order or batching.

A person's payloads come from several sources and partitions, so the worker stores them in an
order nobody chooses, cut into batches it cannot predict. Here the demo company's multi-source
feed (identity links between CRM ids, e-mails and bucket keys, deletions, bucket objects, copies
to Dropbox) is written through the worker's own writer in several orders and batch sizes, each
from an empty graph, and the full fingerprints (every node, relationship and property) compared.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from datetime import timedelta

import pytest

from graph.connection import open_async_driver, open_driver
from graph.writer import GraphWriter
from lineage.answers.live_catalog import LiveCatalog
from lineage.demo.run import feed_payloads
from lineage.domain.alerts import alert_hits
from lineage.domain.events import ConsentEvent, DataMovementEvent
from lineage.domain.subjects import SubjectHasher
from lineage.settings import Settings
from lineage_lab import statements
from lineage_lab.fingerprint import fingerprint_difference, graph_fingerprint
from streams.processing import DeadLetter, normalise
from tests.servers import TEST_SUBJECT_KEY

pytestmark = pytest.mark.integration

PEOPLE = 120


def demo_events(live: LiveCatalog) -> list[DataMovementEvent]:
    hasher = SubjectHasher(TEST_SUBJECT_KEY.encode())
    events: list[DataMovementEvent] = []
    for source, payloads in feed_payloads(PEOPLE).items():
        for raw in payloads:
            outcome = normalise(source, raw, live.adapters, hasher)
            if not isinstance(outcome, DeadLetter):
                events += outcome
    return events + consents_given(events)


def consents_given(events: Sequence[DataMovementEvent]) -> list[DataMovementEvent]:
    """Each withdrawal's person gave consent a day before, and every other one again a day after:
    the latest consent and the latest withdrawal must come out the same in any order."""
    given: list[DataMovementEvent] = []
    withdrawals = [e for e in events if isinstance(e, ConsentEvent) and e.action == "consent_withdrawn"]
    for n, event in enumerate(withdrawals):
        for days in (-1, 1) if n % 2 else (-1,):
            given.append(
                event.model_copy(
                    update={
                        "event_id": f"{event.event_id}:given{days:+d}",
                        "action": "consent_given",
                        "occurred_at": event.occurred_at + timedelta(days=days),
                    }
                )
            )
    return given


def build(
    settings: Settings, live: LiveCatalog, events: Sequence[DataMovementEvent], batch_size: int
) -> list[str]:
    """An empty graph, the events written as the record agent writes them, its fingerprint."""
    with open_driver(settings) as driver:
        driver.execute_query(statements.WIPE, database_=settings.neo4j.database)

    async def write_all() -> None:
        driver = open_async_driver(settings)
        try:
            writer = GraphWriter(driver, settings.neo4j.database)
            for start in range(0, len(events), batch_size):
                batch = events[start : start + batch_size]
                await writer.write(batch, live.retention)
                await writer.upsert_alerts(alert_hits(batch, live.unapproved, live.unapproved_moves))
        finally:
            await driver.close()

    asyncio.run(write_all())
    with open_driver(settings) as driver:
        return graph_fingerprint(driver, settings.neo4j.database)


def test_any_order_and_batching_builds_the_same_graph(pipeline: Settings) -> None:
    live = LiveCatalog.load(pipeline.catalog)
    events = demo_events(live)
    actions = {e.action for e in events}
    assert {"collected", "erased", "copied", "consent_withdrawn", "consent_given"} <= actions, actions
    assert any(e.subject.links for e in events)

    chronological = sorted(events, key=lambda e: (e.occurred_at, e.event_id))
    reference = build(pipeline, live, chronological, batch_size=1000)
    assert any("Holding" in line for line in reference)
    assert any(line.startswith("(Consent ") and "given_at" in line for line in reference)

    shuffled = random.Random(11).sample(events, len(events))
    for label, order, size in (
        ("reversed, batches of 7", chronological[::-1], 7),
        ("shuffled, batches of 50", shuffled, 50),
    ):
        difference = fingerprint_difference(reference, build(pipeline, live, order, size))
        assert difference == {"lost": [], "extra": []}, (
            label,
            json.dumps({k: v[:6] for k, v in difference.items()}, indent=1),
        )
