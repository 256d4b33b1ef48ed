"""The query endpoints: the CLI's answers over HTTP, for dashboards and DPO tooling.

Every endpoint needs ``Authorization: Bearer <LINEAGE_API_QUERY_TOKEN>``, checked before any body
is read (:mod:`lineage.api.access`); without the setting they answer 503, like an unconfigured
webhook source. They are plain ``def`` handlers: FastAPI runs them in its thread pool, where the
blocking Neo4j driver belongs. The catalog is read on each request, so an edited catalog is
answered from at once.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from graph.alerts import acknowledge, list_alerts
from graph.holds import list_holds
from graph.reader import GraphReader
from lineage.answers import retention
from lineage.answers import subjects as people
from lineage.answers import transfers as answers
from lineage.answers.catalog_file import read_catalog
from lineage.answers.erasure import org_zone
from lineage.answers.subjects import subject_key
from lineage.api.access import Authorised, GraphDriver, body_openapi, checked, json_body, not_found_as
from lineage.errors import NotFoundError
from lineage.settings import Settings

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
Before = Annotated[
    str,
    checked(lambda value: retention.parse_date(value, "before"), "not a YYYY-MM-DD date"),
    Query(description="YYYY-MM-DD"),
]

router = APIRouter(tags=["queries"])


def _reader(settings: Settings, driver: GraphDriver) -> GraphReader:
    return GraphReader(driver, settings.neo4j.database)


# --- one person: the questions lineage exists for -------------------------------------------


class IdentifierBody(BaseModel):
    """A person, named in the body so the identifier never reaches a URL or an access log."""

    model_config = ConfigDict(extra="forbid")
    identifier: str = Field(
        min_length=1,
        max_length=512,
        description=("e-mail address, or system:native-id (hubspot:90512); hashed, never kept"),
    )


@router.post(
    "/subject", summary="One person's data map (GDPR Art. 15)", openapi_extra=body_openapi(IdentifierBody)
)
def subject(
    settings: Authorised, driver: GraphDriver, body: Annotated[IdentifierBody, json_body(IdentifierBody)]
) -> dict[str, Any]:
    """Same JSON as ``lineage subject --json``; nobody known gives ``subject: null``, not 404,
    so the answer does not reveal more than the CLI's does."""
    return people.data_map(driver, settings.neo4j.database, subject_key(settings, body.identifier))


@router.post(
    "/erasure-impact",
    summary="Everything to erase for one person (GDPR Art. 17)",
    openapi_extra=body_openapi(IdentifierBody),
)
def erasure_impact(
    settings: Authorised, driver: GraphDriver, body: Annotated[IdentifierBody, json_body(IdentifierBody)]
) -> dict[str, Any]:
    """Same JSON as ``lineage erasure-impact --json``."""
    return people.erasure_impact(driver, settings.neo4j.database, subject_key(settings, body.identifier))


@router.get("/transfers", summary="Every declared transfer hop and its verdict")
def transfers(settings: Authorised, on: On = None, unapproved: bool = False) -> dict[str, Any]:
    return answers.declared_hops(read_catalog(settings), answers.parse_day(on), unapproved)


@router.get("/flows", summary="Observed store-to-store flows with the verdict on each destination")
def flows(settings: Authorised, driver: GraphDriver, on: On = None) -> dict[str, Any]:
    return answers.observed_flows(_reader(settings, driver), read_catalog(settings), answers.parse_day(on))


@router.get("/transfer-impact", summary="Who and what reaches a country or a processor")
def transfer_impact(
    settings: Authorised,
    driver: GraphDriver,
    country: Country = None,
    processor: str | None = None,
    on: On = None,
) -> dict[str, Any]:
    return answers.transfer_impact(
        _reader(settings, driver), read_catalog(settings), answers.parse_day(on), country, processor
    )


@router.get("/what-if", summary="Who a proposed processor move or new sub-processor would affect")
def what_if(
    settings: Authorised,
    driver: GraphDriver,
    processor: str,
    country: Country,
    sub_processor_of: str | None = None,
    on: On = None,
) -> dict[str, Any]:
    return answers.what_if(
        _reader(settings, driver),
        read_catalog(settings),
        answers.parse_day(on),
        processor,
        country or "",
        sub_processor_of,
    )


@router.get("/alerts", summary="Alerts, newest first")
def alerts(
    settings: Authorised,
    driver: GraphDriver,
    status: Annotated[str | None, Query(pattern="^(open|acknowledged|closed)$")] = None,
) -> list[dict[str, Any]]:
    return list_alerts(driver, settings.neo4j.database, status)


@router.post("/alerts/{alert_id}/ack", summary="Acknowledge an open alert")
def acknowledge_alert(alert_id: str, settings: Authorised, driver: GraphDriver) -> dict[str, Any]:
    if not acknowledge(driver, settings.neo4j.database, alert_id):
        raise NotFoundError("no open alert with this id")
    return {"id": alert_id, "status": "acknowledged"}


# --- retention and legal holds --------------------------------------------------------------


class HoldRequest(BaseModel):
    identifier: str = Field(description="e-mail address or system:native-id; hashed, never stored")
    reason: str
    stores: list[str] = []
    categories: list[str] = []
    until: Annotated[
        str | None, checked(lambda value: retention.parse_date(value, "until"), "not a YYYY-MM-DD date")
    ] = Field(None, description="YYYY-MM-DD")


class ReleaseRequest(BaseModel):
    reason: str = Field("released", description="Why the hold ends (the case closed, the inquiry)")


# Pages of holdings: the default keeps an answer on a large graph well under two seconds.
EXPIRING_PAGE_DEFAULT = 20_000
Cursor = Annotated[
    str | None,
    checked(retention.parse_cursor, "not a cursor this service gave"),
    Query(description="next_cursor of the previous page"),
]


@router.get("/expiring", summary="Held data expiring before a date (held data listed apart), by pages")
def expiring(
    settings: Authorised,
    driver: GraphDriver,
    before: Before,
    store: str | None = None,
    category: str | None = None,
    subject_type: str | None = None,
    limit: Annotated[
        int, Query(ge=1, le=1_000_000, description="holdings per page, in expiry order")
    ] = EXPIRING_PAGE_DEFAULT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return retention.expiring(
        driver,
        settings.neo4j.database,
        before,
        store,
        category,
        subject_type,
        limit,
        cursor,
        org_zone(settings),
    )


@router.get("/holds", summary="Legal holds in force (all with include_ended)")
def holds(settings: Authorised, driver: GraphDriver, include_ended: bool = False) -> list[dict[str, Any]]:
    return list_holds(driver, settings.neo4j.database, include_ended)


@router.post(
    "/holds",
    status_code=201,
    summary="Place a legal hold on a person's data",
    openapi_extra=body_openapi(HoldRequest),
)
def add_hold(
    settings: Authorised, driver: GraphDriver, body: Annotated[HoldRequest, json_body(HoldRequest)]
) -> dict[str, Any]:
    key = subject_key(settings, body.identifier)
    return retention.add_hold(
        driver,
        settings.neo4j.database,
        key,
        body.reason,
        body.stores,
        body.categories,
        body.until,
        org_zone(settings),
    )


@router.post(
    "/holds/{hold_id}/release",
    summary="Release a legal hold",
    openapi_extra=body_openapi(ReleaseRequest, optional=True),
)
def release_hold(
    hold_id: str,
    settings: Authorised,
    driver: GraphDriver,
    body: Annotated[ReleaseRequest, json_body(ReleaseRequest, optional=True)],
) -> dict[str, Any]:
    """The reason comes in the body (optional), not the query string: free text stays out of logs."""
    with not_found_as("no active hold with this id"):
        return retention.release_hold(driver, settings.neo4j.database, hold_id, body.reason)
