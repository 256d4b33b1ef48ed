"""Legal holds: what a hold is on, and which holdings it covers.

A dispute or an inquiry freezes data: one person's (a claim by a customer), or whole categories
of a store, a system or the organisation "for the duration of a dispute or its limitation
period" (an audit of the billing system, a class action about the newsletter). A hold is on
exactly one of those, optionally narrowed by categories (and, for a person, by stores). The
graph decides the same thing in Cypher (:data:`graph.holds.ACTIVE_HOLDS_ON_HOLDING`); this
module is the rule the workspace's person page applies to what it already read, and the parsing
every surface shares. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from lineage.domain.categories import check_category
from lineage.errors import QueryError


class HoldScope(StrEnum):
    """What a hold is on. A person's hold follows the person (through merges); the others are
    matched by the store, the system or nothing at all, so they need no link to each person."""

    PERSON = "person"
    STORE = "store"
    SYSTEM = "system"
    ORGANISATION = "organisation"


@dataclass(frozen=True)
class HoldOn:
    """The scope of a hold and its target: the person's keyed hash, a store id, a system id, or
    nothing for the whole organisation."""

    scope: HoldScope
    target: str | None = None

    def __post_init__(self) -> None:
        if (self.scope is HoldScope.ORGANISATION) != (self.target is None):
            raise QueryError(
                "an organisation hold names no target"
                if self.scope is HoldScope.ORGANISATION
                else f"a {self.scope} hold names its {self.scope}"
            )

    @property
    def covers(self) -> str | None:
        """The key the graph finds a scoped hold by, from a holding's store and system (a
        person's hold is found through its link to the person: None)."""
        if self.scope is HoldScope.PERSON:
            return None
        return covers_key(self.scope, self.target)

    @property
    def audit_target(self) -> str:
        """What the audit trail names: the keyed hash, or ``store:ID``, ``system:ID``,
        ``organisation`` (ids of the catalog, never a person's identifier)."""
        if self.scope is HoldScope.PERSON:
            assert self.target is not None
            return self.target
        return covers_key(self.scope, self.target)


def covers_key(scope: HoldScope, target: str | None) -> str:
    """``store:crm/contacts``, ``system:crm``, ``organisation``: one indexed property, so a
    store id and a system id of the same spelling never meet."""
    return str(scope) if scope is HoldScope.ORGANISATION else f"{scope}:{target}"


def hold_on_options(
    subject_key: str | None, stores: Sequence[str], system: str | None, organisation: bool
) -> tuple[HoldOn, list[str]]:
    """The command line's options as a scope and the stores a person's hold is narrowed to.

    With a person, ``--store`` narrows their hold (repeatable); without one, a single
    ``--store`` is the store held. ``--system`` and ``--organisation`` stand alone."""
    chosen = [bool(subject_key), bool(system), organisation]
    if sum(chosen) > 1:
        raise QueryError("a hold is on one of: a person, --system, --organisation")
    if subject_key:
        return HoldOn(HoldScope.PERSON, subject_key), list(stores)
    if stores and (system or organisation):
        raise QueryError(
            "--store narrows a person's hold only; a system or organisation hold takes --category"
        )
    if system:
        return HoldOn(HoldScope.SYSTEM, system), []
    if organisation:
        return HoldOn(HoldScope.ORGANISATION), []
    if len(stores) == 1:
        return HoldOn(HoldScope.STORE, stores[0]), []
    if stores:
        raise QueryError("one store per hold: place one hold per store")
    raise QueryError("a hold is on a person (an identifier), a --store, a --system or the --organisation")


def hold_on(scope: HoldScope, subject_key: str | None, target: str | None) -> HoldOn:
    """An API body's or a form's scope, person and target as what the hold is on: a person's
    hold names the person and no target; the others name no person."""
    if scope is HoldScope.PERSON:
        if target:
            raise QueryError("a person's hold names the person (identifier), not a target")
        if not subject_key:
            raise QueryError("a person's hold names the person: identifier")
        return HoldOn(scope, subject_key)
    if subject_key:
        raise QueryError(f"a {scope} hold names no person")
    return HoldOn(scope, target or None)


def checked_hold(on: HoldOn, reason: str, stores: Sequence[str], categories: Sequence[str]) -> list[str]:
    """The categories, checked: a reason is given, only a person's hold is narrowed by stores,
    and every category is a fideslang key (a misspelt one would hold nothing, silently)."""
    if not reason.strip():
        raise QueryError("a hold needs a reason (the case, the inquiry)")
    if stores and on.scope is not HoldScope.PERSON:
        raise QueryError(f"a {on.scope} hold is narrowed by categories only, not by stores")
    for position, category in enumerate(categories, start=1):
        try:
            check_category(category)
        except ValueError as exc:
            raise QueryError(f"categories: entry {position}: {exc}") from None
    return list(dict.fromkeys(categories))


@dataclass(frozen=True)
class HoldView:
    """What the person page knows of a hold in force, to tell which of a person's holdings it
    keeps."""

    scope: HoldScope
    target: str | None
    subject: str | None
    stores: tuple[str, ...]
    categories: tuple[str, ...]


def category_covered(held: Iterable[str], category: str) -> bool:
    """Empty: every category; otherwise the category or one of its ancestors is held."""
    held = tuple(held)
    return not held or any(category == c or category.startswith(c + ".") for c in held)


def covers(hold: HoldView, subject: str, store: str, system: str | None, category: str) -> bool:
    """Whether ``hold`` keeps ``subject``'s ``category`` in ``store`` (of ``system``; None for a
    store the catalog does not declare, which no system hold reaches)."""
    if not category_covered(hold.categories, category):
        return False
    if hold.scope is HoldScope.PERSON:
        return hold.subject == subject and (not hold.stores or store in hold.stores)
    if hold.scope is HoldScope.STORE:
        return hold.target == store
    if hold.scope is HoldScope.SYSTEM:
        return system is not None and hold.target == system
    return True
