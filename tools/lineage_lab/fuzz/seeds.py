"""Valid payloads per source to mutate: the demo feeds, plus the recorded fixtures when present.

Mutating realistic payloads reaches the adapters' deep branches (a property change of the
e-mail, a CV key under a candidate id) that random JSON never does: most random documents stop
at the first check. The recorded fixtures add the shapes the demo feed does not send (HubSpot
merges, Salesforce updates and gaps, Greenhouse stage changes and anonymisations).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from lineage.demo.brevo_feed import brevo_feed
from lineage.demo.company_feed import company_feed
from lineage.demo.erasure_feed import deletion_payloads, invoices
from lineage.sources import SOURCE_NAMES

# The checkout the lab is installed from (editable): tools/lineage_lab/fuzz -> the repository.
FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures"
SEED_PEOPLE = 400


def _fixtures(source: str, folder: Path = FIXTURES) -> list[Any]:
    """The recorded payloads of ``source``, its subfolders' too (none outside a checkout with
    its tests)."""
    directory = folder / source
    if not directory.is_dir():
        return []
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.rglob("*.json"))]


def seed_payloads(people: int = SEED_PEOPLE) -> dict[str, list[Any]]:
    """Parsed valid payloads per source, deterministic for a given ``people``."""
    company = company_feed(people)
    seeds: dict[str, list[Any]] = {source: [] for source in SOURCE_NAMES}
    seeds["brevo"] = list(islice(brevo_feed(people // 4), 2000))
    for source in ("hubspot", "salesforce", "greenhouse", "s3", "canonical"):
        seeds[source] = list(company[source])
    seeds["canonical"] += invoices(people)
    deleted = deletion_payloads(3, datetime(2026, 3, 30, 12, 0, tzinfo=UTC))
    for source, payloads in deleted.items():
        seeds[source] += payloads
    seeds["canonical"] += _canonical_subjects()
    for source in SOURCE_NAMES:
        seeds[source] += _fixtures(source)
    return seeds


def _canonical_subjects() -> list[Any]:
    """Canonical events using every way of naming the subject (a key with ``links``, an e-mail
    with ``link_emails`` and ``link_native``), so mutants reach each nested field."""
    base = {
        "occurred_at": "2026-03-02T09:00:00Z",
        "source": "erp",
        "store": "billing/invoices",
        "categories": ["user.financial"],
        "purpose": "essential.service.payment_processing",
        "legal_basis": "contract",
    }
    return [
        base
        | {
            "event_id": "erp:linked-1",
            "action": "linked",
            "subject": {"type": "customer", "key": "a" * 32, "links": ["b" * 32, "c" * 32]},
        },
        base
        | {
            "event_id": "erp:collected-links-2",
            "action": "collected",
            "subject": {
                "type": "customer",
                "email": "lea.martin@example.fr",
                "link_emails": ["l.martin@example.com"],
                "link_native": [{"namespace": "hubspot:contact", "id": 90512}],
            },
        },
        base
        | {
            "event_id": "erp:consent-3",
            "action": "consent_given",
            "subject": {"type": "customer", "native": {"namespace": "erp:customer", "id": "C-77"}},
        },
    ]
