"""Who may do what: roles, the permissions they carry, and the actor a request acts as.

Roles are hierarchical: a DPO has every permission of a viewer, an admin every permission.
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
    PEOPLE = "people"
    ACT = "act"
    AUDIT = "audit"
    ADMINISTER = "administer"


@dataclass(frozen=True)
class Actor:
    """Who acts: an account of the workspace, an API client, a service or the command line."""

    name: str
    role: Role
    kind: Literal["account", "client", "service", "cli"]
    address: str | None = None
    session: str | None = None
