"""Declared invariants on the real servers: an event that breaks one, and a catalog change that
breaks one, raise an ``invariant_broken`` alert on the alert topic and in the graph; events that
keep them raise none. The demo catalog declares ``never_holds: [user.government_id]`` for the
organisation and ``stays_in_eea`` for the CV bucket and the web logs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from lineage.runner import WorkerProcess
from lineage.settings import Settings
from tests.integration.test_alerts import alert_records, alerts_cli, event, publish, wait_for

pytestmark = pytest.mark.integration

ID = "user.government_id.passport_number"
PASSPORT = event(1, "hubspot/contacts", "ana@example.com", ID, "prospect")
SECOND_PASSPORT = event(2, "hubspot/contacts", "eve@example.com", ID, "prospect")
# Keeping the invariants: a CRM contact, a CV in the EU bucket, a web log in France.
KEEPING = [
    event(3, "hubspot/contacts", "lou@example.com", "user.contact.email", "prospect"),
    event(4, "s3://acme-hr-cv", "max@example.com", "user.content.private.cv", "job_applicant"),
    event(5, "ovh/web-logs", "ida@example.com", "user.device.ip_address", "visitor"),
]

OVH_IN_FRANCE = "  - id: ovh\n    name: OVH SAS, Roubaix\n    country: FR\n"
OVH_IN_THE_US = "  - id: ovh\n    name: OVH SAS, Roubaix\n    country: US\n"


def invariant_alerts(settings: Settings) -> list[dict[str, Any]]:
    return [r for r in alert_records(settings) if r["kind"] == "invariant_broken"]


def statuses(settings: Settings) -> dict[str, str]:
    return {a["id"]: a["status"] for a in alerts_cli(settings, "--json")}


class TestNeverHolds:
    def test_an_identity_document_in_a_store_raises_one_alert_events_that_keep_it_none(
        self, pipeline: Settings, tmp_path: Path
    ) -> None:
        publish(pipeline, *KEEPING)
        with WorkerProcess(pipeline, tmp_path / "worker.log").start() as worker:
            worker.wait_caught_up(timeout=120)
            assert alert_records(pipeline) == []  # nothing leaves the EEA, nothing forbidden held

            sent = time.monotonic()
            publish(pipeline, PASSPORT)
            (raised,) = wait_for(lambda: invariant_alerts(pipeline), timeout=60)
            took = time.monotonic() - sent
            publish(pipeline, SECOND_PASSPORT)  # same store and category: the alert is updated
            worker.wait_caught_up(timeout=120)

        assert (raised["store"], raised["severity"], raised["country"]) == ("hubspot/contacts", "high", None)
        assert raised["reason"] == (
            "never_holds user.government_id (declared by the organisation) broken: "
            "store hubspot/contacts holds user.government_id.passport_number"
        )
        assert "example.com" not in str(raised)
        assert took < 30  # raised by the normalise stage's early pass, not after a batch of the graph
        assert [r["id"] for r in alert_records(pipeline)] == [raised["id"]]  # once, for both people

        listed = {a["id"]: a for a in alerts_cli(pipeline, "--json")}
        assert listed[raised["id"]]["kind"] == "invariant_broken"
        assert listed[raised["id"]]["count"] == 2 and listed[raised["id"]]["status"] == "open"
        alerts_cli(pipeline, "ack", raised["id"])
        assert statuses(pipeline)[raised["id"]] == "acknowledged"


class TestStaysInEea:
    def test_the_catalog_moving_a_processor_to_the_us_raises_the_alert_then_closes_it(
        self, pipeline: Settings, tmp_path: Path
    ) -> None:
        catalog = tmp_path / "catalog.yaml"
        original = pipeline.catalog.read_text()
        assert OVH_IN_FRANCE in original
        catalog.write_text(original)
        settings = pipeline.model_copy(update={"catalog": catalog, "catalog_check_s": 0.5})
        publish(settings, KEEPING[2])
        with WorkerProcess(settings, tmp_path / "worker.log").start() as worker:
            worker.wait_caught_up(timeout=120)
            assert alert_records(settings) == []

            # OVH moves the web logs to a US entity: no event needed, the reload raises it.
            catalog.write_text(original.replace(OVH_IN_FRANCE, OVH_IN_THE_US))
            (raised,) = wait_for(lambda: invariant_alerts(settings))
            assert (raised["store"], raised["chain"], raised["country"]) == ("ovh/web-logs", ["ovh"], "US")
            assert raised["reason"] == (
                "stays_in_eea (declared by store ovh/web-logs) broken: data of store ovh/web-logs "
                "reaches US via ovh"
            )
            assert raised["count"] == 1  # the visitor already held there

            catalog.write_text(original)  # back to France: the invariant is kept again
            wait_for(lambda: statuses(settings).get(raised["id"]) == "closed")
        assert "breaks an invariant: stays_in_eea" in (tmp_path / "worker.log").read_text()
