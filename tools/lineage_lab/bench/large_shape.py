"""The shape of ``lineage-lab bench-graph``'s population: who is held where, and since when.

Each person ``n`` follows one *profile* (a newsletter subscriber, a customer, a candidate whose
CV was shared through Dropbox...), a fixed list of *event templates*: one canonical event each,
in a store of the demo catalog, on a day drawn from that template's window. The same description
gives two things, so the bulk path can be checked against the worker's:

- :func:`events_for`: the canonical events a source would have sent for person ``n``; written by
  ``GraphWriter`` (the worker's own path) in the integration test;
- :func:`subject_row`: the compact row ``lineage_lab.bench.bulk_load`` turns into the same nodes,
  relationships and properties, with the expiry the catalog's retention rules give (computed by
  :class:`ExpiryTables` through ``lineage.domain.retention`` itself, never re-implemented).

Pure: no I/O, deterministic in ``n`` and ``now``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from lineage.domain.catalog import Catalog
from lineage.domain.events import CollectionEvent, DataMovementEvent, MovementEvent, SubjectRef
from lineage.domain.retention import HoldingClock, Moment, RetentionPolicy
from lineage.domain.subjects import SubjectHasher, SubjectType

DAY_MS = 86_400_000
COPY_DELAY_DAYS = 3
EMAIL_DOMAIN = "bench.example"
# Native ids start here so that they do not look like the demo feed's.
HUBSPOT_BASE, GREENHOUSE_BASE = 7_000_000, 9_000_000
HOLD_EVERY = 997  # one person in ~1,000 is under a legal hold


@dataclass(frozen=True)
class EventTemplate:
    """One canonical event of a profile; ``copy_of`` makes it a copy of another template's
    data (the origin keeps it), ``window`` the days back from now its day is drawn from."""

    key: str
    store: str
    categories: tuple[str, ...]
    subject_type: SubjectType
    purpose: str
    window: int
    identifier: str = "email"  # email | hubspot | greenhouse: the key the event is sent under
    copy_of: str | None = None


T = SubjectType
TEMPLATES: dict[str, EventTemplate] = {
    t.key: t
    for t in (
        EventTemplate(
            "ip", "ovh/web-logs", ("user.device.ip_address",), T.VISITOR, "essential.service.security", 185
        ),
        EventTemplate(
            "ga",
            "ga/user-data",
            ("user.behavior.browsing_history", "user.device.cookie_id"),
            T.VISITOR,
            "analytics.reporting",
            400,
        ),
        EventTemplate(
            "nl",
            "brevo/contacts",
            (
                "user.behavior",
                "user.contact.email",
                "user.contact.organization",
                "user.name.first",
                "user.name.last",
            ),
            T.NEWSLETTER_SUBSCRIBER,
            "marketing.communications.email",
            1100,
        ),
        EventTemplate(
            "tx",
            "brevo/transactional",
            ("user.behavior", "user.contact.email"),
            T.CUSTOMER,
            "essential.service.notifications.email",
            380,
        ),
        EventTemplate(
            "inv",
            "billing/invoices",
            ("user.contact.email", "user.financial", "user.name"),
            T.CUSTOMER,
            "finance",
            1800,
        ),
        EventTemplate(
            "crm_c",
            "hubspot/contacts",
            ("user.contact.email", "user.contact.organization", "user.contact.phone_number", "user.name"),
            T.CUSTOMER,
            "sales",
            1000,
            identifier="hubspot",
        ),
        EventTemplate(
            "crm_p",
            "hubspot/contacts",
            ("user.contact.email", "user.contact.organization", "user.contact.phone_number", "user.name"),
            T.PROSPECT,
            "sales",
            1000,
            identifier="hubspot",
        ),
        EventTemplate("gm", "gmail/mailboxes", ("user.contact.email",), T.CUSTOMER, "sales", 700),
        EventTemplate(
            "lead",
            "salesforce/leads",
            ("user.contact.email", "user.contact.organization", "user.name"),
            T.PROSPECT,
            "sales",
            900,
        ),
        EventTemplate(
            "b2b",
            "salesforce/contacts",
            ("user.contact.email", "user.contact.organization", "user.contact.phone_number", "user.name"),
            T.CUSTOMER,
            "sales",
            1500,
        ),
        EventTemplate(
            "gh",
            "greenhouse/candidates",
            (
                "user.contact.address",
                "user.contact.email",
                "user.contact.phone_number",
                "user.content.private.cover_letter",
                "user.content.private.cv",
                "user.name",
            ),
            T.JOB_APPLICANT,
            "employment.recruitment",
            760,
            identifier="greenhouse",
        ),
        EventTemplate(
            "cv",
            "s3://acme-hr-cv",
            ("user.content.private.cover_letter", "user.content.private.cv"),
            T.JOB_APPLICANT,
            "employment.recruitment",
            760,
            identifier="greenhouse",
        ),
        EventTemplate(
            "dbx",
            "dropbox/recruitment",
            ("user.content.private.cv",),
            T.JOB_APPLICANT,
            "employment.recruitment",
            760,
            identifier="greenhouse",
            copy_of="cv",
        ),
    )
}

# (name, weight out of 20, templates): about 11 holdings a person on average.
PROFILES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("newsletter", 6, ("nl", "ip", "ga")),
    ("customer", 4, ("nl", "tx", "inv", "crm_c", "gm", "ip", "ga")),
    ("prospect", 3, ("crm_p", "lead", "nl", "ip", "ga")),
    ("candidate", 2, ("gh", "cv", "ip", "ga")),
    ("candidate_shared", 1, ("gh", "cv", "dbx", "ip", "ga")),
    ("b2b", 2, ("b2b", "inv", "tx")),
    ("visitor", 2, ("ip", "ga")),
)
_PROFILE_OF_SLOT: tuple[int, ...] = tuple(
    i for i, (_, weight, _) in enumerate(PROFILES) for _ in range(weight)
)


def profile_of(n: int) -> int:
    """Person ``n``'s profile index; a multiplicative scramble spreads profiles over ``n``."""
    return _PROFILE_OF_SLOT[(n * 7) % len(_PROFILE_OF_SLOT)]


def email_of(n: int) -> str:
    """The (synthetic) address person ``n`` is looked up by: what the benchmark POSTs."""
    return f"p{n}@{EMAIL_DOMAIN}"


def identifier_keys(hasher: SubjectHasher, n: int) -> dict[str, str]:
    """Keyed hashes of the identifiers person ``n`` has, by kind (only the kinds their profile's
    events use): exactly what the adapters would have put in the events."""
    kinds = {TEMPLATES[t].identifier for t in PROFILES[profile_of(n)][2]} | {"email"}
    keys = {"email": hasher.email(email_of(n))}
    if "hubspot" in kinds:
        keys["hubspot"] = hasher.native("hubspot:contact", HUBSPOT_BASE + n)
    if "greenhouse" in kinds:
        keys["greenhouse"] = hasher.native("greenhouse:candidate", GREENHOUSE_BASE + n)
    return keys


def event_times(n: int, now_ms: int) -> dict[str, int]:
    """Epoch ms of each of person ``n``'s events: a day inside each template's window (a copy a
    few days after what it copies) and one time of day for all of them."""
    seconds = (n * 7_919) % 86_400
    times: dict[str, int] = {}
    for key in PROFILES[profile_of(n)][2]:
        template = TEMPLATES[key]
        if template.copy_of:
            continue
        days_ago = 1 + (n * 104_729 + len(key) * 31 + ord(key[0])) % template.window
        times[key] = (now_ms // DAY_MS - days_ago) * DAY_MS + seconds * 1000
    for key in PROFILES[profile_of(n)][2]:
        origin = TEMPLATES[key].copy_of
        if origin:
            times[key] = times[origin] + COPY_DELAY_DAYS * DAY_MS
    return times


def event_id(n: int, template: str) -> str:
    return f"bench:{n}:{template}"


# --- the worker's path: canonical events ----------------------------------------------------


def events_for(hasher: SubjectHasher, n: int, now_ms: int) -> list[DataMovementEvent]:
    """The canonical events a source would have sent for person ``n``, oldest first."""
    keys, times = identifier_keys(hasher, n), event_times(n, now_ms)
    events: list[DataMovementEvent] = []
    for key in PROFILES[profile_of(n)][2]:
        t = TEMPLATES[key]
        own = keys[t.identifier]
        subject = SubjectRef(type=t.subject_type, key=own, links=tuple(k for k in keys.values() if k != own))
        common: dict[str, Any] = {
            "event_id": event_id(n, key),
            "source": "bench",
            "subject": subject,
            "occurred_at": datetime.fromtimestamp(times[key] / 1000, UTC),
            "categories": t.categories,
            "purpose": t.purpose,
        }
        if t.copy_of:
            events.append(
                MovementEvent(
                    action="copied", store=TEMPLATES[t.copy_of].store, destination=t.store, **common
                )
            )
        else:
            events.append(CollectionEvent(action="collected", store=t.store, **common))
    return sorted(events, key=lambda e: (e.occurred_at, e.event_id))


# --- the bulk path: holding templates and subject rows ---------------------------------------


@dataclass(frozen=True)
class HoldingTemplate:
    """One holding a profile gives a person: which events set its first and last sighting and
    its moments (indexes into the person's event times), and the retention rule over it."""

    store: str
    category: str
    subject_type: str
    purpose: str
    first: str  # template key of the event that first sighted it
    last: str  # ... that last sighted it (a copy touches its origin)
    moments: tuple[str, ...]  # moments its first event set: written, collected(, contact)
    rule: str | None
    trigger: str | None
    moment: str | None
    expiry_event: bool  # whether the expiry cites the first event (False: pending or no rule)
    legal_obligation: bool | None
    legal_rule: str | None = None  # the legal obligation covering it, whichever rule binds
    action: str | None = None  # delete, anonymise or archive at the end of the active period


def holding_templates(policy: RetentionPolicy, profile: int) -> list[HoldingTemplate]:
    """The holdings of a profile, as the worker's writes would leave them."""
    keys = PROFILES[profile][2]
    copied_from = {TEMPLATES[k].copy_of: k for k in keys if TEMPLATES[k].copy_of}
    holdings: list[HoldingTemplate] = []
    for key in keys:
        t = TEMPLATES[key]
        moments = ("written", "collected") if t.copy_of else ("written", "collected", "contact")
        copier = copied_from.get(key)
        for category in t.categories:
            last = copier if copier and category in TEMPLATES[copier].categories else key
            holdings.append(_holding(policy, t, category, key, last, moments))
    return holdings


def _probe(
    policy: RetentionPolicy,
    store: str,
    category: str,
    purpose: str,
    moments: Sequence[str],
    at: datetime,
    subject_type: str | None = None,
) -> Any:
    marks = {Moment(m): (at, "probe") for m in (*moments, "first_seen")}
    return policy.expiry(
        HoldingClock(
            store=store,
            system=None,
            category=category,
            purposes=(purpose,),
            moments=marks,
            subject_type=subject_type,
        )
    )


def _holding(
    policy: RetentionPolicy, t: EventTemplate, category: str, first: str, last: str, moments: tuple[str, ...]
) -> HoldingTemplate:
    expiry = _probe(
        policy, t.store, category, t.purpose, moments, datetime(2024, 1, 1, tzinfo=UTC), t.subject_type.value
    )
    return HoldingTemplate(
        store=t.store,
        category=category,
        subject_type=t.subject_type.value,
        purpose=t.purpose,
        first=first,
        last=last,
        moments=moments,
        rule=expiry.rule if expiry else None,
        trigger=expiry.trigger.value if expiry else None,
        moment=expiry.moment.value if expiry and expiry.moment else None,
        expiry_event=bool(expiry and expiry.event_id),
        legal_obligation=expiry.legal_obligation if expiry else None,
        legal_rule=expiry.legal_rule if expiry else None,
        action=expiry.action.value if expiry else None,
    )


class ExpiryTables:
    """Expiry of each holding template for each day, through the domain's own policy.

    A holding's expiry is a function of the time of the event its rule runs from. Computed once
    per (template, day of the organisation's calendar) at its local midnight, then shifted by
    the wall-clock time of day when the rule keeps it (a duration added to a moment) and not
    when it does not (the end of a financial year): which of the two is measured, by probing an
    hour later, not assumed. Wall-clock, because the policy's calendar arithmetic is, so a DST
    change between the event and its expiry shifts both alike.
    """

    def __init__(self, policy: RetentionPolicy) -> None:
        self._policy = policy
        self._cache: dict[tuple[HoldingTemplate, date, str], tuple[datetime | None, int]] = {}

    def expiry_ms(self, holding: HoldingTemplate, at_ms: int) -> int | None:
        return self._ms(holding, at_ms, "at")

    def legal_until_ms(self, holding: HoldingTemplate, at_ms: int) -> int | None:
        """The end of the holding's legal obligation (``Expiry.legal_until``), likewise."""
        return self._ms(holding, at_ms, "legal_until") if holding.legal_rule else None

    def archive_until_ms(self, holding: HoldingTemplate, at_ms: int) -> int | None:
        """The end of the holding's archive (``Expiry.archive_until``), likewise."""
        return self._ms(holding, at_ms, "archive_until") if holding.action == "archive" else None

    def _ms(self, holding: HoldingTemplate, at_ms: int, field: str) -> int | None:
        local = datetime.fromtimestamp(at_ms / 1000, self._policy.zone)
        day = local.date()
        found = self._cache.get((holding, day, field))
        if found is None:
            found = self._cache[(holding, day, field)] = self._compute(holding, day, field)
        base, shifts = found
        if base is None:
            return None
        wall = local.replace(tzinfo=None) - datetime.combine(day, time(0))
        return int((base + wall * shifts).replace(tzinfo=self._policy.zone).timestamp() * 1000)

    def _compute(self, holding: HoldingTemplate, day: date, field: str) -> tuple[datetime | None, int]:
        """The ``field`` date's local wall-clock time for an event at the day's midnight, and
        whether it moves with the time of day (1) or not (0)."""
        at, later = (
            getattr(
                _probe(
                    self._policy,
                    holding.store,
                    holding.category,
                    holding.purpose,
                    holding.moments,
                    datetime.combine(day, moment, tzinfo=self._policy.zone),
                    holding.subject_type,
                ),
                field,
                None,
            )
            for moment in (time(0), time(1))
        )
        if at is None or later is None:
            return None, 0
        base = at.astimezone(self._policy.zone).replace(tzinfo=None)
        moved = later.astimezone(self._policy.zone).replace(tzinfo=None) - base
        return base, int(moved // timedelta(hours=1))


@dataclass
class BulkShape:
    """What the bulk statements need besides the rows: the profiles' holding templates."""

    profiles: list[list[HoldingTemplate]]

    @classmethod
    def of(cls, catalog: Catalog) -> BulkShape:
        policy = RetentionPolicy(catalog)
        return cls([holding_templates(policy, p) for p in range(len(PROFILES))])

    def parameters(self) -> list[dict[str, Any]]:
        """The profiles as the bulk statement's ``$profiles`` parameter."""
        return [
            {
                "types": sorted({TEMPLATES[k].subject_type.value for k in keys}),
                "moved": [
                    {"src": TEMPLATES[original].store, "dst": TEMPLATES[k].store}
                    for k in keys
                    if (original := TEMPLATES[k].copy_of)
                ],
                "holdings": [_holding_parameter(h, keys) for h in self.profiles[p]],
            }
            for p, (_, _, keys) in enumerate(PROFILES)
        ]


def _holding_parameter(h: HoldingTemplate, keys: tuple[str, ...]) -> dict[str, Any]:
    return {
        "store": h.store,
        "category": h.category,
        "subject_type": h.subject_type,
        "purposes": [h.purpose],
        "first": keys.index(h.first),
        "last": keys.index(h.last),
        "first_key": h.first,
        "last_key": h.last,
        "contact": "contact" in h.moments,
        "rule": h.rule,
        "trigger": h.trigger,
        "moment": h.moment,
        "expiry_event": h.expiry_event,
        "legal_obligation": h.legal_obligation,
        "legal_rule": h.legal_rule,
        "action": h.action,
    }


def subject_row(
    shape: BulkShape, tables: ExpiryTables, hasher: SubjectHasher, n: int, now_ms: int
) -> dict[str, Any]:
    """Person ``n`` as one compact row: keys, event times in profile order, expiry per holding."""
    profile = profile_of(n)
    keys, times = identifier_keys(hasher, n), event_times(n, now_ms)
    at = [times[k] for k in PROFILES[profile][2]]
    holdings = shape.profiles[profile]
    return {
        "n": n,
        "p": profile,
        "key": min(keys.values()),
        "ids": sorted(keys.values()),
        "at": at,
        "hold": n % HOLD_EVERY == HOLD_EVERY - 1,
        "exp": [tables.expiry_ms(h, times[h.first]) for h in holdings],
        "legal": [tables.legal_until_ms(h, times[h.first]) for h in holdings],
        "archive": [tables.archive_until_ms(h, times[h.first]) for h in holdings],
    }


def subject_rows(
    shape: BulkShape, tables: ExpiryTables, hasher: SubjectHasher, start: int, stop: int, now_ms: int
) -> Iterator[dict[str, Any]]:
    for n in range(start, stop):
        yield subject_row(shape, tables, hasher, n, now_ms)
