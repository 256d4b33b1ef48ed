"""The demo's invoices, and one person's erasure as their systems would report it.

Invoices come from the billing system as canonical events (no adapter for it): they carry the
legal obligation that keeps them 10 years, so an erasure request reports them as retained.
The deletion payloads are the native webhooks each system sends when the person is deleted
there, published after the request is opened, so the demo carries one request to completion.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from lineage.demo.brevo_feed import ACCOUNT_ID, DEFAULT_START, NEWSLETTER_LIST, demo_email, demo_name
from lineage.demo.company_feed import CV_BUCKET, GREENHOUSE_FIRST_ID, HUBSPOT_FIRST_ID, company_feed

INVOICE_EVERY = 5  # person i is a customer with invoices when i % INVOICE_EVERY == 0


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def invoices(people: int, seed: int = 11, start: datetime | None = None) -> list[dict[str, Any]]:
    """One to three invoices per customer, over the feed's three months (Pennylane)."""
    rng, start = random.Random(seed), start or DEFAULT_START
    return [
        {
            "event_id": f"invoice:{i}:{n}",
            "occurred_at": _iso(start + timedelta(seconds=rng.uniform(0, 88 * 86400))),
            "source": "pennylane",
            "action": "collected",
            "store": "billing/invoices",
            "categories": ["user.financial", "user.name", "user.contact.email"],
            "purpose": "finance",
            "legal_basis": "legal_obligation",
            "subject": {"type": "customer", "email": demo_email(i)},
        }
        for i in range(0, people, INVOICE_EVERY)
        for n in range(rng.randint(1, 3))
    ]


def erasure_person(people: int) -> int:
    """A customer who applied (CV in the bucket) and sits in the CRM, deleted nowhere yet."""
    feed = company_feed(people)
    in_crm = {
        request[0]["objectId"] - HUBSPOT_FIRST_ID
        for request in feed["hubspot"]
        if request[0]["subscriptionType"] == "contact.creation"
    }
    gone = {
        d["payload"]["person"]["id"] - GREENHOUSE_FIRST_ID
        for d in feed["greenhouse"]
        if d["action"] == "delete_candidate"
    }
    gone |= {
        r[0]["objectId"] - HUBSPOT_FIRST_ID
        for r in feed["hubspot"]
        if r[0]["subscriptionType"] == "contact.privacyDeletion"
    }
    applied = [
        d["payload"]["application"]["candidate"]["id"] - GREENHOUSE_FIRST_ID
        for d in feed["greenhouse"]
        if d["action"] == "new_candidate_application"
    ]
    fits = [i for i in applied if i in in_crm and i not in gone and i % INVOICE_EVERY == 0]
    return (fits or [i for i in applied if i not in gone] or [0])[0]


def deletion_payloads(i: int, at: datetime) -> dict[str, list[Any]]:
    """Native payloads per source for deleting person ``i`` everywhere, at ``at``."""
    email, (first, last) = demo_email(i), demo_name(i)
    candidate, contact = GREENHOUSE_FIRST_ID + i, HUBSPOT_FIRST_ID + i
    ms = int(at.timestamp() * 1000)
    return {
        "brevo": [
            {
                "id": ACCOUNT_ID,
                "email": email,
                "event": "contact_deleted",
                "list_id": [NEWSLETTER_LIST],
                "date": at.strftime("%Y-%m-%d %H:%M:%S"),
                "ts": ms // 1000,
            }
        ],
        "hubspot": [
            [
                {
                    "eventId": 1_899_000_000 + i,
                    "subscriptionId": 2410715,
                    "portalId": 4421987,
                    "appId": 1160452,
                    "occurredAt": ms,
                    "subscriptionType": "contact.privacyDeletion",
                    "attemptNumber": 0,
                    "objectId": contact,
                    "changeSource": "GDPR",
                }
            ]
        ],
        "greenhouse": [
            {
                "action": "delete_candidate",
                "received_at": _iso(at),
                "payload": {"person": {"id": candidate, "first_name": first, "last_name": last}},
            }
        ],
        "s3": [
            {
                "Records": [
                    {
                        "eventVersion": "2.1",
                        "eventSource": "aws:s3",
                        "awsRegion": "eu-west-3",
                        "eventTime": _iso(at),
                        "eventName": "ObjectRemoved:Delete",
                        "s3": {
                            "bucket": {"name": CV_BUCKET, "arn": f"arn:aws:s3:::{CV_BUCKET}"},
                            "object": {
                                "key": f"candidates/{candidate}/CV_{last}.pdf",
                                "sequencer": f"{ms:016X}",
                            },
                        },
                    }
                ]
            }
        ],
        # Brevo's contact deletion leaves its transactional logs, and Dropbox sends no webhook:
        # the DPO purges both and reports it as canonical events.
        "canonical": [
            {
                "event_id": f"purge:{store}:{i}",
                "occurred_at": _iso(at),
                "source": "dpo",
                "action": "erased",
                "store": store,
                "subject": {"type": "customer", "email": email},
            }
            for store in ("brevo/transactional", "dropbox/recruitment")
        ],
    }
