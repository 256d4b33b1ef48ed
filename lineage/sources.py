"""Every source lineage reads: its adapter and how it signs its webhooks.

Adding a source is its name and secret setting in :mod:`lineage.source_names`, one row of
:data:`SOURCES` here, its adapter module, and its secret field in
:class:`lineage.settings.ApiSettings` (which checks at import that every name has one; this
module checks its rows against the names). Everything else reads these two tables: the raw topics
(``lineage/kafka/topics.py``), the worker's adapters (:func:`build_adapters`), the HTTP
receiver's checks (``lineage/api/receiver.py``) and the secrets log hygiene scrubs
(``Settings.secret_values``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from lineage.adapters.base import Adapter
from lineage.adapters.brevo import adapt_brevo
from lineage.adapters.canonical import adapt_canonical
from lineage.adapters.greenhouse import adapt_greenhouse
from lineage.adapters.hubspot import adapt_hubspot
from lineage.adapters.openlineage import adapt_openlineage
from lineage.adapters.s3 import adapt_s3
from lineage.adapters.salesforce import adapt_salesforce
from lineage.domain.catalog import Catalog
from lineage.domain.events import DataMovementEvent
from lineage.source_names import SECRET_SETTINGS, SOURCE_NAMES, known_source


class SignatureScheme(StrEnum):
    """How a source proves a webhook is its own (verified in ``lineage/api/signatures.py``)."""

    HUBSPOT_V3 = "hubspot_v3"  # HMAC of method, URL, body and timestamp
    GREENHOUSE = "greenhouse"  # HMAC of the body
    SHARED_SECRET = "shared_secret"  # senders that sign nothing: Bearer or Basic secret


@dataclass(frozen=True)
class Source:
    """One source of native payloads.

    ``adapter`` of ``object_rules`` sources takes the catalog's bucket rules as ``rules=``, of
    ``catalog_datasets`` sources the catalog's dataset -> store mapping as ``datasets=`` (both
    bound by ``build_adapters``). ``via_sns``: may arrive as Amazon SNS deliveries.
    """

    name: str
    adapter: Callable[..., Sequence[DataMovementEvent]]
    signature: SignatureScheme
    object_rules: bool = False
    via_sns: bool = False
    catalog_datasets: bool = False

    @property
    def secret_setting(self) -> str:
        """The ApiSettings field holding its secret."""
        return SECRET_SETTINGS[self.name]

    @property
    def secret_variable(self) -> str:
        """The environment variable an operator sets to accept this source's webhooks."""
        return f"LINEAGE_API_{self.secret_setting.upper()}"


SOURCES: tuple[Source, ...] = (
    Source("brevo", adapt_brevo, SignatureScheme.SHARED_SECRET),
    Source("hubspot", adapt_hubspot, SignatureScheme.HUBSPOT_V3),
    Source("salesforce", adapt_salesforce, SignatureScheme.SHARED_SECRET),
    Source("greenhouse", adapt_greenhouse, SignatureScheme.GREENHOUSE),
    Source("s3", adapt_s3, SignatureScheme.SHARED_SECRET, object_rules=True, via_sns=True),
    Source("canonical", adapt_canonical, SignatureScheme.SHARED_SECRET),
    # OpenLineage's HTTP transport sends its api_key as a Bearer token (POST /api/v1/lineage)
    Source("openlineage", adapt_openlineage, SignatureScheme.SHARED_SECRET, catalog_datasets=True),
)

_BY_NAME = {source.name: source for source in SOURCES}


def _rows_match_the_names() -> None:
    """A name without its row (or a row without its name) would be a source half declared."""
    declared = tuple(source.name for source in SOURCES)
    if declared != SOURCE_NAMES:
        raise TypeError(f"SOURCES declares {declared}, lineage.source_names {SOURCE_NAMES}")


_rows_match_the_names()


def build_adapters(catalog: Catalog) -> dict[str, Adapter]:
    """Every source's adapter; the object-store one takes its bucket rules from the catalog, the
    OpenLineage one its dataset -> store mapping."""
    rules, datasets = catalog.object_rules(), catalog.dataset_stores()
    return {
        source.name: partial(source.adapter, rules=rules)
        if source.object_rules
        else partial(source.adapter, datasets=datasets)
        if source.catalog_datasets
        else source.adapter
        for source in SOURCES
    }


def source_named(name: str) -> Source:
    """The source of that name, or :class:`UnknownSourceError` (see :func:`known_source`)."""
    return _BY_NAME[known_source(name)]
