"""Pages out: Jinja2 templates, the headers every page carries, and errors as pages.

Every workspace route uses :class:`PageRoute`, so an error from the answers layer (a bad date,
nobody by that id, Neo4j down) becomes a page with the same status the JSON API gives, instead
of the API's JSON; and every answer, error or not, is marked not to be cached or framed: the
pages show personal data (keyed hashes, categories, dates). Times are shown in the organisation's
zone (the catalog's), named, as the CLI prints them: a DPO in Paris reads Paris time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from neo4j.exceptions import DriverError

from lineage import render as text
from lineage.answers.catalog_file import read_catalog
from lineage.api.errors import status_of
from lineage.errors import LineageError
from lineage.web.session import FormRefusedError, Session, current

log = logging.getLogger(__name__)

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

# No script but the workspace's own files; cytoscape sets styles from script, hence 'unsafe-inline'
# for styles only (no inline script is ever allowed).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@pass_context
def when(context: Context, value: datetime | date | str | None, with_time: bool = True) -> str:
    """A moment as the DPO reads it, in the organisation's zone: ``2026-03-02 10:14 CET``; its
    day as ``2026-03-02``; a moment already in words (a retention trigger's name) as it is."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        zone = context.get("zone") or UTC
        return text.when(value, zone) if with_time else text.day(value, zone)
    return value if isinstance(value, str) else value.isoformat()


TEMPLATES.env.filters["when"] = when


def page(
    request: Request, template: str, session: Session | None, status_code: int = 200, **context: Any
) -> Response:
    """A template rendered with the session's CSRF token for its forms, and the organisation's
    zone for its times (read from the catalog on each page, as the API reads it)."""
    if "zone" not in context:
        context["zone"] = read_catalog(request.app.state.settings).zone
    return TEMPLATES.TemplateResponse(
        request, template, {"session": session, **context}, status_code=status_code
    )


def error_page(request: Request, exc: Exception) -> Response:
    """The JSON API's status for the error, as a page; Neo4j down is 503 like ``graph_unavailable``."""
    if isinstance(exc, FormRefusedError):
        status, title = 403, "Form refused"
    elif isinstance(exc, LineageError):
        status, title = status_of(exc)[0], "Cannot answer"
    else:
        log.warning("Neo4j did not answer a workspace page: %s", type(exc).__name__)
        status, title = 503, "The graph is not answering"
    reason = str(exc) if isinstance(exc, LineageError) else type(exc).__name__
    return page(request, "error.html", current(request), status, title=title, reason=reason, zone=None)


class PageRoute(APIRoute):
    """A route whose errors are pages and whose answers carry :data:`SECURITY_HEADERS`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except (LineageError, DriverError) as exc:
                response = error_page(request, exc)
            response.headers.update(SECURITY_HEADERS)
            return response

        return guarded
