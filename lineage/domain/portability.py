"""The portability export (GDPR Art. 20): what lineage knows of the data a person provided,
under their consent or a contract, system by system. Each system holds the values and is
asked for them; the export says which, and what. Pure.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from lineage.domain.catalog import Catalog
from lineage.domain.events import LegalBasis
from lineage.domain.labels import Lang, category_label
from lineage.domain.person_map import PersonRead, StoreRead, holding_bases


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PortableItem(_Model):
    """One category the person provided, under consent or contract, in one system."""

    system: str | None
    system_name: str
    store: str
    category: str
    category_label: str
    purposes: list[str]
    legal_bases: list[str]
    first_seen: datetime | None
    last_seen: datetime | None


class Portability(_Model):
    """What lineage knows of the data the person provided under consent or contract (Art. 20),
    per system; each system holds the values and is asked for them."""

    subject: str | None
    request: str | None
    generated_at: datetime
    zone: str
    items: list[PortableItem]

    @property
    def systems(self) -> list[str]:
        """The stores asked for the values, one task each."""
        return sorted({i.store for i in self.items})


_PORTABLE_BASES = frozenset({LegalBasis.CONSENT.value, LegalBasis.CONTRACT.value})


def build_portability(
    read: PersonRead | None, catalog: Catalog, now: datetime, request_id: str | None = None
) -> Portability:
    """Art. 20 covers data the person provided (collected from them, not copied or obtained
    elsewhere) and processed under their consent or a contract: those holdings, per system."""
    zone = catalog.zone
    items: list[PortableItem] = []
    stores = {s.store: s for s in read.stores} if read else {}
    for holding in read.holdings if read else []:
        if holding.state != "held" or not holding.direct:
            continue
        bases = holding_bases(catalog, holding)
        if not _PORTABLE_BASES & set(bases):
            continue
        store = stores.get(holding.store) or StoreRead(store=holding.store)
        items.append(
            PortableItem(
                system=store.system,
                system_name=store.system_name or store.system or store.store,
                store=holding.store,
                category=holding.category,
                category_label=category_label(holding.category, Lang.EN),
                purposes=holding.purposes,
                legal_bases=sorted(set(bases)),
                first_seen=holding.first_seen.astimezone(zone) if holding.first_seen else None,
                last_seen=holding.last_seen.astimezone(zone) if holding.last_seen else None,
            )
        )
    return Portability(
        subject=read.subject if read else None,
        request=request_id or (read.request.id if read and read.request else None),
        generated_at=now.astimezone(zone),
        zone=catalog.timezone,
        items=sorted(items, key=lambda i: (i.store, i.category)),
    )
