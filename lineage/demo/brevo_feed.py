"""A seeded feed of native Brevo webhook bodies, as a small French company's account would send.

The demo and the benchmark need volume that looks like the real thing (both webhook families,
Paris-local dates beside UTC epochs, the ``"campaign name"`` key, ``tag`` quirks) without a
single real person: names are drawn from common French names, addresses sit on the reserved
``example.*`` domains, IPs in documentation ranges, phone numbers in the range ARCEP keeps for
fiction. The same seed gives the same feed, and person ``i`` always has :func:`demo_email` ``(i)``,
so a test or a report can look someone up and the benchmark merges into the demo's people.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

ACCOUNT_ID = 771204
NEWSLETTER_LIST = 42
DAYS = 90
DEFAULT_START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
"""A fixed default, not "now": the feed must not depend on when it runs."""

FIRST_NAMES = (
    "Léa",
    "Hugo",
    "Chloé",
    "Lucas",
    "Manon",
    "Louis",
    "Emma",
    "Gabriel",
    "Camille",
    "Arthur",
    "Inès",
    "Jules",
    "Sarah",
    "Raphaël",
    "Zoé",
    "Nathan",
    "Juliette",
    "Théo",
    "Clémence",
    "Maël",
    "Anaïs",
    "Mathis",
    "Élodie",
    "Noah",
    "Margaux",
    "Baptiste",
    "Océane",
    "Antoine",
    "Pauline",
    "Étienne",
    "Lucie",
    "Quentin",
    "Mathilde",
    "Rémi",
    "Agathe",
    "Yanis",
    "Céline",
    "Benoît",
    "Nadia",
    "Karim",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Le Gall",
)
DOMAINS = ("example.fr", "example.com", "example.org")
COMPANIES = (
    "Atelier Nord",
    "Boulangerie des Halles",
    "Cabinet Morel & Associés",
    "Brasserie du Port",
    "Studio Lumière",
    "Menuiserie Garnier",
    "Pharmacie du Centre",
    "Librairie La Plume",
    "Transports Faure",
    "Fromagerie Bonnet",
    "Agence Horizon",
    "Garage des Tilleuls",
)
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
ORDER_MAILS = (
    ("Confirmation de votre commande", "commande", 14),
    ("Votre facture", "facture", 12),
    ("Votre colis est en route", "livraison", 17),
)
SENDING_IPS = ("203.0.113.10", "203.0.113.11", "198.51.100.24")

_PARIS = ZoneInfo("Europe/Paris")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def demo_name(i: int) -> tuple[str, str]:
    """First and last name of person ``i``: every (first, last) pair once before any repeats,
    and neighbours rarely share a last name (the shift by 17 is invertible modulo 40)."""
    first, row = i % len(FIRST_NAMES), i // len(FIRST_NAMES)
    return FIRST_NAMES[first], LAST_NAMES[(row + 17 * first) % len(LAST_NAMES)]


def demo_email(i: int) -> str:
    """The address of person ``i``, unique per index and independent of the seed.

    Example:
        >>> demo_email(0)
        'lea.martin@example.fr'
    """
    if i < 0:
        raise ValueError("person index must be >= 0")
    first, last = demo_name(i)
    cycle = i // (len(FIRST_NAMES) * len(LAST_NAMES))
    local = f"{_ascii(first)}.{_ascii(last)}{cycle or ''}"
    return f"{local}@{DOMAINS[(i + i // len(FIRST_NAMES)) % len(DOMAINS)]}"


def _ascii(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch == "-")


@dataclass(frozen=True, slots=True)
class Campaign:
    camp_id: int
    name: str
    sent_at: datetime


def campaigns(start: datetime) -> list[Campaign]:
    """A weekly newsletter, sent at 10:00 Paris time (so its ``date_sent`` reads 10:00:00)."""
    result = []
    for week in range(DAYS // 7):
        day = (start + timedelta(days=3 + 7 * week)).astimezone(_PARIS)
        sent = day.replace(hour=10, minute=0, second=0, microsecond=0).astimezone(UTC)
        name = f"Newsletter {day.day} {MONTHS[day.month - 1]}"
        result.append(Campaign(80 + week, name, sent))
    return result


def _ms(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(milliseconds=1)


def _local(at: datetime) -> str:
    return at.astimezone(_PARIS).strftime("%Y-%m-%d %H:%M:%S")


def _later(rng: random.Random, at: datetime, low_s: float, high_s: float) -> datetime:
    return at + timedelta(milliseconds=rng.randint(int(low_s * 1000), int(high_s * 1000)))


class _Person:
    """One person's payloads, built in their own time order from the shared seeded generator."""

    def __init__(self, rng: random.Random, index: int, start: datetime) -> None:
        self.rng, self.email, self.start = rng, demo_email(index), start
        self.events: list[tuple[datetime, dict[str, Any]]] = []

    def contact(self, event: str, at: datetime, **extra: Any) -> None:
        body = {"id": ACCOUNT_ID, "email": self.email, "event": event, **extra}
        self.events.append((at, {**body, "date": _local(at), "ts": _ms(at) // 1000}))

    def campaign(self, event: str, camp: Campaign, at: datetime, **extra: Any) -> None:
        secs = _ms(at) // 1000
        self.events.append(
            (
                at,
                {
                    "id": ACCOUNT_ID,
                    "camp_id": camp.camp_id,
                    "email": self.email,
                    "campaign name": camp.name,
                    "date_sent": _local(camp.sent_at),
                    "date_event": _local(at),
                    "event": event,
                    "tag": "",
                    "sending_ip": SENDING_IPS[camp.camp_id % len(SENDING_IPS)],
                    "list_id": [NEWSLETTER_LIST],
                    "ts_sent": _ms(camp.sent_at) // 1000,
                    "ts_event": secs,
                    "ts": secs,
                    **extra,
                },
            )
        )

    def mail(
        self, event: str, message_id: str, kind: tuple[str, str, int], at: datetime, **extra: Any
    ) -> None:
        subject, tag, template = kind
        ms = _ms(at)
        self.events.append(
            (
                at,
                {
                    "event": event,
                    "email": self.email,
                    "id": ACCOUNT_ID,
                    "date": _local(at),
                    "ts": ms // 1000,
                    "ts_event": ms // 1000,
                    "ts_epoch": ms,
                    "message-id": message_id,
                    "subject": subject,
                    "template_id": template,
                    "tag": json.dumps([tag]),
                    "tags": [tag],
                    "sending_ip": SENDING_IPS[0],
                    **extra,
                },
            )
        )


def _subscribe(p: _Person, index: int) -> datetime:
    """Joins the newsletter list in the first 60 days; most then fill in their profile."""
    joined = _later(p.rng, p.start, 0, 60 * 86400)
    p.contact("list_addition", joined, key=f"{p.rng.getrandbits(40):010x}", list_id=[NEWSLETTER_LIST])
    if p.rng.random() < 0.85:
        first, last = demo_name(index)
        profile = {"FIRSTNAME": first, "LASTNAME": last, "COMPANY": p.rng.choice(COMPANIES)}
        if p.rng.random() < 0.3:
            profile["SMS"] = f"+3363998{p.rng.randint(0, 9999):04d}"
        p.contact("contact_updated", _later(p.rng, joined, 60, 5 * 86400), content=[profile])
    return joined


def _newsletters(p: _Person, joined: datetime, camps: list[Campaign], fate: str) -> None:
    """Campaign mail after joining; a bouncing address stops at its first, an unsubscriber
    after a few."""
    stop_after = p.rng.randint(1, 4)
    for count, camp in enumerate((c for c in camps if c.sent_at > joined), start=1):
        if fate == "bounce":
            p.campaign("hard_bounced", camp, _later(p.rng, camp.sent_at, 5, 600))
            return
        last = _later(p.rng, camp.sent_at, 5, 900)
        p.campaign("delivered", camp, last)
        if p.rng.random() < 0.45:
            last = _later(p.rng, last, 120, 3 * 86400)
            p.campaign("opened", camp, last)
            if p.rng.random() < 0.35:
                last = _later(p.rng, last, 5, 600)
                url = f"https://www.example.com/newsletter/{camp.camp_id}/a-la-une"
                p.campaign("click", camp, last, URL=url)
        if fate == "unsubscribe" and count == stop_after:
            p.campaign("unsubscribed", camp, _later(p.rng, last, 10, 300))
            return


def _orders(p: _Person, joined: datetime) -> None:
    """A third of the subscribers are customers who get order mails (transactional family)."""
    if p.rng.random() >= 0.35:
        return
    end = p.start + timedelta(days=DAYS - 2)
    for _ in range(p.rng.randint(1, 3)):
        at = _later(p.rng, joined, 0, max(60.0, (end - joined).total_seconds()))
        kind = p.rng.choice(ORDER_MAILS)
        message_id = f"<{at:%Y%m%d%H%M}.{p.rng.randint(10000, 99999)}@relay.example.net>"
        p.mail("request", message_id, kind, at)
        at = _later(p.rng, at, 1, 30)
        p.mail("delivered", message_id, kind, at)
        if p.rng.random() < 0.6:
            at = _later(p.rng, at, 60, 86400)
            p.mail("opened", message_id, kind, at)
            if p.rng.random() < 0.25:
                link = f"https://www.example.com/compte/{kind[1]}"
                p.mail("click", message_id, kind, _later(p.rng, at, 5, 300), link=link)


def _fates(rng: random.Random, people: int) -> dict[int, str]:
    """Disjoint small groups: ~2% hard bounces, ~5% unsubscribers (at least one each)."""
    order = list(range(people))
    rng.shuffle(order)
    bounces, unsubs = max(1, round(people * 0.02)), max(1, round(people * 0.05))
    fates = {i: "bounce" for i in order[:bounces]}
    fates.update({i: "unsubscribe" for i in order[bounces : bounces + unsubs]})
    return fates


def brevo_feed(people: int, seed: int = 7, start: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Native Brevo payloads for ``people`` people over ~90 days, in time order.

    Args:
        people: how many people; person ``i`` has address :func:`demo_email` ``(i)``.
        seed: the same seed gives the same payloads, byte for byte once serialised.
        start: first instant of the feed (timezone-aware); defaults to :data:`DEFAULT_START`.
    """
    if start is not None and start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = DEFAULT_START if start is None else start.astimezone(UTC)
    rng = random.Random(seed)
    camps = campaigns(start)
    fates = _fates(rng, people)
    deleted = set(rng.sample(range(people), min(people, max(1, round(people * 0.03)))))
    timeline: list[tuple[int, int, int, dict[str, Any]]] = []
    for index in range(people):
        person = _Person(rng, index, start)
        joined = _subscribe(person, index)
        _newsletters(person, joined, camps, fates.get(index, ""))
        _orders(person, joined)
        if index in deleted:  # erased at the end: nothing of theirs arrives afterwards
            gone = _later(rng, start, (DAYS - 2) * 86400, DAYS * 86400 - 60)
            person.events = [(at, body) for at, body in person.events if at < gone]
            person.contact("contact_deleted", gone, list_id=[NEWSLETTER_LIST])
        timeline.extend((_ms(at), index, n, body) for n, (at, body) in enumerate(person.events))
    timeline.sort(key=lambda row: row[:3])
    for _, _, _, body in timeline:
        yield body


def malformed_brevo_payloads() -> list[bytes]:
    """Bodies the pipeline must dead-letter, one per way a webhook goes wrong in practice."""
    return [
        b"event=delivered&email=nina.petit%40example.org",  # form-encoded, not JSON
        b'{"event": "delivered", "email": "nina.petit@exam',  # truncated
        b"\xff\xfe{\x00}\x00",  # not UTF-8
        b'[{"event": "delivered", "email": "nina.petit@example.org", "ts": 1772791823}]',
        b'{"event": "teleported", "email": "nina.petit@example.org", "ts": 1772791823}',
        b'{"event": "click", "camp_id": 87, "ts": 1772791823}',  # no email
        b'{"event": "opened", "email": "nina.petit", "camp_id": 87, "ts": 1772791823}',
        b'{"event": "delivered", "email": "nina.petit@example.org", "ts": "yesterday"}',
    ]


def delivered_after_unsubscribe(people: int, seed: int = 7) -> tuple[str, dict[str, Any]]:
    """The first unsubscriber of the feed, and the newsletter delivered to them an hour after they
    unsubscribed all the same (a send list refreshed too late): processing after consent was
    withdrawn, which lineage must alert on."""
    gone = next(body for body in brevo_feed(people, seed) if body["event"] == "unsubscribed")
    at = datetime.fromtimestamp(gone["ts_event"], UTC) + timedelta(hours=1)
    secs = _ms(at) // 1000
    late = gone | {"event": "delivered", "date_event": _local(at), "ts_event": secs, "ts": secs}
    return gone["email"], late
