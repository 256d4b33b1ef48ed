"""Which events raise transfer alerts, and under which flow."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lineage.domain.alerts import alert_hits, flow_id, unapproved_by_store
from lineage.domain.catalog import parse_catalog
from lineage.domain.events import (
    ActivityEvent,
    ActivityKind,
    CollectionEvent,
    ErasureEvent,
    MovementEvent,
    SubjectRef,
)
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.domain.transfer_chains import catalog_hops, flow_hops, flows_with_own_mechanism
from lineage.errors import CatalogError
from lineage.reference import default_transfer_rules
from lineage.settings import Settings

HASHER = SubjectHasher(b"unit-test-key-0123456789")
WHEN = datetime(2026, 6, 1, tzinfo=UTC)
UNAPPROVED = unapproved_by_store(
    catalog_hops(parse_catalog(Settings().catalog.read_text()), default_transfer_rules(), date(2026, 11, 22))
)
COMMON = {
    "occurred_at": WHEN,
    "source": "demo",
    "subject": SubjectRef(type=SubjectType.CUSTOMER, key=HASHER.email("a@example.com")),
}


class TestAlertHits:
    def test_every_event_that_leaves_data_in_an_unapproved_store_hits_its_flows(self) -> None:
        events = [
            CollectionEvent(
                event_id="e:00000001",
                action="collected",
                store="dropbox/recruitment",
                categories=("user.content.private.cv",),
                **COMMON,
            ),
            ActivityEvent(
                event_id="e:00000002",
                action="activity",
                store="brevo/transactional",
                activity=ActivityKind.DELIVERED,
                categories=("user.contact.email",),
                **COMMON,
            ),
            MovementEvent(
                event_id="e:00000003",
                action="copied",
                store="s3://acme-hr-cv",
                destination="dropbox/recruitment",
                categories=("user.content.private.cv",),
                **COMMON,
            ),
        ]
        hits = alert_hits(events, UNAPPROVED)
        assert [(h.event_id, h.hop.store, h.hop.country) for h in hits] == [
            ("e:00000001", "dropbox/recruitment", "US"),
            ("e:00000002", "brevo/transactional", "IN"),
            ("e:00000003", "dropbox/recruitment", "US"),
        ]
        assert hits[0].flow == hits[2].flow == flow_id(hits[0].hop)  # one alert per flow

    def test_erasures_and_approved_stores_raise_nothing(self) -> None:
        events = [
            ErasureEvent(event_id="e:00000004", action="erased", store="dropbox/recruitment", **COMMON),
            CollectionEvent(
                event_id="e:00000005",
                action="collected",
                store="ga/user-data",
                categories=("user.behavior.browsing_history",),
                **COMMON,
            ),
            CollectionEvent(
                event_id="e:00000006",
                action="collected",
                store="hubspot/contacts",
                categories=("user.contact.email",),
                **COMMON,
            ),
        ]
        assert alert_hits(events, UNAPPROVED) == []


DEMO_TEXT = Settings().catalog.read_text()
WITH_FLOW = parse_catalog(
    DEMO_TEXT.replace(
        "\nretention:",
        """
flows:
  - source: s3://acme-hr-cv
    destination: dropbox/recruitment
    categories: [user.content.private.cv]
    transfer_mechanism: {kind: sccs, module: 2, reference: "CV export addendum"}
  - source: greenhouse/candidates
    destination: dropbox/recruitment
\nretention:""",
        1,
    )
)


class TestDeclaredFlowMechanism:
    def test_a_flow_mechanism_judges_the_first_hop_of_what_it_moves(self) -> None:
        day = date(2026, 11, 22)
        hops = flow_hops(WITH_FLOW, default_transfer_rules(), day, "s3://acme-hr-cv", "dropbox/recruitment")
        assert [(h.chain, h.country, h.verdict.status.value) for h in hops] == [
            (("dropbox",), "US", "safeguarded")
        ]
        # without its own mechanism a declared flow falls back to the processor's (Privacy Shield)
        plain = flow_hops(
            WITH_FLOW, default_transfer_rules(), day, "greenhouse/candidates", "dropbox/recruitment"
        )
        assert [h.verdict.status.value for h in plain] == ["unapproved"]

    def test_a_copy_along_the_flow_raises_nothing_a_direct_collection_still_does(self) -> None:
        day = date(2026, 11, 22)
        unapproved = unapproved_by_store(catalog_hops(WITH_FLOW, default_transfer_rules(), day))
        moves = {
            pair: [h for h in hops if not h.verdict.approved]
            for pair, hops in flows_with_own_mechanism(WITH_FLOW, default_transfer_rules(), day).items()
        }
        copy = MovementEvent(
            event_id="e:00000010",
            action="copied",
            store="s3://acme-hr-cv",
            destination="dropbox/recruitment",
            categories=("user.content.private.cv",),
            **COMMON,
        )
        other = copy.model_copy(update={"event_id": "e:00000011", "store": "greenhouse/candidates"})
        direct = CollectionEvent(
            event_id="e:00000012",
            action="collected",
            store="dropbox/recruitment",
            categories=("user.content.private.cv",),
            **COMMON,
        )
        assert [h.event_id for h in alert_hits([copy, other, direct], unapproved, moves)] == [
            "e:00000011",
            "e:00000012",
        ]

    def test_flows_must_name_declared_stores(self) -> None:
        bad = DEMO_TEXT.replace(
            "\nretention:",
            "\nflows:\n  - {source: s3://acme-hr-cv, destination: nowhere/store}\n\nretention:",
            1,
        )
        with pytest.raises(CatalogError, match="unknown store 'nowhere/store'"):
            parse_catalog(bad)
