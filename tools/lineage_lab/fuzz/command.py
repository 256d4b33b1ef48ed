"""``lineage-lab fuzz``: mutated payloads per source, in-process and over signed HTTP + a worker.

Exits 1 when a gate fails (a crash, a 5xx, a leak, a refusal without a reason), so ``make fuzz``
and CI can rely on it. The HTTP leg runs on topics and a consumer group of its own (like the
benchmark) and removes its topics afterwards; the graph it writes into is scanned whole.
"""

from __future__ import annotations

import json
import shlex
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lineage import render
from lineage.settings import Settings

if TYPE_CHECKING:
    from lineage_lab.fuzz.findings import FindingBook
    from lineage_lab.fuzz.harness import LegResult
    from lineage_lab.fuzz.mutations import Marks


def _http_leg(
    settings: Settings,
    per_source: int,
    seed: int,
    api_port: int,
    loglevel: str,
    marks: Marks,
    book: FindingBook,
) -> LegResult:
    """Own topics and consumer group (removed afterwards), fresh source secrets, the local stack
    started if it is the one configured."""
    from lineage.answers.catalog_file import read_catalog
    from lineage.kafka.topics import Topics
    from lineage_lab.fuzz.http_leg import fuzz_settings, run_http_leg
    from streams.admin import delete_topics

    run = f"fuzz-{uuid.uuid4().hex[:8]}"
    settings = fuzz_settings(settings, run)
    settings.require_subject_key()
    if settings.uses_local_stack:
        from lineage.stack.manager import stack_up

        stack_up(settings)
    try:
        return run_http_leg(
            settings,
            read_catalog(settings),
            per_source,
            seed=seed + 1,
            marks=marks,
            book=book,
            api_port=api_port,
            worker_loglevel=loglevel,
        )
    finally:
        delete_topics(settings.kafka, Topics(run).all())


def register(app: typer.Typer) -> None:
    @app.command()
    def fuzz(
        per_source: Annotated[
            int, typer.Option("--per-source", help="In-process mutants per source")
        ] = 100_000,
        http: Annotated[
            int, typer.Option("--http", help="Signed HTTP mutants per source (0: no HTTP leg, no servers)")
        ] = 1_000,
        seed: Annotated[int, typer.Option(help="Same seed, same mutants")] = 0,
        api_port: Annotated[int, typer.Option(help="Receiver port for the HTTP leg (0: any free)")] = 0,
        worker_loglevel: Annotated[str, typer.Option(help="Log level of the HTTP leg's worker")] = "info",
        output: Annotated[Path | None, typer.Option(help="Also write the JSON report here")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    ) -> None:
        """Mutated payloads through normalise and the record stage, then signed over HTTP to a
        real worker; exits 1 on any crash, 5xx, leaked address or refusal without a reason."""
        from lineage.answers.catalog_file import read_catalog
        from lineage_lab.fuzz.findings import FindingBook
        from lineage_lab.fuzz.harness import run_in_process
        from lineage_lab.fuzz.mutations import Marks
        from lineage_lab.fuzz.report import as_dict, as_text, passed

        settings = Settings()
        marks, book = Marks(), FindingBook()
        legs = [
            run_in_process(
                read_catalog(settings), per_source, seed=seed, marks=marks, book=book, progress=True
            )
        ]
        if http > 0:
            legs.append(_http_leg(settings, http, seed, api_port, worker_loglevel, marks, book))
        report = as_dict(legs, book, shlex.join(["lineage-lab", *sys.argv[1:]]))
        if output is not None:
            output.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        if as_json:
            print(render.as_json(report))
        else:
            print(as_text(legs, book))
        if not passed(legs):
            raise typer.Exit(1)
