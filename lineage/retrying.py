"""Retrying with backoff, the one way every loop of lineage waits out an outage.

A caller says what is worth retrying (exception types, or a predicate for what only the
exception itself can tell, such as the Neo4j driver's ``is_retryable``), how the waits grow,
and how long to keep trying: for ever (the worker's stages, which hold their acknowledgements
until Neo4j or Kafka is back), a number of attempts, or a time window. Anything else is raised
at once, and so is the last failure once the budget is spent. The caller logs each wait through
``on_retry``: the helper logs nothing, so what a message says (never a value, only the
exception's type) stays with the code that knows what failed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

RetryOn = type[Exception] | tuple[type[Exception], ...] | Callable[[Exception], bool]
OnRetry = Callable[[Exception, float], None]


@dataclass(frozen=True)
class Backoff:
    """Waits that start at ``first_s`` and double up to ``longest_s``."""

    first_s: float = 0.5
    longest_s: float = 30.0

    def waits(self) -> Iterator[float]:
        wait = self.first_s
        while True:
            yield wait
            wait = min(wait * 2, self.longest_s)


def _worth_retrying(retry_on: RetryOn, exc: Exception) -> bool:
    if isinstance(retry_on, type | tuple):
        return isinstance(exc, retry_on)
    return retry_on(exc)


class _Budget:
    """What is left of the attempts and of the time window; None is no limit."""

    def __init__(self, attempts: int | None, within_s: float | None) -> None:
        self._attempts_left = attempts
        self._deadline = None if within_s is None else time.monotonic() + within_s

    def allows(self, wait: float) -> bool:
        """Whether another attempt, after ``wait``, still fits (counting the one just made)."""
        if self._attempts_left is not None:
            self._attempts_left -= 1
            if self._attempts_left <= 0:
                return False
        return self._deadline is None or time.monotonic() + wait <= self._deadline


def retry(
    attempt: Callable[[], T],
    retry_on: RetryOn,
    backoff: Backoff = Backoff(),
    *,
    attempts: int | None = None,
    within_s: float | None = None,
    on_retry: OnRetry | None = None,
) -> T:
    """``attempt()`` until it returns, sleeping between failures ``retry_on`` accepts.

    Gives up, raising the last failure, after ``attempts`` tries or when the next wait would end
    past ``within_s`` from the start; with neither, retries for as long as it takes.
    """
    budget, waits = _Budget(attempts, within_s), backoff.waits()
    while True:
        try:
            return attempt()
        except Exception as exc:
            wait = next(waits)
            if not _worth_retrying(retry_on, exc) or not budget.allows(wait):
                raise
            if on_retry is not None:
                on_retry(exc, wait)
        time.sleep(wait)


async def retry_async(
    attempt: Callable[[], Awaitable[T]],
    retry_on: RetryOn,
    backoff: Backoff = Backoff(),
    *,
    attempts: int | None = None,
    within_s: float | None = None,
    on_retry: OnRetry | None = None,
) -> T:
    """:func:`retry` for a coroutine: the waits yield to the event loop."""
    budget, waits = _Budget(attempts, within_s), backoff.waits()
    while True:
        try:
            return await attempt()
        except Exception as exc:
            wait = next(waits)
            if not _worth_retrying(retry_on, exc) or not budget.allows(wait):
                raise
            if on_retry is not None:
                on_retry(exc, wait)
        await asyncio.sleep(wait)
