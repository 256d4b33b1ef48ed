"""How ``graph.reader`` reads: one auto-commit round trip, routed and causal like ``execute_query``,
retrying what the driver calls retryable; and times returned as epoch milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from neo4j import READ_ACCESS
from neo4j.exceptions import ClientError, ServiceUnavailable

from graph import reader
from lineage import retrying


class Session:
    def __init__(self, outcome: Any, opened: list[dict[str, Any]], kwargs: dict[str, Any]) -> None:
        self._outcome = outcome
        opened.append(kwargs)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        if isinstance(self._outcome, Exception):
            raise self._outcome
        return [{"query": query, **params}]


class ScriptedDriver:
    """Answers each session with the next outcome: an exception to raise, or success."""

    execute_query_bookmark_manager = object()

    def __init__(self, *outcomes: Any) -> None:
        self._outcomes = list(outcomes)
        self.opened: list[dict[str, Any]] = []

    def session(self, **kwargs: Any) -> Session:
        return Session(self._outcomes.pop(0), self.opened, kwargs)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A monotonic clock that only sleeping advances; returns the sleeps taken."""
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(retrying.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(retrying.time, "sleep", sleep)
    return slept


def test_a_read_is_one_auto_commit_run_routed_to_readers_with_the_shared_bookmarks() -> None:
    driver = ScriptedDriver("ok")
    records = reader.read_records(driver, "graphdb", "RETURN $x", {"x": 1})  # type: ignore[arg-type]
    assert records == [{"query": "RETURN $x", "x": 1}]
    assert driver.opened == [
        {
            "database": "graphdb",
            "default_access_mode": READ_ACCESS,
            "bookmark_manager": ScriptedDriver.execute_query_bookmark_manager,
        }
    ]


def test_a_retryable_failure_is_retried_with_backoff(
    monkeypatch: pytest.MonkeyPatch, clock: list[float]
) -> None:
    monkeypatch.setattr(reader, "READ_RETRY_S", 30.0)
    driver = ScriptedDriver(ServiceUnavailable("leader gone"), ServiceUnavailable("still"), "ok")
    assert reader.read_records(driver, "db", "RETURN 1", {}) == [{"query": "RETURN 1"}]  # type: ignore[arg-type]
    assert clock == [0.1, 0.2]


def test_retrying_stops_at_the_window(monkeypatch: pytest.MonkeyPatch, clock: list[float]) -> None:
    monkeypatch.setattr(reader, "READ_RETRY_S", 1.0)
    driver = ScriptedDriver(*[ServiceUnavailable("down")] * 10)
    with pytest.raises(ServiceUnavailable):
        reader.read_records(driver, "db", "RETURN 1", {})  # type: ignore[arg-type]
    assert clock == [0.1, 0.2, 0.4] and sum(clock) <= 1.0


def test_a_failure_that_is_not_retryable_raises_at_once(
    monkeypatch: pytest.MonkeyPatch, clock: list[float]
) -> None:
    monkeypatch.setattr(reader, "READ_RETRY_S", 30.0)
    driver = ScriptedDriver(ClientError("syntax"), "ok")
    with pytest.raises(ClientError):
        reader.read_records(driver, "db", "RETRUN 1", {})  # type: ignore[arg-type]
    assert clock == [] and len(driver.opened) == 1


def test_times_from_epoch_milliseconds_are_exact_and_utc() -> None:
    assert reader.from_epoch_ms(1_738_120_700_123) == datetime(2025, 1, 29, 3, 18, 20, 123_000, tzinfo=UTC)
    assert reader.from_epoch_ms(-1) == datetime(1969, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC)
    assert reader.from_epoch_ms(None) is None
