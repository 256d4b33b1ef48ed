"""Who may ask the query endpoints, and what they may send, checked in that order.

The token comes first. FastAPI reads and parses a declared body parameter *before* it runs any
dependency, so an endpoint with ``body: Model`` would buffer a body of any size, and answer 422
for malformed JSON, to a caller with no token at all. No query endpoint declares one: bodies
come through :func:`json_body`, a dependency that depends on :data:`Authorised`, so the body is
read only once the token is good, incrementally and bounded by ``LINEAGE_API_MAX_BODY_BYTES``
(413 past it), and parsed like a webhook (400 ``invalid_json``, never 422 or 500).

Reasons name the field and the problem, never the value sent. The answers layer quotes values
back (right for the CLI, where people see their own typing); here parameters are checked first
with the same parsers (:func:`checked`) and a value-free reason, and not-found answers are
reworded (:func:`not_found_as`). Identifiers travel in bodies only, never in a URL, so access
logs cannot hold them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from neo4j import Driver
from pydantic import AfterValidator, BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from lineage.api.bodies import parse_body, read_body
from lineage.api.signatures import verify_shared_secret
from lineage.errors import NotFoundError, QueriesNotConfiguredError, QueryError, validation_problems
from lineage.settings import Settings

Model = TypeVar("Model", bound=BaseModel)

# The request part FastAPI puts first in an error's location; the field follows it.
_REQUEST_PARTS = frozenset({"body", "query", "path", "header", "cookie"})
_MAX_PROBLEMS = 5


# Both dependencies are ``async`` although they never wait: FastAPI runs a plain ``def``
# dependency in its thread pool, and two thread hops cost a person lookup more than its read.
async def _authorised(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    token = settings.api.query_token
    if token is None or not token.get_secret_value():
        raise QueriesNotConfiguredError("query endpoints are off until LINEAGE_API_QUERY_TOKEN is set")
    verify_shared_secret(
        token.get_secret_value().encode(), authorization=request.headers.get("authorization")
    )
    return settings


async def _driver(request: Request) -> Driver:
    return request.app.state.graph_driver


Authorised = Annotated[Settings, Depends(_authorised)]
GraphDriver = Annotated[Driver, Depends(_driver)]


def field_problems(errors: Iterable[Any]) -> str:
    """Pydantic's errors as ``field: problem``; its ``input`` (what was sent) is left out."""
    problems = validation_problems(errors, name_unknown_fields=False, skip_first=_REQUEST_PARTS, empty="body")
    shown = "; ".join(problems[:_MAX_PROBLEMS])
    return shown + (f"; and {len(problems) - _MAX_PROBLEMS} more" if len(problems) > _MAX_PROBLEMS else "")


def json_body(model: type[Model], *, optional: bool = False) -> Any:
    """A dependency giving the body as ``model``, read only after the token is checked.

    Args:
        model: the pydantic model of the body.
        optional: an empty body stands for ``{}`` (every field has a default).
    """

    async def body(request: Request, settings: Authorised) -> Model:
        raw = await read_body(request, settings.api.max_body_bytes)
        document = {} if optional and not raw.strip() else parse_body(raw)
        try:
            return model.model_validate(document)
        except ValidationError as exc:
            raise QueryError(field_problems(exc.errors(include_input=False))) from None

    return Depends(body)


def body_openapi(model: type[BaseModel], *, optional: bool = False) -> dict[str, Any]:
    """The request body for the OpenAPI page, which cannot see a body read by a dependency."""
    schema = {"content": {"application/json": {"schema": model.model_json_schema()}}}
    return {"requestBody": {"required": not optional, **schema}}


def checked(parse: Callable[[str], object], problem: str) -> AfterValidator:
    """Validates a value with the answers layer's own parser, refusing it without quoting it."""

    def check(value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parse(value)
        except (QueryError, ValueError):
            raise PydanticCustomError("bad_value", problem) from None
        return value

    return AfterValidator(check)


@contextlib.contextmanager
def not_found_as(reason: str) -> Iterator[None]:
    """Rewords a :class:`NotFoundError` of the answers layer, which names the id asked for."""
    try:
        yield
    except NotFoundError:
        raise NotFoundError(reason) from None
