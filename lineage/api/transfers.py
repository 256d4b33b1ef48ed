"""The Chapter V endpoints: declared hops, observed flows, transfer impact, what-if.

The same answers as ``lineage transfers``, ``flows``, ``transfer-impact`` and ``what-if``
(:mod:`lineage.answers.transfers`), behind the query token like every query endpoint
(:mod:`lineage.api.access`). The catalog is read on each request, so an edited catalog is
answered from at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from lineage.answers import transfers as answers
from lineage.answers.catalog_file import read_catalog
from lineage.answers.transfers import DeclaredHops, ObservedFlows, TransferImpact, WhatIf
from lineage.api.access import AppSettings, GraphDriver, Viewer, checked

On = Annotated[
    str | None,
    checked(answers.parse_day, "not a YYYY-MM-DD date"),
    Query(description="Judge as of this date (YYYY-MM-DD); default today."),
]
Country = Annotated[
    str | None,
    checked(answers.parse_country, "not an ISO 3166-1 alpha-2 country code"),
    Query(description="ISO 3166-1 alpha-2 code (EL and UK accepted)."),
]

router = APIRouter(tags=["queries"])


@router.get("/transfers", summary="Every declared transfer hop and its verdict", response_model=DeclaredHops)
def transfers(_actor: Viewer, settings: AppSettings, on: On = None, unapproved: bool = False) -> DeclaredHops:
    return answers.declared_hops(read_catalog(settings), answers.parse_day(on), unapproved)


@router.get(
    "/flows",
    summary="Observed store-to-store flows with the verdict on each destination",
    response_model=ObservedFlows,
)
def flows(_actor: Viewer, settings: AppSettings, driver: GraphDriver, on: On = None) -> ObservedFlows:
    reader = answers.graph_reader(driver, settings.neo4j.database)
    return answers.observed_flows(reader, read_catalog(settings), answers.parse_day(on))


@router.get(
    "/transfer-impact", summary="Who and what reaches a country or a processor", response_model=TransferImpact
)
def transfer_impact(
    _actor: Viewer,
    settings: AppSettings,
    driver: GraphDriver,
    country: Country = None,
    processor: str | None = None,
    on: On = None,
) -> TransferImpact:
    reader = answers.graph_reader(driver, settings.neo4j.database)
    return answers.transfer_impact(reader, read_catalog(settings), answers.parse_day(on), country, processor)


@router.get(
    "/what-if",
    summary="Who a proposed processor move or new sub-processor would affect",
    response_model=WhatIf,
)
def what_if(
    _actor: Viewer,
    settings: AppSettings,
    driver: GraphDriver,
    processor: str,
    country: Country,
    sub_processor_of: str | None = None,
    on: On = None,
) -> WhatIf:
    reader = answers.graph_reader(driver, settings.neo4j.database)
    return answers.what_if(
        reader, read_catalog(settings), answers.parse_day(on), processor, country or "", sub_processor_of
    )
