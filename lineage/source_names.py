"""The sources lineage reads, by name, each with the setting that holds its webhook secret.

Plain data, so that what needs only the names (the settings, which check every source has its
secret field; the topic names; the receiver's metrics labels) does not import the adapters.
:data:`lineage.sources.SOURCES` gives each name its adapter and signature scheme, and checks at
import that it declares exactly these names, in this order.
"""

from __future__ import annotations

from types import MappingProxyType

from lineage.errors import UnknownSourceError

# source name -> the ApiSettings field holding the secret its webhooks are checked with
SECRET_SETTINGS = MappingProxyType(
    {
        "brevo": "brevo_token",
        "hubspot": "hubspot_client_secret",
        "salesforce": "salesforce_token",
        "greenhouse": "greenhouse_secret",
        "s3": "s3_token",
        "canonical": "canonical_token",
        "openlineage": "openlineage_token",
    }
)

SOURCE_NAMES: tuple[str, ...] = tuple(SECRET_SETTINGS)


def known_source(name: str) -> str:
    """``name`` if lineage reads such a source, else :class:`UnknownSourceError` listing the
    known ones (not the name asked for: it comes from a URL, and reasons never quote what a
    request sent)."""
    if name not in SECRET_SETTINGS:
        raise UnknownSourceError(f"no such source; known: {', '.join(SOURCE_NAMES)}")
    return name
