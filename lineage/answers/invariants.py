"""The catalog's declared invariants and what the catalog itself breaks: ``lineage invariants``.

The worker checks the same invariants live (``lineage.domain.invariants``); this is the check a
catalog author runs before committing a change, without servers: what binds each store, and
which invariant the file as written already breaks (a processor outside the EEA under
``stays_in_eea``, a store declaring a forbidden category).
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from lineage.answers.alerting import invariant_rules
from lineage.answers.answer import Answer
from lineage.domain.catalog import Catalog
from lineage.domain.invariants import catalog_breaches


class StoreInvariant(Answer):
    store: str
    stays_in_eea: str | None = Field(description="who declares it (organisation, system, store), if anyone")
    never_holds: list[str] = Field(
        description="forbidden fideslang categories, each covering its descendants"
    )


class BrokenInvariant(Answer):
    id: str = Field(description="the id of the invariant_broken alert it raises")
    invariant: str = Field(description="stays_in_eea or never_holds")
    store: str
    found: str = Field(description="the category held, or where the data goes")
    reason: str


class InvariantsCheck(Answer):
    on: date
    stores: list[StoreInvariant]
    broken: list[BrokenInvariant]


def check_invariants(catalog: Catalog, day: date) -> InvariantsCheck:
    """Every declared store's invariants, and those the catalog breaks on ``day``."""
    rules = invariant_rules(catalog, day)
    stores = [
        StoreInvariant(store=s.store, stays_in_eea=s.stays_in_eea, never_holds=sorted(s.never_holds))
        for s in rules.stores.values()
        if s.stays_in_eea or s.never_holds
    ]
    broken = [
        BrokenInvariant(id=b.id, invariant=b.invariant.value, store=b.store, found=b.found, reason=b.reason)
        for b in catalog_breaches(catalog, rules)
    ]
    return InvariantsCheck(on=day, stores=stores, broken=broken)
