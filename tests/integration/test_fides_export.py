"""``lineage export fides`` on a real graph: what the worker stored appears in the manifests.

The record-of-processing test's events go through the real worker (a CV in Dropbox, a phone
number in the newsletter store that declares none, CVs copied to a store the catalog lacks);
the export runs as a process and fideslang's own loaders read the files back.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fideslang import Taxonomy
from fideslang.manifests import ingest_manifests
from fideslang.parse import load_manifests_into_taxonomy

from graph import ropa
from graph.connection import open_driver
from lineage.demo.run import feed_payloads
from lineage.domain.fides import fides_key
from lineage.runner import settings_env
from lineage.settings import Settings
from tests.integration.feed import publish, run_worker
from tests.integration.test_ropa import EVENTS, ON, UNDECLARED_STORE

pytestmark = pytest.mark.integration


def export(settings: Settings, out: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lineage", "export", "fides", "--out", str(out), "--on", ON],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_demo_feed_as_observed_is_in_the_manifests(pipeline: Settings, tmp_path: Path) -> None:
    """Every store, category and flow the worker stored from the demo company's six sources."""
    for source, payloads in feed_payloads(40).items():
        publish(pipeline, source, *payloads)
    run_worker(pipeline, tmp_path / "worker.log", timeout=300)
    export(pipeline, tmp_path / "fides")
    taxonomy = load_manifests_into_taxonomy(ingest_manifests(str(tmp_path / "fides")))
    datasets = {d.fides_key: d for d in taxonomy.dataset}
    systems = {s.fides_key: s for s in taxonomy.system}
    with open_driver(pipeline) as driver:
        stores = ropa.observed_stores(driver, pipeline.neo4j.database)
        flows = ropa.observed_flows(driver, pipeline.neo4j.database)
    assert len(stores) >= 8 and flows  # the feed reaches most stores and copies CVs to Dropbox
    for seen in stores:
        dataset = datasets[fides_key(seen.store)]
        fields = {f.data_categories[0]: f for f in dataset.collections[0].fields}
        assert set(seen.categories) <= set(fields), seen.store
        assert all("observed" in fields[c].description for c in seen.categories)
        assert dataset.meta["lineage"]["subjects_observed"] == seen.subjects
    for flow in flows:
        source, destination = _system_of(taxonomy, flow.source), _system_of(taxonomy, flow.destination)
        assert source is not None
        egress = {f.fides_key: f for f in systems[source].egress}
        target = egress[destination if destination not in (None, source) else fides_key(flow.destination)]
        assert set(flow.categories) <= set(target.data_categories)


def _system_of(taxonomy: Taxonomy, store: str) -> str | None:
    return next((s.fides_key for s in taxonomy.system if store in s.meta["lineage"]["stores"]), None)


def test_observed_stores_categories_and_flows_are_exported(pipeline: Settings, tmp_path: Path) -> None:
    publish(pipeline, "canonical", *EVENTS)
    run_worker(pipeline, tmp_path / "worker.log")
    out = tmp_path / "fides"
    assert "12 systems, 13 datasets written to" in export(pipeline, out)

    taxonomy = load_manifests_into_taxonomy(ingest_manifests(str(out)))  # fideslang validates
    datasets = {d.fides_key: d for d in taxonomy.dataset}
    systems = {s.fides_key: s for s in taxonomy.system}

    contacts = datasets["brevo_contacts"]
    assert contacts.meta["lineage"]["subjects_observed"] == 1
    phone = next(f for f in contacts.collections[0].fields if f.name == "user_contact_phone_number")
    assert phone.data_categories == ["user.contact.phone_number"] and "observed" in phone.description
    assert datasets["dropbox_recruitment"].meta["lineage"]["subjects_observed"] == 1

    shared = datasets["wetransfer_shared"]
    assert shared.meta["lineage"] == {"store": UNDECLARED_STORE, "declared": False, "subjects_observed": 1}
    greenhouse = systems["greenhouse"]
    assert [(f.fides_key, f.type, f.data_categories) for f in greenhouse.egress] == [
        ("wetransfer_shared", "dataset", ["user.content.private.cv"])
    ]
    marketing = next(
        d for d in systems["brevo"].privacy_declarations if d.data_use == "marketing.communications.email"
    )
    assert "user.contact.phone_number" in marketing.data_categories
    assert any("Privacy Shield" in t for t in systems["dropbox"].meta["lineage"]["unapproved_transfers"])
    assert [c.fides_key for c in taxonomy.data_category] == [
        "user.content.private.cv",
        "user.content.private.cover_letter",
    ]
