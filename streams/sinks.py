"""Delivering alerts where the user points them: a JSON webhook and a Slack-compatible one.

Runs in its own agent on the alerts topic, so a slow or failing endpoint delays only the
notifications, never the lineage stream; a delivery is retried with backoff, then logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx

from lineage.retrying import Backoff, retry_async
from lineage.settings import AlertSettings

log = logging.getLogger(__name__)

SINK_BACKOFF = Backoff(first_s=0.5, longest_s=30.0)


def alert_record(alert: dict[str, Any]) -> bytes:
    """An alert as the alerts topic carries it (its record key is the alert id)."""
    return json.dumps(alert, default=str).encode()


def slack_text(alert: dict[str, Any]) -> str:
    if alert.get("kind", "unapproved_transfer") != "unapproved_transfer":
        what = str(alert["kind"]).replace("_", " ").capitalize()
        return f":rotating_light: {what}: store {alert['store']}. {alert['reason']} (alert {alert['id']})"
    chain = " > ".join(alert.get("chain") or [])
    return (
        f":rotating_light: Unapproved transfer of personal data to {alert['country']}: "
        f"store {alert['store']} via {chain}. {alert['reason']} "
        f"({alert['count']} subject(s), alert {alert['id']})"
    )


class AlertSinks:
    def __init__(self, settings: AlertSettings) -> None:
        self._settings = settings
        self._targets: list[tuple[str, Any]] = []
        if settings.webhook_url:
            self._targets.append((settings.webhook_url, lambda alert: alert))
        if settings.slack_webhook_url is not None:
            self._targets.append(
                (settings.slack_webhook_url.get_secret_value(), lambda alert: {"text": slack_text(alert)})
            )

    @property
    def configured(self) -> bool:
        return bool(self._targets)

    async def deliver(self, client: httpx.AsyncClient, alert: dict[str, Any]) -> None:
        await asyncio.gather(*(self._post(client, url, shape(alert)) for url, shape in self._targets))

    async def _post(self, client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> None:
        async def post() -> None:
            response = await client.post(url, json=body, timeout=self._settings.sink_timeout_s)
            if response.status_code >= 300:
                raise _Refused(f"HTTP {response.status_code}")

        try:
            await retry_async(post, SINK_FAILURES, SINK_BACKOFF, attempts=self._settings.sink_attempts)
        except SINK_FAILURES as exc:
            log.error(
                "alert %s not delivered to a sink after %d attempts (%s)",
                body.get("id", ""),
                self._settings.sink_attempts,
                str(exc) if isinstance(exc, _Refused) else type(exc).__name__,
            )


class _Refused(Exception):
    """A sink answered, but not with success; its message is the status, never the body."""


SINK_FAILURES = (httpx.HTTPError, _Refused)
