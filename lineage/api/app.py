"""The HTTP service: the webhook receiver, and the query endpoints of :mod:`lineage.api.queries`.

The receiver verifies the sender, checks the body is JSON and publishes it unchanged.

A 2xx answer means Kafka has the payload: it is sent with ``acks=all`` and awaited, so a source
that gets 202 may forget it, and one that gets 503 retries (every source retries on 5xx). The
raw bytes are published exactly as received: adapters, and the dead-letter topic, see what the
source sent. A request may be published twice (a retry after a send that timed out here but
landed); the worker's writes are idempotent, so that is harmless.

The service code raises lineage's domain errors; :data:`ERROR_STATUS` maps them to HTTP in one
place. Run it with ``lineage serve``; the OpenAPI page is at ``/docs``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from neo4j.exceptions import DriverError
from pydantic import BaseModel

from graph.connection import open_driver
from lineage.answers.transfers import QueryError
from lineage.api.erasure import router as erasure_router
from lineage.api.queries import QueriesNotConfiguredError
from lineage.api.queries import router as query_router
from lineage.api.ropa import router as ropa_router
from lineage.api.signatures import (
    SignatureError,
    signed_uri,
    verify_greenhouse,
    verify_hubspot_v3,
    verify_shared_secret,
)
from lineage.errors import ConfigError, LineageError, NotFoundError, UnknownSourceError
from lineage.settings import Settings
from streams.admin import broker_answers
from streams.topics import Topics

log = logging.getLogger(__name__)


# --- the receiver's own errors ------------------------------------------------------------

class SourceNotConfiguredError(ConfigError):
    """The source is known but its secret is not set: refuse rather than accept unsigned traffic."""


class PayloadTooLargeError(LineageError):
    """The body is over ``LINEAGE_API_MAX_BODY_BYTES``."""


class PayloadNotJsonError(LineageError):
    """The body is not one UTF-8 JSON document."""


class PublishError(LineageError):
    """Kafka did not acknowledge the payload in time; the source must retry."""


# --- verification per source ---------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    """One webhook request, as much of it as a verifier needs."""

    method: str
    url: str  # the URL the sender called (see signatures.signed_uri)
    headers: Mapping[str, str]  # case-insensitive (Starlette's Headers)
    body: bytes


Verifier = Callable[[bytes, Delivery], None]


def _hubspot(secret: bytes, delivery: Delivery) -> None:
    verify_hubspot_v3(secret, method=delivery.method, uri=delivery.url, body=delivery.body,
                      signature=delivery.headers.get("x-hubspot-signature-v3"),
                      timestamp=delivery.headers.get("x-hubspot-request-timestamp"))


def _greenhouse(secret: bytes, delivery: Delivery) -> None:
    verify_greenhouse(secret, body=delivery.body, signature=delivery.headers.get("signature"))


def _shared_secret(secret: bytes, delivery: Delivery) -> None:
    verify_shared_secret(secret, authorization=delivery.headers.get("authorization"))


@dataclass(frozen=True)
class SourceAuth:
    setting: str  # the ApiSettings field holding the source's secret
    verify: Verifier


SOURCE_AUTH: dict[str, SourceAuth] = {
    "brevo": SourceAuth("brevo_token", _shared_secret),
    "hubspot": SourceAuth("hubspot_client_secret", _hubspot),
    "salesforce": SourceAuth("salesforce_token", _shared_secret),
    "greenhouse": SourceAuth("greenhouse_secret", _greenhouse),
    "s3": SourceAuth("s3_token", _shared_secret),
    "canonical": SourceAuth("canonical_token", _shared_secret),
}


# --- Kafka -----------------------------------------------------------------------------------

class RawSink:
    """The one producer of the process, started with the app and restarted lazily.

    The app starts even when Kafka is down (it answers 503 until Kafka is back) so an outage at
    deploy time does not turn into a crash loop. ``request_timeout_ms`` equals the publish
    timeout so a batch abandoned by a timed-out request expires instead of lingering. Requests
    may be a little larger than the body limit so that the broker's own ``message.max.bytes``
    decides, not a client default.
    """

    def __init__(self, bootstrap: str, timeout_s: float, max_body_bytes: int) -> None:
        self._bootstrap = bootstrap
        self._timeout_s = timeout_s
        self._max_request_size = max_body_bytes + 64 * 1024  # record and batch headers
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    @property
    def ready(self) -> bool:
        return self._producer is not None

    async def start(self) -> None:
        """Connects if it can; a failure is logged, not raised (the next publish retries)."""
        with contextlib.suppress(PublishError):
            await self._ensure_started()

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def publish(self, topic: str, payload: bytes) -> None:
        """Returns once the broker has the payload (acks=all).

        Raises :class:`PublishError` when Kafka is down or slow (the source should retry), and
        :class:`PayloadTooLargeError` when Kafka will never take a message this large.
        """
        producer = await self._ensure_started()
        try:
            await asyncio.wait_for(producer.send_and_wait(topic, payload), self._timeout_s)
        except MessageSizeTooLargeError as exc:  # 503 would have the source retry it forever
            raise PayloadTooLargeError(
                f"Kafka refuses a {len(payload)}-byte message (broker or topic message.max.bytes)"
            ) from exc
        except (KafkaError, TimeoutError) as exc:
            log.warning("publish to %s failed: %s", topic, type(exc).__name__)
            raise PublishError(f"Kafka did not acknowledge the payload: {type(exc).__name__}") from exc

    async def broker_answers(self) -> bool:
        """A fresh metadata round trip, independent of the producer's cached state."""
        check = asyncio.to_thread(broker_answers, self._bootstrap, min(self._timeout_s, 3.0))
        try:
            return await asyncio.wait_for(check, self._timeout_s)
        except TimeoutError:
            return False

    async def _ensure_started(self) -> AIOKafkaProducer:
        if self._producer is not None:
            return self._producer
        if self._starting.locked():  # another request is connecting: do not queue behind it
            raise PublishError("Kafka is not reachable yet")
        async with self._starting:
            producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all",
                                        request_timeout_ms=int(self._timeout_s * 1000),
                                        max_request_size=self._max_request_size)
            try:
                await asyncio.wait_for(producer.start(), self._timeout_s)
            except (KafkaError, OSError, TimeoutError) as exc:
                with contextlib.suppress(Exception):
                    await producer.stop()
                log.warning("Kafka at %s is not reachable: %s", self._bootstrap, exc)
                raise PublishError(f"Kafka is not reachable: {type(exc).__name__}") from exc
            self._producer = producer
            return producer


# --- the service ---------------------------------------------------------------------------

def _require_json(body: bytes) -> None:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    try:
        json.loads(body.decode("utf-8"), parse_constant=refuse)
    except UnicodeDecodeError as exc:
        raise PayloadNotJsonError(f"body is not UTF-8: {exc.reason} at byte {exc.start}") from exc
    except ValueError as exc:
        raise PayloadNotJsonError(f"body is not valid JSON: {exc}") from exc


class WebhookReceiver:
    """Verify, validate, publish; knows nothing of HTTP status codes."""

    def __init__(self, settings: Settings, sink: RawSink) -> None:
        self._settings = settings
        self._topics = Topics(settings.topic_namespace)
        self.sink = sink

    def topic_for(self, source: str) -> str:
        """The source's raw topic; unknown sources and unset secrets are refused before the body is read."""
        if source not in SOURCE_AUTH:
            raise UnknownSourceError(f"unknown source {source!r}; known: {', '.join(SOURCE_AUTH)}")
        topic = self._topics.raw(source).name
        self._secret(source)
        return topic

    def configured(self) -> dict[str, bool]:
        return {source: self._secret_or_none(source) is not None for source in SOURCE_AUTH}

    async def receive(self, source: str, delivery: Delivery) -> str:
        """Publishes an authentic JSON body unchanged; returns the topic it is on."""
        topic = self.topic_for(source)
        try:
            SOURCE_AUTH[source].verify(self._secret(source), delivery)
        except SignatureError as exc:
            log.warning("refused a %s webhook: %s", source, exc.reason)
            raise
        _require_json(delivery.body)
        await self.sink.publish(topic, delivery.body)
        return topic

    def _secret_or_none(self, source: str) -> bytes | None:
        secret = getattr(self._settings.api, SOURCE_AUTH[source].setting)
        return secret.get_secret_value().encode() if secret and secret.get_secret_value() else None

    def _secret(self, source: str) -> bytes:
        secret = self._secret_or_none(source)
        if secret is None:
            variable = f"LINEAGE_API_{SOURCE_AUTH[source].setting.upper()}"
            raise SourceNotConfiguredError(
                f"{source} webhooks are refused until {variable} is set: unsigned traffic is "
                "never accepted")
        return secret


# --- HTTP ----------------------------------------------------------------------------------

class Published(BaseModel):
    published: bool
    topic: str


class ErrorBody(BaseModel):
    error: str
    reason: str


# The one place where domain errors become status codes; the first matching class wins.
ERROR_STATUS: tuple[tuple[type[LineageError], int, str], ...] = (
    (UnknownSourceError, 404, "unknown_source"),
    (NotFoundError, 404, "not_found"),
    (SignatureError, 401, "unauthorized"),
    (QueryError, 400, "bad_query"),
    (PayloadTooLargeError, 413, "payload_too_large"),
    (PayloadNotJsonError, 400, "invalid_json"),
    (SourceNotConfiguredError, 503, "source_not_configured"),
    (QueriesNotConfiguredError, 503, "queries_not_configured"),
    (PublishError, 503, "kafka_unavailable"),
)


async def _graph_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("Neo4j did not answer a query: %s", exc)
    return JSONResponse(ErrorBody(error="graph_unavailable", reason=type(exc).__name__).model_dump(), 503)


async def _error_response(_request: Request, exc: Exception) -> JSONResponse:
    status, error = next(((s, e) for kind, s, e in ERROR_STATUS if isinstance(exc, kind)),
                         (500, "internal_error"))
    headers = {"WWW-Authenticate": 'Bearer realm="lineage"'} if status == 401 else None
    return JSONResponse(ErrorBody(error=error, reason=str(exc)).model_dump(), status, headers)


def _receiver(request: Request) -> WebhookReceiver:
    return request.app.state.receiver


Receiver = Annotated[WebhookReceiver, Depends(_receiver)]
router = APIRouter()


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes ``limit``: never buffers more than that."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"body of {declared} bytes is over the {limit}-byte limit")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLargeError(f"body is over the {limit}-byte limit")
    return bytes(body)


_ERRORS = {status: {"model": ErrorBody} for status in (400, 401, 404, 413, 503)}
_ANY_JSON = {"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}}


@router.post("/webhooks/{source}", status_code=202, response_model=Published, responses=_ERRORS,
             openapi_extra=_ANY_JSON, summary="Receive one webhook of a source")
async def receive_webhook(source: str, request: Request, receiver: Receiver) -> Published:
    """Publishes the body, byte for byte, to the source's raw topic once Kafka acknowledges it.

    Sources: brevo, hubspot, salesforce, greenhouse, s3, canonical. HubSpot is checked with its
    v3 signature, Greenhouse with its `Signature` header, the others with a shared secret
    (`Authorization: Bearer <secret>`, or Basic auth with the secret as password).
    """
    receiver.topic_for(source)
    settings: Settings = request.app.state.settings
    delivery = Delivery(method=request.method,
                        url=signed_uri(str(request.url), settings.api.public_url),
                        headers=request.headers,
                        body=await _read_body(request, settings.api.max_body_bytes))
    return Published(published=True, topic=await receiver.receive(source, delivery))


@router.get("/health", summary="Whether Kafka answers", responses={503: {"description": "Kafka is down"}})
async def health(receiver: Receiver) -> JSONResponse:
    """200 when the broker answers a metadata request, else 503; with which sources have secrets."""
    answers = await receiver.sink.broker_answers()
    details = {"status": "ok" if answers else "unavailable",
               "kafka": {"answers": answers, "producer_ready": receiver.sink.ready},
               "sources_configured": receiver.configured()}
    return JSONResponse(details, status_code=200 if answers else 503)


def create_api(settings: Settings) -> FastAPI:
    """The receiver app; its Kafka producer lives as long as the app (the lifespan)."""
    sink = RawSink(settings.kafka_bootstrap, settings.api.publish_timeout_s,
                   settings.api.max_body_bytes)

    graph_driver = open_driver(settings)  # connects on first use: the API starts without Neo4j

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await sink.start()
        try:
            yield
        finally:
            await sink.stop()
            graph_driver.close()

    api = FastAPI(title="lineage", lifespan=lifespan, docs_url="/docs",
                  description="Source webhooks in, unchanged, onto Kafka raw topics; and the "
                  "lineage queries (transfers, alerts, erasure) out.")
    api.state.settings = settings
    api.state.receiver = WebhookReceiver(settings, sink)
    api.state.graph_driver = graph_driver
    api.add_exception_handler(LineageError, _error_response)
    api.add_exception_handler(DriverError, _graph_unavailable)
    api.include_router(router)
    api.include_router(query_router)
    api.include_router(ropa_router)
    api.include_router(erasure_router)
    return api
