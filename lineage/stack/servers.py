"""How each server of the local stack is configured, started and known to be up."""

from __future__ import annotations

import base64
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lineage.errors import StackError
from lineage.settings import STACK_SASL_MECHANISM, KafkaSettings, StackSettings
from lineage.stack.credentials import keep_credentials, write_private
from lineage.stack.jars import require_tool, server_jars
from lineage.stack.process import ManagedProcess

KAFKA_LOG4J = """\
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.BrokerServer=INFO
"""


@dataclass(frozen=True)
class SecureListeners:
    """Two more listeners on a local broker, beside its SASL_PLAINTEXT one, to test lineage's
    TLS and SASL settings against a real broker: SSL requiring a client certificate (mutual
    TLS), and SASL_SSL with PLAIN and SCRAM-SHA-256 users. The SASL_PLAINTEXT listener (the
    stack's SCRAM-SHA-512 user) stays for the broker's own traffic and the health check."""

    ssl_port: int
    sasl_ssl_port: int
    keystore: Path  # PKCS12: the broker's key and certificate chain
    keystore_password: str
    truststore: Path  # PEM: the CA client certificates must chain to
    users: tuple[tuple[str, str], ...]  # SASL (user, password), for PLAIN and SCRAM-SHA-256

    def listeners(self, host: str) -> list[str]:
        return [f"SSL://{host}:{self.ssl_port}", f"SASL_SSL://{host}:{self.sasl_ssl_port}"]

    def properties(self) -> list[str]:
        """server.properties lines: TLS material for both, client certificates required on SSL
        only, and the SASL users (PLAIN's in its JAAS line, SCRAM's stored at format time)."""
        plain_users = " ".join(f'user_{user}="{password}"' for user, password in self.users)
        return [
            "ssl.keystore.type=PKCS12",
            f"ssl.keystore.location={self.keystore}",
            f"ssl.keystore.password={self.keystore_password}",
            f"ssl.key.password={self.keystore_password}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={self.truststore}",
            "listener.name.ssl.ssl.client.auth=required",
            "listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256",
            "listener.name.sasl_ssl.plain.sasl.jaas.config="
            f"org.apache.kafka.common.security.plain.PlainLoginModule required {plain_users};",
            "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        ]

    def format_arguments(self) -> list[str]:
        """StorageTool arguments that store the SCRAM credentials (KRaft keeps them in metadata)."""
        return [
            argument
            for user, password in self.users
            for argument in ("--add-scram", f"SCRAM-SHA-256=[name={user},password={password}]")
        ]


@dataclass(frozen=True)
class LocalServer:
    """One Java server: how to prepare its folder, its command line, and its health check."""

    name: str
    address: str
    process: ManagedProcess
    prepare: Callable[[], list[str]]  # writes config, returns the command line
    answers: Callable[[], bool]
    ports: tuple[tuple[str, int], ...]

    def ensure_running(self, timeout: float) -> bool:
        """Start unless already up; True when this call started it. Waits until it answers."""
        started = self.launch()
        self.wait(timeout, started)
        return started is not None

    def launch(self) -> subprocess.Popen[bytes] | None:
        """Start the process unless it runs; the new process, or None. Does not wait: the brokers
        of a quorum answer only once a majority of them is up, so all start before any is awaited."""
        if self.process.pid() is not None:
            return None
        _refuse_taken_port(self.name, self.ports)
        command = self.prepare()
        return self.process.start(command, cwd=self.process.log_file.parent)

    def wait(self, timeout: float, started: subprocess.Popen[bytes] | None = None) -> None:
        """Until it answers; a process ``started`` here that exits is reported with its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answers():
                return
            if started is not None and started.poll() is not None:
                raise StackError(
                    f"{self.name} exited during start; last log lines "
                    f"({self.process.log_file}):\n{self.process.log_tail()}"
                )
            time.sleep(0.5)
        raise StackError(
            f"{self.name} did not answer on {self.address} within {timeout:.0f}s; "
            f"log: {self.process.log_file}\n{self.process.log_tail()}"
        )


def kafka_servers(settings: StackSettings, answers: Callable[[KafkaSettings], bool]) -> list[LocalServer]:
    """Every broker of the stack, node 1 first: one, or a cluster whose nodes are each broker
    and KRaft controller (a quorum of 3 voters survives one dead node)."""
    return [kafka_server(settings, answers, node=node) for node in range(1, settings.kafka_brokers + 1)]


def kafka_server(
    settings: StackSettings,
    answers: Callable[[KafkaSettings], bool],
    secure: SecureListeners | None = None,
    node: int = 1,
) -> LocalServer:
    """One broker: its client listener requires SASL/SCRAM (the stack's user, created when the
    storage is formatted); ``secure`` adds TLS and SASL listeners (the security integration test).
    The health check logs in as the stack's user, to this broker alone."""
    home = kafka_home(settings, node)
    port = settings.kafka_ports[node - 1]
    address = f"{settings.host}:{port}"
    client = KafkaSettings.model_construct(**(settings.kafka_client() | {"bootstrap": address}))

    def prepare() -> list[str]:
        java = require_tool("java", "run the Kafka broker")
        keep_credentials(settings)
        lib = server_jars(settings, "kafka")
        config = _write_kafka_config(settings, home, secure, node)
        classpath = f"{lib}/*"
        if not (home / "data" / "meta.properties").exists():
            _format_kafka_storage(
                java,
                [
                    "-cp",
                    classpath,
                    f"-Dlog4j.configuration=file:{home / 'log4j.properties'}",
                    "kafka.tools.StorageTool",
                    "format",
                    f"--cluster-id={_kafka_cluster_id(settings)}",
                    "-c",
                    str(config),
                    *_scram_arguments(settings),
                    *(secure.format_arguments() if secure else []),
                ],
                home,
            )
        return [
            java,
            f"-Xmx{settings.kafka_heap}",
            "-XX:+UseG1GC",
            f"-Dlog4j.configuration=file:{home / 'log4j.properties'}",
            "-cp",
            classpath,
            "kafka.Kafka",
            str(config),
        ]

    return LocalServer(
        name="Kafka" if settings.kafka_brokers == 1 else f"Kafka {node}",
        address=address,
        process=ManagedProcess("kafka", home / "kafka.pid", home / "kafka.log", "kafka.Kafka"),
        prepare=prepare,
        answers=lambda: answers(client),
        ports=(
            (settings.host, port),
            (settings.host, settings.kafka_controller_ports[node - 1]),
            *(((settings.host, secure.ssl_port), (settings.host, secure.sasl_ssl_port)) if secure else ()),
        ),
    )


def kafka_home(settings: StackSettings, node: int) -> Path:
    """Node 1's folder is ``kafka`` (as a one-broker stack's), node n's ``kafka-n``."""
    return settings.home.resolve() / ("kafka" if node == 1 else f"kafka-{node}")


def neo4j_server(settings: StackSettings, answers: Callable[[str, tuple[str, str]], bool]) -> LocalServer:
    """Neo4j with authentication: the launcher sets the ``neo4j`` user's password from the
    stack's credentials file at every start. The health check logs in with it."""
    home = settings.home.resolve() / "neo4j"
    uri = f"bolt://{settings.host}:{settings.neo4j_port}"

    def prepare() -> list[str]:
        java = require_tool("java", "run the Neo4j server")
        credentials = keep_credentials(settings).resolve()
        lib = server_jars(settings, "neo4j")
        launcher = settings.deploy_dir / "Neo4jLauncher.java"
        (home / "data").mkdir(parents=True, exist_ok=True)
        return [
            java,
            f"-Xmx{settings.neo4j_heap}",
            "-XX:+UseG1GC",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "-cp",
            f"{lib}/*",
            str(launcher),
            str(home / "data"),
            settings.host,
            str(settings.neo4j_port),
            str(settings.neo4j_pagecache_mb),
            str(settings.neo4j_min_replan_s),
            str(credentials),
        ]

    return LocalServer(
        name="Neo4j",
        address=uri,
        process=ManagedProcess("neo4j", home / "neo4j.pid", home / "neo4j.log", "Neo4jLauncher"),
        prepare=prepare,
        answers=lambda: answers(uri, settings.neo4j_auth()),
        ports=((settings.host, settings.neo4j_port),),
    )


def _refuse_taken_port(name: str, ports: tuple[tuple[str, int], ...]) -> None:
    """A server we did not start already listens there: say so rather than fail obscurely."""
    for host, port in ports:
        with socket.socket() as probe:
            probe.settimeout(1.0)
            if probe.connect_ex((host, port)) == 0:
                raise StackError(
                    f"cannot start {name}: {host}:{port} is already in use by a process this "
                    "stack did not start. Stop it, or choose other ports (LINEAGE_STACK_*_PORT), "
                    "or use that server with LINEAGE_KAFKA_BOOTSTRAP / LINEAGE_NEO4J_URI."
                )


def _write_kafka_config(
    settings: StackSettings, home: Path, secure: SecureListeners | None = None, node: int = 1
) -> Path:
    """server.properties (mode 0600: it holds the broker's own SCRAM login). The client listener
    requires SASL/SCRAM and carries the brokers' own traffic too; the KRaft controller listeners
    stay PLAINTEXT on loopback, spoken by the stack's own processes. With 3 brokers every topic,
    the internal ones included, has 3 copies and a write needs 2 (acks=all)."""
    host, port = settings.host, settings.kafka_ports[node - 1]
    cport = settings.kafka_controller_ports[node - 1]
    voters = ",".join(f"{n}@{host}:{p}" for n, p in enumerate(settings.kafka_controller_ports, start=1))
    copies = settings.replication_factor
    insync = max(1, copies - 1)
    (home / "data").mkdir(parents=True, exist_ok=True)
    (home / "log4j.properties").write_text(KAFKA_LOG4J)
    config = home / "server.properties"
    extra = secure.listeners(host) if secure else []
    advertised = ",".join([f"SASL_PLAINTEXT://{host}:{port}", *extra])
    protocols = "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT" + (
        ",SSL:SSL,SASL_SSL:SASL_SSL" if secure else ""
    )
    assert settings.kafka_password is not None  # StackSettings fills it in
    mechanism = STACK_SASL_MECHANISM.lower()
    login = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{settings.kafka_user}" password="{settings.kafka_password.get_secret_value()}";'
    )
    write_private(
        config,
        "\n".join(
            [
                "process.roles=broker,controller",
                f"node.id={node}",
                f"controller.quorum.voters={voters}",
                f"listeners={advertised},CONTROLLER://{host}:{cport}",
                f"advertised.listeners={advertised}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=SASL_PLAINTEXT",
                f"listener.security.protocol.map={protocols}",
                f"sasl.enabled.mechanisms={STACK_SASL_MECHANISM}",
                f"sasl.mechanism.inter.broker.protocol={STACK_SASL_MECHANISM}",
                f"listener.name.sasl_plaintext.sasl.enabled.mechanisms={STACK_SASL_MECHANISM}",
                f"listener.name.sasl_plaintext.{mechanism}.sasl.jaas.config={login}",
                *(secure.properties() if secure else []),
                f"log.dirs={home / 'data'}",
                f"offsets.topic.replication.factor={copies}",
                "offsets.topic.num.partitions=10",
                f"transaction.state.log.replication.factor={copies}",
                f"transaction.state.log.min.isr={insync}",
                f"default.replication.factor={copies}",
                f"min.insync.replicas={insync}",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "num.partitions=4",
                "",
            ]
        ),
    )
    return config


def _scram_arguments(settings: StackSettings) -> list[str]:
    """StorageTool arguments that store the stack's SCRAM user (KRaft keeps it in metadata)."""
    assert settings.kafka_password is not None
    password = settings.kafka_password.get_secret_value()
    return ["--add-scram", f"{STACK_SASL_MECHANISM}=[name={settings.kafka_user},password={password}]"]


def _format_kafka_storage(java: str, arguments: list[str], home: Path) -> None:
    """Run StorageTool with its arguments in a java @-file (mode 0600, removed after): the SCRAM
    passwords never appear on a command line other users of the machine can read."""
    argfile = home / "format.args"
    write_private(argfile, "\n".join(_java_argfile_quote(a) for a in arguments) + "\n")
    try:
        _run_java([java, f"@{argfile}"], shown="kafka.tools.StorageTool format")
    finally:
        argfile.unlink(missing_ok=True)


def _java_argfile_quote(argument: str) -> str:
    """One argument of a java @-file: quoted, backslashes and quotes escaped."""
    return '"' + argument.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _kafka_cluster_id(settings: StackSettings) -> str:
    """The stack's cluster id, the same for every broker's storage: kept in its folder."""
    kept = settings.home / "kafka-cluster-id"
    if not kept.exists():
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))
    return kept.read_text().strip()


def _run_java(command: list[str], shown: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StackError(f"{shown} failed:\n{result.stdout}{result.stderr}")
