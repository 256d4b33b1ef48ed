"""The catalog and the observed graph as Fides manifests (fideslang ``system`` and ``dataset``).

An organisation on Fides describes its systems with privacy declarations and its datasets with
data categories; lineage knows both from the catalog and, better, from what it observed. The
export is what lineage would tell Fides: every declared category *and* every category the graph
saw in a store (an undeclared one is exactly what Fides should learn), flows between systems as
``egress``/``ingress`` (observed ``FLOWS_TO`` and declared flows, and the processor chains down
to every sub-processor), and third-country transfers judged hop by hop.

Mapping (docs/ropa.md, "Export to Fides"):
- a catalog system -> a Fides ``system`` (``responsibility`` from its processor's role:
  Processor, or Controller for a recipient controller), one privacy declaration per purpose;
- a processor reached only as a sub-processor -> a ``system`` keyed ``sub-processor.<id>``
  (``responsibility: Sub-Processor``), with ingress from its parent and the categories of the
  stores whose chain reaches it;
- a store (declared, or seen in events only) -> a ``dataset`` with one collection whose fields
  are the categories held, one field per category.
Fides keys allow ``[A-Za-z0-9_.<>-]`` only, so ids such as ``brevo/contacts`` become
``brevo_contacts``; the lineage id stays in ``meta.lineage``. Pure: models built, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fideslang.default_taxonomy import DEFAULT_TAXONOMY
from fideslang.models import (
    DataCategory,
    DataFlow,
    DataResponsibilityTitle,
    Dataset,
    DatasetCollection,
    DatasetField,
    DataSubject,
    PrivacyDeclaration,
    System,
)
from pydantic import BaseModel

from lineage.domain.catalog import Catalog, Processor, RetentionRule, Store
from lineage.domain.catalog import System as CatalogSystem
from lineage.domain.categories import EXTENSIONS
from lineage.domain.ropa import ObservedFlow, ObservedStore, covers, describe_hop, describe_rule
from lineage.domain.transfer_chains import TransferHop
from lineage.domain.transfers import HopStatus, RecipientRole

_NOT_KEY = re.compile(r"[^A-Za-z0-9_.<>-]")
SUB_PROCESSOR_PREFIX = "sub-processor."

# Fides' vocabulary for transfer bases (fideslang LegalBasisForTransfersEnum, not enforced there).
_ADEQUACY, _SCCS, _BCRS, _OTHER = "Adequacy Decision", "SCCs", "BCRs", "Other"

# lineage's subject type beyond fideslang's data subjects, with what it means.
SUBJECT_EXTENSIONS: dict[str, str] = {
    "newsletter_subscriber": "A person on a mailing list, who may be no customer or prospect.",
    "partner": "A person at a business partner (a reseller, a co-marketing partner).",
    "member": "A member of an association, a club or a loyalty programme.",
}


def fides_key(lineage_id: str) -> str:
    """A Fides key for a lineage id: every character Fides refuses becomes ``_``."""
    return _NOT_KEY.sub("_", lineage_id)


@dataclass(frozen=True)
class FidesExport:
    """What ``lineage export fides`` writes: fideslang models, each validated when built."""

    systems: list[System]
    datasets: list[Dataset]
    data_categories: list[DataCategory] = field(default_factory=list)
    data_subjects: list[DataSubject] = field(default_factory=list)

    def manifests(self) -> dict[str, list[dict[str, Any]]]:
        """Per fideslang resource type, the resources as manifest dicts (JSON-safe)."""
        resources: dict[str, Sequence[BaseModel]] = {
            "system": self.systems,
            "dataset": self.datasets,
            "data_category": self.data_categories,
            "data_subject": self.data_subjects,
        }
        return {
            kind: [r.model_dump(mode="json", exclude_none=True) for r in items]
            for kind, items in resources.items()
            if items
        }


@dataclass
class _Flow:
    """Data going from one Fides resource to another, with the categories it carries."""

    source: str  # system key
    target: str  # system or dataset key
    target_type: str  # "system" | "dataset"
    categories: set[str] = field(default_factory=set)
    stores: set[str] = field(default_factory=set)  # lineage stores the data comes from
    into: set[str] = field(default_factory=set)  # lineage stores it goes to (store flows)


@dataclass(frozen=True)
class _Inputs:
    catalog: Catalog
    declared: dict[str, tuple[CatalogSystem, Store]]
    observed: dict[str, ObservedStore]
    hops: dict[str, list[TransferHop]]


def fides_export(
    catalog: Catalog,
    hops: Sequence[TransferHop],
    observed_stores: Sequence[ObservedStore],
    observed_flows: Sequence[ObservedFlow],
) -> FidesExport:
    """Systems, datasets and lineage's own taxonomy extensions, as fideslang models.

    ``hops`` is what ``catalog_hops`` returns (judged on the day of the export).
    """
    inputs = _Inputs(
        catalog,
        {store.id: (system, store) for system, store in catalog.stores()},
        {seen.store: seen for seen in observed_stores},
        _by_store(hops),
    )
    flows = _store_flows(inputs, catalog, observed_flows) + _chain_flows(inputs)
    stores = list(
        dict.fromkeys(
            [
                *inputs.declared,
                *inputs.observed,
                *(s for f in observed_flows for s in (f.source, f.destination)),
            ]
        )
    )
    _check_keys_unique(catalog, stores)
    systems = [_system(inputs, system, flows) for system in catalog.systems]
    systems += [_sub_processor_system(inputs, processor, flows) for processor in _sub_processors(inputs)]
    datasets = [_dataset(inputs, store, observed_flows) for store in stores]
    used = {c for d in datasets for c in d.data_categories or []}
    subjects = {s for system in systems for decl in system.privacy_declarations for s in decl.data_subjects}
    return FidesExport(
        sorted(systems, key=lambda s: s.fides_key),
        sorted(datasets, key=lambda d: d.fides_key),
        _category_extensions(used),
        _subject_extensions(subjects),
    )


def _by_store(hops: Iterable[TransferHop]) -> dict[str, list[TransferHop]]:
    indexed: dict[str, list[TransferHop]] = {}
    for hop in hops:
        indexed.setdefault(hop.store, []).append(hop)
    return indexed


def _check_keys_unique(catalog: Catalog, stores: Sequence[str]) -> None:
    """Two ids that become one Fides key would merge two resources silently: refuse, naming them."""
    for kind, ids in (("store", stores), ("system", [s.id for s in catalog.systems])):
        keys: dict[str, str] = {}
        for lineage_id in ids:
            other = keys.setdefault(fides_key(lineage_id), lineage_id)
            if other != lineage_id:
                raise ValueError(
                    f"{kind}s {other!r} and {lineage_id!r} both become Fides key "
                    f"{fides_key(lineage_id)!r}: rename one"
                )


def _held(inputs: _Inputs, store_id: str) -> tuple[list[str], list[str]]:
    """(categories, subject types) lineage knows a store holds: declared, then observed."""
    declared = inputs.declared.get(store_id)
    seen = inputs.observed.get(store_id)
    categories = [*(declared[1].categories if declared else ()), *(seen.categories if seen else ())]
    types = (
        [*(str(t) for t in declared[1].subject_types), *(seen.subject_types if seen else ())]
        if declared
        else list(seen.subject_types if seen else ())
    )
    return list(dict.fromkeys(categories)), list(dict.fromkeys(types))


def _system_key(store_id: str, inputs: _Inputs) -> str | None:
    declared = inputs.declared.get(store_id)
    return fides_key(declared[0].id) if declared else None


def _store_flows(inputs: _Inputs, catalog: Catalog, observed: Sequence[ObservedFlow]) -> list[_Flow]:
    """Declared and observed store-to-store flows, per (source system, destination): to another
    system, else (same system, or a store no system declares) to the destination's dataset."""
    pairs = [(f.source, f.destination, f.categories) for f in catalog.flows]
    pairs += [(f.source, f.destination, f.categories) for f in observed]
    flows: dict[tuple[str, str], _Flow] = {}
    for source, destination, categories in pairs:
        origin = _system_key(source, inputs)
        if origin is None:
            continue  # nothing in Fides sends it: the undeclared store's dataset shows it arrived
        system = _system_key(destination, inputs)
        kind = "system" if system is not None and system != origin else "dataset"
        target = system if system is not None and kind == "system" else fides_key(destination)
        flow = flows.setdefault((origin, target), _Flow(origin, target, kind))
        flow.categories.update(categories or _held(inputs, source)[0])
        flow.stores.add(source)
        flow.into.add(destination)
    return list(flows.values())


def _chain_flows(inputs: _Inputs) -> list[_Flow]:
    """Each hop down a processor chain: from the system (first sub-processor) or from the parent
    sub-processor, carrying what the store holds (the whole store is within the chain's reach)."""
    flows: dict[tuple[str, str], _Flow] = {}
    for store_id, hops in inputs.hops.items():
        system = _system_key(store_id, inputs)
        for hop in hops:
            if not hop.onward or system is None:
                continue
            parent = system if len(hop.chain) == 2 else SUB_PROCESSOR_PREFIX + hop.chain[-2]
            target = SUB_PROCESSOR_PREFIX + hop.chain[-1]
            flow = flows.setdefault((parent, target), _Flow(parent, target, "system"))
            flow.categories.update(_held(inputs, store_id)[0])
            flow.stores.add(store_id)
    return list(flows.values())


def _data_flows(flows: Iterable[_Flow], key: str, outgoing: bool) -> list[DataFlow]:
    chosen = [f for f in flows if (f.source if outgoing else f.target) == key]
    return [
        DataFlow(
            fides_key=f.target if outgoing else f.source,
            type=f.target_type if outgoing else "system",
            data_categories=sorted(f.categories) or None,
        )
        for f in sorted(chosen, key=lambda f: f.target if outgoing else f.source)
    ]


def _system(inputs: _Inputs, system: CatalogSystem, flows: list[_Flow]) -> System:
    processor = inputs.catalog.processor(system.processor)
    key = fides_key(system.id)
    hops = [hop for store in system.stores for hop in inputs.hops.get(store.id, [])]
    declarations = [
        _declaration(inputs, system, purpose, stores, flows, key)
        for purpose, stores in _by_purpose(system.stores).items()
    ]
    return _fides_system(
        key,
        system.name,
        f"{system.name}, run by {processor.name}",
        system.kind.value,
        processor,
        hops,
        declarations,
        flows,
        responsibility="Controller" if processor.role == RecipientRole.CONTROLLER else "Processor",
        datasets=[fides_key(store.id) for store in system.stores],
        meta={
            "system": system.id,
            "processor": processor.id,
            "stores": [store.id for store in system.stores],
        },
    )


def _fides_system(
    key: str,
    name: str,
    description: str,
    kind: str,
    processor: Processor,
    hops: list[TransferHop],
    declarations: list[PrivacyDeclaration],
    flows: list[_Flow],
    responsibility: str,
    datasets: list[str],
    meta: dict[str, Any],
) -> System:
    abroad = [hop for hop in hops if hop.verdict.status != HopStatus.INSIDE_EEA]
    egress, ingress = _data_flows(flows, key, True), _data_flows(flows, key, False)
    return System(
        fides_key=key,
        name=name,
        system_type=kind,
        description=description,
        legal_name=processor.name,
        responsibility=[DataResponsibilityTitle(responsibility)],
        dpo=processor.notice.email if processor.notice else None,
        privacy_declarations=declarations,
        dataset_references=datasets,
        egress=egress or None,
        ingress=ingress or None,
        does_international_transfers=bool(abroad),
        legal_basis_for_transfers=sorted({b for hop in abroad if (b := _transfer_basis(hop))}),
        meta={
            "lineage": meta
            | {
                "countries": sorted({hop.destination for hop in hops}),
                "transfers": sorted({describe_hop(hop) for hop in abroad}),
                "unapproved_transfers": sorted({describe_hop(h) for h in abroad if not h.verdict.approved}),
            }
        },
    )


def _transfer_basis(hop: TransferHop) -> str | None:
    """Fides' word for what a third-country hop rests on; None when it rests on nothing valid
    (the hop is listed under ``meta.lineage.unapproved_transfers`` instead)."""
    status = hop.verdict.status
    if status == HopStatus.ADEQUATE:
        return _ADEQUACY
    if status == HopStatus.SAFEGUARDED:
        return _BCRS if (hop.verdict.mechanism or "").lower().startswith("bcr") else _SCCS
    return _OTHER if status == HopStatus.DEROGATION else None


def _by_purpose(stores: Iterable[Store]) -> dict[str, list[Store]]:
    """Stores per declared purpose; a store without one is in no declaration (Fides requires a
    data use) but keeps its dataset."""
    grouped: dict[str, list[Store]] = {}
    for store in stores:
        for purpose in store.purposes:
            grouped.setdefault(purpose, []).append(store)
    return grouped


def _declaration(
    inputs: _Inputs, system: CatalogSystem, purpose: str, stores: list[Store], flows: list[_Flow], key: str
) -> PrivacyDeclaration:
    ids = {store.id for store in stores}
    categories, subjects = _union(_held(inputs, store.id) for store in stores)
    egress = sorted({f.target for f in flows if f.source == key and f.stores & ids})
    ingress = sorted({f.source for f in flows if f.target == key and f.into & ids})
    rules = [
        describe_rule(rule, several_stores=len(stores) > 1)
        for rule in _rules(inputs.catalog, system, stores, purpose)
    ]
    return PrivacyDeclaration(
        name=f"{system.name}: {purpose}",
        data_use=purpose,
        data_categories=categories,
        data_subjects=subjects,
        dataset_references=[fides_key(store.id) for store in stores],
        egress=egress or None,
        ingress=ingress or None,
        retention_period="; ".join(rules) or None,
        data_shared_with_third_parties=bool(egress),
        shared_categories=sorted(
            {c for f in flows if f.source == key and f.stores & ids for c in f.categories if c in categories}
        ),
    )


def _union(pairs: Iterable[tuple[list[str], list[str]]]) -> tuple[list[str], list[str]]:
    categories: dict[str, None] = {}
    subjects: dict[str, None] = {}
    for cats, types in pairs:
        categories.update(dict.fromkeys(cats))
        subjects.update(dict.fromkeys(types))
    return list(categories), list(subjects)


def _rules(catalog: Catalog, system: CatalogSystem, stores: list[Store], purpose: str) -> list[RetentionRule]:
    """Rules on these stores or their system whose purposes (if any) cover this purpose."""
    ids = {store.id for store in stores}
    return [
        rule
        for rule in catalog.retention
        if (rule.store in ids or (rule.store is None and rule.system == system.id))
        and (not rule.purposes or covers(rule.purposes, purpose))
    ]


def _sub_processors(inputs: _Inputs) -> list[Processor]:
    """Processors some store's data reaches through a chain, in catalog order."""
    reached = {hop.chain[-1] for hops in inputs.hops.values() for hop in hops if hop.onward}
    return [p for p in inputs.catalog.processors if p.id in reached]


def _sub_processor_system(inputs: _Inputs, processor: Processor, flows: list[_Flow]) -> System:
    """A sub-processor as Fides sees a vendor system: what reaches it, for which purposes."""
    key = SUB_PROCESSOR_PREFIX + processor.id
    stores = sorted({s for f in flows if f.target == key for s in f.stores})
    hops = [
        hop
        for store in stores
        for hop in inputs.hops.get(store, [])
        if hop.onward and hop.chain[-1] == processor.id
    ]
    declarations = []
    purposes = {p for s in stores if s in inputs.declared for p in inputs.declared[s][1].purposes}
    for purpose in sorted(purposes):
        within = [s for s in stores if purpose in inputs.declared[s][1].purposes]
        categories, subjects = _union(_held(inputs, s) for s in within)
        egress = sorted({f.target for f in flows if f.source == key and f.stores & set(within)})
        declarations.append(
            PrivacyDeclaration(
                name=f"{processor.name}: {purpose}",
                data_use=purpose,
                data_categories=categories,
                data_subjects=subjects,
                ingress=sorted({f.source for f in flows if f.target == key and f.stores & set(within)})
                or None,
                egress=egress or None,
                data_shared_with_third_parties=bool(egress),
            )
        )
    parents = sorted({f.source for f in flows if f.target == key})
    return _fides_system(
        key,
        processor.name,
        f"Sub-processor receiving from {', '.join(parents)}",
        "sub_processor",
        processor,
        hops,
        declarations,
        flows,
        responsibility="Sub-Processor",
        datasets=[],
        meta={"processor": processor.id, "stores": stores},
    )


def _dataset(inputs: _Inputs, store_id: str, observed_flows: Sequence[ObservedFlow]) -> Dataset:
    declared = inputs.declared.get(store_id)
    seen = inputs.observed.get(store_id)
    categories, subjects = _held(inputs, store_id)
    if not categories:  # a store known only as a flow's destination: what arrived there
        categories = list(
            dict.fromkeys(c for f in observed_flows if f.destination == store_id for c in f.categories)
        )
    store = declared[1] if declared else None
    origin = {c: _origin(c, store, seen) for c in categories}
    name = (store.name if store else "") or store_id
    meta: dict[str, Any] = {
        "store": store_id,
        "declared": declared is not None,
        "subjects_observed": seen.subjects if seen else 0,
    }
    if declared:
        meta |= {"system": declared[0].id, "country": declared[1].country}
    return Dataset(
        fides_key=fides_key(store_id),
        name=name,
        meta={"lineage": meta},
        description=f"lineage store {store_id}" + ("" if declared else " (not in the catalog)"),
        data_categories=categories or None,
        data_uses=list(store.purposes) if store else None,
        collections=[
            DatasetCollection(
                name=_collection_name(store_id),
                data_subjects=subjects or None,
                fields=[
                    DatasetField(
                        name=fides_key(c).replace(".", "_"),
                        data_categories=[c],
                        description=f"{c}: {origin[c]}",
                    )
                    for c in categories
                ],
            )
        ],
    )


def _origin(category: str, store: Store | None, seen: ObservedStore | None) -> str:
    declared = store is not None and covers(store.categories, category)
    observed = seen is not None and category in seen.categories
    if declared and observed:
        return "declared in the catalog and observed"
    return "declared in the catalog" if declared else "observed, not declared in the catalog"


def _collection_name(store_id: str) -> str:
    """``brevo/contacts`` -> ``contacts``, ``s3://acme-hr-cv`` -> ``acme-hr-cv``."""
    return store_id.rstrip("/").rsplit("/", 1)[-1] or store_id


def _category_extensions(used: set[str]) -> list[DataCategory]:
    """lineage's own categories that the export uses, so Fides can load datasets naming them."""
    return [
        DataCategory(
            fides_key=key,
            parent_key=parent,
            name=key.rsplit(".", 1)[-1].replace("_", " "),
            description=f"lineage extension of {parent}",
            is_default=False,
        )
        for key, parent in EXTENSIONS.items()
        if key in used
    ]


def _subject_extensions(used: set[str]) -> list[DataSubject]:
    known = {s.fides_key for s in DEFAULT_TAXONOMY.data_subject}
    return [
        DataSubject(fides_key=key, name=key.replace("_", " "), description=what, is_default=False)
        for key, what in SUBJECT_EXTENSIONS.items()
        if key in used and key not in known
    ]


def unresolved_references(export: FidesExport) -> list[str]:
    """References a Fides server would refuse on load: unknown categories, uses or subjects, and
    flows or dataset references to resources the export does not contain. Empty when sound."""
    taxonomy = DEFAULT_TAXONOMY
    categories = {c.fides_key for c in taxonomy.data_category} | {c.fides_key for c in export.data_categories}
    subjects = {s.fides_key for s in taxonomy.data_subject} | {s.fides_key for s in export.data_subjects}
    uses = {u.fides_key for u in taxonomy.data_use}
    resources = {
        "system": {s.fides_key for s in export.systems},
        "dataset": {d.fides_key for d in export.datasets},
    }
    problems: list[str] = []
    for system in export.systems:
        for flow in [*(system.egress or []), *(system.ingress or [])]:
            if flow.fides_key not in resources.get(flow.type, set()):
                problems.append(f"{system.fides_key}: flow to unknown {flow.type} {flow.fides_key}")
        for ref in system.dataset_references:
            if ref not in resources["dataset"]:
                problems.append(f"{system.fides_key}: unknown dataset {ref}")
        for decl in system.privacy_declarations:
            problems += [
                f"{system.fides_key}: unknown data category {c}"
                for c in decl.data_categories
                if c not in categories
            ]
            problems += [
                f"{system.fides_key}: unknown data subject {s}"
                for s in decl.data_subjects
                if s not in subjects
            ]
            if decl.data_use not in uses:
                problems.append(f"{system.fides_key}: unknown data use {decl.data_use}")
    for dataset in export.datasets:
        problems += [
            f"{dataset.fides_key}: unknown data category {c}"
            for c in dataset.data_categories or []
            if c not in categories
        ]
    return problems
