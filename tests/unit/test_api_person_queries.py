"""``POST /subject`` and ``POST /erasure-impact`` refuse the way the other query endpoints do.

The identifier travels in the body only: token first (401 before anything is read), then a
bounded, parsed body, then 400 ``bad_query`` naming the field, never quoting what was sent.
Served in-process with a Neo4j that is down, so a body that passes every check answers 503.
"""

from __future__ import annotations

import json

import pytest
from fastapi.routing import APIRoute

from lineage.api.queries import router
from tests.unit.test_api_queries import AUTH, request

ROUTES = ("/subject", "/erasure-impact")
SECRET_LOOKING = "Lea.Martin+secret@Example.fr"


def test_both_routes_are_post_and_never_read_the_body_before_the_token() -> None:
    routes = {r.path: r for r in router.routes if isinstance(r, APIRoute) and r.path in ROUTES}
    assert set(routes) == set(ROUTES)
    assert all(r.methods == {"POST"} and r.body_field is None for r in routes.values())


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_no_valid_token_gets_401(path: str, headers: dict[str, str]) -> None:
    response = request("POST", path, content=json.dumps({"identifier": SECRET_LOOKING}), headers=headers)
    assert (response.status_code, response.json()["error"]) == (401, "unauthorized")


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize(
    "body",
    [
        {"identifier": "lea.martin.example.fr"},  # neither an address nor system:id
        {"identifier": ""},
        {"identifier": 42},
        {"identifier": ["lea.martin@example.fr"]},
        {"email": "lea.martin@example.fr"},
        {"identifier": "lea.martin@example.fr", "store": "brevo/contacts"},
        [],
    ],
)
def test_a_bad_body_gets_400_without_its_value(path: str, body: object) -> None:
    response = request("POST", path, content=json.dumps(body), headers=AUTH)
    assert (response.status_code, response.json()["error"]) == (400, "bad_query"), response.text
    assert "lea.martin" not in response.text.lower() and "example" not in response.text


@pytest.mark.parametrize("path", ROUTES)
def test_malformed_json_gets_400_invalid_json(path: str) -> None:
    response = request("POST", path, content=b'{"identifier": "lea@', headers=AUTH)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_json")
    assert "lea" not in response.text


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("identifier", [SECRET_LOOKING, "hubspot:90512", "salesforce:lead:00Q5g00000AbCdEFG"])
def test_a_valid_identifier_reaches_the_graph(path: str, identifier: str) -> None:
    response = request("POST", path, content=json.dumps({"identifier": identifier}), headers=AUTH)
    assert (response.status_code, response.json()["error"]) == (503, "graph_unavailable")


def test_a_get_with_the_identifier_in_the_url_is_not_an_answer() -> None:
    response = request("GET", "/subject", params={"identifier": SECRET_LOOKING}, headers=AUTH)
    assert response.status_code == 405
