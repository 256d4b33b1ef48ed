"""``lineage-lab chaos``: fault injection you can run (see :mod:`lineage_lab.faults.chaos`).

It wipes the graph twice, so it asks first unless given ``--yes``; against user servers it
refuses before asking. Progress goes to stderr, so ``--json`` output stays one document. It
exits 1 when the graphs differ or a fault could not be delivered: a CI job can run it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console

from lineage import render
from lineage.domain.catalog import Catalog
from lineage.settings import Settings

progress = Console(stderr=True, log_path=False)

RUN_COLUMNS = (
    "label",
    "duration_s",
    "published",
    "resent",
    "events",
    "dead_letters",
    "kills",
    "restarts",
    "unplanned_exits",
)


def _run_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [run | {"unplanned_exits": len(run["unplanned_exits"])} for run in result["runs"].values()]


def print_text(result: dict[str, Any]) -> None:
    """The figures, then the verdict and, when they differ, the evidence."""
    console = render.console
    console.print(
        f"{result['payloads']} payloads from every source ({result['people']} people, "
        f"seed {result['seed']}) -> {result['events']} canonical events in a clean run"
    )
    render.table("Runs", _run_rows(result), RUN_COLUMNS)
    console.print(
        f"{result['brokers']} Kafka broker(s); kills {result['kills']}/{result['kills_requested']}, restarts "
        f"{render.summary(result['restarts'])}, worker exits nobody asked for: "
        f"{result['unplanned_worker_exits']}"
    )
    faults = result["runs"]["chaos"]["faults"]
    console.print(
        "faults: "
        + ", ".join(
            f"{f['fault']}{' ' + f['struck'] if 'struck' in f else ''} at {f['at_s']}s "
            f"({f['uncommitted']} uncommitted, {f['took_s']}s)"
            for f in faults
        )
    )
    holdings = result["holdings"]
    console.print(
        f"holdings: clean {holdings['clean']}, chaos {holdings['chaos']}; "
        f"lost {result['lost']}, duplicated/extra {result['extra']}, "
        f"differing {result['differing']}"
    )
    _evidence(result)
    graph = result["graph"]
    console.print(
        f"whole graph (nodes and relationships): clean {graph['lines']['clean']} lines, "
        f"chaos {graph['lines']['chaos']}; lost {graph['lost']}, extra {graph['extra']}, "
        f"differing {graph['differing']}"
    )
    _evidence(graph)
    verdict = "[green]PASS[/green]: same graph" if result["passed"] else "[red]FAIL[/red]"
    console.print(verdict)


def _evidence(diff: dict[str, Any]) -> None:
    if diff["differing_fields"]:
        render.console.print(f"  differing properties: {render.summary(diff['differing_fields'])}")
    for kind, lines in diff["examples"].items():
        for line in lines:
            render.console.print(f"  {kind}: {line}", markup=False)


def register(app: typer.Typer, read_catalog: Callable[[Settings], Catalog]) -> None:
    @app.command()
    def chaos(
        payloads: Annotated[
            int, typer.Option(help="Payloads to replay (all sources); sets the number of people")
        ] = 200_000,
        kills: Annotated[int, typer.Option(help="SIGKILLs of the worker")] = 10,
        seed: Annotated[int, typer.Option(help="Seed of the fault moments and bursts")] = 1,
        down: Annotated[
            float, typer.Option(help="Seconds Kafka (or a killed broker) and Neo4j stay down")
        ] = 5.0,
        brokers: Annotated[
            int | None,
            typer.Option(
                min=1,
                max=9,
                help="Kafka brokers of the local stack (LINEAGE_STACK_KAFKA_BROKERS, else what it "
                "was created with); with 3, leading brokers are killed instead of a Kafka restart",
            ),
        ] = None,
        broker_kills: Annotated[
            int, typer.Option(min=1, help="With 3 brokers: SIGKILLs of the broker leading most partitions")
        ] = 1,
        stall: Annotated[
            float, typer.Option(help="Fail if the worker makes no progress for this many seconds")
        ] = 300.0,
        yes: Annotated[bool, typer.Option("--yes", help="Do not ask before wiping the graph")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Replay every source under SIGKILLs and Kafka/Neo4j restarts; compare with a clean run."""
        from lineage.settings import StackSettings
        from lineage_lab.faults.chaos import ChaosOptions, run_chaos
        from lineage_lab.faults.injection import require_local_stack

        settings = Settings() if brokers is None else Settings(stack=StackSettings(kafka_brokers=brokers))
        require_local_stack(settings)
        if not yes:
            typer.confirm("lineage-lab chaos wipes the local stack's graph (twice). Go on?", abort=True)
        options = ChaosOptions(
            payloads=payloads, kills=kills, seed=seed, down_s=down, stall_s=stall, broker_kills=broker_kills
        )
        report = run_chaos(settings, read_catalog(settings), options, progress.log)
        result = report.as_dict()
        if as_json:
            print(render.as_json(result))
        else:
            print_text(result)
        if not report.passed:
            raise typer.Exit(1)
