"""Legal basis and consent: which Art. 6 basis a processing rests on, and whether a person's
consent for a purpose stood at a given instant.

Pure: the graph keeps, per person and purpose, the latest consent given and the latest
withdrawal (``graph.consent``); this module says what those two times mean, and which basis
applies when an event does not state one (the catalog's, for the purpose or the store).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from lineage.domain.catalog import Catalog, Store
from lineage.domain.events import LegalBasis


class ConsentState(StrEnum):
    """What a person's consent for one purpose is, as the data map and the RoPA name it."""

    GIVEN = "given"
    """Consent was recorded and not withdrawn since."""
    WITHDRAWN = "withdrawn"
    """The latest word from the person is a withdrawal."""
    UNKNOWN = "unknown"
    """Nothing recorded: no event gave or withdrew consent for the purpose."""


def withdrawn_at_time(given_at: datetime | None, withdrawn_at: datetime | None, t: datetime) -> bool:
    """Whether consent stood withdrawn at ``t``: withdrawn at or before ``t``, and not given again
    after the withdrawal by ``t``. A consent given later than ``t`` does not cover ``t``.

    Example:
        >>> from datetime import UTC
        >>> w, g = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)
        >>> withdrawn_at_time(g, w, datetime(2026, 3, 5, tzinfo=UTC))
        True
    """
    if withdrawn_at is None or withdrawn_at > t:
        return False
    return not (given_at is not None and withdrawn_at < given_at <= t)


def consent_state(given_at: datetime | None, withdrawn_at: datetime | None) -> ConsentState:
    """The state now: the later of the two wins; a withdrawal and a consent at the same instant
    count as withdrawn (the person's refusal is not overridden by a tie)."""
    if withdrawn_at is not None and (given_at is None or withdrawn_at >= given_at):
        return ConsentState.WITHDRAWN
    if given_at is not None:
        return ConsentState.GIVEN
    return ConsentState.UNKNOWN


def _covers(declared: str, purpose: str) -> bool:
    """A purpose declared covers itself and its fideslang descendants."""
    return purpose == declared or purpose.startswith(f"{declared}.")


def _purpose_basis(store: Store, purpose: str) -> LegalBasis | None:
    """The most specific basis ``store`` declares for ``purpose`` (or an ancestor of it)."""
    matches = [(p, b) for p, b in store.purpose_bases.items() if _covers(p, purpose)]
    return max(matches, key=lambda pair: len(pair[0]))[1] if matches else None


def _catalog_purpose_basis(catalog: Catalog, purpose: str) -> LegalBasis | None:
    """The basis the catalog declares for ``purpose`` on any store, when every declaration
    agrees: for a store it does not declare, one basis for the purpose is what it promises."""
    bases = {b for _, st in catalog.stores() if (b := _purpose_basis(st, purpose)) is not None}
    return bases.pop() if len(bases) == 1 else None


def basis_for(
    catalog: Catalog, store: str, purpose: str | None, event_basis: LegalBasis | str | None
) -> LegalBasis | None:
    """The legal basis a processing rests on: the event's own, else the catalog's basis for the
    purpose in that store, else the store's, else (for a store the catalog does not declare) the
    purpose's one basis across the catalog; None when nothing says.

    Example:
        ``basis_for(catalog, "brevo/contacts", "marketing.communications.email", None)`` is
        ``LegalBasis.CONSENT`` when the catalog declares the purpose on consent there.
    """
    if event_basis is not None:
        return LegalBasis(event_basis)
    declared = next((st for _, st in catalog.stores() if st.id == store), None)
    if declared is not None:
        by_purpose = _purpose_basis(declared, purpose) if purpose else None
        return by_purpose or declared.legal_basis
    return _catalog_purpose_basis(catalog, purpose) if purpose else None


def bases_for(catalog: Catalog, store: str, purposes: list[str], event_bases: list[str]) -> list[LegalBasis]:
    """A holding's bases for display: those its events stated, else the catalog's for each of
    its purposes (or the store's); sorted, without repeats."""
    if event_bases:
        return sorted({LegalBasis(b) for b in event_bases})
    asked: list[str | None] = list(purposes) or [None]
    found = {basis_for(catalog, store, p, None) for p in asked}
    return sorted(b for b in found if b is not None)
