"""Unit tests of the guards behind "no message can stop it, no personal data leaks from it"."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.domain.erasure import OwnCopies
from lineage.domain.events import (
    EARLIEST_EVENT_TIME,
    LATEST_EVENT_TIME,
    CollectionEvent,
    SubjectRef,
    decode_event,
    encode_event,
)
from lineage.domain.personal_data import personal_data_problem, redact
from lineage.domain.subjects import SubjectType
from lineage.errors import EventDecodeError
from lineage.kafka.topics import RECEIVED_AT_HEADER, Topics
from lineage.log_hygiene import install_log_hygiene
from lineage.payloads import parse_json
from streams.processing import DeadLetter, decode_canonical, received_time

KEY = "0" * 32


def event(**changes: Any) -> CollectionEvent:
    fields: dict[str, Any] = {
        "event_id": "erp:invoice-1",
        "occurred_at": datetime(2026, 5, 1, tzinfo=UTC),
        "source": "erp",
        "action": "collected",
        "store": "erp/invoices",
        "categories": ("user.contact.email",),
        "subject": SubjectRef(type=SubjectType.CUSTOMER, key=KEY),
    }
    return CollectionEvent(**(fields | changes))


class TestEventTimeWindow:
    @pytest.mark.parametrize(
        "raw",
        [
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00+14:00",
            "1970-01-01T00:00:00Z",
            "2100-01-01T00:00:00Z",
            "1999-12-31T23:59:59Z",
        ],
    )
    def test_placeholder_and_out_of_range_times_are_refused_by_the_decoder(self, raw: str) -> None:
        document = encode_event(event()).replace(b"2026-05-01T00:00:00Z", raw.encode())
        with pytest.raises(EventDecodeError, match="outside the accepted window"):
            decode_event(document)

    def test_the_window_edges(self) -> None:
        assert event(occurred_at=EARLIEST_EVENT_TIME).occurred_at == EARLIEST_EVENT_TIME
        with pytest.raises(ValueError, match="outside the accepted window"):
            event(occurred_at=LATEST_EVENT_TIME)

    @settings(max_examples=150, deadline=None)
    @given(
        st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.timezones()
        )
    )
    def test_any_time_inside_the_window_gives_rows_and_expiries(self, moment: datetime) -> None:
        """The record stage's pure code (statement rows, and the expiry arithmetic of every rule
        of the demo catalog from every moment) never raises for a valid event, whatever its time
        and offset: nothing inside the window can wedge a partition."""
        from graph.writer import rows_for
        from lineage.domain.retention import HoldingClock, Moment

        if not EARLIEST_EVENT_TIME <= moment < LATEST_EVENT_TIME:
            return
        policy, stores = _demo_policy()
        for store in stores:
            rows = rows_for([event(occurred_at=moment, store=store)])
            assert rows.holdings and rows.holding_writes(policy) is not None
            clock = HoldingClock(
                store,
                None,
                "user.financial",
                ("essential.service",),
                {m: (moment, "erp:invoice-1") for m in Moment},
            )
            expiry = policy.expiry(clock)
            assert expiry is None or expiry.at is None or expiry.at > moment


_DEMO: list[Any] = []


def _demo_policy() -> tuple[Any, list[str]]:
    from lineage.domain.catalog import parse_catalog
    from lineage.domain.retention import RetentionPolicy
    from lineage.settings import Settings

    if not _DEMO:
        catalog = parse_catalog(Settings().catalog.read_text())
        _DEMO.append((RetentionPolicy(catalog), [store.id for _, store in catalog.stores()]))
    return _DEMO[0]


class TestPersonalDataGuard:
    @pytest.mark.parametrize("field", ["event_id", "native_type", "store"])
    @pytest.mark.parametrize(
        "value", ["lea.martin@example.fr", "erp:+33 6 12 34 56 78", "crm:06.12.34.56.78"]
    )
    def test_fields_not_meant_for_personal_data_refuse_it(self, field: str, value: str) -> None:
        from pydantic import ValidationError

        with pytest.raises(ValidationError) as refused:  # store: its pattern refuses it first
            event(**{field: value})
        messages = [e["msg"] for e in refused.value.errors(include_input=False)]
        assert [e["loc"] for e in refused.value.errors()] == [(field,)]
        assert not any(value in m for m in messages)

    @pytest.mark.parametrize(
        "value",
        [
            "hubspot:contact.creation:90512:1714557600000",
            "s3:ObjectCreated:Put",
            "2026-05-01T08:00:00+02:00",
            "greenhouse:12345678901",
            "brevo/contacts",
        ],
    )
    def test_ordinary_identifiers_pass(self, value: str) -> None:
        assert personal_data_problem(value) is None

    def test_redact(self) -> None:
        assert redact("bad lea@example.fr and +33 6 12 34 56 78") == "bad <redacted> and <redacted>"

    @pytest.mark.parametrize(
        "text",
        [
            "lea\uff20example.fr",
            "lea%40example.fr",
            "lea\\u0040example.fr",
            "b'lea\\xef\\xbc\\xa0example.fr'",
            "0033 6 12 34 56 78",
            "tel:0612345678",
        ],
    )
    def test_escaped_and_folded_forms_are_caught(self, text: str) -> None:
        assert personal_data_problem(text) is not None
        clean = redact(text)
        assert "<redacted>" in clean
        assert not any(part in clean for part in ("example.fr", "12 34", "612345678"))

    def test_dead_letter_reasons_are_redacted_whoever_wrote_them(self) -> None:
        letter = DeadLetter("brevo", "normalise", "unknown field 'lea@example.fr'", b"{}")
        assert letter.reason == "unknown field '<redacted>'"

    def test_decoder_reasons_do_not_quote_the_input(self) -> None:
        document = encode_event(event()).replace(b'"user.contact.email"', b'"lea@example.fr"')
        letter = decode_canonical(document)
        assert isinstance(letter, DeadLetter) and "lea@example.fr" not in letter.reason
        assert "categories" in letter.reason


class TestParseJson:
    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
            (b'{"n": ' + b"9" * 5000 + b"}", "a number is too long"),
            (b'{"a": "\xc3\x28"}', "not UTF-8"),
            (b'{"email": "lea@example.fr"', "not JSON"),
        ],
    )
    def test_what_the_parser_gives_up_on_is_a_reason(self, raw: bytes, reason: str) -> None:
        with pytest.raises(ValueError, match=reason) as refused:
            parse_json(raw)
        assert "lea@" not in str(refused.value)

    def test_decoder_survives_the_same(self) -> None:
        assert isinstance(decode_canonical(b"[" * 100_000), DeadLetter)
        assert isinstance(decode_canonical(b'{"a": ' + b"1" * 5000 + b"}"), DeadLetter)


class TestReceivedTime:
    def test_the_receivers_header_wins_over_the_record_time(self) -> None:
        header = [(RECEIVED_AT_HEADER, b"1780000000000")]
        assert received_time(header, 1.0) == datetime.fromtimestamp(1_780_000_000, UTC)
        assert received_time([], 1_780_000_000.5) == datetime.fromtimestamp(1_780_000_000.5, UTC)
        assert received_time([(RECEIVED_AT_HEADER, b"garbage")], None) is None

    def test_a_header_without_a_value_or_headers_as_a_mapping_never_raise(self) -> None:
        assert received_time([(RECEIVED_AT_HEADER, None)], None) is None
        mapping = {RECEIVED_AT_HEADER: b"1780000000000"}
        assert received_time(mapping, None) == datetime.fromtimestamp(1_780_000_000, UTC)


class TestRecordStageIsolation:
    def test_one_event_that_breaks_the_writer_is_dead_lettered_alone(self) -> None:
        from streams.agents import _store

        events = [event(event_id=f"erp:invoice-{n}") for n in range(9)]
        written: list[str] = []

        class Writer:
            async def write(self, batch: list[CollectionEvent], _policy: object) -> None:
                if any(e.event_id == "erp:invoice-5" for e in batch):
                    raise OverflowError("date value out of range")
                written.extend(e.event_id for e in batch)

        class Live:
            retention = None

        letters = asyncio.run(_store(Writer(), events, Live()))  # type: ignore[arg-type]
        assert [decode_event(letter.payload).event_id for letter in letters] == ["erp:invoice-5"]
        assert letters[0].stage == "record" and "OverflowError" in letters[0].reason
        assert sorted(written) == sorted(f"erp:invoice-{n}" for n in range(9) if n != 5)


class TestLogHygiene:
    def test_addresses_phones_and_secrets_never_reach_a_log_line(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        install_log_hygiene(["s3cr3t-token-value"])
        log = logging.getLogger("lineage.test")
        with caplog.at_level(logging.INFO):
            log.info(
                "user %s called %s with %s",
                "lea@example.fr",
                "+33612345678",
                "https://hooks.example/s3cr3t-token-value",
            )
            try:
                raise ValueError("bad lea@example.fr")
            except ValueError:
                log.exception("failed")
        text = caplog.text
        assert "lea@example.fr" not in text and "+33612345678" not in text
        assert "s3cr3t-token-value" not in text and "<secret>" in text
        assert logging.getLogger("httpx").level == logging.WARNING

    def test_arguments_stay_arguments_for_formatters_that_read_them(self) -> None:
        install_log_hygiene()
        record = logging.getLogger("uvicorn.access").makeRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5", "GET", "/x?e=lea@example.fr", "1.1", 200),
            None,
        )
        assert isinstance(record.args, tuple) and len(record.args) == 5
        assert "lea@" not in record.getMessage()


class TestOwnCopies:
    def test_raw_and_dead_letter_copies_age_out_after_retention_and_a_segment_roll(self) -> None:
        topics = Topics("lineage", raw_retention_days=7, dead_letter_retention_days=30)
        assert topics.raw("brevo").config() == {"retention.ms": str(7 * 86_400_000), "segment.ms": "86400000"}
        assert topics.canonical.config() == {"retention.ms": "-1"}
        copies = OwnCopies("lineage.raw.*", "lineage.deadletter", timedelta(days=7), timedelta(days=30))
        received = datetime(2026, 12, 2, tzinfo=UTC)
        assert [c["ages_out_by"] for c in copies.listed(received)] == [
            datetime(2026, 12, 10, tzinfo=UTC),
            datetime(2027, 1, 2, tzinfo=UTC),
        ]


class TestRepeatLimit:
    def test_a_flood_of_one_message_is_one_line_per_window_with_a_count(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        from lineage.log_hygiene import RepeatLimit

        logger = logging.getLogger("lineage.test.flood")
        logger.addFilter(RepeatLimit(window_s=0.2))
        with caplog.at_level(logging.ERROR, logger="lineage.test.flood"):
            for attempt in range(500):
                logger.error("Unable connect to %s: attempt %d", "127.0.0.1:9092", attempt)
            import time

            time.sleep(0.25)
            logger.error("Unable connect to %s: attempt %d", "127.0.0.1:9092", 500)
        lines = [r.getMessage() for r in caplog.records if r.name == "lineage.test.flood"]
        assert len(lines) == 2
        assert lines[1].endswith("(499 alike in the last 0s not shown)")


class TestLogHygieneReachesEveryHandler:
    def test_a_logger_with_its_own_handler_is_scrubbed_at_that_handlers_level(self) -> None:
        import io

        install_log_hygiene()
        stream = io.StringIO()
        logger = logging.getLogger("lineage.test.own_handler")  # like uvicorn.access
        handler = logging.StreamHandler(stream)
        handler.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        try:
            logger.info("GET /erasure-requests/%s", "lea@example.fr")
        finally:
            logger.removeHandler(handler)
        assert "lea@example.fr" not in stream.getvalue() and "<redacted>" in stream.getvalue()


class TestNothingTooLargeForKafka:
    """A record Kafka refuses as too large is refused on every retry: it would hold up its
    partition for good. Dead letters and canonical events stay well below the limit."""

    def test_a_dead_letter_of_a_payload_near_the_limit_is_cut_and_says_so(self) -> None:
        import json

        from streams.processing import MAX_KEPT_PAYLOAD

        raw = b"\xff" * (1024 * 1024)  # not UTF-8: base64 would grow it by a third
        record = json.loads(DeadLetter("brevo", "normalise", "not JSON", raw).to_json())
        assert record["payload_truncated"] is True and record["payload_bytes"] == len(raw)
        assert len(record["payload_base64"]) <= MAX_KEPT_PAYLOAD * 4 // 3 + 4

    def test_an_event_naming_thousands_of_links_is_refused(self) -> None:
        from pydantic import ValidationError

        from lineage.domain.events import MAX_LINKS

        links = tuple(f"{n:032x}" for n in range(1, MAX_LINKS + 2))
        with pytest.raises(ValidationError, match="links"):
            SubjectRef(type=SubjectType.CUSTOMER, key=KEY, links=links)
