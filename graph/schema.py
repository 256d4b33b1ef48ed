"""Constraints, indexes and the catalog's part of the graph: applied at every start, idempotent."""

from __future__ import annotations

from typing import Any

from neo4j import Driver

from graph import queries
from lineage.domain.catalog import Catalog


def apply_schema(driver: Driver, database: str) -> None:
    for statement in (*queries.constraint_statements(), *queries.INDEX_STATEMENTS):
        driver.execute_query(statement, database_=database)


def sync_catalog(driver: Driver, database: str, catalog: Catalog) -> None:
    """Make the graph's systems, stores, processors and countries match the catalog."""
    processors = [
        {"id": p.id, "name": p.name, "country": p.country, "sub_processors": list(p.sub_processors)}
        for p in catalog.processors
    ]
    stores: list[dict[str, Any]] = [
        {
            "id": store.id,
            "name": store.name or store.id,
            "country": store.country,
            "system": system.id,
            "system_name": system.name,
            "kind": system.kind.value,
            "processor": system.processor,
            "categories": list(store.categories),
            "subject_types": [t.value for t in store.subject_types],
            "purposes": list(store.purposes),
        }
        for system, store in catalog.stores()
    ]
    driver.execute_query(queries.SYNC_PROCESSORS, processors=processors, database_=database)
    driver.execute_query(queries.SYNC_SUB_PROCESSORS, processors=processors, database_=database)
    driver.execute_query(queries.SYNC_STORES, stores=stores, database_=database)
