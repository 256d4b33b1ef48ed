"""Data categories are fideslang keys (``user.contact.email``), checked against its taxonomy.

Using the published vocabulary means a lineage report and a fides dataset describe the same
data with the same words.
"""

from __future__ import annotations

from functools import cache

from fideslang.default_taxonomy import DEFAULT_TAXONOMY

# lineage's extensions of the taxonomy, each under an existing fideslang parent: recruitment
# documents must be erased and retained on their own terms, so they need names of their own.
EXTENSIONS: dict[str, str] = {
    "user.content.private.cv": "user.content.private",
    "user.content.private.cover_letter": "user.content.private",
}


@cache
def known_categories() -> frozenset[str]:
    return frozenset(c.fides_key for c in DEFAULT_TAXONOMY.data_category) | set(EXTENSIONS)


@cache
def known_data_uses() -> frozenset[str]:
    return frozenset(u.fides_key for u in DEFAULT_TAXONOMY.data_use)


def check_category(key: str, *, name_it: bool = False) -> str:
    """Return ``key`` if fideslang knows it; raise ``ValueError`` otherwise. Only trusted input
    (the catalog) has the key named in the message: an event's may carry personal data."""
    if key not in known_categories():
        named = f" {key!r}" if name_it else ""
        raise ValueError(f"unknown data category{named} (not a fideslang data_category key)")
    return key


def check_data_use(key: str, *, name_it: bool = False) -> str:
    if key not in known_data_uses():
        named = f" {key!r}" if name_it else ""
        raise ValueError(f"unknown purpose{named} (not a fideslang data_use key)")
    return key
