"""One person's answers: their data map and their erasure impact, shared by the CLI and the API.

Turning what a user types (an e-mail, ``system:id``) into the key the graph knows happens here
too, so the raw value goes no further than this module: the answers name the keyed hash only.
"""

from __future__ import annotations

from typing import Any

from neo4j import Driver

from graph.reader import GraphReader
from lineage.domain.subjects import SubjectHasher, identifier_key
from lineage.errors import QueryError
from lineage.settings import Settings


def subject_key(settings: Settings, identifier: str) -> str:
    """The identifier hashed as the adapters did; the raw value goes no further than this."""
    try:
        return identifier_key(SubjectHasher(settings.require_subject_key()), identifier)
    except ValueError as exc:
        raise QueryError(str(exc)) from exc


def data_map(driver: Driver, database: str, key: str) -> dict[str, Any]:
    """Per store, what lineage holds (and erased) of one person: the Art. 15 answer.

    ``identifier`` is the keyed hash looked up, ``subject`` the person it belongs to (None when
    nobody is known by it); the CLI's ``--json`` and ``POST /subject`` print exactly this.
    """
    rows = GraphReader(driver, database).subject_map(key)
    return {"identifier": key, "subject": rows[0]["subject"] if rows else None, "stores": rows}


def erasure_impact(driver: Driver, database: str, key: str) -> dict[str, Any]:
    """Every store still holding the person's data, with processors, sub-processor chains and
    every country concerned: what an Art. 17 request must reach."""
    rows = GraphReader(driver, database).erasure_impact(key)
    return {"subject": key, "countries": impact_countries(rows), "stores": rows}


def impact_countries(rows: list[dict[str, Any]]) -> list[str]:
    """Countries of the stores and of every sub-processor down their chains, sorted."""
    countries = {r["country"] for r in rows if r["country"]}
    countries |= {s["country"] for r in rows for s in r["sub_processors"] if s.get("country")}
    return sorted(countries)
