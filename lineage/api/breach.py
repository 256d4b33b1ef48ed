"""``/breaches``: personal data breaches (GDPR Art. 33-34) over HTTP, for the DPO's tools.

Same authentication and driver as the other query endpoints, and the same JSON as ``lineage
breach`` (both use :mod:`lineage.answers.breach`). Opening, notifying and closing need the act
permission and are recorded in the audit trail under the caller, who is also kept on the
breach; the list of people exposed (keyed hashes) needs the people permission and is recorded
as a look at people.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from lineage.answers import breach as answers
from lineage.answers.audit import audited
from lineage.answers.breach import AffectedSubject, Breach
from lineage.answers.catalog_file import read_catalog
from lineage.api.access import (
    Acting,
    AppSettings,
    GraphDriver,
    PeopleReader,
    Viewer,
    body_openapi,
    json_body,
    not_found_as,
)
from lineage.api.bodies import Bounded, Text
from lineage.domain.events import Identifier
from lineage.domain.requests import MAX_TEXT

router = APIRouter(tags=["breaches"])
NOT_FOUND = "no breach with this id"
Moment = Annotated[str, Field(min_length=10, max_length=40)]


class OpenBody(Bounded):
    store: Identifier | None = Field(None, max_length=200, description="The store breached")
    processor: Identifier | None = Field(
        None,
        max_length=200,
        description="The processor breached: every store its chain reaches",
    )
    exposed_from: Moment = Field(description="Exposure start: YYYY-MM-DD or ISO 8601 with offset")
    exposed_to: Moment = Field(description="Exposure end: YYYY-MM-DD or ISO 8601 with offset")
    aware_at: Moment | None = Field(None, description="When the organisation became aware; default now")
    description: Text = Field(description="What happened (no personal data)")


@router.post(
    "/breaches",
    status_code=201,
    response_model=Breach,
    summary="Open a personal data breach, sized from the graph (Art. 33)",
    openapi_extra=body_openapi(OpenBody),
)
def open_breach(
    actor: Acting, settings: AppSettings, driver: GraphDriver, body: Annotated[OpenBody, json_body(OpenBody)]
) -> Breach:
    target = f"store:{body.store}" if body.store else f"processor:{body.processor}"
    with audited(driver, settings, actor, "breach.open", target):
        return answers.open_breach(
            driver,
            settings.neo4j.database,
            read_catalog(settings),
            store=body.store,
            processor=body.processor,
            exposed_from=body.exposed_from,
            exposed_to=body.exposed_to,
            aware_at=body.aware_at,
            text=body.description,
            opened_by=actor.label,
        )


@router.get("/breaches", response_model=list[Breach], summary="Personal data breaches, latest first")
def list_breaches(_actor: Viewer, settings: AppSettings, driver: GraphDriver) -> list[Breach]:
    return answers.listed(driver, settings.neo4j.database, read_catalog(settings))


@router.get("/breaches/{breach_id}", response_model=Breach, summary="One breach")
def one_breach(breach_id: str, _actor: Viewer, settings: AppSettings, driver: GraphDriver) -> Breach:
    with not_found_as(NOT_FOUND):
        return answers.one(driver, settings.neo4j.database, breach_id, read_catalog(settings))


class AuthorityBody(Bounded):
    reference: str | None = Field(None, max_length=MAX_TEXT, description="The authority's reference")
    delay_reason: str | None = Field(
        None, max_length=MAX_TEXT, description="After 72 hours: the reasons for the delay (Art. 33(1))"
    )


@router.post(
    "/breaches/{breach_id}/notifications/authority",
    response_model=Breach,
    summary="Record the notification to the supervisory authority (Art. 33)",
    openapi_extra=body_openapi(AuthorityBody, optional=True),
)
def notify_authority(
    breach_id: str,
    actor: Acting,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[AuthorityBody, json_body(AuthorityBody, optional=True)],
) -> Breach:
    with audited(driver, settings, actor, "breach.notify.authority", breach_id), not_found_as(NOT_FOUND):
        return answers.notify_authority(
            driver,
            settings.neo4j.database,
            breach_id,
            actor.label,
            reference=body.reference,
            delay_reason=body.delay_reason,
            catalog=read_catalog(settings),
        )


class PeopleBody(Bounded):
    count: int | None = Field(None, ge=0, description="How many people were told; default all exposed")


@router.post(
    "/breaches/{breach_id}/notifications/people",
    response_model=Breach,
    summary="Record that the people concerned were told (Art. 34)",
    openapi_extra=body_openapi(PeopleBody, optional=True),
)
def notify_people(
    breach_id: str,
    actor: Acting,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[PeopleBody, json_body(PeopleBody, optional=True)],
) -> Breach:
    with audited(driver, settings, actor, "breach.notify.people", breach_id), not_found_as(NOT_FOUND):
        return answers.notify_people(
            driver,
            settings.neo4j.database,
            breach_id,
            actor.label,
            count=body.count,
            catalog=read_catalog(settings),
        )


class CloseBody(Bounded):
    note: Text = Field(description="Facts, effects and remedial action (Art. 33(5)); no personal data")


@router.post(
    "/breaches/{breach_id}/close",
    response_model=Breach,
    summary="Close a breach, documenting it (Art. 33(5))",
    openapi_extra=body_openapi(CloseBody),
)
def close_breach(
    breach_id: str,
    actor: Acting,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[CloseBody, json_body(CloseBody)],
) -> Breach:
    with audited(driver, settings, actor, "breach.close", breach_id), not_found_as(NOT_FOUND):
        return answers.close(
            driver, settings.neo4j.database, breach_id, body.note, actor.label, read_catalog(settings)
        )


@router.get(
    "/breaches/{breach_id}/subjects",
    response_model=list[AffectedSubject],
    summary="The people a breach exposed, by keyed hash, for the notification mailing (Art. 34)",
)
def breach_subjects(
    breach_id: str, actor: PeopleReader, settings: AppSettings, driver: GraphDriver
) -> list[AffectedSubject]:
    with audited(driver, settings, actor, "breach.subjects", breach_id), not_found_as(NOT_FOUND):
        return answers.affected(driver, settings.neo4j.database, breach_id)
