"""Every query endpoint documents the shape of its answer in ``/openapi.json``.

The answers are typed models (:mod:`lineage.answers`), declared as each route's response model;
a route that answers a bare dict would show an empty schema here, and a reader of the OpenAPI
page would not know what it returns.
"""

from __future__ import annotations

from typing import Any

import pytest

from lineage.api.app import create_api
from tests.unit.test_api_queries import DownDriver, settings

# The webhook receiver's and the metrics' routes answer to machines that know their shape
# (acknowledgements, Prometheus text); every other route answers a question.
NOT_QUERIES = frozenset({"webhooks", "metrics"})

DOCUMENT = create_api(settings(), graph_driver=DownDriver()).openapi()  # type: ignore[arg-type]
QUERIES = [
    (method.upper(), path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
    if not NOT_QUERIES & set(operation.get("tags", []))
]


def _model(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The component a response schema names, directly or as the items of an array."""
    ref = schema.get("$ref")
    if ref is None and schema.get("type") == "array":
        ref = schema.get("items", {}).get("$ref")
    return None if ref is None else DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_the_query_endpoints_are_all_there() -> None:
    paths = {path for _, path, _ in QUERIES}
    assert {"/subject", "/erasure-impact", "/alerts", "/expiring", "/holds", "/erasure-requests"} <= paths
    assert {"/transfers", "/flows", "/transfer-impact", "/what-if", "/ropa"} <= paths
    assert {
        "/requests",
        "/requests/{request_id}",
        "/requests/{request_id}/extension",
        "/requests/{request_id}/lift",
        "/requests/{request_id}/close",
        "/requests/{request_id}/tasks/{task}/answer",
        "/requests/{request_id}/tasks/{task}/ack",
        "/requests/{request_id}/report",
        "/requests/{request_id}/export",
    } <= paths


@pytest.mark.parametrize(("method", "path", "operation"), QUERIES, ids=[f"{m} {p}" for m, p, _ in QUERIES])
def test_each_query_endpoint_documents_a_modelled_answer(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    answered = {
        status: response["content"]["application/json"]["schema"]
        for status, response in operation["responses"].items()
        if status.startswith("2") and "application/json" in response.get("content", {})
    }
    assert answered, f"{method} {path} documents no JSON answer"
    for status, schema in answered.items():
        model = _model(schema)
        assert model is not None, f"{method} {path} {status}: {schema} names no model"
        assert model.get("properties"), f"{method} {path} {status}: a model with no fields"
