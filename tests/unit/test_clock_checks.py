"""Pure pieces around retention and erasure: which holdings a batch re-expires, which rows the
scheduled checks turn into alerts, and how the worker follows catalog edits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from graph.writer import rows_for
from lineage.answers.live_catalog import LiveCatalog
from lineage.domain.alerts import overdue_alert_rows, reappearance_rows, request_overdue_rows
from lineage.domain.catalog import parse_catalog
from lineage.domain.events import ActivityEvent, ActivityKind, CollectionEvent, MovementEvent, SubjectRef
from lineage.domain.retention import RetentionPolicy
from lineage.domain.subjects import SubjectHasher, SubjectType
from lineage.settings import Settings

HASHER = SubjectHasher(b"unit-test-key-0123456789")
ANA = HASHER.email("ana@example.com")
WHEN = datetime(2026, 3, 1, 9, tzinfo=UTC)
COMMON = {"occurred_at": WHEN, "source": "demo", "subject": SubjectRef(type=SubjectType.PROSPECT, key=ANA)}


class TestRowsForRetention:
    def test_marks_and_expiry_targets(self) -> None:
        signup = CollectionEvent(
            event_id="e:00000001",
            action="collected",
            store="brevo/contacts",
            categories=("user.contact.email",),
            **COMMON,
        )
        opened = ActivityEvent(
            event_id="e:00000002",
            action="activity",
            store="brevo/contacts",
            activity=ActivityKind.OPENED,
            categories=("user.behavior",),
            **COMMON,
        )
        click = ActivityEvent(
            event_id="e:00000003",
            action="activity",
            store="hubspot/contacts",
            activity=ActivityKind.CLICKED,
            categories=("user.behavior",),
            **COMMON,
        )
        copy = MovementEvent(
            event_id="e:00000004",
            action="copied",
            store="s3://acme-hr-cv",
            destination="dropbox/recruitment",
            categories=("user.content.private.cv",),
            **COMMON,
        )
        rows = rows_for([signup, opened, click, copy])
        marks = {(r["store"], r["category"]): r["marks"] for r in rows.holdings}
        assert marks[("brevo/contacts", "user.contact.email")] == ["written", "collected", "contact"]
        assert marks[("brevo/contacts", "user.behavior")] == ["written"]  # an open is no contact
        assert marks[("s3://acme-hr-cv", "user.content.private.cv")] == []  # the origin keeps its clock
        assert marks[("dropbox/recruitment", "user.content.private.cv")] == ["written", "collected"]
        assert [(r["store"], r["marks"]) for r in rows.clocks] == [("hubspot/contacts", ["contact"])]
        policy = RetentionPolicy(parse_catalog(Settings().catalog.read_text()))
        refresh = {(w["store"], w["category"]): w["refresh"] for w in rows.holding_writes(policy)}
        wide = {(t["store"], t["category"]) for t in rows.wide_targets()}
        assert wide == {("hubspot/contacts", None)}  # a click: the whole store, always
        assert refresh[("hubspot/contacts", "user.behavior")] == "no"  # the store-wide read has it
        assert refresh[("brevo/contacts", "user.contact.email")] == "always"  # collected: contact moves
        # an open only writes the behaviour log: under a last-contact rule that moves nothing,
        # so it is refreshed only when new or first seen (the query decides)
        assert refresh[("brevo/contacts", "user.behavior")] == "if_first"

    def test_sightings_of_one_holding_fold_into_one_write(self) -> None:
        """Min first sighting, max last, latest time of each moment, union of purposes and
        subject types: what writing them one by one leaves on the holding."""

        def seen(event_id: str, hour: int, action: str = "activity", **extra: object) -> ActivityEvent:
            common = COMMON | {"occurred_at": WHEN.replace(hour=hour)}
            return ActivityEvent(
                event_id=event_id,
                action=action,
                store="brevo/contacts",
                activity=ActivityKind.CLICKED,
                categories=("user.contact.email",),
                **common,
                **extra,
            )

        later, middle = seen("e:00000003", 15), seen("e:00000002", 11)
        first = seen("e:00000001", 8, purpose="marketing")
        policy = RetentionPolicy(parse_catalog(Settings().catalog.read_text()))
        [write] = rows_for([later, first, middle]).holding_writes(policy)
        hour = 3_600_000
        at = int(WHEN.timestamp() * 1000)
        assert (write["first_at"], write["first_event"]) == (at - hour, "e:00000001")
        assert (write["last_at"], write["last_event"]) == (at + 6 * hour, "e:00000003")
        assert write["purposes"] == ["marketing"]
        assert write["types"] == [SubjectType.PROSPECT.value]
        assert (write["written_at"], write["written_event"]) == (at + 6 * hour, "e:00000003")
        assert write["collected_at"] is None


class TestCheckRows:
    def test_overdue_retention_one_alert_per_store_and_rule(self) -> None:
        rows = overdue_alert_rows(
            [
                {"store": "ovh/web-logs", "rule": "logs-6m", "subject": "a" * 32, "expired_at_ms": 1},
                {"store": "ovh/web-logs", "rule": "logs-6m", "subject": "b" * 32, "expired_at_ms": 2},
                {"store": "ovh/web-logs", "rule": "other", "subject": "b" * 32, "expired_at_ms": 2},
            ]
        )
        assert len({r["id"] for r in rows}) == 2
        assert {r["kind"] for r in rows} == {"overdue_retention"}

    def test_request_overdue_and_reappearance(self) -> None:
        deadline = datetime(2026, 11, 1, tzinfo=UTC)
        (late,) = request_overdue_rows(
            [
                {
                    "id": "er-1",
                    "kind": "erasure",
                    "subject": "a" * 32,
                    "deadline": deadline,
                    "outstanding": ["hubspot/contacts", "s3://acme-hr-cv"],
                },
                {"id": "er-2", "subject": "b" * 32, "deadline": deadline, "outstanding": []},
            ]
        )
        assert (late["id"], late["kind"], late["store"]) == (
            "request-overdue-er-1",
            "request_overdue",
            "hubspot/contacts",
        )
        assert "2026-11-01" in late["reason"] and "s3://acme-hr-cv" in late["reason"]
        assert late["reason"].startswith("erasure request er-1")
        found = [
            {
                "request": "er-1",
                "subject": "a" * 32,
                "store": "brevo/contacts",
                "category": c,
                "last_seen": WHEN,
                "last_event_id": f"brevo:{c}",
            }
            for c in ("user.contact.email", "user.name")
        ]
        (back,) = reappearance_rows(found)  # one alert per request and store, not per category
        assert back["kind"] == "erasure_reappearance" and back["at"] == int(WHEN.timestamp() * 1000)


class TestLiveCatalog:
    def test_follows_valid_edits_ignores_invalid_ones_and_the_day(self, tmp_path: Path) -> None:
        path = tmp_path / "catalog.yaml"
        text = Settings().catalog.read_text()
        path.write_text(text)
        live = LiveCatalog.load(path)
        today = live.day
        assert live.changed(today) is None
        path.write_text("organisation: [broken")
        assert live.changed(today) is None and live.catalog.organisation.startswith("Atelier")
        path.write_text(text.replace("Atelier Nord SAS (demo)", "Atelier Sud SAS"))
        assert live.changed(today).organisation == "Atelier Sud SAS"
        assert live.changed(date(2099, 1, 1)) is not None  # a new day: verdicts re-judged
        assert "dropbox/recruitment" in live.unapproved
