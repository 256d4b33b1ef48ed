"""Stage timings for ``lineage bench``: what each stage alone can do, so the end-to-end figure
states its own ceiling.

An end-to-end rate alone cannot say whether the worker is slow or the servers are: this module
holds the pure part of the answer (timing a stage, the ratios, the report), with no servers, so
it is unit-tested; :mod:`lineage.demo.bench` runs the stages against the real ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

# Stage names, in the order the report lists them.
ADAPT = "adapt"
KAFKA_READ = "kafka_read"
GRAPH_BATCHED = "graph_batched"
GRAPH_PER_EVENT = "graph_per_event"
END_TO_END = "end_to_end"

_LABELS = {
    ADAPT: "adapters + canonical encoding, in-process, one core",
    KAFKA_READ: "raw Kafka read of the raw topic, no group, beginning to end",
    GRAPH_BATCHED: "minimal UNWIND MERGE of the holdings, batches of 1,000 events",
    GRAPH_PER_EVENT: "minimal MERGE, one transaction per event",
    END_TO_END: "pipeline end to end (worker process, raw topic -> Neo4j)",
}


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

    @property
    def per_s(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else float("inf")

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {"what": _LABELS.get(self.name, self.name), "items": self.items, "unit": self.unit,
                "seconds": round(self.seconds, 3), "per_s": round(self.per_s),
                "events": self.events, "events_per_s": round(self.events_per_s)}


def timed(work: Callable[[], T]) -> tuple[T, float]:
    """``work()`` and its wall time on the monotonic clock (perf_counter: sub-ms stages)."""
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of ``size``, the last one shorter."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def scaled_events(items: int, payloads: int, events: int) -> int:
    """``items`` raw messages expressed as the canonical events they become (the feed's own
    events-per-payload), so a Kafka read compares with the event stages."""
    return round(items * events / payloads) if payloads else 0


def ceiling(stages: Sequence[StageRate], end_to_end: StageRate) -> dict[str, Any]:
    """Where end to end stands: its ratio to the slowest stage (the ceiling a single pipeline of
    these stages could reach) and to the per-event writer (what batching is worth). The
    per-event writer is the baseline, not a stage the pipeline runs, so it is never the ceiling."""
    pipeline = [s for s in stages if s.name != GRAPH_PER_EVENT]
    slowest = min(pipeline, key=lambda s: s.events_per_s)
    naive = next((s for s in stages if s.name == GRAPH_PER_EVENT), None)
    return {
        "slowest_stage": slowest.name,
        "slowest_events_per_s": round(slowest.events_per_s),
        "end_to_end_vs_slowest": _ratio(end_to_end.events_per_s, slowest.events_per_s),
        "end_to_end_vs_per_event": (_ratio(end_to_end.events_per_s, naive.events_per_s)
                                    if naive else None),
    }


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 2) if denominator > 0 else None


def report(stages: Sequence[StageRate], end_to_end: StageRate,
           peak_rss_bytes: int | None) -> dict[str, Any]:
    """The stage part of the ``--json`` document."""
    return {
        "stages": {s.name: s.as_dict() for s in (*stages, end_to_end)},
        "ceiling": ceiling(stages, end_to_end),
        "worker_peak_rss_bytes": peak_rss_bytes,
    }


def format_report(doc: dict[str, Any]) -> str:
    """Text lines of :func:`report`: one line a stage, then the ratios and the worker's RSS."""
    lines = [_stage_line(name, stage) for name, stage in doc["stages"].items()]
    top = doc["ceiling"]
    lines.append(f"end to end = {_times(top['end_to_end_vs_slowest'])} the slowest stage "
                 f"({top['slowest_stage']}, {top['slowest_events_per_s']:,} events/s), "
                 f"{_times(top['end_to_end_vs_per_event'])} the per-event writer")
    lines.append(f"worker peak RSS (VmHWM): {_mib(doc['worker_peak_rss_bytes'])}")
    return "\n".join(lines)


def _stage_line(name: str, stage: dict[str, Any]) -> str:
    rate = f"{stage['events_per_s']:>9,} events/s"
    if stage["unit"] != "events":
        rate += f" ({stage['per_s']:,} {stage['unit']}/s)"
    return (f"{name:<16}{rate}  {stage['items']:,} {stage['unit']} in {stage['seconds']:.2f}s"
            f"  [{stage['what']}]")


def _times(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}x"


def _mib(size: int | None) -> str:
    return "n/a" if size is None else f"{size / 2**20:,.0f} MiB"
