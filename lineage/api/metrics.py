"""``GET /metrics``: the API process's Prometheus metrics.

Open unless ``LINEAGE_API_METRICS_TOKEN`` is set, then ``Authorization: Bearer <token>`` (what
Prometheus sends with ``authorization: {credentials: ...}`` in its scrape config). Not the query
token: that one opens the graph of people, and a scraper needs none of it. The metrics carry
counts per source, stage and error code only, never a person's data (:mod:`lineage.metrics`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lineage import metrics
from lineage.api.signatures import verify_shared_secret
from lineage.settings import Settings

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    summary="Prometheus metrics of this API process",
    responses={401: {"description": "LINEAGE_API_METRICS_TOKEN is set and was not sent"}},
)
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus text format: payloads received and refused per source, the Python process."""
    settings: Settings = request.app.state.settings
    token = settings.api.metrics_token
    if token is not None and token.get_secret_value():
        verify_shared_secret(
            token.get_secret_value().encode(), authorization=request.headers.get("authorization")
        )
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
