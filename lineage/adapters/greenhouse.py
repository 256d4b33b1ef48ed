"""Greenhouse (recruitment ATS) webhooks -> canonical events.

Each webhook ``{"action": ..., "payload": {...}}`` is about one candidate (a prospect is the same
record, so the same subject). Most actions re-state the whole candidate object, so categories are
read from what that object holds; the action only picks the canonical action and where the time
is. The subject is keyed by the candidate id, which every action carries; each valid address in
``email_addresses`` is a link, joining the candidate to the same person known by e-mail elsewhere.
Recruitment rests on legitimate interests for applicants and prospects alike: a sourced prospect
never applied, so no consent was ever asked (and a prospect leaves by erasure, not withdrawal).

A rejection (``reject_candidate``, a candidate or a prospect) is also the moment a "2 years after
the negative decision" clock runs from: beside the restated candidate, an ``activity`` event of
kind ``rejected``, at ``rejected_at``. A hire (``hire_candidate``) is recorded the same way as
``hired``, which starts no clock: the person's data moves on to the employment record, whose
retention is the HR system's. An ``unreject_candidate`` or ``unhire_candidate`` is only the
restated candidate: a clock already started keeps its moment until the next rejection moves it.

Greenhouse sends no event id, and no time on deletions, merges and anonymisations (nor, often,
on candidate updates), which must not be lost: they are dated when lineage received them, the
``received_at`` the worker passes in (a ``received_at`` in the envelope, ISO 8601, is read first,
for replays and demo feeds that record it). A payload time always wins over either; with no time
at all the payload is refused, saying how to give it one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lineage.adapters.base import (
    RECEIVED_AT,
    build_event,
    iso_time,
    json_type,
    received_time,
    stable_digest,
)
from lineage.domain.events import (
    ActivityKind,
    DataMovementEvent,
    LegalBasis,
    SubjectRef,
)
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.errors import AdapterError

SOURCE = "greenhouse"
STORE = "greenhouse/candidates"
CANDIDATE_NAMESPACE = "greenhouse:candidate"
PURPOSE = "employment.recruitment"
LEGAL_BASIS = LegalBasis.LEGITIMATE_INTERESTS

Path = tuple[str, ...]
_CV = "user.content.private.cv"
_COVER_LETTER = "user.content.private.cover_letter"
_PRIVATE = "user.content.private"


@dataclass(frozen=True, slots=True)
class Rule:
    """How one Greenhouse action becomes a canonical event (one row of :data:`ACTIONS`)."""

    action: str
    """Canonical action, or ``restated``: ``updated`` when the candidate object carries data,
    ``accessed`` when it is a bare id."""
    subject: Path
    """Where the candidate (or person) object sits inside ``payload``."""
    times: tuple[Path, ...]
    """Time fields by preference, then the received time. Creation times only where the event
    is the creation: a stage change (or an update) did not happen when the candidate was created."""


_APP_CANDIDATE = ("application", "candidate")
_LAST_ACTIVITY = ("application", "last_activity_at")
_APPLIED = (("application", "applied_at"), ("application", "candidate", "created_at"))


def _restated(*times: Path) -> Rule:
    return Rule("restated", _APP_CANDIDATE, (*times, _LAST_ACTIVITY))


ACTIONS: Mapping[str, Rule] = {
    "new_candidate_application": Rule("collected", _APP_CANDIDATE, _APPLIED),
    "new_prospect_application": Rule("collected", _APP_CANDIDATE, _APPLIED),
    "update_candidate": Rule(
        "updated", ("candidate",), (("candidate", "updated_at"), ("candidate", "last_activity"))
    ),
    "application_updated": _restated(),
    "candidate_stage_change": _restated(),
    "hire_candidate": _restated(("application", "offer", "resolved_at")),
    "unhire_candidate": _restated(),
    "reject_candidate": _restated(("application", "rejected_at")),
    "unreject_candidate": _restated(),
    "delete_candidate": Rule("erased", ("person",), (("person", "deleted_at"), ("deleted_at",))),
    "candidate_anonymized": Rule(
        "anonymised",
        ("candidate",),
        (("candidate", "anonymized_at"), ("anonymized_at",), ("candidate", "updated_at")),
    ),
    "merge_candidate": Rule("linked", ("person",), (("person", "merged_at"), ("merged_at",))),
}
MOMENTS: Mapping[str, ActivityKind] = {
    "reject_candidate": ActivityKind.REJECTED,
    "hire_candidate": ActivityKind.HIRED,
}
"""Actions that are also a moment of the person's life cycle, recorded beside the restated
candidate as an ``activity`` of this kind (same subject, same time)."""
IGNORED = frozenset({"delete_application", "interview_deleted", "scorecard_deleted", "ping"})
"""Actions that change no subject data we track: an application's deletion leaves the candidate
(and its data) in place; ``ping`` is Greenhouse checking the endpoint. So do ``offer_*``."""
IGNORED_PREFIX = "offer_"

CANDIDATE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "first_name": ("user.name.first",),
    "last_name": ("user.name.last",),
    "email_addresses": ("user.contact.email",),
    "phone_numbers": ("user.contact.phone_number",),
    "addresses": ("user.contact.address",),
    "website_addresses": ("user.contact.url",),
    "social_media_addresses": ("user.contact.url",),
    "title": ("user.job_title",),
    "company": ("user.workplace",),
    "photo_url": ("user.content.self_image",),
    "educations": (_PRIVATE,),
    "employments": (_PRIVATE,),
}
"""Candidate fields -> categories, counted when the field holds something (not null or empty).
Attachments and custom fields are read by their own rules below."""
ATTACHMENT_TYPES: Mapping[str, str] = {"resume": _CV, "cover_letter": _COVER_LETTER}
"""Other attachment types (take-home tests, offer letters, portfolios) are private content."""

ANONYMIZED_FIELDS: Mapping[str, tuple[str, ...]] = {
    "full_name": ("user.name",),
    "email_addresses": ("user.contact.email",),
    "phone_numbers": ("user.contact.phone_number",),
    "addresses": ("user.contact.address",),
    "attachments": (_CV, _COVER_LETTER, _PRIVATE),
    "resume": (_CV,),
    "cover_letter": (_COVER_LETTER,),
    "websites": ("user.contact.url",),
    "social_media_links": ("user.contact.url",),
    "current_title": ("user.job_title",),
    "current_company": ("user.workplace",),
    "education": (_PRIVATE,),
    "employment": (_PRIVATE,),
    "location": ("user.location",),
}
"""Greenhouse's ``anonymized_fields`` names -> categories anonymised."""
UNKNOWN_FIELD = (_PRIVATE,)
"""Notes, scorecards, custom fields and the rest: private content; over-reports, never hides."""

_COLLECTIONS = frozenset({"collected", "updated", "accessed"})
_ACTION_NAME = re.compile(r"[a-z_]{1,40}")
_NATIVE_ID = re.compile(r"[0-9]{1,18}")


def adapt_greenhouse(
    payload: Any, hasher: SubjectHasher, *, received_at: datetime | None = None
) -> list[DataMovementEvent]:
    """One Greenhouse webhook body (parsed JSON) -> its canonical events: none (an ignored
    action), the candidate's, and for a rejection or a hire the moment it marks.

    Raises:
        AdapterError: with a reason naming fields only, never their values.
    """
    if not isinstance(payload, dict):
        raise _error(f"payload is a JSON {json_type(payload)}, not an object")
    name = payload.get("action")
    if not isinstance(name, str):
        raise _error("action is missing or not a string")
    body = payload.get("payload")
    if not isinstance(body, dict):
        raise _error("payload is missing or not an object")
    if name in IGNORED or (name.startswith(IGNORED_PREFIX) and _ACTION_NAME.fullmatch(name)):
        return []
    rule = ACTIONS.get(name)
    if rule is None:
        raise _error("unknown action: neither mapped nor ignored")
    subject = _object(body, rule.subject)
    if rule.action == "linked":
        key, links = merge_subjects(body, hasher)
    else:
        # Without the object, the ``candidate_id`` beside it (Greenhouse's anonymize shape).
        native = subject.get("id") if subject is not None else body.get("candidate_id")
        field = ".".join((*rule.subject, "id")) + ("" if subject is not None else " (or candidate_id)")
        key = hasher.native(CANDIDATE_NAMESPACE, _native_id(native, field))
        links = address_links(subject, hasher)
    occurred_at, received = event_time(payload, body, rule.times, received_at)
    action, categories = _action_and_categories(rule, body, subject)
    application_id = _dig(body, ("application", "id"))
    if application_id is not None:
        _native_id(application_id, "application.id")
    moment = None if received else occurred_at
    fields: dict[str, Any] = {
        "event_id": event_id(name, key, application_id, links, moment, categories),
        "occurred_at": occurred_at,
        "source": SOURCE,
        "native_type": f"{SOURCE}:{name}",
        "subject": SubjectRef(type=SubjectType.JOB_APPLICANT, key=key, links=links),
        "store": STORE,
        "categories": categories,
        "action": action,
        "purpose": PURPOSE if action in _COLLECTIONS else None,
        "legal_basis": LEGAL_BASIS if action in _COLLECTIONS else None,
    }
    events = [build_event(SOURCE, action, fields)]
    if name in MOMENTS:
        events.append(lifecycle_event(MOMENTS[name], fields))
    return events


def lifecycle_event(kind: ActivityKind, restated: Mapping[str, Any]) -> DataMovementEvent:
    """The moment an action marks, beside the restated candidate: no categories, because it is
    about every holding the candidate has in the store (the CV as much as the address); its id
    is the restatement's with the kind appended, so a redelivery is recognised."""
    fields = {
        **restated,
        "event_id": f"{restated['event_id']}:{kind.value}",
        "categories": (),
        "action": "activity",
        "activity": kind,
        "purpose": PURPOSE,
        "legal_basis": None,
    }
    return build_event(SOURCE, "activity", fields)


def _action_and_categories(
    rule: Rule, body: Mapping[str, Any], subject: Mapping[str, Any] | None
) -> tuple[str, tuple[str, ...]]:
    """Erasure names no categories (everything in the store); a merge moves no data."""
    if rule.action in ("erased", "linked"):
        return rule.action, ()
    if rule.action == "anonymised":
        return rule.action, anonymized_categories(body, subject)
    categories = candidate_categories(subject)
    if rule.action == "restated":
        return ("updated" if categories else "accessed"), categories
    return rule.action, categories


def candidate_categories(candidate: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Categories the candidate object holds (the values are never kept, only their kinds)."""
    if candidate is None:
        return ()
    found = [c for field, cats in CANDIDATE_FIELDS.items() if _present(candidate.get(field)) for c in cats]
    for attachment in _entries(candidate, "attachments"):
        kind = attachment.get("type")
        found.append(ATTACHMENT_TYPES.get(kind, _PRIVATE) if isinstance(kind, str) else _PRIVATE)
    custom = candidate.get("custom_fields")
    if isinstance(custom, dict) and any(
        _present(item.get("value") if isinstance(item, dict) else item) for item in custom.values()
    ):
        found.append(_PRIVATE)
    return tuple(found)


def anonymized_categories(body: Mapping[str, Any], candidate: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Categories named by ``anonymized_fields``, on the candidate (as recorded) or beside
    ``candidate_id`` (as Greenhouse documents). Empty is refused: an anonymisation with no
    categories would read as "everything in the store"."""
    names = (candidate or {}).get("anonymized_fields", body.get("anonymized_fields"))
    if not isinstance(names, list) or not names:
        raise _error("anonymized_fields is missing, empty or not a list")
    if not all(isinstance(item, str) for item in names):
        raise _error("anonymized_fields has a non-string entry")
    return tuple(c for item in names for c in ANONYMIZED_FIELDS.get(item.strip().lower(), UNKNOWN_FIELD))


def address_links(candidate: Mapping[str, Any] | None, hasher: SubjectHasher) -> tuple[str, ...]:
    """Hashes of every valid address in ``email_addresses``. Greenhouse stores what recruiters
    typed, so a malformed address is skipped rather than losing the event; a value that is not
    a string means the payload is not what we think it is, and is refused."""
    links = []
    for entry in _entries(candidate, "email_addresses"):
        value = entry.get("value")
        if not isinstance(value, str):
            raise _error("email_addresses[].value is not a string")
        try:
            links.append(hasher.email(value))
        except ValueError:
            continue
    return tuple(links)


def merge_subjects(body: Mapping[str, Any], hasher: SubjectHasher) -> tuple[str, tuple[str, ...]]:
    """The surviving candidate is the key; the merged-away ones (and their addresses) are links.

    Greenhouse documents ``person`` (the record merged away) with ``new_candidate_id`` (the
    survivor); ``primary_candidate`` + ``duplicate_candidate`` is accepted too, and either may
    add a list ``merged_candidate_ids``."""
    person, primary = _object(body, ("person",)), _object(body, ("primary_candidate",))
    if person is not None:
        survivor = _native_id(person.get("new_candidate_id"), "person.new_candidate_id")
        merged = [_native_id(person.get("id"), "person.id")]
    elif primary is not None:
        survivor = _native_id(primary.get("id"), "primary_candidate.id")
        duplicate = _object(body, ("duplicate_candidate",))
        merged = [] if duplicate is None else [_native_id(duplicate.get("id"), "duplicate_candidate.id")]
    else:
        raise _error("merge_candidate has neither person nor primary_candidate")
    extra = body.get("merged_candidate_ids")
    if extra is not None and not isinstance(extra, list):
        raise _error("merged_candidate_ids is not a list")
    merged += [_native_id(item, "merged_candidate_ids[]") for item in extra or ()]
    key = hasher.native(CANDIDATE_NAMESPACE, survivor)
    links = {hasher.native(CANDIDATE_NAMESPACE, item) for item in merged} - {key}
    if not links:
        raise _error("merge_candidate names no other candidate")
    return key, tuple(sorted(links | set(address_links(person, hasher))))


def event_time(
    envelope: Mapping[str, Any],
    body: Mapping[str, Any],
    times: tuple[Path, ...],
    received_at: datetime | None,
) -> tuple[datetime, bool]:
    """When the event happened, in UTC, and whether that is only when it was received.

    The first of the rule's time fields present wins; else the envelope's ``received_at``; else
    the ``received_at`` the worker passes. Each payload time present must be ISO 8601 with an
    offset, inside the canonical window, even when a better one wins: a payload with garbled
    times is suspect.
    """
    found = [(".".join(path), value) for path in times if (value := _dig(body, path)) is not None]
    moments = [iso_time(SOURCE, name, value) for name, value in found]
    if moments:
        return moments[0], False
    if envelope.get(RECEIVED_AT) is not None:
        return iso_time(SOURCE, RECEIVED_AT, envelope[RECEIVED_AT]), True
    names = ", ".join(".".join(path) for path in times) or "none documented"
    return received_time(SOURCE, received_at, f"no time in payload ({names})"), True


def event_id(
    name: str,
    key: str,
    application_id: Any,
    links: tuple[str, ...],
    at: datetime | None,
    categories: tuple[str, ...] = (),
) -> str:
    """Greenhouse's idempotency key: a redelivered webhook gets the same id, another event not.

    Built from the action, the hashed candidate (never an address), the application, the
    linked hashes (two merges into one candidate differ by who was merged) and the time. A
    time that is only when lineage received the payload (``at`` is ``None``) is left out, or
    a redelivered deletion would count as a second, later one and erase what came between;
    the categories take its place (two anonymisations of one candidate differ by fields).
    """
    material = [
        name,
        key,
        application_id,
        sorted(links),
        at.isoformat() if at is not None else ["received", sorted(categories)],
    ]
    text = json.dumps(material, default=repr, ensure_ascii=True)
    return f"{SOURCE}:{stable_digest(text)}"


def _native_id(value: Any, name: str) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**18:
        return value
    if isinstance(value, str) and _NATIVE_ID.fullmatch(value):
        return value
    raise _error(f"{name} is missing or not a Greenhouse id")


def _object(body: Mapping[str, Any], path: Path) -> Mapping[str, Any] | None:
    value = _dig(body, path)
    if value is not None and not isinstance(value, dict):
        raise _error(f"{'.'.join(path)} is not an object")
    return value


def _entries(candidate: Mapping[str, Any] | None, field: str) -> list[Mapping[str, Any]]:
    value = None if candidate is None else candidate.get(field)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _error(f"{field} is not a list of objects")
    return value


def _dig(value: Any, path: Path) -> Any:
    for step in path:
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def _present(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != [] and value != {}


def _error(reason: str) -> AdapterError:
    return AdapterError(SOURCE, reason)
