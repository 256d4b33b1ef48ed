"""Consent and legal bases in the graph, written by the worker's own writer on the real Neo4j:
the same graph whatever the order, the batching or a replay, and folded when two identifiers
turn out to be one person."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from graph.connection import open_async_driver, open_driver
from graph.consent import consent_counts, person_consents, person_holding_bases
from graph.writer import GraphWriter
from lineage.answers.catalog_file import read_catalog
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
from lineage.settings import Settings
from lineage_lab import statements
from lineage_lab.fingerprint import fingerprint_difference, graph_fingerprint

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
