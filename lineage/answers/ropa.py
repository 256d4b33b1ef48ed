"""The record of processing activities (GDPR Art. 30): the catalog's declarations, judged on
``day``, joined with what the graph observed, and per purpose the people whose consent stands
withdrawn or given; the processor's record (Art. 30(2)) for what is done on behalf of clients;
and what changed since a previous export.

Shared by ``lineage ropa``, ``GET /ropa`` and the workspace so that all answer the same record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from neo4j import Driver

from graph import consent as consent_graph
from graph import ropa as observed
from lineage.domain.catalog import Catalog
from lineage.domain.ropa import ProcessorRow, RopaRow, processor_record, record_of_processing
from lineage.domain.ropa_diff import RecordDiff, diff_records, parse_record, record_entries
from lineage.domain.transfer_chains import catalog_hops
from lineage.errors import QueryError
from lineage.reference import default_transfer_rules

FORMATS = ("csv", "json")
RECORDS = ("controller", "processor")


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


def parse_record_kind(value: str | None) -> str:
    """``controller`` (the default: the organisation's own record, Art. 30(1)) or ``processor``
    (what it does on behalf of clients, Art. 30(2))."""
    kind = (value or "controller").strip().lower()
    if kind not in RECORDS:
        raise QueryError(f"record: {value!r} is not one of {', '.join(RECORDS)}")
    return kind


def processors_record(catalog: Catalog, day: date) -> list[ProcessorRow]:
    """The processor's record: from the catalog alone, transfers judged on ``day``."""
    return processor_record(catalog, default_transfer_rules(), day)


def diff(
    driver: Driver, database: str, catalog: Catalog, day: date, previous: str, name: str
) -> tuple[list[RopaRow], RecordDiff]:
    """The current record and what changed since ``previous``, an export's text (``name``, its
    file name, tells CSV from JSON by extension). The previous export is parsed before the
    graph is read: a wrong file is refused without waiting for Neo4j."""
    before = parse_record(previous, name)
    rows = record(driver, database, catalog, day)
    return rows, diff_records(before, record_entries(rows))


def summary(rows: Sequence[RopaRow]) -> str:
    """``N activities, M flagged``: what someone writing the record to a file wants to know."""
    flagged = sum(1 for row in rows if row.flags)
    return f"{len(rows)} activities, {flagged} flagged"
