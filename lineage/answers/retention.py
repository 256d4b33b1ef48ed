"""Retention answers: what expires before a date (held data left out, and said so; the holds
themselves are :mod:`lineage.answers.holds`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo

from neo4j import Driver
from pydantic import Field

from graph import retention
from graph.requests import fixed_offset
from lineage.answers.answer import Answer
from lineage.errors import QueryError


class ExpiringGroup(Answer):
    """Holdings of one page sharing store, category, subject type, rule, whether held, the
    action due and the retention state."""

    store: str = Field(description="store id (system/store)")
    category: str = Field(description="fideslang data category")
    subject_type: str | None = Field(description="what the people are (customer, candidate...)")
    rule: str | None = Field(description="the catalog's retention rule that set the expiry")
    held: bool = Field(description="whether a legal hold keeps these holdings")
    action: str = Field(
        "delete", description="what the end of the active period calls for: delete, anonymise, archive"
    )
    state: str = Field(
        "active",
        description="active (to delete or anonymise by the date), archive_due (to archive by the "
        "date), archived (in the archive, to delete from it by the date) or overdue",
    )
    holdings: int = Field(description="holdings in the group (one person's category in the store)")
    subjects: int = Field(description="people in the group")
    earliest: datetime = Field(description="earliest expiry in the group")
    latest: datetime = Field(description="latest expiry in the group")
    archive_until: datetime | None = Field(
        None, description="for an archive rule: the earliest end of the archive in the group"
    )
    overdue: int = Field(
        description="holdings already past their expiry (an archive rule's: past the archive)"
    )
    held_by: list[str] = Field(description="the holds keeping them: 'hold-id (reason)'")


class ExpiringPage(Answer):
    """One page of held data expiring before a date, in expiry order, grouped."""

    before: str = Field(description="the date asked for (YYYY-MM-DD)")
    now: datetime = Field(description="when the answer was computed: what is overdue is judged on it")
    expiring: list[ExpiringGroup] = Field(description="groups to delete, not under any hold")
    subjects: int = Field(description="distinct people of this page with data to delete")
    overdue_holdings: int = Field(description="holdings of this page already overdue")
    archive_due_holdings: int = Field(
        0, description="holdings of this page to move into the archive by the date"
    )
    left_out_held: list[ExpiringGroup] = Field(description="groups a legal hold keeps, with the hold")
    next_cursor: str | None = Field(description="cursor of the next page; null on the last")


# The largest page of holdings anyone may ask for (the API's default is 20,000): one page is one
# read, and a read of millions of holdings holds a Neo4j worker and the API's thread for minutes.
MAX_PAGE = 100_000


def parse_date(value: str, name: str, zone: tzinfo = UTC) -> datetime:
    """A YYYY-MM-DD date as the start of that day in the organisation's zone: "expiring before
    1 July" in Paris means before midnight in Paris, two hours before midnight UTC in summer."""
    try:
        return fixed_offset(datetime.combine(date.fromisoformat(value), time(0), tzinfo=zone))
    except ValueError as exc:
        raise QueryError(f"{name}: {exc}") from exc


def parse_cursor(value: str | None) -> tuple[datetime, int]:
    """``<epoch ms>.<skip>`` as the page start: a time and how many holdings at exactly that
    time the previous pages returned. It names nobody, so it may sit in a URL."""
    if not value:
        return retention.EARLIEST, 0
    at, dot, skip = value.partition(".")
    # ASCII digits only (str.isdigit also takes "²"), and few enough of them: a skip past a
    # 64-bit integer cannot be sent to Neo4j, and a time past 15 digits is no date.
    if not dot or not _digits(at, _MAX_TIME_DIGITS) or not _digits(skip, _MAX_SKIP_DIGITS):
        raise QueryError("cursor: not a cursor this service gave")
    try:
        return datetime.fromtimestamp(int(at) / 1000, UTC), int(skip)
    except (OverflowError, ValueError, OSError):  # digits, but no time a page can start at
        raise QueryError("cursor: not a cursor this service gave") from None


_MAX_TIME_DIGITS = 15
_MAX_SKIP_DIGITS = 18  # below 2**63, Neo4j's largest integer


def _digits(text: str, most: int) -> bool:
    return 0 < len(text) <= most and text.isascii() and text.isdigit()


def cursor_of(page: retention.ExpiringPage) -> str | None:
    if page.next_at is None:
        return None
    return f"{int(page.next_at.timestamp() * 1000)}.{page.next_skip}"


def expiring(
    driver: Driver,
    database: str,
    before: str,
    store: str | None = None,
    category: str | None = None,
    subject_type: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    zone: tzinfo = UTC,
    now: datetime | None = None,
    on: str | None = None,
) -> ExpiringPage:
    """Held data whose active period ends before ``before``; what a legal hold keeps is listed
    apart, with why. States are judged at ``now`` (default: this instant); archived data whose
    archive outlasts ``before`` has nothing due by then and is left out. ``on`` (YYYY-MM-DD,
    the organisation's calendar) judges them at the start of that day instead.

    With ``limit``, one page of at most that many holdings in expiry order, and ``next_cursor``
    to ask for the next (None on the last): on a large graph the holdings expiring within months
    are millions, and no index makes grouping them all quick. Groups are per (store, category),
    so a group's counts from two pages add up; ``subjects`` counts the people of this page.
    """
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        raise QueryError(f"limit: must be between 1 and {MAX_PAGE}")
    if on is not None:  # "what will stand on 1 January": states judged at the start of that day
        now = parse_date(on, "on", zone)
    now, until = now or datetime.now(UTC), parse_date(before, "before", zone)
    from_at, skip = parse_cursor(cursor)
    page = retention.expiring_page(
        driver, database, until, now, store, category, subject_type, limit, from_at, skip
    )
    groups = [ExpiringGroup.model_validate(g) for g in page.groups]
    due = [g for g in groups if not g.held]
    return ExpiringPage(
        before=before,
        now=now,
        expiring=due,
        subjects=page.subjects,
        overdue_holdings=sum(g.overdue for g in due),
        archive_due_holdings=sum(g.holdings for g in due if g.state == "archive_due"),
        left_out_held=[g for g in groups if g.held],
        next_cursor=cursor_of(page),
    )
