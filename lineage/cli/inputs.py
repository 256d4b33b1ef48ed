"""Reading native payloads from a file or stdin for ``lineage ingest``."""

from __future__ import annotations

import json
from collections.abc import Iterator


def split_payloads(data: bytes) -> Iterator[bytes]:
    """One JSON document is one payload; otherwise every non-blank line is one (JSON lines).

    Lines are passed on even when they are not JSON: the worker dead-letters them with the
    reason, exactly as it would for a webhook body, so ingesting never silently drops input.
    """
    try:
        json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        yield from (line.strip() for line in data.splitlines() if line.strip())
        return
    yield data.strip()
