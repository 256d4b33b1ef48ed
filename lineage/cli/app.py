"""``lineage``: the command line. Each command builds settings once and delegates."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape

from lineage import render
from lineage.answers.catalog_file import read_catalog
from lineage.answers.subjects import subject_key
from lineage.domain.events import event_json_schema
from lineage.errors import LineageError
from lineage.settings import Settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    help="Track where personal data goes: Kafka in, a Neo4j lineage graph out.",
)
stack_app = typer.Typer(no_args_is_help=True, help="The local Kafka + Neo4j stack (no Docker).")
app.add_typer(stack_app, name="stack")
alerts_app = typer.Typer(help="Transfer alerts: list them, acknowledge one.")
app.add_typer(alerts_app, name="alerts")

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@app.callback()
def _times_in_the_organisations_zone() -> None:
    """Every time a command prints is in the organisation's zone (the catalog's), read only if
    a time is printed: ``lineage schema`` or ``stack up`` need no catalog."""
    render.show_times_in(lambda: read_catalog(Settings()).zone)


# --- stack -------------------------------------------------------------------------------


@stack_app.command("up")
def stack_up_command(
    brokers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=9,
            help="Kafka brokers (each a KRaft controller too): 3 gives topics 3 copies, writes 2 "
            "acknowledgements, and survives one dead broker. Default: LINEAGE_STACK_KAFKA_BROKERS, "
            "else what the stack was created with, else 1.",
        ),
    ] = None,
) -> None:
    """Start Kafka and Neo4j on loopback (idempotent) and create the topics."""
    from lineage.settings import StackSettings
    from lineage.stack.manager import stack_up

    settings = Settings() if brokers is None else Settings(stack=StackSettings(kafka_brokers=brokers))
    with render.console.status("Starting Kafka and Neo4j (first run downloads jars)..."):
        statuses = stack_up(settings)
    _print_status(statuses)
    render.console.print(_credentials_note(settings))


@stack_app.command("down")
def stack_down_command() -> None:
    """Stop both servers cleanly; data stays in the state folder."""
    from lineage.stack.manager import stack_down

    stopped = stack_down(Settings())
    render.console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@stack_app.command("status")
def stack_status_command(as_json: JsonOption = False) -> None:
    """Whether each server runs and answers."""
    from lineage.stack.manager import stack_status

    statuses = stack_status(Settings())
    if as_json:
        print(render.as_json([s.__dict__ for s in statuses]))
    else:
        _print_status(statuses)
    if not all(s.answers for s in statuses):
        raise typer.Exit(1)


def _credentials_note(settings: Settings) -> str:
    """Where the stack's credentials are kept; never the values."""
    return (
        f"Kafka requires SASL/SCRAM, Neo4j a password: the stack's credentials are in "
        f"{settings.stack.credentials_file} (mode 0600); lineage reads them from there."
    )


def _print_status(statuses: list) -> None:  # list[ServerStatus]
    render.table("Local stack", [s.__dict__ for s in statuses], ("name", "address", "pid", "answers", "log"))


# --- pipeline ----------------------------------------------------------------------------


@app.command()
def worker(loglevel: Annotated[str, typer.Option(help="worker log level")] = "warning") -> None:
    """Run the stream processors until interrupted."""
    from streams.worker import run_worker

    settings = Settings()
    run_worker(settings, loglevel=loglevel)


@app.command()
def ingest(
    file: Annotated[str, typer.Argument(help="JSON document or JSON lines; '-' for stdin")],
    source: Annotated[str, typer.Option(help="Source system whose native format this is")],
) -> None:
    """Publish native payloads of a source to its raw topic, as a webhook would."""
    from lineage.cli.inputs import split_payloads
    from lineage.kafka.topics import Topics
    from streams.publisher import RawPublisher

    settings = Settings()
    topic = Topics(settings.topic_namespace).raw(source).name
    data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    with RawPublisher(settings.kafka, topic) as publisher:
        count = sum(1 for _ in publisher.publish(split_payloads(data)))
    render.console.print(f"published {count} payload(s) to {topic}")


@app.command()
def serve() -> None:
    """Receive source webhooks over HTTP and publish them, unchanged, to their raw topics."""
    import uvicorn

    from lineage.api.app import create_api

    settings = Settings()
    uvicorn.run(create_api(settings), host=settings.api.host, port=settings.api.port)


@app.command("dead-letters")
def dead_letters(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest last")] = 20,
    as_json: JsonOption = False,
    with_payloads: Annotated[
        bool,
        typer.Option(
            "--with-payloads", help="include the refused payloads themselves (they may hold personal data)"
        ),
    ] = False,
) -> None:
    """The newest payloads the worker could not process, with the reason (payloads on request)."""
    from lineage.kafka.topics import Topics
    from streams.monitor import read_dead_letters

    settings = Settings()
    letters = read_dead_letters(settings.kafka, Topics(settings.topic_namespace).dead_letter.name, limit)
    if not with_payloads:
        letters = [{k: v for k, v in letter.items() if not k.startswith("payload")} for letter in letters]
    if as_json:
        print(render.as_json(letters))
        return
    render.table("Dead letters", letters, ("source", "stage", "reason", "topic", "offset"))


@alerts_app.callback(invoke_without_command=True)
def alerts(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="open, acknowledged or closed (default: all)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Alerts raised on unapproved transfers, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from lineage.answers.alerts import listed
    from lineage.answers.connection import open_driver

    settings = Settings()
    with open_driver(settings) as driver:
        found = listed(driver, settings.neo4j.database, status)
    if as_json:
        print(render.as_json([alert.model_dump(mode="json") for alert in found]))
        return
    render.table(
        "Alerts",
        [alert.model_dump() for alert in found],
        ("id", "kind", "status", "store", "chain", "country", "count", "last_seen", "reason"),
    )


@alerts_app.command("ack")
def alerts_ack(alert_id: str) -> None:
    """Acknowledge an open alert: it stays recorded and keeps counting, but is no longer open."""
    from lineage.answers import audit
    from lineage.answers.alerts import acknowledge
    from lineage.answers.connection import open_driver
    from lineage.errors import NotFoundError

    settings = Settings()
    actor = audit.cli_actor()
    with open_driver(settings) as driver, audit.audited(driver, settings, actor, "alert.ack", alert_id):
        try:
            acknowledged = acknowledge(driver, settings.neo4j.database, alert_id, actor.label)
        except NotFoundError:
            raise LineageError(f"no open alert {alert_id!r}") from None
    render.console.print(f"acknowledged {acknowledged.id}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the canonical data-movement event."""
    print(render.as_json(event_json_schema()))


# --- graph queries -----------------------------------------------------------------------


IdentifierArg = Annotated[
    str,
    typer.Argument(
        help="e-mail address, or system:native-id "
        "(hubspot:90512, greenhouse:37031511, salesforce:lead:00Q...)"
    ),
]


@app.command()
def subject(email: IdentifierArg, as_json: JsonOption = False) -> None:
    """One person's data map: stores, categories, processors, countries, first/last seen."""
    from lineage.answers import audit
    from lineage.answers.catalog_file import read_catalog
    from lineage.answers.connection import open_driver
    from lineage.answers.subjects import data_map

    settings = Settings()
    key = subject_key(settings, email)
    with (
        open_driver(settings) as driver,
        audit.audited(driver, settings, audit.cli_actor(), "person.lookup", key),
    ):
        answer = data_map(driver, settings.neo4j.database, key, read_catalog(settings))
    if as_json:
        print(render.as_json(answer.model_dump(mode="json")))
        return
    if not answer.stores:
        render.console.print(f"No data recorded for this person (identifier {key}).")
        return
    first = answer.stores[0]
    render.console.print(f"subject {first.subject} ({', '.join(first.subject_types or [])})")
    render.table(
        "Where this person's data is", [s.model_dump() for s in answer.stores], render.SUBJECT_COLUMNS
    )
    retention = [{"store": s.store} | r.model_dump() for s in answer.stores for r in s.retention]
    if retention:
        render.table("Retention: when each category must be gone", retention, render.RETENTION_COLUMNS)


@app.command("erasure-impact")
def erasure_impact(email: IdentifierArg, as_json: JsonOption = False) -> None:
    """Everything to erase for one person: stores, processors, sub-processors, countries."""
    from lineage.answers import audit
    from lineage.answers.connection import open_driver
    from lineage.answers.subjects import erasure_impact as impact

    settings = Settings()
    key = subject_key(settings, email)
    actor = audit.cli_actor()
    with (
        open_driver(settings) as driver,
        audit.audited(driver, settings, actor, "person.erasure_impact", key),
    ):
        answer = impact(driver, settings.neo4j.database, key)
    if as_json:
        print(render.as_json(answer.model_dump(mode="json")))
        return
    if not answer.stores:
        render.console.print(f"Nothing held for this person (subject {key}): nothing to erase.")
        return
    rows = [s.model_dump() for s in answer.stores]
    render.table(f"Erasure impact of subject {key}", render.sub_processor_names(rows), render.IMPACT_COLUMNS)
    render.console.print(f"{len(rows)} store(s) in {', '.join(answer.countries)}")


@app.command()
def report(as_json: JsonOption = False) -> None:
    """What the graph holds: per store and per country."""
    from lineage.answers.connection import open_driver
    from lineage.answers.report import graph_report

    settings = Settings()
    with open_driver(settings) as driver:
        answer = graph_report(driver, settings.neo4j.database)
    if as_json:
        print(render.as_json(answer))
        return
    render.console.print(render.summary(answer.counts.model_dump()))
    render.table("Stores", answer.stores, render.STORE_COLUMNS)
    render.table("Countries", answer.countries, render.COUNTRY_COLUMNS)


@app.command()
def overview(as_json: JsonOption = False) -> None:
    """What needs action: open alerts by kind, requests overdue or due this week, data expiring
    within 30 days, and the people and stores counted (the workspace opens on it)."""
    from lineage.answers.connection import open_driver
    from lineage.answers.overview import overview as morning
    from lineage.cli.overview_command import show

    settings = Settings()
    with open_driver(settings) as driver:
        answer = morning(driver, settings.neo4j.database, read_catalog(settings).zone)
    if as_json:
        print(render.as_json(answer))
        return
    show(answer)


# --- demo --------------------------------------------------------------------------------


@app.command()
def demo(people: Annotated[int, typer.Option(help="People in the demo feed")] = 2000) -> None:
    """Start the stack and a worker, feed realistic Brevo traffic, report what the graph knows."""
    from lineage.demo.run import run_demo

    settings = Settings()
    run_demo(settings, read_catalog(settings), people)


from lineage.cli import transfer_commands  # noqa: E402  (registers its commands on ``app``)

transfer_commands.register(app, read_catalog)
from lineage.cli import retention_commands  # noqa: E402

retention_commands.register(app, subject_key)
from lineage.cli import ropa_command  # noqa: E402

ropa_command.register(app, read_catalog)
from lineage.cli import export_command  # noqa: E402

export_command.register(app, read_catalog)
from lineage.cli import erasure_commands  # noqa: E402

erasure_commands.register(app)
from lineage.cli import request_commands  # noqa: E402

request_commands.register(app)
from lineage.cli import access_commands  # noqa: E402

access_commands.register(app)
from lineage.cli import audit_commands  # noqa: E402

audit_commands.register(app)
from lineage.cli import breach_commands  # noqa: E402

breach_commands.register(app)


def _log_hygiene() -> None:
    """Before any command logs: no address, phone number or secret reaches a log line."""
    from lineage.log_hygiene import install_log_hygiene

    try:
        secrets = Settings().secret_values()
    except Exception:  # a bad setting is reported by the command that needs it
        secrets = []
    install_log_hygiene(secrets)


def run(commands: typer.Typer) -> None:
    """Run a command line the way every lineage command runs: log hygiene first, a lineage error
    printed as one line and exit status 2, not a traceback."""
    _log_hygiene()
    try:
        commands()
    except LineageError as exc:
        render.console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(2) from None
    except ValidationError as exc:  # a setting refused at load (its value is never quoted)
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc']))}: {str(error['msg']).removeprefix('Value error, ')}"
            for error in exc.errors(include_input=False)
        )
        render.console.print(f"[red]error:[/red] settings: {escape(problems)}")
        raise SystemExit(2) from None


def main() -> None:
    run(app)
