"""``lineage export fides``: the catalog and the observed graph as Fides manifests.

The graph is read through the same queries as the record of processing (observed stores and
flows, ``graph/ropa.py``), transfers judged on ``day``; the mapping itself is
:mod:`lineage.domain.fides`. Files are written with fideslang's own manifest writer, one file
per resource type, so ``fides push DIR`` (or fideslang's loaders) reads them as they are.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fideslang.manifests import write_manifest
from neo4j import Driver

from graph import ropa as observed
from lineage.domain.catalog import Catalog
from lineage.domain.fides import FidesExport, fides_export, unresolved_references
from lineage.domain.transfer_chains import catalog_hops
from lineage.errors import ExportError
from lineage.reference import default_transfer_rules

FILES = {
    "system": "systems.yml",
    "dataset": "datasets.yml",
    "data_category": "data_categories.yml",
    "data_subject": "data_subjects.yml",
}


def export(driver: Driver, database: str, catalog: Catalog, day: date) -> FidesExport:
    """Validated fideslang models of the catalog joined with what the graph observed."""
    hops = catalog_hops(catalog, default_transfer_rules(), day)
    try:
        built = fides_export(
            catalog,
            hops,
            observed.observed_stores(driver, database),
            observed.observed_flows(driver, database),
        )
    except ValueError as exc:  # two ids becoming one Fides key: a catalog to fix, said plainly
        raise ExportError(str(exc)) from exc
    problems = unresolved_references(built)
    if problems:
        raise ExportError("the export would not load into Fides: " + "; ".join(problems))
    return built


def write(built: FidesExport, out: Path) -> list[Path]:
    """One manifest file per resource type under ``out`` (created); returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, resources in built.manifests().items():
        path = out / FILES[kind]
        write_manifest(str(path), resources, kind)
        written.append(path)
    return written


def summary(built: FidesExport, written: list[Path]) -> str:
    return (
        f"{len(built.systems)} systems, {len(built.datasets)} datasets written to "
        f"{', '.join(str(p) for p in written)}"
    )
