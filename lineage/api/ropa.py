"""``GET /ropa``: the record of processing activities (GDPR Art. 30) over HTTP.

Same authentication and driver as the other query endpoints, and the same record as
``lineage ropa`` (both build it with :mod:`lineage.answers.ropa`). CSV is answered as
``text/csv`` so a browser or a DPO's tooling saves it as the spreadsheet it is.
``GET /ropa/processor`` answers the processor's record (Art. 30(2)) the same way.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from lineage.answers import ropa as answers
from lineage.answers.catalog_file import read_catalog
from lineage.answers.transfers import parse_day
from lineage.api.access import AppSettings, GraphDriver, Viewer, checked
from lineage.api.errors import Responses
from lineage.api.transfers import On
from lineage.domain.ropa import ProcessorRow, RopaRow, processor_record_csv, ropa_csv

router = APIRouter(tags=["queries"])

Format = Annotated[
    str,
    checked(answers.parse_format, "not json nor csv"),
    Query(alias="format", description="json (default) or csv"),
]
_CSV_RESPONSE: Responses = {
    200: {
        "content": {"text/csv": {}, "application/json": {}},
        "description": "The record, one row per processing activity",
    }
}


@router.get(
    "/ropa",
    summary="The record of processing activities (GDPR Art. 30)",
    response_model=list[RopaRow],
    responses=_CSV_RESPONSE,
)
def ropa(
    _actor: Viewer, settings: AppSettings, driver: GraphDriver, fmt: Format = "json", on: On = None
) -> list[RopaRow] | Response:
    chosen = answers.parse_format(fmt)
    rows = answers.record(driver, settings.neo4j.database, read_catalog(settings), parse_day(on))
    return _csv(ropa_csv(rows), "ropa.csv") if chosen == "csv" else rows


@router.get(
    "/ropa/processor",
    summary="The processor's record (GDPR Art. 30(2)): processing carried out for clients",
    response_model=list[ProcessorRow],
    responses=_CSV_RESPONSE,
)
def processor_record(
    _actor: Viewer, settings: AppSettings, fmt: Format = "json", on: On = None
) -> list[ProcessorRow] | Response:
    chosen = answers.parse_format(fmt)
    entries = answers.processors_record(read_catalog(settings), parse_day(on))
    return _csv(processor_record_csv(entries), "ropa-processor.csv") if chosen == "csv" else entries


def _csv(text: str, filename: str) -> Response:
    return Response(
        text, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
