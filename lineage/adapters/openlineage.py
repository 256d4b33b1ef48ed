"""OpenLineage RunEvents (Airflow, Spark, dbt...) -> store-to-store flows.

A pipeline run reads datasets and writes others. The catalog says which datasets are stores
(``datasets: [namespace/name]`` on a store); the run's datasets say which personal-data
categories they hold, with OpenLineage's standard ``tags`` dataset facet: a tag whose ``key``
is ``data_category`` and whose ``value`` is a fideslang data category, on one column
(``field``) or on the whole dataset::

    "facets": {"tags": {"tags": [{"key": "data_category", "value": "user.contact.email",
                                  "field": "email"}]}}

Only a finished run (``eventType: COMPLETE``) moves data; it becomes one :class:`StoreFlowEvent`
per (input store, output store) pair that carries categories:

- with a ``columnLineage`` facet on the output, each output column carries its own tags and
  those of the input columns it is computed from, to the stores of those inputs (a column from
  an input lineage does not know moves nothing from it);
- without one, every input store sends the output's tagged categories, or, when the output is
  not tagged, the input's own (a copy into an untagged table still copies what it read).

Datasets the catalog does not map are left out, and a run between no mapped stores gives no
event (most runs of a data platform touch no personal data): START, RUNNING, FAIL and ABORT
events, DatasetEvents and JobEvents too. A flow names nobody: it records the flow and is judged
like a copy to the destination store (its transfer verdict, and an alert if unapproved).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lineage.adapters.base import build_event, iso_time, json_type, stable_digest
from lineage.domain.categories import check_category
from lineage.domain.events import DataMovementEvent
from lineage.domain.subjects import SubjectHasher
from lineage.errors import AdapterError

SOURCE = "openlineage"
CATEGORY_TAG = "data_category"
DATASET_WIDE = ""  # the field of a tag that names no column


def _fail(reason: str) -> AdapterError:
    return AdapterError(SOURCE, reason)


@dataclass
class Dataset:
    """One input or output of the run, as far as lineage cares."""

    key: str  # namespace/name
    store: str | None
    tags: dict[str, set[str]] = field(default_factory=dict)  # column (or DATASET_WIDE) -> categories
    lineage: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # column -> inputs

    def categories(self, column: str | None = None) -> set[str]:
        if column is None:
            return set().union(*self.tags.values()) if self.tags else set()
        return self.tags.get(column, set()) | self.tags.get(DATASET_WIDE, set())


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(f"{where} is not an object (got {json_type(value)})")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(f"{where} is not an array (got {json_type(value)})")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(f"{where} is not a non-empty string")
    return value


def _tags(facets: dict[str, Any], where: str) -> dict[str, set[str]]:
    tags: dict[str, set[str]] = {}
    for index, tag in enumerate(
        _list(_object(facets.get("tags"), f"{where}.tags").get("tags"), f"{where}.tags.tags")
    ):
        place = f"{where}.tags.tags[{index}]"
        tag = _object(tag, place)
        if tag.get("key") != CATEGORY_TAG:
            continue
        try:
            category = check_category(_text(tag.get("value"), f"{place}.value"))
        except ValueError:
            raise _fail(f"{place}.value is not a fideslang data category") from None
        column = tag.get("field") or DATASET_WIDE
        tags.setdefault(_text(column, f"{place}.field") if column else DATASET_WIDE, set()).add(category)
    return tags


def _column_lineage(facets: dict[str, Any], where: str) -> dict[str, list[tuple[str, str]]]:
    fields = _object(
        _object(facets.get("columnLineage"), f"{where}.columnLineage").get("fields"),
        f"{where}.columnLineage.fields",
    )
    lineage: dict[str, list[tuple[str, str]]] = {}
    for column, spec in fields.items():
        place = f"{where}.columnLineage.fields.<column>"
        sources = []
        for entry in _list(_object(spec, place).get("inputFields"), f"{place}.inputFields"):
            entry = _object(entry, f"{place}.inputFields[]")
            dataset = (
                f"{_text(entry.get('namespace'), f'{place}.inputFields[].namespace')}/"
                f"{_text(entry.get('name'), f'{place}.inputFields[].name')}"
            )
            sources.append((dataset, _text(entry.get("field"), f"{place}.inputFields[].field")))
        lineage[column] = sources
    return lineage


def _dataset(document: Any, where: str, stores: Mapping[str, str]) -> Dataset:
    document = _object(document, where)
    namespace = _text(document.get("namespace"), f"{where}.namespace")
    key = f"{namespace}/{_text(document.get('name'), f'{where}.name')}"
    facets = _object(document.get("facets"), f"{where}.facets")
    return Dataset(
        key, stores.get(key), _tags(facets, f"{where}.facets"), _column_lineage(facets, f"{where}.facets")
    )


def _carried(output: Dataset, inputs: list[Dataset]) -> dict[str, set[str]]:
    """Input store -> the categories the run carried from it into ``output`` (see module doc)."""
    by_key = {d.key: d for d in inputs}
    carried: dict[str, set[str]] = {}
    if output.lineage:
        for column, sources in output.lineage.items():
            for dataset, source_column in sources:
                origin = by_key.get(dataset)
                if origin is None or origin.store is None:
                    continue
                categories = output.categories(column) | origin.categories(source_column)
                carried.setdefault(origin.store, set()).update(categories)
        return carried
    for origin in inputs:
        if origin.store is not None:
            carried.setdefault(origin.store, set()).update(output.categories() or origin.categories())
    return carried


def adapt_openlineage(
    payload: Any,
    hasher: SubjectHasher,
    *,
    received_at: datetime | None = None,
    datasets: Mapping[str, str] | None = None,
) -> list[DataMovementEvent]:
    """One OpenLineage event -> the store-to-store flows of a completed run (none otherwise).

    Args:
        datasets: the catalog's dataset (``namespace/name``) -> store mapping.
    """
    stores = datasets or {}
    document = _object(payload, "event")
    if document.get("eventType") != "COMPLETE":
        return []
    run_id = _text(_object(document.get("run"), "run").get("runId"), "run.runId")
    at = iso_time(SOURCE, "eventTime", document.get("eventTime"))
    inputs = [
        _dataset(d, f"inputs[{i}]", stores) for i, d in enumerate(_list(document.get("inputs"), "inputs"))
    ]
    outputs = [
        _dataset(d, f"outputs[{i}]", stores) for i, d in enumerate(_list(document.get("outputs"), "outputs"))
    ]
    events: list[DataMovementEvent] = []
    for output in outputs:
        if output.store is None:
            continue
        for origin, categories in sorted(_carried(output, inputs).items()):
            if origin == output.store or not categories:
                continue
            events.append(
                build_event(
                    SOURCE,
                    "flowed",
                    {
                        "event_id": f"openlineage:{stable_digest(f'{run_id}|{origin}|{output.store}')}",
                        "occurred_at": at,
                        "source": SOURCE,
                        "native_type": "openlineage:complete",
                        "store": origin,
                        "destination": output.store,
                        "categories": tuple(sorted(categories)),
                    },
                )
            )
    return events
