"""Three worker processes in one consumer group build exactly the graph one worker builds.

The feed is the chaos feed in small: one person's identifiers reach lineage from several
systems, on different partitions, so three workers write the halves of one identity in
concurrent transactions; a link one of them misses leaves a person split in two.
"""

from __future__ import annotations

import json

import pytest

from lineage.domain.catalog import parse_catalog
from lineage.settings import Settings
from lineage_lab.faults.chaos import chaos_feed
from lineage_lab.faults.scale_out import compare_workers

pytestmark = pytest.mark.integration


def test_three_workers_build_the_graph_one_worker_builds(servers: Settings) -> None:
    catalog = parse_catalog(servers.catalog.read_text())
    people, feed = chaos_feed(3000)
    report = compare_workers(servers, catalog, feed, workers=3, say=print)

    evidence = json.dumps(
        {
            "holdings": report.diff.summary(),
            "graph": report.graph_diff.summary(),
            "counts": [report.one.counts, report.many.counts],
        },
        indent=1,
    )
    assert report.one.counts["holdings"] > 1000 and report.one.counts["subjects"] >= people
    assert report.one.counts == report.many.counts, evidence
    assert report.diff.identical and report.graph_diff.identical, evidence
    assert report.identical
    # Three workers folding the counts of held data every second, concurrently with each other
    # and with the record transactions, kept them equal to what the holdings count.
    assert report.many.scanned is not None and report.many.scanned.sets, "nothing held"
    assert report.counts_hold, (report.one.tallied, report.one.scanned, report.many.tallied)
