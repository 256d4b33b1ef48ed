"""The one place that reads the environment (and an optional ``.env`` file).

Each section has its own prefix so a user can point lineage at their own cluster
(``LINEAGE_KAFKA_BOOTSTRAP``, ``LINEAGE_NEO4J_URI``...) without touching the local stack's
settings. Build a :class:`Settings` once at start and pass it down; settings are frozen.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lineage.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent


def _section(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", extra="ignore", frozen=True
    )


class StackSettings(BaseSettings):
    """The no-Docker local stack: two Java processes on loopback."""

    model_config = _section("LINEAGE_STACK_")

    home: Path = Field(Path(".lineage"), description="State folder: data, logs, pid files.")
    cache: Path = Field(
        Path.home() / ".cache" / "lineage" / "jars",
        description="Where the Maven-resolved server jars are kept between runs.",
    )
    deploy_dir: Path = Field(
        REPO_ROOT / "deploy" / "stack", description="Maven manifests and the Neo4j launcher."
    )
    host: str = Field("127.0.0.1", description="Address both servers listen on.")
    kafka_port: int = Field(9092, description="Kafka client listener.")
    kafka_controller_port: int = Field(9093, description="KRaft controller listener.")
    neo4j_port: int = Field(7687, description="Neo4j Bolt listener.")
    kafka_heap: str = Field("512m", description="Kafka JVM -Xmx.")
    neo4j_heap: str = Field("1g", description="Neo4j JVM -Xmx.")
    neo4j_pagecache_mb: int = Field(256, description="Neo4j page cache, sized for a small machine.")
    start_timeout: float = Field(180.0, description="Seconds to wait for each server to answer.")


class KafkaSettings(BaseSettings):
    model_config = _section("LINEAGE_KAFKA_")

    bootstrap: str | None = Field(
        None, description="host:port list; default: the local stack's broker."
    )


class Neo4jSettings(BaseSettings):
    model_config = _section("LINEAGE_NEO4J_")

    uri: str | None = Field(None, description="Bolt URI; default: the local stack's server.")
    user: str = Field("neo4j", description="User name, when the server has auth enabled.")
    password: SecretStr = Field(SecretStr(""), description="Password; empty means no auth.")
    database: str = Field("neo4j", description="Database name.")


class ApiSettings(BaseSettings):
    """The webhook receiver (``lineage serve``): where it listens and the secret of each source.

    A source whose secret is unset is refused with 503: unsigned traffic is never accepted by
    default. An empty value counts as unset.
    """

    model_config = _section("LINEAGE_API_")

    host: str = Field("127.0.0.1", description="Address the HTTP server listens on.")
    port: int = Field(8080, ge=1, le=65535, description="Port the HTTP server listens on.")
    max_body_bytes: int = Field(
        1024 * 1024, gt=0, description="Largest webhook body accepted; larger ones get 413."
    )
    publish_timeout_s: float = Field(
        10.0, gt=0,
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
    query_token: SecretStr | None = Field(
        None, description="Bearer token of the query endpoints (transfers, alerts, erasure...); "
        "unset, they answer 503.")


class AlertSettings(BaseSettings):
    """Where alerts go besides the alerts topic and the graph."""

    model_config = _section("LINEAGE_ALERT_")

    webhook_url: str | None = Field(None, description="POST every new alert as JSON here.")
    slack_webhook_url: SecretStr | None = Field(
        None, description="Slack-compatible incoming webhook: a text message per new alert.")
    sink_timeout_s: float = Field(5.0, gt=0, description="Timeout of one delivery attempt.")
    sink_attempts: int = Field(5, ge=1, description="Delivery attempts before giving up (logged).")


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
        5.0, gt=0, description="How often the worker checks the catalog file for changes; a "
        "change is applied to the graph and its alerts without a restart.")
    retention_check_s: float = Field(
        60.0, gt=0, description="How often the worker looks for data held past its expiry "
        "(overdue alerts) and for erasure requests past their deadline.")
    raw_retention_days: float = Field(
        7.0, gt=0, description="How long raw topics keep native payloads (personal data as the "
        "sources sent it): long enough to replay after an outage, no longer.")
    dead_letter_retention_days: float = Field(
        30.0, gt=0, description="How long the dead-letter topic keeps refused payloads.")
    app_id: str = Field("lineage", description="Kafka consumer group id of the worker.")
    topic_namespace: str = Field("lineage", description="Prefix of every Kafka topic name.")
    stack: StackSettings = Field(default_factory=StackSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    neo4j: Neo4jSettings = Field(default_factory=Neo4jSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    _local_stack: bool = PrivateAttr(False)

    @property
    def uses_local_stack(self) -> bool:
        """True unless the user named their own Kafka and Neo4j servers."""
        return self._local_stack

    @model_validator(mode="after")
    def _default_to_local_stack(self) -> Settings:
        host = self.stack.host
        self._local_stack = self.kafka.bootstrap is None and self.neo4j.uri is None
        if self.kafka.bootstrap is None:
            object.__setattr__(
                self, "kafka", self.kafka.model_copy(
                    update={"bootstrap": f"{host}:{self.stack.kafka_port}"})
            )
        if self.neo4j.uri is None:
            object.__setattr__(
                self, "neo4j", self.neo4j.model_copy(
                    update={"uri": f"bolt://{host}:{self.stack.neo4j_port}"})
            )
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
        found = [self.subject_key, self.neo4j.password, self.alerts.slack_webhook_url,
                 self.api.hubspot_client_secret, self.api.greenhouse_secret, self.api.brevo_token,
                 self.api.s3_token, self.api.salesforce_token, self.api.canonical_token,
                 self.api.query_token]
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
