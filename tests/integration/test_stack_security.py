"""The local stack refuses who lacks its credentials: Kafka's client listener requires SASL/SCRAM
(no PLAINTEXT client, no wrong password, no other mechanism) and Neo4j a password, while the
settings that point at the stack (read from its credentials file) connect to both."""

from __future__ import annotations

import uuid

import pytest
from pydantic import SecretStr

from graph.connection import open_driver, server_answers
from lineage.kafka.clients import broker_answers
from lineage.kafka.topics import Topics
from lineage.settings import KafkaSettings, Settings
from streams.admin import delete_topics, ensure_topics
from streams.monitor import read_topic
from streams.publisher import RawPublisher

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(servers: Settings) -> Settings:
    if not servers.uses_local_stack:
        pytest.skip("the servers are not the local stack (Docker, or the user's own)")
    return servers


def test_the_stack_settings_connect_with_its_kept_credentials(stack: Settings) -> None:
    assert stack.kafka.security_protocol == "SASL_PLAINTEXT" and stack.kafka.sasl_mechanism == "SCRAM-SHA-512"
    assert broker_answers(stack.kafka)
    names = Topics(f"stack-sec-{uuid.uuid4().hex[:8]}")
    ensure_topics(stack.kafka, names.all())
    try:
        with RawPublisher(stack.kafka, names.raw("brevo").name) as publisher:
            assert list(publisher.publish([b"over-scram"])) == [1]
        assert read_topic(stack.kafka, names.raw("brevo").name) == [b"over-scram"]
    finally:
        delete_topics(stack.kafka, names.all())
    with open_driver(stack) as driver:
        records, _, _ = driver.execute_query("RETURN 1 AS one", database_=stack.neo4j.database)
    assert records[0]["one"] == 1
    credentials = stack.stack.credentials_file
    assert credentials.stat().st_mode & 0o777 == 0o600
    assert stack.neo4j.password.get_secret_value() in credentials.read_text()


def test_kafka_refuses_a_client_without_credentials_or_with_wrong_ones(stack: Settings) -> None:
    kafka = stack.kafka
    assert not broker_answers(kafka.bootstrap or "")  # a bare bootstrap: PLAINTEXT, no login
    assert not broker_answers(KafkaSettings.model_construct(bootstrap=kafka.bootstrap))
    assert not broker_answers(kafka.model_copy(update={"sasl_password": SecretStr("not-the-password")}))
    assert not broker_answers(kafka.model_copy(update={"sasl_username": "someone-else"}))
    # The same password over another mechanism: only SCRAM-SHA-512 is enabled (PLAIN would
    # send it in clear on a listener without TLS).
    assert not broker_answers(kafka.model_copy(update={"sasl_mechanism": "SCRAM-SHA-256"}))
    assert not broker_answers(kafka.model_copy(update={"sasl_mechanism": "PLAIN"}))


def test_neo4j_refuses_a_connection_without_the_password(stack: Settings) -> None:
    uri, user = stack.neo4j_uri, stack.neo4j.user
    assert server_answers(uri, (user, stack.neo4j.password.get_secret_value()))
    assert not server_answers(uri)  # no auth at all
    assert not server_answers(uri, (user, "not-the-password"))
    assert not server_answers(uri, ("neo4j", "neo4j"))  # the default password is gone
