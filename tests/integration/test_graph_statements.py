"""Cypher statements on the real Neo4j, where batch composition matters and a worker run
cannot force it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from neo4j import AsyncManagedTransaction, Query, unit_of_work

from graph.alerts import UPSERT_ALERTS, alert_subjects, folded, upsert_alerts
from graph.connection import open_async_driver, open_driver
from graph.identity import ATTACH_IDENTIFIERS
from lineage.settings import Settings

pytestmark = pytest.mark.integration


def hit(subject: str, at: int) -> dict[str, object]:
    return {
        "id": "flow-test",
        "store": "dropbox/recruitment",
        "chain": ["dropbox"],
        "country": "US",
        "reason": "Privacy Shield",
        "mechanism": None,
        "subject": subject,
        "at": at,
        "event_id": f"e-{subject}",
    }


class TestUpsertAlerts:
    def test_several_hits_of_one_flow_in_one_statement_count_every_subject(self, pipeline: Settings) -> None:
        keys = ["a" * 32, "b" * 32, "c" * 32]
        with open_driver(pipeline) as driver:
            database = pipeline.neo4j.database
            driver.execute_query(
                ATTACH_IDENTIFIERS,
                database_=database,
                rows=[{"winner": k, "identifiers": [k]} for k in keys],
            )
            records, _, _ = driver.execute_query(
                UPSERT_ALERTS,
                database_=database,
                rows=folded([hit(k, 1_780_000_000_000 + n) for n, k in enumerate(keys)]),
            )
            (announced,) = [r.data() for r in records]
            assert announced["count"] == 3 and announced["announce"] is True
            assert alert_subjects(driver, database, "flow-test") == keys

            # replaying the same hits changes nothing and announces nothing
            records, _, _ = driver.execute_query(
                UPSERT_ALERTS,
                database_=database,
                rows=folded([hit(k, 1_780_000_000_000 + n) for n, k in enumerate(keys)]),
            )
            assert [(r["count"], r["announce"]) for r in records] == [(3, False)]

    def test_a_link_waits_for_a_merge_under_way_and_ties_the_person_it_made(self, pipeline: Settings) -> None:
        """Another worker is folding the alert's person into someone else (their identifier
        repointed, the loser deleted, not yet committed). The record stage's upsert locks the
        identifier before reading where it points, so it waits and links the winner. It read
        the loser unlocked before: the merge committed, the link met a deleted node
        (EntityNotFound, not retryable) and the batch's alert links were lost (the 3-worker
        scale-out test caught it once in CI)."""
        from concurrent.futures import ThreadPoolExecutor

        loser, winner = "f" * 32, "9" * 32
        with open_driver(pipeline) as driver, ThreadPoolExecutor(1) as pool:
            database = pipeline.neo4j.database
            driver.execute_query(
                ATTACH_IDENTIFIERS,
                database_=database,
                rows=[{"winner": k, "identifiers": [k]} for k in (loser, winner)],
            )
            with driver.session(database=database) as other_worker:
                merge = other_worker.begin_transaction()
                merge.run(
                    """
                    MATCH (i:Identifier {key: $loser})-[r:IDENTIFIES]->(l:Subject)
                    MATCH (w:Subject {key: $winner})
                    DELETE r MERGE (i)-[:IDENTIFIES]->(w) DETACH DELETE l
                    """,
                    loser=loser,
                    winner=winner,
                ).consume()
                linking = pool.submit(
                    driver.execute_query,
                    UPSERT_ALERTS,
                    database_=database,
                    rows=folded([hit(loser, 1_780_000_000_000) | {"id": "flow-merging"}]),
                )
                time.sleep(1.0)
                assert not linking.done(), "the link did not wait for the merge under way"
                merge.commit()
            records, _, _ = linking.result(timeout=60)
            assert [r["announce"] for r in records] == [True]
            assert alert_subjects(driver, database, "flow-merging") == [winner]

    def test_an_early_upsert_announces_without_waiting_for_a_transaction_holding_its_people(
        self, pipeline: Settings
    ) -> None:
        keys = ["d" * 32, "e" * 32]
        hits = [hit(k, 1_780_000_000_000) | {"id": "flow-early"} for k in keys]
        with open_driver(pipeline) as driver:
            database = pipeline.neo4j.database
            driver.execute_query(
                ATTACH_IDENTIFIERS,
                database_=database,
                rows=[{"winner": k, "identifiers": [k]} for k in keys],
            )
            # The record stage's transaction: it holds its people's locks until it commits.
            with driver.session(database=database) as record_stage:
                held = record_stage.begin_transaction()
                held.run(
                    "UNWIND $keys AS k MATCH (:Identifier {key: k})-[:IDENTIFIES]->(s) SET s.held = true",
                    keys=keys,
                ).consume()
                with driver.session(database=database) as normalise_stage:
                    # A transaction timeout, not a wall clock: waiting for the lock would fail it.
                    early = Query(UPSERT_ALERTS, timeout=5.0)
                    records = list(normalise_stage.run(early, rows=folded(hits, link_subjects=False)))
                held.rollback()
            (announced,) = [r.data() for r in records]
            assert (announced["count"], announced["announce"]) == (2, True)
            assert alert_subjects(driver, database, "flow-early") == []

            # The record stage's upsert, once the events are stored, ties the people to it.
            records, _, _ = driver.execute_query(UPSERT_ALERTS, database_=database, rows=folded(hits))
            assert [(r["count"], r["announce"]) for r in records] == [(2, False)]
            assert alert_subjects(driver, database, "flow-early") == keys

            # Raised already: the next early pass leaves it alone, even while it is locked.
            with driver.session(database=database) as record_stage:
                held = record_stage.begin_transaction()
                held.run("MATCH (a:Alert {id: 'flow-early'}) SET a.held = true").consume()
                assert asyncio.run(_early_upsert(pipeline, hits)) == []
                held.rollback()


@unit_of_work(timeout=5.0)  # waiting for a lock would fail it
async def _early(tx: AsyncManagedTransaction, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return await upsert_alerts(tx, rows, link_subjects=False)


async def _early_upsert(settings: Settings, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    driver = open_async_driver(settings)
    try:
        async with driver.session(database=settings.neo4j.database) as session:
            return await session.execute_write(_early, rows)
    finally:
        await driver.close()


def _event(
    kind: str, n: int, key: str, store: str, categories: tuple[str, ...] = (), links: tuple[str, ...] = ()
) -> object:
    from datetime import UTC, datetime

    from lineage.domain.events import CollectionEvent, ConsentEvent, ErasureEvent, SubjectRef
    from lineage.domain.subjects import SubjectType

    common = {
        "event_id": f"order-test:{kind}:{n}:{key[:6]}",
        "source": "demo",
        "store": store,
        "occurred_at": datetime(2026, 3, n, tzinfo=UTC),
        "categories": categories,
        "subject": SubjectRef(type=SubjectType.CUSTOMER, key=key, links=links),
    }
    if kind == "erased":
        return ErasureEvent(action="erased", **common)
    if kind == "unsubscribed":
        return ConsentEvent(action="consent_withdrawn", purpose="marketing.communications.email", **common)
    return CollectionEvent(action="collected", **common)


class TestOrderIndependence:
    """Events of one person come from different partitions: a deletion may be stored before the
    collection it deletes. Each batch here is written alone, in both orders."""

    @pytest.mark.parametrize("order", ["forward", "reversed"])
    def test_a_deletion_stored_before_its_collection_still_erases(
        self, pipeline: Settings, order: str
    ) -> None:
        import asyncio

        from graph.connection import open_async_driver
        from graph.reader import GraphReader
        from graph.writer import GraphWriter
        from lineage.answers.catalog_file import read_catalog
        from lineage.domain.retention import RetentionPolicy

        tag = "0" if order == "forward" else "f"
        ana, bea, cid, cid_crm, dan = (f"{c}{tag}" * 16 for c in "abcde")
        batches = [
            [_event("collected", 1, ana, "brevo/contacts", ("user.contact.email", "user.name"))],
            [_event("erased", 2, ana, "brevo/contacts")],  # everything in the store
            [_event("collected", 1, bea, "s3://acme-hr-cv", ("user.content.private.cv",))],
            [_event("erased", 2, bea, "s3://acme-hr-cv", ("user.content.private.cv",))],
            [_event("collected", 1, cid, "hubspot/contacts", ("user.contact.email",), (cid_crm,))],
            [_event("erased", 2, cid_crm, "hubspot/contacts")],  # by CRM id only: merged later
            [_event("collected", 3, bea, "greenhouse/candidates", ("user.name",))],
            [_event("erased", 2, bea, "greenhouse/candidates")],  # older than what follows
            [_event("collected", 1, dan, "brevo/contacts", ("user.contact.email",))],
            [_event("unsubscribed", 2, dan, "brevo/contacts", ("user.contact.email",))],
            [_event("collected", 1, dan, "hubspot/contacts", ("user.contact.email",))],
            [_event("unsubscribed", 2, dan, "hubspot/contacts")],  # the whole store
        ]
        if order == "reversed":
            batches.reverse()
        policy = RetentionPolicy(read_catalog(pipeline))

        async def write_all() -> None:
            driver = open_async_driver(pipeline)
            try:
                writer = GraphWriter(driver, pipeline.neo4j.database)
                for batch in batches:
                    await writer.write(batch, policy)  # type: ignore[arg-type]
            finally:
                await driver.close()

        asyncio.run(write_all())
        with open_driver(pipeline) as driver:
            reader = GraphReader(driver, pipeline.neo4j.database)
            states = {
                (row["store"], tuple(row["held"]), tuple(row["erased"]))
                for key in (ana, bea, cid)
                for row in reader.subject_map(key)
            }
            dan_lines = [line for line in reader.fingerprint() if line.startswith(dan)]
        assert states == {
            ("brevo/contacts", (), ("user.contact.email", "user.name")),
            ("s3://acme-hr-cv", (), ("user.content.private.cv",)),
            ("hubspot/contacts", (), ("user.contact.email",)),
            ("greenhouse/candidates", ("user.name",), ()),  # collected after the erasure: held
        }
        # withdrawn consent is recorded on both holdings, whichever was stored first
        assert len(dan_lines) == 2
        assert all(line.split("|")[8].startswith("2026-03-02") for line in dan_lines), dan_lines


def _native(column: str, value: object) -> object:
    """A stored value as Python: a holding's moments are epoch milliseconds, its expiry DateTimes."""
    if column in ("first_seen", "last_seen", "erased_at") and isinstance(value, int):
        return datetime.fromtimestamp(value / 1000, UTC)
    return value.to_native() if hasattr(value, "to_native") else value


def test_a_data_map_gives_the_times_the_graph_holds(pipeline: Settings) -> None:
    """The data map reads its times as epoch milliseconds (the driver's DateTime hydration cost
    more than the query): each must equal the time stored, retention times included."""
    from graph.reader import GraphReader
    from graph.writer import GraphWriter
    from lineage.answers.catalog_file import read_catalog
    from lineage.domain.retention import RetentionPolicy

    key = "7133e5" + "0" * 26  # a keyed hash of nobody else in the suite
    events = [
        _event("collected", 3, key, "brevo/contacts", ("user.contact.email", "user.name")),
        _event("collected", 5, key, "hubspot/contacts", ("user.contact.email",)),
        _event("erased", 7, key, "hubspot/contacts"),
    ]

    async def write() -> None:
        driver = open_async_driver(pipeline)
        try:
            await GraphWriter(driver, pipeline.neo4j.database).write(
                events,  # type: ignore[arg-type]
                RetentionPolicy(read_catalog(pipeline)),
            )
        finally:
            await driver.close()

    asyncio.run(write())
    with open_driver(pipeline) as driver:
        rows = GraphReader(driver, pipeline.neo4j.database).subject_map(key)
        stored, _, _ = driver.execute_query(
            """
            MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(:Subject)-[:HAS_HOLDING]->(h)-[:IN_STORE]->(st)
            RETURN st.id AS store, h.category AS category, h.first_seen AS first_seen,
                   h.last_seen AS last_seen, h.erased_at AS erased_at, h.expires_at AS expires_at,
                   h.legal_until AS legal_until, h.state AS state
            """,
            key=key,
            database_=pipeline.neo4j.database,
        )
    by_store: dict[str, list[dict[str, object]]] = {}
    for record in stored:
        row = {k: _native(k, v) for k, v in record.data().items()}
        by_store.setdefault(row["store"], []).append(row)
    assert {row["store"] for row in rows} == set(by_store) == {"brevo/contacts", "hubspot/contacts"}
    for row in rows:
        holdings = by_store[row["store"]]
        assert row["first_seen"] == min(h["first_seen"] for h in holdings)
        assert row["last_seen"] == max(h["last_seen"] for h in holdings)
        assert row["erased_at"] == max((h["erased_at"] for h in holdings if h["erased_at"]), default=None)
        held = {h["category"]: h for h in holdings if h["state"] == "held"}
        assert {r["category"]: (r["expires_at"], r["legal_until"]) for r in row["retention"]} == {
            c: (h["expires_at"], h["legal_until"]) for c, h in held.items()
        }
    brevo = next(row for row in rows if row["store"] == "brevo/contacts")
    assert brevo["first_seen"].isoformat() == "2026-03-03T00:00:00+00:00"
    assert brevo["expires_at"] is not None and brevo["expires_at"].tzinfo is not None
    hubspot = next(row for row in rows if row["store"] == "hubspot/contacts")
    assert hubspot["erased_at"].isoformat() == "2026-03-07T00:00:00+00:00"


def test_a_graph_with_datetime_moments_is_converted_to_epoch_milliseconds(pipeline: Settings) -> None:
    """A graph written when holdings and clocks kept DateTimes, and people their first and last
    sightings: the schema step converts every moment, leaves the expiry a DateTime, and drops
    the Subject's sightings (the holdings keep them)."""
    from graph.schema import apply_schema

    key = "d47e" + "0" * 28
    with open_driver(pipeline) as driver:
        driver.execute_query(
            """
            MERGE (s:Subject {key: $key}) MERGE (st:Store {id: 'migration/store'})
            SET s.first_seen = datetime('2025-01-02T03:04:05.006Z'),
                s.last_seen = datetime('2025-02-01T00:00Z')
            CREATE (s)-[:HAS_HOLDING]->(h:Holding {id: $key + '|migration/store|user.name',
                    first_seen: datetime('2025-01-02T03:04:05.006Z'),
                    last_seen: datetime('2025-02-01T00:00Z'),
                    contact_at: datetime('2025-02-01T00:00Z'), expires_at: datetime('2028-02-01T00:00Z')})
                   -[:IN_STORE]->(st)
            CREATE (s)-[:CLOCK {erased_at: datetime('2025-03-01T00:00Z'), erased_event: 'e1'}]->(st)
            """,
            key=key,
            database_=pipeline.neo4j.database,
        )
        driver.execute_query("MATCH (m:Migration) DELETE m", database_=pipeline.neo4j.database)
        apply_schema(driver, pipeline.neo4j.database)
        records, _, _ = driver.execute_query(
            """
            MATCH (s:Subject {key: $key})-[:HAS_HOLDING]->(h:Holding), (s)-[c:CLOCK]->()
            RETURN h.first_seen AS first, h.last_seen AS last, h.contact_at AS contact,
                   h.erased_at AS erased, h.expires_at AS expires, c.erased_at AS clock_erased,
                   c.erased_event AS clock_event, s.first_seen AS subject_first, s.last_seen AS subject_last
            """,
            key=key,
            database_=pipeline.neo4j.database,
        )
        driver.execute_query(
            "MATCH (s:Subject {key: $key})-[:HAS_HOLDING]->(h) DETACH DELETE s, h",
            key=key,
            database_=pipeline.neo4j.database,
        )
    row = records[0].data()
    assert row["first"] == int(datetime(2025, 1, 2, 3, 4, 5, 6000, UTC).timestamp() * 1000)
    assert row["last"] == row["contact"] == int(datetime(2025, 2, 1, tzinfo=UTC).timestamp() * 1000)
    assert row["erased"] is None
    assert row["expires"].to_native() == datetime(2028, 2, 1, tzinfo=UTC)
    assert row["clock_erased"] == int(datetime(2025, 3, 1, tzinfo=UTC).timestamp() * 1000)
    assert row["clock_event"] == "e1"
    assert row["subject_first"] is None and row["subject_last"] is None
    with open_driver(pipeline) as driver:  # done once: a later start reads the record of it
        marked, _, _ = driver.execute_query(
            "MATCH (m:Migration) RETURN collect(m.id) AS ids", database_=pipeline.neo4j.database
        )
    assert marked[0]["ids"] == ["epoch-ms-moments"]
