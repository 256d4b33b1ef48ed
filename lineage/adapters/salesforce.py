"""Salesforce Change Data Capture -> canonical events.

A CDC event describes one change to one or more records of one object (Salesforce merges one
identical change to several records into one event listing all their ``recordIds``). Only
Contacts (customers) and Leads (prospects) are people here; other objects produce nothing. Each
record becomes its own event, keyed by its hashed id; the raw id goes no further, not even into
the event id.

Fields are read by *name*, never by value, through one table; ``Email`` is the one value read,
hashed at once to link the record to the address. Compound fields (``Name``, ``MailingAddress``)
arrive nested and are named ``Compound.Component`` in ``changedFields``; both spellings end in a
component name the table knows. Fields it does not know (system fields such as ``Id``, sales
fields such as ``LeadSource``, custom fields) are not counted: a CRM record carries many fields
about the sale, and reporting each as personal data would bury the fields that are.
A Pub/Sub API client may pass the header's field lists on undecoded, as hex bitmaps over the
schema (Salesforce's own lead conversion example does): those name nothing readable, so the fields
the event carries (an update carries only its changed ones) are read instead.

``HasOptedOutOfEmail`` is the one other value read: when a change names it (or a creation sets
it), an event per record records the person's consent to marketing e-mail, withdrawn when it
is true and given when it is false (a creation that leaves it false says nothing); beside the
update when other fields of the person changed too, instead of it when none did.

A Contract is not a person, but its end is a moment of the person who signed it: an update
that sets ``Status`` (or ``StatusCode``) to ``Expired`` or ``Terminated``, Salesforce's two
categories of an ended contract, records ``contract_ended`` for the Contact in
``CustomerSignedId``, at the commit. An update carries only its changed fields, so the signer
must be added to every Contract change event (CDC event enrichment); an ended contract whose
event lacks it is refused, naming what to enrich, rather than lost. A future ``EndDate`` is a
contract still running: it starts nothing. Other Contract changes record nothing.

Gap events say that a record changed, not how: they are recorded as a touch of the record (its
pseudonymous id), never as a guess. An overflow event, or a wildcard in ``recordIds``, says that
changes to unnamed records went unpublished: only re-synchronising the object repairs that, so
it is refused, loudly, to the dead letters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from lineage.adapters.base import adapt_each, build_event, epoch_ms_time, json_type, stable_digest
from lineage.domain.events import ActivityKind, DataMovementEvent, LegalBasis, SubjectRef
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import AdapterError

SOURCE = "salesforce"
HEADER = "ChangeEventHeader"

_SALES = "sales"
_LI = LegalBasis.LEGITIMATE_INTERESTS
_EMAIL_MARKETING = "marketing.communications.email"
OPT_OUT_FIELD = "HasOptedOutOfEmail"
_PSEUDONYMOUS = ("user.unique_id.pseudonymous",)
"""The floor of a collection or update: the record's own id is data about the person."""


@dataclass(frozen=True, slots=True)
class Entity:
    """A Salesforce object that holds people: where it sits and whom it is about."""

    store: str
    namespace: str
    subject_type: SubjectType
    link_fields: Mapping[str, str]
    """Fields holding the id of another record of the same person -> that record's namespace."""


ENTITIES: Mapping[str, Entity] = {
    "Contact": Entity("salesforce/contacts", "salesforce:contact", SubjectType.CUSTOMER, {}),
    "Lead": Entity(
        "salesforce/leads",
        "salesforce:lead",
        SubjectType.PROSPECT,
        {"ConvertedContactId": "salesforce:contact"},
    ),
}
"""``entityName`` -> entity; any other object (Account, Opportunity, ...) records nothing, but
for the end of a Contract (:data:`CONTRACT`)."""

CONTRACT = "Contract"
CONTRACT_ENDED_STATUSES = frozenset({"expired", "terminated"})
"""``Status`` / ``StatusCode`` values of an ended contract (compared without case)."""
CONTRACT_STATUS_FIELDS = ("Status", "StatusCode")
SIGNER_FIELD = "CustomerSignedId"
"""The Contact who signed the contract: whose contract ended."""


@dataclass(frozen=True, slots=True)
class Rule:
    """How one ``changeType`` becomes a canonical event (one row of :data:`CHANGE_TYPES`)."""

    action: str
    reads: str | None = None
    """Where the categories come from: ``"present"``, the fields the event carries;
    ``"changed"``, the header's ``changedFields`` (else the fields present); ``None``: none."""
    purpose: str | None = None
    legal_basis: LegalBasis | None = None


CHANGE_TYPES: Mapping[str, Rule] = {
    "CREATE": Rule("collected", "present", _SALES, _LI),
    "UNDELETE": Rule("collected", "present", _SALES, _LI),
    "UPDATE": Rule("updated", "changed", _SALES, _LI),
    "DELETE": Rule("erased"),
    **dict.fromkeys(("GAP_CREATE", "GAP_UPDATE", "GAP_UNDELETE"), Rule("updated", None, _SALES, _LI)),
    "GAP_DELETE": Rule("erased"),
}
REFUSED_CHANGE_TYPES: Mapping[str, str] = {
    "GAP_OVERFLOW": "gap overflow: re-synchronise the object from Salesforce, changes were lost",
}

_ADDRESS_FIELDS: Mapping[str, str] = {
    **dict.fromkeys(("Address", "Latitude", "Longitude"), "user.contact.address"),
    "Street": "user.contact.address.street",
    "City": "user.contact.address.city",
    **dict.fromkeys(("State", "StateCode"), "user.contact.address.state"),
    "PostalCode": "user.contact.address.postal_code",
    **dict.fromkeys(("Country", "CountryCode"), "user.contact.address.country"),
}
FIELDS: Mapping[str, str] = {
    "Email": "user.contact.email",
    "FirstName": "user.name.first",
    "LastName": "user.name.last",
    **dict.fromkeys(("Name", "Salutation", "MiddleName", "Suffix"), "user.name"),
    **dict.fromkeys(("Phone", "MobilePhone", "HomePhone", "OtherPhone"), "user.contact.phone_number"),
    "Fax": "user.contact.fax_number",
    "Company": "user.contact.organization",
    "Title": "user.job_title",
    "Birthdate": "user.demographic.date_of_birth",
    **_ADDRESS_FIELDS,
    **{prefix + name: key for prefix in ("Mailing", "Other") for name, key in _ADDRESS_FIELDS.items()},
}
"""Contact and Lead field (or compound component) names -> fideslang categories. Contacts
spell address fields with a ``Mailing`` / ``Other`` prefix, Leads without."""
EMAIL_FIELD = "Email"

_RECORD_ID = re.compile(r"[A-Za-z0-9]{15,18}")
"""15 (case-sensitive) or 18 characters; lengths between are accepted, not guessed at."""
_WILDCARD_ID = re.compile(r"[A-Za-z0-9]{3}\*")
_TRANSACTION_KEY = re.compile(r"[A-Za-z0-9-]{1,64}")
_FIELD_LISTS = ("changedFields", "nulledFields", "diffFields")
_BITMAP = re.compile(r"([0-9]{1,4}-)?0x[0-9A-Fa-f]{1,4096}")
"""A field list as the Pub/Sub API delivers it before a client decodes it: a hex bitmap over the
schema's field positions (``0x08F81000``; ``3-0x02`` for a compound field's components), as in
Salesforce's own lead conversion example. It names no field this adapter can read without the
event schema."""


def adapt_salesforce(
    payload: Any, hasher: SubjectHasher, *, received_at: datetime | None = None
) -> list[DataMovementEvent]:
    """One CDC event (or a JSON array of them) -> one canonical event per person record.

    The CometD envelope ``{"schema", "payload", "event"}`` is unwrapped. In an array, one
    invalid element fails the whole payload, naming its index.

    Raises:
        AdapterError: with a reason that never quotes a field value or a record id.
    """
    return adapt_each(SOURCE, payload, partial(_adapt_event, hasher=hasher))


def _adapt_event(event: Any, hasher: SubjectHasher) -> list[DataMovementEvent]:
    if not isinstance(event, dict):
        raise _error(f"event is a JSON {json_type(event)}, not an object")
    if HEADER not in event and isinstance(event.get("payload"), dict):
        event = event["payload"]
    header = event.get(HEADER)
    if not isinstance(header, dict):
        raise _error(f"{HEADER} is missing or not an object")
    name = header.get("entityName")
    if not isinstance(name, str):
        raise _error("entityName is missing or not a string")
    if name == CONTRACT:
        return _contract_end(event, header, hasher)
    entity = ENTITIES.get(name)
    if entity is None:
        return []
    change = header.get("changeType")
    if not isinstance(change, str):
        raise _error("changeType is missing or not a string")
    if change in REFUSED_CHANGE_TYPES:
        raise _error(REFUSED_CHANGE_TYPES[change])
    rule = CHANGE_TYPES.get(change)
    if rule is None:
        raise _error("unknown changeType: not one this adapter maps")
    records = record_ids(header)
    occurred_at = event_time(header)
    prefix = event_id_prefix(header)
    categories = _categories(rule, event, header)
    links = _links(entity, event, hasher) if len(records) == 1 else ()
    opt_out = consent_action(change, event, header)
    events = []
    for record in records:
        key = hasher.native(entity.namespace, record)
        subject = SubjectRef(type=entity.subject_type, key=key, links=links)
        if opt_out is not None:
            events.append(
                _consent_event(opt_out, f"{prefix}:{key}:optout", occurred_at, entity, subject, name)
            )
            if rule.action == "updated" and categories == _PSEUDONYMOUS:
                continue  # the opt-out was the change: no other field of the person's changed
        events.append(
            build_event(
                SOURCE,
                rule.action,
                {
                    "event_id": f"{prefix}:{key}",
                    "occurred_at": occurred_at,
                    "source": SOURCE,
                    "native_type": f"{SOURCE}:{name}.{change}",
                    "subject": subject,
                    "store": entity.store,
                    "categories": categories,
                    "purpose": rule.purpose,
                    "legal_basis": rule.legal_basis,
                    "action": rule.action,
                },
            )
        )
    return events


def _contract_end(
    event: Mapping[str, Any], header: Mapping[str, Any], hasher: SubjectHasher
) -> list[DataMovementEvent]:
    """A Contract change -> the end of the signer's contract, when the change ended it."""
    if header.get("changeType") != "UPDATE" or not contract_ended(event, header):
        return []
    if SIGNER_FIELD not in event:
        raise _error(
            f"a Contract ended but {SIGNER_FIELD} is not in the event: enrich the Contract "
            f"change events with {SIGNER_FIELD}"
        )
    signer = event[SIGNER_FIELD]
    if signer is None:
        return []  # nobody signed it: no person's contract ended
    if not isinstance(signer, str) or not _RECORD_ID.fullmatch(signer):
        raise _error(f"{SIGNER_FIELD} is not a Salesforce id")
    contact = ENTITIES["Contact"]
    at, prefix = event_time(header), event_id_prefix(header)
    subject = SubjectRef(type=contact.subject_type, key=hasher.native(contact.namespace, signer))
    return [
        build_event(
            SOURCE,
            "activity",
            {
                "event_id": f"{prefix}:{hasher.native('salesforce:contract', record)}",
                "occurred_at": at,
                "source": SOURCE,
                "native_type": f"{SOURCE}:{CONTRACT}.UPDATE",
                "subject": subject,
                "store": contact.store,
                "purpose": _SALES,
                "action": "activity",
                "activity": ActivityKind.CONTRACT_ENDED,
            },
        )
        for record in record_ids(header)
    ]


def contract_ended(event: Mapping[str, Any], header: Mapping[str, Any]) -> bool:
    """Whether the update sets the contract's status to an ended one: a status field the event
    carries (an update carries only its changed fields), unless decoded field lists say that
    no status field changed."""
    named = changed_fields(header)
    decoded = [n for n in named if not _BITMAP.fullmatch(n)]
    if decoded and len(decoded) == len(named) and not set(CONTRACT_STATUS_FIELDS) & set(decoded):
        return False
    for field in CONTRACT_STATUS_FIELDS:
        value = event.get(field)
        if value is not None and not isinstance(value, str):
            raise _error(f"{field} is not a string")
        if isinstance(value, str) and value.strip().lower() in CONTRACT_ENDED_STATUSES:
            return True
    return False


def consent_action(change: str, event: Mapping[str, Any], header: Mapping[str, Any]) -> str | None:
    """What the event says of the person's consent to marketing e-mail: an update that changes
    ``HasOptedOutOfEmail`` (named in the field lists, or carried, which an update does only for
    changed fields), or a creation that sets it; None when it says nothing."""
    if OPT_OUT_FIELD not in event or change not in ("CREATE", "UNDELETE", "UPDATE"):
        return None
    value = event[OPT_OUT_FIELD]
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _error(f"{OPT_OUT_FIELD} is not a boolean")
    if change == "UPDATE":
        named = changed_fields(header)
        decoded = [n for n in named if not _BITMAP.fullmatch(n)]
        if decoded and len(decoded) == len(named) and OPT_OUT_FIELD not in decoded:
            return None
        return "consent_withdrawn" if value else "consent_given"
    return "consent_withdrawn" if value else None


def _consent_event(
    action: str, identifier: str, at: datetime, entity: Entity, subject: SubjectRef, name: str
) -> DataMovementEvent:
    return build_event(
        SOURCE,
        action,
        {
            "event_id": identifier,
            "occurred_at": at,
            "source": SOURCE,
            "native_type": f"{SOURCE}:{name}.{OPT_OUT_FIELD}",
            "subject": subject,
            "store": entity.store,
            "categories": ("user.contact.email",),
            "purpose": _EMAIL_MARKETING,
            "legal_basis": LegalBasis.CONSENT,
            "action": action,
        },
    )


def record_ids(header: Mapping[str, Any]) -> list[str]:
    """The distinct record ids, in order; a wildcard (``003*``: every record of the object,
    sent on a custom field conversion that lost data) cannot be keyed and is refused."""
    ids = header.get("recordIds")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise _error("recordIds is missing or not a non-empty array of strings")
    if any(_WILDCARD_ID.fullmatch(i) for i in ids):
        raise _error("recordIds holds a wildcard: re-synchronise the object from Salesforce")
    if not all(_RECORD_ID.fullmatch(i) for i in ids):
        raise _error("recordIds holds something that is not a Salesforce id")
    return list(dict.fromkeys(ids))


def _categories(rule: Rule, event: Mapping[str, Any], header: Mapping[str, Any]) -> tuple[str, ...]:
    if rule.action == "erased":
        return ()
    names: list[str] = []
    if rule.reads == "changed":
        names = changed_fields(header)
        if any(_BITMAP.fullmatch(name) for name in names):
            # undecoded bitmaps: the fields the event carries are the changed ones
            names = [n for n in names if not _BITMAP.fullmatch(n)] + present_fields(event)
    if rule.reads is not None and not names:
        names = present_fields(event)
    found = tuple(FIELDS[leaf] for leaf in (n.rpartition(".")[2] for n in names) if leaf in FIELDS)
    return found or _PSEUDONYMOUS


def changed_fields(header: Mapping[str, Any]) -> list[str]:
    """``changedFields`` with ``nulledFields`` and ``diffFields`` (each may be absent), as sent:
    decoded names, or Pub/Sub API bitmaps (see :data:`_BITMAP`)."""
    names: list[str] = []
    for field in _FIELD_LISTS:
        value = header.get(field)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            raise _error(f"{field} is not an array of strings")
        names += value
    return names


def present_fields(event: Mapping[str, Any]) -> list[str]:
    """Names of the fields the event gives a value, compound fields by their components
    (``MailingAddress.City``); a null field holds nothing and is not counted."""
    names: list[str] = []
    for name, value in event.items():
        if not isinstance(name, str):
            raise _error("a field name is not a string")
        if name == HEADER or value is None:
            continue
        if isinstance(value, dict):
            if not all(isinstance(part, str) for part in value):
                raise _error("a compound field has a non-string component name")
            names += [f"{name}.{part}" for part, inner in value.items() if inner is not None]
        else:
            names.append(name)
    return names


def _links(entity: Entity, event: Mapping[str, Any], hasher: SubjectHasher) -> tuple[str, ...]:
    """Other identifiers of the record's person: the ``Email`` address, and the id of the
    record a Lead was converted into. Only for an event about a single record."""
    links: list[str] = []
    address = event.get(EMAIL_FIELD)
    if isinstance(address, str) and address.strip():
        try:
            links.append(hasher.email(address))
        except ValueError:
            raise _error(f"{EMAIL_FIELD} is not an address") from None
    elif address is not None and not isinstance(address, str):
        raise _error(f"{EMAIL_FIELD} is not a string")
    for field, namespace in entity.link_fields.items():
        value = event.get(field)
        if value is None:
            continue
        if not isinstance(value, str) or not _RECORD_ID.fullmatch(value):
            raise _error(f"{field} is not a Salesforce id")
        links.append(hasher.native(namespace, value))
    return tuple(links)


def event_id_prefix(header: Mapping[str, Any]) -> str:
    """``salesforce:<transactionKey>:<sequenceNumber>``; each event appends its record's
    hashed key (not the record id, which is a native identifier and goes no further).

    Without either field the header itself is hashed (canonical JSON), so a redelivery of the
    same event still gets the same id.
    """
    key, sequence = header.get("transactionKey"), header.get("sequenceNumber")
    if key is None or sequence is None:
        try:
            text = json.dumps(header, sort_keys=True, ensure_ascii=True, default=repr)
        except (TypeError, ValueError, RecursionError):
            raise _error(f"{HEADER} cannot be serialised to derive an id") from None
        return f"{SOURCE}:h{stable_digest(text)}"
    if not isinstance(key, str) or not _TRANSACTION_KEY.fullmatch(key):
        raise _error("transactionKey is not a transaction key")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 0 <= sequence < 10**18:
        raise _error("sequenceNumber is not a non-negative integer")
    return f"{SOURCE}:{key}:{sequence}"


def event_time(header: Mapping[str, Any]) -> datetime:
    """``commitTimestamp``, milliseconds since the epoch (UTC), an integer or its digit string,
    inside the canonical window."""
    return epoch_ms_time(SOURCE, "commitTimestamp", header.get("commitTimestamp"))


def _error(reason: str) -> AdapterError:
    return AdapterError(SOURCE, reason)
