"""The webhook receiver without a broker: bodies, SNS, the received-at header, the access log.

The app is built with a recording fake in place of Kafka and served in-process through httpx's
ASGI transport, so every check that does not need a broker runs here in milliseconds; the same
behaviour against a real Kafka is in ``tests/integration/test_api.py``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from lineage.api.access_log import DropQueryStrings
from lineage.api.app import create_api
from lineage.api.bodies import PayloadNotJsonError, parse_body
from lineage.api.sns import SnsMessageError, control_message_note
from lineage.kafka.topics import RECEIVED_AT_HEADER
from lineage.settings import ApiSettings, KafkaSettings, Neo4jSettings, Settings
from streams.processing import received_time

S3_TOKEN = "s3-token-5b7e-relay"
BREVO_TOKEN = "brevo-token-91f3"
BREVO = {"Authorization": f"Bearer {BREVO_TOKEN}"}
S3 = {"Authorization": f"Bearer {S3_TOKEN}"}
PERSON = "lea.martin@example.fr"
TOPIC_ARN = "arn:aws:sns:eu-west-3:123456789012:lineage-s3-events"
TOKEN = "2336412f37fb687f5d51e6e2425ba1f30a6a4a0e1e5b8b1d0c1c6b0e0a4c2f1b"


def nested(depth: int) -> bytes:
    return b'{"email":"' + PERSON.encode() + b'","n":' + b"[" * depth + b"]" * depth + b"}"


HUGE_INTEGER = b'{"email":"' + PERSON.encode() + b'","n":' + b"7" * 5000 + b"}"


@dataclass
class RecordingSink:
    """Kafka as the receiver sees it: every publish is kept, and the broker always answers."""

    sent: list[tuple[str, bytes, int]] = field(default_factory=list)
    ready: bool = True

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, topic: str, payload: bytes, received_at_ms: int) -> None:
        self.sent.append((topic, payload, received_at_ms))

    async def broker_answers(self) -> bool:
        return True


def settings(**api: Any) -> Settings:
    return Settings(
        kafka=KafkaSettings(bootstrap="127.0.0.1:9"),
        neo4j=Neo4jSettings(uri="bolt://127.0.0.1:9"),
        api=ApiSettings(brevo_token=BREVO_TOKEN, s3_token=S3_TOKEN, max_body_bytes=64 * 1024, **api),
    )


def post(sink: RecordingSink, path: str, body: bytes, headers: Mapping[str, str]) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_api(settings(), sink=sink))
        async with httpx.AsyncClient(transport=transport, base_url="http://lineage.test") as client:
            return await client.post(path, content=body, headers=dict(headers))

    return asyncio.run(send())


class TestBodies:
    @pytest.mark.parametrize(
        "body",
        [
            nested(1000),
            nested(100_000),
            HUGE_INTEGER,
            b'{"a": NaN}',
            b'{"a": -Infinity}',
            b'{"a": 1e999}',
            b"\xff{}",
            b"",
            b'{"email": "' + PERSON.encode() + b'"',
        ],
    )
    def test_what_the_parser_gives_up_on_is_refused_without_quoting_it(self, body: bytes) -> None:
        with pytest.raises(PayloadNotJsonError) as refused:
            parse_body(body)
        assert str(refused.value).startswith("the body is not JSON")
        assert PERSON not in str(refused.value) and "777" not in str(refused.value)

    def test_deep_but_reasonable_nesting_is_json(self) -> None:
        assert parse_body(nested(300))["email"] == PERSON


class TestWebhookBodies:
    @pytest.mark.parametrize("body", [nested(1000), HUGE_INTEGER], ids=["nested-1000", "5000-digits"])
    def test_an_authentic_body_the_parser_gives_up_on_gets_400_and_nothing_is_published(
        self, body: bytes
    ) -> None:
        sink = RecordingSink()
        response = post(sink, "/webhooks/brevo", body, BREVO)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_json"
        assert PERSON not in response.text
        assert sink.sent == []

    def test_300_levels_of_nesting_are_published(self) -> None:
        sink = RecordingSink()
        assert post(sink, "/webhooks/brevo", nested(300), BREVO).status_code == 202
        assert [payload for _topic, payload, _at in sink.sent] == [nested(300)]

    def test_the_receipt_time_goes_with_the_payload_as_the_worker_reads_it(self) -> None:
        sink = RecordingSink()
        before = time.time_ns() // 1_000_000
        post(sink, "/webhooks/brevo", b'{"event":"unsubscribed"}', BREVO)
        after = time.time_ns() // 1_000_000
        [(_topic, _payload, received_at_ms)] = sink.sent
        assert before <= received_at_ms <= after
        header = [(RECEIVED_AT_HEADER, str(received_at_ms).encode("ascii"))]
        assert received_time(header, None).timestamp() * 1000 == pytest.approx(received_at_ms)

    def test_an_unknown_source_is_not_echoed(self) -> None:
        response = post(RecordingSink(), "/webhooks/lea.martin", b"{}", BREVO)
        assert response.status_code == 404
        assert "lea.martin" not in response.json()["reason"]


def sns(message_type: str, document: Mapping[str, Any]) -> tuple[bytes, dict[str, str]]:
    import json

    return json.dumps(document).encode(), {
        **S3,
        "x-amz-sns-message-type": message_type,
        "Content-Type": "text/plain; charset=UTF-8",
    }


CONFIRMATION = {
    "Type": "SubscriptionConfirmation",
    "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
    "Token": TOKEN,
    "TopicArn": TOPIC_ARN,
    "SubscribeURL": f"https://sns.eu-west-3.amazonaws.com/?Action=ConfirmSubscription&Token={TOKEN}",
    "Message": "You have chosen to subscribe to the topic.",
}
NOTIFICATION = {
    "Type": "Notification",
    "TopicArn": TOPIC_ARN,
    "Message": '{"Records":[{"eventName":"ObjectRemoved:Delete"}]}',
}


class TestSns:
    def test_a_subscription_confirmation_is_logged_for_an_operator_and_not_published(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        sink = RecordingSink()
        body, headers = sns("SubscriptionConfirmation", CONFIRMATION)
        with caplog.at_level(logging.WARNING, logger="lineage.api.sns"):
            response = post(sink, "/webhooks/s3", body, headers)
        assert response.status_code == 200, response.text
        assert response.json()["published"] is False
        assert sink.sent == []
        [record] = [r for r in caplog.records if r.name == "lineage.api.sns"]
        assert record.levelno == logging.WARNING
        assert TOPIC_ARN in record.getMessage()
        assert f"aws sns confirm-subscription --topic-arn {TOPIC_ARN} --token {TOKEN}" in record.getMessage()
        assert "https://" not in record.getMessage()  # SubscribeURL is neither fetched nor logged

    def test_a_confirmation_needs_the_shared_secret(self) -> None:
        body, headers = sns("SubscriptionConfirmation", CONFIRMATION)
        response = post(RecordingSink(), "/webhooks/s3", body, {**headers, "Authorization": "Bearer x"})
        assert response.status_code == 401

    def test_a_notification_is_published_unchanged(self) -> None:
        sink = RecordingSink()
        body, headers = sns("Notification", NOTIFICATION)
        assert post(sink, "/webhooks/s3", body, headers).status_code == 202
        assert [payload for _topic, payload, _at in sink.sent] == [body]

    def test_an_unsubscribe_confirmation_is_answered_and_not_published(self) -> None:
        sink = RecordingSink()
        body, headers = sns("UnsubscribeConfirmation", {**CONFIRMATION, "Type": "UnsubscribeConfirmation"})
        assert post(sink, "/webhooks/s3", body, headers).status_code == 200
        assert sink.sent == []

    def test_an_unknown_message_type_is_refused(self) -> None:
        body, headers = sns("Surprise", NOTIFICATION)
        response = post(RecordingSink(), "/webhooks/s3", body, headers)
        assert (response.status_code, response.json()["error"]) == (400, "unsupported_sns_message")
        with pytest.raises(SnsMessageError):
            control_message_note("Surprise", {})

    @pytest.mark.parametrize("arn, token", [("arn:aws:sns:x\nFAKE LINE", TOKEN), (TOPIC_ARN, "a b\nc")])
    def test_only_well_formed_values_reach_the_log(
        self, arn: str, token: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="lineage.api.sns"):
            control_message_note("SubscriptionConfirmation", {"TopicArn": arn, "Token": token})
        assert "\n" not in caplog.text.strip()
        assert "<no well-formed" in caplog.text

    def test_the_header_means_nothing_on_other_sources(self) -> None:
        sink = RecordingSink()
        body, headers = sns("SubscriptionConfirmation", CONFIRMATION)
        assert post(sink, "/webhooks/brevo", body, {**headers, **BREVO}).status_code == 202
        assert len(sink.sent) == 1


class TestAccessLog:
    def test_query_strings_never_reach_the_access_log(self) -> None:
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:50312", "GET", f"/expiring?store={PERSON}", "1.1", 200),
            None,
        )
        assert DropQueryStrings().filter(record)
        assert record.getMessage() == '127.0.0.1:50312 - "GET /expiring HTTP/1.1" 200'

    def test_a_message_formatted_before_the_filter_is_cut_too(self) -> None:
        line = f'127.0.0.1:50312 - "POST /holds/h-1/release?reason={PERSON} HTTP/1.1" 200'
        record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, line, None, None)
        assert DropQueryStrings().filter(record)
        assert record.getMessage() == '127.0.0.1:50312 - "POST /holds/h-1/release HTTP/1.1" 200'

    def test_the_app_filters_uvicorns_access_logger_while_it_runs(self) -> None:
        access = logging.getLogger("uvicorn.access")

        async def run() -> int:
            app = create_api(settings(), sink=RecordingSink())
            async with app.router.lifespan_context(app):
                return sum(isinstance(f, DropQueryStrings) for f in access.filters)

        assert asyncio.run(run()) == 1
        assert not any(isinstance(f, DropQueryStrings) for f in access.filters)
