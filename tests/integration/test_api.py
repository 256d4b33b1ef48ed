"""The webhook receiver as sources meet it: a real uvicorn server, real HTTP, a real Kafka.

Each test serves ``create_api`` on a free loopback port in a background thread, posts with httpx
and reads the raw topic back from the beginning: what a source sent is what the topic holds, and
a refused request leaves the topic empty. The query endpoints' refusals (token first, bounded
bodies) are checked here too, over real sockets, since that is where a body is or is not read.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import resource
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn

from lineage.api.app import create_api
from lineage.kafka.topics import RECEIVED_AT_HEADER, Topics
from lineage.settings import ApiSettings, KafkaSettings, Settings
from streams.monitor import read_records, read_topic, topic_size
from streams.processing import received_time

pytestmark = pytest.mark.integration

HUBSPOT_SECRET = "hubspot-client-secret-7c1d"
GREENHOUSE_SECRET = "greenhouse-secret-4e2a"
BREVO_TOKEN = "brevo-token-91f3"
S3_TOKEN = "s3-token-5b7e-relay"
QUERY_TOKEN = "query-token-3d9c"
SECRETS = ApiSettings(
    hubspot_client_secret=HUBSPOT_SECRET,
    greenhouse_secret=GREENHOUSE_SECRET,
    brevo_token=BREVO_TOKEN,
    s3_token=S3_TOKEN,
    query_token=QUERY_TOKEN,
    max_body_bytes=4096,
    publish_timeout_s=10.0,
)

# Odd spacing and non-ASCII on purpose: the topic must hold these bytes, not a re-serialisation.
HUBSPOT_BODY = (
    '[ {"eventId":1834511903, "subscriptionType":"contact.propertyChange","objectId":90512,'
    '"propertyName":"firstname","propertyValue":"Léa",  "occurredAt":1772791800456} ]'
).encode()
GREENHOUSE_BODY = (
    b'{"action":"candidate_anonymized","payload":{"candidate":{"id":37031511,'
    b'"anonymized_fields":["full_name","email_addresses"]}}}\n'
)
BREVO_BODY = (
    b'{"id":771204,"email":"lea.martin@example.fr","event":"list_addition","list_id":[42],"ts":1772795100}'
)


@contextlib.contextmanager
def served(settings: Settings) -> Iterator[str]:
    """Runs the app like ``lineage serve`` does, in a thread; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_api(settings), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def hubspot_headers(
    url: str, body: bytes, secret: str = HUBSPOT_SECRET, timestamp_ms: int | None = None
) -> dict[str, str]:
    timestamp = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
    message = b"POST" + url.encode() + body + timestamp.encode()
    signature = base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()
    return {
        "X-HubSpot-Signature-v3": signature,
        "X-HubSpot-Request-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


def greenhouse_headers(body: bytes, secret: str = GREENHOUSE_SECRET) -> dict[str, str]:
    return {"Signature": "sha256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"brevo:{password}".encode()).decode()


def raw_topic(settings: Settings, source: str) -> str:
    return Topics(settings.topic_namespace).raw(source).name


@pytest.fixture
def api_settings(pipeline: Settings) -> Settings:
    return pipeline.model_copy(update={"api": SECRETS})


@pytest.fixture
def api(api_settings: Settings) -> Iterator[str]:
    with served(api_settings) as url:
        yield url


class TestSignedSources:
    def test_hubspot_v3_signed_body_is_published_byte_for_byte(
        self, api_settings: Settings, api: str
    ) -> None:
        url = f"{api}/webhooks/hubspot"
        response = httpx.post(url, content=HUBSPOT_BODY, headers=hubspot_headers(url, HUBSPOT_BODY))
        topic = raw_topic(api_settings, "hubspot")
        assert response.status_code == 202, response.text
        assert response.json() == {"published": True, "topic": topic}
        assert read_topic(api_settings.kafka, topic) == [HUBSPOT_BODY]

    def test_greenhouse_signed_body_is_published_byte_for_byte(
        self, api_settings: Settings, api: str
    ) -> None:
        response = httpx.post(
            f"{api}/webhooks/greenhouse", content=GREENHOUSE_BODY, headers=greenhouse_headers(GREENHOUSE_BODY)
        )
        topic = raw_topic(api_settings, "greenhouse")
        assert response.status_code == 202, response.text
        assert response.json() == {"published": True, "topic": topic}
        assert read_topic(api_settings.kafka, topic) == [GREENHOUSE_BODY]

    def test_bad_signatures_get_401_and_nothing_is_published(self, api_settings: Settings, api: str) -> None:
        url = f"{api}/webhooks/hubspot"
        stale = int(time.time() * 1000) - 6 * 60 * 1000
        tampered = HUBSPOT_BODY.replace(b"90512", b"90513")
        attempts = [
            ("hubspot", HUBSPOT_BODY, hubspot_headers(url, HUBSPOT_BODY, secret="wrong")),
            ("hubspot", tampered, hubspot_headers(url, HUBSPOT_BODY)),
            ("hubspot", HUBSPOT_BODY, hubspot_headers(url, HUBSPOT_BODY, timestamp_ms=stale)),
            ("hubspot", HUBSPOT_BODY, {}),
            ("greenhouse", GREENHOUSE_BODY, greenhouse_headers(GREENHOUSE_BODY, secret="wrong")),
            ("greenhouse", GREENHOUSE_BODY + b" ", greenhouse_headers(GREENHOUSE_BODY)),
            ("greenhouse", GREENHOUSE_BODY, {}),
        ]
        for source, body, headers in attempts:
            response = httpx.post(f"{api}/webhooks/{source}", content=body, headers=headers)
            assert response.status_code == 401, (source, response.text)
            assert response.json()["error"] == "unauthorized"
        assert (
            "5 minutes"
            in httpx.post(
                url, content=HUBSPOT_BODY, headers=hubspot_headers(url, HUBSPOT_BODY, timestamp_ms=stale)
            ).json()["reason"]
        )
        for source in ("hubspot", "greenhouse"):
            assert topic_size(api_settings.kafka, raw_topic(api_settings, source)) == 0

    def test_hubspot_behind_a_proxy_is_checked_against_the_public_url(self, api_settings: Settings) -> None:
        public = "https://hooks.example.com"
        api = ApiSettings(**{**SECRETS.model_dump(), "public_url": public})
        with served(api_settings.model_copy(update={"api": api})) as base:
            signed_for_public = hubspot_headers(f"{public}/webhooks/hubspot", HUBSPOT_BODY)
            signed_for_internal = hubspot_headers(f"{base}/webhooks/hubspot", HUBSPOT_BODY)
            ok = httpx.post(f"{base}/webhooks/hubspot", content=HUBSPOT_BODY, headers=signed_for_public)
            refused = httpx.post(
                f"{base}/webhooks/hubspot", content=HUBSPOT_BODY, headers=signed_for_internal
            )
        assert (ok.status_code, refused.status_code) == (202, 401)


class TestSharedSecret:
    def test_brevo_needs_the_shared_secret(self, api_settings: Settings, api: str) -> None:
        url = f"{api}/webhooks/brevo"
        refused = [
            httpx.post(url, content=BREVO_BODY, headers=headers).status_code
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": basic("x")})
        ]
        assert refused == [401, 401, 401]
        assert topic_size(api_settings.kafka, raw_topic(api_settings, "brevo")) == 0

        bearer = httpx.post(url, content=BREVO_BODY, headers={"Authorization": f"Bearer {BREVO_TOKEN}"})
        basic_auth = httpx.post(url.replace("http://", f"http://lineage:{BREVO_TOKEN}@"), content=BREVO_BODY)
        assert (bearer.status_code, basic_auth.status_code) == (202, 202)
        assert read_topic(api_settings.kafka, raw_topic(api_settings, "brevo")) == [BREVO_BODY] * 2

    def test_a_source_without_a_secret_is_refused_with_503(self, pipeline: Settings) -> None:
        no_secrets = ApiSettings(**{**SECRETS.model_dump(), "brevo_token": None})
        with served(pipeline.model_copy(update={"api": no_secrets})) as base:
            response = httpx.post(
                f"{base}/webhooks/brevo", content=BREVO_BODY, headers={"Authorization": "Bearer anything"}
            )
        assert response.status_code == 503
        assert response.json()["error"] == "source_not_configured"
        assert "LINEAGE_API_BREVO_TOKEN" in response.json()["reason"]
        assert topic_size(pipeline.kafka, raw_topic(pipeline, "brevo")) == 0


class TestRequestChecks:
    AUTH = {"Authorization": f"Bearer {BREVO_TOKEN}"}

    def test_oversize_body_gets_413(self, api_settings: Settings, api: str) -> None:
        big = b'{"pad":"' + b"x" * 5000 + b'"}'

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
            yield from (big[i : i + 1000] for i in range(0, len(big), 1000))

        declared = httpx.post(f"{api}/webhooks/brevo", content=big, headers=self.AUTH)
        streamed = httpx.post(f"{api}/webhooks/brevo", content=chunks(), headers=self.AUTH)
        for response in (declared, streamed):
            assert response.status_code == 413, response.text
            assert response.json()["error"] == "payload_too_large"
        assert topic_size(api_settings.kafka, raw_topic(api_settings, "brevo")) == 0

    def test_a_body_kafka_refuses_as_too_large_gets_413_not_503(self, api_settings: Settings) -> None:
        roomy = ApiSettings(**{**SECRETS.model_dump(), "max_body_bytes": 4 * 1024 * 1024})
        big = b'{"pad":"' + b"x" * (1536 * 1024) + b'"}'  # over Kafka's default message.max.bytes
        with served(api_settings.model_copy(update={"api": roomy})) as base:
            response = httpx.post(f"{base}/webhooks/brevo", content=big, headers=self.AUTH, timeout=30)
        assert response.status_code == 413, response.text
        assert "message.max.bytes" in response.json()["reason"]
        assert topic_size(api_settings.kafka, raw_topic(api_settings, "brevo")) == 0

    @pytest.mark.parametrize("body", [b"", b"not json", b'{"a": 1', b'{"a": NaN}', b"\xff\xfe{}"])
    def test_a_body_that_is_not_json_gets_400(self, api_settings: Settings, api: str, body: bytes) -> None:
        response = httpx.post(f"{api}/webhooks/brevo", content=body, headers=self.AUTH)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_json" and response.json()["reason"]
        assert topic_size(api_settings.kafka, raw_topic(api_settings, "brevo")) == 0

    def test_unknown_source_gets_404(self, api: str) -> None:
        response = httpx.post(f"{api}/webhooks/mailchimp", content=b"{}", headers=self.AUTH)
        assert response.status_code == 404
        assert response.json()["error"] == "unknown_source"
        assert "mailchimp" not in response.json()["reason"]  # reasons never echo what was sent

    def test_health_and_docs(self, api: str) -> None:
        health = httpx.get(f"{api}/health")
        assert health.status_code == 200
        assert health.json()["status"] == "ok" and health.json()["kafka"]["answers"] is True
        assert health.json()["sources_configured"]["brevo"] is True
        assert httpx.get(f"{api}/docs").status_code == 404  # off unless LINEAGE_API_DOCS is set
        assert "/webhooks/{source}" in httpx.get(f"{api}/openapi.json").json()["paths"]


def nested(depth: int) -> bytes:
    return b'{"action":"candidate_anonymized","payload":' + b"[" * depth + b"]" * depth + b"}"


@pytest.fixture
def roomy_api(api_settings: Settings) -> Iterator[str]:
    """The API with a 64 KiB body limit: room for a 5,000-digit number."""
    roomy = ApiSettings(**{**SECRETS.model_dump(), "max_body_bytes": 64 * 1024})
    with served(api_settings.model_copy(update={"api": roomy})) as url:
        yield url


class TestBodiesTheParserGivesUpOn:
    """Correctly signed, so only the parser can refuse them: 400 like any bad JSON, never 500."""

    @pytest.mark.parametrize(
        "body", [nested(1000), b'{"id":' + b"7" * 5000 + b"}"], ids=["nested-1000", "5000-digits"]
    )
    def test_a_signed_body_the_parser_gives_up_on_gets_400_and_nothing_is_published(
        self, api_settings: Settings, roomy_api: str, body: bytes
    ) -> None:
        response = httpx.post(
            f"{roomy_api}/webhooks/greenhouse", content=body, headers=greenhouse_headers(body)
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_json"
        assert topic_size(api_settings.kafka, raw_topic(api_settings, "greenhouse")) == 0

    def test_300_levels_of_nesting_are_published(self, api_settings: Settings, roomy_api: str) -> None:
        body = nested(300)
        response = httpx.post(
            f"{roomy_api}/webhooks/greenhouse", content=body, headers=greenhouse_headers(body)
        )
        assert response.status_code == 202, response.text
        assert read_topic(api_settings.kafka, raw_topic(api_settings, "greenhouse")) == [body]


class TestReceivedAt:
    def test_every_raw_record_says_when_it_was_received(self, api_settings: Settings, api: str) -> None:
        before = time.time_ns() // 1_000_000
        response = httpx.post(
            f"{api}/webhooks/brevo", content=BREVO_BODY, headers={"Authorization": f"Bearer {BREVO_TOKEN}"}
        )
        after = time.time_ns() // 1_000_000
        assert response.status_code == 202, response.text
        [record] = read_records(api_settings.kafka, raw_topic(api_settings, "brevo"))
        assert record.value == BREVO_BODY
        received = dict(record.headers)[RECEIVED_AT_HEADER]
        assert received.isdigit() and before <= int(received.decode("ascii")) <= after
        assert received_time(record.headers, None) == datetime.fromtimestamp(int(received) / 1000, UTC)


class TestSnsDeliveries:
    """Amazon SNS relaying S3 notifications, with the shared secret in the subscription URL."""

    TOPIC_ARN = "arn:aws:sns:eu-west-3:123456789012:lineage-s3-events"

    def sns_post(self, api: str, message_type: str, document: dict[str, str]) -> httpx.Response:
        url = f"{api}/webhooks/s3".replace("http://", f"http://sns:{S3_TOKEN}@")
        return httpx.post(
            url,
            content=json.dumps(document).encode(),
            headers={"x-amz-sns-message-type": message_type, "Content-Type": "text/plain; charset=UTF-8"},
        )

    def test_a_confirmation_is_answered_not_published_and_a_notification_is_published(
        self, api_settings: Settings, api: str
    ) -> None:
        confirmation = {
            "Type": "SubscriptionConfirmation",
            "TopicArn": self.TOPIC_ARN,
            "Token": "a1b2c3",
            "SubscribeURL": "https://sns.eu-west-3.amazonaws.com/?Action=ConfirmSubscription",
        }
        notification = {
            "Type": "Notification",
            "TopicArn": self.TOPIC_ARN,
            "Message": '{"Records":[{"eventName":"ObjectRemoved:Delete"}]}',
        }
        confirmed = self.sns_post(api, "SubscriptionConfirmation", confirmation)
        assert (confirmed.status_code, confirmed.json()["published"]) == (200, False)
        assert topic_size(api_settings.kafka, raw_topic(api_settings, "s3")) == 0
        assert self.sns_post(api, "Notification", notification).status_code == 202
        assert read_topic(api_settings.kafka, raw_topic(api_settings, "s3")) == [
            json.dumps(notification).encode()
        ]


class TestQueryApiRefusesCheaply:
    """The token is checked before a body is read; bodies are bounded; unparseable is 400."""

    TOKEN = {"Authorization": f"Bearer {QUERY_TOKEN}"}

    def test_no_token_and_a_50_mib_body_gets_401_at_once(self, api: str) -> None:
        chunk = b"x" * (1024 * 1024)
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        started = time.monotonic()
        response = httpx.post(
            f"{api}/holds",
            content=(chunk for _ in range(50)),
            timeout=30,
            headers={"Content-Length": str(50 * len(chunk)), "Content-Type": "application/json"},
        )
        elapsed = time.monotonic() - started
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "unauthorized"
        assert elapsed < 5
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 20 * 1024

    @pytest.mark.parametrize("token", [None, "wrong"])
    def test_no_valid_token_and_malformed_json_gets_401(self, api: str, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for path in ("/holds", "/erasure-requests"):
            response = httpx.post(f"{api}{path}", content=b'{"identifier": ', headers=headers)
            assert response.status_code == 401, (path, response.text)

    def test_a_token_and_malformed_json_gets_400(self, api: str) -> None:
        for path in ("/holds", "/erasure-requests"):
            response = httpx.post(f"{api}{path}", content=b'{"identifier": ', headers=self.TOKEN)
            assert response.status_code == 400, (path, response.text)
            assert response.json()["error"] == "invalid_json"

    def test_a_token_and_a_body_over_the_limit_gets_413(self, api: str) -> None:
        body = json.dumps({"identifier": "lea.martin@example.fr", "reason": "x" * 5000}).encode()
        response = httpx.post(f"{api}/holds", content=body, headers=self.TOKEN)
        assert response.status_code == 413, response.text
        assert response.json()["error"] == "payload_too_large"


class TestKafkaUnavailable:
    def test_publishing_and_health_answer_503(self, pipeline: Settings) -> None:
        with socket.socket() as probe:  # a port nobody listens on once closed
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        api = ApiSettings(**{**SECRETS.model_dump(), "publish_timeout_s": 2.0})
        down = pipeline.model_copy(
            update={"kafka": KafkaSettings(bootstrap=f"127.0.0.1:{closed}"), "api": api}
        )
        with served(down) as base:
            started = time.monotonic()
            response = httpx.post(
                f"{base}/webhooks/brevo",
                content=BREVO_BODY,
                headers={"Authorization": f"Bearer {BREVO_TOKEN}"},
                timeout=30,
            )
            elapsed = time.monotonic() - started
            health = httpx.get(f"{base}/health", timeout=30)
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "kafka_unavailable"
        assert elapsed < 10
        assert health.status_code == 503
        assert health.json()["kafka"] == {"answers": False, "producer_ready": False}
