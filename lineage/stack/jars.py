"""Resolves each server's jars with Maven into a cache folder, once per manifest version.

A folder per manifest content hash: editing a pom (a version bump) resolves afresh, and two
servers never share a lib folder, because Kafka and Neo4j need different netty/jackson.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from lineage.errors import StackError
from lineage.settings import StackSettings


def require_tool(name: str, why: str) -> str:
    """Path of a command, or a StackError that tells the user what to install."""
    path = shutil.which(name)
    if path is None:
        raise StackError(
            f"`{name}` was not found on PATH; it is needed to {why}. "
            f"Install it (e.g. `apt-get install {_package(name)}`) or point lineage "
            "at your own servers with LINEAGE_KAFKA_BOOTSTRAP / LINEAGE_NEO4J_URI."
        )
    return path


def _package(tool: str) -> str:
    return {"java": "openjdk-17-jre-headless", "mvn": "maven"}.get(tool, tool)


def server_jars(settings: StackSettings, server: str) -> Path:
    """Folder holding every jar ``server`` ("kafka" or "neo4j") needs, resolving it if absent."""
    pom = settings.deploy_dir / f"{server}.pom.xml"
    if not pom.is_file():
        raise StackError(f"missing Maven manifest {pom}")
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()[:12]
    lib = settings.cache / f"{server}-{digest}"
    if (lib / ".complete").exists():
        return lib
    _resolve(pom, lib)
    return lib


def _resolve(pom: Path, lib: Path) -> None:
    mvn = require_tool("mvn", "download the Kafka and Neo4j jars from Maven Central")
    staging = lib.with_name(lib.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    command = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={staging}",
        "-DincludeScope=runtime",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise StackError(f"Maven could not resolve {pom.name}:\n{tail}")
    (staging / ".complete").touch()
    shutil.rmtree(lib, ignore_errors=True)
    staging.rename(lib)
