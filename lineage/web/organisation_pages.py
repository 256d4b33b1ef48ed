"""The workspace's organisation-wide pages, under ``/ui``: transfers, what-if, the RoPA.

The same answers as ``lineage transfers``/``transfer-impact``/``what-if`` and ``lineage ropa``
(:mod:`lineage.answers`), rendered from their models. Nobody is named on these pages, so they
are plain GETs with the day judged in the query string.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from neo4j import Driver

from lineage.answers import ropa
from lineage.answers import transfers as chapter5
from lineage.answers.catalog_file import read_catalog
from lineage.domain.ropa import RopaRow, describe_dpo, processor_record_csv, ropa_csv
from lineage.settings import Settings
from lineage.web import session as sessions
from lineage.web.render import PageRoute, page
from lineage.web.session import Viewer

router = APIRouter(prefix=sessions.PATH, route_class=PageRoute, include_in_schema=False)


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _driver(request: Request) -> Driver:
    return request.app.state.graph_driver


@router.get("/transfers")
def transfers(
    request: Request, session: Viewer, on: str | None = None, country: str | None = None
) -> Response:
    """Every country reached, worst verdict first; one country's exact impact when asked."""
    settings = _settings(request)
    reader = chapter5.graph_reader(_driver(request), settings.neo4j.database)
    catalog, day = read_catalog(settings), chapter5.parse_day(on or None)
    impact = chapter5.transfer_impact(reader, catalog, day, country) if country else None
    return page(
        request,
        "transfers.html",
        session,
        answer=chapter5.countries_reached(reader, catalog, day),
        impact=impact,
        on=on or "",
        processors=catalog.processors,
    )


@router.get("/what-if")
def what_if(
    request: Request,
    session: Viewer,
    processor: str,
    country: str,
    sub_processor_of: str | None = None,
    on: str | None = None,
) -> Response:
    settings = _settings(request)
    reader = chapter5.graph_reader(_driver(request), settings.neo4j.database)
    catalog, day = read_catalog(settings), chapter5.parse_day(on or None)
    answer = chapter5.what_if(reader, catalog, day, processor, country, sub_processor_of or None)
    return page(
        request,
        "what_if.html",
        session,
        answer=answer,
        asked={"processor": processor, "country": country, "sub_processor_of": sub_processor_of},
    )


def _ropa_rows(request: Request, on: str | None) -> list[RopaRow]:
    settings = _settings(request)
    return ropa.record(
        _driver(request), settings.neo4j.database, read_catalog(settings), chapter5.parse_day(on or None)
    )


@router.get("/ropa")
def ropa_page(request: Request, session: Viewer, on: str | None = None) -> Response:
    """The controller's record, then the processor's record (Art. 30(2)) when there is one."""
    rows = _ropa_rows(request, on)
    catalog = read_catalog(_settings(request))
    clients = ropa.processors_record(catalog, chapter5.parse_day(on or None))
    return page(
        request,
        "ropa.html",
        session,
        rows=rows,
        clients=clients,
        dpo=describe_dpo(catalog),
        controller=catalog.organisation,
        summary=ropa.summary(rows),
    )


@router.get("/ropa.csv")
def ropa_download(
    request: Request, _session: Viewer, on: str | None = None, record: str | None = None
) -> Response:
    """The controller's record, or with ``record=processor`` the processor's, as CSV."""
    if ropa.parse_record_kind(record) == "processor":
        catalog = read_catalog(_settings(request))
        text, name = (
            processor_record_csv(ropa.processors_record(catalog, chapter5.parse_day(on or None))),
            "ropa-processor.csv",
        )
    else:
        text, name = ropa_csv(_ropa_rows(request, on)), "ropa.csv"
    return Response(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
