"""The layers a newcomer is told about, held by the imports themselves.

Read from the source with :mod:`ast` (nothing is imported), per package: ``lineage.cli``,
``lineage.demo``, ``streams``, ``graph``... An arrow back up the layers fails here with the
file that drew it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = ("lineage", "streams", "graph")
# The laboratory (benchmarks, fault injection, fuzzing) is one node above every layer: it may
# import the product, the product never imports it.
LAB = "lineage_lab"
FOLDERS = {top: ROOT / top for top in TOP} | {LAB: ROOT / "tools" / LAB}


# Modules that are nodes of their own, apart from their package. lineage/api/app.py is the HTTP
# service's composition root: it mounts the API's routers and the browser workspace
# (lineage/web), which answers errors through lineage/api/errors.py. (Kafka's topic names and
# client options are lineage.kafka, a package of its own like every lineage.* one: the receiver,
# the answers and the worker read them, so none of them owns them.)
OWN_NODES = frozenset({"lineage.api.app"})


def _package(module: str) -> str:
    """``lineage.demo.run`` -> ``lineage.demo``; ``lineage.render`` -> ``lineage.render``;
    ``streams.agents`` -> ``streams``; a module of OWN_NODES is its own node."""
    parts = module.split(".")
    if module in OWN_NODES:
        return module
    return ".".join(parts[:2]) if parts[0] == "lineage" and len(parts) > 1 else parts[0]


def _imports(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [name for name in found if name.split(".")[0] in FOLDERS]


def _edges() -> dict[str, dict[str, str]]:
    """package -> {imported package: a file that imports it}."""
    edges: dict[str, dict[str, str]] = defaultdict(dict)
    for folder in FOLDERS.values():
        for path in sorted(folder.rglob("*.py")):
            module = ".".join(path.relative_to(folder.parent).with_suffix("").parts)
            source = _package(module)
            for name in _imports(path):
                target = _package(name)
                if target != source:
                    edges[source].setdefault(target, str(path.relative_to(ROOT)))
    return edges


EDGES = _edges()

# The layers from the bottom up: a node may import only nodes of a lower layer. A new package
# takes its place here, or the test below names it.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"lineage", "lineage.errors", "lineage.retrying", "lineage.payloads"}),
    frozenset({"lineage.source_names", "lineage.domain"}),
    frozenset({"lineage.settings"}),
    frozenset({"lineage.reports"}),
    frozenset({"lineage.reference", "lineage.log_hygiene", "lineage.adapters", "lineage.kafka"}),
    frozenset({"lineage.sources", "graph"}),
    frozenset({"lineage.answers"}),
    frozenset({"streams", "lineage.api"}),
    frozenset({"lineage.web", "lineage.runner", "lineage.stack"}),
    frozenset({"lineage.api.app", "lineage.demo"}),
    frozenset({"lineage.cli"}),
    frozenset({"lineage.__main__"}),
    frozenset({LAB}),
)
RANK = {node: rank for rank, nodes in enumerate(LAYERS) for node in nodes}


class TestLayers:
    def test_every_package_has_a_layer(self) -> None:
        nodes = set(EDGES) | {t for targets in EDGES.values() for t in targets}
        assert sorted(nodes - set(RANK)) == []

    def test_every_import_runs_down_the_layers(self) -> None:
        upward = {
            f"{source} -> {target}": path
            for source, targets in EDGES.items()
            for target, path in targets.items()
            if RANK.get(target, -1) >= RANK.get(source, -1)
        }
        assert upward == {}

    def test_nothing_below_the_cli_imports_it(self) -> None:
        users = {
            p: f
            for p, targets in EDGES.items()
            for t, f in targets.items()
            if t == "lineage.cli" and p not in {"lineage.__main__", LAB}
        }
        assert users == {}

    def test_the_product_never_imports_the_lab(self) -> None:
        users = {p: targets[LAB] for p, targets in EDGES.items() if LAB in targets and p != LAB}
        assert users == {}
        assert "lineage.settings" in EDGES[LAB]  # the walk reads the lab too

    def test_the_domain_does_no_io(self) -> None:
        allowed = {"lineage.domain", "lineage.errors"}
        assert {t: f for t, f in EDGES["lineage.domain"].items() if t not in allowed} == {}

    def test_adapters_are_pure(self) -> None:
        allowed = {"lineage.domain", "lineage.errors"}
        assert {t: f for t, f in EDGES["lineage.adapters"].items() if t not in allowed} == {}

    def test_only_settings_reads_the_environment(self) -> None:
        readers = [
            str(p.relative_to(ROOT))
            for top in TOP
            for p in sorted((ROOT / top).rglob("*.py"))
            if p.name != "settings.py"
            and any(word in p.read_text(encoding="utf-8") for word in ("os.environ", "getenv"))
        ]
        assert readers == []

    def test_every_lineage_error_is_declared_in_errors_py(self) -> None:
        errors_py = ROOT / "lineage" / "errors.py"
        ours = {
            node.name
            for node in ast.parse(errors_py.read_text(encoding="utf-8")).body
            if isinstance(node, ast.ClassDef)
        }
        elsewhere = [
            f"{path.relative_to(ROOT)}:{node.name}"
            for top in TOP
            for path in sorted((ROOT / top).rglob("*.py"))
            if path != errors_py
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ClassDef)
            and any(isinstance(b, ast.Name) and b.id in ours for b in node.bases)
        ]
        assert elsewhere == []

    def test_the_worker_calls_the_application_layer_not_the_reverse(self) -> None:
        assert "lineage.answers" in EDGES["streams"]
        assert "streams" not in EDGES["lineage.answers"]

    def test_no_cycle_between_packages(self) -> None:
        cycles = [
            (a, b, EDGES[a][b], EDGES[b][a])
            for a in EDGES
            for b in EDGES[a]
            if a < b and a in EDGES.get(b, {})
        ]
        assert cycles == []

    def test_the_cli_the_api_the_workspace_and_the_demo_reach_the_graph_through_the_answers(self) -> None:
        front = ("lineage.cli", "lineage.api", "lineage.api.app", "lineage.web", "lineage.demo")
        assert {p: EDGES[p]["graph"] for p in front if "graph" in EDGES.get(p, {})} == {}

    def test_the_http_side_imports_nothing_of_the_worker(self) -> None:
        http = ("lineage.api", "lineage.api.app", "lineage.web")
        crossing = {p: f for p in http for t, f in EDGES[p].items() if t.split(".")[0] == "streams"}
        assert crossing == {}

    def test_the_answers_import_nothing_of_the_worker(self) -> None:
        crossing = {t: f for t, f in EDGES["lineage.answers"].items() if t.split(".")[0] == "streams"}
        assert crossing == {}

    def test_the_settings_do_not_import_the_adapters(self) -> None:
        reached = _reached("lineage.settings")
        assert {"lineage.adapters", "lineage.sources"} & reached == set()
        assert "lineage.source_names" in reached  # the walk follows the settings' imports

    def test_kafka_names_and_clients_serve_both_processes_from_below(self) -> None:
        assert {"lineage.api", "lineage.answers", "streams"} <= {
            p for p, targets in EDGES.items() if "lineage.kafka" in targets
        }
        assert set(EDGES["lineage.kafka"]) <= {
            "lineage.errors",
            "lineage.settings",
            "lineage.source_names",
        }


def _reached(package: str) -> set[str]:
    """Every package ``package`` imports, directly or through others."""
    reached: set[str] = set()
    todo = [package]
    while todo:
        for target in EDGES.get(todo.pop(), {}):
            if target not in reached:
                reached.add(target)
                todo.append(target)
    return reached
