"""The one place that reads the environment (and an optional ``.env`` file).

Each section has its own prefix so a user can point lineage at their own cluster
(``LINEAGE_KAFKA_BOOTSTRAP``, ``LINEAGE_NEO4J_URI``...) without touching the local stack's
settings. Build a :class:`Settings` once at start and pass it down; settings are frozen.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from pydantic import Field, FilePath, PrivateAttr, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lineage.domain.access import Role
from lineage.errors import ConfigError
from lineage.source_names import SECRET_SETTINGS

# The Maven manifests and the Neo4j launcher, shipped inside the package (a wheel carries them).
MAVEN_DIR = Path(__file__).resolve().parent / "stack" / "maven"


# The shortest secret lineage accepts: the keyed hash's key (bytes), and every token and signing
# secret it checks requests with or signs notices with (characters). A process given a shorter one
# refuses to start, naming the setting; an empty value still means unset.
MIN_SECRET_LENGTH = 16


def _long_enough(prefix: str, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
    """A secret of at least :data:`MIN_SECRET_LENGTH`, or an error naming it (never its value)."""
    if value is not None and 0 < len(value.get_secret_value().encode()) < MIN_SECRET_LENGTH:
        name = f"{prefix}{info.field_name}".upper()
        raise ValueError(f"{name} is too short: at least {MIN_SECRET_LENGTH} characters (bytes) are required")
    return value


def _section(prefix: str) -> SettingsConfigDict:
    """A section's config. Errors never quote the input: a section-wide check (SASL without a
    password) would otherwise print every value of the section, secrets included."""
    return SettingsConfigDict(
        env_prefix=prefix,
        env_file=".env",
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
    )


class StackSettings(BaseSettings):
    """The no-Docker local stack: two Java processes on loopback."""

    model_config = _section("LINEAGE_STACK_")

    home: Path = Field(
        Path(".lineage"),
        description="State folder: data, logs, pid files. A relative path is taken from the "
        "working directory, so each project folder has its own stack (checkout or not).",
    )
    cache: Path = Field(
        Path.home() / ".cache" / "lineage" / "jars",
        description="Where the Maven-resolved server jars are kept between runs.",
    )
    deploy_dir: Path = Field(
        MAVEN_DIR,
        description="Maven manifests and the Neo4j launcher; by default the ones installed with "
        "the package (lineage/stack/maven).",
    )
    host: str = Field("127.0.0.1", description="Address both servers listen on.")
    kafka_port: int = Field(
        9092, description="Kafka client listener (of the first broker; broker n listens 2(n-1) above)."
    )
    kafka_controller_port: int = Field(
        9093, description="KRaft controller listener (of the first broker; broker n's is 2(n-1) above)."
    )
    kafka_brokers: int = Field(
        1,
        ge=1,
        le=9,
        description="Kafka brokers of the local stack, each a KRaft controller too: 1, or 3 for a "
        "cluster that keeps every acknowledged event when one broker dies (topics then get "
        "replication factor 3 and min.insync.replicas 2). Fixed when the stack is created: a stack "
        "that exists keeps its own (its folder's kafka-brokers file).",
    )
    neo4j_port: int = Field(7687, description="Neo4j Bolt listener.")
    kafka_heap: str = Field("512m", description="Kafka JVM -Xmx.")
    neo4j_heap: str = Field("1g", description="Neo4j JVM -Xmx.")
    neo4j_pagecache_mb: int = Field(256, description="Neo4j page cache, sized for a small machine.")
    neo4j_min_replan_s: int = Field(
        300,
        ge=1,
        description="Neo4j's dbms.cypher.min_replan_interval: a graph growing from empty (a first "
        "import, a fresh stack) would otherwise have every statement replanned every 10 s, a "
        "large share of Neo4j's CPU while events stream in.",
    )
    start_timeout: float = Field(180.0, description="Seconds to wait for each server to answer.")
    neo4j_password: SecretStr | None = Field(
        None,
        description="Password of the local Neo4j's `neo4j` user, used when the stack is created; "
        "unset: a random one. A stack that exists keeps its own (its folder's credentials file).",
    )
    kafka_user: str = Field("lineage", description="SCRAM-SHA-512 user of the local Kafka's listener.")
    kafka_password: SecretStr | None = Field(
        None,
        description="Password of that SCRAM user, used when the stack is created; unset: a random "
        "one. A stack that exists keeps its own (its folder's credentials file).",
    )

    @property
    def credentials_file(self) -> Path:
        """Where the stack in ``home`` keeps the credentials its servers were created with
        (mode 0600, written by ``lineage stack up``)."""
        return self.home / STACK_CREDENTIALS_FILE

    @model_validator(mode="after")
    def _stack_credentials(self) -> StackSettings:
        """The credentials of the stack in ``home``: its credentials file once the stack exists
        (the servers were created with those, whatever the environment says now); before that
        LINEAGE_STACK_NEO4J_PASSWORD / LINEAGE_STACK_KAFKA_PASSWORD, else random ones, which
        ``stack up`` writes to the file."""
        kept = read_stack_credentials(self.credentials_file)
        object.__setattr__(self, "kafka_user", kept.get("kafka_user", self.kafka_user))
        for name in ("neo4j_password", "kafka_password"):
            value = kept.get(name) or _or_random(getattr(self, name))
            object.__setattr__(self, name, SecretStr(value))
        _check_stack_credential("LINEAGE_STACK_KAFKA_USER", self.kafka_user, minimum=1)
        for name in ("neo4j_password", "kafka_password"):
            _check_stack_credential(f"LINEAGE_STACK_{name.upper()}", getattr(self, name).get_secret_value())
        return self

    @model_validator(mode="after")
    def _stack_brokers(self) -> StackSettings:
        """A stack that exists keeps the brokers it was created with (their quorum is in their
        storage) unless LINEAGE_STACK_KAFKA_BROKERS says otherwise, which ``stack up`` refuses;
        and no two of its listeners share a port."""
        kept = self.kept_kafka_brokers
        if kept is not None and "kafka_brokers" not in self.model_fields_set:
            object.__setattr__(self, "kafka_brokers", kept)
        ports = [*self.kafka_ports, *self.kafka_controller_ports, self.neo4j_port]
        if len(set(ports)) != len(ports):
            raise ValueError(
                f"the local stack's ports overlap ({', '.join(map(str, ports))}): with "
                f"{self.kafka_brokers} brokers, broker n listens on LINEAGE_STACK_KAFKA_PORT + 2(n-1) "
                "and LINEAGE_STACK_KAFKA_CONTROLLER_PORT + 2(n-1)"
            )
        return self

    @property
    def brokers_file(self) -> Path:
        """Where the stack in ``home`` records how many brokers it was created with."""
        return self.home / STACK_BROKERS_FILE

    @property
    def kept_kafka_brokers(self) -> int | None:
        try:
            return int(self.brokers_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    @property
    def kafka_ports(self) -> list[int]:
        """Each broker's client listener, node 1 first."""
        return [self.kafka_port + 2 * n for n in range(self.kafka_brokers)]

    @property
    def kafka_controller_ports(self) -> list[int]:
        """Each broker's KRaft controller listener, node 1 first."""
        return [self.kafka_controller_port + 2 * n for n in range(self.kafka_brokers)]

    @property
    def replication_factor(self) -> int:
        """What the local cluster's topics get: 3 copies once it has 3 brokers."""
        return min(3, self.kafka_brokers)

    def stack_credentials(self) -> dict[str, str]:
        """The credentials file's entries (environment names), secrets included: for the file only."""
        assert self.neo4j_password is not None and self.kafka_password is not None
        return {
            "LINEAGE_STACK_NEO4J_PASSWORD": self.neo4j_password.get_secret_value(),
            "LINEAGE_STACK_KAFKA_USER": self.kafka_user,
            "LINEAGE_STACK_KAFKA_PASSWORD": self.kafka_password.get_secret_value(),
        }

    def kafka_client(self) -> dict[str, Any]:
        """The KafkaSettings fields of a client of the local broker: SASL_PLAINTEXT with SCRAM."""
        return {
            "bootstrap": ",".join(f"{self.host}:{port}" for port in self.kafka_ports),
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": STACK_SASL_MECHANISM,
            "sasl_username": self.kafka_user,
            "sasl_password": self.kafka_password,
        }

    def neo4j_auth(self) -> tuple[str, str]:
        assert self.neo4j_password is not None
        return STACK_NEO4J_USER, self.neo4j_password.get_secret_value()


STACK_CREDENTIALS_FILE = "credentials.env"
STACK_BROKERS_FILE = "kafka-brokers"
STACK_SASL_MECHANISM = "SCRAM-SHA-512"
STACK_NEO4J_USER = "neo4j"
_CREDENTIAL_FIELDS = {
    "LINEAGE_STACK_NEO4J_PASSWORD": "neo4j_password",
    "LINEAGE_STACK_KAFKA_USER": "kafka_user",
    "LINEAGE_STACK_KAFKA_PASSWORD": "kafka_password",
}


def new_stack_secret() -> str:
    """A password for a local server: 48 hex digits (192 bits), nothing Kafka's
    ``--add-scram`` syntax or a JAAS line would have to quote."""
    return secrets.token_hex(24)


def _check_stack_credential(name: str, value: str, minimum: int = 12) -> None:
    """Kafka's ``--add-scram`` and JAAS syntax would need quoting beyond these characters."""
    if len(value) < minimum or not set(value) <= _CREDENTIAL_CHARACTERS:
        raise ValueError(f"{name} must be {minimum} or more letters, digits, '.', '_', '~' or '-'")


_CREDENTIAL_CHARACTERS = set(string.ascii_letters + string.digits + "._~-")


def _or_random(value: SecretStr | None) -> str:
    given = value.get_secret_value() if value is not None else ""
    return given or new_stack_secret()


def read_stack_credentials(path: Path) -> dict[str, str]:
    """A stack's credentials file as field names to values; empty when there is none yet."""
    try:
        return parse_stack_credentials(path.read_text())
    except FileNotFoundError:
        return {}


def parse_stack_credentials(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        name, _, value = line.strip().partition("=")
        if name in _CREDENTIAL_FIELDS and value:
            found[_CREDENTIAL_FIELDS[name]] = value
    return found


SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class KafkaSettings(BaseSettings):
    """How every Kafka client lineage makes connects (worker, API, CLI, demo, admin): one set,
    turned into each library's options by ``lineage/kafka/clients.py`` alone."""

    model_config = _section("LINEAGE_KAFKA_")

    bootstrap: str | None = Field(None, description="host:port list; default: the local stack's broker.")
    security_protocol: SecurityProtocol = Field(
        "PLAINTEXT",
        description="PLAINTEXT, SSL (TLS), SASL_PLAINTEXT or SASL_SSL (managed "
        "clusters: Confluent Cloud, MSK with SASL/SCRAM, Aiven, Redpanda Cloud).",
    )
    sasl_mechanism: SaslMechanism = Field("PLAIN", description="SASL mechanism of SASL_PLAINTEXT / SASL_SSL.")
    sasl_username: str | None = Field(None, description="SASL user name (API key).")
    sasl_password: SecretStr | None = Field(None, description="SASL password (API secret).")
    ssl_ca_file: FilePath | None = Field(
        None,
        description="PEM file of the CA(s) that signed the brokers' certificates; unset: "
        "the system's trust store (public CAs, as managed clusters use).",
    )
    ssl_cert_file: FilePath | None = Field(
        None, description="PEM client certificate (mutual TLS); may hold the key too."
    )
    ssl_key_file: FilePath | None = Field(None, description="PEM private key of the client certificate.")
    ssl_key_password: SecretStr | None = Field(None, description="Password of an encrypted client key.")
    ssl_check_hostname: bool = Field(
        True,
        description="Check that the broker's certificate names the host connected to. "
        "The certificate chain is verified either way.",
    )

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSettings:
        """Refuse at start what would otherwise fail at the first connection, obscurely."""
        if self.uses_sasl and not (
            self.sasl_username and self.sasl_password and self.sasl_password.get_secret_value()
        ):
            raise ValueError(
                f"LINEAGE_KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs "
                "LINEAGE_KAFKA_SASL_USERNAME and LINEAGE_KAFKA_SASL_PASSWORD"
            )
        tls_files = [self.ssl_ca_file, self.ssl_cert_file, self.ssl_key_file]
        if not self.uses_tls and any(tls_files):
            raise ValueError(
                "LINEAGE_KAFKA_SSL_* files are set but LINEAGE_KAFKA_SECURITY_PROTOCOL="
                f"{self.security_protocol} does not use TLS (SSL or SASL_SSL)"
            )
        if self.ssl_key_file and not self.ssl_cert_file:
            raise ValueError("LINEAGE_KAFKA_SSL_KEY_FILE needs LINEAGE_KAFKA_SSL_CERT_FILE")
        return self


class TopicSettings(BaseSettings):
    """Partitions and replication of lineage's topics, applied by ``streams.admin.ensure_topics``
    at every worker start and ``stack up``. Partitions bound how many workers share the work."""

    model_config = _section("LINEAGE_TOPIC_")

    raw_partitions: int = Field(3, ge=1, description="Partitions of each raw topic.")
    canonical_partitions: int = Field(4, ge=1, description="Partitions of the canonical topic.")
    dead_letter_partitions: int = Field(1, ge=1, description="Partitions of the dead-letter topic.")
    alerts_partitions: int = Field(1, ge=1, description="Partitions of the alerts topic.")
    replication_factor: int = Field(
        1, ge=1, description="Copies of each partition (3 on a production cluster)."
    )
    min_insync_replicas: int | None = Field(
        None,
        ge=1,
        description="Replicas that must have a write before acks=all succeeds; "
        "unset: replication factor - 1 when it is 2 or more, else the broker's default.",
    )

    @model_validator(mode="after")
    def _fits_replication(self) -> TopicSettings:
        if self.min_insync_replicas is not None and self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                "LINEAGE_TOPIC_MIN_INSYNC_REPLICAS cannot exceed "
                "LINEAGE_TOPIC_REPLICATION_FACTOR: no write would ever succeed"
            )
        return self

    @property
    def effective_min_insync_replicas(self) -> int | None:
        """With replication 3, two copies acknowledge each write and one broker may be down."""
        if self.min_insync_replicas is not None:
            return self.min_insync_replicas
        return self.replication_factor - 1 if self.replication_factor >= 2 else None


NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


class Neo4jSettings(BaseSettings):
    model_config = _section("LINEAGE_NEO4J_")

    uri: str | None = Field(
        None,
        description="bolt:// (one server) or neo4j:// (routing: a cluster, reads to "
        "followers), +s for TLS (Aura: neo4j+s://); default: the local stack's server.",
    )
    user: str = Field("neo4j", description="User name, when the server has auth enabled.")
    password: SecretStr = Field(SecretStr(""), description="Password; empty means no auth.")
    database: str = Field("neo4j", description="Database name.")
    max_connection_lifetime_s: float = Field(
        3000.0,
        gt=0,
        description="Pooled connections are replaced after this: under the 60 "
        "minutes after which Aura and cloud load balancers drop idle connections.",
    )
    liveness_check_s: float | None = Field(
        None,
        ge=0,
        description="A pooled connection idle this long is checked before use "
        "(0: always); unset: never (the driver's default).",
    )

    @model_validator(mode="after")
    def _known_scheme(self) -> Neo4jSettings:
        """The driver's own error for a typo'd scheme does not say which setting is wrong."""
        if self.uri is not None and self.uri.split("://", 1)[0] not in NEO4J_SCHEMES:
            raise ValueError(
                f"LINEAGE_NEO4J_URI must start with one of {', '.join(s + '://' for s in NEO4J_SCHEMES)}"
            )
        return self


class NamedSource(Protocol):
    """A source as the settings need it: by its name (a :class:`lineage.sources.Source` is one)."""

    @property
    def name(self) -> str: ...


class ApiSettings(BaseSettings):
    """The webhook receiver (``lineage serve``): where it listens and the secret of each source.

    A source whose secret is unset is refused with 503: unsigned traffic is never accepted by
    default. An empty value counts as unset. Each source of :mod:`lineage.source_names` names
    its field here; a source without one stops the import.
    """

    model_config = _section("LINEAGE_API_")

    host: str = Field("127.0.0.1", description="Address the HTTP server listens on.")
    port: int = Field(8080, ge=1, le=65535, description="Port the HTTP server listens on.")
    max_body_bytes: int = Field(
        1024 * 1024, gt=0, description="Largest webhook body accepted; larger ones get 413."
    )
    publish_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Seconds to wait for Kafka to acknowledge a payload before answering 503, "
        "so the source retries.",
    )
    public_url: str | None = Field(
        None,
        description="Public base URL (scheme://host[:port]) the sources call, when a proxy sits "
        "in front: HubSpot signs the URL it called, not the one the server sees.",
    )
    hubspot_client_secret: SecretStr | None = Field(
        None, description="HubSpot app client secret: key of the X-HubSpot-Signature-v3 HMAC."
    )
    greenhouse_secret: SecretStr | None = Field(
        None, description="Greenhouse web hook secret key: key of the Signature header's HMAC."
    )
    brevo_token: SecretStr | None = Field(
        None, description="Shared secret Brevo sends (Bearer token, or Basic auth password)."
    )
    s3_token: SecretStr | None = Field(
        None, description="Shared secret the S3 notification relay sends (Bearer or Basic password)."
    )
    salesforce_token: SecretStr | None = Field(
        None, description="Shared secret the Salesforce CDC relay sends (Bearer or Basic password)."
    )
    canonical_token: SecretStr | None = Field(
        None, description="Shared secret for producers of canonical events (Bearer or Basic password)."
    )
    openlineage_token: SecretStr | None = Field(
        None,
        description="API key OpenLineage producers send (the HTTP transport's "
        "`Authorization: Bearer <api_key>`) to POST /api/v1/lineage; unset, it answers 503.",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token Prometheus sends to GET /metrics; unset, /metrics is "
        "open (it carries counts per source and stage, no personal data).",
    )
    query_token: SecretStr | None = Field(
        None,
        description="A service token for automation configured by the environment: a bearer "
        "token with the role LINEAGE_API_QUERY_TOKEN_ROLE, recorded in the audit trail as "
        "service:environment. Unset, only API clients (lineage clients add) are accepted.",
    )
    query_token_role: Literal["viewer", "dpo", "admin"] = Field(
        "dpo", description="Role of LINEAGE_API_QUERY_TOKEN: viewer, dpo or admin."
    )
    failed_auth_per_address: str = Field(
        "20/10minutes",
        description="Failed sign-ins and refused tokens allowed from one client address before it "
        "gets 429 (a rate of the limits library: N/period).",
    )
    failed_auth_per_account: str = Field(
        "5/10minutes",
        description="Failed sign-ins allowed for one account name, from any address, before it gets 429.",
    )
    docs: bool = Field(
        False,
        description="Serve /docs, the OpenAPI document in Swagger UI (shipped in the package, "
        "nothing from a CDN). Off by default; /openapi.json is served either way.",
    )
    trust_forwarded_proto: bool = Field(
        False,
        description="Believe the X-Forwarded-Proto header a TLS-terminating proxy sets: an "
        "answer to a request the proxy received over https then carries Strict-Transport-"
        "Security. Set it only when that proxy is the one way in (a client can send the header).",
    )
    session_hours: float = Field(
        8.0, gt=0, le=24 * 7, description="How long a browser workspace session lasts after login."
    )
    insecure_session_cookie: bool = Field(
        False,
        description="Send the workspace's session cookie without the Secure flag, for a "
        "browser on plain http://127.0.0.1 (tests); refused on any other host.",
    )

    @field_validator(*SECRET_SETTINGS.values(), "query_token", "metrics_token")
    @classmethod
    def _secrets_long_enough(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        return _long_enough("LINEAGE_API_", value, info)

    @model_validator(mode="after")
    def _secure_cookie_off_loopback(self) -> ApiSettings:
        """A session cookie sent in clear over a network would hand the token's power to anyone
        on the path: only a loopback-only server may drop the Secure flag."""
        if self.insecure_session_cookie and self.host != "127.0.0.1":
            raise ValueError(
                "LINEAGE_API_INSECURE_SESSION_COOKIE is only allowed with LINEAGE_API_HOST=127.0.0.1"
            )
        return self

    def secret_of(self, source: NamedSource) -> SecretStr | None:
        """The secret a source's webhooks are checked with, None while unset."""
        secret: SecretStr | None = getattr(self, SECRET_SETTINGS[source.name])
        return secret


def _every_source_has_a_secret() -> None:
    """A source added to the registry without its setting would be refused forever, silently."""
    missing = [name for name, field in SECRET_SETTINGS.items() if field not in ApiSettings.model_fields]
    if missing:
        raise TypeError(f"ApiSettings has no secret field for source(s) {', '.join(missing)}")


_every_source_has_a_secret()


class AlertSettings(BaseSettings):
    """Where alerts go besides the alerts topic and the graph."""

    model_config = _section("LINEAGE_ALERT_")

    webhook_url: str | None = Field(None, description="POST every new alert as JSON here.")
    slack_webhook_url: SecretStr | None = Field(
        None, description="Slack-compatible incoming webhook: a text message per new alert."
    )
    sink_timeout_s: float = Field(5.0, gt=0, description="Timeout of one delivery attempt.")
    sink_attempts: int = Field(5, ge=1, description="Delivery attempts before giving up (logged).")


class NoticeSettings(BaseSettings):
    """How erasure tasks reach processors (the catalog's ``notice:`` per processor): e-mail over
    SMTP, or a signed webhook. Both secrets stay here and are never printed."""

    model_config = _section("LINEAGE_NOTICE_")

    smtp_host: str | None = Field(None, description="SMTP server for e-mailed notices; unset: none sent.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port (587 submission, 465 TLS).")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls (587), tls (implicit, 465) or none (a local relay only)."
    )
    smtp_user: str | None = Field(None, description="SMTP login, when the server asks for one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    sender: str = Field("lineage@localhost", description="From address of notices (the DPO's).")
    webhook_secret: SecretStr | None = Field(
        None,
        description="Key of the X-Lineage-Signature HMAC on webhook notices; unset: webhook "
        "notices are not sent (a processor must be able to tell them from forgeries).",
    )
    ack_url: str | None = Field(
        None,
        description="Public base URL of lineage serve that processors acknowledge at "
        "(POST {ack_url}/erasure-requests/{id}/tasks/{task}/ack); default LINEAGE_API_PUBLIC_URL.",
    )
    remind_days: float = Field(
        7.0,
        gt=0,
        description="Remind a processor this many days before the deadline while its "
        "task is outstanding (once per task).",
    )
    timeout_s: float = Field(10.0, gt=0, description="Timeout of one send (SMTP or webhook).")

    @field_validator("webhook_secret")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        return _long_enough("LINEAGE_NOTICE_", value, info)


OIDC_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class OidcSettings(BaseSettings):
    """Sign-in to the workspace through the organisation's OpenID Connect provider (Keycloak,
    Microsoft Entra ID, Google...): authorization code flow with PKCE, the ID token checked
    against the provider's published keys, the role read from one claim and mapped here.

    Unset (no issuer), the workspace offers no single sign-on. The provider's redirect URI is
    ``LINEAGE_API_PUBLIC_URL`` + ``/ui/login/oidc/callback``; see the sign-in page of the manual.
    """

    model_config = _section("LINEAGE_OIDC_")

    issuer: str | None = Field(
        None,
        description="Issuer URL of the provider, as its ID tokens name it; its discovery document "
        "is read from {issuer}/.well-known/openid-configuration. Unset: no single sign-on. "
        "https:// is required, except on a loopback host.",
    )
    client_id: str | None = Field(None, description="Client id of lineage at the provider.")
    client_secret: SecretStr | None = Field(None, description="Client secret of lineage at the provider.")
    token_auth_method: Literal["client_secret_basic", "client_secret_post"] = Field(
        "client_secret_basic",
        description="How the client secret is sent to the token endpoint: HTTP Basic or in the form.",
    )
    provider_name: str = Field(
        "single sign-on", description='Name on the sign-in button: "Sign in with {provider_name}".'
    )
    scopes: str = Field(
        "openid profile email", description="Scopes asked for, space-separated; must include openid."
    )
    role_claim: str = Field(
        "roles",
        description="ID token claim holding the account's roles or groups (a string or a list; "
        "a dotted path reaches into an object, e.g. realm_access.roles).",
    )
    role_map: dict[str, Role] = Field(
        default_factory=dict,
        description="JSON object from a value of the role claim to viewer, dpo or admin, e.g. "
        '{"lineage-dpo":"dpo","lineage-admin":"admin"}. An account gets the highest role its '
        "values map to; one whose values map to none is refused.",
    )
    name_claim: str = Field(
        "preferred_username",
        description="ID token claim naming the account in the workspace and its audit trail "
        "(preferred_username, email...); the subject (sub) when the claim is absent.",
    )
    timeout_s: float = Field(10.0, gt=0, description="Timeout of each call to the provider.")

    @property
    def enabled(self) -> bool:
        return self.issuer is not None

    @model_validator(mode="after")
    def _complete(self) -> OidcSettings:
        """A half-configured provider would fail at the first sign-in, with the user watching."""
        given = {
            "LINEAGE_OIDC_ISSUER": self.issuer,
            "LINEAGE_OIDC_CLIENT_ID": self.client_id,
            "LINEAGE_OIDC_CLIENT_SECRET": self.client_secret and self.client_secret.get_secret_value(),
        }
        if not any(given.values()):
            return self
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise ValueError(f"single sign-on needs {', '.join(missing)} as well")
        assert self.issuer is not None
        issuer = urlsplit(self.issuer)
        if issuer.scheme != "https" and not (
            issuer.scheme == "http" and issuer.hostname in OIDC_LOOPBACK_HOSTS
        ):
            raise ValueError("LINEAGE_OIDC_ISSUER must be an https:// URL (http:// only on a loopback host)")
        if issuer.query or issuer.fragment:
            raise ValueError("LINEAGE_OIDC_ISSUER must not have a query or a fragment")
        if "openid" not in self.scopes.split():
            raise ValueError("LINEAGE_OIDC_SCOPES must include openid")
        if not self.role_claim.strip() or any(not part for part in self.role_claim.split(".")):
            raise ValueError("LINEAGE_OIDC_ROLE_CLAIM must name a claim")
        if not self.role_map:
            raise ValueError("LINEAGE_OIDC_ROLE_MAP is empty: no account could sign in")
        if any(not value.strip() for value in self.role_map):
            raise ValueError("LINEAGE_OIDC_ROLE_MAP has an empty claim value")
        return self


class Settings(BaseSettings):
    """Everything lineage needs to run; sub-sections keep their own env prefixes."""

    model_config = _section("LINEAGE_")

    subject_key: SecretStr | None = Field(
        None,
        description="Secret for the keyed hash of subject identifiers (HMAC-SHA256). Required "
        "to ingest or look people up; never stored in the graph.",
    )
    catalog: Path = Field(
        Path(__file__).resolve().parent / "catalogs" / "demo.yaml",
        description="Catalog of systems, stores, processors and retention rules.",
    )
    catalog_check_s: float = Field(
        5.0,
        gt=0,
        description="How often the worker checks the catalog file for changes; a "
        "change is applied to the graph and its alerts without a restart.",
    )
    retention_check_s: float = Field(
        60.0,
        gt=0,
        description="How often the worker looks for data held past its expiry "
        "(overdue alerts) and for erasure requests past their deadline.",
    )
    tally_refresh_s: float = Field(
        10.0,
        gt=0,
        description="How often the worker folds the people its batches touched into the "
        "counts of held data that transfer impact and the record of processing read "
        "(answers add what is not folded yet, so this bounds their cost, not their accuracy).",
    )
    rights_refresh_s: float = Field(
        2.0,
        gt=0,
        description="How often the worker reads the restrictions, objections and consents "
        "that changed since its last read, for the alerts it raises as events arrive. The "
        "record stage checks every stored batch against the graph as well, so this bounds how "
        "early an alert can come, not whether it comes.",
    )
    consent_grace_s: float = Field(
        0.0,
        ge=0,
        description="Seconds after a consent withdrawal during which processing under that "
        "consent raises no alert (a campaign already under way when the person unsubscribed).",
    )
    record_lanes: int = Field(
        2,
        ge=1,
        description="Batches each worker writes to Neo4j at once. Each lane is a consumer of "
        "its own in the group, reading canonical partitions of its own, so the worker prepares "
        "and sends one batch while Neo4j commits another. Lanes beyond the canonical topic's "
        "partitions (across all workers) stay idle.",
    )
    raw_retention_days: float = Field(
        7.0,
        gt=0,
        description="How long raw topics keep native payloads (personal data as the "
        "sources sent it): long enough to replay after an outage, no longer.",
    )
    dead_letter_retention_days: float = Field(
        30.0, gt=0, description="How long the dead-letter topic keeps refused payloads."
    )
    audit_retention_days: float = Field(
        400.0,
        gt=0,
        description="How long the audit trail keeps an entry (who did what, when): "
        "`lineage audit purge` removes older ones and the chain still verifies from the first "
        "one kept. Long enough to answer for a year of actions and the inquiry that follows.",
    )
    app_id: str = Field("lineage", description="Kafka consumer group id of the worker.")
    worker_metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port of the worker's Prometheus /metrics server; "
        "unset (default), the worker serves no metrics.",
    )
    worker_metrics_host: str = Field(
        "127.0.0.1", description="Address the worker's /metrics server listens on."
    )
    topic_namespace: str = Field("lineage", description="Prefix of every Kafka topic name.")
    stack: StackSettings = Field(default_factory=StackSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    topics: TopicSettings = Field(default_factory=TopicSettings)
    neo4j: Neo4jSettings = Field(default_factory=Neo4jSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    notices: NoticeSettings = Field(default_factory=NoticeSettings)
    oidc: OidcSettings = Field(default_factory=OidcSettings)

    _local_stack: bool = PrivateAttr(False)

    @field_validator("subject_key")
    @classmethod
    def _key_long_enough(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        return _long_enough("LINEAGE_", value, info)

    @property
    def uses_local_stack(self) -> bool:
        """True unless the user named their own Kafka and Neo4j servers."""
        return self._local_stack

    @model_validator(mode="after")
    def _sign_in_comes_back(self) -> Settings:
        """The provider sends the browser back to a URL it was told in advance: the public one."""
        if self.oidc.enabled and not self.api.public_url:
            raise ValueError(
                "LINEAGE_OIDC_ISSUER needs LINEAGE_API_PUBLIC_URL: the provider redirects to "
                "{public_url}/ui/login/oidc/callback"
            )
        return self

    @model_validator(mode="after")
    def _default_to_local_stack(self) -> Settings:
        host = self.stack.host
        self._local_stack = self.kafka.bootstrap is None and self.neo4j.uri is None
        # The local stack's servers require its credentials: Kafka SASL/SCRAM, Neo4j auth.
        if self.kafka.bootstrap is None:
            object.__setattr__(self, "kafka", self.kafka.model_copy(update=self.stack.kafka_client()))
            if "replication_factor" not in self.topics.model_fields_set:  # 3 on a 3-broker stack
                copies = {"replication_factor": self.stack.replication_factor}
                object.__setattr__(self, "topics", self.topics.model_copy(update=copies))
        if self.neo4j.uri is None:
            user, password = self.stack.neo4j_auth()
            uri = f"bolt://{host}:{self.stack.neo4j_port}"
            update = {"uri": uri, "user": user, "password": SecretStr(password)}
            object.__setattr__(self, "neo4j", self.neo4j.model_copy(update=update))
        return self

    @property
    def kafka_bootstrap(self) -> str:
        assert self.kafka.bootstrap is not None
        return self.kafka.bootstrap

    @property
    def neo4j_uri(self) -> str:
        assert self.neo4j.uri is not None
        return self.neo4j.uri

    def secret_values(self) -> list[str]:
        """Every configured secret, so log hygiene can scrub them wherever they appear."""
        found = [
            self.subject_key,
            self.neo4j.password,
            self.stack.neo4j_password,
            self.stack.kafka_password,
            self.alerts.slack_webhook_url,
            self.kafka.sasl_password,
            self.kafka.ssl_key_password,
            self.api.query_token,
            self.api.metrics_token,
            *(getattr(self.api, field) for field in SECRET_SETTINGS.values()),
            self.notices.smtp_password,
            self.notices.webhook_secret,
            self.oidc.client_secret,
        ]
        values = [s.get_secret_value() for s in found if s is not None]
        return [v for v in values if v] + ([self.alerts.webhook_url] if self.alerts.webhook_url else [])

    def require_subject_key(self) -> bytes:
        """The hashing secret, or a clear error telling the user how to set it."""
        if self.subject_key is None or not self.subject_key.get_secret_value():
            raise ConfigError(
                "LINEAGE_SUBJECT_KEY is not set: it is the secret of the keyed hash that stands "
                "for people in the graph. Set it in the environment or in .env "
                "(`make .env` writes a random one)."
            )
        return self.subject_key.get_secret_value().encode()


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment of a child process (the worker the runner starts, the API a benchmark
    serves) that builds the same settings as ``settings``: this process's environment without
    its ``LINEAGE_*`` variables, then every setting of every section, derived from the models so
    a new setting reaches the child without being listed here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_")}
    env.update(section_env(settings))
    for name in type(settings).model_fields:
        if isinstance(section := getattr(settings, name), BaseSettings):
            env.update(section_env(section))
    return env


def section_env(section: BaseSettings) -> dict[str, str]:
    """The environment variables that rebuild ``section``'s own fields (not its sub-sections)
    in a child process, secrets included: they go to the child's environment, never to a log."""
    prefix = str(section.model_config.get("env_prefix", ""))
    env = {}
    for name in type(section).model_fields:
        value = getattr(section, name)
        if value is None or isinstance(value, BaseSettings):
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, Path):  # the child may start elsewhere
            value = value.resolve()
        if isinstance(value, dict | list):  # read back as JSON, as the user wrote it
            value = json.dumps(value)
        env[f"{prefix}{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return env
