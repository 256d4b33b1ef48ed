"""Erasure requests (GDPR Art. 17): what is done, what may stay.

The deadline, the extension and the statuses are every rights request's
(:mod:`lineage.domain.requests`). An erasure request is answered store by store. Each store
holding the person's data at receipt becomes a task, and a task is judged only from facts the
graph records about the holdings (their state, the erasure that closed them, the legal holds and
retention rules on them), so the judgement can be re-run at any time and explained afterwards.
Pure: no I/O, ``now`` is always passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lineage.domain.requests import (
    ANSWER_MONTHS,
    MAX_EXTENSION_MONTHS,
    Extension,
    RequestStatus,
    TaskStatus,
    extend,
    request_deadline,
    request_status,
    shown_status,
)
from lineage.errors import ExtensionRefused

erasure_deadline = request_deadline
"""The deadline of every rights request; an erasure's is no different (Art. 12(3))."""

__all__ = [
    "ANSWER_MONTHS",
    "GONE",
    "MAX_EXTENSION_MONTHS",
    "Extension",
    "ExtensionRefused",
    "HoldingFacts",
    "OwnCopies",
    "RequestStatus",
    "TaskOutcome",
    "TaskStatus",
    "erasure_deadline",
    "extend",
    "request_deadline",
    "request_status",
    "shown_status",
    "task_outcome",
]

GONE = frozenset({"erased", "anonymised"})


@dataclass(frozen=True)
class HoldingFacts:
    """What the graph says about one holding (one category of the person in the task's store)."""

    category: str
    state: str
    erased_at: datetime | None = None
    last_event_id: str | None = None
    held_by: Sequence[str] = field(default_factory=tuple)  # active legal holds, "id (reason)"
    legal_obligation: bool = False  # the rule that binds ``expires_at`` is a legal obligation
    expires_at: datetime | None = None
    retention_rule: str | None = None
    legal_rule: str | None = None  # the legal obligation covering it, whichever rule binds
    legal_until: datetime | None = None  # ... and when it ends (None: not started)


@dataclass(frozen=True)
class TaskOutcome:
    """A task's status with its evidence: the erasure that closed it, or why data may stay."""

    status: TaskStatus
    reason: str | None = None
    closed_by_event: str | None = None
    closed_at: datetime | None = None


def task_outcome(categories: Iterable[str], holdings: Iterable[HoldingFacts], now: datetime) -> TaskOutcome:
    """Done when every holding of the task's categories is gone; retained when what is still held
    is all kept lawfully; outstanding otherwise (also when no holding is found: no evidence, no
    proof of erasure)."""
    wanted = set(categories)
    relevant = [h for h in holdings if h.category in wanted]
    if not relevant:
        return TaskOutcome(TaskStatus.OUTSTANDING, "no holding of these categories found in the store")
    held = [h for h in relevant if h.state not in GONE]
    if not held:
        return _closed(relevant)
    reasons = [_retention_reason(h, now) for h in held]
    if any(reason is None for reason in reasons):
        return TaskOutcome(TaskStatus.OUTSTANDING)
    return TaskOutcome(TaskStatus.RETAINED, "; ".join(sorted({r for r in reasons if r})))


def _closed(gone: Sequence[HoldingFacts]) -> TaskOutcome:
    """The evidence of a done task is the most recent erasure: the one that finished the job."""
    last = max(
        gone, key=lambda h: (h.erased_at is not None, h.erased_at or datetime.min, h.last_event_id or "")
    )
    return TaskOutcome(TaskStatus.DONE, closed_by_event=last.last_event_id, closed_at=last.erased_at)


def _retention_reason(holding: HoldingFacts, now: datetime) -> str | None:
    """Why this held holding may stay despite the request (Art. 17(3)), or None if it may not.

    A legal hold wins over a retention rule: it is the narrower, more urgent reason. A legal
    obligation keeps the data until *its own* end (``legal_until``), even when a longer ordinary
    rule binds the expiry: past the legal period the ordinary rule is a promise to delete by
    then, not a ground to refuse erasure (Art. 17(3)(b)). One whose clock has not started yet
    still binds. Holdings written before ``legal_rule`` existed fall back to the binding rule.
    """
    if holding.held_by:
        return "legal hold: " + ", ".join(sorted(holding.held_by))
    rule: str | None
    if holding.legal_rule is not None:
        rule, until = holding.legal_rule, holding.legal_until
    elif holding.legal_obligation:
        rule, until = holding.retention_rule, holding.expires_at
    else:
        return None
    if until is None:
        return f"legal obligation: {rule} (retention period not started)"
    if until <= now:
        return None  # the obligation has run out: the data must go
    return f"legal obligation: {rule} until {until.date().isoformat()}"


@dataclass(frozen=True)
class OwnCopies:
    """Where lineage itself keeps copies of what sources sent, and for how long.

    lineage is a processor of personal data too: its raw topics keep native payloads (addresses
    included) and its dead-letter topic keeps refused ones. It does not edit them for one person
    (a Kafka log cannot be rewritten record by record); they age out, and an erasure request says
    by when, so the answer to the person is complete.
    """

    raw_topics: str
    dead_letter_topic: str
    raw_retention: timedelta
    dead_letter_retention: timedelta
    segment_roll: timedelta = timedelta(days=1)  # Kafka deletes whole segments, rolled daily

    def listed(self, received_at: datetime) -> list[dict[str, object]]:
        """What holds payloads received up to ``received_at``, and when the last of them is gone."""
        return [
            {
                "where": self.raw_topics,
                "holds": "native payloads as the sources sent them",
                "ages_out_by": received_at + self.raw_retention + self.segment_roll,
            },
            {
                "where": self.dead_letter_topic,
                "holds": "payloads the worker refused",
                "ages_out_by": received_at + self.dead_letter_retention + self.segment_roll,
            },
        ]
