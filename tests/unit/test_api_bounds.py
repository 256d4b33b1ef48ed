"""Every request body is bounded and closed: a field too long, a list too long or a field nobody
declared is a 400 naming the field (never quoting what was sent), before anything is done.

Served in-process with a Neo4j driver that is always down (see ``test_api_queries``): a body
that passes every check answers 503 ``graph_unavailable``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from pydantic import BaseModel

from lineage.api import app as app_module
from lineage.api.app import create_api
from lineage.settings import ApiSettings, KafkaSettings, Neo4jSettings, Settings
from tests.unit.test_api_queries import AUTH, QUERY_TOKEN, DownDriver

HUGE = "x" * 900_000


def _settings() -> Settings:
    return Settings(
        kafka=KafkaSettings(bootstrap="127.0.0.1:9"),
        neo4j=Neo4jSettings(uri="bolt://127.0.0.1:9"),
        subject_key="unit-test-subject-key",
        api=ApiSettings(query_token=QUERY_TOKEN),  # the default body limit, 1 MiB
    )


def _post(path: str, body: Any, params: dict[str, str] | None = None) -> httpx.Response:
    async def send() -> httpx.Response:
        app = create_api(_settings(), graph_driver=DownDriver())  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lineage.test") as client:
            method = "GET" if params is not None else "POST"
            return await client.request(
                method, path, content=None if body is None else json.dumps(body), headers=AUTH, params=params
            )

    return asyncio.run(send())


def body_models() -> list[tuple[str, type[BaseModel]]]:
    """Each route's body model, found in the ``json_body`` dependency that reads it."""
    routers = [value for value in vars(app_module).values() if isinstance(value, APIRouter)]
    found = []
    for route in (route for router in routers for route in router.routes):
        if not isinstance(route, APIRoute):
            continue
        pending = list(route.dependant.dependencies)
        while pending:
            dependency = pending.pop()
            pending.extend(dependency.dependencies)
            if dependency.call is None or not inspect.isfunction(dependency.call):
                continue
            model = inspect.getclosurevars(dependency.call).nonlocals.get("model")
            if isinstance(model, type) and issubclass(model, BaseModel):
                found.append((f"{sorted(route.methods)[0]} {route.path}", model))
    return found


def _unbounded(schema: dict[str, Any], where: str = "") -> list[str]:
    problems = []
    for name, sub in schema.get("properties", {}).items():
        problems += _unbounded_value(sub, f"{where}{name}")
    return problems


def _unbounded_value(schema: dict[str, Any], where: str) -> list[str]:
    problems = []
    for option in schema.get("anyOf", [schema]):
        kind = option.get("type")
        if kind == "string" and "maxLength" not in option and "enum" not in option and "$ref" not in option:
            problems.append(f"{where}: a string without maxLength")
        if kind == "array":
            if "maxItems" not in option:
                problems.append(f"{where}: a list without maxItems")
            problems += _unbounded_value(option.get("items", {}), f"{where}[]")
    return problems


MODELS = body_models()


def test_the_body_models_are_found() -> None:
    assert {"POST /holds", "POST /erasure-requests", "POST /requests", "POST /subject"} <= {
        where for where, _ in MODELS
    }


@pytest.mark.parametrize("where, model", MODELS, ids=[where for where, _ in MODELS])
def test_every_body_refuses_unknown_fields_and_bounds_every_string_and_list(
    where: str, model: type[BaseModel]
) -> None:
    assert model.model_config.get("extra") == "forbid", where
    assert _unbounded(model.model_json_schema()) == [], where


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/holds", {"identifier": HUGE, "reason": "litigation"}, "identifier"),
        ("/holds", {"identifier": "a@example.org", "reason": HUGE}, "reason"),
        ("/holds", {"identifier": "a@example.org", "reason": "r", "stores": ["crm"] * 5000}, "stores"),
        ("/holds", {"identifier": "a@example.org", "reason": "r", "categories": ["c" * 300]}, "categories.0"),
        ("/holds/h-1/release", {"reason": HUGE}, "reason"),
        ("/erasure-requests", {"identifier": HUGE}, "identifier"),
        ("/erasure-requests", {"identifier": "a@example.org", "requested_by": HUGE}, "requested_by"),
        ("/erasure-requests/er-1/extend", {"months": 1, "reason": HUGE}, "reason"),
        ("/requests", {"kind": "access", "identifier": HUGE}, "identifier"),
        ("/subject", {"identifier": HUGE}, "identifier"),
    ],
)
def test_a_value_too_long_is_a_400_naming_the_field_not_the_value(path: str, body: Any, field: str) -> None:
    response = _post(path, body)
    assert (response.status_code, response.json()["error"]) == (400, "bad_query"), response.text[:300]
    reason = response.json()["reason"]
    assert reason.startswith(f"{field}:"), reason
    assert "xxxx" not in reason and "crm" not in reason and "cccc" not in reason


@pytest.mark.parametrize(
    "path, body",
    [
        ("/holds", {"identifier": "a@example.org", "reason": "r", "lea.martin@example.fr": 1}),
        ("/holds/h-1/release", {"reason": "closed", "extra": True}),
        ("/erasure-requests", {"identifier": "a@example.org", "extra": "x"}),
        ("/erasure-requests/er-1/extend", {"months": 1, "reason": "busy", "extra": 1}),
        ("/subject", {"identifier": "a@example.org", "extra": 1}),
    ],
)
def test_an_unknown_field_is_a_400_that_does_not_echo_its_name(path: str, body: Any) -> None:
    response = _post(path, body)
    assert (response.status_code, response.json()["error"]) == (400, "bad_query"), response.text
    reason = response.json()["reason"]
    assert reason.startswith("<unknown field>:"), reason
    assert "lea.martin" not in reason and "extra" not in reason


def test_a_bounded_body_still_gets_through() -> None:
    response = _post("/holds", {"identifier": "a@example.org", "reason": "litigation", "stores": ["crm"]})
    assert response.json()["error"] == "graph_unavailable", response.text


@pytest.mark.parametrize("limit", ["0", "100001", "1000000", "9" * 40])
def test_a_page_past_the_largest_is_a_400_naming_limit(limit: str) -> None:
    response = _post("/expiring", None, params={"before": "2026-07-01", "limit": limit})
    assert (response.status_code, response.json()["error"]) == (400, "bad_query"), response.text
    assert response.json()["reason"].startswith("limit:")


def test_the_answers_refuse_a_page_past_the_largest() -> None:
    from lineage.answers.retention import MAX_PAGE, expiring
    from lineage.errors import QueryError

    with pytest.raises(QueryError, match=r"^limit: "):
        expiring(DownDriver(), "neo4j", "2026-07-01", limit=MAX_PAGE + 1)  # type: ignore[arg-type]
