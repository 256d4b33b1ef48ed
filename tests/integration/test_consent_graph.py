"""Consent and legal bases in the graph on the real Neo4j: written by the worker's own writer,
the same graph whatever the order, the batching or a replay, and folded when two identifiers
turn out to be one person; and from the sources' payloads through the real worker to the data
map and the record of processing."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.connection import open_async_driver, open_driver
from graph.consent import consent_counts, person_consents, person_holding_bases
from graph.writer import GraphWriter
from lineage.answers import ropa
from lineage.answers.catalog_file import read_catalog
from lineage.answers.subjects import data_map
from lineage.domain.consent import ConsentState, consent_state, withdrawn_at_time
from lineage.domain.events import (
    CollectionEvent,
    ConsentEvent,
    DataMovementEvent,
    IdentityEvent,
    LegalBasis,
    SubjectRef,
)
from lineage.domain.retention import RetentionPolicy
from lineage.domain.subjects import SubjectType
from lineage.settings import ApiSettings, Settings
from lineage_lab import statements
from lineage_lab.fingerprint import fingerprint_difference, graph_fingerprint
from tests.integration.feed import cli_data_map, publish, run_worker
from tests.integration.test_api import served

pytestmark = pytest.mark.integration

EMAIL_USE = "marketing.communications.email"
ANA, ANA_CRM, BEA = "a1" * 16, "a2" * 16, "b1" * 16


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def consent(key: str, action: str, day: int, tag: str, purpose: str = EMAIL_USE) -> ConsentEvent:
    return ConsentEvent(
        event_id=f"consent-test:{tag}",
        occurred_at=at(day),
        source="canonical",
        store="brevo/contacts",
        subject=SubjectRef(type=SubjectType.NEWSLETTER_SUBSCRIBER, key=key),
        purpose=purpose,
        action=action,  # type: ignore[arg-type]
    )


def collected(
    key: str, day: int, tag: str, basis: LegalBasis | None, store: str = "brevo/contacts"
) -> CollectionEvent:
    return CollectionEvent(
        event_id=f"consent-test:{tag}",
        occurred_at=at(day),
        source="canonical",
        store=store,
        subject=SubjectRef(type=SubjectType.NEWSLETTER_SUBSCRIBER, key=key),
        categories=("user.contact.email",),
        purpose=EMAIL_USE,
        legal_basis=basis,
        action="collected",
    )


def feed() -> list[DataMovementEvent]:
    """Ana gives consent, withdraws, gives it again; her CRM id withdrew later still and is
    linked to her at the end. Bea's contact rests on consent and on contract."""
    return [
        collected(ANA, 1, "ana-in", LegalBasis.CONSENT),
        consent(ANA, "consent_given", 1, "ana-given-1"),
        consent(ANA, "consent_withdrawn", 5, "ana-out"),
        consent(ANA, "consent_given", 9, "ana-given-2"),
        consent(ANA_CRM, "consent_withdrawn", 12, "ana-crm-out"),
        consent(ANA_CRM, "consent_given", 3, "ana-crm-given"),
        IdentityEvent(
            event_id="consent-test:link",
            occurred_at=at(20),
            source="canonical",
            store="hubspot/contacts",
            subject=SubjectRef(type=SubjectType.PROSPECT, key=ANA_CRM, links=(ANA,)),
            action="linked",
        ),
        collected(BEA, 2, "bea-in-consent", LegalBasis.CONSENT),
        collected(BEA, 4, "bea-in-contract", LegalBasis.CONTRACT),
        collected(BEA, 6, "bea-in-none", None, "hubspot/contacts"),
        consent(BEA, "consent_withdrawn", 7, "bea-out"),
    ]


def build(settings: Settings, events: Sequence[DataMovementEvent], batch_size: int) -> list[str]:
    with open_driver(settings) as driver:
        driver.execute_query(statements.WIPE, database_=settings.neo4j.database)
    policy = RetentionPolicy(read_catalog(settings))

    async def write_all() -> None:
        driver = open_async_driver(settings)
        try:
            writer = GraphWriter(driver, settings.neo4j.database)
            for start in range(0, len(events), batch_size):
                await writer.write(events[start : start + batch_size], policy)
        finally:
            await driver.close()

    asyncio.run(write_all())
    with open_driver(settings) as driver:
        return graph_fingerprint(driver, settings.neo4j.database)


class TestConsentInTheGraph:
    def test_latest_given_and_withdrawn_per_person_and_purpose_folded_on_merge(
        self, pipeline: Settings
    ) -> None:
        build(pipeline, feed(), batch_size=1)
        with open_driver(pipeline) as driver:
            database = pipeline.neo4j.database
            (ana,) = person_consents(driver, database, ANA)
            assert person_consents(driver, database, ANA_CRM) == [ana]  # one person now
            (bea,) = person_consents(driver, database, BEA)
            counts = consent_counts(driver, database)
            bases = {
                (r["store"], r["category"]): r["legal_bases"]
                for r in person_holding_bases(driver, database, BEA)
            }
        assert (ana["purpose"], ana["given_at"], ana["given_event"]) == (
            EMAIL_USE,
            at(9),
            "consent-test:ana-given-2",
        )
        assert (ana["withdrawn_at"], ana["withdrawn_event"]) == (at(12), "consent-test:ana-crm-out")
        assert consent_state(ana["given_at"], ana["withdrawn_at"]) == ConsentState.WITHDRAWN
        assert (
            withdrawn_at_time(ana["given_at"], ana["withdrawn_at"], at(10)) is False
        )  # given again on the 9th
        assert (bea["given_at"], bea["withdrawn_at"]) == (None, at(7))
        assert counts == {EMAIL_USE: {"withdrawn": 2, "given": 0}}
        assert bases == {
            ("brevo/contacts", "user.contact.email"): ["consent", "contract"],
            ("hubspot/contacts", "user.contact.email"): [],
        }

    def test_any_order_batching_or_replay_builds_the_same_graph(self, pipeline: Settings) -> None:
        events = feed()
        reference = build(pipeline, events, batch_size=100)
        assert any(line.startswith("(Consent ") for line in reference)
        assert any('"legal_bases"' in line for line in reference)
        shuffled = random.Random(5).sample(events, len(events))
        for order, size in ((events[::-1], 1), (shuffled, 3), (events + events, 4)):
            assert fingerprint_difference(reference, build(pipeline, order, size)) == {
                "lost": [],
                "extra": [],
            }


LEA, PAUL = "lea.martin@example.fr", "paul.durand@example.org"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture(source: str, name: str) -> Any:
    return json.loads((FIXTURES / source / "consent" / f"{name}.json").read_text(encoding="utf-8"))


def canonical(action: str, email: str, at_: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"consent-worker:{action}:{email[:4]}:{at_}",
        "occurred_at": at_,
        "source": "crm-form",
        "subject": {"type": "customer", "email": email},
        "action": action,
        **fields,
    }


QUERY_TOKEN = "consent-test-token"


def invoice_bases(answer: Any) -> list[str]:
    (store,) = [s for s in answer["stores"] if s["store"] == "billing/invoices"]
    return list(store["bases"][0]["legal_bases"])


class TestThroughTheWorker:
    def test_sources_consent_reaches_the_graph_the_data_map_and_the_record(
        self, pipeline: Settings, hasher: Any, tmp_path: Path
    ) -> None:
        publish(
            pipeline,
            "brevo",
            {"id": 1, "email": LEA, "event": "list_addition", "ts": 1772795100, "list_id": [42]},
            {"id": 1, "email": LEA, "event": "unsubscribed", "ts": 1772881500, "camp_id": 87},
            fixture("brevo", "sms_marketing_stop_reply"),
        )
        publish(pipeline, "hubspot", fixture("hubspot", "contact_email_optout"))
        publish(
            pipeline,
            "canonical",
            canonical(
                "consent_given", PAUL, "2026-03-02T10:00:00Z", store="brevo/contacts", purpose=EMAIL_USE
            ),
            canonical(
                "collected",
                PAUL,
                "2026-03-03T10:00:00Z",
                store="billing/invoices",
                categories=["user.financial"],
            ),
        )
        run_worker(pipeline, tmp_path / "worker.log")

        catalog = read_catalog(pipeline)
        with open_driver(pipeline) as driver:
            database = pipeline.neo4j.database
            lea = data_map(driver, database, hasher.email(LEA), catalog)
            paul = data_map(driver, database, hasher.email(PAUL), catalog)
            paul_bare = data_map(driver, database, hasher.email(PAUL))
            sms = data_map(driver, database, hasher.native("phone", "33612345678"))
            rows = {
                (r.system, r.purpose): r for r in ropa.record(driver, database, catalog, date(2026, 3, 20))
            }

        (lea_store,) = lea.stores
        (email,) = [b for b in lea_store.bases if b.category == "user.contact.email"]
        assert (email.purposes, email.legal_bases, email.bases_from) == ([EMAIL_USE], ["consent"], "events")
        assert email.consent == "withdrawn" and email.consent_withdrawn_at is not None
        assert [(c.purpose, c.state) for c in lea.consents] == [(EMAIL_USE, "withdrawn")]

        assert [(c.purpose, c.state, c.given_event) for c in paul.consents] == [
            (EMAIL_USE, "given", "consent-worker:consent_given:paul:2026-03-02T10:00:00Z")
        ]
        invoice = {s.store: s for s in paul.stores}["billing/invoices"].bases[0]
        assert (invoice.legal_bases, invoice.bases_from, invoice.consent) == (
            ["legal_obligation"],
            "catalog",
            None,
        )
        assert {s.store: s for s in paul_bare.stores}["billing/invoices"].bases[0].legal_bases == []
        # The CLI and the API answer with the catalog's bases too.
        assert invoice_bases(cli_data_map(pipeline, PAUL)) == ["legal_obligation"]
        settings = pipeline.model_copy(update={"api": ApiSettings(query_token=QUERY_TOKEN)})
        with served(settings) as url:
            answer = httpx.post(
                f"{url}/subject",
                headers={"Authorization": f"Bearer {QUERY_TOKEN}"},
                json={"identifier": PAUL},
            )
        assert answer.status_code == 200 and invoice_bases(answer.json()) == ["legal_obligation"]

        assert [(c.purpose, c.state) for c in sms.consents] == [("marketing.communications.sms", "withdrawn")]

        newsletters = rows[("brevo", EMAIL_USE)]
        assert newsletters.legal_basis == ("consent",)
        assert (newsletters.consent_withdrawn, newsletters.consent_given) == (
            2,
            1,
        )  # Lea and the HubSpot contact
        assert rows[("billing", "finance")].legal_basis == ("legal_obligation",)
        assert rows[("billing", "finance")].consent_withdrawn == 0
