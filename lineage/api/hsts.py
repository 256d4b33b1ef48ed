"""``Strict-Transport-Security`` on every answer given over TLS.

A browser that once reached lineage over HTTPS then refuses plain HTTP to it for a year, so a
network attacker cannot strip TLS from the workspace's login or a later session. The header is
meaningful over TLS only (browsers ignore it over HTTP), and is sent when the request came over
``https``: as uvicorn saw it, or, behind a TLS-terminating proxy, as the proxy's
``X-Forwarded-Proto`` says when ``LINEAGE_API_TRUST_FORWARDED_PROTO`` is set (a header any client
can send, so it is believed only when a proxy that sets it is the one way in).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"strict-transport-security"
VALUE = b"max-age=31536000"


class StrictTransportSecurity:
    """Pure ASGI middleware (no buffering of bodies, streamed ones included)."""

    def __init__(self, app: ASGIApp, trust_forwarded_proto: bool = False) -> None:
        self.app = app
        self.trust_forwarded_proto = trust_forwarded_proto

    def _over_tls(self, scope: Scope) -> bool:
        if scope.get("scheme") == "https":
            return True
        if not self.trust_forwarded_proto:
            return False
        forwarded = dict(scope.get("headers") or ()).get(b"x-forwarded-proto", b"")
        # A chain of proxies lists one scheme each; the first is what the client used.
        return forwarded.split(b",")[0].strip().lower() == b"https"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._over_tls(scope):
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, VALUE)]}
            await send(message)

        await self.app(scope, receive, send_with_header)
