"""Times a person reads are in the organisation's zone, named; JSON keeps ISO 8601 with an offset."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from lineage import render
from lineage.cli.app import app
from lineage.web.render import TEMPLATES

PARIS = ZoneInfo("Europe/Paris")
# The end of 31 March in Paris (summer time): 21:59:59 UTC, a day that reads as the 31st in Paris
DEADLINE = datetime(2026, 3, 31, 21, 59, 59, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc_again() -> Iterator[None]:
    yield
    render.show_times_in(UTC)


class TestCli:
    def test_a_moment_is_shown_in_the_zone_with_its_name(self) -> None:
        render.show_times_in(PARIS)
        assert render.when(DEADLINE) == "2026-03-31 23:59 CEST"
        assert render.when(datetime(2026, 1, 5, 8, 0, tzinfo=UTC)) == "2026-01-05 09:00 CET"
        assert render.day(datetime(2026, 7, 2, 22, 30, tzinfo=UTC)) == "2026-07-03"

    def test_a_time_without_an_offset_is_read_as_utc(self) -> None:
        assert render.when(datetime(2026, 1, 5, 8, 0), PARIS) == "2026-01-05 09:00 CET"

    def test_the_zone_is_asked_once_and_only_when_a_time_is_printed(self) -> None:
        asked: list[int] = []

        def zone() -> ZoneInfo:
            asked.append(1)
            return PARIS

        render.show_times_in(zone)
        assert asked == []
        render.when(DEADLINE), render.when(DEADLINE)
        assert asked == [1]

    def test_tables_print_times_in_the_zone(self) -> None:
        render.show_times_in(PARIS)
        with render.console.capture() as captured:
            render.table("Alerts", [{"id": "a", "last_seen": DEADLINE}], ("id", "last_seen"))
        assert "2026-03-31 23:59 CEST" in captured.get()

    def test_json_keeps_iso_8601_with_its_offset(self) -> None:
        render.show_times_in(PARIS)
        assert json.loads(render.as_json({"at": DEADLINE})) == {"at": "2026-03-31T21:59:59Z"}

    def test_every_command_shows_times_in_the_catalogs_zone(self) -> None:
        assert CliRunner().invoke(app, ["schema"]).exit_code == 0
        assert render.when(DEADLINE) == "2026-03-31 23:59 CEST"  # the demo catalog: Europe/Paris


class TestWorkspace:
    def test_pages_show_times_in_the_zone_given_them(self) -> None:
        template = TEMPLATES.env.from_string("{{ at|when }} · {{ at|when(False) }} · {{ none|when }}")
        assert template.render(at=DEADLINE, zone=PARIS, none=None) == "2026-03-31 23:59 CEST · 2026-03-31 · -"
        assert template.render(at=DEADLINE, zone=None, none=None).startswith("2026-03-31 21:59 UTC")
