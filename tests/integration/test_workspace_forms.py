"""The workspace's forms are bounded like the API's bodies: a field past its bound is a 400 page
naming the field, never its value, and nothing is done."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from graph.connection import open_driver
from lineage.answers import accounts
from lineage.settings import Settings
from tests.integration.test_access_control import PASSWORD, _settings, csrf_of, signed_in_client
from tests.integration.test_api import served

pytestmark = pytest.mark.integration

LONG = "lea.martin@example.fr" + "x" * 1000


@pytest.fixture(scope="module")
def signed_in(servers: Settings) -> Iterator[httpx.Client]:
    """A DPO signed in once for every form of the module (the forms refuse before any write)."""
    settings = _settings(servers)
    with open_driver(settings) as driver:
        accounts.add_user(driver, settings, "forms-dpo", "dpo", PASSWORD)
    with served(settings) as url:
        client = signed_in_client(url, "forms-dpo")
        yield client
        client.close()


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
def test_a_field_past_its_bound_is_refused_naming_it(
    signed_in: httpx.Client, path: str, fields: dict[str, str], named: str
) -> None:
    answer = signed_in.post(path, data={**fields, "csrf": csrf_of(signed_in)})
    assert answer.status_code == 400, (path, answer.status_code)
    assert f"{named}: " in answer.text
    assert "lea.martin" not in answer.text and "xxxxxxxx" not in answer.text
