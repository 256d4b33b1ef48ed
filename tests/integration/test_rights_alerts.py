"""Restriction, objection and withdrawn consent enforced on the real servers: real payloads
through the real worker raise their alerts (to the graph and the alerts topic), and nothing for
processing before the state began or for other purposes; a lifted restriction stops alerts, and
replaying the feed changes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from neo4j import Driver

from graph.alerts import list_alerts
from graph.connection import open_driver
from lineage.adapters.brevo import adapt_brevo
from lineage.answers.requests import lift, open_request
from lineage.domain.subjects import SubjectHasher
from lineage.kafka.topics import Topics
from lineage.runner import WorkerProcess
from lineage.settings import Settings
from streams.monitor import read_topic
from tests.integration import feed

pytestmark = pytest.mark.integration

T = TypeVar("T")
LEA, PAUL = "lea.martin@example.fr", "paul.durand@example.org"
RITA, SAM, OLGA = "rita@example.com", "sam@example.com", "olga@example.com"
WITHDRAWN, RESTRICTED, OBJECTED = (
    "processing_after_withdrawal",
    "processing_while_restricted",
    "processing_after_objection",
)
MARCH_6 = 1772791200  # 2026-03-06T10:00Z


def brevo(event: str, email: str, ts: int, **extra: Any) -> bytes:
    """A campaign event (camp_id), or a one-to-one mail's (``message-id`` in ``extra``)."""
    body = {"id": 771204, "email": email, "event": event, "ts": ts, "ts_event": ts}
    if "message-id" not in extra:
        body |= {"camp_id": 87, "list_id": [42]}
    return json.dumps(body | extra).encode()


def event_id(payload: bytes, hasher: SubjectHasher) -> str:
    (event,) = adapt_brevo(json.loads(payload), hasher)
    return event.event_id


def canonical(n: int, day: int, email: str, store: str, purpose: str, basis: str) -> dict[str, Any]:
    return {
        "event_id": f"rights-test:{n}",
        "occurred_at": f"2026-06-{day:02d}T09:00:00Z",
        "source": "demo",
        "action": "updated",
        "store": store,
        "categories": ["user.contact.email"],
        "purpose": purpose,
        "legal_basis": basis,
        "subject": {"type": "customer", "email": email},
    }


def alerts(driver: Driver, settings: Settings, kind: str) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in list_alerts(driver, settings.neo4j.database, None, kind)}


def wait_alerts(driver: Driver, settings: Settings, kind: str, count: int) -> dict[str, dict[str, Any]]:
    """The alerts of ``kind`` once there are ``count`` of them."""

    def counted() -> dict[str, dict[str, Any]] | None:
        found = alerts(driver, settings, kind)
        return found if len(found) == count else None

    return wait_for(counted)


def alert_records(settings: Settings) -> list[dict[str, Any]]:
    """The rights alerts on the alerts topic (Brevo's store raises a transfer alert too)."""
    names = Topics(settings.topic_namespace)
    records = [json.loads(value) for value in read_topic(settings.kafka, names.alerts.name)]
    return [r for r in records if r["kind"] in (WITHDRAWN, RESTRICTED, OBJECTED)]


def wait_for(check: Callable[[], T | None], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


@contextmanager
def running(settings: Settings, log: Path) -> Iterator[WorkerProcess]:
    with WorkerProcess(settings, log).start() as worker:
        yield worker


@pytest.fixture
def settings(pipeline: Settings) -> Settings:
    return pipeline.model_copy(update={"rights_refresh_s": 0.5})


class TestWithdrawal:
    def test_a_campaign_after_an_unsubscribe_raises_it_once_per_person_even_stored_out_of_order(
        self, settings: Settings, hasher: SubjectHasher, tmp_path: Path
    ) -> None:
        lea = [
            brevo("list_addition", LEA, MARCH_6 - 86400),
            brevo("delivered", LEA, MARCH_6),  # before the unsubscribe: allowed
            brevo("unsubscribed", LEA, MARCH_6 + 3600),
            brevo("delivered", LEA, MARCH_6 + 7200, camp_id=88),  # after: the alert
            brevo("opened", LEA, MARCH_6 + 7300, camp_id=88),
            # a one-to-one mail (an order), on the contract: another purpose, no alert
            brevo("delivered", LEA, MARCH_6 + 7200, **{"message-id": "<1@relay.example.net>"}),
        ]
        paul_delivery = brevo("delivered", PAUL, MARCH_6 + 7200, camp_id=88)
        paul_unsubscribe = brevo("unsubscribed", PAUL, MARCH_6 + 3600)
        feed.publish(settings, "brevo", *lea, paul_delivery)
        with open_driver(settings) as driver, running(settings, tmp_path / "worker.log") as worker:
            worker.wait_caught_up(timeout=120)
            (lea_alert,) = wait_alerts(driver, settings, WITHDRAWN, 1).values()
            assert event_id(lea[4], hasher) in lea_alert["reason"]  # the latest processing
            assert "marketing.communications.email" in lea_alert["reason"]
            assert LEA not in lea_alert["reason"] and lea_alert["severity"] == "high"

            # Paul's unsubscribe reaches lineage after the campaign it forbids was stored.
            feed.publish(settings, "brevo", paul_unsubscribe)
            worker.wait_caught_up(timeout=120)
            both = wait_alerts(driver, settings, WITHDRAWN, 2)
            (paul_alert,) = [a for i, a in both.items() if i != lea_alert["id"]]
            assert event_id(paul_delivery, hasher) in paul_alert["reason"]
            assert paul_alert["store"] == "brevo/contacts" and paul_alert["count"] == 1

            records = wait_for(lambda: alert_records(settings) if len(alert_records(settings)) >= 2 else None)
            assert sorted(r["id"] for r in records) == sorted(both)
            assert {r["kind"] for r in records} == {WITHDRAWN}

            # The whole feed again, in another order: the same alerts, nothing announced again.
            feed.publish(settings, "brevo", paul_unsubscribe, paul_delivery, *lea[::-1])
            worker.wait_caught_up(timeout=120)
            time.sleep(2)
            assert alerts(driver, settings, WITHDRAWN).keys() == both.keys()
            assert sorted(r["id"] for r in alert_records(settings)) == sorted(both)
            assert alerts(driver, settings, RESTRICTED) == alerts(driver, settings, OBJECTED) == {}


class TestRestrictionAndObjection:
    def test_processing_after_the_request_is_alerted_until_lifted_and_only_for_its_purposes(
        self, settings: Settings, hasher: SubjectHasher, tmp_path: Path
    ) -> None:
        database = settings.neo4j.database
        before = [
            canonical(1, 1, RITA, "hubspot/contacts", "marketing.communications.email", "consent"),
            canonical(2, 1, OLGA, "hubspot/contacts", "marketing.communications.email", "consent"),
            canonical(3, 8, SAM, "hubspot/contacts", "essential.service", "contract"),
        ]
        feed.publish(settings, "canonical", *before)
        with open_driver(settings) as driver, running(settings, tmp_path / "worker.log") as worker:
            worker.wait_caught_up(timeout=120)
            received = datetime(2026, 6, 5, tzinfo=UTC)
            rita = open_request(driver, database, "restriction", hasher.email(RITA), received=received)
            olga = open_request(
                driver, database, "objection", hasher.email(OLGA), received=received, purposes=["marketing"]
            )
            # Sam's restriction dates from before an event already stored: the refresh raises it.
            sam = open_request(driver, database, "restriction", hasher.email(SAM), received=received)
            (sam_alert,) = wait_alerts(driver, settings, RESTRICTED, 1).values()
            assert sam.id in sam_alert["reason"] and "rights-test:3" in sam_alert["reason"]
            time.sleep(1.5)  # the worker's cache reads Rita's and Olga's requests meanwhile

            later = [
                canonical(4, 3, RITA, "hubspot/contacts", "essential.service", "contract"),  # before
                canonical(5, 6, RITA, "zendesk/tickets", "essential.service", "contract"),
                canonical(6, 4, OLGA, "hubspot/contacts", "marketing.communications.email", "consent"),
                canonical(7, 6, OLGA, "zendesk/tickets", "essential.service", "contract"),  # other use
                canonical(8, 7, OLGA, "brevo/contacts", "marketing.communications.email", "consent"),
            ]
            feed.publish(settings, "canonical", *later)
            worker.wait_caught_up(timeout=120)
            restricted = wait_alerts(driver, settings, RESTRICTED, 2)
            (rita_alert,) = [a for a in restricted.values() if rita.id in a["reason"]]
            assert "rights-test:5" in rita_alert["reason"] and rita_alert["store"] == "zendesk/tickets"
            (olga_alert,) = wait_alerts(driver, settings, OBJECTED, 1).values()
            assert olga.id in olga_alert["reason"] and "rights-test:8" in olga_alert["reason"]
            assert olga_alert["store"] == "brevo/contacts"

            lift(driver, database, rita.id, "the accuracy of the data is verified")
            time.sleep(1.5)  # the worker's cache reads the lift
            feed.publish(
                settings,
                "canonical",
                canonical(9, 9, RITA, "zendesk/tickets", "essential.service", "contract"),
            )
            worker.wait_caught_up(timeout=120)
            time.sleep(1)
            after = alerts(driver, settings, RESTRICTED)[rita_alert["id"]]
            assert "rights-test:5" in after["reason"] and after["last_seen"] == rita_alert["last_seen"]

            records = alert_records(settings)
            assert sorted(r["id"] for r in records) == sorted([*restricted, olga_alert["id"]])
            assert alerts(driver, settings, WITHDRAWN) == {}

            # The feed replayed: the same alerts, nothing announced again.
            feed.publish(settings, "canonical", *later[::-1], *before)
            worker.wait_caught_up(timeout=120)
            time.sleep(1)
            assert alerts(driver, settings, RESTRICTED).keys() == restricted.keys()
            assert alerts(driver, settings, OBJECTED).keys() == {olga_alert["id"]}
            assert sorted(r["id"] for r in alert_records(settings)) == sorted(r["id"] for r in records)
