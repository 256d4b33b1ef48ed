"""The wheel is the product: built with ``pip wheel``, installed away from the checkout, it starts
the local stack from its own Maven files and runs ``lineage worker`` and ``lineage serve``.

The wheel is installed into a folder of its own put first on ``PYTHONPATH`` (the checkout's
editable install is shadowed, and the test says so), and every command runs from a folder
outside the checkout, with no ``.env`` and no ``LINEAGE_*`` variable but its own. Building
fetches the build backend (setuptools) from the package index, as any ``pip wheel`` does.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from lineage.api import docs
from lineage.kafka.topics import stage_consumers
from lineage.settings import KafkaSettings, Settings, StackSettings
from streams.monitor import group_is_stable
from tests.integration.test_cli import free_ports

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "lineage", "streams", "graph")
DEMO = {"__init__", "run", "brevo_feed", "company_feed", "erasure_feed"}  # the demo feed, no more
LAB_STATEMENTS = ("BENCH_CONSTRAINTS", "DELETE_BENCH_RUN", "FORGET_SUBJECTS", "RESTORE_ALERTS", "WIPE_SLICE")
MAVEN_FILES = ("kafka.pom.xml", "neo4j.pom.xml", "Neo4jLauncher.java")


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip wheel`` of a copy of the sources, so the checkout gets no ``build/`` folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    out = work / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        work,
        dict(os.environ),
    )
    return next(out.glob("lineage-*.whl"))


DOCS_FILES = sorted(docs.FILES)


def test_the_wheel_holds_the_product_and_its_stack_files(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    assert {name.split("/")[0] for name in names if "/" in name and ".dist-info" not in name} == {
        "lineage",
        "streams",
        "graph",
    }
    assert {Path(n).stem for n in names if n.startswith("lineage/demo/") and n.endswith(".py")} == DEMO
    assert [n for n in names if n.startswith("lineage/fuzz/")] == []
    assert [n for n in names if Path(n).stem in ("bench_writer", "bulk_load", "fingerprint")] == []
    cypher = "".join(archive.read(n).decode() for n in names if n.startswith("graph/") and n.endswith(".py"))
    assert [statement for statement in LAB_STATEMENTS if statement in cypher] == []
    assert {f"lineage/stack/maven/{name}" for name in MAVEN_FILES} <= set(names)
    # The browser assets are the package's own: the workspace's graph and the API's docs page.
    assert {f"lineage/api/static/swagger-ui/{name}" for name in DOCS_FILES} <= set(names)
    assert {
        "lineage/web/static/vendor/cytoscape.min.js",
        "lineage/web/static/vendor/cytoscape.LICENSE",
    } <= set(names)


@pytest.fixture
def installed(wheel: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The wheel installed in a folder of its own; a working folder outside the checkout and an
    environment that reaches the wheel first, with a stack on ports nobody uses."""
    site = tmp_path / "site"
    _run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        tmp_path,
        dict(os.environ),
    )
    kafka, controller, neo4j, api = free_ports(4)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINEAGE_")}
    env |= {
        "PYTHONPATH": str(site),
        "LINEAGE_SUBJECT_KEY": secrets.token_hex(32),
        "LINEAGE_STACK_KAFKA_PORT": kafka,
        "LINEAGE_STACK_KAFKA_CONTROLLER_PORT": controller,
        "LINEAGE_STACK_NEO4J_PORT": neo4j,
        "LINEAGE_API_HOST": "127.0.0.1",
        "LINEAGE_API_PORT": api,
    }
    workdir = tmp_path / "run"
    workdir.mkdir()
    return workdir, env


@contextlib.contextmanager
def _running(args: list[str], cwd: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            process.wait(timeout=60)


def _wait(done: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + 120
    while not done():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"{what}: {log.read_text()}"
        time.sleep(0.5)


def _answers(url: str) -> bool:
    with contextlib.suppress(httpx.TransportError):
        return httpx.get(url, timeout=2).status_code == 200
    return False


def test_the_installed_wheel_runs_the_stack_the_worker_and_the_api(
    installed: tuple[Path, dict[str, str]],
) -> None:
    workdir, env = installed
    lineage = [sys.executable, "-m", "lineage"]
    where = _run(
        [sys.executable, "-c", "import graph, lineage, streams; print(lineage.__file__)"], workdir, env
    )
    assert where.startswith(env["PYTHONPATH"]) and not where.startswith(str(ROOT))
    try:
        up = _run([*lineage, "stack", "up"], workdir, env)
        assert f"127.0.0.1:{env['LINEAGE_STACK_KAFKA_PORT']}" in up
        assert (workdir / ".lineage" / "kafka").is_dir() and (workdir / ".lineage" / "neo4j").is_dir()
        # Secure by default: the stack's credentials are generated into its folder, named, not shown.
        credentials = workdir / ".lineage" / "credentials.env"
        assert credentials.stat().st_mode & 0o777 == 0o600
        stack = StackSettings(home=workdir / ".lineage", kafka_port=int(env["LINEAGE_STACK_KAFKA_PORT"]))
        assert stack.kafka_password is not None and stack.kafka_password.get_secret_value() not in up
        bootstrap = KafkaSettings.model_construct(**stack.kafka_client())
        members = len(stage_consumers(Settings.model_fields["record_lanes"].default))
        worker_log, serve_log = workdir / "worker.log", workdir / "serve.log"
        with (
            _running([*lineage, "worker"], workdir, env, worker_log) as worker,
            _running([*lineage, "serve"], workdir, env, serve_log) as serve,
        ):
            health = f"http://127.0.0.1:{env['LINEAGE_API_PORT']}/health"
            _wait(lambda: _answers(health), serve, serve_log, "lineage serve did not answer")
            _wait(lambda: group_is_stable(bootstrap, "lineage", members), worker, worker_log, "no worker")
            assert httpx.get(health, timeout=5).json()["status"] == "ok"
    finally:
        _run([*lineage, "stack", "down"], workdir, env)
