"""The query endpoints: the CLI's answers over HTTP, for dashboards and DPO tooling.

Every endpoint needs ``Authorization: Bearer <token>`` of a role that carries its permission,
checked before any body is read (:mod:`lineage.api.access`); looking a person up and every
change are recorded in the audit trail. They are plain ``def`` handlers: FastAPI runs them in
its thread pool, where the blocking Neo4j driver belongs. The catalog is read on each request,
so an edited catalog is answered from at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from lineage.answers import alerts as alert_answers
from lineage.answers import holds as hold_answers
from lineage.answers import overview as morning
from lineage.answers import retention
from lineage.answers import subjects as people
from lineage.answers.alerts import Alert, AlertAcknowledged
from lineage.answers.audit import audited
from lineage.answers.catalog_file import read_catalog
from lineage.answers.erasure import org_zone
from lineage.answers.holds import Hold, HoldPlaced, HoldReleased, HoldScope
from lineage.answers.overview import Overview
from lineage.answers.retention import ExpiringPage
from lineage.answers.subjects import DataMap, ErasureImpact, subject_key
from lineage.api.access import (
    Acting,
    AppSettings,
    GraphDriver,
    PeopleReader,
    Viewer,
    body_openapi,
    checked,
    json_body,
    not_found_as,
)
from lineage.domain.requests import MAX_TEXT

Before = Annotated[
    str,
    checked(lambda value: retention.parse_date(value, "before"), "not a YYYY-MM-DD date"),
    Query(description="YYYY-MM-DD"),
]

router = APIRouter(tags=["queries"])


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
    "/subject",
    response_model=DataMap,
    summary="One person's data map (GDPR Art. 15)",
    openapi_extra=body_openapi(IdentifierBody),
)
def subject(
    actor: PeopleReader,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[IdentifierBody, json_body(IdentifierBody)],
) -> DataMap:
    """Same JSON as ``lineage subject --json``; nobody known gives ``subject: null``, not 404,
    so the answer does not reveal more than the CLI's does."""
    key = subject_key(settings, body.identifier)
    with audited(driver, settings, actor, "person.lookup", key):
        return people.data_map(driver, settings.neo4j.database, key, read_catalog(settings))


@router.post(
    "/erasure-impact",
    response_model=ErasureImpact,
    summary="Everything to erase for one person (GDPR Art. 17)",
    openapi_extra=body_openapi(IdentifierBody),
)
def erasure_impact(
    actor: PeopleReader,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[IdentifierBody, json_body(IdentifierBody)],
) -> ErasureImpact:
    """Same JSON as ``lineage erasure-impact --json``."""
    key = subject_key(settings, body.identifier)
    with audited(driver, settings, actor, "person.erasure_impact", key):
        return people.erasure_impact(driver, settings.neo4j.database, key)


@router.get(
    "/overview",
    response_model=Overview,
    summary="What needs action: open alerts by kind, requests overdue or due this week, data expiring",
)
def overview(_actor: Viewer, settings: AppSettings, driver: GraphDriver) -> Overview:
    """Same JSON as ``lineage overview --json``; the workspace opens on it."""
    return morning.overview(driver, settings.neo4j.database, org_zone(settings))


@router.get("/alerts", response_model=list[Alert], summary="Alerts, newest first")
def alerts(
    _actor: Viewer,
    settings: AppSettings,
    driver: GraphDriver,
    status: Annotated[str | None, Query(pattern="^(open|acknowledged|closed)$")] = None,
) -> list[Alert]:
    """Same JSON as ``lineage alerts --json``."""
    return alert_answers.listed(driver, settings.neo4j.database, status)


@router.post("/alerts/{alert_id}/ack", response_model=AlertAcknowledged, summary="Acknowledge an open alert")
def acknowledge_alert(
    alert_id: str, actor: Acting, settings: AppSettings, driver: GraphDriver
) -> AlertAcknowledged:
    with audited(driver, settings, actor, "alert.ack", alert_id):
        return alert_answers.acknowledge(driver, settings.neo4j.database, alert_id, actor.label)


# --- retention and legal holds --------------------------------------------------------------


Key = Annotated[str, Field(min_length=1, max_length=200)]


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: HoldScope = Field(
        HoldScope.PERSON,
        description="What is held: a person (identifier), a store or a system (target), or the "
        "whole organisation",
    )
    identifier: str | None = Field(
        None,
        min_length=1,
        max_length=512,
        description="A person's hold: e-mail address or system:native-id; hashed, never stored",
    )
    target: Key | None = Field(None, description="A store or system hold: the store or system id")
    reason: str = Field(
        min_length=1, max_length=MAX_TEXT, description="Why the data is kept (no personal data)"
    )
    stores: list[Key] = Field(
        [], max_length=100, description="A person's hold: only these stores (default: all)"
    )
    categories: list[Key] = Field([], max_length=100, description="Only these categories (default: all)")
    until: Annotated[
        str | None, checked(lambda value: retention.parse_date(value, "until"), "not a YYYY-MM-DD date")
    ] = Field(None, max_length=40, description="YYYY-MM-DD")


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(
        "released",
        min_length=1,
        max_length=MAX_TEXT,
        description="Why the hold ends (the case closed, the inquiry)",
    )


# Pages of holdings: the default keeps an answer on a large graph well under two seconds.
EXPIRING_PAGE_DEFAULT = 20_000
On = Annotated[
    str | None,
    checked(lambda value: retention.parse_date(value, "on"), "not a YYYY-MM-DD date"),
    Query(description="YYYY-MM-DD: judge the states on that day (default: now)"),
]
Cursor = Annotated[
    str | None,
    checked(retention.parse_cursor, "not a cursor this service gave"),
    Query(description="next_cursor of the previous page"),
]


@router.get(
    "/expiring",
    response_model=ExpiringPage,
    summary="Held data expiring before a date (held data listed apart), by pages",
)
def expiring(
    _actor: Viewer,
    settings: AppSettings,
    driver: GraphDriver,
    before: Before,
    store: str | None = None,
    category: str | None = None,
    subject_type: str | None = None,
    limit: Annotated[
        int, Query(ge=1, le=retention.MAX_PAGE, description="holdings per page, in expiry order")
    ] = EXPIRING_PAGE_DEFAULT,
    cursor: Cursor = None,
    on: On = None,
) -> ExpiringPage:
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
        on=on,
    )


@router.get("/holds", response_model=list[Hold], summary="Legal holds in force (all with include_ended)")
def holds(
    _actor: Viewer, settings: AppSettings, driver: GraphDriver, include_ended: bool = False
) -> list[Hold]:
    return hold_answers.listed_holds(driver, settings.neo4j.database, include_ended)


@router.post(
    "/holds",
    status_code=201,
    response_model=HoldPlaced,
    summary="Place a legal hold on a person, a store, a system or the organisation",
    openapi_extra=body_openapi(HoldRequest),
)
def add_hold(
    actor: Acting,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[HoldRequest, json_body(HoldRequest)],
) -> HoldPlaced:
    key = subject_key(settings, body.identifier) if body.identifier else None
    on = hold_answers.hold_on(body.scope, key, body.target)
    with audited(driver, settings, actor, "hold.place", on.audit_target):
        return hold_answers.add_hold(
            driver,
            settings.neo4j.database,
            on,
            body.reason,
            body.stores,
            body.categories,
            body.until,
            org_zone(settings),
            placed_by=actor.label,
        )


@router.post(
    "/holds/{hold_id}/release",
    response_model=HoldReleased,
    summary="Release a legal hold",
    openapi_extra=body_openapi(ReleaseRequest, optional=True),
)
def release_hold(
    hold_id: str,
    actor: Acting,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[ReleaseRequest, json_body(ReleaseRequest, optional=True)],
) -> HoldReleased:
    """The reason comes in the body (optional), not the query string: free text stays out of logs."""
    with (
        audited(driver, settings, actor, "hold.release", hold_id),
        not_found_as("no active hold with this id"),
    ):
        return hold_answers.release_hold(
            driver, settings.neo4j.database, hold_id, body.reason, released_by=actor.label
        )
