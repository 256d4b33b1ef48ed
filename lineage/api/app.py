"""The HTTP service: the webhook receiver and the query endpoints, assembled.

One module a job: :mod:`~lineage.api.webhooks` and :mod:`~lineage.api.receiver` take webhooks
in, :mod:`~lineage.api.sink` puts them on Kafka, :mod:`~lineage.api.queries`,
:mod:`~lineage.api.transfers`, :mod:`~lineage.api.erasure` and :mod:`~lineage.api.ropa` answer
questions behind :mod:`~lineage.api.access`, :mod:`~lineage.api.errors` maps every error to HTTP
in one place.
Run it with ``lineage serve``; the OpenAPI document is at ``/openapi.json``, browsable at ``/docs``
when ``LINEAGE_API_DOCS`` is set (:mod:`~lineage.api.docs`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from neo4j import Driver

from lineage.answers.connection import open_driver
from lineage.api import access_log
from lineage.api.admin import router as admin_router
from lineage.api.audit import router as audit_router
from lineage.api.breach import router as breach_router
from lineage.api.docs import router as docs_router
from lineage.api.erasure import router as erasure_router
from lineage.api.errors import install_error_handlers
from lineage.api.hsts import StrictTransportSecurity
from lineage.api.metrics import router as metrics_router
from lineage.api.queries import router as query_router
from lineage.api.rate_limits import FailedAttempts
from lineage.api.receiver import WebhookReceiver
from lineage.api.requests import router as requests_router
from lineage.api.ropa import router as ropa_router
from lineage.api.sink import RawPublisher, RawSink
from lineage.api.transfers import router as transfers_router
from lineage.api.webhooks import router as webhook_router
from lineage.log_hygiene import install_log_hygiene
from lineage.settings import Settings
from lineage.web import router as workspace_router
from lineage.web.admin_pages import router as admin_pages_router
from lineage.web.audit_pages import router as audit_pages_router
from lineage.web.breach_pages import router as breach_pages_router
from lineage.web.hold_pages import router as hold_pages_router
from lineage.web.oidc import router as oidc_router
from lineage.web.organisation_pages import router as organisation_pages_router
from lineage.web.request_pages import router as request_pages_router


def create_api(
    settings: Settings, sink: RawPublisher | None = None, graph_driver: Driver | None = None
) -> FastAPI:
    """The app; Kafka and Neo4j are injected by tests, else made here and closed with the app.

    Neither is contacted to build the app: the producer connects in the lifespan (and answers
    503 while Kafka is down), the driver on first use, so the API starts without either. Log
    hygiene is installed here, so however the app is served its logs carry no personal data.
    """
    install_log_hygiene(settings.secret_values())
    sink = sink or RawSink(settings.kafka, settings.api.publish_timeout_s, settings.api.max_body_bytes)
    driver = graph_driver or open_driver(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        dropper = access_log.install()
        await sink.start()
        try:
            yield
        finally:
            await sink.stop()
            driver.close()
            access_log.remove(dropper)

    api = FastAPI(
        title="lineage",
        lifespan=lifespan,
        docs_url=None,  # served from the package's own files, when enabled (lineage.api.docs)
        redoc_url=None,
        description="Source webhooks in, unchanged, onto Kafka raw topics; and the "
        "lineage queries (transfers, alerts, erasure) out.",
    )
    api.state.settings = settings
    api.state.receiver = WebhookReceiver(settings, sink)
    api.state.graph_driver = driver
    api.state.failed_attempts = FailedAttempts(settings)
    install_error_handlers(api)
    api.add_middleware(StrictTransportSecurity, trust_forwarded_proto=settings.api.trust_forwarded_proto)
    for router in (
        webhook_router,
        query_router,
        transfers_router,
        ropa_router,
        erasure_router,
        requests_router,
        breach_router,
        workspace_router,
        oidc_router,
        organisation_pages_router,
        audit_pages_router,
        admin_pages_router,
        hold_pages_router,
        request_pages_router,
        breach_pages_router,
        admin_router,
        audit_router,
        metrics_router,
    ):
        api.include_router(router)
    if settings.api.docs:
        api.include_router(docs_router)
    return api
