"""Runs ``lineage worker`` as a child process and tells when it has caught up.

The demo, the benchmark and the integration tests all drive the real worker this way, so what
they exercise is exactly what a user runs.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lineage.errors import LineageError
from lineage.kafka.topics import Topics, stage_consumers
from lineage.settings import Settings, settings_env
from streams.monitor import LagProbe, group_is_stable


def vm_hwm_bytes(status: str) -> int | None:
    """The ``VmHWM`` line of a /proc/<pid>/status text in bytes (the kernel writes kB)."""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


class WorkerProcess:
    """One ``python -m lineage worker`` child, with its log in the state folder."""

    def __init__(self, settings: Settings, log_file: Path | None = None, loglevel: str = "warning") -> None:
        self.settings = settings
        self.loglevel = loglevel
        self.log_file = log_file or settings.stack.home.resolve() / "worker.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, ready_timeout: float = 90.0) -> WorkerProcess:
        """Start and wait until its consumer group is stable (it owns its partitions)."""
        self.launch()
        self._wait(
            lambda: group_is_stable(
                self.settings.kafka, self.settings.app_id, len(stage_consumers(self.settings.record_lanes))
            ),
            ready_timeout,
            "join its consumer group",
        )
        return self

    def launch(self) -> WorkerProcess:
        """Start the process without waiting for it: several workers joining one group are
        launched together and waited for once (each join would otherwise rebalance the last)."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "lineage", "worker", "--loglevel", self.loglevel],
                env=settings_env(self.settings),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    def wait_caught_up(
        self, timeout: float = 300.0, on_progress: Callable[[int], None] | None = None
    ) -> None:
        """Wait until every raw and canonical message is committed, i.e. is in Neo4j."""
        names = Topics(self.settings.topic_namespace)
        topics = [t.name for t in names.all_raw()] + [names.canonical.name]

        with LagProbe(self.settings.kafka, self.settings.app_id) as probe:

            def caught_up() -> bool:
                lag = probe.lag(topics)
                if on_progress:
                    on_progress(lag)
                return lag == 0

            self._wait(caught_up, timeout, "catch up")

    def stop(self, timeout: float = 30.0) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def kill(self) -> None:
        """SIGKILL, no graceful stop: what a crash or an OOM kill does to the worker."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The running process's id (None before launch or after exit)."""
        return self._proc.pid if self._proc is not None and self.is_running() else None

    def peak_rss_bytes(self) -> int | None:
        """The worker's peak resident memory so far (VmHWM), or None where /proc cannot say
        (not Linux, or not running): read before :meth:`stop`, since it dies with the process."""
        if not self.is_running():
            return None
        assert self._proc is not None
        try:
            status = Path(f"/proc/{self._proc.pid}/status").read_text()
        except OSError:
            return None
        return vm_hwm_bytes(status)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def _wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.is_running():
                raise LineageError(f"the worker exited before it could {what}:\n{self.log_tail()}")
            if done():
                return
            time.sleep(0.25)
        raise LineageError(
            f"the worker did not {what} within {timeout:.0f}s; log: {self.log_file}\n{self.log_tail()}"
        )

    def __enter__(self) -> WorkerProcess:
        return self if self.is_running() else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
