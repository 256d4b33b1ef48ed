"""The record of processing activities (GDPR Art. 30): the catalog's declarations, judged on
``day``, joined with what the graph observed, and per purpose the people whose consent stands
withdrawn or given.

Shared by ``lineage ropa`` and ``GET /ropa`` so that both answer the same record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from neo4j import Driver

from graph import consent as consent_graph
from graph import ropa as observed
from lineage.domain.catalog import Catalog
from lineage.domain.ropa import RopaRow, record_of_processing
from lineage.domain.transfer_chains import catalog_hops
from lineage.errors import QueryError
from lineage.reference import default_transfer_rules

FORMATS = ("csv", "json")


def parse_format(value: str | None) -> str:
    """``csv`` (the default: the spreadsheet a DPO keeps) or ``json``; anything else is refused
    rather than silently answered in the default format."""
    fmt = (value or "csv").strip().lower()
    if fmt not in FORMATS:
        raise QueryError(f"format: {value!r} is not one of {', '.join(FORMATS)}")
    return fmt


def record(driver: Driver, database: str, catalog: Catalog, day: date) -> list[RopaRow]:
    """Every activity of the catalog with its transfers judged on ``day``, plus undeclared stores."""
    hops = catalog_hops(catalog, default_transfer_rules(), day)
    return record_of_processing(
        catalog,
        hops,
        observed.observed_stores(driver, database),
        observed.observed_flows(driver, database),
        consent_graph.consent_counts(driver, database),
    )


def summary(rows: Sequence[RopaRow]) -> str:
    """``N activities, M flagged``: what someone writing the record to a file wants to know."""
    flagged = sum(1 for row in rows if row.flags)
    return f"{len(rows)} activities, {flagged} flagged"
