"""The audit trail on a real Neo4j: appends, concurrent appenders, tampering found by
``lineage audit verify`` (the real command line), retention, and exports that verify."""

from __future__ import annotations

import getpass
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from neo4j import Driver

from graph.connection import open_driver
from graph.schema import apply_schema
from lineage.answers import audit
from lineage.domain.access import Actor, Role
from lineage.domain.audit import AuditHead
from lineage.runner import settings_env
from lineage.settings import Settings

pytestmark = pytest.mark.integration

DPO = Actor(name="account:dpo", role=Role.DPO, kind="account", address="10.1.2.3")
CLIENT = Actor(name="client:reports", role=Role.VIEWER, kind="client", address="10.1.2.4")
WIPE_AUDIT = "MATCH (n) WHERE n:AuditEntry OR n:AuditHead DETACH DELETE n"


@pytest.fixture
def trail(servers: Settings) -> Iterator[tuple[Settings, Driver]]:
    """The session's servers with an empty audit trail, the schema applied."""
    with open_driver(servers) as driver:
        apply_schema(driver, servers.neo4j.database)
        driver.execute_query(WIPE_AUDIT, database_=servers.neo4j.database)
        yield servers, driver


def lineage_audit(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage", "audit", *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


def fill(settings: Settings, driver: Driver, n: int, start: datetime | None = None) -> None:
    for i in range(n):
        audit.record(
            driver,
            settings,
            DPO if i % 2 else CLIENT,
            "person.lookup" if i % 3 else "request.open",
            target=f"req-{i}",
            outcome="ok" if i % 4 else "denied",
            now=None if start is None else start + timedelta(hours=i),
        )


class TestAppend:
    def test_entries_chain_from_seq_1(self, trail: tuple[Settings, Driver]) -> None:
        settings, driver = trail
        first = audit.record(driver, settings, DPO, "request.open", target="er-1", outcome="ok")
        second = audit.record(driver, settings, CLIENT, "person.lookup", target=None, outcome="denied")
        assert (first.seq, second.seq) == (1, 2)
        assert second.prev_hash == first.hash and first.prev_hash == "0" * 64
        assert (first.actor, first.role, first.kind, first.address) == (
            "account:dpo",
            "dpo",
            "account",
            "10.1.2.3",
        )
        assert audit.head(driver, settings) == AuditHead(seq=2, hash=second.hash)
        verdict = audit.verify(driver, settings)
        assert verdict.ok and verdict.checked == 2

    def test_concurrent_appenders_never_fork_the_chain(self, trail: tuple[Settings, Driver]) -> None:
        settings, driver = trail
        threads, per_thread, errors = 8, 15, []

        def append(worker: int) -> None:
            # A driver of its own, as another API process would have.
            with open_driver(settings) as own:
                for i in range(per_thread):
                    try:
                        audit.record(own, settings, DPO, "task.ack", target=f"t-{worker}-{i}", outcome="ok")
                    except Exception as exc:
                        errors.append(exc)

        running = [threading.Thread(target=append, args=(w,)) for w in range(threads)]
        for thread in running:
            thread.start()
        for thread in running:
            thread.join()
        assert errors == []
        verdict = audit.verify(driver, settings)
        assert verdict.ok and verdict.checked == threads * per_thread == verdict.head_seq
        records, _, _ = driver.execute_query(
            "MATCH (e:AuditEntry) RETURN count(*) AS n, count(DISTINCT e.prev_hash) AS prevs",
            database_=settings.neo4j.database,
        )
        assert records[0]["n"] == records[0]["prevs"] == threads * per_thread

    def test_listing_filters_and_pages(self, trail: tuple[Settings, Driver]) -> None:
        settings, driver = trail
        start = datetime(2026, 1, 10, 8, tzinfo=UTC)
        fill(settings, driver, 12, start)
        everything = audit.entries(driver, settings, audit.AuditFilters(), limit=5)
        assert [e.seq for e in everything.entries] == [12, 11, 10, 9, 8] and everything.next_cursor == 8
        older = audit.entries(driver, settings, audit.AuditFilters(), cursor=8, limit=5)
        assert [e.seq for e in older.entries] == [7, 6, 5, 4, 3]
        last = audit.entries(driver, settings, audit.AuditFilters(), cursor=3, limit=5)
        assert [e.seq for e in last.entries] == [2, 1] and last.next_cursor is None

        by_actor = audit.entries(driver, settings, audit.AuditFilters(actor="account:dpo"), limit=50)
        assert {e.actor for e in by_actor.entries} == {"account:dpo"} and len(by_actor.entries) == 6
        by_action = audit.entries(driver, settings, audit.AuditFilters(action="request"), limit=50)
        assert [e.seq for e in by_action.entries] == [10, 7, 4, 1]
        by_target = audit.entries(driver, settings, audit.AuditFilters(target="req-3"), limit=50)
        assert [e.seq for e in by_target.entries] == [4]
        window = audit.AuditFilters(since=start + timedelta(hours=2), until=start + timedelta(hours=5))
        assert [e.seq for e in audit.entries(driver, settings, window).entries] == [5, 4, 3]
        denied = audit.entries(driver, settings, audit.AuditFilters(outcome="denied"))
        assert [e.seq for e in denied.entries] == [9, 5, 1]


class TestTampering:
    def test_a_changed_entry_fails_verify_naming_its_seq(self, trail: tuple[Settings, Driver]) -> None:
        settings, driver = trail
        fill(settings, driver, 6)
        intact = lineage_audit(settings, "verify")
        assert intact.returncode == 0, intact.stdout + intact.stderr
        assert "intact: 6 entries" in intact.stdout

        driver.execute_query(
            "MATCH (e:AuditEntry {seq: 4}) SET e.outcome = 'ok', e.actor = 'account:someone-else'",
            database_=settings.neo4j.database,
        )
        broken = lineage_audit(settings, "verify")
        assert broken.returncode == 1
        assert "broken at seq 4" in broken.stdout
        assert json.loads(lineage_audit(settings, "verify", "--json").stdout)["first_bad_seq"] == 4

    def test_a_removed_entry_fails_verify(self, trail: tuple[Settings, Driver]) -> None:
        settings, driver = trail
        fill(settings, driver, 6)
        driver.execute_query("MATCH (e:AuditEntry {seq: 3}) DELETE e", database_=settings.neo4j.database)
        broken = lineage_audit(settings, "verify", "--json")
        assert broken.returncode == 1 and json.loads(broken.stdout)["first_bad_seq"] == 3

    def test_a_removed_tail_fails_verify(self, trail: tuple[Settings, Driver]) -> None:
        settings, driver = trail
        fill(settings, driver, 6)
        driver.execute_query(
            "MATCH (e:AuditEntry) WHERE e.seq >= 5 DELETE e", database_=settings.neo4j.database
        )
        verdict = audit.verify(driver, settings)
        assert not verdict.ok and verdict.first_bad_seq == 5

    def test_a_moved_anchor_fails_verify(self, trail: tuple[Settings, Driver]) -> None:
        """Removing the oldest entries and pointing the head's anchor past them, without the key."""
        settings, driver = trail
        fill(settings, driver, 6)
        driver.execute_query(
            "MATCH (e:AuditEntry) WHERE e.seq < 3 DELETE e WITH count(*) AS n "
            "MATCH (h:AuditHead), (f:AuditEntry {seq: 3}) "
            "SET h.anchor_seq = 3, h.anchor_hash = f.prev_hash, h.purged = 2",
            database_=settings.neo4j.database,
        )
        verdict = audit.verify(driver, settings)
        assert not verdict.ok and verdict.first_bad_seq == 3


class TestRetention:
    def test_purge_keeps_the_chain_verifiable_and_is_recorded(self, trail: tuple[Settings, Driver]) -> None:
        settings, driver = trail
        now = datetime.now(UTC)
        old = now - timedelta(days=settings.audit_retention_days + 30)
        fill(settings, driver, 5, old)  # 5 entries, an hour apart, well past retention
        fill(settings, driver, 3)  # 3 entries of today
        purged = lineage_audit(settings, "purge", "--json")
        assert purged.returncode == 0, purged.stdout + purged.stderr
        result = json.loads(purged.stdout)
        assert result["deleted"] == 5 and result["anchor_seq"] == 6
        entry = result["entry"]
        assert (entry["seq"], entry["action"], entry["target"]) == (9, "audit.purge", "seq 1-5")
        assert (entry["actor"], entry["kind"], entry["role"]) == (getpass.getuser(), "cli", "admin")

        verdict = audit.verify(driver, settings)
        assert verdict.ok and verdict.checked == 4 and verdict.anchor_seq == 6 and verdict.purged == 5
        assert lineage_audit(settings, "verify").returncode == 0
        # Nothing old left: a second purge removes nothing and is recorded all the same.
        again = audit.purge(driver, settings, DPO)
        assert again.deleted == 0 and again.entry.seq == 10 and again.entry.target is None
        assert audit.verify(driver, settings).ok
        # Past the anchor, the chain still catches a change.
        driver.execute_query(
            "MATCH (e:AuditEntry {seq: 7}) SET e.target = 'req-x'", database_=settings.neo4j.database
        )
        assert audit.verify(driver, settings).first_bad_seq == 7

    def test_purging_everything_leaves_a_chain_that_verifies(self, trail: tuple[Settings, Driver]) -> None:
        settings, driver = trail
        fill(settings, driver, 3, datetime.now(UTC) - timedelta(days=settings.audit_retention_days + 1))
        result = audit.purge(driver, settings, DPO)
        assert result.deleted == 3 and result.anchor_seq == 4 and result.entry.seq == 4
        verdict = audit.verify(driver, settings)
        assert verdict.ok and verdict.checked == 1


class TestExport:
    def test_csv_and_json_round_trip_and_verify(self, trail: tuple[Settings, Driver], tmp_path: Path) -> None:
        settings, driver = trail
        fill(settings, driver, 7)
        for format in ("csv", "json"):
            out = tmp_path / f"trail.{format}"
            done = lineage_audit(settings, "export", "--format", format, "--out", str(out))
            assert done.returncode == 0, done.stdout + done.stderr
            text = out.read_text(encoding="utf-8")
            exported = audit.read_export(format, text)  # type: ignore[arg-type]
            stored = list(audit.entries(driver, settings, audit.AuditFilters(), limit=500).entries)[::-1]
            # The export itself was recorded before it was read: it is the last entry exported.
            assert exported == stored[: len(exported)] and exported[-1].action == "audit.export"
            current = (
                AuditHead.model_validate(json.loads(text)["head"])
                if format == "json"
                else AuditHead(seq=exported[-1].seq, hash=exported[-1].hash)
            )
            assert audit.verify_export(settings, exported, current).ok
        # Filtered: only what was asked, oldest first.
        lookups = "".join(audit.export(driver, settings, "json", audit.AuditFilters(action="person.lookup")))
        assert [e.seq for e in audit.read_export("json", lookups)] == [2, 3, 5, 6]
        # Standard output, CSV with its header.
        printed = lineage_audit(settings, "export", "--format", "csv")
        assert printed.returncode == 0 and printed.stdout.startswith("seq,at,actor,role,kind,action,")

    def test_list_from_the_command_line(self, trail: tuple[Settings, Driver]) -> None:
        settings, driver = trail
        fill(settings, driver, 4)
        listed = lineage_audit(settings, "list", "--actor", "account:dpo", "--limit", "1", "--json")
        assert listed.returncode == 0, listed.stdout + listed.stderr
        page = json.loads(listed.stdout)
        assert [e["seq"] for e in page["entries"]] == [4] and page["next_cursor"] == 4
        refused = lineage_audit(settings, "list", "--outcome", "maybe")
        assert refused.returncode == 2 and "outcome" in refused.stdout


class TestHttp:
    def test_api_and_workspace_page_list_filter_and_export(self, trail: tuple[Settings, Driver]) -> None:
        import uuid

        import httpx

        from lineage.answers import accounts
        from lineage.settings import ApiSettings
        from tests.integration.test_access_control import PASSWORD, signed_in_client
        from tests.integration.test_api import served

        settings, driver = trail
        settings = settings.model_copy(update={"api": ApiSettings(insecure_session_cookie=True)})
        run = uuid.uuid4().hex[:6]
        dpo = accounts.add_client(driver, settings, f"audit-dpo-{run}", "dpo").token
        viewer = accounts.add_client(driver, settings, f"audit-viewer-{run}", "viewer").token
        accounts.add_user(driver, settings, f"audit-person-{run}", "dpo", PASSWORD)
        fill(settings, driver, 6, datetime(2026, 2, 1, 9, tzinfo=UTC))
        with served(settings) as url:
            as_dpo = {"Authorization": f"Bearer {dpo}"}
            page = httpx.get(f"{url}/audit", params={"limit": 2}, headers=as_dpo).json()
            assert [e["seq"] for e in page["entries"]] == [6, 5] and page["next_cursor"] == 5
            older = httpx.get(f"{url}/audit", params={"limit": 2, "cursor": 5}, headers=as_dpo).json()
            assert [e["seq"] for e in older["entries"]] == [4, 3]
            opened = httpx.get(f"{url}/audit", params={"action": "request"}, headers=as_dpo).json()
            assert [e["seq"] for e in opened["entries"]] == [4, 1]
            day = httpx.get(
                f"{url}/audit",
                params={"since": "2026-02-01T11:00:00+00:00", "until": "2026-02-01T13:00:00+00:00"},
                headers=as_dpo,
            ).json()
            assert [e["seq"] for e in day["entries"]] == [4, 3]
            bad = httpx.get(f"{url}/audit", params={"since": "yesterday"}, headers=as_dpo)
            assert bad.status_code == 400 and "yesterday" not in bad.text
            refused = httpx.get(f"{url}/audit", headers={"Authorization": f"Bearer {viewer}"})
            assert refused.status_code == 403

            exported = httpx.get(f"{url}/audit/export", params={"format": "json"}, headers=as_dpo)
            assert exported.status_code == 200 and exported.headers["content-type"] == "application/json"
            entries = audit.read_export("json", exported.text)
            assert entries[-1].action == "audit.export" and entries[-1].actor == f"audit-dpo-{run}"
            assert audit.AuditExport.model_validate_json(exported.text).entries == entries
            head = AuditHead.model_validate(json.loads(exported.text)["head"])
            assert audit.verify_export(settings, entries, head).ok
            as_csv = httpx.get(
                f"{url}/audit/export", params={"format": "csv", "outcome": "denied"}, headers=as_dpo
            )
            assert as_csv.headers["content-type"].startswith("text/csv")
            denials = audit.read_export("csv", as_csv.text)
            assert [e.seq for e in denials] == [1, 5, 7]  # 7: the viewer's refused read, recorded
            assert (denials[2].actor, denials[2].action) == (f"audit-viewer-{run}", "GET /audit")

            browser = signed_in_client(url, f"audit-person-{run}")
            shown = browser.get("/ui/audit", params={"actor": "account:dpo"})
            assert shown.status_code == 200
            assert 'data-seq="6"' in shown.text and 'data-seq="5"' not in shown.text
            assert 'id="export-csv" href="/ui/audit/export?actor=account%3Adpo&amp;format=csv"' in shown.text
            csv_export = browser.get("/ui/audit/export", params={"actor": "account:dpo", "format": "csv"})
            assert csv_export.status_code == 200
            assert {e.actor for e in audit.read_export("csv", csv_export.text)} == {"account:dpo"}
            browser.close()
        assert audit.verify(driver, settings).ok
        recorded = audit.entries(driver, settings, audit.AuditFilters(action="audit.export")).entries
        assert {(e.actor, e.kind) for e in recorded} == {
            (f"audit-dpo-{run}", "client"),
            (f"audit-person-{run}", "account"),
        }
