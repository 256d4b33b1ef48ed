"""Who may do what: roles, the permissions they carry, and the actor an action is recorded under.

Three roles, each a superset of the one before, as a DPO's office works: a ``viewer`` sees the
organisation's aggregate answers (transfers, the record of processing, what expires, alerts) but
never one person; a ``dpo`` looks people up and acts on their rights; an ``admin`` also manages
who may sign in. Every route and page names the one permission it needs, so a role's reach is
read off this table, not off the handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    VIEWER = "viewer"
    DPO = "dpo"
    ADMIN = "admin"


class Permission(StrEnum):
    AGGREGATES = "aggregates"
    """Answers about the organisation: transfers, flows, RoPA, expiring, alerts, holds, breaches,
    overview."""
    PEOPLE = "people"
    """One person's map, erasure impact, a request's report or export, the people a breach exposed."""
    ACT = "act"
    """Changes on behalf of people: requests, tasks, holds, breaches, acknowledgements."""
    AUDIT = "audit"
    """Reading and exporting the audit trail."""
    ADMINISTER = "administer"
    """Accounts, API clients and sessions."""


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.AGGREGATES}),
    Role.DPO: frozenset({Permission.AGGREGATES, Permission.PEOPLE, Permission.ACT, Permission.AUDIT}),
    Role.ADMIN: frozenset(Permission),
}

ActorKind = Literal["account", "client", "service", "cli", "processor"]


@dataclass(frozen=True)
class Actor:
    """Who acted, as the audit trail records them: a workspace account, an API client, the
    service token of the environment, a person at the command line of the server, or a processor
    acknowledging a task with the token its notice carried (no role: it may do only that)."""

    name: str
    role: Role | None
    kind: ActorKind
    address: str | None = None
    session: str | None = None

    def may(self, permission: Permission) -> bool:
        return self.role is not None and permission in ROLE_PERMISSIONS[self.role]

    @property
    def label(self) -> str:
        """The name the audit trail shows: its kind first, so an account and a client that share
        a name are told apart."""
        return f"{self.kind}:{self.name}"


def parse_role(value: str) -> Role:
    """A role from its name, or ``ValueError`` naming the three there are."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise ValueError(f"unknown role: use one of {', '.join(r.value for r in Role)}") from None
