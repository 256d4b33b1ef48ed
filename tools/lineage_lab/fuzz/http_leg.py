"""The HTTP leg: mutants signed as each source signs, through the real receiver and worker.

The receiver (``create_api``, served by uvicorn on loopback in a thread, as ``lineage serve``
runs it) gets every mutant with a valid signature, so what it refuses it refuses for the body.
A real ``lineage worker`` process then reads the raw topics. Afterwards: the canonical topic,
the dead-letter topic, the worker's log, the receiver's logs and answers, and every string
property of every node and relationship in the graph are searched for the injected addresses.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from neo4j import READ_ACCESS
from pydantic import SecretStr

from graph.connection import open_driver
from lineage.api.app import create_api
from lineage.api.signatures import greenhouse_signature, hubspot_v3_signature
from lineage.domain.catalog import Catalog
from lineage.kafka.topics import Topics
from lineage.runner import WorkerProcess
from lineage.settings import Settings
from lineage.sources import SOURCE_NAMES, SOURCES, SignatureScheme, source_named
from lineage_lab.fuzz.examine import Observation, Pipeline, examine, leak_observations
from lineage_lab.fuzz.findings import FindingBook, Tally
from lineage_lab.fuzz.harness import LegResult
from lineage_lab.fuzz.mutations import HTTP_LONG_SIZES, Marks, Mutant, mutants
from lineage_lab.fuzz.scan import CapturedLogs, leaks_in_properties
from lineage_lab.fuzz.seeds import seed_payloads
from streams.monitor import read_topic
from streams.worker import prepare

# Read-only scans of the whole graph (the fuzz harness's own: no lineage query reads everything).
ALL_NODE_PROPERTIES = "MATCH (n) RETURN properties(n) AS p"
ALL_RELATIONSHIP_PROPERTIES = "MATCH ()-[r]->() RETURN properties(r) AS p"


def fuzz_settings(base: Settings, run: str) -> Settings:
    """``base`` on topics and a consumer group of ``run``'s own, with a fresh secret per source."""
    token = {source.secret_setting: SecretStr(secrets.token_hex(16)) for source in SOURCES}
    api = base.api.model_copy(update=token)
    return base.model_copy(update={"topic_namespace": run, "app_id": run, "api": api})


def signed_headers(settings: Settings, source: str, url: str, body: bytes) -> dict[str, str]:
    """The headers ``source`` sends: HubSpot v3 HMAC, Greenhouse HMAC, else the shared secret."""
    declared = source_named(source)
    configured = settings.api.secret_of(declared)
    assert configured is not None, "fuzz_settings gives every source a secret"
    secret = configured.get_secret_value()
    headers = {"content-type": "application/json"}
    if declared.signature is SignatureScheme.HUBSPOT_V3:
        stamp = str(time.time_ns() // 1_000_000)
        headers["x-hubspot-request-timestamp"] = stamp
        headers["x-hubspot-signature-v3"] = hubspot_v3_signature(secret.encode(), "POST", url, body, stamp)
    elif declared.signature is SignatureScheme.GREENHOUSE:
        headers["signature"] = greenhouse_signature(secret.encode(), body)
    else:
        headers["authorization"] = f"Bearer {secret}"
    return headers


@contextlib.contextmanager
def served(settings: Settings, port: int = 0) -> Iterator[str]:
    """The receiver as ``lineage serve`` runs it, in a thread on loopback; yields its base URL.
    ``log_config=None``: uvicorn's records reach the root logger, where the scan listens."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    server = uvicorn.Server(
        uvicorn.Config(create_api(settings), log_config=None, lifespan="on", access_log=True)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the receiver did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def graph_properties(settings: Settings) -> Iterator[dict[str, Any]]:
    with (
        open_driver(settings) as driver,
        driver.session(database=settings.neo4j.database, default_access_mode=READ_ACCESS) as session,
    ):
        for query in (ALL_NODE_PROPERTIES, ALL_RELATIONSHIP_PROPERTIES):
            for record in session.run(query):
                yield record["p"]


@dataclass
class Sent:
    """One mutant posted: its answer, and what the in-process run says the worker will do."""

    mutant: Mutant
    status: int
    expected_refused: bool
    expected_events: int


def _reason_of(response: httpx.Response) -> str:
    try:
        return str(response.json().get("reason") or "")
    except (ValueError, AttributeError):
        return ""


class HttpLeg:
    """Posts, waits for the worker, then reconciles and scans; one instance per run."""

    def __init__(self, settings: Settings, catalog: Catalog, book: FindingBook) -> None:
        self.settings, self.book = settings, book
        self.expect = Pipeline.build(catalog, settings.require_subject_key(), datetime.now(UTC))
        self.tallies = {source: Tally() for source in SOURCE_NAMES}
        self.sent: list[Sent] = []

    def problem(self, source: str, problem: Observation, mutant: Mutant | None) -> None:
        self.tallies[source].count(problem)
        self.book.note(
            "http", source, problem, mutant.mutation if mutant else "?", mutant.body if mutant else b""
        )

    def post_all(self, base_url: str, batches: dict[str, list[Mutant]], logs: CapturedLogs) -> None:
        with httpx.Client(timeout=60) as client:
            for source, batch in batches.items():
                url = f"{base_url}/webhooks/{source}"
                for mutant in batch:
                    self.post(client, url, mutant, logs)

    def post(self, client: httpx.Client, url: str, mutant: Mutant, logs: CapturedLogs) -> None:
        tally = self.tallies[mutant.source]
        logs.take()
        tally.payloads += 1
        try:
            response = client.post(
                url,
                content=mutant.body,
                headers=signed_headers(self.settings, mutant.source, url, mutant.body),
            )
        except httpx.HTTPError as exc:
            self.problem(
                mutant.source,
                Observation("crash", "http_server", type(exc).__name__, f"no answer: {type(exc).__name__}"),
                mutant,
            )
            return
        tally.statuses[str(response.status_code)] += 1
        for found in leak_observations("http_responses", response.text):
            self.problem(mutant.source, found, mutant)
        for line in logs.take():
            for found in leak_observations("http_logs", line):
                self.problem(mutant.source, found, mutant)
        if response.status_code >= 500:
            tally.http_5xx += 1
            self.book.note(
                "http",
                mutant.source,
                Observation(
                    "http_5xx",
                    "http_server",
                    f"{response.status_code} {_reason_of(response)[:80]}",
                    f"{response.status_code}: {response.text[:300]}",
                ),
                mutant.mutation,
                mutant.body,
            )
        elif response.status_code >= 400:
            tally.refused += 1
            tally.refused_with_reason += bool(_reason_of(response).strip())
        else:  # what the worker will make of it, known only for what the receiver took
            expected = examine(self.expect, mutant)
            self.sent.append(Sent(mutant, response.status_code, expected.refused, expected.events))
            logs.take()

    def reconcile(self, dead_letters: list[dict[str, Any]]) -> None:
        """Each accepted body the worker refused must be in the dead-letter topic with a reason."""
        refused: dict[tuple[str, bytes], str] = {}
        for letter in dead_letters:
            reason = str(letter.get("reason") or "")
            for found in leak_observations("dead_letter_topic", reason):
                self.problem(_source_of(letter), found, self._by_leak(reason))
            if letter.get("stage") == "record":
                self.problem(
                    _source_of(letter),
                    Observation(
                        "crash", "worker:record", reason[:120], f"record stage refused an event: {reason}"
                    ),
                    None,
                )
                continue
            refused[(str(letter.get("source")), _payload_of(letter))] = reason
        for sent in self.sent:
            tally = self.tallies[sent.mutant.source]
            why = refused.get((sent.mutant.source, sent.mutant.body))
            if why is None and sent.expected_refused:
                tally.refused += 1
                self.problem(
                    sent.mutant.source,
                    Observation(
                        "missing_reason",
                        "dead_letter_topic",
                        "refused body not dead-lettered",
                        "the in-process run refuses it, the dead-letter topic does not hold it",
                    ),
                    sent.mutant,
                )
            elif why is None:
                tally.accepted += 1
                tally.events += sent.expected_events
            else:
                tally.refused += 1
                tally.refused_with_reason += bool(why.strip())

    def scan(self, location: str, texts: Sequence[str]) -> int:
        """Leaks in ``texts``, each traced back to the mutant that carried it when possible."""
        count = 0
        for text in texts:
            for found in leak_observations(location, text):
                mutant = self._by_leak(text)
                self.problem(mutant.source if mutant else "canonical", found, mutant)
                count += 1
        return count

    def _by_leak(self, text: str) -> Mutant | None:
        locals_ = {m.group(0).lower() for m in re.finditer(r"fuzz-\d+", text, re.IGNORECASE)}
        for sent in self.sent:
            body = sent.mutant.body.decode("utf-8", "replace").lower()
            if any(re.search(re.escape(local) + r"(?!\d)", body) for local in locals_):
                return sent.mutant
        return None


def _source_of(letter: dict[str, Any]) -> str:
    source = str(letter.get("source"))
    return source if source in SOURCE_NAMES else "canonical"


def _payload_of(letter: dict[str, Any]) -> bytes:
    if "payload_base64" in letter:
        return base64.b64decode(letter["payload_base64"])
    return str(letter.get("payload", "")).encode("utf-8")


def run_http_leg(
    settings: Settings,
    catalog: Catalog,
    per_source: int,
    *,
    seed: int = 1,
    marks: Marks | None = None,
    book: FindingBook | None = None,
    api_port: int = 0,
    worker_loglevel: str = "info",
    timeout_s: float = 900.0,
    sources: Sequence[str] = SOURCE_NAMES,
) -> LegResult:
    """Posts ``per_source`` signed mutants per source, lets a real worker process them, scans.

    ``settings`` must carry the run's own namespace, consumer group and source secrets
    (:func:`fuzz_settings`); the caller owns the servers and removes the topics afterwards.
    """
    book = book if book is not None else FindingBook()
    marks = marks or Marks()
    started = time.monotonic()
    prepare(settings, catalog)
    seeds = seed_payloads()
    batches = {s: list(mutants(s, seeds[s], per_source, seed, marks, list(HTTP_LONG_SIZES))) for s in sources}
    leg = HttpLeg(settings, catalog, book)
    names = Topics(settings.topic_namespace)
    log_file = settings.stack.home.resolve() / f"{settings.topic_namespace}.worker.log"
    with CapturedLogs() as logs, WorkerProcess(settings, log_file, worker_loglevel).start() as worker:
        with served(settings, api_port) as base_url:
            leg.post_all(base_url, batches, logs)
        worker.wait_caught_up(timeout=timeout_s)
    bootstrap = settings.kafka
    canonical = [v.decode("utf-8", "replace") for v in read_topic(bootstrap, names.canonical.name)]
    letters = [json.loads(v) for v in read_topic(bootstrap, names.dead_letter.name)]
    leg.reconcile(letters)
    extra = {
        "canonical_topic_events": len(canonical),
        "dead_letters": len(letters),
        "worker_log": str(log_file),
        "leaks_canonical_topic": leg.scan("canonical_topic", canonical),
        "leaks_worker_log": leg.scan("worker_log", _lines(log_file)),
        "leaks_graph": 0,
    }
    properties = list(graph_properties(settings))
    extra["graph_entities_scanned"] = len(properties)
    extra["leaks_graph"] = leg.scan(
        "graph",
        [json.dumps(p, ensure_ascii=False, default=str) for p in properties if leaks_in_properties([p])],
    )
    return LegResult("http", {s: leg.tallies[s] for s in sources}, time.monotonic() - started, extra)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
