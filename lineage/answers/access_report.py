"""The access report (Art. 15) and the portability export (Art. 20) of one person, by rights
request or by keyed hash: what ``lineage request report`` and ``GET /requests/{id}/report``
return.

The person is found through the request (``request_id``) or the key (``key``); the report is in
French or English (French by default for an organisation established in France), every time
on the organisation's calendar. Neither holds an identifier's value: the report is addressed
through the request, and names the person by keyed hash at most.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from neo4j import Driver

from graph.access import person_access_map
from lineage.answers.catalog_file import read_catalog
from lineage.domain.access_report import AccessReport, build_report
from lineage.domain.labels import Lang, default_lang
from lineage.domain.person_map import PersonRead
from lineage.domain.portability import Portability, build_portability
from lineage.errors import NotFoundError, QueryError
from lineage.reference import default_transfer_rules
from lineage.reports.render import render_html, render_pdf
from lineage.settings import Settings

__all__ = [
    "AccessReport",
    "PortabilityExport",
    "access_report",
    "portability_export",
    "render_html",
    "render_pdf",
]


class PortabilityExport(Portability):
    """The export as a file the person can take elsewhere: JSON or CSV."""

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"

    def to_csv(self) -> str:
        """One row per system and category; lists joined with ``; ``."""
        out = io.StringIO()
        columns = ["system", "system_name", "store", "category", "category_label", "purposes",
                   "legal_bases", "first_seen", "last_seen"]  # fmt: skip
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for item in self.items:
            row = item.model_dump(mode="json")
            writer.writerow({c: "; ".join(row[c]) if isinstance(row[c], list) else row[c] for c in columns})
        return out.getvalue()


def _read(driver: Driver, database: str, request_id: str | None, key: str | None) -> PersonRead | None:
    if (request_id is None) == (key is None):
        raise QueryError("name the person by request id or by identifier key, not both")
    row = person_access_map(driver, database, key=key, request_id=request_id)
    if row is None and request_id is not None:
        raise NotFoundError("no such request")
    return None if row is None else PersonRead.model_validate(row)


def parse_lang(lang: str | Lang | None, country: str | None) -> Lang:
    """The language asked for, else the organisation's default; anything else is a bad query."""
    if lang is None:
        return default_lang(country)
    try:
        return Lang(lang)
    except ValueError:
        raise QueryError(f"language {lang!r} is not one of fr, en") from None


def access_report(
    driver: Driver,
    database: str,
    settings: Settings,
    *,
    request_id: str | None = None,
    key: str | None = None,
    lang: str | Lang | None = None,
    now: datetime | None = None,
) -> AccessReport:
    """The report of the person the request is for (or whom ``key`` identifies).

    A key nobody has gives a report saying no data is held, with the rights and contacts still
    in it; an unknown request id is :class:`NotFoundError`.
    """
    catalog = read_catalog(settings)
    chosen = parse_lang(lang, catalog.country)
    read = _read(driver, database, request_id, key)
    return build_report(read, catalog, default_transfer_rules(), chosen, now or datetime.now(UTC))


def portability_export(
    driver: Driver,
    database: str,
    settings: Settings,
    *,
    request_id: str | None = None,
    key: str | None = None,
    now: datetime | None = None,
) -> PortabilityExport:
    """What lineage knows of the data the person provided under consent or contract, per
    system: each one listed holds the values and is asked for them."""
    catalog = read_catalog(settings)
    read = _read(driver, database, request_id, key)
    export = build_portability(read, catalog, now or datetime.now(UTC), request_id)
    return PortabilityExport.model_validate(export.model_dump())
