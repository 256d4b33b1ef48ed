"""Chapter V answers: every hop and its verdict, observed flows, transfer impact, what-if.

The hops and their verdicts come from the catalog and the dated transfer rules; who and what is
concerned comes from the graph. Each answer is a frozen model: the API declares it as its
response, the CLI prints it (``--json``) or tabulates its fields, the workspace renders it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from neo4j import Driver
from pydantic import Field

from graph.reader import GraphReader
from lineage.answers.answer import Answer
from lineage.domain.catalog import Catalog, normalise_country
from lineage.domain.transfer_chains import (
    TransferHop,
    catalog_hops,
    flow_hops,
    hops_reaching,
    with_processor_moved,
    with_sub_processor,
)
from lineage.domain.transfer_rules import legal_day
from lineage.domain.transfers import HopStatus
from lineage.errors import QueryError
from lineage.reference import default_transfer_rules

_WORST_FIRST = (
    HopStatus.UNAPPROVED,
    HopStatus.SCC_MODULE_MISMATCH,
    HopStatus.DEROGATION,
    HopStatus.SAFEGUARDED,
    HopStatus.ADEQUATE,
    HopStatus.INSIDE_EEA,
)


class Hop(Answer):
    """Data of one store reaching one recipient, judged."""

    store: str = Field(description="The store whose data travels.")
    chain: str = Field(
        description="The processors it passes through, ' > '-joined (sendinblue > sms-gateway)."
    )
    country: str = Field(description="Where the last processor of the chain sits (ISO 3166-1 alpha-2).")
    organisation: str | None = Field(description="The international organisation received by, if any.")
    status: HopStatus = Field(description="The verdict under Chapter V on the day judged.")
    mechanism: str | None = Field(description="The adequacy decision or safeguard relied on, if any.")
    reason: str = Field(description="Why the verdict is what it is, in words.")

    @classmethod
    def of(cls, hop: TransferHop) -> Hop:
        return cls(
            store=hop.store,
            chain=" > ".join(hop.chain),
            country=hop.country,
            organisation=hop.organisation,
            status=hop.verdict.status,
            mechanism=hop.verdict.mechanism,
            reason=hop.verdict.reason,
        )


class ReachingHop(Hop):
    """A hop with the people behind it."""

    subjects_at_least: int = Field(
        description="People held in the hop's store (the largest count of one subject type and category)."
    )

    @classmethod
    def counted(cls, hop: TransferHop, per_store: dict[str, int]) -> ReachingHop:
        return cls(**Hop.of(hop).model_dump(), subjects_at_least=per_store.get(hop.store, 0))


class HeldRow(Answer):
    """How many people have data of one category, as one subject type, held in one store."""

    store: str = Field(description="Store id from the catalog (or seen in events only).")
    subject_type: str = Field(description="customer, job_applicant, visitor...")
    category: str = Field(description="fideslang data category (user.contact.email).")
    subjects: int = Field(description="Distinct people with this category held there.")


class DeclaredHops(Answer):
    """``lineage transfers``, ``GET /transfers``."""

    on: date = Field(description="The day judged.")
    rules_as_of: date = Field(description="The date the shipped transfer rules were last checked.")
    hops: list[Hop] = Field(description="Every hop the catalog implies, sub-processor chains included.")


class Flow(Answer):
    """A store-to-store flow observed in events, judged where it lands."""

    source: str = Field(description="The store data was copied or transferred from.")
    destination: str = Field(description="The store it reached.")
    source_country: str | None = Field(description="Where the source store sits, if known.")
    destination_country: str | None = Field(description="Where the destination store sits, if known.")
    declared: bool = Field(description="Whether the destination store is declared in the catalog.")
    categories: list[str] = Field(description="Every category the flow carried.")
    first_seen: datetime = Field(description="The earliest event of the flow.")
    last_seen: datetime = Field(description="The latest event of the flow.")
    subjects: int = Field(description="Distinct people the flow carried.")
    flow_declared: bool = Field(description="Whether the catalog declares this flow.")
    status: HopStatus = Field(description="The worst verdict among the destination store's hops.")
    mechanism: str | None = Field(description="The mechanism of that worst hop, if any.")
    reason: str = Field(description="Why, in words.")


class ObservedFlows(Answer):
    """``lineage flows``, ``GET /flows``."""

    on: date = Field(description="The day judged.")
    flows: list[Flow] = Field(description="Most people carried first.")


class TransferImpact(Answer):
    """``lineage transfer-impact``, ``GET /transfer-impact``: who and what reaches a recipient."""

    country: str | None = Field(description="The country asked about (normalised code), if any.")
    processor: str | None = Field(description="The processor asked about, if any.")
    on: date = Field(description="The day judged.")
    subjects: int = Field(description="Distinct people held in the stores concerned.")
    held: list[HeldRow] = Field(description="What is held in the stores concerned.")
    hops: list[ReachingHop] = Field(description="The hops reaching the country or processor.")


class WhatIf(Answer):
    """``lineage what-if``, ``GET /what-if``: who a proposed move or new sub-processor concerns."""

    processor: str = Field(description="The processor moved or added.")
    country: str = Field(description="Where it would sit (normalised code).")
    on: date = Field(description="The day judged.")
    subjects: int = Field(description="Distinct people held in the stores concerned.")
    held: list[HeldRow] = Field(description="What is held in the stores concerned.")
    hops: list[ReachingHop] = Field(description="The hops reaching the processor once moved.")


class CountryReached(Answer):
    """One country or international organisation the catalog's hops reach."""

    destination: str = Field(description="Country code, or the organisation's name.")
    hops: list[ReachingHop] = Field(description="The hops reaching it.")
    subjects_at_least: int = Field(description="People in the largest store behind it: a lower bound.")
    status: HopStatus = Field(description="The worst verdict among its hops.")


class CountriesReached(Answer):
    """The workspace's transfers page: every destination, worst verdict first."""

    on: date = Field(description="The day judged.")
    rules_as_of: date = Field(description="The date the shipped transfer rules were last checked.")
    countries: list[CountryReached] = Field(description="Worst verdict first, then by destination.")


def parse_day(on: str | None) -> date:
    """The day asked for, else today in Brussels, the days the decisions' dates are in."""
    try:
        return date.fromisoformat(on) if on else legal_day(datetime.now(UTC))
    except ValueError as exc:
        raise QueryError(f"on: {exc}") from exc


def parse_country(code: str | None) -> str | None:
    try:
        return normalise_country(code) if code else None
    except ValueError as exc:
        raise QueryError(str(exc)) from exc


def has_unapproved(rows: Iterable[Hop | Flow]) -> bool:
    """An SCC module mismatch counts: the clauses signed do not cover the hop."""
    return any(not row.status.approved for row in rows)


def graph_reader(driver: Driver, database: str) -> GraphReader:
    """What the answers below read the graph with."""
    return GraphReader(driver, database)


def declared_hops(catalog: Catalog, day: date, unapproved_only: bool = False) -> DeclaredHops:
    """Every hop the catalog implies on ``day``, sub-processor chains included."""
    rules = default_transfer_rules()
    hops = [h for h in catalog_hops(catalog, rules, day) if not unapproved_only or not h.verdict.approved]
    return DeclaredHops(on=day, rules_as_of=rules.as_of, hops=[Hop.of(h) for h in hops])


def observed_flows(reader: GraphReader, catalog: Catalog, day: date) -> ObservedFlows:
    """Store-to-store flows seen in events, each with the verdict on where it lands."""
    rules = default_transfer_rules()
    flows = []
    for row in reader.flows():
        hops = flow_hops(catalog, rules, day, row["source"], row["destination"])
        declared = catalog.flow(row["source"], row["destination"]) is not None
        verdict = _destination_verdict(hops, row["destination"])
        flows.append(Flow.model_validate(row | {"flow_declared": declared} | verdict))
    return ObservedFlows(on=day, flows=flows)


def transfer_impact(
    reader: GraphReader, catalog: Catalog, day: date, country: str | None = None, processor: str | None = None
) -> TransferImpact:
    """Who and what reaches a country or a processor, through which chains, under what."""
    if not country and not processor:
        raise QueryError("give a country or a processor")
    code = parse_country(country)
    hops = hops_reaching(
        catalog_hops(catalog, default_transfer_rules(), day), country=code, processor=processor
    )
    held, subjects, reaching = _impact(reader, hops)
    return TransferImpact(
        country=code, processor=processor, on=day, subjects=subjects, held=held, hops=reaching
    )


def what_if(
    reader: GraphReader,
    catalog: Catalog,
    day: date,
    processor: str,
    country: str,
    sub_processor_of: str | None = None,
) -> WhatIf:
    """The subjects and categories a proposed move or new sub-processor would affect."""
    code = parse_country(country)
    if code is None:
        raise QueryError("give the country the processor would sit in")
    proposed = with_processor_moved(catalog, processor, code)
    if sub_processor_of:
        try:
            proposed = with_sub_processor(proposed, sub_processor_of, processor)
        except ValueError as exc:
            raise QueryError(str(exc)) from exc
    hops = hops_reaching(catalog_hops(proposed, default_transfer_rules(), day), processor=processor)
    held, subjects, reaching = _impact(reader, hops)
    return WhatIf(processor=processor, country=code, on=day, subjects=subjects, held=held, hops=reaching)


def _impact(reader: GraphReader, hops: list[TransferHop]) -> tuple[list[HeldRow], int, list[ReachingHop]]:
    """What the stores behind ``hops`` hold, how many people, and each hop with its people."""
    rows, subjects = reader.held_and_subjects(sorted({h.store for h in hops}))
    held = [HeldRow.model_validate(row) for row in rows]
    per_store = _largest_per_store(held)
    return held, subjects, [ReachingHop.counted(h, per_store) for h in hops]


def _largest_per_store(held: Iterable[HeldRow]) -> dict[str, int]:
    """Per store, the largest count of one subject type and category: a lower bound of its people."""
    per_store: dict[str, int] = {}
    for row in held:
        per_store[row.store] = max(per_store.get(row.store, 0), row.subjects)
    return per_store


def _destination_verdict(hops: list[TransferHop], store: str) -> dict[str, object]:
    """The worst verdict among the destination store's hops; an undeclared store is unapproved."""
    own = [h for h in hops if h.store == store]
    if not own:
        return {
            "status": HopStatus.UNAPPROVED,
            "mechanism": None,
            "reason": "destination store is not declared in the catalog",
        }
    worst = min(own, key=lambda h: _WORST_FIRST.index(h.verdict.status))
    return {
        "status": worst.verdict.status,
        "mechanism": worst.verdict.mechanism,
        "reason": worst.verdict.reason,
    }


def countries_reached(reader: GraphReader, catalog: Catalog, day: date) -> CountriesReached:
    """Every country (or international organisation) the catalog's hops reach on ``day``: by
    which chains, under what verdict, and at least how many people (the largest store behind
    it: one read for all stores; ``transfer-impact`` counts one country exactly)."""
    rules = default_transfer_rules()
    hops = catalog_hops(catalog, rules, day)
    held = [HeldRow.model_validate(row) for row in reader.held_in_stores(sorted({h.store for h in hops}))]
    per_store = _largest_per_store(held)
    by_destination: dict[str, list[ReachingHop]] = {}
    for hop in hops:
        by_destination.setdefault(hop.destination, []).append(ReachingHop.counted(hop, per_store))
    countries = sorted(
        (_country(destination, reaching) for destination, reaching in by_destination.items()),
        key=lambda c: (_WORST_FIRST.index(c.status), c.destination),
    )
    return CountriesReached(on=day, rules_as_of=rules.as_of, countries=countries)


def _country(destination: str, hops: list[ReachingHop]) -> CountryReached:
    return CountryReached(
        destination=destination,
        hops=hops,
        subjects_at_least=max(h.subjects_at_least for h in hops),
        status=min((h.status for h in hops), key=_WORST_FIRST.index),
    )
