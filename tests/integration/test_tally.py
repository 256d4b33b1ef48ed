"""The counts of held data (graph.tally) give the answers that scanning every holding gives.

Transfer impact and the record of processing read counts instead of holdings. Here the demo
company's feed (identity links that merge people, erasures, consent withdrawals, copies) is
written through the worker's own writer in a shuffled order and small batches, so people are
merged after they were counted. The counts, with the queue not yet folded, after folding it,
after a first pass over a graph written without them, and after people are forgotten, must
equal what the scanning queries count on the same graph.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

import pytest

from graph import reader, tally
from graph.connection import open_async_driver, open_driver
from graph.reader import GraphReader
from graph.ropa import OBSERVED_STORES, observed_stores
from graph.writer import GraphWriter
from lineage.answers.live_catalog import LiveCatalog
from lineage.domain.events import DataMovementEvent
from lineage.settings import Settings
from lineage_lab import statements
from tests.integration.test_order_independence import demo_events

pytestmark = pytest.mark.integration


def _write(settings: Settings, live: LiveCatalog, events: Sequence[DataMovementEvent], fold_at: int) -> None:
    """Batches of 37 through GraphWriter; the counts folded once after ``fold_at`` batches, so
    later batches change people who already have a tally."""

    async def write_all() -> None:
        driver = open_async_driver(settings)
        try:
            writer = GraphWriter(driver, settings.neo4j.database)
            for n, start in enumerate(range(0, len(events), 37)):
                await writer.write(events[start : start + 37], live.retention)
                if n == fold_at:
                    await asyncio.to_thread(_fold, settings)
        finally:
            await driver.close()

    asyncio.run(write_all())


def _fold(settings: Settings) -> None:
    with open_driver(settings) as driver:
        assert tally.refresh_all(driver, settings.neo4j.database) > 0


def _scanned(settings: Settings, store_sets: list[list[str]]) -> dict[str, Any]:
    """The answers from the holdings themselves (the queries used before the counts)."""
    with open_driver(settings) as driver:

        def rows(query: str, **params: Any) -> list[dict[str, Any]]:
            records, _, _ = driver.execute_query(query, params, database_=settings.neo4j.database)
            return [r.data() for r in records]

        every = store_sets[0]
        return {
            "held": rows(reader.HELD_IN_STORES, stores=every),
            "subjects": [rows(reader.SUBJECTS_IN_STORES, stores=s)[0]["subjects"] for s in store_sets],
            "ropa": [
                (r["store"], r["subjects"], sorted(r["subject_types"]), sorted(r["categories"]))
                for r in rows(OBSERVED_STORES)
            ],
        }


def _counted(settings: Settings, store_sets: list[list[str]]) -> dict[str, Any]:
    with open_driver(settings) as driver:
        counts = tally.read_counts(driver, settings.neo4j.database)
        assert counts is not None, "the counts should be ready"
        ropa = observed_stores(driver, settings.neo4j.database)
        reader = GraphReader(driver, settings.neo4j.database)
        assert reader.held_in_stores(store_sets[0]) == counts.held_in_stores(store_sets[0])
        return {
            "held": counts.held_in_stores(store_sets[0]),
            "subjects": [reader.subjects_in_stores(s) for s in store_sets],
            "ropa": [(o.store, o.subjects, list(o.subject_types), list(o.categories)) for o in ropa],
        }


def _queued(settings: Settings) -> int:
    with open_driver(settings) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (q:TallyQueue) RETURN count(q) AS n", database_=settings.neo4j.database
        )
    return records[0]["n"]


def _folded_away(settings: Settings) -> int:
    with open_driver(settings) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (t:Tally) WHERE NOT EXISTS { (:Subject {key: t.subject}) } RETURN count(t) AS n",
            database_=settings.neo4j.database,
        )
    return records[0]["n"]


def test_counts_answer_what_scanning_the_holdings_answers(
    pipeline: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = LiveCatalog.load(pipeline.catalog)
    events = demo_events(live)
    random.Random(7).shuffle(events)
    assert any(e.subject.links for e in events) and any(e.action == "erased" for e in events)
    _write(pipeline, live, events, fold_at=len(events) // 74)

    stores = sorted({s.id for _, s in live.catalog.stores()})
    store_sets = [stores, *([s] for s in stores), stores[::3], stores[1::4]]
    expected = _scanned(pipeline, store_sets)
    assert sum(expected["subjects"][1:]) > expected["subjects"][0] > 0, expected["subjects"]
    assert _queued(pipeline) > 0, "some batches should still be queued"
    assert _folded_away(pipeline) > 0, "some counted people should have been merged into others since"
    assert _counted(pipeline, store_sets) == expected, "counts plus the queue"

    _fold(pipeline)
    assert _queued(pipeline) == 0
    assert _counted(pipeline, store_sets) == expected, "counts after folding the queue"

    # A graph that predates the counts: readers scan until the first pass is done, in pages.
    with open_driver(pipeline) as driver:
        tally.forget(driver, pipeline.neo4j.database)
        assert tally.read_counts(driver, pipeline.neo4j.database) is None
        monkeypatch.setattr(tally, "FIRST_PASS_PAGE", 7)
        tally.refresh(driver, pipeline.neo4j.database)
        assert tally.read_counts(driver, pipeline.neo4j.database) is None, "first pass not done yet"
        assert GraphReader(driver, pipeline.neo4j.database).held_in_stores(stores) == expected["held"]
    _fold(pipeline)
    assert _counted(pipeline, store_sets) == expected, "counts after the first pass"

    # People who leave (the bench forgets its own) leave the counts too.
    gone = sorted({e.subject.key for e in events})[:40]
    with open_driver(pipeline) as driver:
        driver.execute_query(statements.FORGET_SUBJECTS, subjects=gone, database_=pipeline.neo4j.database)
    smaller = _scanned(pipeline, store_sets)
    assert smaller["subjects"][0] < expected["subjects"][0]
    assert _counted(pipeline, store_sets) == smaller, "counts plus the forgotten people's queue"
    _fold(pipeline)
    assert _counted(pipeline, store_sets) == smaller


def test_a_link_alone_moves_both_people_into_one(pipeline: Settings) -> None:
    """A CRM merge names identifiers and moves no data: the batch writes no holding, yet two
    counted people become one, held in both stores."""
    from datetime import UTC, datetime

    from lineage.domain.events import CollectionEvent, IdentityEvent, SubjectRef
    from lineage.domain.subjects import SubjectType

    live = LiveCatalog.load(pipeline.catalog)
    ana, bea, crm = ("a" * 32, "b" * 32, "c" * 32)

    def ref(key: str, links: tuple[str, ...] = ()) -> SubjectRef:
        return SubjectRef(type=SubjectType.CUSTOMER, key=key, links=links)

    at = datetime(2026, 3, 1, tzinfo=UTC)
    collected = [
        CollectionEvent(
            action="collected",
            event_id=f"tally-test:{n}",
            source="demo",
            store=store,
            occurred_at=at,
            categories=("user.contact.email",),
            subject=ref(key),
        )
        for n, (key, store) in enumerate(((ana, "brevo/contacts"), (bea, "hubspot/contacts")))
    ]
    linked = IdentityEvent(
        action="linked",
        event_id="tally-test:link",
        source="demo",
        store="hubspot/contacts",
        occurred_at=at,
        categories=(),
        subject=ref(crm, (ana, bea)),
    )
    _write(pipeline, live, collected, fold_at=0)
    stores = [["brevo/contacts", "hubspot/contacts"], ["brevo/contacts"], ["hubspot/contacts"]]
    assert _counted(pipeline, stores)["subjects"] == [2, 1, 1]
    _write(pipeline, live, [linked], fold_at=-1)
    expected = _scanned(pipeline, stores)
    assert expected["subjects"] == [1, 1, 1]
    assert _counted(pipeline, stores) == expected
    _fold(pipeline)
    assert _counted(pipeline, stores) == expected


def _queued_keys(settings: Settings) -> set[str]:
    with open_driver(settings) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (q:TallyQueue) UNWIND q.keys AS k RETURN collect(DISTINCT k) AS keys",
            database_=settings.neo4j.database,
        )
    return set(records[0]["keys"])


def test_only_batches_that_change_what_a_person_holds_queue_them(pipeline: Settings) -> None:
    """A sighting of data held already changes no count: queueing its person would have the
    count refresh read all their holdings again for nothing. A new category and an erasure
    change what they hold, and queue them."""
    from datetime import UTC, datetime, timedelta

    from lineage.domain.events import CollectionEvent, ErasureEvent, SubjectRef
    from lineage.domain.subjects import SubjectType

    live = LiveCatalog.load(pipeline.catalog)
    dana = "d" * 32
    person = SubjectRef(type=SubjectType.CUSTOMER, key=dana)
    at = datetime(2026, 4, 1, tzinfo=UTC)

    def collected(n: int, category: str, action: str = "collected") -> CollectionEvent:
        return CollectionEvent(
            action=action,  # type: ignore[arg-type]
            event_id=f"tally-queue-test:{n}",
            source="demo",
            store="brevo/contacts",
            occurred_at=at + timedelta(days=n),
            categories=(category,),
            subject=person,
        )

    _write(pipeline, live, [collected(0, "user.contact.email")], fold_at=0)
    assert dana not in _queued_keys(pipeline)

    _write(pipeline, live, [collected(1, "user.contact.email", "updated")], fold_at=-1)
    assert dana not in _queued_keys(pipeline), "the same category seen again changes no count"

    _write(pipeline, live, [collected(2, "user.name")], fold_at=-1)
    assert dana in _queued_keys(pipeline), "a new category does"
    _fold(pipeline)

    erased = ErasureEvent(
        action="erased",
        event_id="tally-queue-test:erased",
        source="demo",
        store="brevo/contacts",
        occurred_at=at + timedelta(days=3),
        categories=(),
        subject=person,
    )
    _write(pipeline, live, [erased], fold_at=-1)
    assert dana in _queued_keys(pipeline), "an erasure does"
    _fold(pipeline)
    stores = [["brevo/contacts"]]
    assert _counted(pipeline, stores) == _scanned(pipeline, stores)
