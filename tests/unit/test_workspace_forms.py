"""The workspace's forms are bounded like the API's bodies (pages posting them: in
``tests/integration/test_workspace_forms.py``)."""

from __future__ import annotations

import pytest

from lineage.errors import QueryError
from lineage.web.forms import MAX_FIELDS, bounded


def test_unknown_fields_are_named_by_place_and_a_form_has_few_fields() -> None:
    with pytest.raises(QueryError, match=r"^<unknown field>: "):
        bounded({"lea.martin@example.fr": "x" * 600})
    with pytest.raises(QueryError, match=r"^form: "):
        bounded({f"f{n}": "" for n in range(MAX_FIELDS + 1)})
    assert bounded({"identifier": "a@example.org", "stores": "crm, billing"}) == {
        "identifier": "a@example.org",
        "stores": "crm, billing",
    }
