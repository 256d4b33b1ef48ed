"""Each source's proof of origin: valid, tampered, stale, malformed and missing cases.

Expected values are computed here with hmac/hashlib directly, not with the module's helpers, so
a mistake in the signed string would show.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from lineage.api.signatures import (
    SignatureError,
    greenhouse_signature,
    hubspot_uri,
    hubspot_v3_signature,
    signed_uri,
    verify_greenhouse,
    verify_hubspot_v3,
    verify_shared_secret,
)
from lineage.errors import LineageError

SECRET = b"client-secret-0f1e2d3c"
BODY = (
    b'[{"eventId":1834511902,"subscriptionType":"contact.creation","objectId":90512,'
    b'"occurredAt":1772791800123}]'
)
URI = "https://hooks.example.com/webhooks/hubspot"
NOW_MS = 1_772_791_800_000
TIMESTAMP = str(NOW_MS - 1_000)


def hubspot_vector(
    secret: bytes = SECRET,
    method: str = "POST",
    uri: str = URI,
    body: bytes = BODY,
    timestamp: str = TIMESTAMP,
) -> str:
    message = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret, message, hashlib.sha256).digest()).decode()


def verify_hubspot(
    signature: str | None = None,
    *,
    body: bytes = BODY,
    uri: str = URI,
    timestamp: str | None = TIMESTAMP,
    now_ms: int = NOW_MS,
    secret: bytes = SECRET,
    method: str = "POST",
) -> None:
    verify_hubspot_v3(
        secret,
        method=method,
        uri=uri,
        body=body,
        timestamp=timestamp,
        now_ms=now_ms,
        signature=hubspot_vector() if signature is None else signature,
    )


class TestHubSpotV3:
    def test_valid_signature_passes(self) -> None:
        verify_hubspot()

    def test_helper_matches_the_vector(self) -> None:
        assert hubspot_v3_signature(SECRET, "POST", URI, BODY, TIMESTAMP) == hubspot_vector()

    @pytest.mark.parametrize("change", ["body", "uri", "method", "timestamp", "secret"])
    def test_any_tampered_part_is_refused(self, change: str) -> None:
        tampered = {
            "body": {"body": BODY.replace(b"90512", b"90513")},
            "uri": {"uri": URI + "?x=1"},
            "method": {"method": "PUT"},
            "timestamp": {"timestamp": str(NOW_MS - 2_000)},
            "secret": {"secret": b"another-secret"},
        }[change]
        with pytest.raises(SignatureError, match="does not match"):
            verify_hubspot(**tampered)

    @pytest.mark.parametrize("offset_ms", [-5 * 60 * 1000 - 1, 5 * 60 * 1000 + 1, -86_400_000])
    def test_stale_or_future_timestamp_is_refused_even_when_signed(self, offset_ms: int) -> None:
        timestamp = str(NOW_MS + offset_ms)
        with pytest.raises(SignatureError, match="5 minutes"):
            verify_hubspot(hubspot_vector(timestamp=timestamp), timestamp=timestamp)

    def test_timestamp_at_the_edge_of_the_window_passes(self) -> None:
        timestamp = str(NOW_MS - 5 * 60 * 1000)
        verify_hubspot(hubspot_vector(timestamp=timestamp), timestamp=timestamp)

    @pytest.mark.parametrize("signature, timestamp", [("", TIMESTAMP), ("x", None), ("x", "")])
    def test_missing_headers_are_refused(self, signature: str, timestamp: str | None) -> None:
        with pytest.raises(SignatureError, match="required"):
            verify_hubspot(signature, timestamp=timestamp)

    def test_non_numeric_timestamp_is_refused(self) -> None:
        with pytest.raises(SignatureError, match="integer"):
            verify_hubspot(timestamp="yesterday")

    def test_non_ascii_forgery_is_refused_not_crashing(self) -> None:
        with pytest.raises(SignatureError, match="does not match"):
            verify_hubspot("é" * 44)

    def test_empty_secret_never_validates(self) -> None:
        with pytest.raises(SignatureError, match="no secret"):
            verify_hubspot(hubspot_vector(secret=b""), secret=b"")

    def test_uri_escapes_are_decoded_as_hubspot_signs_them(self) -> None:
        sent = "https://hooks.example.com/webhooks/hubspot?next=%2Fa%3Ab%40c&q=%20x"
        assert hubspot_uri(sent) == "https://hooks.example.com/webhooks/hubspot?next=/a:b@c&q=%20x"
        signature = hubspot_vector(uri="https://hooks.example.com/webhooks/hubspot?next=/a:b@c&q=%20x")
        verify_hubspot(signature, uri=sent)

    def test_signature_error_is_a_lineage_error_with_a_reason(self) -> None:
        with pytest.raises(LineageError) as caught:
            verify_hubspot("bogus")
        assert isinstance(caught.value, SignatureError)
        assert caught.value.reason == "X-HubSpot-Signature-v3 does not match the request"
        assert hubspot_vector() not in str(caught.value)


class TestSignedUri:
    def test_without_public_url_the_request_url_is_used(self) -> None:
        assert (
            signed_uri("http://127.0.0.1:8080/webhooks/hubspot?a=1")
            == "http://127.0.0.1:8080/webhooks/hubspot?a=1"
        )

    @pytest.mark.parametrize("public", ["https://hooks.example.com", "https://hooks.example.com/"])
    def test_public_url_replaces_scheme_and_host(self, public: str) -> None:
        assert (
            signed_uri("http://127.0.0.1:8080/webhooks/hubspot?a=1", public)
            == "https://hooks.example.com/webhooks/hubspot?a=1"
        )

    def test_public_url_with_a_path_prefix(self) -> None:
        assert (
            signed_uri("http://10.0.0.5/webhooks/hubspot", "https://example.com/lineage")
            == "https://example.com/lineage/webhooks/hubspot"
        )


GREENHOUSE_BODY = b'{"action":"delete_candidate","payload":{"person":{"id":37031511}}}'


def greenhouse_vector(secret: bytes = SECRET, body: bytes = GREENHOUSE_BODY) -> str:
    return "sha256 " + hmac.new(secret, body, hashlib.sha256).hexdigest()


class TestGreenhouse:
    def test_valid_signature_passes(self) -> None:
        verify_greenhouse(SECRET, body=GREENHOUSE_BODY, signature=greenhouse_vector())

    def test_helper_matches_the_vector(self) -> None:
        assert greenhouse_signature(SECRET, GREENHOUSE_BODY) == greenhouse_vector()

    def test_upper_case_hex_and_algorithm_pass(self) -> None:
        digest = greenhouse_vector().split(" ")[1]
        verify_greenhouse(SECRET, body=GREENHOUSE_BODY, signature=f"SHA256 {digest.upper()}")

    def test_tampered_body_is_refused(self) -> None:
        with pytest.raises(SignatureError, match="does not match"):
            verify_greenhouse(
                SECRET, body=GREENHOUSE_BODY.replace(b"3703", b"3704"), signature=greenhouse_vector()
            )

    def test_wrong_secret_is_refused(self) -> None:
        with pytest.raises(SignatureError, match="does not match"):
            verify_greenhouse(SECRET, body=GREENHOUSE_BODY, signature=greenhouse_vector(b"other"))

    @pytest.mark.parametrize(
        "header",
        [
            "sha1 abc",
            "sha256",
            greenhouse_vector().split(" ")[1],
            "sha256=" + greenhouse_vector().split(" ")[1],
        ],
    )
    def test_malformed_header_is_refused(self, header: str) -> None:
        with pytest.raises(SignatureError, match="form"):
            verify_greenhouse(SECRET, body=GREENHOUSE_BODY, signature=header)

    @pytest.mark.parametrize("header", [None, ""])
    def test_missing_header_is_refused(self, header: str | None) -> None:
        with pytest.raises(SignatureError, match="required"):
            verify_greenhouse(SECRET, body=GREENHOUSE_BODY, signature=header)

    def test_empty_secret_never_validates(self) -> None:
        with pytest.raises(SignatureError, match="no secret"):
            verify_greenhouse(b"", body=GREENHOUSE_BODY, signature=greenhouse_vector(b""))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


TOKEN = b"brevo-shared-secret-9a8b7c"


class TestSharedSecret:
    @pytest.mark.parametrize(
        "header",
        [
            f"Bearer {TOKEN.decode()}",
            f"bearer  {TOKEN.decode()} ",
            basic("lineage", TOKEN.decode()),
            basic("", TOKEN.decode()),
        ],
    )
    def test_bearer_or_basic_password_passes(self, header: str) -> None:
        verify_shared_secret(TOKEN, authorization=header)

    @pytest.mark.parametrize(
        "header",
        [
            "Bearer wrong",
            f"Bearer {TOKEN.decode()}x",
            "Bearer ",
            basic(TOKEN.decode(), "wrong"),
            basic("lineage", ""),
        ],
    )
    def test_wrong_secret_is_refused(self, header: str) -> None:
        with pytest.raises(SignatureError, match="does not match"):
            verify_shared_secret(TOKEN, authorization=header)

    @pytest.mark.parametrize(
        "header, reason",
        [
            (TOKEN.decode(), "must be"),
            (f"Token {TOKEN.decode()}", "must be"),
            ("Basic !!!not-base64", "base64"),
            ("Basic " + base64.b64encode(TOKEN).decode(), "no password"),
        ],
    )
    def test_malformed_header_is_refused(self, header: str, reason: str) -> None:
        with pytest.raises(SignatureError, match=reason):
            verify_shared_secret(TOKEN, authorization=header)

    @pytest.mark.parametrize("header", [None, ""])
    def test_missing_header_is_refused(self, header: str | None) -> None:
        with pytest.raises(SignatureError, match="required"):
            verify_shared_secret(TOKEN, authorization=header)

    def test_empty_secret_never_validates(self) -> None:
        with pytest.raises(SignatureError, match="no secret"):
            verify_shared_secret(b"", authorization="Bearer ")
