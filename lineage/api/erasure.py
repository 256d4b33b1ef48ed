"""``/erasure-requests``: GDPR Art. 17 requests over HTTP, for the DPO's ticketing tools.

Same authentication and driver as the other query endpoints, and the same JSON as
``lineage erasure`` (both use :mod:`lineage.answers.erasure`). The identifier comes in the body,
never the URL, so it stays out of access logs; it is hashed and not kept, and no answer names
it back.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lineage.answers import erasure as answers
from lineage.answers.subjects import subject_key
from lineage.api.access import Authorised, GraphDriver, body_openapi, checked, json_body, not_found_as

router = APIRouter(tags=["erasure"])


class ErasureRequestBody(BaseModel):
    identifier: str = Field(description="e-mail address, or system:native-id (hubspot:90512)")
    requested_by: str = Field(answers.DEFAULT_REQUESTER, description="Who asked, and how")
    received: Annotated[str | None, checked(
        answers.parse_received, "not a YYYY-MM-DD date nor an ISO 8601 time with its offset")] = Field(
        None, description="YYYY-MM-DD or ISO 8601 with offset; default now")


@router.post("/erasure-requests", status_code=201, summary="Open an erasure request (GDPR Art. 17)",
             openapi_extra=body_openapi(ErasureRequestBody))
def open_request(settings: Authorised, driver: GraphDriver,
                 body: Annotated[ErasureRequestBody, json_body(ErasureRequestBody)]) -> dict[str, Any]:
    key = subject_key(settings, body.identifier)
    return answers.open_request(driver, settings.neo4j.database, key, body.requested_by, body.received,
                                answers.own_copies(settings), answers.org_zone(settings))


class ExtensionBody(BaseModel):
    months: int = Field(ge=1, le=2, description="Further months: 1 or 2, at most 2 in all (Art. 12(3))")
    reason: str = Field(min_length=1, description="Why, as the person must be told (no personal data)")


@router.post("/erasure-requests/{request_id}/extend",
             summary="Extend an erasure request by up to two further months (GDPR Art. 12(3))",
             openapi_extra=body_openapi(ExtensionBody))
def extend_request(request_id: str, settings: Authorised, driver: GraphDriver,
                   body: Annotated[ExtensionBody, json_body(ExtensionBody)]) -> dict[str, Any]:
    with not_found_as("no erasure request with this id"):
        return answers.extend(driver, settings.neo4j.database, request_id, body.months, body.reason,
                              answers.own_copies(settings), answers.org_zone(settings))


@router.get("/erasure-requests", summary="Erasure requests, newest first, re-checked against the graph")
def list_requests(settings: Authorised, driver: GraphDriver) -> list[dict[str, Any]]:
    return answers.status(driver, settings.neo4j.database, copies=answers.own_copies(settings))


@router.get("/erasure-requests/{request_id}", summary="One erasure request, re-checked against the graph")
def one_request(request_id: str, settings: Authorised, driver: GraphDriver) -> dict[str, Any]:
    with not_found_as("no erasure request with this id"):
        return answers.status(driver, settings.neo4j.database, request_id,
                              answers.own_copies(settings))[0]
