"""Stage timings for ``lineage-lab bench``: what each stage alone can do, so the end-to-end figure
states its own ceiling.

An end-to-end rate alone cannot say whether the worker is slow or the servers are: this module
holds the pure part of the answer (timing a stage, the ratios, the report), with no servers, so
it is unit-tested; :mod:`lineage_lab.bench.pipeline` runs the stages against the real ones.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

# Stage names, in the order the report lists them.
ADAPT = "adapt"
KAFKA_READ = "kafka_read"
GRAPH_BATCHED = "graph_batched"
GRAPH_PER_EVENT = "graph_per_event"
GRAPH_WRITER = "graph_writer"
END_TO_END = "end_to_end"
BASELINES = frozenset({GRAPH_PER_EVENT, GRAPH_WRITER})
"""Measured to compare with, never the ceiling: the per-event writer is what batching is worth;
lineage's own writer alone is the record stage's real work (identity, clocks, expiry), which the
minimal MERGE does not do, so the gap between the two is Cypher the pipeline has to run."""

TARGET_SHARE_OF_SLOWEST = 0.5
"""The throughput target: end to end at half the slowest stage alone."""

_LABELS = {
    ADAPT: "adapters + canonical encoding, in-process, one core",
    KAFKA_READ: "raw Kafka read of the raw topic, no group, beginning to end",
    GRAPH_BATCHED: "minimal UNWIND MERGE of the holdings, batches of 1,000 events",
    GRAPH_PER_EVENT: "minimal MERGE, one transaction per event",
    GRAPH_WRITER: "lineage's graph writer alone, in-process: identity, holdings, clocks, expiry",
    END_TO_END: "pipeline end to end (worker process, raw topic -> Neo4j)",
}


def end_to_end_name(workers: int) -> str:
    """The stage name of an end-to-end run through ``workers`` processes in one group."""
    return END_TO_END if workers == 1 else f"{END_TO_END}_{workers}_workers"


def _label(name: str) -> str:
    if name.startswith(f"{END_TO_END}_") and name.endswith("_workers"):
        workers = name.removeprefix(f"{END_TO_END}_").removesuffix("_workers")
        return f"pipeline end to end, {workers} worker processes in one consumer group"
    return _LABELS.get(name, name)


@dataclass(frozen=True)
class StageRate:
    """One stage's count over its wall time.

    ``events`` is the count in canonical events, so stages that count something else (the
    Kafka read counts raw messages) compare on one scale: ``events / seconds``.
    """

    name: str
    items: int
    unit: str
    seconds: float
    events: int
    cpu_s: Mapping[str, float] = field(default_factory=dict)  # CPU seconds per process kind

    @property
    def per_s(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else float("inf")

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {
            "what": _label(self.name),
            "items": self.items,
            "unit": self.unit,
            "seconds": round(self.seconds, 3),
            "per_s": round(self.per_s),
            "events": self.events,
            "events_per_s": round(self.events_per_s),
            "cpu_us_per_event": self.cpu_us_per_event(),
        }

    def cpu_us_per_event(self) -> dict[str, int]:
        """µs of CPU an event, per process kind: what the stage costs, whoever else runs."""
        if not self.events:
            return {}
        return {name: round(cpu * 1e6 / self.events) for name, cpu in self.cpu_s.items()}


def timed(work: Callable[[], T]) -> tuple[T, float]:
    """``work()`` and its wall time on the monotonic clock (perf_counter: sub-ms stages)."""
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of ``size``, the last one shorter."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def scaled_events(items: int, payloads: int, events: int) -> int:
    """``items`` raw messages expressed as the canonical events they become (the feed's own
    events-per-payload), so a Kafka read compares with the event stages."""
    return round(items * events / payloads) if payloads else 0


def ceiling(
    stages: Sequence[StageRate], end_to_end: StageRate, more_workers: Sequence[StageRate] = ()
) -> dict[str, Any]:
    """Where end to end stands: its ratio to the slowest stage (the ceiling a single pipeline of
    these stages could reach), to the per-event writer (what batching is worth) and to lineage's
    own writer alone (what the record stage allows); and what more workers add."""
    pipeline = [s for s in stages if s.name not in BASELINES]
    slowest = min(pipeline, key=lambda s: s.events_per_s)
    naive = next((s for s in stages if s.name == GRAPH_PER_EVENT), None)
    writer = next((s for s in stages if s.name == GRAPH_WRITER), None)
    top: dict[str, Any] = {
        "slowest_stage": slowest.name,
        "slowest_events_per_s": round(slowest.events_per_s),
        "end_to_end_vs_slowest": _ratio(end_to_end.events_per_s, slowest.events_per_s),
        "end_to_end_vs_per_event": (_ratio(end_to_end.events_per_s, naive.events_per_s) if naive else None),
    }
    if writer is not None:
        top["end_to_end_vs_writer"] = _ratio(end_to_end.events_per_s, writer.events_per_s)
    cost = sum(end_to_end.cpu_us_per_event().values())
    if cost:
        cores = os.cpu_count() or 1
        top["end_to_end_cpu_us_per_event"] = cost
        top["cores"] = cores
        top["cpu_bound_events_per_s"] = round(cores * 1e6 / cost)
        top.update(_target_budget(pipeline, slowest, writer, cores))
    if more_workers:
        top["scale_out_vs_one_worker"] = {
            run.name: _ratio(run.events_per_s, end_to_end.events_per_s) for run in more_workers
        }
    return top


def _target_budget(
    pipeline: Sequence[StageRate], slowest: StageRate, writer: StageRate | None, cores: int
) -> dict[str, Any]:
    """What the target leaves to spend: the CPU an event may cost, all processes together, for
    end to end to run at ``TARGET_SHARE_OF_SLOWEST`` of the slowest stage on these cores; beside
    it what the stages alone cost together (their work with nothing of lineage's added) and
    lineage's writer alone. Why: on a machine whose cores all processes share, a rate target
    is a CPU budget, and these say whether any scheduling could meet it."""
    target = TARGET_SHARE_OF_SLOWEST * slowest.events_per_s
    budget: dict[str, Any] = {
        "target_events_per_s": round(target),
        "target_cpu_us_per_event": round(cores * 1e6 / target) if target > 0 else None,
        "stages_cpu_us_per_event": sum(sum(s.cpu_us_per_event().values()) for s in pipeline),
    }
    if writer is not None and writer.cpu_s:
        budget["writer_cpu_us_per_event"] = sum(writer.cpu_us_per_event().values())
    return budget


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 2) if denominator > 0 else None


def report(
    stages: Sequence[StageRate],
    end_to_end: StageRate,
    peak_rss_bytes: int | None,
    more_workers: Sequence[StageRate] = (),
) -> dict[str, Any]:
    """The stage part of the ``--json`` document (``peak_rss_bytes``: the one worker's)."""
    return {
        "stages": {s.name: s.as_dict() for s in (*stages, end_to_end, *more_workers)},
        "ceiling": ceiling(stages, end_to_end, more_workers),
        "worker_peak_rss_bytes": peak_rss_bytes,
    }


def format_report(doc: dict[str, Any]) -> str:
    """Text lines of :func:`report`: one line a stage, then the ratios and the worker's RSS."""
    lines = [_stage_line(name, stage) for name, stage in doc["stages"].items()]
    top = doc["ceiling"]
    lines.append(
        f"end to end = {_times(top['end_to_end_vs_slowest'])} the slowest stage "
        f"({top['slowest_stage']}, {top['slowest_events_per_s']:,} events/s), "
        f"{_times(top['end_to_end_vs_per_event'])} the per-event writer"
    )
    if "end_to_end_vs_writer" in top:
        lines.append(
            f"end to end = {_times(top['end_to_end_vs_writer'])} lineage's graph writer "
            "alone (the record stage's own ceiling)"
        )
    if "end_to_end_cpu_us_per_event" in top:
        lines.append(
            f"end to end costs {top['end_to_end_cpu_us_per_event']:,} µs of CPU an event "
            f"(all processes): {top['cores']} cores allow at most "
            f"{top['cpu_bound_events_per_s']:,} events/s at that cost"
        )
    if top.get("target_cpu_us_per_event"):
        writer = (
            f", lineage's writer alone {top['writer_cpu_us_per_event']:,}"
            if "writer_cpu_us_per_event" in top
            else ""
        )
        lines.append(
            f"target {TARGET_SHARE_OF_SLOWEST}x the slowest stage ({top['target_events_per_s']:,} "
            f"events/s) leaves {top['target_cpu_us_per_event']:,} µs of CPU an event on "
            f"{top['cores']} cores; the stages alone cost {top['stages_cpu_us_per_event']:,} "
            f"together{writer}"
        )
    for name, ratio in top.get("scale_out_vs_one_worker", {}).items():
        lines.append(f"{name} = {_times(ratio)} one worker")
    lines.append(f"worker peak RSS (VmHWM): {_mib(doc['worker_peak_rss_bytes'])}")
    return "\n".join(lines)


def _stage_line(name: str, stage: dict[str, Any]) -> str:
    rate = f"{stage['events_per_s']:>9,} events/s"
    if stage["unit"] != "events":
        rate += f" ({stage['per_s']:,} {stage['unit']}/s)"
    cpu = stage.get("cpu_us_per_event") or {}
    cost = ("  cpu µs/event: " + ", ".join(f"{k} {v:,}" for k, v in cpu.items())) if cpu else ""
    return (
        f"{name:<16}{rate}  {stage['items']:,} {stage['unit']} in {stage['seconds']:.2f}s"
        f"  [{stage['what']}]{cost}"
    )


def _times(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}x"


def _mib(size: int | None) -> str:
    return "n/a" if size is None else f"{size / 2**20:,.0f} MiB"
