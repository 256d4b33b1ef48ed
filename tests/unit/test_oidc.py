"""Single sign-on without a provider: its settings, the role a claim maps to, the flow's cookie,
and the pages a sign-in that cannot go on ends at (never a 500, nothing echoed unescaped).

The flow against a real OpenID provider is tests/integration/test_sign_in.py.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from lineage.api.app import create_api
from lineage.settings import ApiSettings, KafkaSettings, Neo4jSettings, OidcSettings, Settings, section_env
from lineage.web import oidc as sso
from tests.unit.test_api_queries import DownDriver
from tests.unit.test_workspace import TOKEN

PUBLIC_URL = "https://lineage.test"
ROLE_MAP = {"lineage-viewer": "viewer", "lineage-dpo": "dpo", "lineage-admin": "admin"}


def oidc(**changes: Any) -> OidcSettings:
    fields: dict[str, Any] = {
        "issuer": "https://id.example.com/realms/acme",
        "client_id": "lineage",
        "client_secret": "client-secret-1",
        "role_claim": "groups",
        "role_map": ROLE_MAP,
    }
    return OidcSettings(**(fields | changes))


def settings(sign_in: OidcSettings | None = None, public_url: str | None = PUBLIC_URL) -> Settings:
    return Settings(
        kafka=KafkaSettings(bootstrap="127.0.0.1:9"),
        neo4j=Neo4jSettings(uri="bolt://127.0.0.1:9"),
        subject_key="unit-test-subject-key",
        api=ApiSettings(query_token=TOKEN, public_url=public_url),
        oidc=sign_in if sign_in is not None else oidc(),
    )


class TestSettings:
    def test_unset_is_off_and_valid(self) -> None:
        assert not OidcSettings().enabled
        assert not settings(OidcSettings(), public_url=None).oidc.enabled

    @pytest.mark.parametrize(
        ("changes", "problem"),
        [
            ({"client_id": None}, "needs LINEAGE_OIDC_CLIENT_ID"),
            ({"client_secret": ""}, "needs LINEAGE_OIDC_CLIENT_SECRET"),
            ({"issuer": None}, "needs LINEAGE_OIDC_ISSUER"),
            ({"issuer": "http://id.example.com"}, "must be an https:// URL"),
            ({"issuer": "https://id.example.com/?a=b"}, "no query|not have a query"),
            ({"scopes": "profile email"}, "must include openid"),
            ({"role_claim": "realm_access..roles"}, "must name a claim"),
            ({"role_map": {}}, "no account could sign in"),
            ({"role_map": {" ": "dpo"}}, "empty claim value"),
            ({"role_map": {"lineage-root": "superuser"}}, "role_map"),
        ],
    )
    def test_refuses_what_would_fail_at_the_first_sign_in(
        self, changes: dict[str, Any], problem: str
    ) -> None:
        with pytest.raises(ValidationError, match=problem):
            oidc(**changes)

    def test_http_only_on_loopback(self) -> None:
        assert oidc(issuer="http://localhost:5556").enabled
        assert oidc(issuer="http://127.0.0.1:5556/").enabled

    def test_needs_the_public_url_the_provider_sends_back_to(self) -> None:
        with pytest.raises(ValidationError, match="LINEAGE_API_PUBLIC_URL"):
            settings(public_url=None)

    def test_the_role_map_is_json_in_the_environment_and_goes_back_as_json(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("LINEAGE_OIDC_ISSUER", "https://login.microsoftonline.com/tenant-id/v2.0")
        monkeypatch.setenv("LINEAGE_OIDC_CLIENT_ID", "app-id")
        monkeypatch.setenv("LINEAGE_OIDC_CLIENT_SECRET", "app-secret")
        monkeypatch.setenv("LINEAGE_OIDC_ROLE_MAP", '{"Lineage.DPO": "dpo", "Lineage.Admin": "admin"}')
        read = OidcSettings()
        assert read.role_map == {"Lineage.DPO": "dpo", "Lineage.Admin": "admin"}
        assert json.loads(section_env(read)["LINEAGE_OIDC_ROLE_MAP"]) == read.role_map

    def test_the_client_secret_is_scrubbed_from_logs(self) -> None:
        assert "client-secret-1" in settings().secret_values()
        assert "client-secret-1" not in repr(settings().oidc)


class TestRoles:
    def test_the_highest_mapped_value_wins(self) -> None:
        config = oidc()
        assert sso.role_for({"groups": ["staff", "lineage-viewer"]}, config) == "viewer"
        assert sso.role_for({"groups": ["lineage-admin", "lineage-dpo"]}, config) == "admin"
        assert sso.role_for({"groups": "lineage-dpo"}, config) == "dpo"

    def test_no_mapped_value_is_no_role(self) -> None:
        config = oidc()
        for claims in ({}, {"groups": []}, {"groups": ["staff"]}, {"groups": 3}, {"groups": [{"x": 1}]}):
            assert sso.role_for(claims, config) is None
        assert sso.role_for({"groups": ["LINEAGE-DPO"]}, config) is None  # values match exactly

    def test_a_dotted_claim_reaches_into_an_object(self) -> None:
        config = oidc(role_claim="realm_access.roles")
        assert sso.role_for({"realm_access": {"roles": ["offline_access", "lineage-dpo"]}}, config) == "dpo"
        assert sso.role_for({"realm_access": ["lineage-dpo"]}, config) is None

    def test_an_email_counts_only_when_verified(self) -> None:
        config = oidc(role_claim="email", role_map={"dpo@acme.example": "dpo"})
        assert sso.role_for({"email": "dpo@acme.example", "email_verified": True}, config) == "dpo"
        assert sso.role_for({"email": "dpo@acme.example", "email_verified": False}, config) is None
        assert sso.role_for({"email": "dpo@acme.example"}, config) is None

    def test_google_accounts_of_a_workspace_domain(self) -> None:
        config = oidc(role_claim="hd", role_map={"acme.example": "viewer"})
        assert sso.role_for({"hd": "acme.example"}, config) == "viewer"
        assert sso.role_for({"email": "someone@gmail.com"}, config) is None

    def test_the_account_is_named_by_its_claim_or_its_subject(self) -> None:
        config = oidc(name_claim="email")
        account = sso.account_for(
            {"sub": "u-1", "email": "dana@acme.example", "groups": ["lineage-dpo"]}, config
        )
        assert account == sso.Account("dana@acme.example", "dpo")
        assert sso.account_for({"sub": "u-1", "groups": ["lineage-dpo"]}, config).name == "u-1"
        with pytest.raises(sso.SignInRefused, match="no lineage role") as refused:
            sso.account_for({"sub": "u-2", "email": "nora@acme.example", "groups": ["staff"]}, config)
        assert refused.value.status == 403 and refused.value.name == "nora@acme.example"


class TestFlowCookie:
    def test_round_trips_and_refuses_forgeries_and_other_clients(self) -> None:
        config = oidc()
        flow = {"state": "s1", "nonce": "n1", "verifier": "v1"}
        value = sso.encode_flow(config, flow)
        assert sso.decode_flow(config, value) == flow
        payload, _, signature = value.partition(".")
        forged = sso._b64(sso._unb64(payload).replace(b'"s1"', b'"s2"'))
        assert sso.decode_flow(config, f"{forged}.{signature}") is None
        assert sso.decode_flow(oidc(client_secret="another"), value) is None
        assert sso.decode_flow(config, None) is None and sso.decode_flow(config, "a.!!") is None

    def test_expires(self, monkeypatch: pytest.MonkeyPatch) -> None:
        config = oidc()
        value = sso.encode_flow(config, {"state": "s"})
        monkeypatch.setattr(time, "time", lambda: 10**10)
        assert sso.decode_flow(config, value) is None


def browse(config: Settings, *paths: str, cookies: dict[str, str] | None = None) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        app = create_api(config, graph_driver=DownDriver())  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL, cookies=cookies) as client:
            return [await client.get(path) for path in paths]

    return asyncio.run(run())


class TestPages:
    def test_the_login_page_offers_the_provider_when_configured(self) -> None:
        (with_sso,) = browse(settings(oidc(provider_name="Acme <ID>")), "/ui/login")
        assert 'href="/ui/login/oidc"' in with_sso.text and "Sign in with Acme &lt;ID&gt;" in with_sso.text
        (without,) = browse(settings(OidcSettings()), "/ui/login")
        assert "/ui/login/oidc" not in without.text
        (off,) = browse(settings(OidcSettings()), "/ui/login/oidc")
        assert off.status_code == 404 and "not configured" in off.text

    def test_a_provider_that_does_not_answer_is_a_page(self) -> None:
        (answer,) = browse(settings(oidc(issuer="http://127.0.0.1:9")), "/ui/login/oidc")
        assert answer.status_code == 502 and "did not answer" in answer.text
        assert answer.headers["content-security-policy"].startswith("default-src 'self'")

    def test_a_callback_without_its_flow_or_with_another_state_is_refused(self) -> None:
        config = settings()
        (lost,) = browse(config, "/ui/login/oidc/callback?code=c&state=<script>")
        assert lost.status_code == 400 and "expired or was not started here" in lost.text
        assert "<script>" not in lost.text
        flow = sso.encode_flow(config.oidc, {"state": "the-state", "nonce": "n", "verifier": "v"})
        (tampered,) = browse(
            config, "/ui/login/oidc/callback?code=c&state=another", cookies={sso.FLOW_COOKIE: flow}
        )
        assert tampered.status_code == 400 and "state does not match" in tampered.text
        assert "lineage_session" not in tampered.headers.get("set-cookie", "")
