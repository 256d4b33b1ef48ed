"""The query endpoints: the CLI's answers over HTTP, for dashboards and DPO tooling.

Every endpoint needs ``Authorization: Bearer <LINEAGE_API_QUERY_TOKEN>``; without the setting they
answer 503, like an unconfigured webhook source. They are plain ``def`` handlers: FastAPI runs
them in its thread pool, where the blocking Neo4j driver belongs. The catalog is read on each
request, so an edited catalog is answered from at once.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from neo4j import Driver
from pydantic import BaseModel, Field

from graph.alerts import acknowledge, list_alerts
from graph.holds import list_holds
from graph.reader import GraphReader
from lineage.answers import retention
from lineage.answers import transfers as answers
from lineage.answers.catalog_file import read_catalog
from lineage.answers.subjects import subject_key
from lineage.api.signatures import verify_shared_secret
from lineage.errors import ConfigError, NotFoundError
from lineage.settings import Settings


class QueriesNotConfiguredError(ConfigError):
    """``LINEAGE_API_QUERY_TOKEN`` is unset: the graph is never served unauthenticated."""


def _authorised(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    token = settings.api.query_token
    if token is None or not token.get_secret_value():
        raise QueriesNotConfiguredError("query endpoints are off until LINEAGE_API_QUERY_TOKEN is set")
    verify_shared_secret(token.get_secret_value().encode(),
                         authorization=request.headers.get("authorization"))
    return settings


def _driver(request: Request) -> Driver:
    return request.app.state.graph_driver


Authorised = Annotated[Settings, Depends(_authorised)]
GraphDriver = Annotated[Driver, Depends(_driver)]
On = Annotated[str | None, Query(description="Judge as of this date (YYYY-MM-DD); default today.")]

router = APIRouter(tags=["queries"])


def _reader(settings: Settings, driver: Driver) -> GraphReader:
    return GraphReader(driver, settings.neo4j.database)


@router.get("/transfers", summary="Every declared transfer hop and its verdict")
def transfers(settings: Authorised, on: On = None, unapproved: bool = False) -> dict[str, Any]:
    return answers.declared_hops(read_catalog(settings), answers.parse_day(on), unapproved)


@router.get("/flows", summary="Observed store-to-store flows with the verdict on each destination")
def flows(settings: Authorised, driver: GraphDriver, on: On = None) -> dict[str, Any]:
    return answers.observed_flows(_reader(settings, driver), read_catalog(settings),
                                  answers.parse_day(on))


@router.get("/transfer-impact", summary="Who and what reaches a country or a processor")
def transfer_impact(settings: Authorised, driver: GraphDriver, country: str | None = None,
                    processor: str | None = None, on: On = None) -> dict[str, Any]:
    return answers.transfer_impact(_reader(settings, driver), read_catalog(settings),
                                   answers.parse_day(on), country, processor)


@router.get("/what-if", summary="Who a proposed processor move or new sub-processor would affect")
def what_if(settings: Authorised, driver: GraphDriver, processor: str, country: str,
            sub_processor_of: str | None = None, on: On = None) -> dict[str, Any]:
    return answers.what_if(_reader(settings, driver), read_catalog(settings), answers.parse_day(on),
                           processor, country, sub_processor_of)


@router.get("/alerts", summary="Alerts, newest first")
def alerts(settings: Authorised, driver: GraphDriver,
           status: Annotated[str | None, Query(pattern="^(open|acknowledged|closed)$")] = None,
           ) -> list[dict[str, Any]]:
    return list_alerts(driver, settings.neo4j.database, status)


@router.post("/alerts/{alert_id}/ack", summary="Acknowledge an open alert")
def acknowledge_alert(alert_id: str, settings: Authorised, driver: GraphDriver) -> dict[str, Any]:
    if not acknowledge(driver, settings.neo4j.database, alert_id):
        raise NotFoundError(f"no open alert {alert_id!r}")
    return {"id": alert_id, "status": "acknowledged"}


# --- retention and legal holds --------------------------------------------------------------

class HoldRequest(BaseModel):
    identifier: str = Field(description="e-mail address or system:native-id; hashed, never stored")
    reason: str
    stores: list[str] = []
    categories: list[str] = []
    until: str | None = Field(None, description="YYYY-MM-DD")


@router.get("/expiring", summary="Held data expiring before a date (held data listed apart)")
def expiring(settings: Authorised, driver: GraphDriver, before: str, store: str | None = None,
             category: str | None = None, subject_type: str | None = None) -> dict[str, Any]:
    return retention.expiring(driver, settings.neo4j.database, before, store, category, subject_type)


@router.get("/holds", summary="Legal holds in force (all with include_ended)")
def holds(settings: Authorised, driver: GraphDriver, include_ended: bool = False) -> list[dict[str, Any]]:
    return list_holds(driver, settings.neo4j.database, include_ended)


@router.post("/holds", status_code=201, summary="Place a legal hold on a person's data")
def add_hold(body: HoldRequest, settings: Authorised, driver: GraphDriver) -> dict[str, Any]:
    key = subject_key(settings, body.identifier)
    return retention.add_hold(driver, settings.neo4j.database, key, body.reason, body.stores,
                              body.categories, body.until)


@router.post("/holds/{hold_id}/release", summary="Release a legal hold")
def release_hold(hold_id: str, settings: Authorised, driver: GraphDriver,
                 reason: str = "released") -> dict[str, Any]:
    return retention.release_hold(driver, settings.neo4j.database, hold_id, reason)
