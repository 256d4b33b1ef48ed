"""``lineage-lab``: the laboratory's command line, beside the product's ``lineage``.

Benchmarks, fault injection and fuzzing run the product on the real servers; they read the same
settings (``.env``, ``LINEAGE_*``) as ``lineage`` and report on stdout.
"""

from __future__ import annotations

from typing import Annotated

import typer

from lineage import render
from lineage.answers.catalog_file import read_catalog
from lineage.cli.app import run
from lineage.settings import Settings
from lineage_lab.faults import command as chaos_command
from lineage_lab.fuzz import command as fuzz_command

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    help="lineage's laboratory: benchmarks, fault injection and fuzzing on the real servers.",
)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@app.command()
def bench(
    people: Annotated[int, typer.Option(help="People in the benchmark feed")] = 5000,
    as_json: JsonOption = False,
    loglevel: Annotated[str, typer.Option(help="worker log level (debug: per-batch timings)")] = "warning",
    workers: Annotated[
        list[int],
        typer.Option(help="worker processes of each end-to-end run (repeat: --workers 1 --workers 3)"),
    ] = [1, 2],  # noqa: B006 (typer reads the default, never mutates it)
) -> None:
    """Events/s end to end (raw topic -> worker -> canonical topic -> worker -> Neo4j), with
    one worker and with several in one group, beside what each stage alone allows."""
    from lineage_lab.bench.pipeline import run_bench

    settings = Settings()
    counts = tuple(sorted(set(workers)))
    if not counts or counts[0] != 1:
        raise typer.BadParameter("the runs are compared with one worker: include 1", param_hint="--workers")
    run_bench(settings, read_catalog(settings), people, as_json, loglevel, counts)


@app.command("bench-alerts")
def bench_alerts(
    triggers: Annotated[int, typer.Option(help="Alert-raising payloads (one new flow each)")] = 300,
    rate: Annotated[int, typer.Option(help="Background Brevo payloads per second")] = 300,
    interval: Annotated[float, typer.Option(help="Seconds between triggers")] = 0.1,
    kind: Annotated[
        str, typer.Option(help="transfer (a new unapproved flow), withdrawal (mail after an unsubscribe)")
    ] = "transfer",
    as_json: JsonOption = False,
) -> None:
    """Alert latency: raw topic -> alerts topic, p50/p99, with background traffic."""
    from lineage_lab.bench.alerts import ALERT_KINDS, run_alert_bench

    if kind not in ALERT_KINDS:
        raise typer.BadParameter(f"one of {', '.join(ALERT_KINDS)}", param_hint="--kind")
    settings = Settings()
    run_alert_bench(settings, read_catalog(settings), triggers, rate, interval, as_json, kind)


@app.command("bench-statements")
def bench_statements(
    people: Annotated[int, typer.Option(help="People in the benchmark feed")] = 1500,
    as_json: JsonOption = False,
) -> None:
    """Neo4j's CPU an event per statement of the record transaction (local stack only)."""
    from lineage_lab.bench.statements import run_statement_bench

    settings = Settings()
    run_statement_bench(settings, read_catalog(settings), people, as_json)


@app.command("bench-graph")
def bench_graph(
    subjects: Annotated[int, typer.Option(help="People to load (about 11 holdings each)")] = 1_000_000,
    batch: Annotated[int, typer.Option(help="People per CREATE transaction")] = 2_500,
    workers: Annotated[int, typer.Option(help="Transactions loading in parallel")] = 2,
    samples: Annotated[int, typer.Option(help="Requests per person-level answer")] = 400,
    load: Annotated[
        bool, typer.Option("--load/--no-load", help="--no-load measures the graph as it is")
    ] = True,
    yes: Annotated[bool, typer.Option("--yes", help="wipe a non-empty graph first")] = False,
    as_json: JsonOption = False,
) -> None:
    """Large-graph answers: bulk-load people in the model's shape, then p50/p99 per answer at the API."""
    from lineage_lab.bench.large_graph import TARGETS_MS, run_graph_bench

    settings = Settings()
    say = (lambda _m: None) if as_json else (lambda m: render.console.print(m))
    result = run_graph_bench(
        settings, read_catalog(settings), subjects, batch, workers, samples, load, yes, say
    )
    if as_json:
        print(render.as_json(result))
        return
    rows = [{"answer": name, **r, "target_ms": TARGETS_MS[name]} for name, r in result["answers"].items()]
    render.console.print(render.as_json(result["graph"]))
    render.table(
        "Answers at the API (ms)",
        rows,
        ("answer", "requests", "p50_ms", "p99_ms", "target_ms", "meets", "answer_bytes"),
    )
    render.console.print(f"worker overdue query alone: {result['worker_overdue_query_s']}")


fuzz_command.register(app)
chaos_command.register(app, read_catalog)


def main() -> None:
    run(app)
