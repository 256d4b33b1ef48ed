"""Source adapters: native payload in, canonical events out. One module per source.

Which adapter serves which source is declared once, in :data:`lineage.sources.SOURCES`.
"""

from __future__ import annotations

from functools import partial

from lineage.adapters.base import Adapter
from lineage.domain.catalog import Catalog


def build_adapters(catalog: Catalog) -> dict[str, Adapter]:
    """Every source's adapter; the object-store one takes its bucket rules from the catalog."""
    from lineage.sources import SOURCES  # here, not at the top: lineage.sources imports this package

    rules = catalog.object_rules()
    return {source.name: partial(source.adapter, rules=rules) if source.object_rules else source.adapter
            for source in SOURCES}
