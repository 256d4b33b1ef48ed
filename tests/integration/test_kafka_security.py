"""lineage's Kafka clients over TLS and SASL against a real broker.

A second local broker (the project's own Kafka jars, a tmp folder, free ports) gets two more
listeners besides PLAINTEXT: SSL requiring a client certificate (mutual TLS), and SASL_SSL
with PLAIN and SCRAM-SHA-256 users. The certificates are made with openssl for the test. Every
client is built by ``lineage/kafka/clients`` from ``KafkaSettings`` as a user would set them:
kafka-python (admin, publisher, monitor), aiokafka (the API's producer) and faust (a real
``lineage worker`` process, which also reads Neo4j through a ``neo4j://`` routing URI).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from graph.connection import open_driver
from graph.reader import GraphReader
from lineage.api.sink import RawSink
from lineage.kafka.clients import broker_answers
from lineage.kafka.topics import RECEIVED_AT_HEADER, Topics, topics_of
from lineage.runner import WorkerProcess
from lineage.settings import KafkaSettings, Neo4jSettings, Settings, StackSettings
from lineage.stack.servers import SecureListeners, kafka_server
from streams.admin import delete_topics, ensure_topics, topic_config
from streams.monitor import read_records, read_topic
from streams.publisher import RawPublisher
from tests.tls import TlsMaterial, make_tls_material, openssl_available

pytestmark = pytest.mark.integration

USER, PASSWORD = "lineage-svc", "sasl-test-password-1"


@dataclass(frozen=True)
class SecureBroker:
    tls: TlsMaterial
    ssl_address: str
    sasl_ssl_address: str

    def mutual_tls(self, **fields: object) -> KafkaSettings:
        return KafkaSettings.model_validate(
            {
                "bootstrap": self.ssl_address,
                "security_protocol": "SSL",
                "ssl_ca_file": self.tls.ca,
                "ssl_cert_file": self.tls.client_cert,
                "ssl_key_file": self.tls.client_key,
                **fields,
            }
        )

    def sasl_ssl(self, **fields: object) -> KafkaSettings:
        return KafkaSettings.model_validate(
            {
                "bootstrap": self.sasl_ssl_address,
                "security_protocol": "SASL_SSL",
                "ssl_ca_file": self.tls.ca,
                "sasl_username": USER,
                "sasl_password": PASSWORD,
                **fields,
            }
        )


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    """A broker with SSL (client certificate required) and SASL_SSL listeners, for this module."""
    if not (openssl_available() and shutil.which("java") and shutil.which("mvn")):
        pytest.skip("needs openssl, java and mvn to run a TLS broker from the project's jars")
    folder = tmp_path_factory.mktemp("secure-kafka")
    tls = make_tls_material(folder / "tls")
    port, controller, ssl_port, sasl_port = _free_ports(4)
    stack = StackSettings(home=folder / "stack", kafka_port=port, kafka_controller_port=controller)
    listeners = SecureListeners(
        ssl_port, sasl_port, tls.keystore, tls.keystore_password, tls.ca, ((USER, PASSWORD),)
    )
    server = kafka_server(stack, broker_answers, listeners)
    server.ensure_running(stack.start_timeout)
    try:
        yield SecureBroker(tls, f"127.0.0.1:{ssl_port}", f"127.0.0.1:{sasl_port}")
    finally:
        server.process.stop()


@pytest.fixture
def names() -> Topics:
    return Topics(f"sec-{uuid.uuid4().hex[:8]}")


def test_mutual_tls_carries_admin_producer_and_consumer(secure_broker: SecureBroker, names: Topics) -> None:
    kafka = secure_broker.mutual_tls()
    assert broker_answers(kafka)
    assert ensure_topics(kafka, names.all()) == [s.name for s in names.all()]
    topic = names.raw("brevo").name
    assert topic_config(kafka, topic)["retention.ms"] == str(names.raw("brevo").retention_ms)
    with RawPublisher(kafka, topic) as publisher:
        assert list(publisher.publish([b"one", b"two"])) == [1, 2]
    assert sorted(read_topic(kafka, topic)) == [b"one", b"two"]
    delete_topics(kafka, names.all())


def test_the_broker_refuses_what_lineage_must_not_get_through(secure_broker: SecureBroker) -> None:
    """Without these refusals the test above would prove nothing: the listener insists on a
    client certificate, an unknown CA fails verification, a wrong password fails SASL."""
    assert not broker_answers(secure_broker.mutual_tls(ssl_cert_file=None, ssl_key_file=None))
    assert not broker_answers(secure_broker.mutual_tls(ssl_ca_file=secure_broker.tls.other_ca))
    assert not broker_answers(secure_broker.sasl_ssl(sasl_password="not-the-password"))


def test_sasl_ssl_with_plain_and_scram(secure_broker: SecureBroker, names: Topics) -> None:
    plain = secure_broker.sasl_ssl(sasl_mechanism="PLAIN")
    scram = secure_broker.sasl_ssl(sasl_mechanism="SCRAM-SHA-256")
    ensure_topics(scram, names.all())
    topic = names.raw("hubspot").name
    with RawPublisher(plain, topic) as publisher:
        list(publisher.publish([b"by-plain"]))
    with RawPublisher(scram, topic) as publisher:
        list(publisher.publish([b"by-scram"]))
    assert sorted(read_topic(plain, topic)) == [b"by-plain", b"by-scram"]
    delete_topics(plain, names.all())


def test_the_api_producer_publishes_over_sasl_ssl(secure_broker: SecureBroker, names: Topics) -> None:
    kafka = secure_broker.sasl_ssl()
    ensure_topics(kafka, names.all())
    topic = names.raw("canonical").name

    async def publish() -> bool:
        sink = RawSink(kafka, 10.0, 1024 * 1024)
        try:
            await sink.publish(topic, b'{"via": "api"}', 1_780_000_000_000)
            return await sink.broker_answers()
        finally:
            await sink.stop()

    assert asyncio.run(publish())
    [record] = read_records(kafka, topic)
    assert record.value == b'{"via": "api"}'
    assert dict(record.headers)[RECEIVED_AT_HEADER] == b"1780000000000"
    delete_topics(kafka, names.all())


def test_a_worker_stores_a_payload_read_over_sasl_ssl(
    secure_broker: SecureBroker, servers: Settings, hasher, tmp_path: Path
) -> None:
    """faust's consumer, producer and admin client get the credentials; the runner passes every
    Kafka setting (the CA file and the SASL password included) to the child process; the worker
    reads and writes Neo4j through a routing URI (neo4j://), as it would against a cluster."""
    run = f"sec-{uuid.uuid4().hex[:8]}"
    routing_uri = servers.neo4j_uri.replace("bolt://", "neo4j://", 1)
    settings = servers.model_copy(
        update={
            "kafka": secure_broker.sasl_ssl(sasl_mechanism="SCRAM-SHA-256"),
            "neo4j": Neo4jSettings(
                uri=routing_uri,
                user=servers.neo4j.user,
                password=servers.neo4j.password,
                database=servers.neo4j.database,
            ),
            "topic_namespace": run,
            "app_id": run,
        }
    )
    ensure_topics(settings.kafka, topics_of(settings).all())  # the worker prepares the graph
    email = f"secure-{run}@example.org"
    payload = {"id": 1, "email": email, "event": "list_addition", "ts": 1772795100, "list_id": [42]}
    with RawPublisher(settings.kafka, Topics(run).raw("brevo").name) as publisher:
        list(publisher.publish([json.dumps(payload).encode()]))
    with WorkerProcess(settings, tmp_path / "worker.log").start() as worker:
        worker.wait_caught_up(timeout=120)
    with open_driver(settings) as driver:
        stores = {
            row["store"]
            for row in GraphReader(driver, settings.neo4j.database).subject_map(hasher.email(email))
        }
    assert stores == {"brevo/contacts"}
    delete_topics(settings.kafka, Topics(run).all())
