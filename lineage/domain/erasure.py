"""Erasure requests (GDPR Art. 17) and their deadline (Art. 12(3)): what is done, what may stay.

A request is answered store by store. Each store holding the person's data at receipt becomes a
task, and a task is judged only from facts the graph records about the holdings (their state,
the erasure that closed them, the legal holds and retention rules on them), so the judgement can
be re-run at any time and explained afterwards. Pure: no I/O, ``now`` is always passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum

from lineage.domain.catalog import Duration
from lineage.domain.personal_data import personal_data_problem
from lineage.domain.retention import add_duration
from lineage.errors import ExtensionRefused

ANSWER_MONTHS = 1
"""Art. 12(3): "without undue delay and in any event within one month of receipt"."""
MAX_EXTENSION_MONTHS = 2
"""Art. 12(3): "That period may be extended by two further months where necessary, taking into
account the complexity and number of the requests"."""

GONE = frozenset({"erased", "anonymised"})


class TaskStatus(StrEnum):
    OUTSTANDING = "outstanding"
    DONE = "done"
    RETAINED = "retained"  # the rest is kept lawfully: a legal hold, or a legal obligation to keep


class RequestStatus(StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    OVERDUE = "overdue"  # shown, never stored: it follows from the deadline and the clock


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


def erasure_deadline(received_at: datetime, zone: tzinfo = UTC, extension_months: int = 0) -> datetime:
    """The last instant of the last day to answer: one calendar month after receipt (plus any
    extension), on the organisation's calendar, clamped to the month's end (31 Jan -> 28/29 Feb).

    A period in months ends at the end of its last day (Regulation 1182/71 Art. 3(2)(c): the
    period ends with the expiry of the last hour of the day bearing the same date), in the
    organisation's zone: received 31 Jan at 23:30 in Paris is 22:30 UTC, and either way the
    answer is due by the end of 29 Feb (2024) in Paris. The extension counts from receipt, so
    31 Jan + 3 months ends on 30 Apr, not on 29 Feb + 2 months (29 Apr).
    """
    last_day = add_duration(received_at, Duration(months=ANSWER_MONTHS + extension_months), zone)
    day_after = datetime.combine(last_day.date() + timedelta(days=1), time(0), tzinfo=zone)
    end = (day_after - timedelta(microseconds=1)).astimezone(zone)
    return end.astimezone(timezone(end.utcoffset() or timedelta(0)))  # a fixed offset stores as-is


@dataclass(frozen=True)
class Extension:
    """An extension granted: by how many months in all, why (told to the person), and when."""

    months: int
    reason: str
    extended_at: datetime
    deadline: datetime


def extend(
    received_at: datetime,
    stored_status: str,
    already: int,
    months: int,
    reason: str,
    now: datetime,
    zone: tzinfo = UTC,
) -> Extension:
    """Extend a request's deadline by ``months`` more (Art. 12(3)), or refuse with why.

    At most two further months in all; only while the request is open and within its first
    month, since the person must be told of the extension, with its reasons, within one month
    of receipt. The reason is kept as evidence beside the request, which outlives the data, so
    it must name no one (no address, no phone number).
    """
    total = already + months
    if months < 1 or total > MAX_EXTENSION_MONTHS:
        raise ExtensionRefused(
            f"an extension is 1 or 2 months, at most {MAX_EXTENSION_MONTHS} "
            f"in all (already extended by {already})"
        )
    if stored_status == RequestStatus.COMPLETE:
        raise ExtensionRefused("the request is complete: there is nothing left to extend")
    if now > erasure_deadline(received_at, zone):
        raise ExtensionRefused(
            "an extension must be decided and told to the person within one "
            "month of receipt (Art. 12(3)); that month is over"
        )
    reason = reason.strip()
    if not reason:
        raise ExtensionRefused("an extension needs its reason: the person must be told why")
    if problem := personal_data_problem(reason):
        raise ExtensionRefused(f"reason: {problem}; it is kept as evidence and must name no one")
    return Extension(total, reason, now, erasure_deadline(received_at, zone, total))


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


def request_status(task_statuses: Iterable[str], deadline: datetime, now: datetime) -> RequestStatus:
    """Complete when nothing is outstanding (retained tasks are answered: the person is told why);
    overdue when not complete and the deadline has passed."""
    if all(status != TaskStatus.OUTSTANDING for status in task_statuses):
        return RequestStatus.COMPLETE
    return RequestStatus.OVERDUE if now > deadline else RequestStatus.OPEN


def shown_status(stored: str, deadline: datetime, now: datetime) -> RequestStatus:
    """The status to display: the stored one (open or complete, which only a refresh records, so a
    stale read never claims a completion), or overdue when open past the deadline."""
    if stored == RequestStatus.COMPLETE:
        return RequestStatus.COMPLETE
    return RequestStatus.OVERDUE if now > deadline else RequestStatus.OPEN


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
