"""Brevo (formerly Sendinblue) webhooks -> canonical events.

Brevo runs two webhook families on one account: marketing (campaigns, lists, contacts) and
transactional (one-to-one mails). They share event names (``delivered``, ``opened``, ``click``,
``unsubscribed``) but describe different stores, subjects and purposes, so the family is
decided first (a ``message-id`` means transactional) and the event name is then looked up in
that family's table. Everything source-specific is data in the tables below.

Brevo has no event id and mixes UTC epochs with account-local (Paris) wall-clock dates, so the
idempotency key and the time are derived here, once, by rules documented on the helpers.

A campaign unsubscription (marketing ``unsubscribed``) blocklists the address for every campaign:
it withdraws consent and also closes the subscription, the only account a newsletter subscriber
has, so an ``activity`` of kind ``account_closed`` follows the withdrawal in ``brevo/contacts``
(the clock of "kept N years after the subscriber leaves" runs from it). A transactional
unsubscription closes nothing (the customer's account is elsewhere), and ``contact_deleted`` is
an erasure: nothing is left for a clock to run on.

SMS webhooks have no ``event`` field: a ``msg_status`` names what happened to a message sent to
the number in ``to``, and a marketing or transactional ``type`` says which family it belongs to
(:data:`SMS_STATUSES`). An SMS unsubscription, or a reply that says STOP, withdraws the person's
consent to marketing SMS; the reply's text is read for that keyword and goes no further.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lineage.adapters.base import (
    EARLIEST_EPOCH_S,
    LATEST_EPOCH_S,
    OUTSIDE_WINDOW,
    build_event,
    json_type,
    stable_digest,
    within_window,
)
from lineage.domain.events import (
    ActivityKind,
    DataMovementEvent,
    LegalBasis,
    SubjectRef,
)
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import AdapterError

SOURCE = "brevo"
ACCOUNT_TZ = ZoneInfo("Europe/Paris")
"""Brevo writes ``date*`` fields in the account's local time without an offset."""

_EMAIL = ("user.contact.email",)
_BEHAVIOUR = ("user.contact.email", "user.behavior")
_MARKETING_USE = "marketing.communications.email"
_NOTIFY_USE = "essential.service.notifications.email"
_SMS_MARKETING_USE = "marketing.communications.sms"
_SMS_NOTIFY_USE = "essential.service.notifications.sms"
_PHONE = ("user.contact.phone_number",)
_CONSENT = LegalBasis.CONSENT
_CONTRACT = LegalBasis.CONTRACT


@dataclass(frozen=True, slots=True)
class Rule:
    """How one native event name becomes a canonical event (one row of a family table)."""

    action: str
    activity: ActivityKind | None = None
    categories: tuple[str, ...] = ()
    purpose: str | None = None
    legal_basis: LegalBasis | None = None
    reads_attributes: bool = False
    """Add the categories of the contact attributes the payload's ``content`` names."""
    closes: bool = False
    """Also closes the person's account in the family's store (an ``account_closed`` activity)."""


def _activity(kind: ActivityKind, categories: tuple[str, ...], use: str) -> Rule:
    """Campaign mail rests on the subscriber's consent, transactional mail on the contract."""
    basis = _CONSENT if use in (_MARKETING_USE, _SMS_MARKETING_USE) else _CONTRACT
    return Rule("activity", kind, categories, use, basis)


@dataclass(frozen=True, slots=True)
class Family:
    """A webhook family: where its data sits, whom it is about, and its event table."""

    name: str
    store: str
    subject_type: SubjectType
    rules: Mapping[str, Rule]


MARKETING = Family(
    "marketing",
    "brevo/contacts",
    SubjectType.NEWSLETTER_SUBSCRIBER,
    {
        "list_addition": Rule("collected", None, _EMAIL, _MARKETING_USE, _CONSENT),
        "contact_updated": Rule("updated", None, _EMAIL, _MARKETING_USE, _CONSENT, True),
        "contact_deleted": Rule("erased"),
        "unsubscribed": Rule("consent_withdrawn", None, _EMAIL, _MARKETING_USE, closes=True),
        "delivered": _activity(ActivityKind.DELIVERED, _EMAIL, _MARKETING_USE),
        "opened": _activity(ActivityKind.OPENED, _BEHAVIOUR, _MARKETING_USE),
        "proxy_open": _activity(ActivityKind.OPENED, _BEHAVIOUR, _MARKETING_USE),
        "unique_proxy_open": _activity(ActivityKind.OPENED, _BEHAVIOUR, _MARKETING_USE),
        "click": _activity(ActivityKind.CLICKED, _BEHAVIOUR, _MARKETING_USE),
        "hard_bounced": _activity(ActivityKind.BOUNCED, _EMAIL, _MARKETING_USE),
        "soft_bounced": _activity(ActivityKind.BOUNCED, _EMAIL, _MARKETING_USE),
        "spam": _activity(ActivityKind.COMPLAINED, _EMAIL, _MARKETING_USE),
    },
)

TRANSACTIONAL = Family(
    "transactional",
    "brevo/transactional",
    SubjectType.CUSTOMER,
    {
        "request": _activity(ActivityKind.SENT, _EMAIL, _NOTIFY_USE),
        "delivered": _activity(ActivityKind.DELIVERED, _EMAIL, _NOTIFY_USE),
        "deferred": _activity(ActivityKind.DEFERRED, _EMAIL, _NOTIFY_USE),
        "unique_opened": _activity(ActivityKind.OPENED, _BEHAVIOUR, _NOTIFY_USE),
        "opened": _activity(ActivityKind.OPENED, _BEHAVIOUR, _NOTIFY_USE),
        "proxy_open": _activity(ActivityKind.OPENED, _BEHAVIOUR, _NOTIFY_USE),
        "unique_proxy_open": _activity(ActivityKind.OPENED, _BEHAVIOUR, _NOTIFY_USE),
        "click": _activity(ActivityKind.CLICKED, _BEHAVIOUR, _NOTIFY_USE),
        "hard_bounce": _activity(ActivityKind.BOUNCED, _EMAIL, _NOTIFY_USE),
        "soft_bounce": _activity(ActivityKind.BOUNCED, _EMAIL, _NOTIFY_USE),
        "invalid_email": _activity(ActivityKind.BOUNCED, _EMAIL, _NOTIFY_USE),
        "complaint": _activity(ActivityKind.COMPLAINED, _EMAIL, _NOTIFY_USE),
        "blocked": _activity(ActivityKind.BLOCKED, _EMAIL, _NOTIFY_USE),
        "error": _activity(ActivityKind.FAILED, _EMAIL, _NOTIFY_USE),
        "unsubscribed": Rule("consent_withdrawn", None, _EMAIL, _NOTIFY_USE),
    },
)

SMS_STOP = "stop"
"""Pseudo-status of a reply whose first word is a STOP keyword (:data:`STOP_WORDS`)."""


def _sms_table(use: str) -> dict[str, Rule]:
    """One SMS family's statuses: delivery news about the message, and the person's word."""
    withdrawn = Rule("consent_withdrawn", None, _PHONE, _SMS_MARKETING_USE)
    return {
        "sent": _activity(ActivityKind.SENT, _PHONE, use),
        "accepted": _activity(ActivityKind.SENT, _PHONE, use),
        "delivered": _activity(ActivityKind.DELIVERED, _PHONE, use),
        "soft_bounce": _activity(ActivityKind.BOUNCED, _PHONE, use),
        "hard_bounce": _activity(ActivityKind.BOUNCED, _PHONE, use),
        "rejected": _activity(ActivityKind.FAILED, _PHONE, use),
        "replied": _activity(ActivityKind.REPLIED, _PHONE, use),
        "unsubscribed": withdrawn,
        SMS_STOP: withdrawn,
    }


SMS_MARKETING = Family(
    "sms_marketing", "brevo/contacts", SubjectType.NEWSLETTER_SUBSCRIBER, _sms_table(_SMS_MARKETING_USE)
)
SMS_TRANSACTIONAL = Family(
    "sms_transactional", "brevo/transactional", SubjectType.CUSTOMER, _sms_table(_SMS_NOTIFY_USE)
)
SMS_TYPES: Mapping[str, Family] = {"marketing": SMS_MARKETING, "transactional": SMS_TRANSACTIONAL}
"""The SMS ``type`` field -> family; absent, the message is transactional (the webhook is)."""
SMS_STATUSES: Mapping[str, str] = {
    "sent": "sent",
    "accepted": "accepted",
    "delivered": "delivered",
    "soft_bounce": "soft_bounce",
    "softbounce": "soft_bounce",
    "soft_bounced": "soft_bounce",
    "hard_bounce": "hard_bounce",
    "hardbounce": "hard_bounce",
    "hard_bounced": "hard_bounce",
    "rejected": "rejected",
    "replied": "replied",
    "reply": "replied",
    "replies": "replied",
    "unsubscribe": "unsubscribed",
    "unsubscribed": "unsubscribed",
    "unsubscription": "unsubscribed",
}
"""``msg_status`` as Brevo spells it (its documentation and its API use several spellings of
the same status) -> the row of the family's table."""
STOP_WORDS = frozenset({"STOP", "STOPALL", "ARRET", "ARRÊT", "UNSUBSCRIBE", "DESABONNER", "DÉSABONNER"})
"""Reply keywords that withdraw consent (French operators' STOP and its usual variants)."""
SMS_REPLY_FIELDS = ("reply", "text")

PROXY_OPENS = ("proxy_open", "unique_proxy_open")
"""A privacy proxy (Apple Mail Privacy Protection) fetched the tracking pixel: maybe no person
opened anything. Recorded as an open all the same (native type ``brevo:proxy_open`` keeps the
difference): retention never lets an open move a last-contact clock, so over-counting opens
cannot keep anyone's data longer, while dropping them would hide that the mail was fetched."""

CONTACT_ATTRIBUTES: Mapping[str, str] = {
    "EMAIL": "user.contact.email",
    "FIRSTNAME": "user.name.first",
    "PRENOM": "user.name.first",
    "LASTNAME": "user.name.last",
    "NOM": "user.name.last",
    "SMS": "user.contact.phone_number",
    "PHONE": "user.contact.phone_number",
    "WHATSAPP": "user.contact.phone_number",
    "LANDLINE_NUMBER": "user.contact.phone_number",
    "COMPANY": "user.contact.organization",
    "ADDRESS": "user.contact.address",
    "CITY": "user.contact.address.city",
    "ZIPCODE": "user.contact.address.postal_code",
    "COUNTRY": "user.contact.address.country",
    "BIRTHDAY": "user.demographic.date_of_birth",
    "GENDER": "user.demographic.gender",
}
"""Brevo contact attributes (``content`` of ``contact_updated``) -> fideslang categories."""
UNKNOWN_ATTRIBUTE = "user.contact"
"""Custom attributes are free-form; counting them as contact data over-reports, never hides."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NUMBER = re.compile(r"[0-9]{1,15}(\.[0-9]{1,9})?")
MS_EPOCH = "ts_epoch"
SECOND_EPOCHS = ("ts_event", "ts")
"""Epoch fields by preference after ``ts_epoch``; all Unix seconds."""
SECONDS_AGREE_WITHIN = timedelta(days=1)
"""How far a ``ts_epoch`` sent in seconds may be from ``ts_event`` / ``ts`` and still be read.
Brevo's own examples put them tens of seconds apart, and ``ts`` has been seen hours off
(an account time zone applied to it); a day covers every UTC offset, a unit error it does not."""
_DATE_FIELDS = ("date_event", "date")


def adapt_brevo(
    payload: Any, hasher: SubjectHasher, *, received_at: datetime | None = None
) -> list[DataMovementEvent]:
    """One Brevo webhook body (parsed JSON) -> its canonical event (and, for a campaign
    unsubscription, the subscription's closure).

    Args:
        payload: the parsed body; anything that is not a Brevo event raises.
        hasher: keys the subject; the raw address goes no further than this function.

    Raises:
        AdapterError: with a reason that never quotes the address.
    """
    if not isinstance(payload, dict):
        raise _error(f"payload is a JSON {json_type(payload)}, not an object")
    if "event" not in payload and "msg_status" in payload:
        return _adapt_sms(payload, hasher)
    name = payload.get("event")
    if not isinstance(name, str):
        raise _error("event is missing or not a string")
    family = _family(name, payload)
    rule = family.rules[name]
    subject_key = _subject_key(payload, hasher)
    occurred_at = event_time(payload)
    categories = rule.categories
    if rule.reads_attributes:
        categories += attribute_categories(payload.get("content"))
    fields: dict[str, Any] = {
        "event_id": event_id(family.name, name, subject_key, payload, occurred_at),
        "occurred_at": occurred_at,
        "source": SOURCE,
        "native_type": f"{SOURCE}:{name}",
        "subject": SubjectRef(type=family.subject_type, key=subject_key),
        "store": family.store,
        "categories": categories,
        "purpose": rule.purpose,
        "legal_basis": rule.legal_basis,
        "action": rule.action,
    }
    if rule.activity is not None:
        fields["activity"] = rule.activity
    events = [build_event(SOURCE, rule.action, fields)]
    if rule.closes:
        events.append(closure_event(fields))
    return events


def closure_event(withdrawal: Mapping[str, Any]) -> DataMovementEvent:
    """The subscription's end beside the withdrawal that ended it: about everything the person
    has in the store (no categories), with the withdrawal's id and ``:account_closed``."""
    kind = ActivityKind.ACCOUNT_CLOSED
    fields = {
        **withdrawal,
        "event_id": f"{withdrawal['event_id']}:{kind.value}",
        "categories": (),
        "legal_basis": None,
        "action": "activity",
        "activity": kind,
    }
    return build_event(SOURCE, "activity", fields)


def _adapt_sms(payload: Mapping[str, Any], hasher: SubjectHasher) -> list[DataMovementEvent]:
    """One SMS webhook -> one canonical event, keyed by the hashed phone number."""
    family = _sms_family(payload)
    name = sms_status(payload)
    rule = family.rules[name]
    subject_key = _phone_key(payload.get("to"), hasher)
    occurred_at = event_time(payload)
    fields: dict[str, Any] = {
        "event_id": event_id(family.name, name, subject_key, payload, occurred_at),
        "occurred_at": occurred_at,
        "source": SOURCE,
        "native_type": f"{SOURCE}:sms.{name}",
        "subject": SubjectRef(type=family.subject_type, key=subject_key),
        "store": family.store,
        "categories": rule.categories,
        "purpose": rule.purpose,
        "legal_basis": rule.legal_basis,
        "action": rule.action,
    }
    if rule.activity is not None:
        fields["activity"] = rule.activity
    return [build_event(SOURCE, rule.action, fields)]


def _sms_family(payload: Mapping[str, Any]) -> Family:
    kind = payload.get("type")
    if kind is None:
        return SMS_TRANSACTIONAL
    if not isinstance(kind, str) or kind.strip().lower() not in SMS_TYPES:
        raise _error("type is not marketing or transactional")
    return SMS_TYPES[kind.strip().lower()]


def sms_status(payload: Mapping[str, Any]) -> str:
    """The row of an SMS family's table: ``msg_status``, with a reply whose first word is a
    STOP keyword read as a withdrawal (:data:`SMS_STOP`)."""
    status = payload.get("msg_status")
    if not isinstance(status, str) or status.strip().lower() not in SMS_STATUSES:
        raise _error("msg_status is missing or not an SMS status this adapter maps")
    name = SMS_STATUSES[status.strip().lower()]
    if name == "replied" and _says_stop(payload):
        return SMS_STOP
    return name


def _says_stop(payload: Mapping[str, Any]) -> bool:
    for field in SMS_REPLY_FIELDS:
        text = payload.get(field)
        if text is None:
            continue
        if not isinstance(text, str):
            raise _error(f"{field} is not a string")
        words = text.strip().upper().split()
        return bool(words) and words[0].strip(".!") in STOP_WORDS
    return False


def _phone_key(value: Any, hasher: SubjectHasher) -> str:
    """The number in international form, digits only (``+33 6..``, ``0033 6..`` and ``336..``
    key alike); hashed under ``phone``, as ``lineage subject phone:336...`` looks it up."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise _error("to is missing or not a phone number")
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    if str(value).strip().startswith("00"):
        digits = digits[2:]
    if not 6 <= len(digits) <= 15:
        raise _error("to is not a phone number in international form")
    return hasher.native("phone", digits)


def _family(name: str, payload: Mapping[str, Any]) -> Family:
    """Names both families use are told apart by ``message-id``, which only mails sent one to
    one carry; campaign events carry ``camp_id`` / ``list_id`` instead."""
    families = [family for family in (TRANSACTIONAL, MARKETING) if name in family.rules]
    if not families:
        raise _error("unknown event name: in neither family's table")
    if len(families) == 2 and payload.get("message-id") is None:
        return MARKETING
    return families[0]


def _subject_key(payload: Mapping[str, Any], hasher: SubjectHasher) -> str:
    address = payload.get("email")
    if not isinstance(address, str):
        raise _error("email is missing or not a string")
    try:
        return hasher.email(address)
    except ValueError:
        raise _error("email is not an address") from None


def attribute_categories(content: Any) -> tuple[str, ...]:
    """Categories named by the attributes a ``contact_updated`` changed (the values are never
    read: the event says which kinds of data changed, not what they became).

    ``content`` is a list of attribute objects, or one object; absent or null means none.
    """
    if content is None:
        return ()
    items = [content] if isinstance(content, dict) else content
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise _error("content is not an object or a list of objects")
    keys = [key for item in items for key in item]
    if not all(isinstance(key, str) for key in keys):
        raise _error("content has a non-string attribute name")
    return tuple(CONTACT_ATTRIBUTES.get(key.strip().upper(), UNKNOWN_ATTRIBUTE) for key in keys)


def event_time(payload: Mapping[str, Any]) -> datetime:
    """When the event happened, in UTC.

    Preference: ``ts_epoch`` (ms), ``ts_event``, ``ts`` (s), then ``date_event`` / ``date``
    read as Paris wall-clock time. Every epoch field present must be a number in the canonical
    window, and every date field a string, even when a better field wins: a payload with
    garbled times is suspect. Dates are not compared with epochs: they are in the account's
    time zone, which the payload does not state.
    """
    seconds = {
        field: _from_seconds(field, payload[field])
        for field in SECOND_EPOCHS
        if payload.get(field) is not None
    }
    dates = [(field, payload[field]) for field in _DATE_FIELDS if payload.get(field) is not None]
    for field, value in dates:
        if not isinstance(value, str):
            raise _error(f"{field} is not a string")
    if payload.get(MS_EPOCH) is not None:
        return ts_epoch_time(payload[MS_EPOCH], seconds)
    if seconds:
        return next(iter(seconds.values()))
    if dates:
        return _from_local_date(*dates[0])
    raise _error("no timestamp (ts_epoch, ts_event, ts, date_event or date)")


def ts_epoch_time(value: Any, seconds: Mapping[str, datetime]) -> datetime:
    """``ts_epoch``: documented in milliseconds, but Brevo's own examples (and some traffic)
    send seconds. The two scales cannot be confused inside the canonical window (seconds read
    as milliseconds fall in January 1970), so a value in seconds is read as seconds, provided
    it agrees with ``ts_event`` / ``ts`` when they are present: a disagreement means the
    payload's times cannot be trusted, and it is refused rather than guessed at.
    """
    number = _number(MS_EPOCH, value)
    if EARLIEST_EPOCH_S * 1000 <= number < LATEST_EPOCH_S * 1000:
        return _EPOCH + timedelta(milliseconds=number)
    if not EARLIEST_EPOCH_S <= number < LATEST_EPOCH_S:
        raise _error(f"{MS_EPOCH} {OUTSIDE_WINDOW} in milliseconds or in seconds")
    moment = _EPOCH + timedelta(seconds=number)
    for field, other in seconds.items():
        if abs(other - moment) > SECONDS_AGREE_WITHIN:
            raise _error(
                f"{MS_EPOCH} is in seconds, not milliseconds, and is more than a day "
                f"from {field}: the payload's times disagree"
            )
    return moment


def _from_seconds(field: str, value: Any) -> datetime:
    number = _number(field, value)
    if not EARLIEST_EPOCH_S <= number < LATEST_EPOCH_S:
        raise _error(f"{field} {OUTSIDE_WINDOW} in seconds")
    return _EPOCH + timedelta(seconds=number)


def _number(field: str, value: Any) -> int | float:
    """A JSON number or a decimal string (Brevo has sent both)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _error(f"{field} is not a number")
    if isinstance(value, str) and not _NUMBER.fullmatch(value):
        raise _error(f"{field} is not a number")
    if isinstance(value, str):
        return float(value) if "." in value else int(value)
    if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
        raise _error(f"{field} is not a number")
    return value


def _from_local_date(field: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ACCOUNT_TZ)
        moment = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _error(f"{field} is not a date and time") from None
    return within_window(SOURCE, field, moment)


_REFERENCES = ("message-id", "camp_id", "list_id")
_SMS_REFERENCES = ("messageId", "reference")


def event_id(family: str, name: str, subject_key: str, payload: Mapping[str, Any], at: datetime) -> str:
    """Brevo's idempotency key: a redelivered webhook gets the same id, another event not.

    Built from the hashed subject (never the address), the message or campaign/list it is
    about, the clicked link (two clicks in one second differ by link) and the event time.
    """
    keys = _SMS_REFERENCES if family.startswith("sms") else _REFERENCES
    reference = [payload.get(key) for key in keys]
    link = payload.get("link", payload.get("URL"))
    material = [family, name, subject_key, reference, link, at.isoformat()]
    text = json.dumps(material, default=repr, ensure_ascii=True)
    return f"{SOURCE}:{stable_digest(text)}"


def _error(reason: str) -> AdapterError:
    return AdapterError(SOURCE, reason)
