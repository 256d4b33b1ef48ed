"""A real OpenID provider for the sign-in tests: ``tests/oidc_provider/server.js``, panva's
``oidc-provider`` (OpenID Certified) under Node, on a loopback port.

Its Node dependencies are installed from the lock file (``npm ci``) the first time, when
``node_modules`` is missing (``make test`` does it too). The provider's issuer is
``http://localhost:<port>`` while lineage serves on ``127.0.0.1``: two sites to the browser.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

FOLDER = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID = "lineage-workspace"
ROLE_CLAIM = "lineage_roles"
# username -> password, as server.js holds them; the role claim of each is there too.
PASSWORDS = {
    "dana": "dana-password",  # lineage-dpo
    "vic": "vic-password",  # lineage-viewer
    "ada": "ada-password",  # lineage-dpo, lineage-admin
    "nora": "nora-password",  # marketing: no lineage role
    "mallory": "mallory-password",  # markup for a name, no lineage role
}


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    log: Path


def install() -> None:
    """``npm ci`` from the lock file, once (no browser download: the package has none)."""
    if (FOLDER / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is missing: the sign-in tests run a real OpenID provider under Node")
    subprocess.run(
        [npm, "ci", "--prefix", str(FOLDER), "--no-audit", "--no-fund", "--loglevel=error"],
        check=True,
        timeout=300,
    )


@contextlib.contextmanager
def running(port: int, redirect_uri: str, log: Path, client_secret: str) -> Iterator[Provider]:
    """The provider on ``port``, its one client allowed back to ``redirect_uri`` only."""
    install()
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is missing: the sign-in tests run a real OpenID provider under Node")
    env = os.environ | {
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": client_secret,
        "OIDC_REDIRECT_URI": redirect_uri,
        "OIDC_ROLE_CLAIM": ROLE_CLAIM,
    }
    issuer = f"http://localhost:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [node, str(FOLDER / "server.js")], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=FOLDER
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log.read_text()
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                        break
                assert time.monotonic() < deadline, "the OpenID provider did not start"
                time.sleep(0.1)
            yield Provider(issuer, CLIENT_ID, client_secret, log)
        finally:
            process.terminate()
            process.wait(timeout=30)
