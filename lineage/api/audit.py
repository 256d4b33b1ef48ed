"""``/audit``: the audit trail for whoever holds the ``audit`` permission (a DPO, an admin).

The same answers as ``lineage audit list`` and ``lineage audit export``
(:mod:`lineage.answers.audit`). Reading the trail is not recorded; an export is, before a byte
of it leaves (no record, no export: 503).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from lineage.answers import audit
from lineage.answers.audit import AuditExport, AuditPage
from lineage.api.access import AppSettings, AuditReader, GraphDriver
from lineage.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/audit", tags=["audit"])

ActorQ = Annotated[str | None, Query(description="only this actor (an account, a client, an OS user)")]
ActionQ = Annotated[
    str | None, Query(description="only this action, or those under it (request matches request.open)")
]
TargetQ = Annotated[str | None, Query(description="only this target (a keyed hash, a request or hold id)")]
OutcomeQ = Annotated[str | None, Query(description="ok, denied, refused or failed")]
SinceQ = Annotated[
    str | None, Query(description="from this day (YYYY-MM-DD, organisation's zone) or ISO 8601 time")
]
UntilQ = Annotated[
    str | None, Query(description="up to this day included (YYYY-MM-DD) or before this ISO 8601 time")
]


@router.get("", summary="Audit entries, newest first", response_model=AuditPage, responses=ERROR_RESPONSES)
def entries(
    _actor: AuditReader,
    settings: AppSettings,
    driver: GraphDriver,
    actor: ActorQ = None,
    action: ActionQ = None,
    target: TargetQ = None,
    outcome: OutcomeQ = None,
    since: SinceQ = None,
    until: UntilQ = None,
    cursor: Annotated[int | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE, description="entries per page")] = 50,
) -> AuditPage:
    filters = audit.filters_from(
        settings, actor=actor, action=action, target=target, outcome=outcome, since=since, until=until
    )
    return audit.entries(driver, settings, filters, cursor, limit)


MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@router.get(
    "/export",
    summary="Every matching entry, oldest first, as CSV or JSON (recorded as audit.export)",
    responses={
        **ERROR_RESPONSES,
        200: {"model": AuditExport, "content": {"text/csv": {}}, "description": "The entries, CSV or JSON"},
    },
)
def export(
    reader: AuditReader,
    settings: AppSettings,
    driver: GraphDriver,
    format: Annotated[Literal["csv", "json"], Query(description="csv or json")] = "csv",
    actor: ActorQ = None,
    action: ActionQ = None,
    target: TargetQ = None,
    outcome: OutcomeQ = None,
    since: SinceQ = None,
    until: UntilQ = None,
) -> StreamingResponse:
    filters = audit.filters_from(
        settings, actor=actor, action=action, target=target, outcome=outcome, since=since, until=until
    )
    audit.record(driver, settings, reader, "audit.export", target=None, outcome="ok")
    chunks: Iterator[str] = audit.export(driver, settings, format, filters)
    return StreamingResponse(
        chunks,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="audit.{format}"'},
    )
