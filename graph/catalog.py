"""The catalog's part of the graph: systems, stores, processors, sub-processors and countries.

Synced at every start (and when the live catalog changes), so the graph's declared stores and
processors are the catalog's; stores seen only in events stay, ``declared = false``.
"""

from __future__ import annotations

from typing import Any

from neo4j import Driver

from lineage.domain.catalog import Catalog

SYNC_PROCESSORS = """
UNWIND $processors AS p
MERGE (proc:Processor {id: p.id})
SET proc.name = p.name, proc.declared = true
MERGE (c:Country {code: p.country})
WITH proc, c, p
OPTIONAL MATCH (proc)-[old:ESTABLISHED_IN]->(other:Country) WHERE other <> c
DELETE old
MERGE (proc)-[:ESTABLISHED_IN]->(c)
"""

SYNC_SUB_PROCESSORS = """
UNWIND $processors AS p
MATCH (proc:Processor {id: p.id})
OPTIONAL MATCH (proc)-[old:SUB_PROCESSOR]->(sub:Processor) WHERE NOT sub.id IN p.sub_processors
DELETE old
WITH DISTINCT proc, p
UNWIND p.sub_processors AS sub_id
MATCH (sub:Processor {id: sub_id})
MERGE (proc)-[:SUB_PROCESSOR]->(sub)
"""

SYNC_STORES = """
UNWIND $stores AS s
MERGE (sys:System {id: s.system})
SET sys.name = s.system_name, sys.kind = s.kind
MERGE (st:Store {id: s.id})
SET st.name = s.name, st.declared = true, st.categories = s.categories,
    st.subject_types = s.subject_types, st.purposes = s.purposes
MERGE (sys)-[:HAS_STORE]->(st)
WITH st, s
MATCH (proc:Processor {id: s.processor})
OPTIONAL MATCH (st)-[old_run:RUN_BY]->(other:Processor) WHERE other <> proc
DELETE old_run
MERGE (st)-[:RUN_BY]->(proc)
WITH st, s
MERGE (c:Country {code: s.country})
WITH st, c
OPTIONAL MATCH (st)-[old_loc:LOCATED_IN]->(other:Country) WHERE other <> c
DELETE old_loc
MERGE (st)-[:LOCATED_IN]->(c)
"""


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
    driver.execute_query(SYNC_PROCESSORS, processors=processors, database_=database)
    driver.execute_query(SYNC_SUB_PROCESSORS, processors=processors, database_=database)
    driver.execute_query(SYNC_STORES, stores=stores, database_=database)
