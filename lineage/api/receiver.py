"""The webhook receiver's logic: verify the sender, check the body is JSON, publish it unchanged.

A 2xx answer means Kafka has the payload: it is sent with ``acks=all`` and awaited, so a source
that gets 202 may forget it, and one that gets 503 retries (every source retries on 5xx). The
raw bytes are published exactly as received, with the time of receipt in a record header
(:mod:`lineage.api.sink`): adapters, and the dead-letter topic, see what the source sent. A
request may be published twice (a retry after a send that timed out here but landed); the
worker's writes are idempotent, so that is harmless.

Nothing here knows HTTP status codes: errors are lineage's own, mapped in :mod:`lineage.api.errors`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lineage.api.bodies import parse_body
from lineage.api.signatures import verify_greenhouse, verify_hubspot_v3, verify_shared_secret
from lineage.api.sink import RawPublisher
from lineage.api.sns import control_message_note, sns_message_type
from lineage.errors import SignatureError, SourceNotConfiguredError
from lineage.kafka.topics import Topics
from lineage.settings import Settings
from lineage.source_names import SOURCE_NAMES
from lineage.sources import SignatureScheme, source_named

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """One webhook request, as much of it as a verifier needs."""

    method: str
    url: str  # the URL the sender called (see signatures.signed_uri)
    headers: Mapping[str, str]  # case-insensitive (Starlette's Headers)
    body: bytes
    received_at_ms: int  # when the request reached us, epoch milliseconds


@dataclass(frozen=True)
class Outcome:
    """What became of a verified delivery: published to ``topic``, or only noted (``note``)."""

    published: bool
    topic: str
    note: str | None = None


Verifier = Callable[[bytes, Delivery], None]


def _hubspot(secret: bytes, delivery: Delivery) -> None:
    verify_hubspot_v3(
        secret,
        method=delivery.method,
        uri=delivery.url,
        body=delivery.body,
        signature=delivery.headers.get("x-hubspot-signature-v3"),
        timestamp=delivery.headers.get("x-hubspot-request-timestamp"),
    )


def _greenhouse(secret: bytes, delivery: Delivery) -> None:
    verify_greenhouse(secret, body=delivery.body, signature=delivery.headers.get("signature"))


def _shared_secret(secret: bytes, delivery: Delivery) -> None:
    verify_shared_secret(secret, authorization=delivery.headers.get("authorization"))


VERIFIERS: dict[SignatureScheme, Verifier] = {
    SignatureScheme.HUBSPOT_V3: _hubspot,
    SignatureScheme.GREENHOUSE: _greenhouse,
    SignatureScheme.SHARED_SECRET: _shared_secret,
}


class WebhookReceiver:
    """Verify, validate, publish; knows nothing of HTTP status codes."""

    def __init__(self, settings: Settings, sink: RawPublisher) -> None:
        self._settings = settings
        self._topics = Topics(settings.topic_namespace)
        self.sink = sink

    def topic_for(self, source: str) -> str:
        """The source's raw topic; unknown sources and unset secrets are refused before the body is read."""
        topic = self._topics.raw(source_named(source).name).name
        self._secret(source)
        return topic

    def configured(self) -> dict[str, bool]:
        return {source: self._secret_or_none(source) is not None for source in SOURCE_NAMES}

    async def receive(self, source: str, delivery: Delivery) -> Outcome:
        """Publishes an authentic JSON body unchanged, unless it is SNS talking about itself."""
        topic = self.topic_for(source)
        try:
            VERIFIERS[source_named(source).signature](self._secret(source), delivery)
        except SignatureError as exc:
            log.warning("refused a %s webhook: %s", source, exc.reason)
            raise
        document = parse_body(delivery.body)
        kind = sns_message_type(delivery.headers) if source_named(source).via_sns else None
        note = control_message_note(kind, document) if kind is not None else None
        if note is not None:
            return Outcome(published=False, topic=topic, note=note)
        await self.sink.publish(topic, delivery.body, delivery.received_at_ms)
        return Outcome(published=True, topic=topic)

    def _secret_or_none(self, source: str) -> bytes | None:
        secret = self._settings.api.secret_of(source_named(source))
        return secret.get_secret_value().encode() if secret and secret.get_secret_value() else None

    def _secret(self, source: str) -> bytes:
        secret = self._secret_or_none(source)
        if secret is None:
            variable = source_named(source).secret_variable
            raise SourceNotConfiguredError(
                f"{source} webhooks are refused until {variable} is set: unsigned traffic is never accepted"
            )
        return secret
