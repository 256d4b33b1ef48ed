"""One person's answers: their data map and their erasure impact, shared by the CLI and the API.

Turning what a user types (an e-mail, ``system:id``) into the key the graph knows happens here
too, so the raw value goes no further than this module: the answers name the keyed hash only.
"""

from __future__ import annotations

from datetime import datetime

from neo4j import Driver
from pydantic import Field

from graph.reader import GraphReader
from lineage.answers.answer import Answer
from lineage.domain.subjects import SubjectHasher, identifier_key
from lineage.errors import QueryError
from lineage.settings import Settings


class CategoryRetention(Answer):
    """When one held category of a store expires, by which rule, from which moment."""

    category: str = Field(description="fideslang data category held")
    expires_at: datetime | None = Field(description="when it must be gone (none: no rule covers it)")
    rule: str | None = Field(description="the catalog's retention rule that applies")
    trigger: str | None = Field(description="what the rule counts from (last contact, contract end...)")
    moment: str | None = Field(description="the moment the expiry was counted from")
    event: str | None = Field(description="id of the event that set that moment: the evidence")
    legal_rule: str | None = Field(None, description="a legal obligation to keep it, if any")
    legal_until: datetime | None = Field(None, description="until when that obligation keeps it")


class StoreHoldings(Answer):
    """What lineage holds (and erased) of one person in one store, where and by whom."""

    subject: str = Field(description="keyed hash of the person")
    store: str = Field(description="store id (system/store)")
    system: str | None = Field(description="the system the store belongs to")
    processor_id: str | None = Field(description="processor running the store")
    processor: str | None = Field(description="the processor's name")
    country: str | None = Field(description="ISO country code where the store is located")
    declared: bool | None = Field(description="whether the catalog declares this store")
    subject_types: list[str] | None = Field(description="what the person is (customer, candidate...)")
    held: list[str] = Field(description="categories still held")
    erased: list[str] = Field(description="categories erased")
    first_seen: datetime | None = Field(description="first event about this person in the store")
    last_seen: datetime | None = Field(description="last event about this person in the store")
    erased_at: datetime | None = Field(description="when the last erasure there was recorded")
    expires_at: datetime | None = Field(description="earliest expiry of what is held")
    retention: list[CategoryRetention] = Field(description="per held category: its expiry")


class DataMap(Answer):
    """Per store, what lineage holds (and erased) of one person: the Art. 15 answer."""

    identifier: str = Field(description="the keyed hash looked up")
    subject: str | None = Field(description="the person it belongs to; null when nobody is known by it")
    stores: list[StoreHoldings] = Field(description="one row per store, ordered by store")


class SubProcessor(Answer):
    """A sub-processor somewhere down a processor's chain, and where it is established."""

    id: str = Field(description="processor id in the catalog")
    name: str | None = Field(description="its name")
    country: str | None = Field(description="ISO country code where it is established")


class ImpactStore(Answer):
    """A store still holding the person's data: what an erasure there must reach."""

    store: str = Field(description="store id (system/store)")
    system: str | None = Field(description="the system the store belongs to")
    processor_id: str | None = Field(description="processor running the store")
    processor: str | None = Field(description="the processor's name")
    country: str | None = Field(description="ISO country code where the store is located")
    categories: list[str] = Field(description="categories held there")
    sub_processors: list[SubProcessor] = Field(description="every sub-processor down the chain")


class ErasureImpact(Answer):
    """Everything to erase for one person (Art. 17)."""

    subject: str = Field(description="the keyed hash looked up")
    countries: list[str] = Field(description="every country concerned, stores and sub-processors, sorted")
    stores: list[ImpactStore] = Field(description="stores still holding the person's data")


def subject_key(settings: Settings, identifier: str) -> str:
    """The identifier hashed as the adapters did; the raw value goes no further than this."""
    try:
        return identifier_key(SubjectHasher(settings.require_subject_key()), identifier)
    except ValueError as exc:
        raise QueryError(str(exc)) from exc


def data_map(driver: Driver, database: str, key: str) -> DataMap:
    """``subject`` is None when nobody is known by ``key``; the CLI's ``--json`` and ``POST
    /subject`` print exactly this."""
    rows = [StoreHoldings.model_validate(row) for row in GraphReader(driver, database).subject_map(key)]
    return DataMap(identifier=key, subject=rows[0].subject if rows else None, stores=rows)


def erasure_impact(driver: Driver, database: str, key: str) -> ErasureImpact:
    """Every store still holding the person's data, with processors, sub-processor chains and
    every country concerned: what an Art. 17 request must reach."""
    rows = [ImpactStore.model_validate(row) for row in GraphReader(driver, database).erasure_impact(key)]
    return ErasureImpact(subject=key, countries=impact_countries(rows), stores=rows)


def impact_countries(rows: list[ImpactStore]) -> list[str]:
    """Countries of the stores and of every sub-processor down their chains, sorted."""
    countries = {r.country for r in rows if r.country}
    countries |= {s.country for r in rows for s in r.sub_processors if s.country}
    return sorted(countries)
