"""Alert sinks: Slack-compatible text, JSON webhook, retries with backoff, no exception out."""

from __future__ import annotations

import asyncio
import json

import httpx
from pydantic import SecretStr

from lineage.settings import AlertSettings
from streams.sinks import AlertSinks, slack_text

REAL_SLEEP = asyncio.sleep
ALERT = {
    "id": "flow-1",
    "store": "dropbox/recruitment",
    "chain": ["dropbox"],
    "country": "US",
    "reason": "to US under the EU-US Privacy Shield",
    "count": 2,
}


def run(sinks: AlertSinks, handler: httpx.MockTransport) -> None:
    async def deliver() -> None:
        async with httpx.AsyncClient(transport=handler) as client:
            await sinks.deliver(client, ALERT)

    asyncio.run(deliver())


class TestAlertSinks:
    def test_slack_gets_text_and_webhook_gets_the_alert_after_a_retry(self, monkeypatch) -> None:
        monkeypatch.setattr("streams.sinks.asyncio.sleep", lambda _s: REAL_SLEEP(0))
        calls: list[tuple[str, dict]] = []
        refused: set[str] = set()

        def handle(request: httpx.Request) -> httpx.Response:
            calls.append((str(request.url), json.loads(request.content)))
            if request.url.host == "hooks.example" and not refused:
                refused.add(request.url.host)  # Slack refuses the first attempt
                return httpx.Response(503)
            return httpx.Response(200)

        sinks = AlertSinks(
            AlertSettings(
                webhook_url="http://alerts.example/in",
                slack_webhook_url=SecretStr("http://hooks.example/T/B/x"),
            )
        )
        run(sinks, httpx.MockTransport(handle))
        slack = [body for url, body in calls if "hooks.example" in url]
        webhook = [body for url, body in calls if "alerts.example" in url]
        assert webhook == [ALERT]
        assert slack == [{"text": slack_text(ALERT)}] * 2  # refused once (503), then delivered
        assert "dropbox/recruitment" in slack_text(ALERT) and "US" in slack_text(ALERT)

    def test_gives_up_after_its_attempts_without_raising(self, monkeypatch) -> None:
        monkeypatch.setattr("streams.sinks.asyncio.sleep", lambda _s: REAL_SLEEP(0))
        attempts: list[int] = []

        def down(_request: httpx.Request) -> httpx.Response:
            attempts.append(1)
            raise httpx.ConnectError("refused")

        run(
            AlertSinks(AlertSettings(webhook_url="http://alerts.example/in", sink_attempts=3)),
            httpx.MockTransport(down),
        )
        assert len(attempts) == 3

    def test_nothing_configured(self) -> None:
        assert not AlertSinks(AlertSettings()).configured


def test_slack_names_a_rights_alert_by_its_kind_not_as_a_transfer() -> None:
    text = slack_text(
        {
            "id": "processing_after_withdrawal-0123456789abcdef",
            "kind": "processing_after_withdrawal",
            "store": "brevo/contacts",
            "reason": "processing for marketing.communications.email in brevo/contacts on consent "
            "withdrawn for marketing.communications.email (event brevo:1234)",
            "country": None,
        }
    )
    assert text.startswith(":rotating_light: Processing after withdrawal: store brevo/contacts.")
    assert "transfer" not in text and "brevo:1234" in text
