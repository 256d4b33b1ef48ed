"""The other systems of the demo company, for the same people as the Brevo feed.

Person ``i`` keeps :func:`demo_email` ``(i)`` everywhere, but each system knows them under its
own identifier (HubSpot contact, Salesforce lead, Greenhouse candidate, a CV key in a bucket, a
web cookie), which is what identity resolution has to join. Seeded and time-ordered per source.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from lineage.demo.brevo_feed import DAYS, DEFAULT_START, demo_email, demo_name

HUBSPOT_PORTAL = 4421987
HUBSPOT_FIRST_ID = 90_000
GREENHOUSE_FIRST_ID = 37_000_000
CV_BUCKET = "acme-hr-cv"


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _Clock:
    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng, self.start = rng, start

    def some_day(self, before_day: int = DAYS) -> datetime:
        return self.start + timedelta(seconds=self.rng.uniform(0, before_day * 86400))

    def after(self, at: datetime, days: float) -> datetime:
        return at + timedelta(seconds=self.rng.uniform(60, days * 86400))


def _hubspot(i: int, clock: _Clock, event_ids: Iterator[int]) -> list[list[dict[str, Any]]]:
    """A CRM contact created by a salesperson; the e-mail arrives as a property change."""
    contact, at = HUBSPOT_FIRST_ID + i, clock.some_day(60)
    first, last = demo_name(i)

    def event(kind: str, when: datetime, **extra: Any) -> dict[str, Any]:
        return {
            "eventId": next(event_ids),
            "subscriptionId": 2410715,
            "portalId": HUBSPOT_PORTAL,
            "appId": 1160452,
            "occurredAt": _ms(when),
            "subscriptionType": kind,
            "attemptNumber": 0,
            "objectId": contact,
            "changeSource": "CRM_UI",
            **extra,
        }

    created = [
        event("contact.creation", at),
        event("contact.propertyChange", at, propertyName="email", propertyValue=demo_email(i)),
        event("contact.propertyChange", at, propertyName="firstname", propertyValue=first),
        event("contact.propertyChange", at, propertyName="lastname", propertyValue=last),
    ]
    requests = [created]
    if clock.rng.random() < 0.08:  # a GDPR deletion request handled in the CRM only
        requests.append([event("contact.privacyDeletion", clock.after(at, 20), changeSource="GDPR")])
    return requests


def _greenhouse(i: int, clock: _Clock) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An application with a CV; the CV file also lands in the HR bucket under the candidate id."""
    candidate, at = GREENHOUSE_FIRST_ID + i, clock.some_day(70)
    first, last = demo_name(i)
    cv_key = f"candidates/{candidate}/CV_{last}.pdf"
    application = {
        "action": "new_candidate_application",
        "payload": {
            "application": {
                "id": 46_000_000 + i,
                "status": "active",
                "applied_at": _iso(at),
                "prospect": False,
                "jobs": [{"id": 4480027, "name": "Chargé de recrutement"}],
                "candidate": {
                    "id": candidate,
                    "first_name": first,
                    "last_name": last,
                    "email_addresses": [{"value": demo_email(i), "type": "personal"}],
                    "attachments": [
                        {
                            "filename": f"CV_{last}.pdf",
                            "type": "resume",
                            "url": f"https://files.example/cv/{candidate}",
                        }
                    ],
                    "created_at": _iso(at),
                },
            }
        },
    }
    upload = _s3_record("ObjectCreated:Put", cv_key, clock.after(at, 0.01), i)
    ats, bucket = [application], [upload]
    if clock.rng.random() < 0.3:  # a recruiter shares the CV through Dropbox (seed 003)
        bucket.append(_cv_copied_to_dropbox(i, candidate, clock.after(at, 3)))
    if clock.rng.random() < 0.2:  # not hired: the candidate asks for deletion, the CV is removed
        gone = clock.after(at, 15)
        ats.append(
            {
                "action": "delete_candidate",
                "received_at": _iso(gone),
                "payload": {
                    "person": {
                        "id": candidate,
                        "first_name": first,
                        "last_name": last,
                        "created_at": _iso(at),
                    }
                },
            }
        )
        bucket.append(_s3_record("ObjectRemoved:Delete", cv_key, gone, i))
    return ats, bucket


def _cv_copied_to_dropbox(i: int, candidate: int, at: datetime) -> dict[str, Any]:
    """Copies are not S3 notifications: the file-sharing side reports them as canonical events."""
    return {
        "event_id": f"dropbox-share:{candidate}",
        "occurred_at": _iso(at),
        "source": "dropbox",
        "action": "copied",
        "store": "s3://acme-hr-cv",
        "destination": "dropbox/recruitment",
        "categories": ["user.content.private.cv"],
        "subject": {
            "type": "job_applicant",
            "native": {"namespace": "greenhouse:candidate", "id": candidate},
        },
    }


def _s3_record(name: str, key: str, at: datetime, i: int) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "eu-west-3",
                "eventTime": _iso(at),
                "eventName": name,
                "s3": {
                    "bucket": {"name": CV_BUCKET, "arn": f"arn:aws:s3:::{CV_BUCKET}"},
                    "object": {"key": key, "size": 180_000 + i, "sequencer": f"{_ms(at):016X}"},
                },
            }
        ]
    }


def _salesforce_lead(i: int, clock: _Clock) -> dict[str, Any]:
    at = clock.some_day(80)
    first, last = demo_name(i)
    return {
        "ChangeEventHeader": {
            "entityName": "Lead",
            "recordIds": [f"00Q5g0000{i:08d}"],
            "changeType": "CREATE",
            "changedFields": [],
            "changeOrigin": "com/salesforce/api/rest/60.0",
            "transactionKey": f"0004a1b2-{i:04d}",
            "sequenceNumber": 1,
            "commitTimestamp": _ms(at),
            "commitUser": "0055g00000XyZaBCD",
        },
        "FirstName": first,
        "LastName": last,
        "Email": demo_email(i),
        "Company": "Atelier Nord",
        "LeadSource": "Web",
    }


def _web_visits(i: int, clock: _Clock) -> list[dict[str, Any]]:
    """Hosting access logs arrive as canonical events: lineage has no adapter for the web server."""
    cookie = f"c{i:07d}"
    return [
        {
            "event_id": f"weblog:{cookie}:{n}",
            "occurred_at": _iso(clock.some_day()),
            "source": "ovh-weblogs",
            "action": "collected",
            "store": "ovh/web-logs",
            "subject": {"type": "visitor", "native": {"namespace": "web:cookie", "id": cookie}},
            "categories": ["user.device.ip_address"],
            "purpose": "essential.service.security",
            "legal_basis": "legitimate_interests",
        }
        for n in range(clock.rng.randint(1, 3))
    ]


def company_feed(people: int, seed: int = 7, start: datetime | None = None) -> dict[str, list[Any]]:
    """Native payloads per source (time-ordered within each), for people ``0..people-1``."""
    rng = random.Random(seed)
    clock = _Clock(rng, start or DEFAULT_START)
    event_ids = iter(range(1_834_500_000, 1_900_000_000))
    feed: dict[str, list[Any]] = {
        "hubspot": [],
        "salesforce": [],
        "greenhouse": [],
        "s3": [],
        "canonical": [],
    }
    for i in range(people):
        roll = rng.random()
        if roll < 0.40:
            feed["hubspot"] += _hubspot(i, clock, event_ids)
        elif roll < 0.50:
            feed["salesforce"].append(_salesforce_lead(i, clock))
        if rng.random() < 0.15:
            ats, bucket = _greenhouse(i, clock)
            feed["greenhouse"] += ats
            feed["s3"] += [b for b in bucket if "Records" in b]
            feed["canonical"] += [b for b in bucket if "Records" not in b]
        if rng.random() < 0.5:
            feed["canonical"] += _web_visits(i, clock)
    return feed
