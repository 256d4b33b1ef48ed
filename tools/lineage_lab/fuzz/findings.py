"""Counting payloads per source and keeping one minimal example of every distinct problem.

A run sees the same bug thousands of times; the report needs it once, with how often, which
mutation made it and the smallest payload that still shows it (a greedy shrink that drops
fields and array items, and shortens strings, while the same problem persists).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lineage_lab.fuzz.examine import Observation

SHRINK_ATTEMPTS = 400
SHOWN_BYTES = 800


@dataclass
class Tally:
    """One source's figures (in-process or over HTTP)."""

    payloads: int = 0
    accepted: int = 0
    refused: int = 0
    refused_with_reason: int = 0
    events: int = 0
    crashes: int = 0
    internal_errors: int = 0
    roundtrip_failures: int = 0
    http_5xx: int = 0
    slow: int = 0
    leaks: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        for name in (
            "payloads",
            "accepted",
            "refused",
            "refused_with_reason",
            "events",
            "crashes",
            "internal_errors",
            "roundtrip_failures",
            "http_5xx",
            "slow",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.leaks.update(other.leaks)
        self.statuses.update(other.statuses)

    def count(self, problem: Observation) -> None:
        if problem.kind == "crash":
            self.crashes += 1
        elif problem.kind == "internal_error":
            self.internal_errors += 1
        elif problem.kind == "roundtrip":
            self.roundtrip_failures += 1
        elif problem.kind == "slow":
            self.slow += 1
        elif problem.kind == "leak":
            self.leaks[problem.location] += 1

    @property
    def dead_letter_share(self) -> float:
        return 1.0 if not self.refused else self.refused_with_reason / self.refused

    @property
    def failing(self) -> bool:
        return bool(
            self.crashes
            or self.internal_errors
            or self.roundtrip_failures
            or self.http_5xx
            or sum(self.leaks.values())
            or self.dead_letter_share < 1.0
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "payloads": self.payloads,
            "accepted": self.accepted,
            "refused": self.refused,
            "dead_lettered_with_reason": self.refused_with_reason,
            "dead_letter_share": round(self.dead_letter_share, 6),
            "canonical_events": self.events,
            "crashes": self.crashes,
            "internal_errors": self.internal_errors,
            "roundtrip_failures": self.roundtrip_failures,
            "http_5xx": self.http_5xx,
            "slow_payloads": self.slow,
            "leaks": dict(sorted(self.leaks.items())),
            "leaks_total": sum(self.leaks.values()),
            **({"http_statuses": dict(sorted(self.statuses.items()))} if self.statuses else {}),
        }


@dataclass
class Finding:
    """One distinct problem: its first example and how many payloads showed it."""

    leg: str
    source: str
    problem: Observation
    mutation: str
    body: bytes
    count: int = 1
    minimal: bytes | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "leg": self.leg,
            "source": self.source,
            "kind": self.problem.kind,
            "location": self.problem.location,
            "signature": self.problem.signature,
            "detail": self.problem.detail,
            "count": self.count,
            "mutation": self.mutation,
            "example": shown(self.minimal if self.minimal is not None else self.body),
            "example_bytes": len(self.minimal if self.minimal is not None else self.body),
        }


class FindingBook:
    """Distinct findings keyed by (leg, source, kind, location, signature)."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, ...], Finding] = {}

    def note(self, leg: str, source: str, problem: Observation, mutation: str, body: bytes) -> None:
        key = (leg, source, problem.kind, problem.location, problem.signature)
        if key in self._found:
            self._found[key].count += 1
        else:
            self._found[key] = Finding(leg, source, problem, mutation, body)

    def __iter__(self) -> Iterator[Finding]:
        return iter(sorted(self._found.values(), key=lambda f: (f.leg, f.source, f.problem.kind, -f.count)))

    def __len__(self) -> int:
        return len(self._found)


def shown(body: bytes) -> str:
    """The example as text for a report: decoded where it can be, cut where it is huge."""
    text = body.decode("utf-8", "backslashreplace")
    return text if len(text) <= SHOWN_BYTES else f"{text[:SHOWN_BYTES]}... ({len(body)} bytes)"


# --- shrinking -----------------------------------------------------------------------------


def _candidates(doc: Any) -> Iterator[Any]:
    """Smaller variants of ``doc``: one field or item dropped, one string or container shortened."""
    if isinstance(doc, dict):
        for key in list(doc):
            yield {k: v for k, v in doc.items() if k != key}
        for key, value in doc.items():
            for smaller in _candidates(value):
                yield {**doc, key: smaller}
    elif isinstance(doc, list):
        for index in range(len(doc)):
            yield doc[:index] + doc[index + 1 :]
        for index, value in enumerate(doc):
            for smaller in _candidates(value):
                yield [*doc[:index], smaller, *doc[index + 1 :]]
    elif isinstance(doc, str) and len(doc) > 64:
        yield doc[: len(doc) // 2]
        yield doc[len(doc) // 2 :]


def _encode(doc: Any) -> bytes:
    """Readable JSON; escaped where a lone surrogate cannot be written as UTF-8."""
    try:
        return json.dumps(doc, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(doc).encode()


def shrink(body: bytes, still_fails: Callable[[bytes], bool]) -> bytes:
    """A smaller body for which ``still_fails`` holds, or ``body`` when it cannot be parsed,
    re-serialised or made smaller. Greedy: take the first smaller variant that still fails."""
    try:
        doc = json.loads(body)
        current = _encode(doc)
    except (ValueError, RecursionError):
        return body
    if not still_fails(current):
        return body
    attempts, improved = 0, True
    while improved and attempts < SHRINK_ATTEMPTS:
        improved = False
        try:
            for candidate in _candidates(doc):
                attempts += 1
                encoded = _encode(candidate)
                if still_fails(encoded):
                    doc, current, improved = candidate, encoded, True
                    break
                if attempts >= SHRINK_ATTEMPTS:
                    break
        except RecursionError:  # nested past what the walk takes: keep what we have
            break
    return current
