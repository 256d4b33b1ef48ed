"""One person's map as the graph reads it (``graph.access``), typed: what the access report and
the portability export are built from. Pure.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from lineage.domain.catalog import Catalog
from lineage.domain.consent import basis_for


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HoldingRead(_Model):
    store: str
    category: str
    state: str
    subject_type: str | None = None
    purposes: list[str] = []
    legal_bases: list[str] = []
    direct: bool = False
    collected: bool = False
    copied_from: list[str] = []
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    expires_at: datetime | None = None
    rule: str | None = None
    trigger: str | None = None
    legal_rule: str | None = None
    legal_until: datetime | None = None
    archive_until: datetime | None = None
    erased_at: datetime | None = None
    withdrawn_at: datetime | None = None


class SubProcessorRead(_Model):
    id: str
    name: str | None = None
    country: str | None = None


class StoreRead(_Model):
    store: str
    name: str | None = None
    declared: bool | None = None
    system: str | None = None
    system_name: str | None = None
    processor_id: str | None = None
    processor: str | None = None
    processor_country: str | None = None
    country: str | None = None
    sub_processors: list[SubProcessorRead] = []


class ConsentRead(_Model):
    purpose: str
    given_at: datetime | None = None
    withdrawn_at: datetime | None = None


class TaskRead(_Model):
    id: str | None = None
    store: str | None = None
    system: str | None = None
    processor: str | None = None
    status: str | None = None


class RequestRead(_Model):
    id: str
    kind: str | None = None
    received_at: datetime | date | None = None
    deadline: datetime | date | None = None
    status: str | None = None
    tasks: list[TaskRead] = []


class PersonRead(_Model):
    """One person's map as ``graph.access.person_access_map`` reads it."""

    subject: str
    subject_types: list[str] = []
    holdings: list[HoldingRead] = []
    stores: list[StoreRead] = []
    consents: list[ConsentRead] = []
    request: RequestRead | None = None


def holding_bases(catalog: Catalog, holding: HoldingRead) -> list[str]:
    """The bases its events stated, else the catalog's for its store and purposes (Art. 6)."""
    if holding.legal_bases:
        return holding.legal_bases
    purposes: list[str | None] = [*holding.purposes] or [None]
    declared = {basis_for(catalog, holding.store, p, None) for p in purposes}
    return sorted(b.value for b in declared if b is not None)
