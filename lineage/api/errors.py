"""The one place where errors become HTTP answers: ``{"error": <code>, "reason": <why>}``.

The service code raises lineage's own errors; :data:`ERROR_STATUS` maps them to status codes.
FastAPI's own validation errors (a bad query parameter) are answered like a :class:`QueryError`,
400 ``bad_query``, instead of its default 422 whose body echoes the value sent. Reasons never
carry a value from the request: each raiser words its reason that way, and validation errors
keep only the field and pydantic's message.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from neo4j.exceptions import DriverError
from pydantic import BaseModel

from lineage.api.access import field_problems
from lineage.errors import (
    AckRefused,
    AuditUnavailable,
    CatalogError,
    ConfigError,
    ForbiddenError,
    LineageError,
    NotFoundError,
    NotSignedInError,
    PayloadNotJsonError,
    PayloadTooLargeError,
    PublishError,
    QueryError,
    SignatureError,
    SnsMessageError,
    SourceNotConfiguredError,
    TooManyAttemptsError,
    UnknownSourceError,
)

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    error: str
    reason: str


# The first matching class wins, so subclasses come before their bases.
ERROR_STATUS: tuple[tuple[type[LineageError], int, str], ...] = (
    (UnknownSourceError, 404, "unknown_source"),
    (NotFoundError, 404, "not_found"),
    (SignatureError, 401, "unauthorized"),
    (NotSignedInError, 401, "unauthorized"),
    (ForbiddenError, 403, "forbidden"),
    (TooManyAttemptsError, 429, "too_many_attempts"),
    (AckRefused, 401, "unauthorized"),
    (QueryError, 400, "bad_query"),
    (PayloadTooLargeError, 413, "payload_too_large"),
    (PayloadNotJsonError, 400, "invalid_json"),
    (SnsMessageError, 400, "unsupported_sns_message"),
    (SourceNotConfiguredError, 503, "source_not_configured"),
    (PublishError, 503, "kafka_unavailable"),
    (AuditUnavailable, 503, "audit_unavailable"),
    (CatalogError, 503, "catalog_invalid"),
    (ConfigError, 503, "not_configured"),
)

# Declared on routes for the OpenAPI page, in the shape FastAPI's ``responses=`` takes.
Responses = dict[int | str, dict[str, Any]]
ERROR_RESPONSES: Responses = {status: {"model": ErrorBody} for status in (400, 401, 403, 404, 413, 429, 503)}


def status_of(exc: LineageError) -> tuple[int, str]:
    """The HTTP status and error code of a lineage error; 500 for one nobody mapped (a bug)."""
    return next(((s, e) for kind, s, e in ERROR_STATUS if isinstance(exc, kind)), (500, "internal_error"))


def error_response(status: int, error: str, reason: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="lineage"'} if status == 401 else None
    return JSONResponse(ErrorBody(error=error, reason=reason).model_dump(), status, headers)


async def _lineage_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LineageError)
    status, error = status_of(exc)
    response = error_response(status, error, str(exc))
    if isinstance(exc, TooManyAttemptsError):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


async def _invalid_parameter(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, "bad_query", field_problems(exc.errors()))


async def _graph_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("Neo4j did not answer a query: %s", type(exc).__name__)
    return error_response(503, "graph_unavailable", type(exc).__name__)


def install_error_handlers(api: FastAPI) -> None:
    """Every error path of the app answers through :func:`error_response`."""
    api.add_exception_handler(LineageError, _lineage_error)
    api.add_exception_handler(RequestValidationError, _invalid_parameter)
    api.add_exception_handler(DriverError, _graph_unavailable)
