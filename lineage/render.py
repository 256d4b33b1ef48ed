"""Human output of the CLI and the demo report (rich tables); ``--json`` output bypasses this module.

Beside the packages, not in ``lineage/cli``: the demo, the workspace and the benchmarks print with
it too, and nothing below the CLI imports the CLI. Every time a person reads is shown in the
organisation's time zone, with the zone named (``2026-03-02 10:14 CET``): a deadline at the end of
a Paris day printed in UTC reads as the day before. JSON keeps ISO 8601 with its offset.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.table import Table

console = Console()
_zone: Callable[[], tzinfo] = functools.cache(lambda: UTC)


def show_times_in(zone: tzinfo | Callable[[], tzinfo]) -> None:
    """The zone every time printed from now on is shown in: the organisation's. A callable is
    asked once, when the first time is printed, so a command that prints none reads no catalog."""
    global _zone
    _zone = functools.cache(zone if callable(zone) else lambda: zone)


def when(value: datetime, zone: tzinfo | None = None) -> str:
    """A moment in the organisation's zone (or ``zone``), with the zone named."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    local = aware.astimezone(zone or _zone())
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or local.strftime('%z')}"


def day(value: datetime | date, zone: tzinfo | None = None) -> str:
    """The organisation's calendar day of a moment (``2026-03-02``); a date as it is."""
    if not isinstance(value, datetime):
        return value.isoformat()
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(zone or _zone()).date().isoformat()


def as_json(value: Any) -> str:
    """JSON as the HTTP API writes it (pydantic's encoding), so both outputs compare equal."""
    return json.dumps(to_jsonable_python(value, fallback=str), indent=2, ensure_ascii=False)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, list | tuple):
        return "\n".join(_cell(v) for v in value) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return str(value)


def summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in counts.items())


def table(title: str, rows: Sequence[Mapping[str, Any] | BaseModel], columns: Sequence[str]) -> None:
    """Rows are an answer's models (their fields by name) or plain mappings."""
    view = Table(title=title, title_justify="left", show_lines=True)
    for column in columns:
        view.add_column(column.removesuffix("_id").replace("_", " "), overflow="fold")
    for row in rows:
        view.add_row(*(_cell(_field(row, c)) for c in columns))
    console.print(view)


def _field(row: Mapping[str, Any] | BaseModel, name: str) -> Any:
    return getattr(row, name, None) if isinstance(row, BaseModel) else row.get(name)


SUBJECT_COLUMNS = (
    "store",
    "processor_id",
    "country",
    "held",
    "erased",
    "first_seen",
    "last_seen",
    "expires_at",
)
IMPACT_COLUMNS = ("store", "processor_id", "country", "categories", "archived", "sub_processors")
RETENTION_COLUMNS = ("store", "category", "expires_at", "rule", "action", "state", "archive_until")
STORE_COLUMNS = (
    "store",
    "country",
    "processor_id",
    "subjects_held",
    "subjects_erased",
    "holdings",
    "declared",
)
COUNTRY_COLUMNS = ("country", "subjects", "holdings")


def sub_processor_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten sub-processor chains to 'name (CC)' for the table view."""
    return [
        r | {"sub_processors": [f"{s['name']} ({s['country']})" for s in r["sub_processors"]]} for r in rows
    ]


def impact_countries(rows: list[dict[str, Any]]) -> list[str]:
    countries = {r["country"] for r in rows if r["country"]}
    countries |= {s["country"] for r in rows for s in r["sub_processors"] if s.get("country")}
    return sorted(countries)
