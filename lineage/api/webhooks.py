"""``POST /webhooks/{source}``, ``POST /api/v1/lineage`` and ``GET /health``: the receiver's HTTP
face (the second is OpenLineage's HTTP transport path, for the ``openlineage`` source).

The order of checks is the order of cost: an unknown source or an unset secret is refused from
the URL alone, the body is read bounded, its signature checked, and only then is it parsed and
published (:class:`lineage.api.receiver.WebhookReceiver`).
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from lineage import metrics
from lineage.api.bodies import gunzipped, read_body
from lineage.api.errors import ERROR_RESPONSES, Responses, status_of
from lineage.api.receiver import Delivery, WebhookReceiver
from lineage.api.signatures import signed_uri
from lineage.errors import LineageError
from lineage.settings import Settings
from lineage.source_names import SOURCE_NAMES


class Published(BaseModel):
    published: bool
    topic: str


class Noted(BaseModel):
    published: bool
    note: str


def _receiver(request: Request) -> WebhookReceiver:
    return request.app.state.receiver


Receiver = Annotated[WebhookReceiver, Depends(_receiver)]
router = APIRouter(tags=["webhooks"])

_ANY_JSON = {"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}}
_RESPONSES: Responses = {
    **ERROR_RESPONSES,
    200: {"model": Noted, "description": "An SNS subscription message, logged; nothing published"},
}


@router.post(
    "/webhooks/{source}",
    status_code=202,
    response_model=Published,
    responses=_RESPONSES,
    openapi_extra=_ANY_JSON,
    summary="Receive one webhook of a source",
)
async def receive_webhook(source: str, request: Request, receiver: Receiver) -> Published | JSONResponse:
    """Publishes the body, byte for byte, to the source's raw topic once Kafka acknowledges it.

    Sources: brevo, hubspot, salesforce, greenhouse, s3, canonical, openlineage. HubSpot is
    checked with its v3 signature, Greenhouse with its `Signature` header, the others with a
    shared secret (`Authorization: Bearer <secret>`, or Basic auth with the secret as password).
    On s3, Amazon SNS subscription messages are answered 200 and logged for an operator, not
    published.
    """
    return await receive(source, request, receiver)


@router.post(
    "/api/v1/lineage",
    status_code=202,
    response_model=Published,
    responses=_RESPONSES,
    openapi_extra=_ANY_JSON,
    summary="Receive one OpenLineage event (HTTP transport)",
)
async def receive_openlineage(request: Request, receiver: Receiver) -> Published | JSONResponse:
    """OpenLineage's HTTP transport endpoint (its default path): one RunEvent, DatasetEvent or
    JobEvent as JSON, optionally `Content-Encoding: gzip`, with `Authorization: Bearer <api_key>`
    (the transport's `api_key` auth) set to `LINEAGE_API_OPENLINEAGE_TOKEN`. Published to the
    `openlineage` raw topic like any webhook; the worker maps datasets to stores."""
    return await receive("openlineage", request, receiver, inflate=True)


async def receive(
    source: str, request: Request, receiver: WebhookReceiver, *, inflate: bool = False
) -> Published | JSONResponse:
    """The receipt shared by every source, counted per source and, when refused, error code."""
    received_at_ms = time.time_ns() // 1_000_000
    label = source if source in SOURCE_NAMES else "unknown"
    try:
        receiver.topic_for(source)
        settings: Settings = request.app.state.settings
        body = await read_body(request, settings.api.max_body_bytes)
        if inflate:
            body = gunzipped(body, request.headers.get("content-encoding"), settings.api.max_body_bytes)
        delivery = Delivery(
            method=request.method,
            url=signed_uri(str(request.url), settings.api.public_url),
            headers=request.headers,
            body=body,
            received_at_ms=received_at_ms,
        )
        outcome = await receiver.receive(source, delivery)
    except LineageError as exc:
        metrics.PAYLOADS_REFUSED.labels(label, status_of(exc)[1]).inc()
        raise
    if not outcome.published:
        return JSONResponse(Noted(published=False, note=outcome.note or "").model_dump(), 200)
    metrics.PAYLOADS_RECEIVED.labels(source).inc()
    return Published(published=True, topic=outcome.topic)


@router.get("/health", summary="Whether Kafka answers", responses={503: {"description": "Kafka is down"}})
async def health(receiver: Receiver) -> JSONResponse:
    """200 when the broker answers a metadata request, else 503; with which sources have secrets."""
    answers = await receiver.sink.broker_answers()
    details = {
        "status": "ok" if answers else "unavailable",
        "kafka": {"answers": answers, "producer_ready": receiver.sink.ready},
        "sources_configured": receiver.configured(),
    }
    return JSONResponse(details, status_code=200 if answers else 503)
