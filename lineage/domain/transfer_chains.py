"""Every transfer hop the catalog implies, onward hops through sub-processor chains included.

A store in the EEA run by an EEA processor whose sub-processor sits in a third country is a
transfer of every subject that store holds: the chain is walked hop by hop, each hop judged on
the mechanism declared for it (``classify_hop``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lineage.domain.catalog import Catalog, Processor, Store, System
from lineage.domain.transfers import HopVerdict, TransferRules, classify_hop

MAX_CHAIN = 6


@dataclass(frozen=True)
class TransferHop:
    """Data of ``store`` reaching ``processor`` in ``country``; ``chain`` is the processor path."""

    store: str
    chain: tuple[str, ...]
    country: str
    verdict: HopVerdict

    @property
    def onward(self) -> bool:
        return len(self.chain) > 1


def store_hops(catalog: Catalog, system: System, store: Store, rules: TransferRules,
               on: date) -> list[TransferHop]:
    """Where the data of one store goes: its location, its processor, and every sub-processor."""
    processor = catalog.processor(system.processor)
    mechanism = system.transfer_mechanism or processor.transfer_mechanism
    hops = [TransferHop(store.id, (processor.id,), country, classify_hop(country, mechanism, rules, on))
            for country in dict.fromkeys((store.country, processor.country))]
    hops += _onward(catalog, store.id, (processor.id,), processor, rules, on)
    return hops


def _onward(catalog: Catalog, store: str, chain: tuple[str, ...], parent: Processor,
            rules: TransferRules, on: date) -> list[TransferHop]:
    hops: list[TransferHop] = []
    for sub_id in parent.sub_processors:
        if sub_id in chain or len(chain) >= MAX_CHAIN:
            continue
        sub = catalog.processor(sub_id)
        path = (*chain, sub.id)
        hops.append(TransferHop(store, path, sub.country,
                                classify_hop(sub.country, sub.transfer_mechanism, rules, on)))
        hops += _onward(catalog, store, path, sub, rules, on)
    return hops


def catalog_hops(catalog: Catalog, rules: TransferRules, on: date) -> list[TransferHop]:
    return [hop for system, store in catalog.stores()
            for hop in store_hops(catalog, system, store, rules, on)]

