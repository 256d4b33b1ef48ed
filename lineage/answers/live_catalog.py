"""The catalog as the running worker sees it: reloaded when the file changes, no restart.

The agents judge every batch with :class:`LiveCatalog`'s current adapters and unapproved flows.
A timer checks the file; a valid new catalog is applied to the graph (nodes, then alerts
re-evaluated against data already held, declared invariants judged) before the agents switch to
it, and an invalid one is logged and ignored, so a typo in the catalog never stops the stream.
The unapproved flows are also recomputed when the day changes: a DPF certification or an
adequacy decision can lapse.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from neo4j import Driver

from graph.catalog import sync_catalog
from graph.retention import recompute_stores
from lineage.adapters.base import Adapter
from lineage.answers.alerting import (
    invariant_rules,
    reevaluate,
    reevaluate_invariants,
    unapproved_flows,
    unapproved_moves,
)
from lineage.answers.alerting import today as current_day
from lineage.domain.catalog import Catalog, parse_catalog
from lineage.domain.invariants import InvariantRules, catalog_breaches
from lineage.domain.retention import RetentionPolicy, rules_changed
from lineage.domain.transfer_chains import TransferHop
from lineage.errors import CatalogError
from lineage.sources import build_adapters

log = logging.getLogger(__name__)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class LiveCatalog:
    path: Path
    catalog: Catalog
    digest: str
    day: date = field(default_factory=current_day)
    adapters: Mapping[str, Adapter] = field(init=False)
    unapproved: dict[str, list[TransferHop]] = field(init=False)
    unapproved_moves: dict[tuple[str, str], list[TransferHop]] = field(init=False)
    retention: RetentionPolicy = field(init=False)
    invariants: InvariantRules = field(init=False)

    def __post_init__(self) -> None:
        self._derive()

    @classmethod
    def load(cls, path: Path) -> LiveCatalog:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
        live = cls(path, parse_catalog(text, str(path)), _digest(text))
        live.name_breaches()
        return live

    def name_breaches(self) -> None:
        """Logs each invariant the catalog itself breaks: it loads all the same (the breach is
        raised as an alert), and whoever changed the file reads why in the worker's log."""
        for breach in catalog_breaches(self.catalog, self.invariants):
            log.warning("the catalog %s breaks an invariant: %s", self.path, breach.reason)

    def revert(self, previous: Catalog) -> None:
        """Back to ``previous`` (the new one could not be applied); the next check retries."""
        self.catalog, self.digest = previous, ""
        self._derive()

    def _derive(self) -> None:
        self.adapters = build_adapters(self.catalog)
        self.unapproved = unapproved_flows(self.catalog, self.day)
        self.unapproved_moves = unapproved_moves(self.catalog, self.day)
        self.retention = RetentionPolicy(self.catalog)
        self.invariants = invariant_rules(self.catalog, self.day)

    def changed(self, today: date | None = None) -> Catalog | None:
        """The new catalog if the file changed (and validates) or the day turned; else None."""
        today = today or current_day()
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            log.error("cannot read catalog %s (%s); keeping the current one", self.path, exc)
            return None
        if _digest(text) == self.digest and today == self.day:
            return None
        try:
            catalog = parse_catalog(text, str(self.path))
        except CatalogError as exc:
            log.error("catalog change ignored, it does not validate: %s", exc)
            self.digest = _digest(text)  # log once per bad version, not every check
            return None
        self.catalog, self.digest, self.day = catalog, _digest(text), today
        self._derive()
        self.name_breaches()
        return catalog


def apply_catalog(
    driver: Driver, database: str, catalog: Catalog, previous: Catalog | None = None
) -> list[dict[str, Any]]:
    """Catalog nodes into the graph, expiries recomputed where the retention rules changed, then
    alerts re-evaluated. At start (no ``previous``) the stores whose recorded fingerprint
    differs; on a change every store whose rules changed, even if another worker already did
    it: this worker may have written some with the old rules meanwhile.

    Returns the alerts to announce.
    """
    sync_catalog(driver, database, catalog)
    stores = None if previous is None else rules_changed(previous, catalog)
    recomputed = recompute_stores(driver, database, catalog, stores)
    log.info("expiry recomputed for %d holding(s)", recomputed)
    return reevaluate(driver, database, catalog) + reevaluate_invariants(driver, database, catalog)
