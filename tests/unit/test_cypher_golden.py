"""Every Cypher statement of ``graph/``, pinned as text in ``tests/golden/cypher/<module>/<NAME>.cypher``.

A change to a statement then shows as Cypher in the diff, not as a change to the Python that
composes it. Collected: each UPPER_CASE constant a graph module defines whose text holds a Cypher
clause (a tuple of statements is one file, ``;``-terminated), and each builder's output for the
arguments its callers pass. After changing a statement on purpose, rewrite the files with
``pytest tests/unit/test_cypher_golden.py --update-golden`` and read the diff.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

import graph

GOLDEN = Path(__file__).parents[1] / "golden" / "cypher"
_CONSTANT = re.compile(r"_?[A-Z][A-Z0-9_]*")
_CLAUSE = re.compile(r"\b(MATCH|MERGE|CREATE|UNWIND|RETURN|SET|REMOVE|DELETE|CALL|WITH|DROP)\b")


def _as_text(value: object) -> str | None:
    if isinstance(value, str):
        return value if _CLAUSE.search(value) else None
    if isinstance(value, tuple | list) and value and all(isinstance(v, str) for v in value):
        return "".join(f"{v};\n" for v in value) if all(_CLAUSE.search(v) for v in value) else None
    return None


def _defined_names(module: ModuleType) -> list[str]:
    """Names the module assigns itself (not those it imports), in source order."""
    names: list[str] = []
    for node in ast.parse(inspect.getsource(module)).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names += [t.id for t in targets if isinstance(t, ast.Name) and _CONSTANT.fullmatch(t.id)]
    return names


def _builders() -> dict[str, object]:
    """Statements composed at call time, with the arguments the code passes."""
    from graph import schema

    return {"schema/constraint_statements": schema.constraint_statements()}


def statements() -> dict[str, str]:
    """``<module>/<NAME>`` -> the statement's exact text."""
    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(graph.__path__):
        module = importlib.import_module(f"graph.{info.name}")
        for name in _defined_names(module):
            text = _as_text(getattr(module, name))
            if text is not None:
                found[f"{info.name}/{name}"] = text
    for key, value in _builders().items():
        text = _as_text(value)
        assert text is not None, key
        found[key] = text
    return found


def _golden_files() -> dict[str, Path]:
    return {path.relative_to(GOLDEN).with_suffix("").as_posix(): path for path in GOLDEN.rglob("*.cypher")}


def test_statements_equal_their_golden_files(request: pytest.FixtureRequest) -> None:
    current = statements()
    if request.config.getoption("--update-golden"):
        for path in _golden_files().values():
            path.unlink()
        for folder in sorted(GOLDEN.glob("*/"), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
        for key, text in current.items():
            path = GOLDEN / f"{key}.cypher"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
    files = _golden_files()
    changed = sorted(k for k in current if k in files and files[k].read_bytes().decode("utf-8") != current[k])
    assert not changed, f"statements differ from their golden files (--update-golden): {changed}"
    missing = sorted(set(current) - set(files))
    assert not missing, f"statements without a golden file (--update-golden): {missing}"
    orphans = sorted(set(files) - set(current))
    assert not orphans, f"golden files without a statement (--update-golden): {orphans}"
