"""Starting, finding and stopping one detached server process through a pid file.

The pid file records the command's marker too, so a recycled pid of another program is never
taken for our server (and never signalled).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ManagedProcess:
    name: str
    pid_file: Path
    log_file: Path
    marker: str  # a string unique to the command line, e.g. the main class

    def pid(self) -> int | None:
        """Pid of the running server, or None (stale pid files are removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if _cmdline(pid) is None or self.marker not in (_cmdline(pid) or ""):
            self.pid_file.unlink(missing_ok=True)
            return None
        return pid

    def start(self, command: list[str], cwd: Path) -> subprocess.Popen[bytes]:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                command,
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        return proc

    def stop(self, timeout: float = 60.0) -> bool:
        """SIGTERM (the servers close their stores cleanly), SIGKILL after ``timeout``."""
        return self._signal(signal.SIGTERM, timeout, then_kill=True)

    def kill(self, timeout: float = 30.0) -> bool:
        """SIGKILL, as a crash or the OOM killer would: no clean close of anything. Waits until
        the process is gone."""
        return self._signal(signal.SIGKILL, timeout, then_kill=False)

    def _signal(self, sig: signal.Signals, timeout: float, then_kill: bool) -> bool:
        """Sends ``sig`` and waits up to ``timeout`` for the process to go (SIGKILL then, if
        ``then_kill``); False when there was no process to signal."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if then_kill and _alive(pid):
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def _cmdline(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):  # reap it if it is our zombie child
        os.waitpid(pid, os.WNOHANG)
    return _cmdline(pid) is not None and _state(pid) != "Z"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"
