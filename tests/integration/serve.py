"""``lineage serve`` as an operator starts it, for the tests that drive the HTTP surface."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from lineage.runner import settings_env
from lineage.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def lineage_serve(
    settings: Settings, log: Path, env: dict[str, str], port: int | None = None
) -> Iterator[str]:
    """``lineage serve`` on loopback with ``env`` (its tokens) added, on ``port`` when a test must
    know it beforehand (an OpenID provider's redirect URI); yields its base URL once it answers,
    and stops it afterwards."""
    port = port or free_port()
    server_env = (
        settings_env(settings) | env | {"LINEAGE_API_HOST": "127.0.0.1", "LINEAGE_API_PORT": str(port)}
    )
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "lineage", "serve"], env=server_env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, log.read_text()
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                assert time.monotonic() < deadline, "lineage serve did not start"
                time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)
