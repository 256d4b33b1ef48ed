"""CPU seconds of the processes a benchmark stage runs on, read from /proc.

On a shared 2-core machine a stage's wall time says as much about the neighbours as about the
stage; the CPU each process spent on it does not, so ``lineage-lab bench`` reports both: µs of CPU an
event in the worker, in Neo4j and in Kafka, and what the machine's cores allow at that cost.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` so far, or None where /proc cannot say."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass
class CpuMeter:
    """CPU spent by named processes between :meth:`start` and :meth:`stop`. ``pids`` is read at
    both ends (workers come and go); this process's own time comes from the interpreter."""

    pids: Callable[[], Mapping[str, list[int]]]
    own: str | None = None
    spent: dict[str, float] = field(default_factory=dict)
    _start: dict[tuple[str, int], float] = field(default_factory=dict)
    _own_start: float = 0.0

    def start(self) -> CpuMeter:
        self._start = self._read()
        self._own_start = time.process_time()
        return self

    def sample(self) -> None:
        """Read the processes now (a worker's CPU must be read before it exits)."""
        for (name, pid), cpu in self._read().items():
            began = self._start.setdefault((name, pid), 0.0)
            self.spent[f"{name}:{pid}"] = cpu - began

    def stop(self) -> dict[str, float]:
        self.sample()
        totals: dict[str, float] = {}
        for key, cpu in self.spent.items():
            name = key.split(":", 1)[0]
            totals[name] = totals.get(name, 0.0) + cpu
        if self.own:
            totals[self.own] = time.process_time() - self._own_start
        return {name: round(cpu, 3) for name, cpu in totals.items()}

    def _read(self) -> dict[tuple[str, int], float]:
        out: dict[tuple[str, int], float] = {}
        for name, pids in self.pids().items():
            for pid in pids:
                cpu = process_cpu_s(pid)
                if cpu is not None:
                    out[(name, pid)] = cpu
        return out
