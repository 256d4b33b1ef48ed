"""The workspace's posted fields, bounded like the API's bodies before any page reads them.

A form is a :data:`~lineage.web.session.PostedForm` (read within the body limit, its CSRF token
checked) whose every field is then held to a length: an identifier to 512 characters, a
comma-separated list to 100 entries of 200 characters, any other text to ``MAX_TEXT``. A field
past its bound is refused (400, naming the field, never its value) before anything is done; so
is a form with more fields than any workspace form has. Field names a page does not know are
named by their place only: they are the sender's text.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from lineage.domain.requests import MAX_TEXT
from lineage.errors import QueryError
from lineage.web.session import PostedForm

MAX_FIELDS = 20
MAX_IDENTIFIER = 512
MAX_LIST_ENTRIES = 100
MAX_LIST_ENTRY = 200
LISTS = frozenset({"stores", "categories", "purposes"})
KNOWN = frozenset(
    {
        "identifier", "on", "reason", "until", "before", "kind", "received", "requested_by",
        "verification_method", "verified_by", "months", "task", "evidence", "by", "note", "status",
        "name", "role", "password", "expires_days", "store", "processor", "exposed_from",
        "exposed_to", "aware_at", "description", "reference", "delay_reason", "count", "scope", "target",
    }
) | LISTS  # fmt: skip


def bounded(form: dict[str, str]) -> dict[str, str]:
    """``form`` unchanged, or :class:`QueryError` naming the first field past its bound."""
    if len(form) > MAX_FIELDS:
        raise QueryError(f"form: at most {MAX_FIELDS} fields")
    for name, value in form.items():
        shown = name if name in KNOWN else "<unknown field>"
        if name in LISTS:
            entries = [part for part in value.split(",") if part.strip()]
            if len(entries) > MAX_LIST_ENTRIES:
                raise QueryError(f"{shown}: at most {MAX_LIST_ENTRIES} entries")
            if any(len(part.strip()) > MAX_LIST_ENTRY for part in entries):
                raise QueryError(f"{shown}: each entry at most {MAX_LIST_ENTRY} characters")
            continue
        most = MAX_IDENTIFIER if name == "identifier" else MAX_TEXT
        if len(value) > most:
            raise QueryError(f"{shown}: at most {most} characters")
    return form


async def _bounded_form(form: PostedForm) -> dict[str, str]:
    return bounded(form)


BoundedForm = Annotated[dict[str, str], Depends(_bounded_form)]
