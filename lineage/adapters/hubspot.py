"""HubSpot CRM webhooks -> canonical events.

HubSpot batches: one POST carries a JSON array of events, each about one CRM object. Only
contacts are people here; companies and deals are business records, so their events are
accepted and produce nothing. The newer generic ``object.*`` subscriptions name the object
type by ``objectTypeId`` ("0-1" is a contact) and otherwise read like ``contact.*``.

A contact is keyed by its HubSpot id, not its e-mail: the creation event carries no e-mail, and
the address arrives afterwards as a change of the ``email`` property. That change is where
lineage learns that the two identifiers name one person, so it links the address's hash to the
contact's; a merge likewise links the merged contacts' ids to the surviving one. Property
changes are read by property *name*; the one other value read is an e-mail opt-out's
(``hs_email_optout``, and ``hs_email_optout_<id>`` per subscription type, which HubSpot sets when
a contact unsubscribes from or resubscribes to a communication subscription): ``true`` withdraws
consent to marketing e-mail, ``false`` gives it.

Two date properties are also lifecycle moments (:data:`PROPERTY_MOMENTS`), recorded beside the
update as an ``activity``: ``recent_deal_close_date``, which HubSpot itself sets on a contact
when a deal associated with it is closed won (the contact's last purchase), and
``contract_end_date``, a custom property the organisation creates for the end of a contract
(HubSpot has no standard one). The moment is the date the property holds, once it is reached:
a date later than the change itself is an end scheduled, not one that happened, and starts
nothing; emptying the property starts nothing either.

A request is all or nothing: one invalid element fails the whole batch with its index, so the
request is dead-lettered whole and can be replayed exactly as HubSpot sent it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from lineage.adapters.base import adapt_each, build_event, epoch_ms_time, iso_time, json_type
from lineage.domain.events import (
    ActivityKind,
    DataMovementEvent,
    LegalBasis,
    SubjectRef,
)
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import AdapterError

SOURCE = "hubspot"
STORE = "hubspot/contacts"
NAMESPACE = "hubspot:contact"
SUBJECT_TYPE = SubjectType.PROSPECT
"""A CRM contact is someone the sales team talks to; whether they bought is not in the event."""

_SALES = "sales"
_LI = LegalBasis.LEGITIMATE_INTERESTS
_EMAIL_MARKETING = "marketing.communications.email"
_PSEUDONYMOUS = ("user.unique_id.pseudonymous",)


@dataclass(frozen=True, slots=True)
class Rule:
    """How one contact event becomes a canonical event (one row of :data:`CONTACT_RULES`)."""

    action: str | None
    """``None``: a valid event that records nothing about a person."""
    categories: tuple[str, ...] = ()
    purpose: str | None = None
    legal_basis: LegalBasis | None = None
    reads_property: bool = False
    """The category comes from ``propertyName``; an ``email`` value links the address."""


IGNORED = Rule(None)

CONTACT_RULES: Mapping[str, Rule] = {
    "creation": Rule("collected", _PSEUDONYMOUS, _SALES, _LI),
    "propertyChange": Rule("updated", (), _SALES, _LI, reads_property=True),
    "deletion": Rule("erased"),
    "privacyDeletion": Rule("erased"),
    "merge": Rule("linked"),
    "associationChange": IGNORED,
}
"""Contact events, by the part of ``subscriptionType`` after the dot."""

OBJECT_TABLES: Mapping[str, Mapping[str, Rule] | None] = {
    "contact": CONTACT_RULES,
    "company": None,
    "deal": None,
}
"""``<object>.*`` subscriptions; ``None``: every event of that object records nothing."""

OBJECT_TYPE_IDS: Mapping[str, Mapping[str, Rule]] = {"0-1": CONTACT_RULES}
"""Generic ``object.*`` subscriptions by ``objectTypeId``; any other type records nothing."""

CONTACT_PROPERTIES: Mapping[str, str] = {
    "email": "user.contact.email",
    "hs_additional_emails": "user.contact.email",
    "firstname": "user.name.first",
    "lastname": "user.name.last",
    "phone": "user.contact.phone_number",
    "mobilephone": "user.contact.phone_number",
    "fax": "user.contact.fax_number",
    "company": "user.contact.organization",
    "jobtitle": "user.job_title",
    "address": "user.contact.address",
    "city": "user.contact.address.city",
    "state": "user.contact.address.state",
    "zip": "user.contact.address.postal_code",
    "country": "user.contact.address.country",
    "date_of_birth": "user.demographic.date_of_birth",
    "recent_deal_close_date": "user.behavior.purchase_history",
}
"""HubSpot contact property names (``propertyName``) -> fideslang categories."""
UNKNOWN_PROPERTY = "user.contact"
"""Custom properties are free-form; counting them as contact data over-reports, never hides."""
EMAIL_PROPERTY = "email"
OPT_OUT = re.compile(r"hs_email_optout(_[0-9]{1,20})?")
"""The e-mail opt-out properties: the global one and one per communication subscription type."""
OPT_OUT_VALUES: Mapping[str, str] = {"true": "consent_withdrawn", "false": "consent_given"}

PROPERTY_MOMENTS: Mapping[str, ActivityKind] = {
    "recent_deal_close_date": ActivityKind.LAST_PURCHASE,
    "contract_end_date": ActivityKind.CONTRACT_ENDED,
}
"""Contact date properties whose value, once reached, is a moment retention clocks run from."""
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_ID = re.compile(r"[0-9]{1,20}")
_SUBSCRIPTION = re.compile(r"[a-z_]{1,20}\.[A-Za-z_]{1,40}")


def adapt_hubspot(
    payload: Any, hasher: SubjectHasher, *, received_at: datetime | None = None
) -> list[DataMovementEvent]:
    """One HubSpot webhook request body (parsed JSON) -> its canonical events.

    Args:
        payload: the JSON array HubSpot posts, or one event object on its own.
        hasher: keys the subjects; raw ids and addresses go no further than this function.

    Raises:
        AdapterError: naming the failing element's index and why, never its values.
    """
    return adapt_each(SOURCE, payload, partial(_adapt_event, hasher=hasher))


def _adapt_event(item: Any, hasher: SubjectHasher) -> list[DataMovementEvent]:
    """One element of the batch -> zero or one canonical event.

    ``eventId`` and ``occurredAt`` are checked on every element, even one that records
    nothing: an element with a garbled envelope makes the whole request suspect.
    """
    if not isinstance(item, dict):
        raise _error(f"event is a JSON {json_type(item)}, not an object")
    kind = item.get("subscriptionType")
    if not isinstance(kind, str):
        raise _error("subscriptionType is missing or not a string")
    rule = _rule(kind, item)
    identifier = event_id(item)
    occurred_at = event_time(item)
    if rule.action is None:
        return []
    categories = rule.categories
    if rule.reads_property and (opt_out := consent_change(item)) is not None:
        rule = opt_out
        categories = rule.categories
    if rule.action == "linked":
        subject = _merge_subject(item, hasher)
    else:
        key = hasher.native(NAMESPACE, _native_id(item.get("objectId"), "objectId"))
        links: tuple[str, ...] = ()
        if rule.reads_property and rule.action == "updated":
            category, links = property_change(item, hasher)
            categories += (category,)
        subject = SubjectRef(type=SUBJECT_TYPE, key=key, links=links)
    assert rule.action is not None  # the table's IGNORED rows returned above
    fields: dict[str, Any] = {
        "event_id": identifier,
        "occurred_at": occurred_at,
        "source": SOURCE,
        "native_type": f"{SOURCE}:{kind}",
        "subject": subject,
        "store": STORE,
        "categories": categories,
        "purpose": rule.purpose,
        "legal_basis": rule.legal_basis,
        "action": rule.action,
    }
    events = [build_event(SOURCE, rule.action, fields)]
    if rule.reads_property and rule.action == "updated":
        events += _moment_events(item, fields)
    return events


def _moment_events(item: Mapping[str, Any], update: Mapping[str, Any]) -> list[DataMovementEvent]:
    """The lifecycle moment a date property change records beside its update, if any: about
    everything the contact has in the store (no categories), dated by the property's value."""
    found = property_moment(item, update["occurred_at"])
    if found is None:
        return []
    kind, at = found
    fields = {
        **update,
        "event_id": f"{update['event_id']}:{kind.value}",
        "occurred_at": at,
        "categories": (),
        "legal_basis": None,
        "action": "activity",
        "activity": kind,
    }
    return [build_event(SOURCE, "activity", fields)]


def property_moment(item: Mapping[str, Any], changed_at: datetime) -> tuple[ActivityKind, datetime] | None:
    """The moment a :data:`PROPERTY_MOMENTS` property change records, and when it happened: the
    date it holds (milliseconds since the epoch, as HubSpot sends dates, or ``YYYY-MM-DD``),
    provided it is not later than the change; None for any other property, an emptied one, or
    a date still to come."""
    name = item.get("propertyName")
    kind = PROPERTY_MOMENTS.get(name.strip().lower()) if isinstance(name, str) else None
    if kind is None:
        return None
    value = item.get("propertyValue")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        at = iso_time(SOURCE, "propertyValue", f"{value.strip()}T00:00:00+00:00")
    else:
        at = epoch_ms_time(SOURCE, "propertyValue", value)
    return (kind, at) if at <= changed_at else None


def _rule(kind: str, item: Mapping[str, Any]) -> Rule:
    """Look ``<object>.<event>`` up; ``object.*`` first picks its table by ``objectTypeId``."""
    obj, _, name = kind.partition(".")
    if not _SUBSCRIPTION.fullmatch(kind):
        raise _error("unknown subscriptionType: not <object>.<event>")
    if obj == "object":
        type_id = item.get("objectTypeId")
        if not isinstance(type_id, str):
            raise _error("objectTypeId is missing or not a string")
        table: Mapping[str, Rule] | None = OBJECT_TYPE_IDS.get(type_id)
    else:
        table = OBJECT_TABLES.get(obj, {})  # an unknown object: every event name is unknown
    if table is None:
        return IGNORED
    rule = table.get(name)
    if rule is None:
        raise _error("unknown subscriptionType: an event this adapter does not map")
    return rule


def consent_change(item: Mapping[str, Any]) -> Rule | None:
    """The consent an opt-out property change records: ``true`` withdrawn, ``false`` given, for
    marketing e-mail; None for any other property, or an opt-out emptied (an update as before)."""
    name = item.get("propertyName")
    if not isinstance(name, str) or not OPT_OUT.fullmatch(name.strip().lower()):
        return None
    value = item.get("propertyValue")
    if isinstance(value, bool):
        value = "true" if value else "false"
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or value.strip().lower() not in OPT_OUT_VALUES:
        raise _error("propertyValue of an e-mail opt-out is not true or false")
    action = OPT_OUT_VALUES[value.strip().lower()]
    return Rule(action, ("user.contact.email",), _EMAIL_MARKETING, LegalBasis.CONSENT)


def property_change(item: Mapping[str, Any], hasher: SubjectHasher) -> tuple[str, tuple[str, ...]]:
    """The category a ``propertyChange`` names, and the address it links (``email`` only).

    An empty or null ``email`` value is the address being removed: an update, with no link.
    """
    name = item.get("propertyName")
    if not isinstance(name, str) or not name.strip():
        raise _error("propertyName is missing or not a string")
    name = name.strip().lower()
    category = CONTACT_PROPERTIES.get(name, UNKNOWN_PROPERTY)
    if name != EMAIL_PROPERTY:
        return category, ()
    value = item.get("propertyValue")
    if value is None or (isinstance(value, str) and not value.strip()):
        return category, ()
    if not isinstance(value, str):
        raise _error("propertyValue of email is not a string")
    try:
        return category, (hasher.email(value),)
    except ValueError:
        raise _error("propertyValue of email is not an address") from None


def _merge_subject(item: Mapping[str, Any], hasher: SubjectHasher) -> SubjectRef:
    """A merge keeps ``primaryObjectId``; the merged ids (and ``newObjectId``, when HubSpot
    made a new record of the merge) now name the same person."""
    primary = _native_id(item.get("primaryObjectId"), "primaryObjectId")
    merged = item.get("mergedObjectIds")
    if not isinstance(merged, list) or not merged:
        raise _error("mergedObjectIds is missing or not a non-empty array")
    others = [_native_id(value, "mergedObjectIds") for value in merged]
    if item.get("newObjectId") is not None:
        others.append(_native_id(item["newObjectId"], "newObjectId"))
    links = {hasher.native(NAMESPACE, other) for other in others if other != primary}
    if not links:
        raise _error("mergedObjectIds names no contact besides primaryObjectId")
    key = hasher.native(NAMESPACE, primary)
    return SubjectRef(type=SUBJECT_TYPE, key=key, links=tuple(sorted(links)))


def _native_id(value: Any, field: str) -> str:
    """A HubSpot object id (a number, or its decimal string) in one canonical spelling."""
    number = _decimal(value)
    if number is None:
        raise _error(f"{field} is missing or not a HubSpot id")
    return str(number)


def _decimal(value: Any) -> int | None:
    """A non-negative integer of at most 20 digits, given as a number or a decimal string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value < 10**20 else None
    return int(value) if isinstance(value, str) and _ID.fullmatch(value) else None


def event_id(item: Mapping[str, Any]) -> str:
    """HubSpot's own ``eventId``: a redelivery (``attemptNumber`` > 0) keeps it."""
    value = item.get("eventId")
    if value is None:
        raise _error("eventId is missing")
    number = _decimal(value)
    if number is None:
        raise _error("eventId is not a non-negative integer")
    return f"{SOURCE}:{number}"


def event_time(item: Mapping[str, Any]) -> datetime:
    """``occurredAt``, milliseconds since the epoch (UTC), a JSON integer or its digit string
    (HubSpot ids arrive both ways, and so do times relayed through JavaScript), inside the
    canonical window; the window also catches seconds sent as milliseconds."""
    return epoch_ms_time(SOURCE, "occurredAt", item.get("occurredAt"))


def _error(reason: str) -> AdapterError:
    return AdapterError(SOURCE, reason)
