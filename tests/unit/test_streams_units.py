"""The pure parts of the stream side: processing outcomes, batch rows, topics, input splitting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from graph import holdings, schema
from graph.model import Label
from graph.writer import by_subject, rows_for
from lineage.cli.inputs import split_payloads
from lineage.domain.catalog import parse_catalog
from lineage.domain.events import (
    ActivityEvent,
    ActivityKind,
    CollectionEvent,
    ConsentEvent,
    ErasureEvent,
    MovementEvent,
    SubjectRef,
    encode_event,
)
from lineage.domain.retention import RetentionPolicy
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.kafka.topics import Topics
from lineage.settings import Settings
from lineage.sources import build_adapters
from streams import agents, early_alerts
from streams.processing import DeadLetter, decode_canonical, normalise

HASHER = SubjectHasher(b"unit-test-key-0123456789")
ADAPTERS = build_adapters(parse_catalog(Settings().catalog.read_text()))
WHEN = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
LIST_ADDITION = {
    "id": 771204,
    "email": "lea.martin@example.fr",
    "event": "list_addition",
    "key": "f3a9c1d07e",
    "list_id": [42],
    "date": "2026-03-06 12:05:00",
    "ts": 1772795100,
}


def ref() -> SubjectRef:
    return SubjectRef(type=SubjectType.CUSTOMER, key=HASHER.email("lea.martin@example.fr"))


class TestNormalise:
    def test_good_payload_becomes_events(self) -> None:
        outcome = normalise("brevo", json.dumps(LIST_ADDITION).encode(), ADAPTERS, HASHER)
        assert isinstance(outcome, list) and outcome
        assert all(e.subject.key == HASHER.email("lea.martin@example.fr") for e in outcome)

    def test_not_json_is_a_dead_letter_keeping_the_bytes(self) -> None:
        raw = b"\xff{not json"
        outcome = normalise("brevo", raw, ADAPTERS, HASHER, {"topic": "t", "partition": 0, "offset": 7})
        assert isinstance(outcome, DeadLetter)
        assert outcome.reason.startswith("not JSON") and outcome.payload == raw
        record = json.loads(outcome.to_json())
        assert record["offset"] == 7 and record["stage"] == "normalise"
        assert "payload_base64" in record  # not UTF-8, still kept whole

    def test_adapter_refusal_is_a_dead_letter_with_its_reason(self) -> None:
        outcome = normalise("brevo", b'{"event": "list_addition"}', ADAPTERS, HASHER)
        assert isinstance(outcome, DeadLetter) and "email" in outcome.reason
        assert json.loads(outcome.to_json())["payload"] == '{"event": "list_addition"}'

    def test_bad_canonical_event_is_a_dead_letter(self) -> None:
        outcome = decode_canonical(b'{"action": "collected"}')
        assert isinstance(outcome, DeadLetter) and "event_id" in outcome.reason


class TestBatchRows:
    def test_each_event_kind_goes_to_its_statement(self) -> None:
        common = {"occurred_at": WHEN, "source": "brevo", "subject": ref()}
        events = [
            CollectionEvent(
                event_id="e:0000001",
                action="collected",
                store="brevo/contacts",
                categories=("user.contact.email", "user.name"),
                **common,
            ),
            ActivityEvent(
                event_id="e:0000002",
                action="activity",
                store="brevo/contacts",
                activity=ActivityKind.CLICKED,
                categories=("user.behavior",),
                **common,
            ),
            MovementEvent(
                event_id="e:0000003",
                action="copied",
                store="s3://cv",
                destination="dropbox/recruitment",
                categories=("user.content.private",),
                **common,
            ),
            ErasureEvent(
                event_id="e:0000004",
                action="erased",
                store="brevo/contacts",
                **common | {"occurred_at": WHEN + timedelta(days=1)},
            ),
            ConsentEvent(
                event_id="e:0000005",
                action="consent_withdrawn",
                store="brevo/contacts",
                purpose="marketing.communications.email",
                **common,
            ),
        ]
        rows = rows_for(events)
        assert [(r["store"], r["category"]) for r in rows.holdings] == [
            ("brevo/contacts", "user.contact.email"),
            ("brevo/contacts", "user.name"),
            ("brevo/contacts", "user.behavior"),
            ("s3://cv", "user.content.private"),
            ("dropbox/recruitment", "user.content.private"),
        ]
        assert rows.flows[0]["destination"] == "dropbox/recruitment"
        assert rows.erasures[0]["categories"] == [] and rows.erasures[0]["erasure"] == "erased"
        assert rows.consents[0]["purpose"] == "marketing.communications.email"
        # store-wide moments before the holdings (whose write reads them), erasures after
        assert [q for q, _ in rows.before_holdings()] == [holdings.MARK_STORE_CLOCKS]
        assert holdings.MARK_ERASED in [q for q, _ in rows.after_holdings()]

    def test_a_collection_from_an_indirect_source_is_not_contact(self) -> None:
        event = CollectionEvent(
            event_id="e:0000007",
            action="collected",
            occurred_at=WHEN,
            source="infogreffe",
            subject=ref(),
            store="hubspot/contacts",
            categories=("user.contact.email",),
        )
        direct = rows_for([event]).holdings[0]["marks"]
        indirect = rows_for([event], indirect_sources={"infogreffe"}).holdings[0]["marks"]
        assert "contact" in direct and "contact" not in indirect
        assert "collected" in indirect

    def test_rows_carry_the_hash_not_the_address(self) -> None:
        event = CollectionEvent(
            event_id="e:0000006",
            action="collected",
            occurred_at=WHEN,
            source="brevo",
            subject=ref(),
            store="brevo/contacts",
            categories=("user.contact.email",),
        )
        assert "example.fr" not in json.dumps(rows_for([event]).holdings, default=str)
        assert "example.fr" not in encode_event(event).decode()

    def test_rows_reach_neo4j_in_store_order(self) -> None:
        """Every transaction takes the stores' locks in one order: two workers' batches wait for
        each other instead of deadlocking (see BatchRows.holding_writes)."""
        stores = ["s3://cv", "brevo/contacts", "dropbox/recruitment", "brevo/contacts"]
        events = [
            MovementEvent(
                event_id=f"e:00000{n}",
                action="copied",
                occurred_at=WHEN,
                source="s3",
                subject=SubjectRef(type=SubjectType.JOB_APPLICANT, key=f"{9 - n}" * 32),
                store=store,
                destination="hubspot/contacts" if n % 2 else "brevo/contacts",
                categories=("user.content.private",),
            )
            for n, store in enumerate(stores)
        ]
        rows = rows_for(events)
        policy = RetentionPolicy(parse_catalog(Settings().catalog.read_text()))
        written = [(w["store"], w["subject"]) for w in rows.holding_writes(policy)]
        assert written == sorted(written) and len(written) == 8
        (_, flows), *_ = rows.after_holdings()
        assert [(f["store"], f["destination"]) for f in flows] == sorted(
            (f["store"], f["destination"]) for f in rows.flows
        )


class TestRowsByPerson:
    """Two identifiers of one person in a batch name the same holdings: the writer gives
    MERGE_HOLDINGS one row per holding, folded as the sightings one by one would be."""

    def _sightings(self) -> list[CollectionEvent]:
        return [
            CollectionEvent(
                event_id=event_id,
                action="collected",
                occurred_at=WHEN + timedelta(days=day),
                source="brevo",
                subject=SubjectRef(type=SubjectType.CUSTOMER, key=key),
                store="brevo/contacts",
                categories=("user.contact.email",),
                purpose=purpose,
            )
            for event_id, day, key, purpose in (
                ("e:000002", 2, "a" * 32, "marketing.advertising"),
                ("e:000001", 1, "b" * 32, "essential.service"),
                ("e:000003", 3, "b" * 32, None),
            )
        ]

    def test_rows_of_one_person_fold_into_one_per_holding(self) -> None:
        policy = RetentionPolicy(parse_catalog(Settings().catalog.read_text()))
        rows = rows_for(self._sightings()).holding_writes(policy)
        assert len(rows) == 2
        [row] = by_subject(rows, {"a" * 32: "a" * 32, "b" * 32: "a" * 32})
        assert row["subject"] == "a" * 32
        assert (row["first_at"], row["first_event"]) == (_ms(WHEN + timedelta(days=1)), "e:000001")
        assert (row["last_at"], row["last_event"]) == (_ms(WHEN + timedelta(days=3)), "e:000003")
        assert (row["collected_at"], row["collected_event"]) == (row["last_at"], "e:000003")
        assert row["purposes"] == ["essential.service", "marketing.advertising"]

    def test_folding_all_sightings_at_once_gives_the_same_row(self) -> None:
        """Folded per identifier then per person, or all together as one identifier's."""
        policy = RetentionPolicy(parse_catalog(Settings().catalog.read_text()))
        one_key = [
            e.model_copy(update={"subject": e.subject.model_copy(update={"key": "a" * 32})})
            for e in self._sightings()
        ]
        [together] = rows_for(one_key).holding_writes(policy)
        [folded] = by_subject(rows_for(self._sightings()).holding_writes(policy), {"b" * 32: "a" * 32})
        assert folded == together

    def test_rows_of_other_people_stay_apart_in_store_order(self) -> None:
        policy = RetentionPolicy(parse_catalog(Settings().catalog.read_text()))
        rows = by_subject(rows_for(self._sightings()).holding_writes(policy), {})
        assert [r["subject"] for r in rows] == ["a" * 32, "b" * 32]


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class TestRecordGivesWay:
    def test_the_record_stage_waits_while_the_normalise_stage_is_behind_but_never_for_long(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(agents, "RECORD_DEFER_MAX_S", 0.3)
        backlog = agents.Backlog()

        async def deferred(full_batch: bool) -> float:
            backlog.saw(full_batch)
            started = time.monotonic()
            await backlog.defer()
            return time.monotonic() - started

        assert asyncio.run(deferred(False)) < 0.05
        assert 0.3 <= asyncio.run(deferred(True)) < 1.0


class TestStageLoop:
    def test_the_next_batch_is_prepared_during_a_write_but_written_and_committed_in_order(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Overlap without reordering: batch N+1 is prepared while N is handled, and N+1's
        handling starts only after N is committed (a commit never passes a batch in flight)."""
        journal: list[str] = []
        batches = [[f"b{n}"] for n in range(4)]

        class FakeConsumer:
            def __init__(self, *_: object) -> None:
                pass

            async def start(self) -> None:
                pass

            async def take(self, size: int, window_s: float) -> list[str]:
                if not batches:
                    await asyncio.sleep(3600)  # idle, as a consumer with nothing to read
                return batches.pop(0)

            async def commit(self, batch: list[str]) -> None:
                journal.append(f"commit {batch[0]}")

            async def stop(self) -> None:
                journal.append("stop")

        async def prepare(batch: list[str]) -> str:
            journal.append(f"prepare {batch[0]}")
            return batch[0]

        async def handle(batch: list[str], prepared: str) -> None:
            journal.append(f"handle {prepared}")
            await asyncio.sleep(0.02)  # the write: Neo4j's time
            journal.append(f"handled {prepared}")

        monkeypatch.setattr(agents, "BatchConsumer", FakeConsumer)
        settings = Settings(subject_key="unit-test-key-0123456789")
        stages = agents.Stages(settings, agents.LiveCatalog.load(settings.catalog))

        async def run() -> None:
            consume = asyncio.ensure_future(
                stages._consume(["t"], "record", 10, 0.01, prepare, handle)  # type: ignore[arg-type]
            )
            deadline = time.monotonic() + 30
            while "commit b3" not in journal and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            consume.cancel()  # as the worker's stop does
            await asyncio.gather(consume, return_exceptions=True)

        asyncio.run(run())
        assert journal.index("prepare b1") < journal.index("handled b0")  # overlapped
        for n in range(3):
            assert journal.index(f"commit b{n}") < journal.index(f"handle b{n + 1}")
        assert [e for e in journal if e.startswith("commit")] == [f"commit b{n}" for n in range(4)]
        assert journal[-1] == "stop"


class TestRecordLanes:
    def test_each_lane_is_a_consumer_of_its_own_and_the_group_waits_for_all(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Lanes share the canonical topic's partitions through the group, like workers do;
        a worker counts as joined only once its normalise stage and every lane are members."""
        from lineage.kafka.topics import stage_consumers
        from streams import agents

        consumers: list[str] = []

        class NamedConsumer:
            def __init__(self, settings: Settings, topics: list[str], stage: str) -> None:
                consumers.append(stage)
                raise RuntimeError("stop here")  # only the consumer's name is looked at

        monkeypatch.setattr(agents, "BatchConsumer", NamedConsumer)
        monkeypatch.setattr(agents, "open_async_driver", lambda settings: _ClosableDriver())
        settings = Settings(subject_key="unit-test-key-0123456789", record_lanes=3)
        stages = agents.Stages(settings, agents.LiveCatalog.load(settings.catalog))
        runs = stages.all()
        assert list(runs) == ["normalise", "record-0", "record-1", "record-2"]
        assert stage_consumers(settings.record_lanes) == tuple(runs)
        for name in list(runs)[1:]:
            with pytest.raises(RuntimeError):
                asyncio.run(runs[name]())
        assert consumers == ["record-0", "record-1", "record-2"]


class _ClosableDriver:
    async def close(self) -> None:
        return None


class TestLagProbe:
    def test_a_commit_landing_between_the_reads_never_looks_caught_up(self) -> None:
        """The normalise stage publishes its events, then commits the raw offsets. The probe
        must not pair raw commits with canonical ends read before those events existed."""
        from kafka import TopicPartition
        from kafka.structs import OffsetAndMetadata

        from streams.monitor import LagProbe

        raw, canonical = TopicPartition("t.raw.brevo", 0), TopicPartition("t.events", 0)
        state = {"published": False}

        class Admin:
            def list_group_offsets(self, _: object) -> dict[str, dict[TopicPartition, object]]:
                state["published"] = True  # the stage published and committed just now
                return {"g": {raw: OffsetAndMetadata(4, "", -1)}}

        class Consumer:
            def partitions_for_topic(self, name: str) -> set[int]:
                return {0}

            def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
                return {raw: 4, canonical: 4 if state["published"] else 0}

        probe = LagProbe("127.0.0.1:9", "g")
        probe._clients = (Admin(), Consumer())  # type: ignore[assignment]
        assert probe.lag([raw.topic, canonical.topic]) == 4  # the 4 events not stored yet


class _Hit(str):
    """A hit named by its alert's id."""

    @property
    def id(self) -> str:
        return str(self)

    def row(self) -> dict[str, object]:
        return {"id": str(self), "kind": "unapproved_transfer", "severity": "high", "store": "s"} | {
            "chain": ["p"],
            "country": "US",
            "reason": "r",
            "mechanism": None,
            "subject": "k",
            "at": 0,
        }


class _HeldWriter:
    """An upsert that waits until the test lets it through; records what each upsert got."""

    def __init__(self, fail_first: bool = False, raised: set[str] | None = None) -> None:
        self.upserts: list[list[str]] = []
        self.gate = asyncio.Event()
        self.fail_first = fail_first
        self._raised = raised

    async def raised(self) -> set[str]:
        if self._raised is None:
            raise OSError("Neo4j is away")  # the early pass then announces after writing
        return set(self._raised)

    async def upsert_alerts(self, hits: list[str], link_subjects: bool) -> list[dict[str, str]]:
        assert link_subjects is False  # the early pass never waits for people's locks
        self.upserts.append(list(hits))
        await self.gate.wait()
        if self.fail_first and len(self.upserts) == 1:
            raise OSError("Neo4j is away")
        return [{"id": hit} for hit in hits]


def _early(writer: _HeldWriter, announced: list[list[dict[str, str]]]) -> early_alerts.EarlyAlerts:
    async def announce(alerts: list[dict[str, str]]) -> None:
        announced.append(alerts)

    return early_alerts.EarlyAlerts(writer, announce, lambda batch: [])  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def _announcing(early: early_alerts.EarlyAlerts) -> AsyncIterator[None]:
    """The announcer running beside the test's steps, as beside the normalise stage."""
    running = asyncio.ensure_future(early.run())
    try:
        yield
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


class TestEarlyAlerts:
    def test_the_stage_never_waits_and_hits_offered_meanwhile_go_in_the_next_upsert(self) -> None:
        """A round trip to Neo4j per normalise batch would make the stage fall behind its raw
        topics under a burst: offering returns at once, and the announcer folds what waits."""
        writer, announced = _HeldWriter(), []

        async def scenario() -> None:
            early = _early(writer, announced)
            async with _announcing(early):
                early.offer([_Hit("a")], [])
                await _until(lambda: len(writer.upserts) == 1)
                early.offer([_Hit("b")], [])
                early.offer([_Hit("c")], [])
                assert writer.upserts == [["a"]]  # b and c wait: one upsert at a time
                writer.gate.set()
                await _until(lambda: len(announced) == 2)

        asyncio.run(scenario())
        assert writer.upserts == [["a"], ["b", "c"]]
        assert announced == [[{"id": "a"}], [{"id": "b"}, {"id": "c"}]]

    def test_a_failed_upsert_pauses_the_early_pass_and_leaves_its_hits_to_the_record_stage(self) -> None:
        writer, announced = _HeldWriter(fail_first=True), []
        writer.gate.set()

        async def scenario() -> None:
            early = _early(writer, announced)
            async with _announcing(early):
                early.offer([_Hit("a")], [])
                await _until(lambda: early._paused_until > 0)
                early.offer([_Hit("b")], [])
                await asyncio.sleep(0.1)

        asyncio.run(scenario())
        assert writer.upserts == [["a"]] and announced == []

    def test_at_stop_the_upsert_under_way_is_not_cancelled_and_what_it_raised_is_announced(self) -> None:
        """A cancelled upsert may commit all the same; the record stage then finds the alert
        raised and announces nothing: the alert would never reach the topic."""
        writer, announced = _HeldWriter(), []

        async def scenario() -> None:
            early = _early(writer, announced)
            async with _announcing(early):  # stopped with the upsert still held
                early.offer([_Hit("a")], [])
                await _until(lambda: len(writer.upserts) == 1)
            asyncio.get_running_loop().call_later(0.1, writer.gate.set)
            await early.close()

        asyncio.run(scenario())
        assert announced == [[{"id": "a"}]]

    def test_with_the_raised_alerts_read_a_new_alert_is_announced_before_its_write(self) -> None:
        """Under load a write waits seconds for Neo4j; the alert does not. Hits of alerts
        raised already are left to the record stage without a read."""
        writer, announced = _HeldWriter(raised={"old"}), []

        async def scenario() -> None:
            early = _early(writer, announced)
            async with _announcing(early):
                early.offer([_Hit("old"), _Hit("a")], [])
                await _until(lambda: len(announced) == 1)
                assert [a["id"] for a in announced[0]] == ["a"] and writer.upserts == [["a"]]
                assert early.unwritten.not_announced([{"id": "a"}]) == []  # the record stage's
                early.offer([_Hit("a"), _Hit("b")], [])  # a is raised now: only b waits
                writer.gate.set()
                await _until(lambda: len(announced) == 2 and len(writer.upserts) == 2)

        asyncio.run(scenario())
        assert [[a["id"] for a in batch] for batch in announced] == [["a"], ["b"]]
        assert writer.upserts == [["a"], ["b"]]

    def test_at_stop_what_was_announced_and_waits_to_be_written_is_written(self) -> None:
        """Announced and never written, it would be announced again after the restart."""
        writer, announced = _HeldWriter(raised=set()), []

        async def scenario() -> None:
            early = _early(writer, announced)
            async with _announcing(early):  # stopped with a's write held and b waiting
                early.offer([_Hit("a")], [])
                await _until(lambda: len(writer.upserts) == 1)
                early.offer([_Hit("b")], [])
                await _until(lambda: len(announced) == 2)
            asyncio.get_running_loop().call_later(0.1, writer.gate.set)
            await early.close()

        asyncio.run(scenario())
        assert writer.upserts == [["a"], ["b"]]

    def test_an_alert_closed_elsewhere_is_announced_early_again_once_the_raised_are_read_again(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A catalog change, a scheduled check or another worker closes an alert this worker
        read as raised: when its flow is seen again, the early pass announces it again."""
        writer, announced = _HeldWriter(raised={"a"}), []
        writer.gate.set()

        async def scenario() -> None:
            early = _early(writer, announced)
            async with _announcing(early):
                early.offer([_Hit("b")], [])
                await _until(lambda: len(announced) == 1)
                early.offer([_Hit("a")], [])  # raised: left to the record stage
                await asyncio.sleep(0.05)
                assert writer.upserts == [["b"]]
                writer._raised = {"b"}  # a closed elsewhere
                monkeypatch.setattr(early_alerts, "RAISED_REFRESH_S", 0.0)
                early.offer([_Hit("a"), _Hit("b")], [])
                await _until(lambda: len(announced) == 2)

        asyncio.run(scenario())
        assert [[a["id"] for a in batch] for batch in announced] == [["b"], ["a"]]
        assert writer.upserts == [["b"], ["a"]]

    def test_an_alert_announced_early_is_announced_by_the_record_stage_only_if_reopened_after(
        self,
    ) -> None:
        unwritten = early_alerts.Unwritten()
        unwritten.add(["a"])
        assert unwritten.not_announced([{"id": "a"}, {"id": "b"}]) == [{"id": "b"}]  # got there first
        assert unwritten.not_announced([{"id": "a"}]) == [{"id": "a"}]  # closed and reopened since
        unwritten.add(["c"])
        unwritten.written(["c"])  # the early write made it open
        assert unwritten.not_announced([{"id": "c"}]) == [{"id": "c"}]


class TestQueries:
    def test_one_uniqueness_constraint_per_label(self) -> None:
        statements = schema.constraint_statements()
        expected = "CREATE CONSTRAINT subject_key IF NOT EXISTS FOR (n:Subject) REQUIRE n.key IS UNIQUE"
        assert expected in statements
        assert len(statements) == len(Label) == 22 and all("IF NOT EXISTS" in s for s in statements)


class TestTopics:
    def test_names_hang_off_the_namespace(self) -> None:
        names = Topics("bench-1")
        assert names.raw("brevo").name == "bench-1.raw.brevo"
        assert names.source_of("bench-1.raw.brevo") == "brevo"
        assert {"bench-1.raw.brevo", "bench-1.raw.s3", "bench-1.events", "bench-1.deadletter"} <= {
            t.name for t in names.all()
        }

    def test_unknown_source(self) -> None:
        import pytest

        from lineage.errors import UnknownSourceError

        with pytest.raises(UnknownSourceError, match="known: brevo, hubspot"):
            Topics().raw("mailchimp")


class TestSplitPayloads:
    def test_one_document_is_one_payload_even_an_array(self) -> None:
        assert list(split_payloads(b'[{"a": 1},\n {"b": 2}]\n')) == [b'[{"a": 1},\n {"b": 2}]']

    def test_json_lines_keep_bad_lines_for_the_dead_letter_topic(self) -> None:
        assert list(split_payloads(b'{"a": 1}\n\nnot json\n{"b": 2}\n')) == [
            b'{"a": 1}',
            b"not json",
            b'{"b": 2}',
        ]
