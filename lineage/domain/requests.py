"""Rights requests (GDPR Art. 15-21): one life for every kind, from receipt to closure.

A person asks for a copy of their data (access), an export of what they gave (portability), a
correction (rectification), a pause (restriction), an end to processing for some purposes
(objection) or the erasure of it all. Every request has the same deadline (Art. 12(3)), the
same extension, and one task per store the answer must reach, each sent to the store's
processor. What differs per kind is which stores become tasks and what closes a task: an
erasure task is judged from the graph's deletions (:mod:`lineage.domain.erasure`); any other
closes when the system answers, with the evidence of that answer. A restriction or an
objection is also a state: it stays in force once answered, until it is lifted with a reason.
Pure: no I/O, ``now`` is always passed in.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum

from lineage.domain.catalog import Duration
from lineage.domain.categories import check_category, check_data_use
from lineage.domain.personal_data import personal_data_problem
from lineage.domain.retention import add_duration
from lineage.errors import ExtensionRefused, QueryError

ANSWER_MONTHS = 1
"""Art. 12(3): "without undue delay and in any event within one month of receipt"."""
MAX_EXTENSION_MONTHS = 2
"""Art. 12(3): "That period may be extended by two further months where necessary, taking into
account the complexity and number of the requests"."""
MAX_TEXT = 500
"""Free text kept beside a request (who verified, an answer's evidence, a reason): short notes."""


class RequestKind(StrEnum):
    ACCESS = "access"  # Art. 15
    PORTABILITY = "portability"  # Art. 20
    RECTIFICATION = "rectification"  # Art. 16
    RESTRICTION = "restriction"  # Art. 18
    OBJECTION = "objection"  # Art. 21
    ERASURE = "erasure"  # Art. 17


ID_PREFIX: dict[RequestKind, str] = {
    RequestKind.ACCESS: "ac",
    RequestKind.PORTABILITY: "po",
    RequestKind.RECTIFICATION: "re",
    RequestKind.RESTRICTION: "rs",
    RequestKind.OBJECTION: "ob",
    RequestKind.ERASURE: "er",
}

STATES = frozenset({RequestKind.RESTRICTION, RequestKind.OBJECTION})
"""Kinds that are a state of the person once opened: in force until lifted."""

ARTICLE: dict[RequestKind, str] = {
    RequestKind.ACCESS: "Art. 15",
    RequestKind.PORTABILITY: "Art. 20",
    RequestKind.RECTIFICATION: "Art. 16",
    RequestKind.RESTRICTION: "Art. 18",
    RequestKind.OBJECTION: "Art. 21",
    RequestKind.ERASURE: "Art. 17",
}

PORTABLE_BASES = frozenset({"consent", "contract"})
"""Art. 20(1)(a): portability covers data processed on consent or on a contract."""
DIRECT_MARKETING = "marketing"
"""The fideslang data use every direct-marketing use descends from (Art. 21(2)-(3))."""


class VerificationMethod(StrEnum):
    """How the person's identity was checked: the method only, never a copy of what was shown."""

    ACCOUNT_LOGIN = "account_login"
    EMAIL_CONFIRMATION = "email_confirmation"
    KNOWN_IDENTIFIERS = "known_identifiers"
    ID_DOCUMENT_CHECKED = "id_document_checked"
    IN_PERSON = "in_person"
    OTHER = "other"


class TaskStatus(StrEnum):
    OUTSTANDING = "outstanding"
    DONE = "done"
    RETAINED = "retained"  # erasure only: kept lawfully, a legal hold or a legal obligation


class RequestStatus(StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    OVERDUE = "overdue"  # shown, never stored: it follows from the deadline and the clock
    IN_FORCE = "in_force"  # shown, never stored: a complete restriction or objection not lifted


def new_request_id(kind: RequestKind) -> str:
    """Random, naming nobody; the prefix says the kind at a glance (``ac-``, ``er-``...)."""
    return f"{ID_PREFIX[kind]}-{secrets.token_hex(8)}"


def note(text: str | None, what: str, *, required: bool = False) -> str | None:
    """A free-text note kept as evidence beside a request, which outlives the data: stripped,
    short, and naming no one (no address, no phone number). Refused with why."""
    text = (text or "").strip()
    if not text:
        if required:
            raise QueryError(f"{what}: required")
        return None
    if len(text) > MAX_TEXT:
        raise QueryError(f"{what}: at most {MAX_TEXT} characters")
    if problem := personal_data_problem(text):
        raise QueryError(f"{what}: {problem}; it is kept as evidence and must name no one")
    return text


@dataclass(frozen=True)
class Verification:
    """How the identity was verified, and by whom (a role or a team, not a person's address)."""

    method: VerificationMethod | None
    verified_by: str | None


def verification(method: str | None, verified_by: str | None) -> Verification:
    """The verification as recorded, refused when the method is unknown or ``verified_by``
    carries personal data."""
    try:
        chosen = VerificationMethod(method) if method else None
    except ValueError:
        known = ", ".join(m.value for m in VerificationMethod)
        raise QueryError(f"verification: one of {known}") from None
    return Verification(chosen, note(verified_by, "verified_by"))


def request_deadline(received_at: datetime, zone: tzinfo = UTC, extension_months: int = 0) -> datetime:
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
    if now > request_deadline(received_at, zone):
        raise ExtensionRefused(
            "an extension must be decided and told to the person within one "
            "month of receipt (Art. 12(3)); that month is over"
        )
    reason = reason.strip()
    if not reason:
        raise ExtensionRefused("an extension needs its reason: the person must be told why")
    if problem := personal_data_problem(reason):
        raise ExtensionRefused(f"reason: {problem}; it is kept as evidence and must name no one")
    return Extension(total, reason, now, request_deadline(received_at, zone, total))


def request_status(task_statuses: Iterable[str], deadline: datetime, now: datetime) -> RequestStatus:
    """Complete when nothing is outstanding (retained tasks are answered: the person is told why);
    overdue when not complete and the deadline has passed."""
    if all(status != TaskStatus.OUTSTANDING for status in task_statuses):
        return RequestStatus.COMPLETE
    return RequestStatus.OVERDUE if now > deadline else RequestStatus.OPEN


def shown_status(stored: str, deadline: datetime, now: datetime, in_force: bool = False) -> RequestStatus:
    """The status to display: the stored one (open or complete, which only a refresh records, so a
    stale read never claims a completion), overdue when open past the deadline, in force when a
    complete restriction or objection still applies."""
    if stored == RequestStatus.COMPLETE:
        return RequestStatus.IN_FORCE if in_force else RequestStatus.COMPLETE
    return RequestStatus.OVERDUE if now > deadline else RequestStatus.OPEN


# --- which stores become tasks ---------------------------------------------------------------


@dataclass(frozen=True)
class HeldData:
    """One category of the person held in a store, with what it is processed for and on what
    basis (``legal_bases`` None: not recorded on the holding)."""

    category: str
    purposes: Sequence[str] = ()
    legal_bases: Sequence[str] | None = None


@dataclass(frozen=True)
class StoreHolding:
    """A store holding the person's data at receipt, and where it is (the task's snapshot)."""

    store: str
    system: str | None
    processor: str | None
    countries: Sequence[str]
    sub_processors: Sequence[str]
    held: Sequence[HeldData]
    store_purposes: Sequence[str] = ()  # the catalog's, for holdings whose events named none


@dataclass(frozen=True)
class TaskPlan:
    """A task to open: the store, and the categories the request concerns there."""

    store: str
    system: str | None
    processor: str | None
    countries: list[str]
    sub_processors: list[str]
    categories: list[str]
    reason: str | None = None  # why the task is there when it is not plain (a basis not recorded)

    def row(self) -> dict[str, object]:
        return {
            "store": self.store,
            "system": self.system,
            "processor": self.processor,
            "countries": self.countries,
            "sub_processors": self.sub_processors,
            "categories": self.categories,
            "reason": self.reason,
        }


BASIS_NOT_RECORDED = (
    "legal basis not recorded for {categories}: included, as the basis may be consent or contract"
)


def within(key: str, roots: Iterable[str]) -> bool:
    """A fideslang key equal to or below one of ``roots`` (``marketing`` covers
    ``marketing.communications.email``)."""
    return any(key == root or key.startswith(root + ".") for root in roots)


def objected_purposes(purposes: Iterable[str]) -> list[str]:
    """The purposes an objection names, sorted and deduplicated; at least one."""
    chosen = sorted({p.strip() for p in purposes if p.strip()})
    if not chosen:
        raise QueryError(
            f"purposes: an objection names at least one ('{DIRECT_MARKETING}': all direct marketing)"
        )
    return chosen


def plan_tasks(
    kind: RequestKind,
    stores: Iterable[StoreHolding],
    purposes: Sequence[str] = (),
    categories: Sequence[str] = (),
) -> list[TaskPlan]:
    """One task per store the request must reach, with the categories it concerns there.

    Access, restriction and erasure reach every store holding the person's data; rectification
    too, or only the stores holding the categories to correct when the person named them.
    Portability reaches the data processed on consent or contract; a holding whose basis is
    not recorded is included and the task says so (the person is better served by a copy too
    many than one missing). Objection reaches the data processed for an objected purpose or one
    below it (the holding's purposes from its events, else the store's declared ones).
    """
    plans = []
    for store in stores:
        chosen, unknown_basis = _concerned(kind, store, purposes, categories)
        if not chosen:
            continue
        reason = BASIS_NOT_RECORDED.format(categories=", ".join(unknown_basis)) if unknown_basis else None
        plans.append(
            TaskPlan(
                store=store.store,
                system=store.system,
                processor=store.processor,
                countries=sorted(set(store.countries)),
                sub_processors=sorted(set(store.sub_processors)),
                categories=chosen,
                reason=reason,
            )
        )
    return sorted(plans, key=lambda plan: plan.store)


def _concerned(
    kind: RequestKind, store: StoreHolding, purposes: Sequence[str], categories: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The store's categories the request concerns, and those included for want of a basis."""
    held = list(store.held)
    unknown: set[str] = set()
    if kind == RequestKind.PORTABILITY:
        unknown = {h.category for h in held if not h.legal_bases}
        held = [h for h in held if not h.legal_bases or PORTABLE_BASES & set(h.legal_bases)]
    elif kind == RequestKind.OBJECTION:
        held = [h for h in held if any(within(p, purposes) for p in (h.purposes or store.store_purposes))]
    elif kind == RequestKind.RECTIFICATION and categories:
        held = [h for h in held if within(h.category, categories)]
    chosen = sorted({h.category for h in held})
    return chosen, sorted(unknown & set(chosen))


# --- closing a task, lifting a state ---------------------------------------------------------


@dataclass(frozen=True)
class Answered:
    """A system's answer to a task: the evidence (a ticket, a file name) and who recorded it."""

    evidence: str
    by: str
    at: datetime


def answer_task(kind: str, task_status: str, evidence: str, by: str | None, now: datetime) -> Answered:
    """A task of any kind but erasure is done when its system answers; refused with why.

    An erasure task is closed by the deletion the source reports, never by someone's word for
    it (that is an acknowledgement). The evidence is kept with the request: it names no one.
    """
    if kind == RequestKind.ERASURE:
        raise QueryError("an erasure task closes on the deletion event the system reports, not on an answer")
    if task_status != TaskStatus.OUTSTANDING:
        raise QueryError(f"the task is already {task_status}")
    text = note(evidence, "evidence", required=True)
    return Answered(str(text), note(by, "by") or "operator", now)


@dataclass(frozen=True)
class Lifted:
    reason: str
    at: datetime


def lift(kind: str, in_force: bool, reason: str, now: datetime) -> Lifted:
    """End a restriction or an objection, with the reason (Art. 18(3): the person is told
    before a restriction is lifted); refused on other kinds, or when already lifted."""
    if kind not in STATES:
        raise QueryError("only a restriction or an objection is in force, and can be lifted")
    if not in_force:
        raise QueryError("the request is not in force any more: it was lifted")
    return Lifted(str(note(reason, "reason", required=True)), now)


def close(outstanding: int, closure_note: str) -> str:
    """A request is closed with a note of how the person was answered, once nothing is
    outstanding; the note is refused if it names someone."""
    if outstanding:
        raise QueryError(f"{outstanding} task(s) still outstanding: answer them before closing")
    return str(note(closure_note, "note", required=True))


def in_force_since(kind: RequestKind, received_at: datetime) -> datetime | None:
    """A restriction or objection applies from receipt: processing after the person asked is
    what the law restricts, however long the request took to be typed in."""
    return received_at if kind in STATES else None


@dataclass(frozen=True)
class Opening:
    """What a new request records besides its tasks."""

    kind: RequestKind
    purposes: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def opening(kind: str, purposes: Iterable[str] = (), categories: Iterable[str] = ()) -> Opening:
    """The kind checked, with the purposes (objection) and categories (rectification) it takes."""
    try:
        chosen = RequestKind(kind)
    except ValueError:
        raise QueryError(f"kind: one of {', '.join(k.value for k in RequestKind)}") from None
    purposes, categories = list(purposes), list(categories)
    if purposes and chosen != RequestKind.OBJECTION:
        raise QueryError("purposes: only an objection names purposes")
    if categories and chosen != RequestKind.RECTIFICATION:
        raise QueryError("categories: only a rectification names categories")
    try:
        for purpose in purposes:
            check_data_use(purpose.strip())
        for category in categories:
            check_category(category)
    except ValueError as exc:
        raise QueryError(f"{'purposes' if 'purpose' in str(exc) else 'categories'}: {exc}") from None
    if chosen == RequestKind.OBJECTION:
        purposes = objected_purposes(purposes)
    return Opening(chosen, purposes, sorted(set(categories)))
