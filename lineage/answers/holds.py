"""Legal holds: place one on a person, a store, a system or the organisation; release; list.

What a hold keeps is left out of expiry (``lineage expiring``, the overdue check) and of erasure
(the task is retained, naming the hold and its reason), by one Cypher definition
(:data:`graph.holds.ACTIVE_HOLDS_ON_HOLDING`). Every surface places holds through here, inside
:func:`lineage.answers.audit.audited` with :attr:`HoldOn.audit_target`.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from neo4j import Driver
from pydantic import Field

from graph import holds
from lineage.answers.answer import Answer
from lineage.answers.retention import parse_date
from lineage.domain.holds import (
    HoldOn,
    HoldScope,
    HoldView,
    checked_hold,
    covers,
    hold_on,
    hold_on_options,
)
from lineage.errors import NotFoundError

__all__ = [
    "Hold",
    "HoldOn",
    "HoldPlaced",
    "HoldReleased",
    "HoldScope",
    "add_hold",
    "hold_on",
    "hold_on_options",
    "holds_covering",
    "listed_holds",
    "release_hold",
]


class Hold(Answer):
    """A legal hold: data a litigation or an inquiry freezes, out of expiry and erasure."""

    id: str = Field(description="hold id")
    scope: HoldScope = Field(description="what it is on: person, store, system or organisation")
    target: str | None = Field(description="the store or system id held (null: a person, everything)")
    subject: str | None = Field(description="keyed hash of the person held (a person's hold only)")
    reason: str = Field(description="the case or inquiry")
    stores: list[str] = Field(description="stores held of the person's; empty: all of them")
    categories: list[str] = Field(description="categories held (and their children); empty: all")
    since: datetime = Field(description="when it was placed")
    until: datetime | None = Field(description="when it ends, if known")
    released_at: datetime | None = Field(description="when it was released")
    placed_by: str | None = Field(None, description="who placed it (kind:name of the actor)")
    released_by: str | None = Field(None, description="who released it")
    status: str = Field(description="active, released or ended")

    @property
    def on(self) -> str:
        """What it is on, in a word or two: ``person 3f2a9c01``, ``store crm/contacts``."""
        if self.scope is HoldScope.PERSON:
            return f"person {(self.subject or '')[:8]}"
        return f"{self.scope} {self.target}" if self.target else str(self.scope)


class HoldPlaced(Answer):
    """A hold just placed, and on what."""

    id: str = Field(description="hold id")
    scope: HoldScope = Field(description="person, store, system or organisation")
    subject: str | None = Field(description="keyed hash of the person held (a person's hold)")
    target: str | None = Field(description="the store or system held")


class HoldReleased(Answer):
    """A hold released: the data is subject to expiry and erasure again."""

    id: str = Field(description="hold id")
    status: str = Field(description="released")


def add_hold(
    driver: Driver,
    database: str,
    on: HoldOn,
    reason: str,
    stores: list[str],
    categories: list[str],
    until: str | None,
    zone: tzinfo = UTC,
    *,
    placed_by: str,
) -> HoldPlaced:
    """Places a hold, naming the actor who placed it (their label, from the session or token).
    ``stores`` narrows a person's hold only; ``until`` is a YYYY-MM-DD day in ``zone``."""
    categories = checked_hold(on, reason, stores, categories)
    ends = parse_date(until, "until", zone) if until else None
    placed = holds.add_hold(driver, database, on, reason, stores, categories, ends, placed_by)
    if placed is None:
        raise NotFoundError(_unknown(on))
    return HoldPlaced.model_validate(placed)


def _unknown(on: HoldOn) -> str:
    if on.scope is HoldScope.PERSON:
        return "lineage knows nobody by this identifier"
    return f"lineage knows no {on.scope} {on.target!r}"


def release_hold(
    driver: Driver, database: str, hold_id: str, reason: str, *, released_by: str
) -> HoldReleased:
    if not holds.release_hold(driver, database, hold_id, reason, released_by):
        raise NotFoundError(f"no active hold {hold_id!r}")
    return HoldReleased(id=hold_id, status="released")


def listed_holds(driver: Driver, database: str, include_ended: bool = False) -> list[Hold]:
    """Legal holds in force (every hold, released and ended included, with ``include_ended``)."""
    return [Hold.model_validate(row) for row in holds.list_holds(driver, database, include_ended)]


def holds_covering(
    in_force: list[Hold], subject: str, store: str, system: str | None, category: str
) -> list[Hold]:
    """Which of the holds in force keep ``subject``'s ``category`` in ``store`` (of ``system``)."""
    return [
        hold
        for hold in in_force
        if hold.status == "active"
        and covers(
            HoldView(hold.scope, hold.target, hold.subject, tuple(hold.stores), tuple(hold.categories)),
            subject,
            store,
            system,
            category,
        )
    ]
