"""The audit trail for the CLI, the API and the workspace: record, verify, list, export, purge.

Fail closed. :func:`record` either appends the entry or raises :class:`AuditUnavailable` (after
the driver's own retries of a transient failure); it never swallows an error. An action that
cannot be recorded must not happen unrecorded: callers that disclose personal data record
before the answer leaves (no record, no answer: 503), and callers that change state record the
attempt's outcome in the same request and answer 503 when it cannot be written, so an operator
sees the failure. The subject key is required: the chain's key is derived from it.

Targets are keyed hashes or ids (a request, a hold, a user, a client), never a person's
identifier; the entry keeps the client's address for accountability of the staff who acted.
"""

from __future__ import annotations

import contextlib
import csv
import getpass
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from neo4j import Driver
from neo4j.exceptions import DriverError, Neo4jError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from graph import audit as store
from lineage.answers.catalog_file import read_catalog
from lineage.domain.access import Actor, Role
from lineage.domain.audit import (
    OUTCOMES,
    PURGE_ACTION,
    AuditEntry,
    AuditHead,
    Verdict,
    chain_key,
    next_entry,
    seal_anchor,
    utc,
)
from lineage.domain.audit import verify as verify_chain
from lineage.errors import AuditUnavailable, LineageError, QueryError
from lineage.settings import Settings

ExportFormat = Literal["csv", "json"]
COLUMNS: tuple[str, ...] = tuple(AuditEntry.model_fields)
MAX_PAGE = 500


class AuditFilters(BaseModel):
    """What a listing or an export is narrowed to; every field optional. ``action`` matches
    itself and the actions under it (``request`` matches ``request.open``); ``until`` is
    exclusive."""

    model_config = ConfigDict(frozen=True)

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, at: datetime | None) -> datetime | None:
        return None if at is None else utc(at)

    @field_validator("outcome")
    @classmethod
    def _known(cls, outcome: str | None) -> str | None:
        if outcome is not None and outcome not in OUTCOMES:
            raise ValueError(f"not one of {', '.join(OUTCOMES)}")
        return outcome


def parse_moment(
    value: str | None, name: str, zone: tzinfo = UTC, *, end_of_day: bool = False
) -> datetime | None:
    """A filter's bound: a YYYY-MM-DD date (the start of that day in the organisation's zone, or
    with ``end_of_day`` the start of the next, so ``until`` a date includes it) or an ISO 8601 time
    with its offset."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + timedelta(days=1 if end_of_day else 0)
            return datetime.combine(day, time(0), tzinfo=zone)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{name}: not a YYYY-MM-DD date or an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise QueryError(f"{name}: a time needs its offset (e.g. +02:00)")
    return moment


def filters_from(
    settings: Settings,
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    outcome: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> AuditFilters:
    """Filters as typed at the command line or sent as query parameters: empty means unset,
    dates are days of the organisation's zone (read from the catalog only for a date)."""
    if outcome and outcome not in OUTCOMES:
        raise QueryError(f"outcome: not one of {', '.join(OUTCOMES)}")
    days = [bound for bound in (since, until) if bound and len(bound) == 10]
    zone = read_catalog(settings).zone if days else UTC
    return AuditFilters(
        actor=actor or None,
        action=action or None,
        target=target or None,
        outcome=outcome or None,
        since=parse_moment(since, "since", zone),
        until=parse_moment(until, "until", zone, end_of_day=True),
    )


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next_cursor: int | None = Field(
        None, description="Pass as cursor for the next (older) page; None on the last page."
    )


class AuditExport(BaseModel):
    """The JSON export: the chain's head when it was written, the filters, the entries oldest first."""

    head: AuditHead
    filters: AuditFilters
    entries: list[AuditEntry]


class PurgeResult(BaseModel):
    deleted: int
    anchor_seq: int
    cutoff: datetime
    entry: AuditEntry


def cli_actor() -> Actor:
    """Whoever runs the command line: the operating-system user, with the settings (and so the
    keys) in hand, an administrator."""
    return Actor(name=getpass.getuser(), role=Role.ADMIN, kind="cli")


def _key(settings: Settings) -> bytes:
    return chain_key(settings.require_subject_key())


def _head(raw: dict[str, Any] | None) -> AuditHead:
    return AuditHead() if raw is None else AuditHead.model_validate(raw)


def _unavailable(exc: Exception) -> AuditUnavailable:
    return AuditUnavailable(f"the audit trail cannot be written ({type(exc).__name__})")


def record(
    driver: Driver,
    settings: Settings,
    actor: Actor,
    action: str,
    *,
    target: str | None,
    outcome: str,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry; raises :class:`AuditUnavailable` when it cannot be written (fail closed)."""
    key = _key(settings)
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome: not one of {', '.join(OUTCOMES)}")

    def build(head: dict[str, Any]) -> dict[str, Any]:
        entry = next_entry(
            key,
            head_seq=head["seq"],
            head_hash=head["hash"],
            at=now or datetime.now(UTC),
            actor=actor.name,
            role=actor.role.value if actor.role else "none",
            kind=actor.kind,
            action=action,
            target=target,
            outcome=outcome,
            address=actor.address,
        )
        return entry.model_dump()

    try:
        written = store.append(driver, settings.neo4j.database, build)
    except (Neo4jError, DriverError, store.ChainMoved) as exc:
        raise _unavailable(exc) from exc
    return AuditEntry.model_validate(written)


@contextlib.contextmanager
def audited(
    driver: Driver, settings: Settings, actor: Actor, action: str, target: str | None = None
) -> Iterator[None]:
    """Records what ``actor`` did, with how it ended: ``ok``, ``refused`` (a lineage error: not
    found, a bad query) or ``failed`` (anything else), then lets the error through.

    The entry is written after the action: an entry that cannot be written fails the request
    (:class:`AuditUnavailable`), so nobody takes an unrecorded change for a recorded one.
    """
    try:
        yield
    except Exception as exc:
        outcome = "refused" if isinstance(exc, LineageError) else "failed"
        with contextlib.suppress(AuditUnavailable):  # the action's own error says more
            record(driver, settings, actor, action, target=target, outcome=outcome)
        raise
    record(driver, settings, actor, action, target=target, outcome="ok")


def head(driver: Driver, settings: Settings) -> AuditHead:
    return _head(store.head(driver, settings.neo4j.database))


def verify(driver: Driver, settings: Settings) -> Verdict:
    """Check the whole chain kept in the graph, from its anchor to its head, streamed.

    Entries appended while it runs lie past the head it read and are left for the next run; a
    purge that moved the anchor meanwhile is met by reading once more."""
    key, database = _key(settings), settings.neo4j.database
    verdict = None
    for _ in range(2):
        current = head(driver, settings)
        entries = (
            AuditEntry.model_validate(e)
            for e in store.chain(driver, database, current.anchor_seq, current.seq)
        )
        verdict = verify_chain(entries, current, key)
        if verdict.ok or head(driver, settings).anchor_seq == current.anchor_seq:
            return verdict
    assert verdict is not None
    return verdict


def entries(
    driver: Driver, settings: Settings, filters: AuditFilters, cursor: int | None = None, limit: int = 50
) -> AuditPage:
    """One page of entries matching ``filters``, newest first; ``cursor`` is the previous
    page's ``next_cursor``."""
    if not 1 <= limit <= MAX_PAGE:
        raise QueryError(f"limit must be between 1 and {MAX_PAGE}")
    found = store.page(driver, settings.neo4j.database, filters.model_dump(), cursor, limit + 1)
    page = [AuditEntry.model_validate(e) for e in found[:limit]]
    return AuditPage(entries=page, next_cursor=page[-1].seq if len(found) > limit else None)


def _row(entry: AuditEntry) -> dict[str, Any]:
    row = entry.model_dump(mode="json")
    row["at"] = entry.at.isoformat(timespec="microseconds")
    return row


def export(
    driver: Driver, settings: Settings, format: ExportFormat, filters: AuditFilters | None = None
) -> Iterator[str]:
    """The entries matching ``filters``, oldest first, as CSV (a header row, one row per entry)
    or JSON (``{"head": ..., "filters": ..., "entries": [...]}``), in chunks: a long trail is
    never held whole. An unfiltered export carries everything :func:`verify_export` needs."""
    filters = filters or AuditFilters()
    found = (
        AuditEntry.model_validate(e)
        for e in store.selected(driver, settings.neo4j.database, filters.model_dump())
    )
    if format == "csv":
        return _csv(found)
    if format == "json":
        return _json(found, head(driver, settings), filters)
    raise QueryError("format must be csv or json")


def _csv(found: Iterable[AuditEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in found:
        writer.writerow(_row(entry))
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _json(found: Iterable[AuditEntry], current: AuditHead, filters: AuditFilters) -> Iterator[str]:
    opening = {"head": current.model_dump(), "filters": filters.model_dump(mode="json")}
    yield json.dumps(opening, indent=1)[:-2] + ',\n "entries": [\n'
    separator = ""
    for entry in found:
        yield separator + "  " + json.dumps(_row(entry), sort_keys=True)
        separator = ",\n"
    yield "\n ]\n}\n"


def read_export(format: ExportFormat, text: str) -> list[AuditEntry]:
    """The entries of an export, as :func:`export` wrote them."""
    if format == "json":
        return [AuditEntry.model_validate(e) for e in json.loads(text)["entries"]]
    rows = csv.DictReader(io.StringIO(text))
    return [AuditEntry.model_validate({k: (v if v != "" else None) for k, v in row.items()}) for row in rows]


def verify_export(settings: Settings, entries: list[AuditEntry], current: AuditHead) -> Verdict:
    """Verify an unfiltered export away from the graph, against the head it carries (JSON) or
    one noted separately."""
    return verify_chain(entries, current, _key(settings))


def purge(driver: Driver, settings: Settings, actor: Actor, now: datetime | None = None) -> PurgeResult:
    """Apply retention: remove the entries older than ``LINEAGE_AUDIT_RETENTION_DAYS`` and record
    the purge itself (``audit.purge``, target the seqs removed); the chain still verifies from
    the sealed anchor. Fails closed like :func:`record`."""
    key = _key(settings)
    at = now or datetime.now(UTC)
    cutoff = at - timedelta(days=settings.audit_retention_days)

    def seal(anchor_seq: int, anchor_hash: str, purged: int) -> str:
        return seal_anchor(key, anchor_seq, anchor_hash, purged)

    def build(current: dict[str, Any]) -> dict[str, Any]:
        figures = current["purge"]
        deleted = figures["deleted"]
        target = f"seq {figures['first_deleted']}-{figures['anchor_seq'] - 1}" if deleted else None
        entry = next_entry(
            key,
            head_seq=current["seq"],
            head_hash=current["hash"],
            at=at,
            actor=actor.name,
            role=actor.role.value if actor.role else "none",
            kind=actor.kind,
            action=PURGE_ACTION,
            target=target,
            outcome="ok",
            address=actor.address,
        )
        return entry.model_dump()

    try:
        done = store.purge(driver, settings.neo4j.database, cutoff, seal, build)
    except (Neo4jError, DriverError, store.ChainMoved) as exc:
        raise _unavailable(exc) from exc
    return PurgeResult(
        deleted=done["deleted"],
        anchor_seq=done["anchor_seq"],
        cutoff=cutoff,
        entry=AuditEntry.model_validate(done["entry"]),
    )
