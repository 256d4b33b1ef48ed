"""Source adapters: native payload in, canonical events out. One module per source."""

from __future__ import annotations

from functools import partial

from lineage.adapters.base import Adapter
from lineage.adapters.brevo import adapt_brevo
from lineage.adapters.canonical import adapt_canonical
from lineage.adapters.greenhouse import adapt_greenhouse
from lineage.adapters.hubspot import adapt_hubspot
from lineage.adapters.s3 import adapt_s3
from lineage.adapters.salesforce import adapt_salesforce
from lineage.domain.catalog import Catalog
from lineage.errors import UnknownSourceError


def build_adapters(catalog: Catalog) -> dict[str, Adapter]:
    """Every source's adapter; the object-store one takes its bucket rules from the catalog."""
    return {
        "brevo": adapt_brevo,
        "hubspot": adapt_hubspot,
        "salesforce": adapt_salesforce,
        "greenhouse": adapt_greenhouse,
        "s3": partial(adapt_s3, rules=catalog.object_rules()),
        "canonical": adapt_canonical,
    }


def adapter_for(adapters: dict[str, Adapter], source: str) -> Adapter:
    """The adapter of a source name, or :class:`UnknownSourceError` listing the known ones."""
    try:
        return adapters[source]
    except KeyError:
        raise UnknownSourceError(
            f"no adapter for source {source!r}; known: {', '.join(sorted(adapters))}") from None
