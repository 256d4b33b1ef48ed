"""Source adapters: native payload in, canonical events out. One module per source."""

from __future__ import annotations

from lineage.adapters.base import Adapter
from lineage.adapters.brevo import adapt_brevo
from lineage.errors import UnknownSourceError

ADAPTERS: dict[str, Adapter] = {
    "brevo": adapt_brevo,
}


def adapter_for(source: str) -> Adapter:
    """The adapter of a source name, or :class:`UnknownSourceError` listing the known ones."""
    try:
        return ADAPTERS[source]
    except KeyError:
        raise UnknownSourceError(
            f"no adapter for source {source!r}; known: {', '.join(sorted(ADAPTERS))}") from None
