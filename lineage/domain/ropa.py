"""The record of processing activities (GDPR Art. 30), built from the catalog and checked
against what the graph observed.

Art. 30(1) asks for each processing activity: the controller, the purpose, the categories of
subjects and of data, the recipients, the third-country transfers with their safeguards and the
time limits for erasure. The catalog declares all of that; the graph observes what really
happened. A record written from declarations alone is what every organisation already has and
what a DPO cannot trust, so each row also carries *flags*: the places where the observation
disagrees with the declaration (an undeclared category, a flow to an unknown store, a transfer
without a valid mechanism, a store nobody promised to erase).

An activity is one (system, purpose) pair: Art. 30 is organised by purpose, and a system is the
unit a controller contracts and documents, so two stores of one system serving one purpose are
one activity, while one store serving two purposes appears in two activities.

Beside the processors, a row names the recipients the catalog declares without a store (an
authority, an auditor, a buyer: Art. 30(1)(d)), the DPO (Art. 30(1)(a)) and the security
measures (Art. 30(1)(g)). What the organisation does as a processor for clients is a separate
record (Art. 30(2)), one row per client processing: :func:`processor_record`.

Pure: the caller reads the graph and the transfer hops and passes them in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Annotated, Any

from pydantic import Field

from lineage.domain.catalog import (
    Catalog,
    CatalogRecipient,
    ClientProcessing,
    Clock,
    Duration,
    RetentionRule,
    Store,
    System,
)
from lineage.domain.consent import basis_for
from lineage.domain.retention import RetentionPolicy
from lineage.domain.transfer_chains import TransferHop, sub_processor_hops
from lineage.domain.transfers import HopStatus, TransferRules

UNDECLARED = "(undeclared)"
RECIPIENT_ONLY = "(recipient)"
_JOIN = "; "


@dataclass(frozen=True)
class ObservedStore:
    """What the graph observed in one store; ``subjects`` counts distinct people once."""

    store: str
    subjects: int
    subject_types: tuple[str, ...]
    categories: tuple[str, ...]


@dataclass(frozen=True)
class ObservedFlow:
    """Data observed moving from one store to another (a copy, a transfer)."""

    source: str
    destination: str
    categories: tuple[str, ...]
    subjects: int


@dataclass(frozen=True)
class RopaRow:
    """One processing activity: declared facts, observed volume, and the disagreements.

    ``subjects_observed`` is the largest number of people observed in any one of the activity's
    stores, not a sum: the graph counts people per store, and the same person held in two stores
    of one activity would be counted twice by a sum. It is therefore a lower bound.
    """

    activity: Annotated[str, Field(description="System name and purpose, as the record names it.")]
    system: Annotated[str, Field(description="System id; (undeclared) for a store not in the catalog.")]
    purpose: Annotated[str, Field(description="The purpose of the processing (Art. 30(1)(b)).")]
    controller: Annotated[str, Field(description="The organisation the record is kept by.")]
    dpo: Annotated[str, Field(description="The DPO's name and contact details (Art. 30(1)(a)).")]
    stores: Annotated[tuple[str, ...], Field(description="The stores the activity uses.")]
    subject_types: Annotated[tuple[str, ...], Field(description="Categories of data subjects.")]
    categories: Annotated[tuple[str, ...], Field(description="Categories of personal data.")]
    recipients: Annotated[tuple[str, ...], Field(description="Processors and sub-processors, by name.")]
    processors: Annotated[tuple[str, ...], Field(description="The same recipients, by catalog id.")]
    other_recipients: Annotated[
        tuple[str, ...],
        Field(
            description="Recipients without a store: third parties, authorities, other controllers "
            "(Art. 30(1)(d)), with their kind, country, basis, condition and source."
        ),
    ]
    countries: Annotated[tuple[str, ...], Field(description="Where the stores and the recipients sit.")]
    transfers: Annotated[
        tuple[str, ...], Field(description="Each hop leaving the EEA with its verdict and safeguard.")
    ]
    retention: Annotated[tuple[str, ...], Field(description="The time limits for erasure that apply.")]
    security_measures: Annotated[
        tuple[str, ...],
        Field(description="Organisation-wide and system security measures (Art. 30(1)(g))."),
    ]
    subjects_observed: Annotated[
        int, Field(description="People observed in its largest store: a lower bound.")
    ]
    legal_basis: Annotated[
        tuple[str, ...],
        Field(description="The Art. 6(1) basis the catalog declares for the purpose in its stores."),
    ]
    consent_withdrawn: Annotated[
        int, Field(description="People whose latest word on consent for this purpose is a withdrawal.")
    ]
    consent_given: Annotated[
        int, Field(description="People whose latest word on consent for this purpose is consent given.")
    ]
    flags: Annotated[
        tuple[str, ...], Field(description="Where what was observed disagrees with the catalog.")
    ]


@dataclass(frozen=True)
class _Activity:
    system: System
    purpose: str
    stores: tuple[Store, ...]


@dataclass(frozen=True)
class _Inputs:
    """Everything a row is built from, indexed once."""

    catalog: Catalog
    declared: dict[str, Store]
    hops: dict[str, list[TransferHop]]
    observed: dict[str, ObservedStore]
    flows: tuple[ObservedFlow, ...]
    consents: Mapping[str, Mapping[str, int]]


def record_of_processing(
    catalog: Catalog,
    hops: Sequence[TransferHop],
    observed_stores: Sequence[ObservedStore],
    observed_flows: Sequence[ObservedFlow],
    consents: Mapping[str, Mapping[str, int]] | None = None,
) -> list[RopaRow]:
    """Every processing activity of the catalog, plus one row per store observed but undeclared.

    ``hops`` is what ``catalog_hops`` returns; ``consents`` maps a purpose to the people whose
    consent for it stands ``withdrawn`` and ``given`` (``graph.consent.consent_counts``). Rows
    are sorted by system, then purpose.
    """
    inputs = _Inputs(
        catalog,
        {store.id: store for _, store in catalog.stores()},
        _by_store(hops),
        _merge_observed(observed_stores),
        tuple(observed_flows),
        consents or {},
    )
    rows = [_activity_row(inputs, activity) for activity in _activities(catalog)]
    rows += [_undeclared_row(inputs, store) for store in _undeclared_stores(inputs)]
    rows += [_recipient_row(catalog, r) for r in _receiving_nothing(catalog)]
    return sorted(rows, key=lambda row: (row.system, row.purpose, row.stores))


def _activities(catalog: Catalog) -> list[_Activity]:
    """(system, purpose) groups; a store without a purpose still belongs to one, flagged later."""
    groups: dict[tuple[str, str], list[Store]] = {}
    systems = {system.id: system for system in catalog.systems}
    for system, store in catalog.stores():
        for purpose in store.purposes or (UNDECLARED,):
            groups.setdefault((system.id, purpose), []).append(store)
    return [_Activity(systems[sid], purpose, tuple(stores)) for (sid, purpose), stores in groups.items()]


def _by_store(hops: Iterable[TransferHop]) -> dict[str, list[TransferHop]]:
    indexed: dict[str, list[TransferHop]] = {}
    for hop in hops:
        indexed.setdefault(hop.store, []).append(hop)
    return indexed


def _merge_observed(observed: Iterable[ObservedStore]) -> dict[str, ObservedStore]:
    """One observation per store; repeated entries are views of the same people, so ``max``."""
    merged: dict[str, ObservedStore] = {}
    for seen in observed:
        prior = merged.get(seen.store)
        if prior is not None:
            seen = ObservedStore(
                seen.store,
                max(prior.subjects, seen.subjects),
                _unique((*prior.subject_types, *seen.subject_types)),
                _unique((*prior.categories, *seen.categories)),
            )
        merged[seen.store] = seen
    return merged


def _activity_row(inputs: _Inputs, activity: _Activity) -> RopaRow:
    stores = activity.stores
    hops = [hop for store in stores for hop in inputs.hops.get(store.id, [])]
    rules = _applicable_rules(inputs.catalog, activity)
    processors = _unique(pid for hop in hops for pid in hop.chain)
    receiving = receiving_recipients(inputs.catalog, activity.purpose, stores)
    security = security_measures(inputs.catalog, (activity.system,))
    bases = _unique(
        b.value
        for store in stores
        if (b := basis_for(inputs.catalog, store.id, _declared_purpose(activity), None)) is not None
    )
    return RopaRow(
        activity=f"{activity.system.name}: {activity.purpose}",
        system=activity.system.id,
        purpose=activity.purpose,
        controller=inputs.catalog.organisation,
        dpo=describe_dpo(inputs.catalog),
        stores=tuple(store.id for store in stores),
        subject_types=_unique(str(t) for store in stores for t in store.subject_types),
        categories=_unique(c for store in stores for c in store.categories),
        recipients=_unique(inputs.catalog.processor(pid).name for pid in processors),
        processors=processors,
        other_recipients=tuple(describe_recipient(r) for r in receiving),
        countries=_unique(
            (
                *(store.country for store in stores),
                *(hop.country for hop in hops),
                *(r.country for r in receiving if r.country),
            )
        ),
        transfers=tuple(describe_hop(hop) for hop in hops if hop.verdict.status != HopStatus.INSIDE_EEA),
        retention=tuple(describe_rule(rule, several_stores=len(stores) > 1) for rule in rules),
        security_measures=security,
        subjects_observed=_max_subjects(inputs, stores),
        flags=_activity_flags(inputs, activity, hops, rules) + _record_flags(activity, bases, security),
        legal_basis=bases,
        consent_withdrawn=inputs.consents.get(activity.purpose, {}).get("withdrawn", 0),
        consent_given=inputs.consents.get(activity.purpose, {}).get("given", 0),
    )


def _record_flags(activity: _Activity, bases: Sequence[str], security: Sequence[str]) -> tuple[str, ...]:
    """What the record itself lacks: a basis for a declared purpose (the record cannot name the
    Art. 6(1) ground), or any description of the security measures (Art. 30(1)(g))."""
    flags: list[str] = []
    if not bases and activity.purpose != UNDECLARED:
        flags.append(f"no legal basis declared for purpose {activity.purpose}")
    if not security:
        flags.append("no security measures described (Art. 30(1)(g))")
    return tuple(flags)


def describe_dpo(catalog: Catalog) -> str:
    """``name <email>, address``: Art. 30(1)(a) asks for the DPO's contact details in the record."""
    if catalog.dpo is None:
        return ""
    text = f"{catalog.dpo.name} <{catalog.dpo.email}>"
    return f"{text}, {catalog.dpo.address}" if catalog.dpo.address else text


def security_measures(catalog: Catalog, systems: Iterable[System], *extra: str) -> tuple[str, ...]:
    """The organisation-wide measures, then each system's, then ``extra``, without repeats."""
    return _unique((*catalog.security_measures, *(m for s in systems for m in s.security_measures), *extra))


def receiving_recipients(catalog: Catalog, purpose: str, stores: Sequence[Store]) -> list[CatalogRecipient]:
    """The recipients without a store that receive from an activity: each filter they declare
    (purposes, stores, categories, subject types) must match, an empty one matches all."""
    categories = [c for store in stores for c in store.categories]
    types = {t for store in stores for t in store.subject_types}
    return [
        r
        for r in catalog.recipients
        if (not r.purposes or covers(r.purposes, purpose))
        and (not r.stores or any(store.id in r.stores for store in stores))
        and (not r.categories or any(_related(r.categories, c) for c in categories))
        and (not r.subject_types or bool(types & set(r.subject_types)))
    ]


def _related(declared: Sequence[str], category: str) -> bool:
    """A recipient of ``user.contact`` receives an activity's ``user.contact.email``, and one of
    ``user.contact.email`` receives from an activity declaring all of ``user.contact``."""
    return covers(declared, category) or any(covers((category,), d) for d in declared)


def describe_recipient(recipient: CatalogRecipient) -> str:
    """``Tax authorities (authority, FR, legal_obligation, on request, seed 004)``; a ``; `` of
    its own becomes ``, `` so the CSV cell splits back into one item per recipient."""
    parts = [
        recipient.kind.value.replace("_", " "),
        recipient.country or "",
        recipient.legal_basis.value if recipient.legal_basis else "",
        recipient.when,
        recipient.source,
    ]
    return f"{recipient.name} ({', '.join(p for p in parts if p)})".replace(_JOIN, ", ")


def _declared_purpose(activity: _Activity) -> str | None:
    return None if activity.purpose == UNDECLARED else activity.purpose


def _max_subjects(inputs: _Inputs, stores: Sequence[Store]) -> int:
    return max((inputs.observed[s.id].subjects for s in stores if s.id in inputs.observed), default=0)


def _activity_flags(
    inputs: _Inputs, activity: _Activity, hops: Sequence[TransferHop], rules: Sequence[RetentionRule]
) -> tuple[str, ...]:
    flags: list[str] = []
    if activity.purpose == UNDECLARED:
        flags += [f"{store.id}: no purpose declared" for store in activity.stores]
    for store in activity.stores:
        flags += _observation_flags(store, inputs.observed.get(store.id))
        flags += _flow_flags(inputs, store.id)
    flags += [transfer_flag(hop) for hop in hops if _needs_flag(hop)]
    flags += _retention_flags(inputs.catalog, activity, rules, inputs.observed)
    return _unique(flags)


def _needs_flag(hop: TransferHop) -> bool:
    return not hop.verdict.approved or hop.verdict.status == HopStatus.DEROGATION


def transfer_flag(hop: TransferHop) -> str:
    """Each verdict that needs the DPO's hand in its own words: a wrong SCC module is a contract
    to amend, a missing mechanism a contract to sign, a derogation a use to keep occasional."""
    status = hop.verdict.status
    if status == HopStatus.SCC_MODULE_MISMATCH:
        return f"transfer under the wrong SCC module: {describe_hop(hop)}"
    if status == HopStatus.DEROGATION:
        return (
            f"transfer on an Art. 49 derogation, occasional only (Art. 49(6): document it "
            f"here): {describe_hop(hop)}"
        )
    return f"transfer without a valid mechanism: {describe_hop(hop)}"


def _observation_flags(store: Store, seen: ObservedStore | None) -> list[str]:
    if seen is None:
        return []
    categories = [c for c in seen.categories if not covers(store.categories, c)]
    types = [t for t in seen.subject_types if t not in store.subject_types]
    return [f"{store.id}: observed category {c} not declared for this store" for c in categories] + [
        f"{store.id}: observed subject type {t} not declared for this store" for t in types
    ]


def _flow_flags(inputs: _Inputs, source: str) -> list[str]:
    """Flows out of ``source`` to a store the catalog does not know, or carrying more than it
    declares: data went somewhere the record does not account for."""
    flags: list[str] = []
    for flow in (f for f in inputs.flows if f.source == source):
        destination = inputs.declared.get(flow.destination)
        what = f"observed flow {flow.source} -> {flow.destination} ({flow.subjects} subjects)"
        if destination is None:
            flags.append(f"{what}: destination store not declared in the catalog")
            continue
        extra = [c for c in flow.categories if not covers(destination.categories, c)]
        if extra:
            flags.append(f"{what} carries {', '.join(extra)}, not declared by the destination store")
    return flags


def covers(declared: Iterable[str], category: str) -> bool:
    """A declared category covers itself and its fideslang descendants: a store declaring
    ``user.content.private`` has declared the CVs (``user.content.private.cv``) it holds."""
    return any(category == d or category.startswith(f"{d}.") for d in declared)


def _retention_flags(
    catalog: Catalog, activity: _Activity, rules: Sequence[RetentionRule], observed: dict[str, ObservedStore]
) -> list[str]:
    """A store no rule covers is data nobody has promised to erase; say so, and say whether a
    rule exists for the store but only for other purposes. Where rules exist, each category held
    (declared or observed) must have one for this purpose: Art. 30(1)(f) asks for the time
    limits per category of data, not per system."""
    flags: list[str] = []
    policy = RetentionPolicy(catalog)
    for store in activity.stores:
        if any(_names_store(rule, activity.system, store) for rule in rules):
            flags += _category_flags(policy, activity, store, observed.get(store.id))
            continue
        anywhere = any(_names_store(rule, activity.system, store) for rule in catalog.retention)
        flags.append(
            f"{store.id} has no retention rule for purpose {activity.purpose}"
            if anywhere
            else f"{store.id} has no retention rule"
        )
    return flags


def _category_flags(
    policy: RetentionPolicy, activity: _Activity, store: Store, seen: ObservedStore | None
) -> list[str]:
    """Categories of ``store`` held for some subject type with no rule for this purpose."""
    categories = _unique((*store.categories, *(seen.categories if seen else ())))
    types = _unique((*(str(t) for t in store.subject_types), *(seen.subject_types if seen else ())))
    flags: list[str] = []
    for category in categories:
        missing = [
            t
            for t in types or ("",)
            if policy.rule_for(store.id, activity.system.id, category, (activity.purpose,), t or None) is None
        ]
        if missing and missing != list(types or ("",)):
            flags.append(
                f"{store.id}: no retention rule for category {category} (subject types {', '.join(missing)})"
            )
        elif missing:
            flags.append(f"{store.id}: no retention rule for category {category}")
    return flags


def _names_store(rule: RetentionRule, system: System, store: Store) -> bool:
    return rule.store == store.id or (rule.store is None and rule.system == system.id)


def _applicable_rules(catalog: Catalog, activity: _Activity) -> list[RetentionRule]:
    """Rules naming one of the activity's stores or its system, restricted to matching purposes;
    a rule on a parent purpose (``marketing``) covers its sub-purposes, as retention applies it."""
    return [
        rule
        for rule in catalog.retention
        if any(_names_store(rule, activity.system, store) for store in activity.stores)
        and (not rule.purposes or covers(rule.purposes, activity.purpose))
    ]


def describe_hop(hop: TransferHop) -> str:
    """``dropbox/recruitment via dropbox -> US: unapproved (reason)``; the mechanism when any,
    and an international organisation recipient as ``EPO (DE)`` (Art. 30(1)(e) names it).

    The reason's own ``; `` become ``, `` so that the CSV's ``; ``-joined cells split back into
    exactly one item per hop.
    """
    verdict = hop.verdict
    mechanism = f", {verdict.mechanism}" if verdict.mechanism else ""
    reason = verdict.reason.replace(_JOIN, ", ")
    where = f"{hop.organisation} ({hop.country})" if hop.organisation else hop.country
    return (
        f"{hop.store} via {' -> '.join(hop.chain)} -> {where}: {verdict.status.value}{mechanism} ({reason})"
    )


def describe_rule(rule: RetentionRule, several_stores: bool = False) -> str:
    """``3 years from last_contact (source)``; the store is named only when the activity has
    several, and categories, subject types and a legal obligation only when the rule has them."""
    clocks = [describe_clock(clock) for clock in rule.all_clocks]
    text = " or ".join(clocks)
    if rule.whichever is not None:
        text += f", whichever {'comes first' if rule.whichever.value == 'first' else 'is later'}"
    if rule.until:
        events = " or ".join(clock.trigger.value for clock in rule.until)
        text += f", once {events}: {' or '.join(describe_clock(c) for c in rule.until)}"
        text += ", whichever is later, instead" if len(rule.until) > 1 else " instead"
    if rule.archive is not None:
        text += f", then archived {describe_duration(rule.archive.duration)}"
    elif rule.at_expiry.value != "delete":
        text += f", then {rule.at_expiry.value}d"
    if rule.categories:
        text += f" for {', '.join(rule.categories)}"
    if rule.subject_types:
        text += f" for {', '.join(rule.subject_types)}"
    if rule.legal_obligation:
        text += ", legal obligation"
    if rule.source:
        text += f" ({rule.source})"
    return f"{rule.scope}: {text}" if several_stores and rule.store else text


def describe_clock(clock: Clock) -> str:
    """``3 years from last_contact``; a zero duration is ``at end_of_contract``."""
    if clock.duration.zero:
        return f"at {clock.trigger.value}"
    return f"{describe_duration(clock.duration)} from {clock.trigger.value}"


def describe_duration(duration: Duration) -> str:
    parts = [(duration.years, "year"), (duration.months, "month"), (duration.days, "day")]
    return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n)


def _undeclared_stores(inputs: _Inputs) -> list[str]:
    """Stores the graph saw (holding data, or at either end of a flow) that the catalog lacks."""
    seen = [*inputs.observed, *(s for f in inputs.flows for s in (f.source, f.destination))]
    return [store for store in _unique(seen) if store not in inputs.declared]


def _undeclared_row(inputs: _Inputs, store: str) -> RopaRow:
    """Nothing is declared, so the row shows what was observed: better an honest partial row
    than a store missing from the record."""
    seen = inputs.observed.get(store)
    incoming = [f.subjects for f in inputs.flows if f.destination == store]
    return RopaRow(
        activity=f"{store}: not in the catalog",
        system=UNDECLARED,
        purpose=UNDECLARED,
        controller=inputs.catalog.organisation,
        dpo=describe_dpo(inputs.catalog),
        stores=(store,),
        subject_types=seen.subject_types if seen else (),
        categories=seen.categories
        if seen
        else _unique(c for f in inputs.flows if f.destination == store for c in f.categories),
        recipients=(),
        processors=(),
        other_recipients=(),
        countries=(),
        transfers=(),
        retention=(),
        security_measures=(),
        subjects_observed=seen.subjects if seen else max(incoming, default=0),
        flags=("store not declared in the catalog", *_flow_flags(inputs, store)),
        legal_basis=(),
        consent_withdrawn=0,
        consent_given=0,
    )


def _receiving_nothing(catalog: Catalog) -> list[CatalogRecipient]:
    """Recipients no activity matches: a declared disclosure the record would otherwise drop."""
    matched = {
        r.id
        for activity in _activities(catalog)
        for r in receiving_recipients(catalog, activity.purpose, activity.stores)
    }
    return [r for r in catalog.recipients if r.id not in matched]


def _recipient_row(catalog: Catalog, recipient: CatalogRecipient) -> RopaRow:
    """A row of its own, flagged: the policy declares the disclosure, but no activity of the
    catalog has the purposes, stores, categories or subject types it is declared for."""
    return RopaRow(
        activity=f"{recipient.name}: receives from no activity",
        system=RECIPIENT_ONLY,
        purpose=_JOIN.join(recipient.purposes) or UNDECLARED,
        controller=catalog.organisation,
        dpo=describe_dpo(catalog),
        stores=recipient.stores,
        subject_types=tuple(str(t) for t in recipient.subject_types),
        categories=recipient.categories,
        recipients=(),
        processors=(),
        other_recipients=(describe_recipient(recipient),),
        countries=(recipient.country,) if recipient.country else (),
        transfers=(),
        retention=(),
        security_measures=(),
        subjects_observed=0,
        flags=(
            f"recipient {recipient.id} receives from no activity: none has the purposes, stores, "
            "categories and subject types it is declared for",
        ),
        legal_basis=(recipient.legal_basis.value,) if recipient.legal_basis else (),
        consent_withdrawn=0,
        consent_given=0,
    )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    """Distinct values in first-seen order, which follows the catalog's own order."""
    return tuple(dict.fromkeys(values))


@dataclass(frozen=True)
class ProcessorRow:
    """One entry of the processor's record (Art. 30(2)): what the organisation does on behalf
    of one client or class of clients, kept apart from its own record as a controller."""

    client: Annotated[str, Field(description="The controller the processing is done for (30(2)(a)).")]
    contact: Annotated[str, Field(description="Where the client's and its DPO's contact details are.")]
    processor: Annotated[str, Field(description="The organisation, acting as processor.")]
    dpo: Annotated[str, Field(description="The processor's DPO, name and contact details.")]
    activities: Annotated[
        tuple[str, ...], Field(description="Categories of processing carried out for the client (30(2)(b)).")
    ]
    subject_types: Annotated[tuple[str, ...], Field(description="Categories of data subjects.")]
    categories: Annotated[tuple[str, ...], Field(description="Categories of personal data.")]
    systems: Annotated[tuple[str, ...], Field(description="Systems used, by catalog id.")]
    stores: Annotated[tuple[str, ...], Field(description="Stores used, by catalog id.")]
    sub_processors: Annotated[tuple[str, ...], Field(description="Sub-processors engaged, by name.")]
    countries: Annotated[tuple[str, ...], Field(description="Where the stores and sub-processors sit.")]
    transfers: Annotated[
        tuple[str, ...],
        Field(description="Each hop leaving the EEA with its verdict and safeguard (30(2)(c))."),
    ]
    security_measures: Annotated[tuple[str, ...], Field(description="Security measures (30(2)(d)).")]
    retention: Annotated[str, Field(description="The time limits agreed with the client.")]
    source: Annotated[str, Field(description="Where the policy declares the processing.")]
    flags: Annotated[tuple[str, ...], Field(description="What the record lacks or a transfer needs.")]


def processor_record(catalog: Catalog, rules: TransferRules, on: date) -> list[ProcessorRow]:
    """One row per ``processing_for_clients`` entry, in catalog order.

    The organisation acts as a processor here, so every recipient is its sub-processor: the
    processors of the systems used (at their seat and where the stores named rest, under the
    system's own mechanism) and the declared sub-processors, each hop judged as an onward one
    on ``on`` under ``rules``. A system named without stores stands for the client data it
    holds, not for the organisation's own stores in it.
    """
    return [_processor_row(catalog, client, rules, on) for client in catalog.processing_for_clients]


def _processor_row(
    catalog: Catalog, client: ClientProcessing, rules: TransferRules, on: date
) -> ProcessorRow:
    used = {*client.systems, *(s.id for s, store in catalog.stores() if store.id in client.stores)}
    systems = [s for s in catalog.systems if s.id in used]
    stores = [st for s in systems for st in s.stores if st.id in client.stores]
    hops = [
        hop
        for system in systems
        for hop in sub_processor_hops(
            catalog,
            client.id,
            system.processor,
            rules,
            on,
            system.transfer_mechanism,
            tuple(st.country for st in stores if st in system.stores),
        )
    ]
    covered = {pid for hop in hops for pid in hop.chain}
    hops += [
        hop
        for sub in client.sub_processors
        if sub not in covered
        for hop in sub_processor_hops(catalog, client.id, sub, rules, on)
    ]
    security = security_measures(catalog, systems, *client.security_measures)
    return ProcessorRow(
        client=client.client,
        contact=client.contact,
        processor=catalog.organisation,
        dpo=describe_dpo(catalog),
        activities=client.activities,
        subject_types=tuple(str(t) for t in client.subject_types),
        categories=client.categories,
        systems=tuple(s.id for s in systems),
        stores=tuple(st.id for st in stores),
        sub_processors=_unique(catalog.processor(pid).name for hop in hops for pid in hop.chain),
        countries=_unique((*(st.country for st in stores), *(hop.country for hop in hops))),
        transfers=tuple(describe_hop(hop) for hop in hops if hop.verdict.status != HopStatus.INSIDE_EEA),
        security_measures=security,
        retention=client.retention,
        source=client.source,
        flags=_processor_flags(client, hops, security),
    )


def _processor_flags(
    client: ClientProcessing, hops: Sequence[TransferHop], security: Sequence[str]
) -> tuple[str, ...]:
    flags = [transfer_flag(hop) for hop in hops if _needs_flag(hop)]
    if not security:
        flags.append("no security measures described (Art. 30(2)(d))")
    if not client.contact:
        flags.append("no contact details for the client (Art. 30(2)(a))")
    return _unique(flags)


def ropa_json(rows: Sequence[RopaRow]) -> list[dict[str, Any]]:
    """Plain dicts, tuples as lists: ready for ``json.dumps``."""
    return record_json(rows)


def record_json(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Either record's rows (dataclasses) as plain dicts, tuples as lists."""
    return [{f.name: _plain(getattr(row, f.name)) for f in fields(row)} for row in rows]


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def ropa_csv(rows: Sequence[RopaRow]) -> str:
    """One line per activity, for the spreadsheet a DPO keeps; lists are joined with ``; ``."""
    return record_csv(rows, RopaRow)


def processor_record_csv(rows: Sequence[ProcessorRow]) -> str:
    """One line per client processing, lists joined with ``; ``, as the controller's record."""
    return record_csv(rows, ProcessorRow)


def record_csv(rows: Sequence[Any], row_type: type) -> str:
    """A header of ``row_type``'s fields (even with no rows), then one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([f.name for f in fields(row_type)])
    for row in rows:
        writer.writerow([_cell(getattr(row, f.name)) for f in fields(row_type)])
    return buffer.getvalue()


def _cell(value: object) -> object:
    """A list as one cell; an item that holds the separator itself (a policy citation written
    "...; ...") has it softened to a comma, so the cell reads back as the same items."""
    if not isinstance(value, tuple):
        return value
    return _JOIN.join(item.replace(_JOIN, ", ") for item in value)
