"""Stage timings for ``lineage-lab bench``: what each stage alone can do and costs, so the
end-to-end figure says what lineage adds to the bare work.

An end-to-end rate alone cannot say whether the worker is slow or the servers are: this module
holds the pure part of the answer (timing a stage, the ratios, the CPU an event of the bare
stages against end to end's and the targets, the report), with no servers, so it is
unit-tested; :mod:`lineage_lab.bench.pipeline` runs the stages against the real ones.
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
KAFKA_ROUND_TRIP = "kafka_round_trip"
GRAPH_BATCHED = "graph_batched"
GRAPH_PER_EVENT = "graph_per_event"
WARM_UP = "warm_up"
GRAPH_WRITER = "graph_writer"
END_TO_END = "end_to_end"
BARE = (ADAPT, KAFKA_ROUND_TRIP, GRAPH_BATCHED)
"""The bare stages: the pipeline's work with nothing of lineage's around it. Their CPU an event,
summed, is what end to end is measured against."""

TARGET_EFFICIENCY = 0.5
"""End to end may cost at most twice the CPU an event of the bare stages together."""
TARGET_PROCESS_US = {"neo4j": 150, "worker": 200}
"""The most CPU µs an event each of these processes may spend end to end."""

_LABELS = {
    ADAPT: "adapters + canonical encoding, in-process, one core",
    KAFKA_ROUND_TRIP: "raw payloads published (acks=all) to a throwaway topic and read back, no group",
    GRAPH_BATCHED: "minimal UNWIND MERGE of the holdings, batches of 1,000 events",
    GRAPH_PER_EVENT: "minimal MERGE, one transaction per event",
    WARM_UP: "lineage's graph writer on people of its own after the schema changes, not compared",
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
    """End to end beside the baselines: its rate against the per-event writer (what batching is
    worth) and lineage's own writer alone (what the record stage allows); and what more workers
    add. Plain comparisons, not targets: the targets are CPU (:func:`cpu_per_event`)."""
    naive = next((s for s in stages if s.name == GRAPH_PER_EVENT), None)
    writer = next((s for s in stages if s.name == GRAPH_WRITER), None)
    top: dict[str, Any] = {
        "end_to_end_vs_per_event": (_ratio(end_to_end.events_per_s, naive.events_per_s) if naive else None),
    }
    if writer is not None:
        top["end_to_end_vs_writer"] = _ratio(end_to_end.events_per_s, writer.events_per_s)
        if writer.cpu_s:
            top["writer_cpu_us_per_event"] = sum(writer.cpu_us_per_event().values())
    if more_workers:
        top["scale_out_vs_one_worker"] = {
            run.name: _ratio(run.events_per_s, end_to_end.events_per_s) for run in more_workers
        }
    return top


def cpu_per_event(
    stages: Sequence[StageRate], end_to_end: StageRate, more_workers: Sequence[StageRate] = ()
) -> dict[str, Any] | None:
    """CPU µs an event, every process counted: the bare stages and their sum, end to end and its
    sum, their ratio (the efficiency: 1.0 would mean lineage adds no CPU to the bare work), and
    the targets met or not. Why CPU: every process shares the machine's cores, so what an event
    costs bounds the rate, and it does not depend on what else the machine runs. None when the
    CPU was not read (servers not this machine's) or a bare stage is missing."""
    bare = {s.name: sum(s.cpu_us_per_event().values()) for s in stages if s.name in BARE}
    pipeline = end_to_end.cpu_us_per_event()
    if set(bare) != set(BARE) or not pipeline or not all(s.cpu_s for s in stages if s.name in BARE):
        return None
    bare_sum, pipeline_sum = sum(bare.values()), sum(pipeline.values())
    efficiency = _ratio(bare_sum, pipeline_sum)
    cores = os.cpu_count() or 1
    targets = {"efficiency": _target(efficiency, TARGET_EFFICIENCY, at_least=True)}
    for process, most in TARGET_PROCESS_US.items():
        targets[f"{process}_us_per_event"] = _target(pipeline.get(process), most, at_least=False)
    doc: dict[str, Any] = {
        "bare_us_per_event": {name: bare[name] for name in BARE},
        "bare_sum_us_per_event": bare_sum,
        "pipeline_run": end_to_end.name,
        "pipeline_us_per_event": pipeline,
        "pipeline_sum_us_per_event": pipeline_sum,
        "efficiency": efficiency,
        "targets": targets,
        "cores": cores,
        "cpu_bound_events_per_s": round(cores * 1e6 / pipeline_sum) if pipeline_sum else None,
    }
    others = {run.name: sum(run.cpu_us_per_event().values()) for run in more_workers}
    if any(others.values()):
        doc["more_workers"] = {
            name: {"pipeline_sum_us_per_event": cost, "efficiency": _ratio(bare_sum, cost)}
            for name, cost in others.items()
        }
    return doc


def _target(measured: float | None, bound: float, at_least: bool) -> dict[str, Any]:
    """A target as the report states it: the bound, the figure, and whether it is met."""
    met = None if measured is None else (measured >= bound if at_least else measured <= bound)
    return {"target": bound, "at_least": at_least, "measured": measured, "met": met}


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
        "cpu": cpu_per_event(stages, end_to_end, more_workers),
        "worker_peak_rss_bytes": peak_rss_bytes,
    }


def format_report(doc: dict[str, Any]) -> str:
    """Text lines of :func:`report`: one line a stage, the comparisons, the worker's RSS, then
    the CPU an event with the targets."""
    lines = [_stage_line(name, stage) for name, stage in doc["stages"].items()]
    top = doc["ceiling"]
    compared = f"end to end = {_times(top['end_to_end_vs_per_event'])} the per-event writer"
    if "end_to_end_vs_writer" in top:
        cost = (
            f" ({top['writer_cpu_us_per_event']:,} µs of CPU an event)"
            if "writer_cpu_us_per_event" in top
            else ""
        )
        compared += f", {_times(top['end_to_end_vs_writer'])} lineage's graph writer alone{cost}"
    lines.append(compared)
    for name, ratio in top.get("scale_out_vs_one_worker", {}).items():
        lines.append(f"{name} = {_times(ratio)} one worker")
    lines.append(f"worker peak RSS (VmHWM): {_mib(doc['worker_peak_rss_bytes'])}")
    lines.extend(_cpu_lines(doc.get("cpu")))
    return "\n".join(lines)


def _cpu_lines(cpu: dict[str, Any] | None) -> list[str]:
    """The CPU block: bare stages summed, end to end summed, then one line a target."""
    if cpu is None:
        return ["CPU per event: n/a (the servers' CPU is not this machine's to read)"]
    bare = " + ".join(f"{name} {us:,}" for name, us in cpu["bare_us_per_event"].items())
    pipeline = " + ".join(f"{name} {us:,}" for name, us in cpu["pipeline_us_per_event"].items())
    bound = cpu["cpu_bound_events_per_s"]
    lines = [
        "CPU per event (µs, all processes):",
        f"  bare stages   {bare} = {cpu['bare_sum_us_per_event']:,}",
        f"  {cpu['pipeline_run']:<13} {pipeline} = {cpu['pipeline_sum_us_per_event']:,}"
        + (f"  ({cpu['cores']} cores allow at most {bound:,} events/s)" if bound else ""),
    ]
    for name, run in cpu.get("more_workers", {}).items():
        lines.append(
            f"  {name}: {run['pipeline_sum_us_per_event']:,}, efficiency {_plain(run['efficiency'])}"
        )
    labels = {"efficiency": "efficiency (bare / end to end)"}
    for key, target in cpu["targets"].items():
        label = labels.get(key, key.removesuffix("_us_per_event") + " µs/event")
        sign = ">=" if target["at_least"] else "<="
        lines.append(
            f"  {label:<32}{_plain(target['measured']):>7}   target {sign} {target['target']:<5}"
            f" met: {_met(target['met'])}"
        )
    return lines


def _plain(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}" if isinstance(value, float) else f"{value:,}"


def _met(met: bool | None) -> str:
    return "n/a" if met is None else ("yes" if met else "no")


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
