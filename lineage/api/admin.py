"""``/admin``: accounts, API clients and sessions, for an ``admin`` (the same as ``lineage users``,
``lineage clients`` and ``lineage sessions`` at the server's command line).

A token is shown once, in the answer that made it; only its hash is kept. A role change and a
disabled account end the account's sessions at once. Every change here is in the audit trail.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from lineage.answers import accounts
from lineage.answers.accounts import Account, ApiClient, IssuedToken
from lineage.answers.audit import audited
from lineage.api.access import Admin, AppSettings, GraphDriver, body_openapi, json_body
from lineage.domain.access import Role

router = APIRouter(prefix="/admin", tags=["admin"])
Name = Annotated[str, Field(min_length=1, max_length=100)]


class UserBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name = Field(description="the name people sign in with")
    role: Role = Field(description="viewer, dpo or admin")
    password: str | None = Field(
        None,
        min_length=accounts.MIN_PASSWORD_LENGTH,
        max_length=accounts.MAX_PASSWORD_LENGTH,
        description="a new local account needs one; omit it to change the role only",
    )


class ClientBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name = Field(description="what the program is (grafana, ticketing)")
    role: Role = Field(description="viewer, dpo or admin")
    expires_days: float | None = Field(None, gt=0, le=3650, description="days until the token stops working")


class SessionsEnded(BaseModel):
    name: str
    ended: int = Field(description="sessions ended")


@router.get("/users", response_model=list[Account], summary="Accounts")
def users(_actor: Admin, settings: AppSettings, driver: GraphDriver) -> list[Account]:
    return accounts.users(driver, settings)


@router.post(
    "/users",
    response_model=Account,
    summary="Add an account, or change its role or password",
    openapi_extra=body_openapi(UserBody),
)
def add_user(
    actor: Admin, settings: AppSettings, driver: GraphDriver, body: Annotated[UserBody, json_body(UserBody)]
) -> Account:
    with audited(driver, settings, actor, "user.save", body.name):
        return accounts.add_user(driver, settings, body.name, body.role.value, body.password)


@router.post(
    "/users/{name}/disable", response_model=Account, summary="Disable an account (and end its sessions)"
)
def disable_user(name: str, actor: Admin, settings: AppSettings, driver: GraphDriver) -> Account:
    with audited(driver, settings, actor, "user.disable", name):
        return accounts.disable_user(driver, settings, name)


@router.post(
    "/users/{name}/sessions/end", response_model=SessionsEnded, summary="Sign an account out everywhere"
)
def end_sessions(name: str, actor: Admin, settings: AppSettings, driver: GraphDriver) -> SessionsEnded:
    with audited(driver, settings, actor, "session.revoke", name):
        return SessionsEnded(name=name, ended=accounts.end_sessions(driver, settings, name))


@router.get("/clients", response_model=list[ApiClient], summary="API clients (never their tokens)")
def clients(_actor: Admin, settings: AppSettings, driver: GraphDriver) -> list[ApiClient]:
    return accounts.clients(driver, settings)


@router.post(
    "/clients",
    status_code=201,
    response_model=IssuedToken,
    summary="Add an API client: its token, shown once",
    openapi_extra=body_openapi(ClientBody),
)
def add_client(
    actor: Admin,
    settings: AppSettings,
    driver: GraphDriver,
    body: Annotated[ClientBody, json_body(ClientBody)],
) -> IssuedToken:
    with audited(driver, settings, actor, "client.add", body.name):
        return accounts.add_client(driver, settings, body.name, body.role.value, body.expires_days)


@router.post("/clients/{name}/revoke", response_model=ApiClient, summary="Revoke an API client's token")
def revoke_client(name: str, actor: Admin, settings: AppSettings, driver: GraphDriver) -> ApiClient:
    with audited(driver, settings, actor, "client.revoke", name):
        return accounts.revoke_client(driver, settings, name)
