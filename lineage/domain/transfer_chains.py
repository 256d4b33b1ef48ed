"""Every transfer hop the catalog implies, onward hops through sub-processor chains included.

A store in the EEA run by an EEA processor whose sub-processor sits in a third country is a
transfer of every subject that store holds: the chain is walked hop by hop, each hop judged on
the mechanism declared for it (``classify_hop``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lineage.domain.catalog import Catalog, Processor, Store, System, normalise_country
from lineage.domain.transfers import HopVerdict, Mechanism, TransferRules, classify_hop

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
               on: date, mechanism: Mechanism | None = None) -> list[TransferHop]:
    """Where the data of one store goes: its location, its processor, and every sub-processor.

    ``mechanism`` (a declared flow's) overrides the system's and processor's for the first hop.
    """
    processor = catalog.processor(system.processor)
    mechanism = mechanism or system.transfer_mechanism or processor.transfer_mechanism
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


def flow_hops(catalog: Catalog, rules: TransferRules, on: date, source: str,
              destination: str) -> list[TransferHop]:
    """The hops of data moved from ``source`` into ``destination``: the destination's own, the
    first judged on the declared flow's mechanism when it has one. Empty for an undeclared store."""
    declared = catalog.flow(source, destination)
    mechanism = declared.transfer_mechanism if declared else None
    return [hop for system, store in catalog.stores() if store.id == destination
            for hop in store_hops(catalog, system, store, rules, on, mechanism)]


def flows_with_own_mechanism(catalog: Catalog, rules: TransferRules,
                             on: date) -> dict[tuple[str, str], list[TransferHop]]:
    """Per declared flow that names a mechanism: the hops of what moves along it."""
    return {(f.source, f.destination): flow_hops(catalog, rules, on, f.source, f.destination)
            for f in catalog.flows if f.transfer_mechanism is not None}



def hops_reaching(hops: list[TransferHop], country: str | None = None,
                  processor: str | None = None) -> list[TransferHop]:
    """Hops that end in ``country`` or pass through ``processor`` (anywhere in the chain)."""
    return [h for h in hops
            if (country is None or h.country == country)
            and (processor is None or processor in h.chain)]


def with_processor_moved(catalog: Catalog, processor_id: str, country: str) -> Catalog:
    """The catalog as it would be if ``processor_id`` (existing or new) sat in ``country``.

    A new id is added as a processor without mechanism, for a what-if about a new
    sub-processor; attach it with ``with_sub_processor``.
    """
    country = normalise_country(country)
    processors = [p.model_copy(update={"country": country}) if p.id == processor_id else p
                  for p in catalog.processors]
    if all(p.id != processor_id for p in catalog.processors):
        processors.append(Processor(id=processor_id, name=processor_id, country=country))
    return catalog.model_copy(update={"processors": tuple(processors)})


def with_sub_processor(catalog: Catalog, parent_id: str, sub_id: str) -> Catalog:
    processors = [p.model_copy(update={"sub_processors": (*p.sub_processors, sub_id)})
                  if p.id == parent_id and sub_id not in p.sub_processors else p
                  for p in catalog.processors]
    return catalog.model_copy(update={"processors": tuple(processors)})
