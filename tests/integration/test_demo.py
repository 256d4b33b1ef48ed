"""``lineage demo`` end to end on the session's servers, with a small feed: the report it prints,
the access report it writes, and the alert the delivery after an unsubscribe raises."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from lineage import render
from lineage.answers.alerts import listed
from lineage.answers.catalog_file import read_catalog
from lineage.answers.connection import open_driver
from lineage.demo.run import run_demo
from lineage.settings import Settings

pytestmark = pytest.mark.integration


def test_the_demo_answers_an_access_request_and_alerts_on_mail_after_an_unsubscribe(
    pipeline: Settings, tmp_path: Path
) -> None:
    settings = pipeline
    with render.console.capture() as captured:
        run_demo(settings, read_catalog(settings), people=60, reports=tmp_path / "reports")
    printed = captured.get()

    reports = sorted((tmp_path / "reports").glob("access-report-ac-*"))
    assert [p.suffix for p in reports] == [".html", ".pdf"]
    for path in reports:
        assert str(path) in printed.replace("\n", "")
    html = reports[0].read_text(encoding="utf-8")
    assert "CNIL" in html and "brevo" in html.lower()
    text = "".join(page.extract_text() for page in PdfReader(reports[1]).pages)
    assert "CNIL" in text

    with open_driver(settings) as driver:
        withdrawn = [
            a for a in listed(driver, settings.neo4j.database) if a.kind == "processing_after_withdrawal"
        ]
    # The one delivery after the unsubscribe raises one alert, whichever pass saw it first.
    assert len(withdrawn) == 1
    assert withdrawn[0].store == "brevo/contacts" and "(event brevo:" in (withdrawn[0].reason or "")
    assert f"processing_after_withdrawal alerts ({len(withdrawn)})" in printed
    assert "CET" in printed or "CEST" in printed  # times in the organisation's zone
