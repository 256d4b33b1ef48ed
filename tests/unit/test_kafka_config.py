"""Each Kafka and topic setting reaches each client lineage makes, without a server: faust's
credentials (what faust hands its aiokafka consumer, producer and admin), aiokafka's options
(the API's producer), kafka-python's (admin, CLI, demo, monitor), and the worker's environment."""

from __future__ import annotations

import ast
import os
import ssl
from pathlib import Path

import faust
import pytest
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from pydantic import ValidationError

from lineage.kafka.clients import RELIABLE_PRODUCER, aiokafka_config, kafka_python_config, ssl_context
from lineage.kafka.topics import Topics, topics_of
from lineage.runner import settings_env
from lineage.settings import KafkaSettings, Neo4jSettings, Settings, StackSettings, TopicSettings
from lineage.stack.servers import SecureListeners, _write_kafka_config
from streams.app import create_app, faust_brokers, faust_credentials
from tests.tls import TlsMaterial, make_tls_material, openssl_available

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = "b1.example.net:9093,b2.example.net:9093"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    if not openssl_available():
        pytest.skip("openssl is needed to make test certificates")
    return make_tls_material(tmp_path_factory.mktemp("tls"))


def kafka(**fields: object) -> KafkaSettings:
    """Settings from explicit values only (the environment cannot leak into a unit test)."""
    return KafkaSettings.model_validate({"bootstrap": BOOTSTRAP, **fields})


def sasl_ssl(tls: TlsMaterial, **fields: object) -> KafkaSettings:
    return kafka(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="svc-lineage",
        sasl_password="s3cret-pw",
        ssl_ca_file=tls.ca,
        **fields,
    )


class TestPlaintext:
    def test_default_is_plaintext_everywhere(self) -> None:
        settings = kafka()
        assert kafka_python_config(settings) == {
            "bootstrap_servers": BOOTSTRAP,
            "security_protocol": "PLAINTEXT",
        }
        assert aiokafka_config(settings) == {"bootstrap_servers": BOOTSTRAP, "security_protocol": "PLAINTEXT"}
        assert faust_credentials(settings) is None
        assert ssl_context(settings) is None

    def test_a_bare_bootstrap_string_is_plaintext_whatever_the_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("LINEAGE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
        assert kafka_python_config("127.0.0.1:9092")["security_protocol"] == "PLAINTEXT"

    def test_faust_gets_one_url_per_broker(self) -> None:
        assert faust_brokers(kafka()) == ["kafka://b1.example.net:9093", "kafka://b2.example.net:9093"]


class TestSasl:
    def test_sasl_reaches_kafka_python_and_aiokafka(self, tls: TlsMaterial) -> None:
        for config in (kafka_python_config(sasl_ssl(tls)), aiokafka_config(sasl_ssl(tls))):
            assert config["bootstrap_servers"] == BOOTSTRAP
            assert config["security_protocol"] == "SASL_SSL"
            assert config["sasl_mechanism"] == "SCRAM-SHA-512"
            assert config["sasl_plain_username"] == "svc-lineage"
            assert config["sasl_plain_password"] == "s3cret-pw"
            assert isinstance(config["ssl_context"], ssl.SSLContext)

    def test_sasl_reaches_faust_as_aiokafka_options(self, tls: TlsMaterial) -> None:
        auth = credentials_to_aiokafka_auth(faust_credentials(sasl_ssl(tls)))
        assert auth["security_protocol"] == "SASL_SSL"
        assert auth["sasl_mechanism"] == "SCRAM-SHA-512"
        assert (auth["sasl_plain_username"], auth["sasl_plain_password"]) == ("svc-lineage", "s3cret-pw")
        assert isinstance(auth["ssl_context"], ssl.SSLContext)

    def test_sasl_plaintext_has_no_tls(self) -> None:
        settings = kafka(security_protocol="SASL_PLAINTEXT", sasl_username="u", sasl_password="p")
        assert "ssl_context" not in kafka_python_config(settings)
        auth = credentials_to_aiokafka_auth(faust_credentials(settings))
        assert auth["security_protocol"] == "SASL_PLAINTEXT" and auth["ssl_context"] is None
        assert auth["sasl_mechanism"] == "PLAIN"

    def test_the_worker_app_carries_the_credentials(self, tls: TlsMaterial) -> None:
        settings = Settings(kafka=sasl_ssl(tls), neo4j=Neo4jSettings(uri="bolt://127.0.0.1:9"))
        app = create_app(settings)
        assert isinstance(app.conf.broker_credentials, faust.SASLCredentials)
        auth = credentials_to_aiokafka_auth(app.conf.broker_credentials, app.conf.ssl_context)
        assert auth["security_protocol"] == "SASL_SSL"
        assert auth["sasl_plain_password"] == "s3cret-pw"
        assert [str(url) for url in app.conf.broker] == faust_brokers(settings.kafka)


class TestTls:
    def test_ca_file_and_hostname_check_reach_every_client(self, tls: TlsMaterial) -> None:
        settings = kafka(security_protocol="SSL", ssl_ca_file=tls.ca)
        contexts = [
            kafka_python_config(settings)["ssl_context"],
            aiokafka_config(settings)["ssl_context"],
            credentials_to_aiokafka_auth(faust_credentials(settings))["ssl_context"],
        ]
        for context in contexts:
            assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
            assert [dict(x[0] for x in c["subject"])["commonName"] for c in context.get_ca_certs()] == [
                "lineage test ca"
            ]
        assert credentials_to_aiokafka_auth(faust_credentials(settings))["security_protocol"] == "SSL"

    def test_hostname_check_off_still_verifies_the_chain(self, tls: TlsMaterial) -> None:
        settings = kafka(security_protocol="SSL", ssl_ca_file=tls.ca, ssl_check_hostname=False)
        config = kafka_python_config(settings)
        assert config["ssl_check_hostname"] is False
        assert not config["ssl_context"].check_hostname
        assert config["ssl_context"].verify_mode == ssl.CERT_REQUIRED

    def test_without_a_ca_file_the_system_trust_store_is_used(self) -> None:
        context = ssl_context(kafka(security_protocol="SSL"))
        assert context is not None and context.verify_mode == ssl.CERT_REQUIRED

    def test_client_certificate_and_key_are_loaded(self, tls: TlsMaterial) -> None:
        ssl_context(
            kafka(
                security_protocol="SSL",
                ssl_ca_file=tls.ca,
                ssl_cert_file=tls.client_cert,
                ssl_key_file=tls.client_key,
            )
        )
        mismatched = kafka(
            security_protocol="SSL",
            ssl_cert_file=tls.client_cert,
            ssl_key_file=tls.ca.with_name("localhost.key"),
        )
        with pytest.raises(ssl.SSLError):  # proves the files are read, not just carried
            kafka_python_config(mismatched)


class TestValidation:
    @pytest.mark.parametrize(
        "fields",
        [
            {"security_protocol": "SASL_SSL"},
            {"security_protocol": "SASL_PLAINTEXT", "sasl_username": "u"},
            {"security_protocol": "SASL_SSL", "sasl_username": "u", "sasl_password": ""},
            {"ssl_ca_file": "/ca.pem"},  # TLS files with PLAINTEXT
            {"security_protocol": "SSL", "ssl_key_file": "/k.pem"},  # key without certificate
            {"security_protocol": "TLS"},
            {
                "security_protocol": "SASL_SSL",
                "sasl_mechanism": "GSSAPI",
                "sasl_username": "u",
                "sasl_password": "p",
            },
        ],
    )
    def test_inconsistent_kafka_settings_are_refused_at_start(self, fields: dict) -> None:
        with pytest.raises(ValidationError):
            kafka(**fields)

    def test_tls_files_must_exist_at_start(self, tmp_path: Path) -> None:
        with pytest.raises(ValidationError, match="ssl_ca_file"):
            kafka(security_protocol="SSL", ssl_ca_file=tmp_path / "missing.pem")

    def test_errors_never_quote_the_password(self) -> None:
        with pytest.raises(ValidationError) as error:
            kafka(security_protocol="SASL_SSL", sasl_password="do-not-print-me")
        assert "do-not-print-me" not in str(error.value)

    def test_secrets_are_scrubbed_from_logs(self) -> None:
        settings = Settings(
            kafka=kafka(
                security_protocol="SASL_SSL",
                sasl_username="u",
                sasl_password="sasl-secret",
                ssl_key_password="key-secret",
            ),
            neo4j=Neo4jSettings(uri="bolt://127.0.0.1:9"),
        )
        assert {"sasl-secret", "key-secret"} <= set(settings.secret_values())
        assert "sasl-secret" not in repr(settings)

    @pytest.mark.parametrize(
        "uri",
        [
            "neo4j+s://abc.databases.neo4j.io",
            "neo4j://core1:7687",
            "bolt://127.0.0.1:7687",
            "bolt+ssc://db:7687",
        ],
    )
    def test_neo4j_routing_and_tls_uris_are_accepted(self, uri: str) -> None:
        assert Neo4jSettings(uri=uri).uri == uri

    @pytest.mark.parametrize("uri", ["http://db:7474", "neo4js://db", "db:7687"])
    def test_other_neo4j_uris_are_refused(self, uri: str) -> None:
        with pytest.raises(ValidationError, match="LINEAGE_NEO4J_URI"):
            Neo4jSettings(uri=uri)


class TestWorkerEnvironment:
    def test_every_kafka_and_topic_setting_reaches_the_child_worker(
        self, tls: TlsMaterial, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        topics = TopicSettings(
            raw_partitions=6,
            canonical_partitions=12,
            dead_letter_partitions=2,
            alerts_partitions=3,
            replication_factor=3,
            min_insync_replicas=2,
        )
        parent = Settings(
            kafka=sasl_ssl(
                tls,
                ssl_cert_file=tls.client_cert,
                ssl_key_file=tls.client_key,
                ssl_check_hostname=False,
                ssl_key_password="kp",
            ),
            topics=topics,
            neo4j=Neo4jSettings(
                uri="neo4j+s://x.databases.neo4j.io",
                user="u",
                password="np",
                database="lineage",
                max_connection_lifetime_s=600,
                liveness_check_s=30,
            ),
        )
        env = settings_env(parent)
        for name in list(os.environ):
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        child = Settings()
        assert child.kafka == parent.kafka
        assert child.topics == parent.topics
        assert child.neo4j == parent.neo4j
        assert child.model_dump(exclude={"stack"}) == parent.model_dump(exclude={"stack"})
        assert child.stack.home == parent.stack.home.resolve()


class TestNeo4jDriver:
    def test_driver_options_hold_nothing_a_tls_scheme_refuses(self) -> None:
        """neo4j+s:// carries TLS in the scheme; ``encrypted`` beside it is a driver error."""
        from neo4j import GraphDatabase

        from graph.connection import driver_options

        settings = Settings(
            kafka=kafka(), neo4j=Neo4jSettings(uri="neo4j+s://x.databases.neo4j.io", liveness_check_s=30)
        )
        options = driver_options(settings)
        assert not {"encrypted", "trusted_certificates", "trust"} & set(options)
        assert options["max_connection_lifetime"] == 3000 and options["liveness_check_timeout"] == 30
        for uri in ("neo4j+s://x.databases.neo4j.io", "neo4j://a:7687", "bolt+s://a:7687"):
            GraphDatabase.driver(uri, auth=("u", "p"), **options).close()  # no connection made


class TestTopicLayout:
    def test_partitions_replication_and_min_isr_reach_every_topic(self) -> None:
        settings = Settings(
            topics=TopicSettings(
                raw_partitions=6,
                canonical_partitions=12,
                dead_letter_partitions=2,
                alerts_partitions=3,
                replication_factor=3,
            ),
            kafka=kafka(),
            neo4j=Neo4jSettings(uri="bolt://127.0.0.1:9"),
        )
        names = topics_of(settings)
        assert {s.partitions for s in names.all_raw()} == {6}
        assert (names.canonical.partitions, names.dead_letter.partitions, names.alerts.partitions) == (
            12,
            2,
            3,
        )
        assert {s.replication_factor for s in names.all()} == {3}
        assert {s.config()["min.insync.replicas"] for s in names.all()} == {"2"}

    def test_defaults_are_the_single_broker_layout(self) -> None:
        names = topics_of(
            Settings(topics=TopicSettings(), kafka=kafka(), neo4j=Neo4jSettings(uri="bolt://127.0.0.1:9"))
        )
        assert [s.partitions for s in names.all()] == [3] * 7 + [4, 1, 1]
        assert all(s.replication_factor == 1 and "min.insync.replicas" not in s.config() for s in names.all())
        assert names.all() == Topics().all()

    def test_min_isr_defaults_to_replication_minus_one(self) -> None:
        assert TopicSettings(replication_factor=2).effective_min_insync_replicas == 1
        assert TopicSettings(replication_factor=3).effective_min_insync_replicas == 2
        assert TopicSettings(replication_factor=3, min_insync_replicas=3).effective_min_insync_replicas == 3

    def test_min_isr_above_replication_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="MIN_INSYNC"):
            TopicSettings(replication_factor=2, min_insync_replicas=3)


class TestSecureListeners:
    def test_the_local_broker_config_gets_ssl_and_sasl_ssl_listeners(self, tmp_path: Path) -> None:
        secure = SecureListeners(
            9194, 9195, tmp_path / "b.p12", "pw", tmp_path / "ca.pem", (("alice", "a-pw"),)
        )
        stack = StackSettings(home=tmp_path, kafka_port=9092)  # not LINEAGE_STACK_KAFKA_PORT's
        text = _write_kafka_config(stack, tmp_path, secure).read_text()
        assert (
            "advertised.listeners=SASL_PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9194,"
            "SASL_SSL://127.0.0.1:9195" in text
        )
        assert "listener.name.ssl.ssl.client.auth=required" in text
        assert 'user_alice="a-pw"' in text
        assert secure.format_arguments() == ["--add-scram", "SCRAM-SHA-256=[name=alice,password=a-pw]"]

    def test_without_them_the_client_listener_is_sasl_scram_only(self, tmp_path: Path) -> None:
        text = _write_kafka_config(StackSettings(home=tmp_path), tmp_path).read_text()
        assert "SSL" not in text and "PLAINTEXT://" not in text.replace("SASL_PLAINTEXT://", "")
        assert "listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512" in text


CLIENTS = {"KafkaProducer", "KafkaConsumer", "KafkaAdminClient", "AIOKafkaProducer", "AIOKafkaConsumer"}
CONFIG_FUNCTIONS = {"kafka_python_config", "aiokafka_config"}


def _sources() -> list[Path]:
    """The product, the laboratory and the tests: the local stack requires SASL, so a client
    built without the settings' security options would fail there too."""
    folders = ("lineage", "streams", "graph", "tools/lineage_lab", "tests")
    return sorted(p for folder in folders for p in (REPO / folder).rglob("*.py"))


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


class TestEveryClientIsConfigured:
    def test_every_kafka_client_is_built_from_the_one_config_function(self) -> None:
        """A client built from a bare bootstrap would ignore TLS and SASL: refused here."""
        bare = []
        for path in _sources():
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and _name(node.func) in CLIENTS:
                    spread = [k.value for k in node.keywords if k.arg is None]
                    if not any(isinstance(v, ast.Call) and _name(v.func) in CONFIG_FUNCTIONS for v in spread):
                        bare.append(f"{path.relative_to(REPO)}:{node.lineno}")
        assert bare == []

    def test_no_client_is_handed_the_bare_bootstrap_string(self) -> None:
        """``settings.kafka_bootstrap`` carries no security settings; only messages may show it."""
        found = []
        for path in _sources():
            if path.name == "settings.py":
                continue
            tree = ast.parse(path.read_text())
            in_text = {id(n) for j in ast.walk(tree) if isinstance(j, ast.JoinedStr) for n in ast.walk(j)}
            found += [
                f"{path.relative_to(REPO)}:{n.lineno}"
                for n in ast.walk(tree)
                if isinstance(n, ast.Attribute) and n.attr == "kafka_bootstrap" and id(n) not in in_text
            ]
        assert found == []

    def test_every_producer_of_the_product_waits_for_all_replicas_and_is_idempotent(self) -> None:
        """A producer without acks=all could acknowledge a write one broker holds; without
        idempotence its retries after a leader died could write a record twice."""
        producers = ("KafkaProducer", "AIOKafkaProducer")
        found, unsafe = [], []
        for path in _sources():
            if path.is_relative_to(REPO / "tests"):
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and _name(node.func) in producers:
                    found.append(path.name)
                    spread = [k.value for k in node.keywords if k.arg is None]
                    if not any(_name(v) == "RELIABLE_PRODUCER" for v in spread):
                        unsafe.append(f"{path.relative_to(REPO)}:{node.lineno}")
        assert sorted(found) == ["outbox.py", "publisher.py", "sink.py"] and unsafe == []
        assert RELIABLE_PRODUCER == {"acks": "all", "enable_idempotence": True}

    def test_the_faust_app_is_given_credentials(self) -> None:
        tree = ast.parse((REPO / "streams" / "app.py").read_text())
        apps = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _name(n.func) == "App"]
        assert apps and all("broker_credentials" in {k.arg for k in a.keywords} for a in apps)
