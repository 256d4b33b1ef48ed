"""Transfer alerting around the stream: which flows are unapproved, and re-evaluation.

The unapproved flows are computed from the catalog and the dated transfer rules whenever the
worker loads a catalog: at start, and again when :mod:`lineage.answers.live_catalog` sees the
file change (no restart) or the day turn. Each time, existing alerts the catalog now approves
are closed and newly unapproved flows raise alerts for data already held (:func:`reevaluate`).
The declared invariants are judged the same way (:func:`reevaluate_invariants`): a catalog change
that breaks one raises its alert without waiting for an event.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from neo4j import Driver

from graph.alerts import UPSERT_ALERTS, close_approved, close_kept_invariants, folded, held_subjects
from graph.reader import plain
from lineage.domain.alerts import AlertHit, flow_id, unapproved_by_store
from lineage.domain.catalog import Catalog
from lineage.domain.invariants import (
    Invariant,
    InvariantHit,
    InvariantRules,
    catalog_breaches,
    catalog_hits,
    compile_rules,
)
from lineage.domain.transfer_chains import TransferHop, catalog_hops, flows_with_own_mechanism
from lineage.domain.transfer_rules import legal_day
from lineage.reference import default_transfer_rules

UPSERT_PAGE = 10_000
"""Alert hits a transaction at a catalog re-evaluation: on a graph of a million people one
transaction of every hit would pass Neo4j's transaction memory limit."""


def today() -> date:
    """The day the transfer decisions are judged on now: Brussels' day, not this machine's."""
    return legal_day(datetime.now(UTC))


def unapproved_flows(catalog: Catalog, on: date | None = None) -> dict[str, list[TransferHop]]:
    return unapproved_by_store(catalog_hops(catalog, default_transfer_rules(), on or today()))


def unapproved_moves(
    catalog: Catalog,
    on: date | None = None,
) -> dict[tuple[str, str], list[TransferHop]]:
    """Per declared flow with its own mechanism: the hops still unapproved for what it moves."""
    pairs = flows_with_own_mechanism(catalog, default_transfer_rules(), on or today())
    return {pair: [h for h in hops if not h.verdict.approved] for pair, hops in pairs.items()}


def _covering_sources(hop: TransferHop, moves: dict[tuple[str, str], list[TransferHop]]) -> set[str]:
    """Sources whose declared flow into the hop's store approves this hop."""
    return {
        source
        for (source, destination), unapproved in moves.items()
        if destination == hop.store and flow_id(hop) not in {flow_id(h) for h in unapproved}
    }


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
    moves = unapproved_moves(catalog)
    covering = {flow_id(hop): _covering_sources(hop, moves) for hop in hops}
    # A subject whose data came in along a flow whose own mechanism approves the hop is not
    # concerned by it (an approximation when the same person was also collected there directly).
    rows = [
        AlertHit(
            flow_id(hop),
            hop,
            row["subject"],
            datetime.fromtimestamp(row["at"] / 1000, UTC),
            "catalog-evaluation",
        ).row()
        for row in held
        for hop in unapproved[row["store"]]
        if not covering[flow_id(hop)] & set(row["moved_from"])
    ]
    announced: list[dict[str, Any]] = []
    for start in range(0, len(rows), UPSERT_PAGE):  # a million held people: pages, not one tx
        records, _, _ = driver.execute_query(
            UPSERT_ALERTS, rows=folded(rows[start : start + UPSERT_PAGE]), database_=database
        )
        announced += [plain(r.data()) for r in records if r["announce"]]
    return announced


def invariant_rules(catalog: Catalog, on: date | None = None) -> InvariantRules:
    """The catalog's invariants per store, judged with the transfer hops of day ``on``."""
    return compile_rules(catalog, catalog_hops(catalog, default_transfer_rules(), on or today()))


def reevaluate_invariants(driver: Driver, database: str, catalog: Catalog) -> list[dict[str, Any]]:
    """Raise an alert for each invariant the catalog itself breaks, concerning the people
    already held in the store; close the ``stays_in_eea`` alerts the catalog keeps again.

    A ``never_holds`` alert raised by data stays open until acknowledged: removing a category
    from the catalog erases nothing. Returns the alerts to announce (new or reopened).
    """
    breaches = catalog_breaches(catalog, invariant_rules(catalog))
    abroad = [b.id for b in breaches if b.invariant == Invariant.STAYS_IN_EEA]
    close_kept_invariants(driver, database, abroad)
    if not breaches:
        return []
    held = held_subjects(driver, database, sorted({b.store for b in breaches}))
    hits = catalog_hits(breaches, datetime.now(UTC), "catalog-evaluation")
    hits += [
        InvariantHit(b, row["subject"], datetime.fromtimestamp(row["at"] / 1000, UTC), "catalog-evaluation")
        for b in breaches
        for row in held
        if row["store"] == b.store
    ]
    rows = [hit.row() for hit in hits]
    announced: list[dict[str, Any]] = []
    for start in range(0, len(rows), UPSERT_PAGE):
        records, _, _ = driver.execute_query(
            UPSERT_ALERTS, rows=folded(rows[start : start + UPSERT_PAGE]), database_=database
        )
        announced += [plain(r.data()) for r in records if r["announce"]]
    return announced
