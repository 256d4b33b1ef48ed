"""The CI slice of ``lineage-lab fuzz``: 2,000 mutants per source in-process, 100 per source signed
over HTTP to the real receiver and a real worker, then the topics, logs and graph scanned.

It asserts the gates' zeros, so it fails while a finding of the full run is still open.
"""

from __future__ import annotations

import pytest

from lineage.domain.catalog import parse_catalog
from lineage.sources import SOURCE_NAMES
from lineage_lab.fuzz.findings import FindingBook
from lineage_lab.fuzz.harness import LegResult, run_in_process
from lineage_lab.fuzz.http_leg import fuzz_settings, run_http_leg
from lineage_lab.fuzz.mutations import Marks

pytestmark = pytest.mark.integration

IN_PROCESS = 2_000
OVER_HTTP = 100


def _findings(book: FindingBook) -> str:
    return "\n".join(
        f"[{f.leg}] {f.source} {f.problem.kind} at {f.problem.location}: "
        f"{f.problem.detail[:200]} (x{f.count})"
        for f in book
        if f.problem.kind != "slow"
    )


def _assert_zeros(leg: LegResult, book: FindingBook) -> None:
    total = leg.total()
    found = _findings(book)
    assert total.crashes == 0, found
    assert total.internal_errors == 0, found
    assert total.roundtrip_failures == 0, found
    assert total.http_5xx == 0, found
    assert total.dead_letter_share == 1.0, found
    assert sum(total.leaks.values()) == 0, found


class TestFuzz:
    def test_in_process_slice(self) -> None:
        from lineage.settings import Settings

        book = FindingBook()
        leg = run_in_process(
            parse_catalog(Settings().catalog.read_text()), IN_PROCESS, seed=21, book=book, minimise=False
        )
        assert leg.total().payloads == IN_PROCESS * len(SOURCE_NAMES)
        _assert_zeros(leg, book)

    def test_signed_http_and_worker_slice(self, pipeline) -> None:
        settings = fuzz_settings(pipeline, pipeline.topic_namespace)
        book = FindingBook()
        leg = run_http_leg(
            settings,
            parse_catalog(settings.catalog.read_text()),
            OVER_HTTP,
            seed=22,
            marks=Marks(),
            book=book,
            timeout_s=600,
        )
        assert leg.total().payloads == OVER_HTTP * len(SOURCE_NAMES)
        assert leg.extra["graph_entities_scanned"] > 0
        assert leg.extra["leaks_graph"] == 0, _findings(book)
        assert leg.extra["leaks_canonical_topic"] == 0, _findings(book)
        assert leg.extra["leaks_worker_log"] == 0, _findings(book)
        _assert_zeros(leg, book)
