"""``lineage report``: what the graph holds, in all, per store and per country.

The overview an operator reads after a feed: whether data arrived, where it sits, and which
stores the catalog does not declare.
"""

from __future__ import annotations

from neo4j import Driver
from pydantic import Field

from graph.reader import GraphReader
from lineage.answers.answer import Answer


class GraphCounts(Answer):
    """How much the graph holds."""

    subjects: int = Field(description="People known (one per merged identity).")
    identifiers: int = Field(description="Keyed identifiers pointing at them.")
    holdings: int = Field(description="(person, store, category) records, held or erased.")
    held: int = Field(description="Holdings still held.")
    stores: int = Field(description="Stores, declared or seen in events only.")
    flows: int = Field(description="Store-to-store flows observed.")


class StoreSummary(Answer):
    """One store: where it sits, who runs it, how many people it holds."""

    store: str = Field(description="Store id.")
    country: str | None = Field(description="Where it sits, if declared.")
    processor_id: str | None = Field(description="The processor running it, if declared.")
    processor: str | None = Field(description="That processor's name.")
    declared: bool = Field(description="Whether the catalog declares the store.")
    subjects_held: int = Field(description="People with data still held there.")
    subjects_erased: int = Field(description="People with data erased there.")
    holdings: int = Field(description="Holdings still held there.")


class CountrySummary(Answer):
    """Data held in the stores of one country."""

    country: str = Field(description="ISO 3166-1 alpha-2 code.")
    subjects: int = Field(description="People with data held there.")
    holdings: int = Field(description="Holdings held there.")


class GraphReport(Answer):
    """``lineage report``."""

    counts: GraphCounts = Field(description="How much the graph holds.")
    stores: list[StoreSummary] = Field(description="Every store, by id.")
    countries: list[CountrySummary] = Field(description="Countries holding data, most people first.")


def graph_report(driver: Driver, database: str) -> GraphReport:
    reader = GraphReader(driver, database)
    return GraphReport(
        counts=GraphCounts.model_validate(reader.counts()),
        stores=[StoreSummary.model_validate(row) for row in reader.store_summary()],
        countries=[CountrySummary.model_validate(row) for row in reader.country_summary()],
    )
