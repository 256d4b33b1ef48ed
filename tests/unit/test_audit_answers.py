"""The audit answers that need no graph: filter bounds, and exports read back as written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lineage.answers import audit
from lineage.domain.audit import AuditHead, verify
from lineage.errors import QueryError
from lineage.settings import Settings
from tests.unit.test_audit_chain import KEY, chain

PARIS = ZoneInfo("Europe/Paris")


class TestBounds:
    def test_a_day_starts_in_the_zone_and_until_includes_it(self) -> None:
        assert audit.parse_moment("2026-03-02", "since", PARIS) == datetime(2026, 3, 2, tzinfo=PARIS)
        until = audit.parse_moment("2026-03-02", "until", PARIS, end_of_day=True)
        assert until == datetime(2026, 3, 3, tzinfo=PARIS)

    def test_a_time_needs_its_offset_and_nothing_quotes_the_value(self) -> None:
        at = audit.parse_moment("2026-03-02T10:00:00+01:00", "since")
        assert at == datetime(2026, 3, 2, 9, tzinfo=UTC)
        with pytest.raises(QueryError, match="offset"):
            audit.parse_moment("2026-03-02T10:00:00", "since")
        with pytest.raises(QueryError) as refused:
            audit.parse_moment("last tuesday", "until")
        assert "tuesday" not in str(refused.value) and "until" in str(refused.value)
        assert audit.parse_moment("", "since") is None

    def test_an_unknown_outcome_is_refused(self) -> None:
        with pytest.raises(QueryError, match="outcome"):
            audit.filters_from(Settings(subject_key="unit-test-subject-key"), outcome="maybe")
        assert (
            audit.filters_from(
                Settings(subject_key="unit-test-subject-key"), actor="", action="request"
            ).action
            == "request"
        )


class TestExportFormats:
    @pytest.mark.parametrize("format", ["csv", "json"])
    def test_an_export_reads_back_and_verifies(self, format: str) -> None:
        entries, head = chain(5)
        entries[2] = entries[2].model_copy(update={"target": None, "address": None})
        # target and address None: the entry rehashed, as it would have been written
        entries, head = _rechained(entries)
        text = "".join(
            audit._csv(entries) if format == "csv" else audit._json(entries, head, audit.AuditFilters())
        )
        read = audit.read_export(format, text)  # type: ignore[arg-type]
        assert read == entries
        assert verify(read, head, KEY).ok
        if format == "json":
            assert audit.AuditExport.model_validate_json(text).head == head

    def test_times_are_exported_in_utc_to_the_microsecond(self) -> None:
        entries, _ = chain(1)
        line = "".join(audit._csv(entries)).splitlines()[1]
        assert "2026-03-01T09:30:00.000000+00:00" in line


def _rechained(entries: list) -> tuple[list, AuditHead]:
    from lineage.domain.audit import GENESIS, next_entry

    out, seq, prev = [], 0, GENESIS
    for e in entries:
        fresh = next_entry(
            KEY,
            head_seq=seq,
            head_hash=prev,
            at=e.at + timedelta(0),
            actor=e.actor,
            role=e.role,
            kind=e.kind,
            action=e.action,
            target=e.target,
            outcome=e.outcome,
            address=e.address,
        )
        out.append(fresh)
        seq, prev = fresh.seq, fresh.hash
    return out, AuditHead(seq=seq, hash=prev)
