"""The workspace's forms are bounded like the API's bodies: a field past its bound is a 400 page
naming the field, never its value, and nothing is done."""

from __future__ import annotations

import httpx
import pytest

from lineage.errors import QueryError
from lineage.web.forms import MAX_FIELDS, bounded
from tests.unit.test_workspace import browse, logged_in

LONG = "lea.martin@example.fr" + "x" * 1000


@pytest.mark.parametrize(
    "path, fields, named",
    [
        ("/ui/person", {"identifier": LONG}, "identifier"),
        ("/ui/holds", {"identifier": "a@example.org", "reason": LONG}, "reason"),
        (
            "/ui/holds",
            {"identifier": "a@example.org", "reason": "r", "stores": ",".join(["s"] * 101)},
            "stores",
        ),
        ("/ui/holds", {"identifier": "a@example.org", "reason": "r", "categories": LONG}, "categories"),
        ("/ui/holds/h-1/release", {"reason": LONG}, "reason"),
        ("/ui/requests", {"kind": "access", "identifier": LONG}, "identifier"),
        (
            "/ui/requests",
            {"kind": "access", "identifier": "a@example.org", "requested_by": LONG},
            "requested_by",
        ),
        ("/ui/requests/r-1/close", {"note": LONG}, "note"),
        ("/ui/requests/r-1/extension", {"months": "1", "reason": LONG}, "reason"),
        ("/ui/erasure", {"identifier": LONG}, "identifier"),
    ],
)
def test_a_field_past_its_bound_is_refused_naming_it(path: str, fields: dict[str, str], named: str) -> None:
    async def steps(client: httpx.AsyncClient) -> httpx.Response:
        csrf = await logged_in(client)
        return await client.post(path, data={**fields, "csrf": csrf})

    answer = browse(steps)
    assert answer.status_code == 400, (path, answer.status_code)
    assert f"{named}: " in answer.text
    assert "lea.martin" not in answer.text and "xxxxxxxx" not in answer.text


def test_unknown_fields_are_named_by_place_and_a_form_has_few_fields() -> None:
    with pytest.raises(QueryError, match=r"^<unknown field>: "):
        bounded({"lea.martin@example.fr": "x" * 600})
    with pytest.raises(QueryError, match=r"^form: "):
        bounded({f"f{n}": "" for n in range(MAX_FIELDS + 1)})
    assert bounded({"identifier": "a@example.org", "stores": "crm, billing"}) == {
        "identifier": "a@example.org",
        "stores": "crm, billing",
    }
