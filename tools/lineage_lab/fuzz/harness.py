"""The in-process leg: many mutants per source through the worker's pure code, fast.

No servers: :func:`lineage_lab.fuzz.examine.examine` runs each payload as the worker's two agents
would, with every logger captured at DEBUG, and each distinct problem is kept once with a
shrunk example (see :mod:`lineage_lab.fuzz.findings`).
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lineage.domain.catalog import Catalog
from lineage.sources import SOURCE_NAMES
from lineage_lab.fuzz.examine import Observation, Outcome, Pipeline, examine
from lineage_lab.fuzz.findings import FindingBook, Tally, shrink
from lineage_lab.fuzz.mutations import LONG_SIZES, Marks, Mutant, mutants
from lineage_lab.fuzz.scan import CapturedLogs
from lineage_lab.fuzz.seeds import seed_payloads

PROGRESS_EVERY = 10_000
SLOW_S = 1.0
"""A payload the worker's code takes longer than this on stalls its partition: reported, and
long strings are then kept short for that source so the run still ends."""
SHORT_STRINGS = [2_000]
SHRINK_MAX_BYTES = 20_000


@dataclass
class LegResult:
    """Per-source figures of one leg, how long it took, and any extra totals it measured."""

    leg: str
    tallies: dict[str, Tally]
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    def total(self) -> Tally:
        total = Tally()
        for tally in self.tallies.values():
            total.add(tally)
        return total

    @property
    def failing(self) -> bool:
        return self.total().failing or bool(self.extra.get("failures"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 1),
            "per_source": {s: t.as_dict() for s, t in self.tallies.items()},
            "total": self.total().as_dict(),
            **self.extra,
        }


def tally_outcome(tally: Tally, outcome: Outcome) -> None:
    tally.payloads += 1
    if outcome.accepted:
        tally.accepted += 1
        tally.events += outcome.events
    elif outcome.refused:
        tally.refused += 1
        tally.refused_with_reason += bool(outcome.reason and outcome.reason.strip())
    for problem in outcome.problems:
        tally.count(problem)


def slow(seconds: float, outcome: Outcome) -> Observation:
    """One payload that held the worker's code for ``seconds``; grouped by order of magnitude."""
    stage = "normalise (refused)" if outcome.refused else "normalise + record stage"
    return Observation(
        "slow",
        stage,
        f"over {10 ** len(str(int(seconds))) // 10 or 1}s",
        f"{seconds:.1f}s in {stage}; reason {len(outcome.reason or '')} characters long",
    )


def _same_problem(pipeline: Pipeline, source: str, problem: Observation) -> Callable[[bytes], bool]:
    def still_fails(body: bytes) -> bool:
        found = examine(pipeline, Mutant(source, "", body)).problems
        return any(
            (p.kind, p.location, p.signature) == (problem.kind, problem.location, problem.signature)
            for p in found
        )

    return still_fails


def shrink_findings(pipeline: Pipeline, book: FindingBook, leg: str = "in_process") -> None:
    """A minimal example per finding of ``leg``, re-checked through the same code."""
    for finding in book:
        if (
            finding.leg == leg
            and finding.minimal is None
            and finding.problem.kind != "slow"
            and len(finding.body) <= SHRINK_MAX_BYTES
        ):
            finding.minimal = shrink(finding.body, _same_problem(pipeline, finding.source, finding.problem))


def run_in_process(
    catalog: Catalog,
    per_source: int,
    *,
    seed: int = 0,
    sources: Sequence[str] = SOURCE_NAMES,
    marks: Marks | None = None,
    book: FindingBook | None = None,
    progress: bool = False,
    minimise: bool = True,
) -> LegResult:
    """``per_source`` mutants of each source through normalise and the record-stage code."""
    marks, book = marks or Marks(), book if book is not None else FindingBook()
    seeds = seed_payloads()
    started = time.monotonic()
    tallies: dict[str, Tally] = {}
    with CapturedLogs() as logs:
        pipeline = Pipeline.build(catalog, secrets.token_bytes(32), datetime.now(UTC), logs)
        for source in sources:
            tally = tallies[source] = Tally()
            sizes = list(LONG_SIZES)
            for mutant in mutants(source, seeds[source], per_source, seed, marks, sizes):
                began = time.monotonic()
                outcome = examine(pipeline, mutant)
                if (took := time.monotonic() - began) > SLOW_S:
                    outcome.problems.append(slow(took, outcome))
                    sizes[:] = SHORT_STRINGS
                tally_outcome(tally, outcome)
                for problem in outcome.problems:
                    book.note("in_process", source, problem, mutant.mutation, mutant.body)
                if progress and tally.payloads % PROGRESS_EVERY == 0:
                    print(
                        f"  {source}: {tally.payloads} payloads, {time.monotonic() - started:.0f}s",
                        file=sys.stderr,
                        flush=True,
                    )
        if minimise:
            shrink_findings(pipeline, book)
        captured = logs.total
    return LegResult("in_process", tallies, time.monotonic() - started, {"log_records_scanned": captured})
