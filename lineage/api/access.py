"""Who may ask the query endpoints, with which role, and what they may send, checked in that order.

Every route names the permission it needs with :func:`require`; the bearer token it is asked
with stands for an API client (``lineage clients add``) or the environment's service token, each
with a role (:mod:`lineage.domain.access`). What a route changes, and every look at a person, is
recorded in the audit trail under that actor (:func:`audited`).

The token comes first. FastAPI reads and parses a declared body parameter *before* it runs any
dependency, so an endpoint with ``body: Model`` would buffer a body of any size, and answer 422
for malformed JSON, to a caller with no token at all. No query endpoint declares one: bodies
come through :func:`json_body`, a dependency that depends on the bearer token, so the body is
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
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import replace
from typing import Annotated, Any, NoReturn, TypeVar

from fastapi import Depends, Request
from neo4j import Driver
from pydantic import AfterValidator, BaseModel, ValidationError
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool

from lineage.answers import audit
from lineage.answers.accounts import client_for_token
from lineage.api.bodies import parse_body, read_body
from lineage.api.rate_limits import FailedAttempts
from lineage.domain.access import Actor, Permission
from lineage.errors import (
    ForbiddenError,
    NotFoundError,
    NotSignedInError,
    QueryError,
    validation_problems,
)
from lineage.settings import Settings

Model = TypeVar("Model", bound=BaseModel)

# The request part FastAPI puts first in an error's location; the field follows it.
_REQUEST_PARTS = frozenset({"body", "query", "path", "header", "cookie"})
_MAX_PROBLEMS = 5


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (uvicorn's ``--proxy-headers`` behind a proxy)."""
    return request.client.host if request.client else "unknown"


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedInError("a bearer token is required: Authorization: Bearer <token>")
    return token.strip()


async def _authenticated(request: Request) -> Actor:
    """The actor a bearer token stands for, looked up once per request (FastAPI caches it).

    Refused tokens count against the caller's address; past the limit even a good token is 429.
    """
    settings: Settings = request.app.state.settings
    attempts: FailedAttempts = request.app.state.failed_attempts
    address = client_address(request)
    attempts.check(address)
    token = _bearer(request.headers.get("authorization"))
    actor = await run_in_threadpool(client_for_token, request.app.state.graph_driver, settings, token)
    if actor is None:
        attempts.failed(address)
        raise NotSignedInError("the token is unknown, expired or revoked")
    actor = replace(actor, address=address)
    request.state.actor = actor
    return actor


Authenticated = Annotated[Actor, Depends(_authenticated)]


def refuse(request: Request, actor: Actor, permission: Permission) -> NoReturn:
    """Records the refusal in the audit trail as ``denied`` (the route's method and path as the
    action), then refuses: 403."""
    route = request.scope.get("route")
    action = f"{request.method} {getattr(route, 'path', request.url.path)}"
    driver, settings = request.app.state.graph_driver, request.app.state.settings
    audit.record(driver, settings, actor, action, target=None, outcome="denied")
    raise ForbiddenError(f"the {actor.role} role does not carry the {permission} permission")


def _requirement(permission: Permission) -> Callable[..., Awaitable[Actor]]:
    async def permitted(request: Request, actor: Authenticated) -> Actor:
        if not actor.may(permission):
            await run_in_threadpool(refuse, request, actor, permission)
        return actor

    permitted.permission = permission  # type: ignore[attr-defined]
    return permitted


_REQUIREMENTS = {permission: _requirement(permission) for permission in Permission}


def require(permission: Permission) -> Any:
    """The dependency of a route that needs ``permission``: gives the :class:`Actor`, else 401
    (no or a bad token) or 403 (a role without it, recorded in the audit trail as denied)."""
    return Depends(_REQUIREMENTS[permission])


def required_permission(dependant_call: object) -> Permission | None:
    """The permission a dependency stands for, for the test that walks every route."""
    return getattr(dependant_call, "permission", None)


async def _driver(request: Request) -> Driver:
    return request.app.state.graph_driver


GraphDriver = Annotated[Driver, Depends(_driver)]
Viewer = Annotated[Actor, require(Permission.AGGREGATES)]
PeopleReader = Annotated[Actor, require(Permission.PEOPLE)]
Acting = Annotated[Actor, require(Permission.ACT)]
AuditReader = Annotated[Actor, require(Permission.AUDIT)]
Admin = Annotated[Actor, require(Permission.ADMINISTER)]


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


AppSettings = Annotated[Settings, Depends(_settings)]


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

    async def body(request: Request, _actor: Authenticated) -> Model:
        settings: Settings = request.app.state.settings
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
