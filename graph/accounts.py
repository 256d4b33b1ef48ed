"""Who may sign in: accounts, API clients and workspace sessions, kept in the graph.

``(:Account {name, role, source, password_hash, disabled, created_at, changed_at})``: a person of
the organisation, local (password hashed with Argon2id) or known through single sign-on.
``(:ApiClient {name, role, token_hash, created_at, expires_at, revoked_at})``: a program; only a
hash of its token is kept. ``(:WebSession {id, actor, kind, role, csrf, created_at, expires_at})``:
a signed-in browser; ``id`` is a hash of the cookie's random value, so a copy of the graph opens
no session. Kept in Neo4j, not in a process, so every API replica sees a sign-out at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from neo4j import Driver

from graph.reader import plain, read_records

SAVE_ACCOUNT = """
MERGE (a:Account {name: $name})
ON CREATE SET a.created_at = datetime(), a.source = $source
SET a.role = $role, a.changed_at = datetime(), a.disabled = false,
    a.password_hash = coalesce($password_hash, a.password_hash)
RETURN a.name AS name
"""

ACCOUNT = """
MATCH (a:Account {name: $name})
RETURN a.name AS name, a.role AS role, a.source AS source, a.password_hash AS password_hash,
       a.disabled AS disabled, a.created_at AS created_at, a.changed_at AS changed_at
"""

ACCOUNTS = """
MATCH (a:Account)
RETURN a.name AS name, a.role AS role, a.source AS source, a.disabled AS disabled,
       a.created_at AS created_at, a.changed_at AS changed_at
ORDER BY name
"""

DISABLE_ACCOUNT = """
MATCH (a:Account {name: $name})
SET a.disabled = true, a.changed_at = datetime()
RETURN a.name AS name
"""

SAVE_CLIENT = """
CREATE (c:ApiClient {name: $name, role: $role, token_hash: $token_hash, created_at: datetime(),
                     expires_at: CASE WHEN $expires_at IS NULL THEN null ELSE datetime($expires_at) END})
RETURN c.name AS name
"""

CLIENT_BY_TOKEN = """
MATCH (c:ApiClient {token_hash: $token_hash})
WHERE c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > datetime())
RETURN c.name AS name, c.role AS role
"""

CLIENTS = """
MATCH (c:ApiClient)
RETURN c.name AS name, c.role AS role, c.created_at AS created_at, c.expires_at AS expires_at,
       c.revoked_at AS revoked_at,
       CASE WHEN c.revoked_at IS NOT NULL THEN 'revoked'
            WHEN c.expires_at IS NOT NULL AND c.expires_at <= datetime() THEN 'expired'
            ELSE 'active' END AS status
ORDER BY name
"""

REVOKE_CLIENT = """
MATCH (c:ApiClient {name: $name}) WHERE c.revoked_at IS NULL
SET c.revoked_at = datetime()
RETURN c.name AS name
"""

START_SESSION = """
CREATE (w:WebSession {id: $id, actor: $actor, kind: $kind, role: $role, csrf: $csrf,
                      created_at: datetime(), expires_at: datetime($expires_at)})
"""

SESSION = """
MATCH (w:WebSession {id: $id}) WHERE w.expires_at > datetime()
RETURN w.actor AS actor, w.kind AS kind, w.role AS role, w.csrf AS csrf,
       w.expires_at.epochSeconds AS expires
"""

END_SESSION = """
MATCH (w:WebSession {id: $id})
DELETE w
"""

# A role change or a disabled account ends the account's sessions: the next page asks again.
END_SESSIONS_OF = """
MATCH (w:WebSession {actor: $actor, kind: $kind})
DELETE w
RETURN count(*) AS ended
"""

END_EXPIRED_SESSIONS = """
MATCH (w:WebSession) WHERE w.expires_at <= datetime()
DELETE w
RETURN count(*) AS ended
"""


def _write(driver: Driver, database: str, statement: str, **params: Any) -> list[dict[str, Any]]:
    """On the cluster's leader: writes, and the reads that must see the latest write."""
    records, _, _ = driver.execute_query(statement, params, database_=database)
    return [plain(record.data()) for record in records]


def _read(driver: Driver, database: str, statement: str, **params: Any) -> list[dict[str, Any]]:
    return [plain(record.data()) for record in read_records(driver, database, statement, params)]


def save_account(
    driver: Driver, database: str, name: str, role: str, source: str, password_hash: str | None
) -> None:
    """Creates or updates an account; a ``None`` hash keeps the one it has (a role change)."""
    _write(driver, database, SAVE_ACCOUNT, name=name, role=role, source=source, password_hash=password_hash)


def account(driver: Driver, database: str, name: str) -> dict[str, Any] | None:
    rows = _read(driver, database, ACCOUNT, name=name)
    return rows[0] if rows else None


def accounts(driver: Driver, database: str) -> list[dict[str, Any]]:
    return _read(driver, database, ACCOUNTS)


def disable_account(driver: Driver, database: str, name: str) -> bool:
    return bool(_write(driver, database, DISABLE_ACCOUNT, name=name))


def save_client(
    driver: Driver, database: str, name: str, role: str, token_hash: str, expires_at: datetime | None
) -> None:
    _write(
        driver,
        database,
        SAVE_CLIENT,
        name=name,
        role=role,
        token_hash=token_hash,
        expires_at=expires_at.isoformat() if expires_at else None,
    )


def client_by_token(driver: Driver, database: str, token_hash: str) -> dict[str, Any] | None:
    rows = _write(
        driver, database, CLIENT_BY_TOKEN, token_hash=token_hash
    )  # the leader: a revoke is seen at once
    return rows[0] if rows else None


def clients(driver: Driver, database: str) -> list[dict[str, Any]]:
    return _read(driver, database, CLIENTS)


def revoke_client(driver: Driver, database: str, name: str) -> bool:
    return bool(_write(driver, database, REVOKE_CLIENT, name=name))


def start_session(
    driver: Driver,
    database: str,
    *,
    session_id: str,
    actor: str,
    kind: str,
    role: str,
    csrf: str,
    expires_at: datetime,
) -> None:
    _write(
        driver,
        database,
        START_SESSION,
        id=session_id,
        actor=actor,
        kind=kind,
        role=role,
        csrf=csrf,
        expires_at=expires_at.isoformat(),
    )


def session(driver: Driver, database: str, session_id: str) -> dict[str, Any] | None:
    rows = _write(driver, database, SESSION, id=session_id)  # the leader: a sign-out is seen at once
    return rows[0] if rows else None


def end_session(driver: Driver, database: str, session_id: str) -> None:
    _write(driver, database, END_SESSION, id=session_id)


def end_sessions_of(driver: Driver, database: str, actor: str, kind: str) -> int:
    return int(_write(driver, database, END_SESSIONS_OF, actor=actor, kind=kind)[0]["ended"])


def end_expired_sessions(driver: Driver, database: str) -> int:
    return int(_write(driver, database, END_EXPIRED_SESSIONS)[0]["ended"])
