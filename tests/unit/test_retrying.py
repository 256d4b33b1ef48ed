"""Retrying with backoff: what is retried, what is raised at once, the waits, and the budgets of
attempts and of time, on a clock that only sleeping advances."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from lineage import retrying
from lineage.retrying import Backoff, retry, retry_async


class Down(Exception):
    pass


class Broken(Exception):
    pass


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Sleeps taken, sync and async alike; the monotonic clock moves only by them."""
    now = [0.0]
    taken: list[float] = []

    def sleep(seconds: float) -> None:
        taken.append(seconds)
        now[0] += seconds

    async def async_sleep(seconds: float) -> None:
        sleep(seconds)

    monkeypatch.setattr(retrying.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(retrying.time, "sleep", sleep)
    monkeypatch.setattr(retrying.asyncio, "sleep", async_sleep)
    return taken


def failing(*outcomes: Exception | str) -> Callable[[], str]:
    """Raises or returns each outcome in turn; counts its calls in ``calls``."""
    left = list(outcomes)

    def attempt() -> str:
        attempt.calls += 1  # type: ignore[attr-defined]
        outcome = left.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    attempt.calls = 0  # type: ignore[attr-defined]
    return attempt


def test_waits_double_up_to_the_longest() -> None:
    waits = Backoff(first_s=0.5, longest_s=3.0).waits()
    assert [next(waits) for _ in range(6)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


def test_a_failure_worth_retrying_is_waited_out_until_it_succeeds(slept: list[float]) -> None:
    attempt = failing(Down(), Down(), Down(), "done")
    assert retry(attempt, Down, Backoff(0.5, 1.0)) == "done"
    assert slept == [0.5, 1.0, 1.0]


def test_any_other_failure_is_raised_at_once(slept: list[float]) -> None:
    attempt = failing(Broken("no"), "done")
    with pytest.raises(Broken):
        retry(attempt, (Down, OSError))
    assert slept == [] and attempt.calls == 1  # type: ignore[attr-defined]


def test_a_predicate_decides_from_the_failure_itself(slept: list[float]) -> None:
    attempt = failing(Down("transient"), Down("final"), "done")
    with pytest.raises(Down, match="final"):
        retry(attempt, lambda exc: str(exc) == "transient")
    assert slept == [0.5]


def test_attempts_bound_the_tries_and_the_last_failure_is_raised(slept: list[float]) -> None:
    attempt = failing(Down("1"), Down("2"), Down("3"), "never")
    with pytest.raises(Down, match="3"):
        retry(attempt, Down, attempts=3)
    assert attempt.calls == 3 and slept == [0.5, 1.0]  # type: ignore[attr-defined]


def test_the_window_stops_before_a_wait_that_would_end_past_it(slept: list[float]) -> None:
    attempt = failing(*[Down()] * 10)
    with pytest.raises(Down):
        retry(attempt, Down, Backoff(0.1, 2.0), within_s=1.0)
    assert slept == [0.1, 0.2, 0.4] and sum(slept) <= 1.0


def test_each_wait_is_reported_with_its_failure(slept: list[float]) -> None:
    reported: list[tuple[str, float]] = []
    retry(failing(Down("a"), Down("b"), "done"), Down, on_retry=lambda e, w: reported.append((str(e), w)))
    assert reported == [("a", 0.5), ("b", 1.0)] and slept == [0.5, 1.0]


def test_the_async_variant_keeps_the_same_rules(slept: list[float]) -> None:
    attempt = failing(Down(), Down(), "done")

    async def call() -> str:
        return attempt()

    assert asyncio.run(retry_async(call, Down, Backoff(0.5, 30.0))) == "done"
    assert slept == [0.5, 1.0]

    broken = failing(Broken())

    async def call_broken() -> str:
        return broken()

    with pytest.raises(Broken):
        asyncio.run(retry_async(call_broken, Down))
    assert slept == [0.5, 1.0]


def test_cancelling_the_async_variant_is_never_retried() -> None:
    async def cancelled() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(retry_async(cancelled, lambda exc: True))
