"""How each source proves a webhook is its own: pure functions, no I/O, no framework.

Every check compares with :func:`hmac.compare_digest` so the time taken says nothing about how
much of a forged value was right, and every failure raises :class:`SignatureError` with a reason
that never contains the expected value.

- **HubSpot** (signature v3): header ``X-HubSpot-Signature-v3`` = base64(HMAC-SHA256(client
  secret, method + URI + body + timestamp)), header ``X-HubSpot-Request-Timestamp`` in ms; a
  timestamp more than 5 minutes away from now (stale, or in the future) is refused, which bounds
  replays. The URI is the full URL HubSpot called: behind a proxy the server sees another one, so
  set ``LINEAGE_API_PUBLIC_URL`` to the public base (see :func:`signed_uri`).
- **Greenhouse**: header ``Signature: sha256 <hex HMAC-SHA256 of the body>``.
- **Brevo, S3, Salesforce, canonical**: these sign nothing, so the endpoint is protected by a
  shared secret in the ``Authorization`` header, either ``Bearer <secret>`` or HTTP Basic with the
  secret as password (any user name). Both are accepted because the senders differ in what they
  can send: Brevo's webhook API offers a bearer token, while a URL with credentials
  (``https://lineage:<secret>@host/...``, what Brevo's URL field and an SNS HTTPS subscription
  relaying S3 notifications support) arrives as Basic.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from urllib.parse import urlsplit, urlunsplit

from lineage.errors import SignatureError

HUBSPOT_MAX_SKEW_MS = 5 * 60 * 1000

# HubSpot decodes exactly these escapes in the URI before signing (its v3 validation guide).
_HUBSPOT_URI_DECODE = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}


def _same(expected: str, presented: str) -> bool:
    """Constant-time equality; bytes so a non-ASCII forgery cannot make compare_digest raise."""
    return hmac.compare_digest(expected.encode(), presented.encode("utf-8", "surrogateescape"))


def _require_secret(secret: bytes) -> None:
    # Fail closed: an empty key would make every empty or HMAC-of-nothing value "valid".
    if not secret:
        raise SignatureError("no secret is configured for this source")


# --- HubSpot v3 --------------------------------------------------------------------------


def signed_uri(request_url: str, public_url: str | None = None) -> str:
    """The URL the sender called: the request's own, or its path and query on ``public_url``.

    Args:
        request_url: the URL as the server saw it (``str(request.url)``).
        public_url: the public base (scheme://host[:port][/prefix]) when a proxy rewrites the
            scheme or host, e.g. TLS terminated in front of a loopback server.
    """
    if not public_url:
        return request_url
    base, seen = urlsplit(public_url.rstrip("/")), urlsplit(request_url)
    return urlunsplit((base.scheme, base.netloc, base.path + seen.path, seen.query, ""))


def hubspot_uri(uri: str) -> str:
    """The URI as HubSpot puts it in the signed string: those twelve escapes decoded.

    Only the upper-case spellings of HubSpot's table are decoded, exactly as documented.
    """
    for encoded, decoded in _HUBSPOT_URI_DECODE.items():
        uri = uri.replace(encoded, decoded)
    return uri


def hubspot_v3_signature(secret: bytes, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """The ``X-HubSpot-Signature-v3`` value HubSpot sends for this request."""
    message = f"{method.upper()}{hubspot_uri(uri)}".encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret, message, hashlib.sha256).digest()).decode()


def verify_hubspot_v3(
    secret: bytes,
    *,
    method: str,
    uri: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now_ms: int | None = None,
) -> None:
    """Accepts the request or raises :class:`SignatureError`.

    The timestamp is checked first, so a replayed request is refused as stale even when its
    signature was once valid.
    """
    _require_secret(secret)
    if not signature or not timestamp:
        raise SignatureError("X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp are required")
    try:
        sent_ms = int(timestamp.strip())
    except ValueError:
        raise SignatureError("X-HubSpot-Request-Timestamp is not an integer of milliseconds") from None
    now_ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    if abs(now_ms - sent_ms) > HUBSPOT_MAX_SKEW_MS:
        raise SignatureError("X-HubSpot-Request-Timestamp is more than 5 minutes from now")
    expected = hubspot_v3_signature(secret, method, uri, body, timestamp.strip())
    if not _same(expected, signature.strip()):
        raise SignatureError("X-HubSpot-Signature-v3 does not match the request")


# --- Greenhouse --------------------------------------------------------------------------


def greenhouse_signature(secret: bytes, body: bytes) -> str:
    """The ``Signature`` header value Greenhouse sends for this body."""
    return "sha256 " + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_greenhouse(secret: bytes, *, body: bytes, signature: str | None) -> None:
    """Accepts the body or raises :class:`SignatureError`."""
    _require_secret(secret)
    if not signature:
        raise SignatureError("the Signature header is required")
    algorithm, _, digest = signature.strip().partition(" ")
    if algorithm.lower() != "sha256" or not digest.strip():
        raise SignatureError("the Signature header is not of the form 'sha256 <hex digest>'")
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not _same(expected, digest.strip().lower()):
        raise SignatureError("the Signature header does not match the body")


# --- shared secret (Brevo, S3, Salesforce, canonical) -------------------------------------


def _presented_secret(authorization: str) -> str:
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise SignatureError("the Basic credentials are not valid base64 of UTF-8") from None
        _user, colon, password = decoded.partition(":")
        if not colon:
            raise SignatureError("the Basic credentials have no password")
        return password
    raise SignatureError("the Authorization header must be 'Bearer <secret>' or Basic auth")


def verify_shared_secret(secret: bytes, *, authorization: str | None) -> None:
    """Accepts ``Authorization: Bearer <secret>`` or Basic auth whose password is the secret."""
    _require_secret(secret)
    if not authorization:
        raise SignatureError("the Authorization header is required (Bearer token or Basic auth)")
    presented = _presented_secret(authorization)
    if not presented or not hmac.compare_digest(secret, presented.encode()):
        raise SignatureError("the shared secret does not match")
