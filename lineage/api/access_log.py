"""uvicorn's access log without query strings.

No endpoint takes anything personal in its URL, but a sender can append what it likes (a
misconfigured webhook URL ``...?email=...``), and uvicorn logs the path with its query string.
This filter drops everything from the ``?`` on, so the access log of ``lineage serve`` holds the
client, the method, the path and the status, never a query string. It is installed while the
app runs (the lifespan), after uvicorn has configured its loggers.

uvicorn passes the request line as arguments (its ``AccessFormatter`` unpacks them); a record
whose arguments were already merged into the message (a record factory that formats early) is
cut in its message instead.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
_QUERY = re.compile(r"\?[^\s\"]*")


class DropQueryStrings(logging.Filter):
    """Cuts the query string off the request line of every access-log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_without_query(arg) for arg in record.args)
        elif isinstance(record.msg, str):
            record.msg = _QUERY.sub("", record.msg)
        return True


def _without_query(arg: object) -> object:
    return arg.partition("?")[0] if isinstance(arg, str) else arg


def install() -> DropQueryStrings:
    """Adds the filter to uvicorn's access logger; returns it so :func:`remove` can take it off."""
    dropper = DropQueryStrings()
    logging.getLogger(ACCESS_LOGGER).addFilter(dropper)
    return dropper


def remove(dropper: DropQueryStrings) -> None:
    logging.getLogger(ACCESS_LOGGER).removeFilter(dropper)
