"""The access report (GDPR Art. 15) and the portability export (Art. 20), built from one read of
a person's map and the catalog. Pure.

What Art. 15(1)-(2) asks the controller to tell, each in words a person reads (``labels``):
the categories of data, the purposes and legal basis of each, the recipients (the systems and
processors holding it, with their countries), every transfer out of the EEA with the safeguard
it rests on, how long it is kept (the promise and the date, on the organisation's calendar),
where it came from when not from the person, and the rights with whom to address. lineage
holds no values, so Art. 15(3)'s copy is asked of each system holding them (the request's
tasks): the report names those systems. No identifier's value is ever in the report, only the
keyed hash the graph knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from lineage.domain.catalog import Catalog, Processor, Store, System
from lineage.domain.events import LegalBasis
from lineage.domain.labels import (
    Lang,
    Right,
    category_label,
    country_name,
    legal_basis_label,
    purpose_label,
    retention_words,
    right_label,
)
from lineage.domain.transfer_chains import TransferHop, store_hops
from lineage.domain.transfer_rules import CURRENT_SCCS
from lineage.domain.transfers import HopStatus, Mechanism, MechanismKind, TransferRules


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---- the read: what graph/access.py returns, typed ------------------------------------------


class HoldingRead(_Model):
    store: str
    category: str
    state: str
    subject_type: str | None = None
    purposes: list[str] = []
    legal_bases: list[str] = []
    direct: bool = False
    collected: bool = False
    copied_from: list[str] = []
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    expires_at: datetime | None = None
    rule: str | None = None
    trigger: str | None = None
    legal_rule: str | None = None
    legal_until: datetime | None = None
    erased_at: datetime | None = None
    withdrawn_at: datetime | None = None


class SubProcessorRead(_Model):
    id: str
    name: str | None = None
    country: str | None = None


class StoreRead(_Model):
    store: str
    name: str | None = None
    declared: bool | None = None
    system: str | None = None
    system_name: str | None = None
    processor_id: str | None = None
    processor: str | None = None
    processor_country: str | None = None
    country: str | None = None
    sub_processors: list[SubProcessorRead] = []


class ConsentRead(_Model):
    purpose: str
    given_at: datetime | None = None
    withdrawn_at: datetime | None = None


class TaskRead(_Model):
    id: str | None = None
    store: str | None = None
    system: str | None = None
    processor: str | None = None
    status: str | None = None


class RequestRead(_Model):
    id: str
    kind: str | None = None
    received_at: datetime | date | None = None
    deadline: datetime | date | None = None
    status: str | None = None
    tasks: list[TaskRead] = []


class PersonRead(_Model):
    """One person's map as ``graph.access.person_access_map`` reads it."""

    subject: str
    subject_types: list[str] = []
    holdings: list[HoldingRead] = []
    stores: list[StoreRead] = []
    consents: list[ConsentRead] = []
    request: RequestRead | None = None


# ---- the report ------------------------------------------------------------------------------


class Labelled(_Model):
    key: str = Field(description="lineage's key (a fideslang key, a legal basis)")
    label: str = Field(description="what the person reads")


class OriginKind(StrEnum):
    PERSON = "person"  # collected from the person
    COPY = "copy"  # copied from another of the organisation's stores
    INDIRECT = "indirect"  # from a source other than the person (Art. 14)
    SYSTEM = "system"  # recorded by the system itself (deliveries, opens, logs)


class Origin(_Model):
    kind: OriginKind
    label: str = Field(description="where the data came from, in words")
    stores: list[str] = Field(description="the stores it was copied from (kind copy)")


class Retention(_Model):
    promise: str | None = Field(description="the promise in words; null when no rule covers the data")
    until: datetime | None = Field(description="when it must be gone, in the organisation's zone")
    legal: str | None = Field(description="a legal obligation to keep it, in words")
    legal_until: datetime | None = Field(description="until when the law keeps it")
    pending: bool = Field(description="the period has not started yet (a contract still running)")


class DataItem(_Model):
    """One category of the person's data in one store."""

    category: Labelled
    store: str
    store_name: str
    system: str | None
    system_name: str
    processor: str | None = Field(description="who runs the system for the organisation")
    processor_country: str | None = Field(description="where that processor is established, in words")
    country: str | None = Field(description="where the data is stored, in words")
    purposes: list[Labelled]
    legal_bases: list[Labelled] = Field(description="from the events, else the catalog's; empty if unknown")
    consent_withdrawn_at: datetime | None = Field(description="when consent for it was withdrawn")
    origin: Origin
    retention: Retention
    first_seen: datetime | None
    last_seen: datetime | None


class Transfer(_Model):
    """A transfer of the person's data out of the EEA (Art. 15(2))."""

    store: str
    system_name: str
    chain: list[str] = Field(description="the recipients it passes through, by name")
    recipient: str
    country: str = Field(description="where the recipient is, in words")
    categories: list[str] = Field(description="the person's categories held in the store, in words")
    approved: bool
    safeguard: str = Field(description="what the transfer rests on, in words")
    reference: str = Field(description="the document that sets it out, when the catalog names one")


class ConsentState(_Model):
    purpose: Labelled
    given_at: datetime | None
    withdrawn_at: datetime | None
    withdrawn: bool


class Holder(_Model):
    """A system holding values of the person's data: asked for the copy (Art. 15(3))."""

    system: str | None
    system_name: str
    store: str
    processor: str | None
    country: str | None
    categories: list[str]
    task: str | None = Field(description="the request's task asking it for the copy")
    task_status: str | None


class RightText(_Model):
    right: str
    title: str
    text: str


class ContactText(_Model):
    name: str
    email: str | None = None
    address: str | None = None
    url: str | None = None


class ReportRequest(_Model):
    id: str
    kind: str | None
    received_at: datetime | date | None
    deadline: datetime | date | None


class AccessReport(_Model):
    """Everything Art. 15 asks to tell one person, in their language and the organisation's zone."""

    lang: Lang
    zone: str = Field(description="the organisation's time zone every time is shown in")
    generated_at: datetime
    organisation: str
    subject: str | None = Field(description="the keyed hash of the person; null when nobody is known")
    request: ReportRequest | None
    items: list[DataItem] = Field(description="each category held, store by store")
    erased: list[DataItem] = Field(description="data erased or anonymised, kept as a record of it")
    transfers: list[Transfer]
    consents: list[ConsentState]
    holders: list[Holder]
    rights: list[RightText]
    dpo: ContactText | None
    authority: ContactText | None

    def categories(self) -> list[tuple[Labelled, list[DataItem]]]:
        """Items grouped by category, in the order first met: what the report's sections show."""
        groups: dict[str, tuple[Labelled, list[DataItem]]] = {}
        for item in self.items:
            groups.setdefault(item.category.key, (item.category, []))[1].append(item)
        return list(groups.values())


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


# ---- building --------------------------------------------------------------------------------

_ORIGIN_WORDS = {
    (OriginKind.PERSON, Lang.EN): "from you",
    (OriginKind.PERSON, Lang.FR): "auprès de vous",
    (OriginKind.COPY, Lang.EN): "copied from {stores}",
    (OriginKind.COPY, Lang.FR): "copiées depuis {stores}",
    (OriginKind.INDIRECT, Lang.EN): "from a source other than you{sources}",
    (OriginKind.INDIRECT, Lang.FR): "auprès d'une autre source que vous{sources}",
    (OriginKind.SYSTEM, Lang.EN): "recorded by {system} when you used it",
    (OriginKind.SYSTEM, Lang.FR): "enregistrées par {system} lors de votre utilisation",
}


class Context:
    """The catalog, the language, the zone and the transfer rules a report is built with."""

    def __init__(self, catalog: Catalog, lang: Lang, rules: TransferRules, now: datetime) -> None:
        self.catalog = catalog
        self.lang = lang
        self.rules = rules
        self.zone: ZoneInfo = catalog.zone
        self.now = now.astimezone(self.zone)
        self.day = self.now.date()
        self._stores = {store.id: (system, store) for system, store in catalog.stores()}
        self._rules = {rule.key: rule for rule in catalog.retention}

    def local(self, moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(self.zone)

    def declared(self, store: str) -> tuple[System, Store] | None:
        return self._stores.get(store)

    def system_name(self, read: StoreRead) -> str:
        declared = self.declared(read.store)
        return read.system_name or (declared[0].name if declared else None) or read.system or read.store

    def store_name(self, read: StoreRead) -> str:
        declared = self.declared(read.store)
        return (declared[1].name if declared else None) or read.name or read.store

    def country(self, code: str | None) -> str | None:
        return None if code is None else country_name(code, self.lang)


def _declared_bases(catalog: Catalog, store: str) -> list[str]:
    """The basis the catalog declares for the store, for holdings whose events carried none
    (read by name: a catalog declares none unless it says so)."""
    declared = next((st for _, st in catalog.stores() if st.id == store), None)
    basis = getattr(declared, "legal_basis", None)
    return [str(basis)] if basis else []


def _labelled_bases(keys: Iterable[str], lang: Lang) -> list[Labelled]:
    known = {b.value for b in LegalBasis}
    return [Labelled(key=k, label=legal_basis_label(k, lang)) for k in keys if k in known]


def _origin(ctx: Context, holding: HoldingRead, system_name: str) -> Origin:
    if holding.direct:
        kind = OriginKind.PERSON
    elif holding.copied_from:
        kind = OriginKind.COPY
    elif holding.collected:
        kind = OriginKind.INDIRECT
    else:
        kind = OriginKind.SYSTEM
    sources = ", ".join(ctx.catalog.indirect_sources)
    words = _ORIGIN_WORDS[(kind, ctx.lang)].format(
        stores=", ".join(_store_label(ctx, s) for s in holding.copied_from),
        sources=f" ({sources})" if sources else "",
        system=system_name,
    )
    stores = holding.copied_from if kind is OriginKind.COPY else []
    return Origin(kind=kind, label=words, stores=stores)


def _store_label(ctx: Context, store: str) -> str:
    declared = ctx.declared(store)
    return f"{declared[0].name} ({declared[1].name or store})" if declared else store


def _retention(ctx: Context, holding: HoldingRead) -> Retention:
    rule = ctx._rules.get(holding.rule or "")
    legal = ctx._rules.get(holding.legal_rule or "")
    return Retention(
        promise=retention_words(rule, ctx.lang) if rule else None,
        until=ctx.local(holding.expires_at),
        legal=retention_words(legal, ctx.lang) if legal and legal is not rule else None,
        legal_until=ctx.local(holding.legal_until) if legal and legal is not rule else None,
        pending=rule is not None and holding.expires_at is None,
    )


def _item(ctx: Context, holding: HoldingRead, store: StoreRead) -> DataItem:
    system_name = ctx.system_name(store)
    bases = holding.legal_bases or _declared_bases(ctx.catalog, holding.store)
    return DataItem(
        category=Labelled(key=holding.category, label=category_label(holding.category, ctx.lang)),
        store=holding.store,
        store_name=ctx.store_name(store),
        system=store.system,
        system_name=system_name,
        processor=store.processor,
        processor_country=ctx.country(store.processor_country),
        country=ctx.country(store.country),
        purposes=[Labelled(key=p, label=purpose_label(p, ctx.lang)) for p in holding.purposes],
        legal_bases=_labelled_bases(bases, ctx.lang),
        consent_withdrawn_at=ctx.local(holding.withdrawn_at),
        origin=_origin(ctx, holding, system_name),
        retention=_retention(ctx, holding),
        first_seen=ctx.local(holding.first_seen),
        last_seen=ctx.local(holding.last_seen),
    )


def _items(ctx: Context, read: PersonRead) -> tuple[list[DataItem], list[DataItem]]:
    stores = {s.store: s for s in read.stores}
    held: list[DataItem] = []
    erased: list[DataItem] = []
    for holding in sorted(read.holdings, key=lambda h: (h.category, h.store)):
        store = stores.get(holding.store) or StoreRead(store=holding.store)
        (held if holding.state == "held" else erased).append(_item(ctx, holding, store))
    return held, erased


# ---- transfers -------------------------------------------------------------------------------

_RELATION = {
    Lang.EN: {
        1: "controller to controller",
        2: "controller to processor",
        3: "processor to processor",
        4: "processor to controller",
    },
    Lang.FR: {
        1: "de responsable à responsable",
        2: "de responsable à sous-traitant",
        3: "de sous-traitant à sous-traitant",
        4: "de sous-traitant à responsable",
    },
}
_FRAMEWORK_NAMES = {
    MechanismKind.DPF: (
        "the EU-US Data Privacy Framework",
        "le cadre de protection des données UE-États-Unis",
    ),
    MechanismKind.PRIVACY_SHIELD: (
        "the EU-US Privacy Shield",
        "le bouclier de protection des données UE-États-Unis",
    ),
    MechanismKind.SAFE_HARBOUR: ("the Safe Harbour principles", "les principes de la sphère de sécurité"),
}


def _hop_mechanism(catalog: Catalog, hop: TransferHop) -> Mechanism | None:
    """What the hop rests on as the catalog declares it: the system's or processor's for the
    first hop, the sub-processor's own for an onward one."""
    last = catalog.processor(hop.chain[-1])
    if hop.onward:
        return last.transfer_mechanism
    system = next((sys for sys, st in catalog.stores() if st.id == hop.store), None)
    return (system.transfer_mechanism if system else None) or last.transfer_mechanism


def safeguard_words(
    status: HopStatus,
    mechanism: Mechanism | None,
    lang: Lang,
    *,
    place: str = "",
    decision: str | None = None,
) -> str:
    """What a transfer rests on, as Art. 15(2) asks to tell; a hop with nothing valid says so.

    ``place`` is the destination in words and ``decision`` the adequacy decision relied on,
    for an adequate hop that rests on a country's decision.
    """
    en = lang is Lang.EN
    if status is HopStatus.ADEQUATE and mechanism is not None and mechanism.kind in _FRAMEWORK_NAMES:
        name = _FRAMEWORK_NAMES[mechanism.kind][0 if en else 1]
        if en:
            return f"Adequacy decision of the European Commission: the recipient is certified under {name}"
        return (
            f"Décision d'adéquation de la Commission européenne : le destinataire est certifié selon {name}"
        )
    if status is HopStatus.ADEQUATE:
        cited = f" ({decision})" if decision else ""
        if en:
            return f"Adequacy decision of the European Commission for {place}{cited}"
        return f"Décision d'adéquation de la Commission européenne pour : {place}{cited}"
    if status is HopStatus.SAFEGUARDED and mechanism is not None and mechanism.kind is MechanismKind.SCCS:
        adopted = mechanism.decision or CURRENT_SCCS
        module = (
            f", module {mechanism.module} ({_RELATION[lang][mechanism.module]})" if mechanism.module else ""
        )
        if en:
            return f"Standard contractual clauses of the European Commission (Decision {adopted}){module}"
        return f"Clauses contractuelles types de la Commission européenne (décision {adopted}){module}"
    if status is HopStatus.SAFEGUARDED:
        if en:
            return "Binding corporate rules approved by a supervisory authority (Art. 47 GDPR)"
        return "Règles d'entreprise contraignantes approuvées par une autorité de contrôle (art. 47 du RGPD)"
    if status is HopStatus.DEROGATION and mechanism is not None and mechanism.derogation is not None:
        article = mechanism.derogation.article
        if en:
            return f"A derogation for a specific situation ({article} GDPR), for occasional transfers only"
        return (
            f"Une dérogation pour une situation particulière ({article} du RGPD), "
            "pour des transferts occasionnels uniquement"
        )
    if en:
        return "No valid safeguard is documented for this transfer: ask our data protection officer"
    return (
        "Aucune garantie valable n'est documentée pour ce transfert : "
        "interrogez notre délégué à la protection des données"
    )


def _processor_name(catalog: Catalog, pid: str) -> str:
    found: Processor | None = next((p for p in catalog.processors if p.id == pid), None)
    return found.name if found else pid


def _transfers(ctx: Context, items: Sequence[DataItem], stores: Sequence[StoreRead]) -> list[Transfer]:
    by_store: dict[str, list[str]] = {}
    for item in items:
        by_store.setdefault(item.store, []).append(item.category.label)
    transfers: list[Transfer] = []
    for store_id, categories in by_store.items():
        declared = ctx.declared(store_id)
        if declared is None:
            transfers += _undeclared_transfer(ctx, store_id, categories, stores)
            continue
        system, store = declared
        for hop in store_hops(ctx.catalog, system, store, ctx.rules, ctx.day):
            if hop.verdict.status is HopStatus.INSIDE_EEA:
                continue
            mechanism = _hop_mechanism(ctx.catalog, hop)
            chain = [_processor_name(ctx.catalog, pid) for pid in hop.chain]
            transfers.append(
                Transfer(
                    store=store_id,
                    system_name=system.name,
                    chain=chain,
                    recipient=chain[-1],
                    country=hop.organisation or country_name(hop.country, ctx.lang),
                    categories=categories,
                    approved=hop.verdict.approved,
                    safeguard=_safeguard(ctx, hop, mechanism),
                    reference=mechanism.reference if mechanism and hop.verdict.approved else "",
                )
            )
    return transfers


def _safeguard(ctx: Context, hop: TransferHop, mechanism: Mechanism | None) -> str:
    adequacy = ctx.rules.decision_for(hop.destination, ctx.day)
    return safeguard_words(
        hop.verdict.status,
        None if hop.verdict.mechanism == "adequacy" else mechanism,
        ctx.lang,
        place=country_name(hop.destination, ctx.lang),
        decision=adequacy.decision if adequacy else None,
    )


def _undeclared_transfer(
    ctx: Context, store_id: str, categories: list[str], stores: Sequence[StoreRead]
) -> list[Transfer]:
    """A store the catalog does not declare, seen outside the EEA: nothing documents a safeguard."""
    read = next((s for s in stores if s.store == store_id), None)
    if read is None or read.country is None or ctx.rules.in_eea(read.country):
        return []
    name = read.processor or ctx.system_name(read)
    return [
        Transfer(
            store=store_id,
            system_name=ctx.system_name(read),
            chain=[name],
            recipient=name,
            country=country_name(read.country, ctx.lang),
            categories=categories,
            approved=False,
            safeguard=safeguard_words(HopStatus.UNAPPROVED, None, ctx.lang),
            reference="",
        )
    ]


# ---- consents, holders, rights ---------------------------------------------------------------


def consent_withdrawn(given_at: datetime | None, withdrawn_at: datetime | None) -> bool:
    """Withdrawn now: a withdrawal not followed by consent given again."""
    return withdrawn_at is not None and not (given_at is not None and given_at > withdrawn_at)


def _consents(ctx: Context, read: PersonRead) -> list[ConsentState]:
    return [
        ConsentState(
            purpose=Labelled(key=c.purpose, label=purpose_label(c.purpose, ctx.lang)),
            given_at=ctx.local(c.given_at),
            withdrawn_at=ctx.local(c.withdrawn_at),
            withdrawn=consent_withdrawn(c.given_at, c.withdrawn_at),
        )
        for c in read.consents
    ]


def _holders(ctx: Context, items: Sequence[DataItem], read: PersonRead) -> list[Holder]:
    """One per store holding values, with the request's task asking it for the copy."""
    tasks = {t.store: t for t in (read.request.tasks if read.request else []) if t.store}
    holders: dict[str, Holder] = {}
    for item in items:
        if item.store in holders:
            holders[item.store].categories.append(item.category.label)
            continue
        task = tasks.get(item.store)
        holders[item.store] = Holder(
            system=item.system,
            system_name=item.system_name,
            store=item.store,
            processor=item.processor,
            country=item.country,
            categories=[item.category.label],
            task=task.id if task else None,
            task_status=task.status if task else None,
        )
    return list(holders.values())


def _rights(lang: Lang) -> list[RightText]:
    return [
        RightText(right=r.value, title=right_label(r, lang)[0], text=right_label(r, lang)[1]) for r in Right
    ]


def _contacts(catalog: Catalog) -> tuple[ContactText | None, ContactText | None]:
    dpo = catalog.dpo
    authority = catalog.authority
    return (
        ContactText(name=dpo.name, email=dpo.email, address=dpo.address) if dpo else None,
        ContactText(name=authority.name, address=authority.address, url=authority.url) if authority else None,
    )


def _request(ctx: Context, read: RequestRead | None) -> ReportRequest | None:
    if read is None:
        return None

    def shown(value: datetime | date | None) -> datetime | date | None:
        return ctx.local(value) if isinstance(value, datetime) else value

    return ReportRequest(
        id=read.id, kind=read.kind, received_at=shown(read.received_at), deadline=shown(read.deadline)
    )


def build_report(
    read: PersonRead | None,
    catalog: Catalog,
    rules: TransferRules,
    lang: Lang,
    now: datetime,
    request: RequestRead | None = None,
) -> AccessReport:
    """The report for the person ``read`` describes (None: nobody is known; the report then
    says so and still lists the rights and contacts). Transfers are judged on ``now``'s day."""
    ctx = Context(catalog, lang, rules, now)
    held, erased = _items(ctx, read) if read else ([], [])
    dpo, authority = _contacts(catalog)
    return AccessReport(
        lang=lang,
        zone=catalog.timezone,
        generated_at=ctx.now,
        organisation=catalog.organisation,
        subject=read.subject if read else None,
        request=_request(ctx, read.request if read and read.request else request),
        items=held,
        erased=erased,
        transfers=_transfers(ctx, held, read.stores if read else []),
        consents=_consents(ctx, read) if read else [],
        holders=_holders(ctx, held, read) if read else [],
        rights=_rights(lang),
        dpo=dpo,
        authority=authority,
    )


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
        bases = holding.legal_bases or _declared_bases(catalog, holding.store)
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
