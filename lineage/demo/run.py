"""``make demo`` / ``lineage demo``: the whole pipeline on a realistic feed, then a report.

Beside the feed, one person asks for erasure and another for access (the report a person can
read is written to a file), and one newsletter reaches someone after they unsubscribed, which
lineage alerts on.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lineage import render
from lineage.answers import erasure, requests
from lineage.answers.access_report import access_report, render_html, render_pdf
from lineage.answers.alerts import listed
from lineage.answers.connection import open_driver
from lineage.answers.erasure import org_zone, own_copies
from lineage.answers.report import graph_report
from lineage.answers.retention import expiring
from lineage.answers.scheduled_checks import run_checks
from lineage.answers.subjects import erasure_impact
from lineage.demo.brevo_feed import (
    brevo_feed,
    delivered_after_unsubscribe,
    demo_email,
    malformed_brevo_payloads,
)
from lineage.demo.company_feed import company_feed
from lineage.demo.erasure_feed import deletion_payloads, erasure_person, invoices
from lineage.domain.catalog import Catalog
from lineage.domain.subjects import SubjectHasher
from lineage.errors import LineageError, NotFoundError
from lineage.kafka.topics import Topics
from lineage.runner import WorkerProcess
from lineage.settings import Settings
from streams.monitor import read_dead_letters
from streams.publisher import RawPublisher
from streams.worker import prepare

console = render.console


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def publish_with_progress(settings: Settings, source: str, payloads: list[bytes]) -> None:
    topic = Topics(settings.topic_namespace).raw(source).name
    with _progress() as bar, RawPublisher(settings.kafka, topic) as publisher:
        task = bar.add_task(f"publishing to {topic}", total=len(payloads))
        for count in publisher.publish(payloads):
            if count % 500 == 0 or count == len(payloads):
                bar.update(task, completed=count)


def wait_with_progress(worker: WorkerProcess, total: int) -> None:
    with _progress() as bar:
        task = bar.add_task("worker: raw -> canonical -> Neo4j", total=None)

        def show(lag: int) -> None:
            bar.update(task, total=max(total, lag), completed=max(0, total - lag))

        worker.wait_caught_up(timeout=900, on_progress=show)
        bar.update(task, completed=bar.tasks[0].total)


def feed_payloads(people: int) -> dict[str, list[bytes]]:
    """Native payloads per source: Brevo, plus the CRM, ATS, bucket and web logs of the company."""
    documents: dict[str, list[Any]] = {"brevo": list(brevo_feed(people)), **company_feed(people)}
    documents["canonical"] += invoices(people)
    return {
        source: [json.dumps(d, ensure_ascii=False).encode() for d in docs]
        for source, docs in documents.items()
    }


def example_person(people: int) -> str:
    """Someone known to several systems under different identifiers, not deleted anywhere."""
    feed = company_feed(people)
    in_crm = {
        c["propertyValue"] for request in feed["hubspot"] for c in request if c.get("propertyName") == "email"
    }
    deleted = {d["payload"]["person"]["id"] for d in feed["greenhouse"] if d["action"] == "delete_candidate"}
    candidates = [
        d["payload"]["application"]["candidate"]
        for d in feed["greenhouse"]
        if d["action"] == "new_candidate_application"
    ]
    emails = [c["email_addresses"][0]["value"] for c in candidates if c["id"] not in deleted]
    return next((e for e in emails if e in in_crm), emails[0] if emails else demo_email(0))


def run_demo(settings: Settings, catalog: Catalog, people: int, reports: Path | None = None) -> None:
    """The demo; the access report is written under ``reports`` (default: the stack's folder)."""
    started = time.monotonic()
    if settings.uses_local_stack:
        from lineage.stack.manager import stack_up

        with console.status("Starting Kafka and Neo4j on loopback (first run downloads jars)..."):
            stack_up(settings)
        console.print(
            f"stack up: Kafka {settings.kafka_bootstrap} (SASL/SCRAM), Neo4j {settings.neo4j_uri} "
            f"(password); credentials in {settings.stack.credentials_file}"
        )
    prepare(settings, catalog)
    render.show_times_in(catalog.zone)
    feeds = feed_payloads(people)
    unsubscribed, late_delivery = delivered_after_unsubscribe(people)
    feeds["brevo"] += [json.dumps(late_delivery, ensure_ascii=False).encode(), *malformed_brevo_payloads()]
    with WorkerProcess(settings).start() as worker:
        console.print(f"worker running (log: {worker.log_file})")
        for source, payloads in feeds.items():
            publish_with_progress(settings, source, payloads)
        wait_with_progress(worker, total=sum(len(p) for p in feeds.values()))
        console.print(f"pipeline caught up in {time.monotonic() - started:.1f}s\n")
        request_id = carry_out_one_erasure(settings, worker, erasure_person(people))
    print_report(settings, example_person(people), request_id)
    answer_one_access_request(settings, example_person(people), reports or settings.stack.home / "reports")
    show_withdrawal_alert(settings, unsubscribed)


def carry_out_one_erasure(settings: Settings, worker: WorkerProcess, person: int) -> str:
    """A person asks for erasure: the request is opened (impact snapshot, one task per store,
    deadline), every system then reports its deletion, and the request is re-evaluated."""
    email = demo_email(person)
    key = SubjectHasher(settings.require_subject_key()).email(email)
    try:
        with open_driver(settings) as driver:
            request = erasure.open_request(
                driver,
                settings.neo4j.database,
                key,
                "data subject, by e-mail to the DPO",
                None,  # received now
                zone=org_zone(settings),
            )
    except NotFoundError:
        raise LineageError(f"the demo person {email} is not in the graph") from None
    console.print(
        f"erasure request {request.id} opened for {email}: "
        f"{len(request.tasks)} task(s), deadline {render.day(request.deadline)}"
    )
    deletions = deletion_payloads(person, datetime.now(UTC))
    for source, payloads in deletions.items():
        publish_with_progress(settings, source, [json.dumps(p).encode() for p in payloads])
    worker.wait_caught_up(timeout=300)
    with open_driver(settings) as driver:
        run_checks(driver, settings.neo4j.database)  # refreshes requests, overdue data alerts
    return request.id


def answer_one_access_request(settings: Settings, email: str, folder: Path) -> list[Path]:
    """The person asks what is held about them (Art. 15): the request is opened, and the report
    they can read is written to files (HTML, and PDF), whose paths are printed."""
    key = SubjectHasher(settings.require_subject_key()).email(email)
    with open_driver(settings) as driver:
        request = requests.open_request(
            driver,
            settings.neo4j.database,
            "access",
            key,
            requested_by="data subject, by e-mail to the DPO",
            verification_method="email_confirmation",
            verified_by="DPO office",
            zone=org_zone(settings),
        )
        report = access_report(driver, settings.neo4j.database, settings, request_id=request.id)
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / f"access-report-{request.id}.html"
    html.write_text(render_html(report), encoding="utf-8")
    written = [html]
    pdf = html.with_suffix(".pdf")
    pdf.write_bytes(render_pdf(report))
    written.append(pdf)
    console.rule("An access request")
    console.print(
        f"access request {request.id} for {email}: {len(request.tasks)} task(s), one per system asked "
        f"for its copy, due {render.when(request.deadline)}"
    )
    for path in written:
        console.print(f"  the report the person can read: {path}")
    return written


def show_withdrawal_alert(settings: Settings, email: str) -> None:
    """The newsletter delivered after the unsubscribe, as the alert it raised."""
    with open_driver(settings) as driver:
        found = [
            a for a in listed(driver, settings.neo4j.database) if a.kind == "processing_after_withdrawal"
        ]
    console.rule("Consent withdrawn, mail sent anyway")
    console.print(f"{email} unsubscribed from the newsletter; a campaign reached them an hour later:")
    render.table(
        f"processing_after_withdrawal alerts ({len(found)})",
        [a.model_dump() for a in found],
        ("id", "store", "status", "last_seen", "reason"),
    )


def print_report(settings: Settings, email: str, request_id: str) -> None:
    key = SubjectHasher(settings.require_subject_key()).email(email)
    database = settings.neo4j.database
    with open_driver(settings) as driver:
        report = graph_report(driver, database)
        impact = erasure_impact(driver, database, key)
        alerts = listed(driver, database, "open")
        soon = expiring(driver, database, (date.today() + timedelta(days=90)).isoformat())
        request = erasure.one(driver, database, request_id, own_copies(settings), refresh=True)
    letters = read_dead_letters(settings.kafka, Topics(settings.topic_namespace).dead_letter.name, limit=10)
    counts = report.counts
    console.rule("What lineage found")
    console.print(
        f"{counts.subjects} people known under {counts.identifiers} identifiers, "
        f"{counts.held} data holdings still held "
        f"({counts.holdings - counts.held} erased), {counts.stores} stores"
    )
    render.table(
        "Stores",
        [s.model_dump() for s in report.stores if s.holdings or s.subjects_erased],
        render.STORE_COLUMNS,
    )
    render.table(
        "Countries where data is held", [c.model_dump() for c in report.countries], render.COUNTRY_COLUMNS
    )
    render.table(
        f"Erasure impact for {email} (one person in several systems)",
        render.sub_processor_names([s.model_dump() for s in impact.stores]),
        render.IMPACT_COLUMNS,
    )
    render.table(f"Dead letters (newest {len(letters)})", letters, ("source", "reason"))
    render.table(
        f"Expiring in the next 90 days (before {soon.before}): {soon.subjects} "
        f"subject(s), {soon.overdue_holdings} holding(s) already overdue",
        [g.model_dump() for g in soon.expiring],
        ("store", "category", "subject_type", "rule", "action", "state", "subjects", "overdue", "earliest"),
    )
    render.table(
        f"Open alerts ({len(alerts)})",
        [a.model_dump() for a in alerts],
        ("kind", "store", "chain", "country", "count", "reason"),
    )
    completed = (
        f", completed {render.when(request.completed_at)} once every system reported its deletion"
        if request.completed_at
        else ""
    )
    console.print(
        f"Erasure request {request.id}: [bold]{request.status}[/bold] "
        f"(received {render.when(request.received_at)}, deadline "
        f"{render.day(request.deadline)}{completed})"
    )
    render.table(
        "Its tasks, one per store (evidence kept, personal data not)",
        [t.model_dump() for t in request.tasks],
        ("store", "status", "closed_by_event", "closed_at", "reason"),
    )
    render.table(
        "lineage's own copies of their payloads, and when they age out",
        [c.model_dump() for c in request.lineage_copies or []],
        ("where", "holds", "ages_out_by"),
    )
    console.rule("Ask further")
    for command in (
        f"lineage subject {email}",
        f"lineage erasure-impact {email} --json",
        "lineage transfer-impact --country US",
        "lineage alerts",
        f"lineage expiring --before {soon.before}",
        f"lineage erasure status {request_id}",
        "lineage request status",
        "lineage overview",
        "lineage ropa --format csv",
        "lineage report",
        "lineage dead-letters",
        "lineage stack down",
    ):
        console.print(f"  .venv/bin/{command}")
