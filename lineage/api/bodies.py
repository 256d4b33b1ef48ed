"""Request bodies, read and parsed the same way by the webhooks and the query endpoints.

A body is read incrementally and refused the moment it passes ``LINEAGE_API_MAX_BODY_BYTES``, so
no request can make the server buffer more than that. It is parsed as the worker parses it,
with :func:`lineage.payloads.parse_json`, which turns every way Python's parser gives up (bad
syntax, nesting past the recursion limit, integers past 4,300 digits) into a :class:`ValueError`
whose reason quotes nothing of the body: a body that cannot be parsed is a 400, never a 500,
and its reason never echoes what the sender wrote.
"""

from __future__ import annotations

import math
import zlib
from typing import Annotated, Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field

from lineage.domain.requests import MAX_TEXT
from lineage.errors import PayloadNotJsonError, PayloadTooLargeError
from lineage.payloads import parse_json

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class Bounded(BaseModel):
    """A query body: a field it does not know is refused, not ignored, so a misspelt option
    cannot silently fall back to its default."""

    model_config = ConfigDict(extra="forbid")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes ``limit``: never buffers more than that.

    A declared ``Content-Length`` over the limit is refused before a byte is read; a chunked or
    lying body is counted as it streams in.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"the body is over the {limit}-byte limit")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLargeError(f"the body is over the {limit}-byte limit")
    return bytes(body)


def gunzipped(body: bytes, encoding: str | None, limit: int) -> bytes:
    """The body inflated when sent ``Content-Encoding: gzip`` (OpenLineage's HTTP transport
    may compress), bounded like the read: a small bomb never inflates past ``limit``."""
    if not encoding or encoding.strip().lower() == "identity":
        return body
    if encoding.strip().lower() != "gzip":
        raise PayloadNotJsonError("the body is in an encoding this service does not read (gzip only)")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(body, limit + 1)
    except zlib.error:
        raise PayloadNotJsonError("the body is not valid gzip") from None
    if len(inflated) > limit or inflater.unconsumed_tail:
        raise PayloadTooLargeError(f"the inflated body is over the {limit}-byte limit")
    return inflated


def parse_body(body: bytes) -> Any:
    """The JSON document, or :class:`PayloadNotJsonError` with a reason that quotes none of it.

    ``NaN``, ``Infinity`` and numbers too large for a float are refused too: they are not JSON
    (RFC 8259), and whatever reads the raw topic after us may choke on them.
    """
    try:
        document = parse_json(body)
    except ValueError as exc:
        raise PayloadNotJsonError(f"the body is {exc}") from None
    if not _all_numbers_finite(document):
        raise PayloadNotJsonError("the body is not JSON: NaN, Infinity or a number out of range")
    return document


def _all_numbers_finite(document: Any) -> bool:
    """Walks with a stack, not recursion: the parser accepts nesting deeper than we may recurse."""
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True
