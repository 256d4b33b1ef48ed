"""``/docs``: the OpenAPI document browsable in Swagger UI, from files shipped in the package.

Swagger UI 5.35.0 (Apache-2.0) is vendored with its licence in ``lineage/api/static/swagger-ui/``
(taken with ``npm pack swagger-ui-dist@5.35.0``), so the page loads nothing from another origin:
no CDN sees who reads lineage's API, and the page works with no internet access. The page is off
unless ``LINEAGE_API_DOCS`` is set (``/openapi.json`` itself is always served); ReDoc is not
served.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

STATIC = Path(__file__).parent / "static" / "swagger-ui"
FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "lineage-init.js": "text/javascript",
    "LICENSE": "text/plain",
    "NOTICE": "text/plain",
    "swagger-ui-bundle.js.LICENSE.txt": "text/plain",
}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lineage API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/lineage-init.js"></script>
</body></html>
"""
# Swagger UI sets styles from script and draws its icons as data: images.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs_page() -> HTMLResponse:
    return HTMLResponse(PAGE, headers=HEADERS)


@router.get("/docs/static/{name}")
def docs_static(name: str) -> FileResponse:
    """A fixed list of files: a name outside it is a 404, never a path on disk."""
    if name not in FILES:
        raise HTTPException(404)
    headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return FileResponse(STATIC / name, media_type=FILES[name], headers=headers)
