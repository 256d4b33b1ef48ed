"""Transfer alerting around the stream: which flows are unapproved, and re-evaluation at start.

The unapproved flows are computed once per worker start from the catalog and the dated
transfer rules; a catalog change therefore takes effect on restart, when existing alerts the
catalog now approves are closed and newly unapproved flows raise alerts for data already held.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from neo4j import Driver

from graph import queries
from graph.alerts import close_approved, held_subjects
from graph.reader import plain
from lineage.domain.alerts import AlertHit, flow_id, unapproved_by_store
from lineage.domain.catalog import Catalog
from lineage.domain.transfer_chains import TransferHop, catalog_hops
from lineage.reference import default_transfer_rules


def unapproved_flows(catalog: Catalog, on: date | None = None) -> dict[str, list[TransferHop]]:
    return unapproved_by_store(catalog_hops(catalog, default_transfer_rules(), on or date.today()))


def alert_record(alert: dict[str, Any]) -> bytes:
    return json.dumps({"kind": "unapproved_transfer", **alert}, default=str).encode()


def reevaluate(driver: Driver, database: str, catalog: Catalog) -> list[dict[str, Any]]:
    """Close alerts the catalog now approves; raise alerts for unapproved flows of held data.

    Returns the alerts to announce (new or reopened).
    """
    unapproved = unapproved_flows(catalog)
    hops = [hop for store_hops in unapproved.values() for hop in store_hops]
    close_approved(driver, database, [flow_id(hop) for hop in hops])
    if not hops:
        return []
    held = held_subjects(driver, database, sorted(unapproved))
    rows = [AlertHit(flow_id(hop), hop, row["subject"],
                     datetime.fromtimestamp(row["at"] / 1000, UTC), "catalog-evaluation").row()
            for row in held for hop in unapproved[row["store"]]]
    if not rows:
        return []
    records, _, _ = driver.execute_query(queries.UPSERT_ALERTS, rows=rows, database_=database)
    return [plain(r.data()) for r in records if r["announce"]]
