"""Lifecycle moments on the real servers: vendor payloads on the raw topics, a real worker, and
the expiries it stores. A Salesforce contract expiry, a HubSpot contract end date and a Greenhouse
rejection each start the clock of the promise that runs from them, for everything the person
has in that store, including data written after the moment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lineage.settings import Settings
from tests.integration.feed import cli_data_map, publish, run_worker

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PERSON = "lea.martin@example.fr"  # the one person every fixture below is about


def load(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text(encoding="utf-8"))


def catalog_with_moment_rules(settings: Settings, folder: Path) -> Path:
    """The demo catalog, its HubSpot contacts kept 5 years after the end of the contract; its
    candidates already are 2 years after the rejection (seed 002's negative decision; the end
    of the recruitment process of seeds 000 and 003), Salesforce contacts 5 years after the
    contract (seed 003)."""
    text = settings.catalog.read_text()
    replacements = {
        "  - id: crm-prospects-3y-last-contact\n    store: hubspot/contacts\n"
        "    duration: {years: 3}\n    trigger: last_contact": "  - id: crm-5y-end-of-contract\n"
        "    store: hubspot/contacts\n    duration: {years: 5}\n    trigger: end_of_contract",
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "catalog.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def moments(pipeline: Settings, tmp_path: Path) -> Settings:
    settings = pipeline.model_copy(update={"catalog": catalog_with_moment_rules(pipeline, tmp_path)})
    publish(settings, "greenhouse", load("greenhouse/new_candidate_application.json"))
    publish(settings, "greenhouse", load("greenhouse/reject_candidate.json"))
    publish(settings, "salesforce", load("salesforce/contact_update.json"))
    publish(settings, "salesforce", load("salesforce/moments/contract_expired.json"))
    # the end is recorded before the contact's e-mail: a holding written later runs from it too
    publish(settings, "hubspot", load("hubspot/moments/contact_contract_end.json"))
    publish(settings, "hubspot", load("hubspot/contact_creation_and_email.json"))
    run_worker(settings, tmp_path / "worker.log")
    return settings


def retention(settings: Settings, store: str) -> dict[str, dict[str, Any]]:
    """Per category, the retention ``lineage subject`` reports for the person in ``store``."""
    (row,) = [r for r in cli_data_map(settings, PERSON)["stores"] if r["store"] == store]
    return {r["category"]: r for r in row["retention"]}


class TestLifecycleMoments:
    def test_a_greenhouse_rejection_starts_two_years_for_the_cv_and_the_rest(self, moments: Settings) -> None:
        held = retention(moments, "greenhouse/candidates")
        assert {"user.content.private.cv", "user.contact.email", "user.name.last"} <= set(held)
        for row in held.values():
            assert (row["rule"], row["moment"], row["expires_at"]) == (
                "candidates-2y-last-contact",
                "rejection",
                "2028-05-12T16:20:00Z",
            )
            assert row["event"].endswith(":rejected")

    def test_a_salesforce_contract_expiry_starts_five_years_for_the_signer(self, moments: Settings) -> None:
        held = retention(moments, "salesforce/contacts")
        assert "user.contact.email" in held
        for row in held.values():
            assert (row["rule"], row["moment"], row["expires_at"]) == (
                "b2b-contacts-5y-end-of-contract",
                "contract_end",
                "2031-06-30T16:45:00Z",
            )

    def test_a_hubspot_contract_end_date_starts_five_years_from_that_date(self, moments: Settings) -> None:
        held = retention(moments, "hubspot/contacts")
        assert "user.contact.email" in held  # written after the end was recorded
        for row in held.values():
            assert (row["rule"], row["moment"], row["expires_at"]) == (
                "crm-5y-end-of-contract",
                "contract_end",
                "2031-04-30T00:00:00Z",
            )
            assert row["event"] == "hubspot:1834620001:contract_ended"
