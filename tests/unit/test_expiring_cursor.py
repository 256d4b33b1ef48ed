"""A cursor is ``<epoch ms>.<skip>``: anything else, even all digits, is a bad query (400), never a 500."""

from __future__ import annotations

import pytest

from lineage.answers.retention import parse_cursor
from lineage.errors import QueryError
from tests.unit.test_api_queries import AUTH, request

NOT_CURSORS = [
    "9" * 30 + ".0",
    "9" * 15 + ".0",
    "0." + "9" * 30,
    "1782864000000." + "9" * 19,
    "1782864000000." + "9" * 5000,
    "9" * 5000 + ".0",
    "1782864000000.²",
    "١٢.0",
    "12.x",
    "abc",
    ".",
    "-1.0",
    "1.",
    ".1",
]


@pytest.mark.parametrize("cursor", NOT_CURSORS)
def test_the_answers_refuse_a_cursor_they_never_gave(cursor: str) -> None:
    with pytest.raises(QueryError, match="cursor"):
        parse_cursor(cursor)


@pytest.mark.parametrize("cursor", NOT_CURSORS)
def test_the_api_answers_400_naming_the_cursor(cursor: str) -> None:
    response = request("GET", "/expiring", params={"before": "2026-07-01", "cursor": cursor}, headers=AUTH)
    assert (response.status_code, response.json()["error"]) == (400, "bad_query"), response.text
    assert "cursor" in response.json()["reason"]


def test_a_cursor_the_service_gives_is_read_back() -> None:
    at, skip = parse_cursor("1782864000000.3")
    assert (int(at.timestamp() * 1000), skip) == (1782864000000, 3)
