"""JSON payloads as lineage parses them, alike at the HTTP receiver and in the worker.

Both refuse the same bodies for the same reasons, and neither reason quotes the payload: it may
carry personal data, and reasons are logged, answered and kept in dead letters.
"""

from __future__ import annotations

import json
from typing import Any


def parse_json(raw: bytes) -> Any:
    """One JSON document, or :class:`ValueError` with a reason that quotes nothing of it.

    Beyond syntax, Python's parser gives up on nesting deeper than the recursion limit and on
    integers longer than 4,300 digits; both are refused here like any other bad JSON.
    """
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise ValueError("not JSON: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ValueError("not JSON this service accepts: nested too deeply") from None
    except ValueError:
        raise ValueError("not JSON this service accepts: a number is too long") from None
