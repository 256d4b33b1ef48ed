"""Which events raise transfer alerts, and under which flow."""

from __future__ import annotations

from datetime import UTC, date, datetime

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
from lineage.domain.transfer_chains import catalog_hops
from lineage.reference import default_transfer_rules
from lineage.settings import Settings

HASHER = SubjectHasher(b"unit-test-key-0123456789")
WHEN = datetime(2026, 6, 1, tzinfo=UTC)
UNAPPROVED = unapproved_by_store(catalog_hops(parse_catalog(Settings().catalog.read_text()),
                                              default_transfer_rules(), date(2026, 11, 22)))
COMMON = {"occurred_at": WHEN, "source": "demo",
          "subject": SubjectRef(type=SubjectType.CUSTOMER, key=HASHER.email("a@example.com"))}


class TestAlertHits:
    def test_every_event_that_leaves_data_in_an_unapproved_store_hits_its_flows(self) -> None:
        events = [
            CollectionEvent(event_id="e:00000001", action="collected", store="dropbox/recruitment",
                            categories=("user.content.private.cv",), **COMMON),
            ActivityEvent(event_id="e:00000002", action="activity", store="brevo/transactional",
                          activity=ActivityKind.DELIVERED, categories=("user.contact.email",),
                          **COMMON),
            MovementEvent(event_id="e:00000003", action="copied", store="s3://acme-hr-cv",
                          destination="dropbox/recruitment",
                          categories=("user.content.private.cv",), **COMMON),
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
            ErasureEvent(event_id="e:00000004", action="erased", store="dropbox/recruitment",
                         **COMMON),
            CollectionEvent(event_id="e:00000005", action="collected", store="ga/user-data",
                            categories=("user.behavior.browsing_history",), **COMMON),
            CollectionEvent(event_id="e:00000006", action="collected", store="hubspot/contacts",
                            categories=("user.contact.email",), **COMMON),
        ]
        assert alert_hits(events, UNAPPROVED) == []
