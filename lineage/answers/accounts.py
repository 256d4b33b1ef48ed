"""Accounts, API clients and sessions: who may sign in, with which role, until when.

Shared by the CLI (``lineage users``, ``lineage clients``, ``lineage sessions``), the admin API
and the workspace. Passwords are hashed with Argon2id (memory-hard: a stolen copy of the graph
costs an attacker memory per guess, not just time); tokens are 256 random bits, so a plain
SHA-256 of them is enough and lets a request find its client by an indexed lookup. Neither a
password nor a token is ever stored, logged or shown again after it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from neo4j import Driver
from pydantic import Field

from graph import accounts as graph
from graph.schema import apply_schema
from lineage.answers.answer import Answer
from lineage.domain.access import Actor, ActorKind, Role, parse_role
from lineage.errors import NotFoundError, QueryError
from lineage.settings import Settings

TOKEN_PREFIX = "lin_"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
_NAME_MAX = 100
ENVIRONMENT_TOKEN_NAME = "environment"

_hasher = PasswordHasher()
# Verified against when the account does not exist, so a wrong name costs what a wrong password
# costs and the answer's timing does not tell which names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Account(Answer):
    name: str = Field(description="the name people sign in with")
    role: str = Field(description="viewer, dpo or admin")
    source: str = Field(description="local (password) or sso (single sign-on)")
    disabled: bool = Field(description="a disabled account cannot sign in")
    created_at: datetime | None = Field(None, description="when it was made")
    changed_at: datetime | None = Field(None, description="when its role or password last changed")


class ApiClient(Answer):
    name: str = Field(description="what the program is, as its owner named it")
    role: str = Field(description="viewer, dpo or admin")
    status: str = Field(description="active, expired or revoked")
    created_at: datetime | None = Field(None, description="when its token was made")
    expires_at: datetime | None = Field(None, description="when its token stops working (none: never)")
    revoked_at: datetime | None = Field(None, description="when it was revoked")


class IssuedToken(Answer):
    name: str = Field(description="the client")
    role: str = Field(description="its role")
    token: str = Field(description="the bearer token: shown this once, stored only as a hash")
    expires_at: datetime | None = Field(None, description="when it stops working")


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: who, the CSRF token its forms carry, and when it ends (epoch s)."""

    actor: Actor
    csrf: str
    expires: int


def checked_name(name: str, what: str = "name") -> str:
    """A user or client name: printable, no spaces at the ends, bounded."""
    name = name.strip()
    if not name or len(name) > _NAME_MAX or not name.isprintable():
        raise QueryError(f"{what}: must be 1 to {_NAME_MAX} printable characters")
    return name


def hash_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise QueryError(f"password: must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _db(settings: Settings) -> str:
    return settings.neo4j.database


def add_user(driver: Driver, settings: Settings, name: str, role: str, password: str | None) -> Account:
    """Creates a local account, or changes an existing one's role (and password when given).

    A role change ends the account's sessions: whoever is signed in signs in again and gets the
    new role, instead of keeping the old one until their session runs out.
    """
    name, new_role = checked_name(name), _role(role)
    password_hash = hash_password(password) if password is not None else None
    apply_schema(driver, _db(settings))
    before = graph.account(driver, _db(settings), name)
    if before is None and password_hash is None:
        raise QueryError("password: a new local account needs one")
    if before is not None and before.get("source") == "sso" and password_hash is not None:
        raise QueryError("password: this account signs in through single sign-on")
    graph.save_account(driver, _db(settings), name, new_role.value, "local", password_hash)
    if before is not None and (before["role"] != new_role.value or password_hash is not None):
        graph.end_sessions_of(driver, _db(settings), name, "account")
    return user(driver, settings, name)


def sso_user(driver: Driver, settings: Settings, name: str, role: Role) -> Account:
    """Records an account known through single sign-on with the role its provider gave it now;
    a changed role ends its other sessions, as a change made here does."""
    name = checked_name(name)
    apply_schema(driver, _db(settings))
    before = graph.account(driver, _db(settings), name)
    if before is not None and before.get("disabled"):
        raise QueryError("this account is disabled in lineage")
    if before is not None and (before.get("source") or "local") != "sso":
        # The provider's role must not become a local password's role, nor the other way round.
        raise QueryError("a local account has this name")
    graph.save_account(driver, _db(settings), name, role.value, "sso", None)
    if before is not None and before["role"] != role.value:
        graph.end_sessions_of(driver, _db(settings), name, "account")
    return user(driver, settings, name)


def user(driver: Driver, settings: Settings, name: str) -> Account:
    row = graph.account(driver, _db(settings), name)
    if row is None:
        raise NotFoundError("no account has that name")
    return Account.model_validate(_account_fields(row))


def users(driver: Driver, settings: Settings) -> list[Account]:
    return [Account.model_validate(_account_fields(row)) for row in graph.accounts(driver, _db(settings))]


def disable_user(driver: Driver, settings: Settings, name: str) -> Account:
    if not graph.disable_account(driver, _db(settings), name):
        raise NotFoundError("no account has that name")
    graph.end_sessions_of(driver, _db(settings), name, "account")
    return user(driver, settings, name)


def _account_fields(row: dict[str, object]) -> dict[str, object]:
    fields = {k: row.get(k) for k in Account.model_fields}
    fields["disabled"] = bool(row.get("disabled"))
    fields["source"] = row.get("source") or "local"
    return fields


def signed_in(driver: Driver, settings: Settings, name: str, password: str) -> Actor | None:
    """The account's actor when the password is right and the account is enabled, else None.

    A wrong name, a wrong password, a disabled account and an account of single sign-on all
    answer None after the same Argon2 work, so the answer does not say which it was.
    """
    row = graph.account(driver, _db(settings), name.strip()) if 0 < len(name) <= _NAME_MAX else None
    stored = str(row.get("password_hash") or _DUMMY_HASH) if row else _DUMMY_HASH
    try:
        _hasher.verify(stored, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.get("disabled") or stored is _DUMMY_HASH:
        return None
    if _hasher.check_needs_rehash(stored):
        graph.save_account(driver, _db(settings), row["name"], row["role"], "local", _hasher.hash(password))
    return Actor(name=row["name"], role=Role(row["role"]), kind="account")


def add_client(
    driver: Driver, settings: Settings, name: str, role: str, expires_days: float | None = None
) -> IssuedToken:
    """A new API client with a fresh token, shown once in the answer."""
    name, client_role = checked_name(name, "client"), _role(role)
    if any(c.name == name for c in clients(driver, settings)):
        raise QueryError("client: that name is taken (revoke it, then pick another name)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
    apply_schema(driver, _db(settings))
    graph.save_client(driver, _db(settings), name, client_role.value, token_hash(token), expires_at)
    return IssuedToken(name=name, role=client_role.value, token=token, expires_at=expires_at)


def expiry_days(text: str) -> float:
    """Days until a token expires, as typed in a form: 1 to 3650."""
    try:
        days = float(text)
    except ValueError:
        raise QueryError("expires_days: a number of days") from None
    if not 0 < days <= 3650:
        raise QueryError("expires_days: 1 to 3650")
    return days


def clients(driver: Driver, settings: Settings) -> list[ApiClient]:
    return [ApiClient(**row) for row in graph.clients(driver, _db(settings))]


def revoke_client(driver: Driver, settings: Settings, name: str) -> ApiClient:
    if not graph.revoke_client(driver, _db(settings), name):
        raise NotFoundError("no active client has that name")
    return next(c for c in clients(driver, settings) if c.name == name)


def client_for_token(driver: Driver, settings: Settings, token: str) -> Actor | None:
    """The actor a bearer token stands for: an active API client, or the environment's service
    token; None for anything else."""
    configured = settings.api.query_token
    if (
        configured is not None
        and configured.get_secret_value()
        and hmac.compare_digest(configured.get_secret_value().encode(), token.encode())
    ):
        return Actor(ENVIRONMENT_TOKEN_NAME, Role(settings.api.query_token_role), "service")
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = graph.client_by_token(driver, _db(settings), token_hash(token))
    return Actor(row["name"], Role(row["role"]), "client") if row else None


def start_session(driver: Driver, settings: Settings, actor: Actor) -> tuple[str, WebSession]:
    """A new server-side session for a signed-in actor: the cookie's value, and the session."""
    if actor.role is None:
        raise QueryError("only an account with a role can sign in")
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    expires_at = datetime.now(UTC) + timedelta(hours=settings.api.session_hours)
    graph.start_session(
        driver,
        _db(settings),
        session_id=token_hash(cookie),
        actor=actor.name,
        kind=actor.kind,
        role=actor.role.value,
        csrf=csrf,
        expires_at=expires_at,
    )
    return cookie, WebSession(actor, csrf, int(expires_at.timestamp()))


def session_for(driver: Driver, settings: Settings, cookie: str, address: str | None) -> WebSession | None:
    row = graph.session(driver, _db(settings), token_hash(cookie))
    if row is None:
        return None
    actor = Actor(
        row["actor"], Role(row["role"]), row["kind"], address=address, session=token_hash(cookie)[:12]
    )
    return WebSession(actor, row["csrf"], int(row["expires"]))


def end_session(driver: Driver, settings: Settings, cookie: str) -> None:
    graph.end_session(driver, _db(settings), token_hash(cookie))


def end_sessions(driver: Driver, settings: Settings, name: str, kind: ActorKind = "account") -> int:
    """Signs an account out everywhere; the number of sessions ended."""
    graph.end_expired_sessions(driver, _db(settings))
    return graph.end_sessions_of(driver, _db(settings), name, kind)


def _role(value: str) -> Role:
    try:
        return parse_role(value)
    except ValueError as exc:
        raise QueryError(f"role: {exc}") from None
