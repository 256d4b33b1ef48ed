"""Reading the catalog file the settings point at (the one place that does)."""

from __future__ import annotations

from lineage.domain.catalog import Catalog, parse_catalog
from lineage.errors import CatalogError
from lineage.settings import Settings


def read_catalog(settings: Settings) -> Catalog:
    try:
        text = settings.catalog.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read catalog {settings.catalog}: {exc}") from exc
    return parse_catalog(text, str(settings.catalog))
