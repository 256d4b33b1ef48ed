"""``/ui/audit``: the audit trail for a DPO or an admin, filtered by actor, action, target,
outcome and dates, newest first, with its CSV and JSON exports (each export is recorded).

The same answers as ``GET /audit`` and ``lineage audit list`` (:mod:`lineage.answers.audit`).
Targets are keyed hashes and ids, never a person's identifier, so the filters may sit in the
query string.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from lineage.answers import audit
from lineage.settings import Settings
from lineage.web import session as sessions
from lineage.web.render import PageRoute, page
from lineage.web.session import AuditReader

router = APIRouter(prefix=sessions.PATH, route_class=PageRoute, include_in_schema=False)
FILTERS = ("actor", "action", "target", "outcome", "since", "until")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _asked(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").strip() for name in FILTERS}


def _filters(settings: Settings, asked: dict[str, str]) -> audit.AuditFilters:
    return audit.filters_from(settings, **{k: v or None for k, v in asked.items()})


@router.get("/audit")
def audit_page(request: Request, session: AuditReader, cursor: int | None = None) -> Response:
    settings = request.app.state.settings
    asked = _asked(request)
    found = audit.entries(request.app.state.graph_driver, settings, _filters(settings, asked), cursor, 50)
    query = {k: v for k, v in asked.items() if v}
    return page(
        request,
        "audit.html",
        session,
        answer=found,
        asked=asked,
        outcomes=("", *audit.OUTCOMES),
        query=urlencode(query),
        more=urlencode({**query, "cursor": found.next_cursor}) if found.next_cursor else None,
    )


@router.get("/audit/export")
def audit_export(request: Request, session: AuditReader, format: Literal["csv", "json"] = "csv") -> Response:
    settings, driver = request.app.state.settings, request.app.state.graph_driver
    filters = _filters(settings, _asked(request))
    assert session.actor is not None
    audit.record(driver, settings, session.actor, "audit.export", target=None, outcome="ok")
    return StreamingResponse(
        audit.export(driver, settings, format, filters),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="audit.{format}"'},
    )
