"""The demo feed: realistic, deterministic, and every payload accepted by the Brevo adapter."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from lineage.adapters.brevo import adapt_brevo
from lineage.demo.brevo_feed import DOMAINS, brevo_feed, demo_email, malformed_brevo_payloads
from lineage.domain.subjects import SubjectHasher
from lineage.errors import AdapterError

HASHER = SubjectHasher(b"unit-test-key-0123456789")
PEOPLE = 50


@pytest.fixture(scope="module")
def feed() -> list[dict]:
    return list(brevo_feed(PEOPLE))


class TestBrevoFeed:
    def test_every_payload_adapts(self, feed: list[dict]) -> None:
        events = [event for payload in feed for event in adapt_brevo(payload, HASHER)]
        unsubscribed = sum(p["event"] == "unsubscribed" and "camp_id" in p for p in feed)
        assert len(events) == len(feed) + unsubscribed  # each also closes the subscription
        assert len({event.event_id for event in events}) == len(events)
        assert {event.store for event in events} == {"brevo/contacts", "brevo/transactional"}

    def test_payloads_come_in_time_order_over_about_ninety_days(self, feed: list[dict]) -> None:
        times = [adapt_brevo(payload, HASHER)[0].occurred_at for payload in feed]
        assert times == sorted(times)
        assert timedelta(days=80) < times[-1] - times[0] <= timedelta(days=90)

    def test_same_seed_same_feed_other_seed_other_feed(self, feed: list[dict]) -> None:
        assert list(brevo_feed(PEOPLE)) == feed
        assert json.dumps(list(brevo_feed(PEOPLE, seed=7))) == json.dumps(feed)
        assert list(brevo_feed(PEOPLE, seed=8)) != feed

    def test_start_moves_the_feed(self) -> None:
        start = datetime(2025, 6, 1, tzinfo=UTC)
        first = next(brevo_feed(5, start=start))
        assert start.timestamp() <= first["ts"] < (start + timedelta(days=61)).timestamp()
        with pytest.raises(ValueError):
            next(brevo_feed(5, start=datetime(2025, 6, 1)))

    def test_each_person_joins_once_and_the_story_is_complete(self, feed: list[dict]) -> None:
        kinds = Counter(payload["event"] for payload in feed)
        joins = Counter(p["email"] for p in feed if p["event"] == "list_addition")
        assert joins == Counter({demo_email(i): 1 for i in range(PEOPLE)})
        assert kinds["contact_updated"] > PEOPLE // 2
        assert 1 <= kinds["contact_deleted"] <= 3
        assert kinds["unsubscribed"] >= 1 and kinds["hard_bounced"] >= 1
        assert all(kinds[k] for k in ("delivered", "opened", "click", "request"))
        assert any("message-id" in p for p in feed) and any("camp_id" in p for p in feed)
        assert all("campaign name" in p for p in feed if "camp_id" in p)

    def test_nothing_arrives_for_a_person_after_their_deletion(self, feed: list[dict]) -> None:
        gone = {p["email"]: i for i, p in enumerate(feed) if p["event"] == "contact_deleted"}
        assert gone
        for position, payload in enumerate(feed):
            if payload["email"] in gone:
                assert position <= gone[payload["email"]]

    def test_addresses_are_example_domains_and_unique(self) -> None:
        addresses = [demo_email(i) for i in range(5000)]
        assert len(set(addresses)) == len(addresses)
        assert all(a.rsplit("@", 1)[1] in DOMAINS for a in addresses)
        assert demo_email(0) == "lea.martin@example.fr"

    def test_malformed_payloads_are_rejected(self) -> None:
        bodies = malformed_brevo_payloads()
        assert len(bodies) >= 4
        for body in bodies:
            try:
                payload = json.loads(body)
            except ValueError:  # JSONDecodeError and UnicodeDecodeError
                continue
            with pytest.raises(AdapterError):
                adapt_brevo(payload, HASHER)


class TestCompanyFeed:
    def test_every_payload_adapts_and_the_feed_is_deterministic(self) -> None:
        from lineage.demo.company_feed import company_feed
        from lineage.domain.catalog import parse_catalog
        from lineage.domain.subjects import SubjectHasher
        from lineage.settings import Settings
        from lineage.sources import build_adapters

        adapters = build_adapters(parse_catalog(Settings().catalog.read_text()))
        hasher = SubjectHasher(b"unit-test-key-0123456789")
        feed = company_feed(120, seed=3)
        assert feed == company_feed(120, seed=3)
        for source, payloads in feed.items():
            assert payloads, source
            for payload in payloads:
                assert adapters[source](payload, hasher), (source, payload)
