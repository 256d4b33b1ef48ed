"""One person's answers: their data map and their erasure impact, shared by the CLI and the API.

The data map says, per holding, the purposes it serves, the legal basis each rests on (what its
events stated, else the catalog's when the caller has it) and, where a purpose rests on consent,
whether the person's consent stands; and, per purpose, when consent was given and withdrawn.

Turning what a user types (an e-mail, ``system:id``) into the key the graph knows happens here
too, so the raw value goes no further than this module: the answers name the keyed hash only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from neo4j import Driver
from pydantic import Field

from graph import consent as consent_graph
from graph.reader import GraphReader
from lineage.answers.answer import Answer
from lineage.domain.catalog import Catalog
from lineage.domain.consent import ConsentState, bases_for, consent_state
from lineage.domain.events import LegalBasis
from lineage.domain.retention import RetentionState, retention_state
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
    action: str | None = Field(
        None, description="what the end of its active period calls for: delete, anonymise, archive"
    )
    archive_until: datetime | None = Field(
        None, description="for an archive rule: when the intermediate archive must be gone"
    )
    state: str = Field(
        "active",
        description="active, archived (past its active period, inside its archive period) or "
        "overdue (past the archive, or past the expiry of a delete or anonymise rule)",
    )


class HoldingBasis(Answer):
    """What one held category of a store is processed for, on which basis, with what consent."""

    category: str = Field(description="fideslang data category held")
    purposes: list[str] = Field(description="fideslang data uses its events named, sorted")
    legal_bases: list[str] = Field(
        description="GDPR Art. 6(1) bases: those its events stated, else the catalog's for its "
        "purposes or store; empty when neither says"
    )
    bases_from: str | None = Field(description="events or catalog: where legal_bases comes from")
    consent: str | None = Field(
        description="for data processed on consent: withdrawn when the person withdrew consent "
        "for one of its purposes, given when they gave it, unknown when nothing was recorded; "
        "null when no basis is consent"
    )
    consent_withdrawn_at: datetime | None = Field(
        description="the latest withdrawal recorded on this data itself (an unsubscribe from its store)"
    )


class ConsentRecord(Answer):
    """The person's consent for one purpose: the latest consent given and withdrawal."""

    purpose: str = Field(description="fideslang data use the consent is for")
    state: str = Field(description="given or withdrawn: whichever came last (a tie is withdrawn)")
    given_at: datetime | None = Field(description="latest time consent was given")
    given_event: str | None = Field(description="id of the event that gave it: the evidence")
    withdrawn_at: datetime | None = Field(description="latest time consent was withdrawn")
    withdrawn_event: str | None = Field(description="id of the event that withdrew it")


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
    bases: list[HoldingBasis] = Field(
        [], description="per held category: purposes, legal bases and consent state"
    )


class DataMap(Answer):
    """Per store, what lineage holds (and erased) of one person: the Art. 15 answer."""

    identifier: str = Field(description="the keyed hash looked up")
    subject: str | None = Field(description="the person it belongs to; null when nobody is known by it")
    stores: list[StoreHoldings] = Field(description="one row per store, ordered by store")
    consents: list[ConsentRecord] = Field(
        [], description="per purpose the person gave or withdrew consent for, ordered by purpose"
    )


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
    archived: list[str] = Field(
        [], description="of those, the ones in their archive period: the erasure must reach the archive"
    )
    overdue: list[str] = Field([], description="of those, the ones already kept past their retention")
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


def data_map(
    driver: Driver, database: str, key: str, catalog: Catalog | None = None, now: datetime | None = None
) -> DataMap:
    """``subject`` is None when nobody is known by ``key``; the CLI's ``--json`` and ``POST
    /subject`` print exactly this. With ``catalog``, a holding whose events stated no basis
    shows the catalog's. Retention states are judged at ``now`` (default: this instant)."""
    now = now or datetime.now(UTC)
    consents = [_consent_record(row) for row in consent_graph.person_consents(driver, database, key)]
    holdings = consent_graph.person_holding_bases(driver, database, key)
    rows = []
    for row in GraphReader(driver, database).subject_map(key):
        mine = [h for h in holdings if h["store"] == row["store"] and h["category"] in row["held"]]
        row["bases"] = [_holding_basis(h, consents, catalog) for h in mine]
        row["retention"] = [r | {"state": _state(r, now).value} for r in row["retention"]]
        rows.append(StoreHoldings.model_validate(row))
    return DataMap(identifier=key, subject=rows[0].subject if rows else None, stores=rows, consents=consents)


def _consent_record(row: dict[str, Any]) -> ConsentRecord:
    state = consent_state(row["given_at"], row["withdrawn_at"])
    return ConsentRecord.model_validate(row | {"state": state.value})


def _holding_basis(
    holding: dict[str, Any], consents: Sequence[ConsentRecord], catalog: Catalog | None
) -> HoldingBasis:
    """A holding's bases (its events', else the catalog's) and, for its purposes on consent,
    the person's consent: withdrawn for any of them outweighs given."""
    stated = list(holding["legal_bases"])
    bases = sorted(stated)
    if not stated and catalog is not None:
        bases = [b.value for b in bases_for(catalog, holding["store"], holding["purposes"], [])]
    return HoldingBasis(
        category=holding["category"],
        purposes=holding["purposes"],
        legal_bases=bases,
        bases_from="events" if stated else ("catalog" if bases else None),
        consent=_consent_of(holding, bases, consents),
        consent_withdrawn_at=holding["consent_withdrawn_at"],
    )


def _consent_of(holding: dict[str, Any], bases: list[str], consents: Sequence[ConsentRecord]) -> str | None:
    if LegalBasis.CONSENT.value not in bases:
        return None
    states = {c.state for c in consents if c.purpose in holding["purposes"]}
    if ConsentState.WITHDRAWN.value in states:
        return ConsentState.WITHDRAWN.value
    if states:
        return ConsentState.GIVEN.value
    # no record per purpose: an unsubscribe from the store itself still says withdrawn
    withdrawn = holding["consent_withdrawn_at"] is not None
    return (ConsentState.WITHDRAWN if withdrawn else ConsentState.UNKNOWN).value


def _state(held: dict[str, Any], now: datetime) -> RetentionState:
    return retention_state(held.get("expires_at"), held.get("archive_until"), now)


def erasure_impact(driver: Driver, database: str, key: str, now: datetime | None = None) -> ErasureImpact:
    """Every store still holding the person's data, with processors, sub-processor chains and
    every country concerned: what an Art. 17 request must reach, the intermediate archive
    included (the categories archived at ``now``, default this instant, are named)."""
    now = now or datetime.now(UTC)
    rows = []
    for row in GraphReader(driver, database).erasure_impact(key):
        states = {(h["category"], _state(h, now)) for h in row.pop("retention")}
        row["archived"] = sorted(c for c, state in states if state is RetentionState.ARCHIVED)
        row["overdue"] = sorted(c for c, state in states if state is RetentionState.OVERDUE)
        rows.append(ImpactStore.model_validate(row))
    return ErasureImpact(subject=key, countries=impact_countries(rows), stores=rows)


def impact_countries(rows: list[ImpactStore]) -> list[str]:
    """Countries of the stores and of every sub-processor down their chains, sorted."""
    countries = {r.country for r in rows if r.country}
    countries |= {s.country for r in rows for s in r.sub_processors if s.country}
    return sorted(countries)
