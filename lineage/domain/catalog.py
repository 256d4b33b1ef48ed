"""The catalog: what the organisation declares about its systems, stores and processors.

One YAML file (see docs/catalog.md) validated here. The graph is seeded from it, so the
observed flows can later be compared with what was declared. Ids are the same strings adapters
put in canonical events (``brevo/contacts``), which is what joins the two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from lineage.domain.categories import check_category, check_data_use
from lineage.domain.events import Identifier, LegalBasis
from lineage.domain.subjects import SubjectType
from lineage.domain.transfer_rules import OrganisationCode, Sector
from lineage.domain.transfers import Mechanism, RecipientRole
from lineage.errors import CatalogError, validation_problems

_ALIASES = {"UK": "GB", "EL": "GR"}


def normalise_country(code: str) -> str:
    """ISO 3166-1 alpha-2, accepting the EU's own ``EL`` (Greece) and ``UK`` spellings."""
    upper = _ALIASES.get(code.strip().upper(), code.strip().upper())
    if pycountry.countries.get(alpha_2=upper) is None:
        raise ValueError(f"unknown country code {code!r} (ISO 3166-1 alpha-2 expected)")
    return upper


def _yaml_norway(value: object) -> object:
    """YAML 1.1 reads an unquoted ``NO`` (Norway) as ``false``; a catalog author meant Norway."""
    return "NO" if value is False else value


CountryCode = Annotated[str, BeforeValidator(_yaml_norway), AfterValidator(normalise_country)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+", re.ASCII)


class Notice(_Strict):
    """Where a processor takes erasure notices: its API (a webhook, HTTPS) and/or its DPO's
    mailbox. An address here is the processor's role address, trusted configuration, not a
    data subject's."""

    webhook: str | None = Field(None, description="HTTPS URL the notice is POSTed to (JSON, signed).")
    email: str | None = Field(None, description="Address the notice is e-mailed to (SMTP).")

    @field_validator("webhook")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        """A notice names who must erase: never sent in clear, except to a loopback test receiver."""
        if value is None:
            return value
        parts = urlsplit(value)
        if (parts.scheme == "https" and parts.hostname) or (
            parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
        ):
            return value
        raise ValueError("notice webhook must be an https:// URL (http:// only on loopback)")

    @field_validator("email")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError("notice email is not an e-mail address")
        return value

    @model_validator(mode="after")
    def _some_channel(self) -> Notice:
        if self.webhook is None and self.email is None:
            raise ValueError("a notice needs webhook or email")
        return self


class Processor(_Strict):
    """A legal entity that receives data: the controller itself, a vendor, a sub-processor, or
    a recipient controller (``role: controller``), possibly an international organisation."""

    id: Identifier
    name: str
    country: CountryCode = Field(description="Where it is established (an organisation's seat).")
    sub_processors: tuple[Identifier, ...] = ()
    transfer_mechanism: Mechanism | None = Field(
        None,
        description="What transfers to this processor rely on when it is outside the EEA "
        "(for a sub-processor: the onward transfer from its parent).",
    )
    role: RecipientRole = Field(
        RecipientRole.PROCESSOR,
        description="processor (acts on instructions: SCC module 2, or 3 "
        "onward) or controller (receives for its own purposes: module 1, or 4 onward).",
    )
    sector: Sector = Field(
        Sector.COMMERCIAL,
        description="Presumed commercial (a vendor company); say public, "
        "non_commercial... when a partial adequacy decision does not cover it.",
    )
    automated: bool = Field(
        True,
        description="False for a recipient processing on paper only "
        "(Israel's decision covers automated processing).",
    )
    international_organisation: OrganisationCode | None = Field(
        None,
        description="The recipient is this international organisation (e.g. EPO): a "
        "transfer even when its seat is in the EEA.",
    )
    notice: Notice | None = Field(
        None, description="Where erasure tasks are sent when a request is opened (webhook, e-mail)."
    )


class SubjectFromKey(_Strict):
    """Which segment of an object key (split on ``/``) is whose native id."""

    segment: int = Field(ge=0)
    namespace: str = Field(description="Identifier namespace, e.g. greenhouse:candidate.")


class ObjectRule(_Strict):
    """Objects of a bucket under a key prefix: whose they are and what they hold.

    Object-store notifications carry only a bucket and a key, so this is how lineage learns
    that ``candidates/37031511/CV.pdf`` is candidate 37031511's CV.
    """

    bucket: str
    prefix: str = ""
    subject_type: SubjectType
    categories: tuple[str, ...] = Field(min_length=1)
    subject_id: SubjectFromKey

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_category(c, name_it=True) for c in value)


class Invariants(_Strict):
    """Promises that must hold whatever happens: checked on every event and every catalog
    change, and broken ones raised as alerts (``lineage.domain.invariants``).

    Declared for the organisation, a system or a store; a store is bound by its own, its
    system's and the organisation's. A catalog that already breaks one still loads: the breach
    is an alert to see, not a file to refuse.
    """

    stays_in_eea: bool = Field(
        False,
        description="The data stays in the EEA: the store's country, its processor's and every "
        "onward hop of its sub-processor chain.",
    )
    never_holds: tuple[str, ...] = Field(
        (),
        description="fideslang categories never to be held (each covers its descendants): "
        'user.government_id for "we never collect identity documents".',
    )

    @field_validator("never_holds")
    @classmethod
    def _categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_category(c, name_it=True) for c in value)

    @property
    def declared(self) -> bool:
        return self.stays_in_eea or bool(self.never_holds)


class Store(_Strict):
    """Somewhere personal data rests: a table, a list, a bucket, a mailbox.

    A ``purposes`` entry is a fideslang data use, or ``{purpose: USE, legal_basis: BASIS}`` when
    that purpose rests on its own Art. 6 basis; ``legal_basis`` is the store's basis for the rest.
    """

    id: Identifier
    name: str = ""
    country: CountryCode
    subject_types: tuple[SubjectType, ...] = ()
    categories: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    legal_basis: LegalBasis | None = Field(
        None,
        description="The Art. 6(1) basis the store's processing rests on (consent, contract, "
        "legal_obligation, vital_interests, public_interest, legitimate_interests), unless a "
        "purpose entry names its own.",
    )
    purpose_bases: dict[str, LegalBasis] = Field(
        default_factory=dict,
        description="Purpose -> basis, filled from the purposes entries that name a legal_basis.",
    )
    objects: tuple[ObjectRule, ...] = ()
    # OpenLineage datasets that are this store, as `namespace/name` (the dataset's namespace,
    # a slash, its name: `postgres://crm-db:5432/crm.public.contacts`, `s3://acme-hr-cv/cv`).
    datasets: tuple[Annotated[str, Field(min_length=3, max_length=500)], ...] = ()
    invariants: Invariants = Field(default_factory=Invariants)

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_category(c, name_it=True) for c in value)

    @field_validator("purposes")
    @classmethod
    def _purposes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_data_use(p, name_it=True) for p in value)

    @model_validator(mode="before")
    @classmethod
    def _purpose_entries(cls, data: object) -> object:
        """``{purpose, legal_basis}`` entries become a plain purpose plus its basis."""
        if not isinstance(data, dict) or not isinstance(data.get("purposes"), list | tuple):
            return data
        purposes: list[object] = []
        bases = dict(data.get("purpose_bases") or {})
        for entry in data["purposes"]:
            if isinstance(entry, dict):
                unknown = set(entry) - {"purpose", "legal_basis"}
                if unknown or "purpose" not in entry:
                    raise ValueError("a purposes entry is a data use or {purpose, legal_basis}")
                purposes.append(entry["purpose"])
                if entry.get("legal_basis") is not None:
                    bases[entry["purpose"]] = entry["legal_basis"]
            else:
                purposes.append(entry)
        return {**data, "purposes": purposes, "purpose_bases": bases}


class SystemKind(StrEnum):
    CRM = "crm"
    RECRUITMENT = "recruitment"
    NEWSLETTER = "newsletter"
    HOSTING = "hosting"
    ANALYTICS = "analytics"
    EMAIL = "email"
    FILE_SHARING = "file_sharing"
    BILLING = "billing"
    OTHER = "other"


class System(_Strict):
    """A business application; its stores are run by one processor."""

    id: Identifier
    name: str
    kind: SystemKind
    processor: Identifier
    stores: tuple[Store, ...]
    transfer_mechanism: Mechanism | None = Field(
        None,
        description="Overrides the processor's mechanism for this system (e.g. one product "
        "of a vendor under a different contract).",
    )
    invariants: Invariants = Field(
        default_factory=Invariants, description="Invariants every store of the system is bound by."
    )
    security_measures: tuple[str, ...] = Field(
        (),
        description="Technical and organisational security measures of this system, in words "
        "(Art. 30(1)(g)); the record adds the organisation-wide ones.",
    )


class RetentionTrigger(StrEnum):
    """What the retention clock runs from; ``lineage.domain.retention`` computes the expiry.

    Privacy policies word their promises this way ("3 years after the last contact", "10 years
    from the end of the financial year", "5 years from the date of conclusion"), so a rule is a
    duration plus one of these.
    """

    COLLECTION = "collection"
    LAST_CONTACT = "last_contact"
    APPLICATION = "application"
    END_OF_CONTRACT = "end_of_contract"
    END_OF_FINANCIAL_YEAR = "end_of_financial_year"
    ACCOUNT_CLOSURE = "account_closure"
    CONCLUSION = "conclusion"
    REJECTION = "rejection"
    LAST_PURCHASE = "last_purchase"
    END_OF_SESSION = "end_of_session"


# Triggers that mark an end: "deleted at the end of the contract" (or "session cookies deleted at
# the end of the visit") is a zero duration from one of these. From any other trigger a zero
# duration would erase data the moment it is written, which is never a promise but a typo; a
# rejection or a last purchase is an end too, but no policy promises erasure at that instant.
END_TRIGGERS = frozenset(
    {RetentionTrigger.END_OF_CONTRACT, RetentionTrigger.ACCOUNT_CLOSURE, RetentionTrigger.END_OF_SESSION}
)


class Duration(_Strict):
    years: int = Field(0, ge=0)
    months: int = Field(0, ge=0)
    days: int = Field(0, ge=0)

    @property
    def zero(self) -> bool:
        return not (self.years or self.months or self.days)


class Clock(_Strict):
    """One duration and the trigger it runs from: "3 years after the last contact"."""

    duration: Duration
    trigger: RetentionTrigger

    @model_validator(mode="after")
    def _zero_only_from_an_end(self) -> Clock:
        _check_zero(self.duration, self.trigger)
        return self


def _check_zero(duration: Duration, trigger: RetentionTrigger) -> None:
    if duration.zero and trigger not in END_TRIGGERS:
        ends = ", ".join(sorted(t.value for t in END_TRIGGERS))
        raise ValueError(
            f"a zero retention duration is only meaningful from an end ({ends}), not from {trigger.value}"
        )


class Whichever(StrEnum):
    """How the clocks of a combined rule ("3 years after last use, or 1 year after closure")
    combine: the earliest expiry, or the latest (a clock not started yet counts as never)."""

    FIRST = "first"
    LAST = "last"


class ExpiryAction(StrEnum):
    """What happens to a holding when its active period ends."""

    DELETE = "delete"
    ANONYMISE = "anonymise"  # anonymised data is no longer personal data: gone for the GDPR
    ARCHIVE = "archive"  # intermediate archive (CNIL "archivage intermédiaire"), then deleted


class Archive(_Strict):
    """How long the intermediate archive keeps the data once the active period has ended."""

    duration: Duration

    @model_validator(mode="after")
    def _not_zero(self) -> Archive:
        if self.duration.zero:
            raise ValueError("an archive period of zero is at_expiry: delete")
        return self


class RetentionRule(_Strict):
    """One retention promise, scoped to a store or to every store of a system.

    ``categories``, ``purposes`` and ``subject_types`` narrow it; the most specific rule wins
    (see ``lineage.domain.retention.RetentionPolicy``), so a policy can say "3 years" for a CRM
    and "5 years after the contract" for its clients without repeating itself. A rule is one
    clock (``duration`` + ``trigger``) or several ``clocks`` combined by ``whichever``.
    ``until`` is a clock that, once its trigger has happened, replaces the others ("3 years
    after last use; 1 year after the account is closed"). ``at_expiry`` says what the end of
    the active period calls for; ``archive`` how long an intermediate archive keeps it after.
    A ``legal_obligation`` rule is a minimum: no more specific rule can shorten it.
    """

    id: Identifier | None = None
    store: Identifier | None = None
    system: Identifier | None = None
    categories: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    subject_types: tuple[SubjectType, ...] = Field(
        (), description="Only for these subject types (prospects vs clients in one CRM)."
    )
    duration: Duration | None = None
    trigger: RetentionTrigger | None = None
    clocks: tuple[Clock, ...] = Field(
        (), description="Several clocks, combined by whichever: first or last expiry."
    )
    whichever: Whichever | None = None
    until: tuple[Clock, ...] = Field(
        (),
        description="A clock (or a list of clocks) that replaces the others once its trigger "
        "has happened (the closure of an account), unless the data was already due before it "
        "happened; of several, the longest among those that happened.",
    )
    at_expiry: ExpiryAction = Field(
        ExpiryAction.DELETE, description="delete, anonymise or archive when the active period ends."
    )
    archive: Archive | None = Field(
        None, description="With at_expiry: archive, how long the archive keeps the data after."
    )
    legal_obligation: bool = Field(
        False,
        description="Data a legal obligation requires to keep (GDPR Art. 17(3)(b), e.g. "
        "invoices 10 years): a minimum no more specific rule shortens, and an erasure request "
        "reports the data as retained until it expires.",
    )
    source: str = Field("", description="Where the promise is made (policy section, norm).")

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_category(c, name_it=True) for c in value)

    @field_validator("purposes")
    @classmethod
    def _purposes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_data_use(p, name_it=True) for p in value)

    @field_validator("until", mode="before")
    @classmethod
    def _until_one_or_several(cls, value: object) -> object:
        """``until: {duration, trigger}`` is the one-clock spelling of ``until: [...]``."""
        return [value] if isinstance(value, dict | Clock) else value

    @model_validator(mode="before")
    @classmethod
    def _one_clock_or_several(cls, data: object) -> object:
        """Refuse a half-declared rule before the fields are checked one by one, so the error
        says what shape is expected instead of "field required"."""
        if not isinstance(data, dict):
            return data
        single = [k for k in ("duration", "trigger") if k in data]
        if data.get("clocks") is not None:
            if single:
                raise ValueError("a retention rule has either duration and trigger, or clocks, not both")
            if len(data["clocks"]) < 2 or data.get("whichever") is None:
                raise ValueError("clocks combine two or more clocks and need whichever: first or last")
        elif len(single) < 2:
            raise ValueError("a retention rule needs duration and trigger (or clocks)")
        elif data.get("whichever") is not None:
            raise ValueError("whichever combines clocks; a single clock has nothing to combine")
        return data

    @model_validator(mode="after")
    def _one_scope(self) -> RetentionRule:
        if (self.store is None) == (self.system is None):
            raise ValueError("a retention rule names exactly one of store or system")
        if self.duration is not None and self.trigger is not None:
            _check_zero(self.duration, self.trigger)
        if (self.at_expiry is ExpiryAction.ARCHIVE) != (self.archive is not None):
            raise ValueError("at_expiry: archive and archive: {duration: ...} go together")
        own = [c.trigger for c in self.all_clocks]
        for index, clock in enumerate(self.until):
            if clock.trigger in own or clock.trigger in (c.trigger for c in self.until[:index]):
                raise ValueError(
                    f"until runs from {clock.trigger.value}, which another clock of the rule already does"
                )
        return self

    @property
    def all_clocks(self) -> tuple[Clock, ...]:
        """The rule's clocks, a single-clock rule included, so the arithmetic has one shape."""
        if self.clocks:
            return self.clocks
        assert self.duration is not None and self.trigger is not None  # the validator saw to it
        return (Clock(duration=self.duration, trigger=self.trigger),)

    @property
    def triggers(self) -> tuple[RetentionTrigger, ...]:
        """Every trigger the rule's expiry can run from, ``until``'s last."""
        return tuple(clock.trigger for clock in (*self.all_clocks, *self.until))

    @property
    def narrowing(self) -> tuple[str, frozenset[str], frozenset[str], frozenset[str]]:
        """What decides the rule's specificity: its scope and what narrows it. Two ordinary
        rules alike in this would tie for the same holdings, settled only by catalog order."""
        return (
            f"{'store' if self.store else 'system'}:{self.scope}",
            frozenset(self.categories),
            frozenset(self.purposes),
            frozenset(self.subject_types),
        )

    @property
    def scope(self) -> str:
        """The store or system id the rule is declared on."""
        return self.store or self.system or ""

    @property
    def key(self) -> str:
        """The rule's id, else a name derived from what it covers: expiries and reports cite it,
        so it must not change when unrelated rules are added or reordered."""
        if self.id is not None:
            return self.id
        derived = f"{self.scope}:{','.join(self.categories) or '*'}"
        if self.purposes:
            derived += f":{','.join(self.purposes)}"
        if self.subject_types:
            derived += f":{','.join(self.subject_types)}"
        return f"{derived}:{'+'.join(t.value for t in self.triggers)}"


def zone_of(name: str) -> ZoneInfo:
    """An IANA zone by name; an unknown or malformed name is refused with what was expected."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone {name!r} is not an IANA time zone name (e.g. Europe/Paris)") from None


def parse_year_end(value: str) -> tuple[int, int]:
    """(month, day) of an ``MM-DD`` financial year end.

    Feb 29 is refused: a year end that exists only one year in four would move every other year.
    """
    match = re.fullmatch(r"(\d{2})-(\d{2})", value, re.ASCII)
    if match is None:
        raise ValueError(f"financial year end {value!r} is not MM-DD")
    month, day = int(match[1]), int(match[2])
    try:
        date(2001, month, day)  # a common year: Feb 29 does not exist in it
    except ValueError:
        raise ValueError(f"financial year end {value!r} is not a day every year has") from None
    return month, day


class DeclaredFlow(_Strict):
    """A store-to-store flow the organisation declares, with the mechanism that export relies on.

    Its mechanism judges the hop into the destination's own processor for data moved along this
    flow (an SCC signed for one export), overriding the processor's; onward hops to
    sub-processors keep their own (each hop needs its own mechanism).
    """

    source: Identifier
    destination: Identifier
    categories: tuple[str, ...] = ()
    transfer_mechanism: Mechanism | None = None

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_category(c, name_it=True) for c in value)


class Contact(_Strict):
    """Whom a person writes to about their data: the DPO (Art. 37-39), named in every access
    report with the rights it answers for. A role address, trusted configuration."""

    name: str = Field(min_length=1, description="The DPO's name or office.")
    email: str = Field(description="The DPO's address for requests about personal data.")
    address: str | None = Field(None, description="Postal address, for requests by letter.")

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _EMAIL.fullmatch(value):
            raise ValueError("dpo email is not an e-mail address")
        return value


class SupervisoryAuthority(_Strict):
    """Where a person may lodge a complaint (Art. 77): the access report names it."""

    name: str = Field(min_length=1)
    address: str | None = None
    url: str | None = Field(None, description="The authority's page for complaints.")


CNIL = SupervisoryAuthority(
    name="Commission nationale de l'informatique et des libertés (CNIL)",
    address="3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07",
    url="https://www.cnil.fr/fr/plaintes",
)
"""The French authority: what an organisation established in France names unless it says otherwise."""

_DEFAULT_AUTHORITIES = {"FR": CNIL}


# --- The record of processing (Art. 30): recipients without a store, processing done for clients.


class RecipientKind(StrEnum):
    """What a recipient without a store is to the organisation (Art. 30(1)(d) asks for the
    categories of recipients): a third party or another controller receiving for its own
    purposes, a public authority, or a processor whose systems the catalog does not model."""

    THIRD_PARTY = "third_party"
    AUTHORITY = "authority"
    CONTROLLER = "controller"
    PROCESSOR = "processor"


class CatalogRecipient(_Strict):
    """Someone the organisation discloses data to without a store of theirs being declared: a
    client employer, the tax authorities, auditors, lawyers, a buyer of the business.

    It receives from the activities it matches: every filter left empty matches all, so an
    authority "legally entitled to know" any data needs no filter at all.
    """

    id: Identifier
    name: str = Field(min_length=1)
    kind: RecipientKind
    country: CountryCode | None = Field(None, description="Where it is, when known in advance.")
    purposes: tuple[str, ...] = Field(
        (), description="The activities it receives from, by purpose (a parent covers its sub-purposes)."
    )
    categories: tuple[str, ...] = Field(
        (), description="The data categories it receives (a parent covers its descendants)."
    )
    stores: tuple[Identifier, ...] = Field((), description="Only activities that use one of these stores.")
    subject_types: tuple[SubjectType, ...] = ()
    legal_basis: LegalBasis | None = Field(
        None, description="The Art. 6(1) basis of the disclosure, when it has its own (legal_obligation)."
    )
    when: str = Field("", description="The condition of the disclosure (on request, in a sale).")
    source: str = Field("", description="Where the policy declares it (policy section).")

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_category(c, name_it=True) for c in value)

    @field_validator("purposes")
    @classmethod
    def _purposes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_data_use(p, name_it=True) for p in value)


class ClientProcessing(_Strict):
    """Processing the organisation carries out as a processor on behalf of clients (Art. 30(2)):
    for one client or a class of clients, what is done, with which systems, stores and
    sub-processors; transfers are judged from those, security measures add to the systems'."""

    id: Identifier
    client: str = Field(min_length=1, description="The controller, or a class of controllers.")
    contact: str = Field("", description="Where the client's and its DPO's contact details are kept.")
    activities: tuple[str, ...] = Field(
        min_length=1, description="The categories of processing carried out for it (Art. 30(2)(b))."
    )
    subject_types: tuple[SubjectType, ...] = ()
    categories: tuple[str, ...] = ()
    systems: tuple[Identifier, ...] = ()
    stores: tuple[Identifier, ...] = ()
    sub_processors: tuple[Identifier, ...] = Field((), description="Catalog processor ids.")
    security_measures: tuple[str, ...] = ()
    retention: str = Field("", description="The time limits agreed with the client, in words.")
    source: str = ""

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_category(c, name_it=True) for c in value)


def record_problems(catalog: Catalog) -> list[str]:
    """Dangling references of the record's sections: a recipient or a client processing that
    names a store, system or processor the catalog lacks would silently match nothing."""
    stores = {s.id for _, s in catalog.stores()}
    systems = {s.id for s in catalog.systems}
    processors = {p.id for p in catalog.processors}
    problems = _duplicates("recipient", [r.id for r in catalog.recipients])
    problems += _duplicates("processing_for_clients", [c.id for c in catalog.processing_for_clients])
    problems += [
        f"recipient {r.id!r} names unknown store {s!r}"
        for r in catalog.recipients
        for s in r.stores
        if s not in stores
    ]
    for client in catalog.processing_for_clients:
        what = f"processing_for_clients {client.id!r}"
        problems += [f"{what} names unknown store {s!r}" for s in client.stores if s not in stores]
        problems += [f"{what} names unknown system {s!r}" for s in client.systems if s not in systems]
        problems += [
            f"{what} names unknown sub-processor {p!r}" for p in client.sub_processors if p not in processors
        ]
    return problems


# --- end of the record of processing's sections.


class Catalog(_Strict):
    organisation: str
    country: CountryCode | None = Field(
        None,
        description="Where the organisation is established: its supervisory authority and the "
        "language of the reports it sends people (French for FR) follow from it.",
    )
    dpo: Contact | None = Field(None, description="The data protection officer people write to.")
    supervisory_authority: SupervisoryAuthority | None = Field(
        None, description="Where people may complain; the CNIL by default for an organisation in FR."
    )
    processors: tuple[Processor, ...]
    systems: tuple[System, ...]
    flows: tuple[DeclaredFlow, ...] = ()
    retention: tuple[RetentionRule, ...] = ()
    financial_year_end: str = Field(
        "12-31",
        description="Last day (MM-DD) of the financial year, which accounting "
        "retention (end_of_financial_year) runs from.",
    )
    timezone: str = Field(
        "UTC",
        description="The organisation's IANA time zone (Europe/Paris): financial years, "
        "months and days are counted on its calendar, not on UTC's.",
    )
    indirect_sources: tuple[Identifier, ...] = Field(
        (),
        description="Event sources whose collections do not come from the person (enrichment "
        "from public registers, GDPR Art. 14): they never count as contact.",
    )
    invariants: Invariants = Field(
        default_factory=Invariants,
        description="Organisation-wide invariants: every store, declared or not, is bound by them.",
    )
    security_measures: tuple[str, ...] = Field(
        (), description="Organisation-wide security measures, in words (Art. 30(1)(g))."
    )
    recipients: tuple[CatalogRecipient, ...] = Field(
        (), description="Recipients without a store: third parties, authorities (Art. 30(1)(d))."
    )
    processing_for_clients: tuple[ClientProcessing, ...] = Field(
        (), description="What the organisation does as a processor for its clients (Art. 30(2))."
    )

    @field_validator("financial_year_end")
    @classmethod
    def _year_end(cls, value: str) -> str:
        parse_year_end(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        zone_of(value)
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The organisation's time zone, for every calendar computation."""
        return zone_of(self.timezone)

    @property
    def authority(self) -> SupervisoryAuthority | None:
        """The declared supervisory authority, else the one of the organisation's country."""
        return self.supervisory_authority or _DEFAULT_AUTHORITIES.get(self.country or "")

    @model_validator(mode="after")
    def _references_resolve(self) -> Catalog:
        processors = {p.id for p in self.processors}
        stores = [s.id for sys in self.systems for s in sys.stores]
        problems = _duplicates("processor", [p.id for p in self.processors])
        problems += _duplicates("system", [s.id for s in self.systems])
        problems += _duplicates("store", stores)
        problems += [
            f"system {s.id!r} names unknown processor {s.processor!r}"
            for s in self.systems
            if s.processor not in processors
        ]
        problems += [
            f"processor {p.id!r} names unknown sub-processor {sub!r}"
            for p in self.processors
            for sub in p.sub_processors
            if sub not in processors
        ]
        problems += sub_processor_cycles(self.processors)
        problems += _retention_problems(self.retention, set(stores), {s.id for s in self.systems})
        problems += [
            f"flow {f.source!r} -> {f.destination!r} names unknown store {end!r}"
            for f in self.flows
            for end in (f.source, f.destination)
            if end not in set(stores)
        ]
        problems += _duplicates("flow", [f"{f.source} -> {f.destination}" for f in self.flows])
        problems += _duplicates("dataset", [d for _, st in self.stores() for d in st.datasets])
        problems += record_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def processor(self, processor_id: str) -> Processor:
        return next(p for p in self.processors if p.id == processor_id)

    def flow(self, source: str, destination: str) -> DeclaredFlow | None:
        return next((f for f in self.flows if (f.source, f.destination) == (source, destination)), None)

    def stores(self) -> list[tuple[System, Store]]:
        return [(system, store) for system in self.systems for store in system.stores]

    def dataset_stores(self) -> dict[str, str]:
        """OpenLineage dataset (`namespace/name`) -> the store it is, for the openlineage adapter."""
        return {dataset: store.id for _, store in self.stores() for dataset in store.datasets}

    def object_rules(self) -> list[tuple[str, ObjectRule]]:
        """(store id, rule) for every object-store rule, longest prefix first."""
        rules = [(store.id, rule) for _, store in self.stores() for rule in store.objects]
        return sorted(rules, key=lambda pair: len(pair[1].prefix), reverse=True)


def sub_processor_cycles(processors: Iterable[Processor]) -> list[str]:
    """Cycles of sub-processor declarations, named processor by processor.

    A chain that loops back has no end to judge: a catalog error, not a silent cut. A
    depth-first walk (no recursion, so depth is unbounded) reports one cycle per back edge.
    """
    graph = {p.id: p.sub_processors for p in processors}
    done: set[str] = set()
    cycles: list[str] = []
    for root in graph:
        if root in done:
            continue
        path: list[str] = [root]
        todo: list[list[str]] = [list(graph[root])]
        while todo:
            if not todo[-1]:
                done.add(path.pop())
                todo.pop()
                continue
            sub = todo[-1].pop(0)
            if sub in path:
                cycles.append(" -> ".join((*path[path.index(sub) :], sub)))
            elif sub not in done and sub in graph:
                path.append(sub)
                todo.append(list(graph[sub]))
    return [f"sub-processor cycle: {cycle}" for cycle in cycles]


def _duplicates(kind: str, ids: list[str]) -> list[str]:
    return [f"duplicate {kind} id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1})]


def _retention_problems(rules: tuple[RetentionRule, ...], stores: set[str], systems: set[str]) -> list[str]:
    """Dangling scopes, and rule keys used twice: expiries cite the key, so it must name one rule."""
    problems = _duplicates("retention rule", [r.key for r in rules])
    problems += [
        f"retention rule names unknown store {r.store!r}"
        for r in rules
        if r.store is not None and r.store not in stores
    ]
    problems += [
        f"retention rule names unknown system {r.system!r}"
        for r in rules
        if r.system is not None and r.system not in systems
    ]
    return problems + _overlaps(rules)


def _overlaps(rules: tuple[RetentionRule, ...]) -> list[str]:
    """Ordinary rules equally specific for the same holdings: one of them would silently win by
    its place in the file. A legal obligation beside them is not one: it is a minimum that binds
    alongside the most specific rule (the holding keeps the longer of the two), so it may share
    a rule's scope and narrowing."""
    seen: dict[tuple[str, frozenset[str], frozenset[str], frozenset[str]], str] = {}
    problems: list[str] = []
    for rule in (r for r in rules if not r.legal_obligation):
        first = seen.setdefault(rule.narrowing, rule.key)
        if first != rule.key:
            problems.append(
                f"retention rules {first!r} and {rule.key!r} cover the same holdings equally "
                "specifically: narrow one (subject_types, categories, purposes) or merge them"
            )
    return problems


def parse_catalog(text: str, origin: str = "<catalog>") -> Catalog:
    """Validate a catalog from YAML text; errors name the file and every problem found."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{origin}: not valid YAML: {exc}") from exc
    try:
        return Catalog.model_validate(data)
    except ValidationError as exc:
        reasons = "; ".join(validation_problems(exc.errors(include_url=False, include_input=False)))
        raise CatalogError(f"{origin}: {reasons}") from exc
