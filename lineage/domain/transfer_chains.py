"""Every transfer hop the catalog implies, onward hops through sub-processor chains included.

A store in the EEA run by an EEA processor whose sub-processor sits in a third country is a
transfer of every subject that store holds: the chain is walked hop by hop, to any depth, each
hop judged on the mechanism declared for it and on the relationship it is (``judge_hop``: a
first hop is controller to processor, an onward hop processor to sub-processor).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lineage.domain.catalog import (
    Catalog,
    Processor,
    Store,
    System,
    normalise_country,
    sub_processor_cycles,
)
from lineage.domain.transfers import HopVerdict, Mechanism, Recipient, TransferRules, judge_hop
from lineage.errors import CatalogError


@dataclass(frozen=True)
class TransferHop:
    """Data of ``store`` reaching ``processor`` in ``country``; ``chain`` is the processor path.

    ``organisation`` is set when the recipient is an international organisation (``country``
    is then its seat).
    """

    store: str
    chain: tuple[str, ...]
    country: str
    verdict: HopVerdict
    organisation: str | None = None

    @property
    def onward(self) -> bool:
        return len(self.chain) > 1

    @property
    def destination(self) -> str:
        """What the hop reaches in law: the organisation, else the country."""
        return self.organisation or self.country


def recipient(processor: Processor, country: str, onward: bool) -> Recipient:
    """The processor as the law sees it when data reaches it in ``country``."""
    return Recipient(
        country=country,
        organisation=processor.international_organisation,
        role=processor.role,
        onward=onward,
        sector=processor.sector,
        automated=processor.automated,
    )


def _hop(
    store: str,
    chain: tuple[str, ...],
    processor: Processor,
    country: str,
    mechanism: Mechanism | None,
    rules: TransferRules,
    on: date,
) -> TransferHop:
    judged = judge_hop(recipient(processor, country, len(chain) > 1), mechanism, rules, on)
    return TransferHop(store, chain, country, judged, processor.international_organisation)


def store_hops(
    catalog: Catalog,
    system: System,
    store: Store,
    rules: TransferRules,
    on: date,
    mechanism: Mechanism | None = None,
) -> list[TransferHop]:
    """Where the data of one store goes: its location, its processor, and every sub-processor.

    ``mechanism`` (a declared flow's) overrides the system's and processor's for the first hop.
    """
    processor = catalog.processor(system.processor)
    mechanism = mechanism or system.transfer_mechanism or processor.transfer_mechanism
    hops = [
        _hop(store.id, (processor.id,), processor, country, mechanism, rules, on)
        for country in dict.fromkeys((store.country, processor.country))
    ]
    return hops + _onward(catalog, store.id, processor, rules, on)


def _onward(
    catalog: Catalog, store: str, first: Processor, rules: TransferRules, on: date
) -> list[TransferHop]:
    """Every sub-processor chain below ``first``, depth first in declaration order, any depth.

    Iterative, so no depth limit (not even Python's recursion limit); a cycle (possible only in
    a catalog changed in memory, e.g. a what-if: a loaded catalog refuses them) is an error.
    """
    hops: list[TransferHop] = []
    todo: list[tuple[str, tuple[str, ...]]] = [(s, (first.id,)) for s in reversed(first.sub_processors)]
    while todo:
        sub_id, parent_chain = todo.pop()
        if sub_id in parent_chain:
            raise CatalogError(f"sub-processor cycle: {' -> '.join((*parent_chain, sub_id))}")
        sub = catalog.processor(sub_id)
        chain = (*parent_chain, sub.id)
        hops.append(_hop(store, chain, sub, sub.country, sub.transfer_mechanism, rules, on))
        todo += [(s, chain) for s in reversed(sub.sub_processors)]
    return hops


def sub_processor_hops(
    catalog: Catalog,
    label: str,
    sub_id: str,
    rules: TransferRules,
    on: date,
    mechanism: Mechanism | None = None,
    countries: tuple[str, ...] = (),
) -> list[TransferHop]:
    """Where data goes when the organisation, acting as a processor for a client (Art. 30(2)),
    hands it to its own sub-processor ``sub_id``: that hop and every one below it are onward
    (processor to sub-processor: SCC module 3). ``label`` stands where a store would;
    ``countries`` are where the data rests besides the sub-processor's seat (its stores), and
    ``mechanism`` a system's own, overriding the sub-processor's for the first hop."""
    sub = catalog.processor(sub_id)
    chosen = mechanism or sub.transfer_mechanism
    first = [
        TransferHop(
            label,
            (sub.id,),
            country,
            judge_hop(recipient(sub, country, onward=True), chosen, rules, on),
            sub.international_organisation,
        )
        for country in dict.fromkeys((*countries, sub.country))
    ]
    return [*first, *_onward(catalog, label, sub, rules, on)]


def catalog_hops(catalog: Catalog, rules: TransferRules, on: date) -> list[TransferHop]:
    return [
        hop for system, store in catalog.stores() for hop in store_hops(catalog, system, store, rules, on)
    ]


def flow_hops(
    catalog: Catalog, rules: TransferRules, on: date, source: str, destination: str
) -> list[TransferHop]:
    """The hops of data moved from ``source`` into ``destination``: the destination's own, the
    first judged on the declared flow's mechanism when it has one. Empty for an undeclared store."""
    declared = catalog.flow(source, destination)
    mechanism = declared.transfer_mechanism if declared else None
    return [
        hop
        for system, store in catalog.stores()
        if store.id == destination
        for hop in store_hops(catalog, system, store, rules, on, mechanism)
    ]


def flows_with_own_mechanism(
    catalog: Catalog, rules: TransferRules, on: date
) -> dict[tuple[str, str], list[TransferHop]]:
    """Per declared flow that names a mechanism: the hops of what moves along it."""
    return {
        (f.source, f.destination): flow_hops(catalog, rules, on, f.source, f.destination)
        for f in catalog.flows
        if f.transfer_mechanism is not None
    }


def hops_reaching(
    hops: list[TransferHop], country: str | None = None, processor: str | None = None
) -> list[TransferHop]:
    """Hops that end in ``country`` (or an international organisation's id) or pass through
    ``processor`` (anywhere in the chain)."""
    return [
        h
        for h in hops
        if (country is None or country in (h.country, h.organisation))
        and (processor is None or processor in h.chain)
    ]


def with_processor_moved(catalog: Catalog, processor_id: str, country: str) -> Catalog:
    """The catalog as it would be if ``processor_id`` (existing or new) sat in ``country``.

    A new id is added as a processor without mechanism, for a what-if about a new
    sub-processor; attach it with ``with_sub_processor``.
    """
    country = normalise_country(country)
    processors = [
        p.model_copy(update={"country": country}) if p.id == processor_id else p for p in catalog.processors
    ]
    if all(p.id != processor_id for p in catalog.processors):
        processors.append(Processor(id=processor_id, name=processor_id, country=country))
    return catalog.model_copy(update={"processors": tuple(processors)})


def with_sub_processor(catalog: Catalog, parent_id: str, sub_id: str) -> Catalog:
    """The catalog with ``sub_id`` added under ``parent_id``; refused if that closes a cycle."""
    processors = [
        p.model_copy(update={"sub_processors": (*p.sub_processors, sub_id)})
        if p.id == parent_id and sub_id not in p.sub_processors
        else p
        for p in catalog.processors
    ]
    cycles = sub_processor_cycles(processors)
    if cycles:
        raise ValueError(f"{sub_id} under {parent_id} would make a {cycles[0]}")
    return catalog.model_copy(update={"processors": tuple(processors)})
