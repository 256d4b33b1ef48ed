"""The access report (GDPR Art. 15), built from one read of a person's map and the catalog. Pure.

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
from lineage.domain.consent import ConsentState as Consent
from lineage.domain.consent import consent_state
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
from lineage.domain.person_map import (
    ConsentRead,
    HoldingRead,
    PersonRead,
    RequestRead,
    StoreRead,
    SubProcessorRead,
    TaskRead,
    holding_bases,
)
from lineage.domain.safeguards import hop_mechanism, safeguard_words
from lineage.domain.transfer_chains import TransferHop, store_hops
from lineage.domain.transfers import HopStatus, Mechanism, TransferRules

__all__ = [
    "AccessReport",
    "ConsentRead",
    "HoldingRead",
    "OriginKind",
    "PersonRead",
    "RequestRead",
    "StoreRead",
    "SubProcessorRead",
    "TaskRead",
    "build_report",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


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
        until=ctx.local(holding.archive_until or holding.expires_at),  # an archive included
        legal=retention_words(legal, ctx.lang) if legal and legal is not rule else None,
        legal_until=ctx.local(holding.legal_until) if legal and legal is not rule else None,
        pending=rule is not None and holding.expires_at is None,
    )


def _item(ctx: Context, holding: HoldingRead, store: StoreRead) -> DataItem:
    system_name = ctx.system_name(store)
    bases = holding_bases(ctx.catalog, holding)
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
            mechanism = hop_mechanism(ctx.catalog, hop)
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


def _consents(ctx: Context, read: PersonRead) -> list[ConsentState]:
    return [
        ConsentState(
            purpose=Labelled(key=c.purpose, label=purpose_label(c.purpose, ctx.lang)),
            given_at=ctx.local(c.given_at),
            withdrawn_at=ctx.local(c.withdrawn_at),
            withdrawn=consent_state(c.given_at, c.withdrawn_at) is Consent.WITHDRAWN,
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
