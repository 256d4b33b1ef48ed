"""``lineage users``, ``lineage clients`` and ``lineage sessions``: who may sign in, and with which role.

Run at the server's command line (with the graph's credentials), so they need no account of
their own: the audit trail records them as ``cli:<the system user>``. A password is read from a
prompt (never an argument, which the shell's history and ``ps`` would keep); a client's token is
printed once and is never shown again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from neo4j import Driver

from lineage import render
from lineage.answers import accounts, audit
from lineage.answers.connection import open_driver
from lineage.settings import Settings

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
RoleOption = Annotated[str, typer.Option(help="viewer, dpo or admin")]
users_app = typer.Typer(no_args_is_help=True, help="Workspace accounts: local passwords, roles.")
clients_app = typer.Typer(no_args_is_help=True, help="API clients: scoped bearer tokens.")
sessions_app = typer.Typer(no_args_is_help=True, help="Signed-in workspace sessions.")

USER_COLUMNS = ("name", "role", "source", "disabled", "created_at", "changed_at")
CLIENT_COLUMNS = ("name", "role", "status", "created_at", "expires_at", "revoked_at")


@contextmanager
def _recorded(action: str, target: str) -> Iterator[tuple[Driver, Settings]]:
    settings = Settings()
    with open_driver(settings) as driver, audit.audited(driver, settings, audit.cli_actor(), action, target):
        yield driver, settings


def _read(listing: Callable[[Driver, Settings], list[Any]]) -> list[Any]:
    settings = Settings()
    with open_driver(settings) as driver:
        return listing(driver, settings)


@users_app.command("add")
def users_add(
    name: str,
    role: RoleOption,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (scripts).")
    ] = False,
    keep_password: Annotated[
        bool, typer.Option("--keep-password", help="Change the role of an existing account only.")
    ] = False,
) -> None:
    """Add a local account, or change an existing one's role or password (its sessions end)."""
    password = None if keep_password else _password(password_stdin)
    with _recorded("user.save", name) as (driver, settings):
        saved = accounts.add_user(driver, settings, name, role, password)
    render.console.print(f"account {saved.name}: {saved.role}")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return typer.get_text_stream("stdin").readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("list")
def users_list(as_json: JsonOption = False) -> None:
    """Accounts, their roles and where they sign in from (local or single sign-on)."""
    found = _read(accounts.users)
    if as_json:
        print(render.as_json([user.model_dump(mode="json") for user in found]))
    else:
        render.table("Accounts", found, USER_COLUMNS)


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Disable an account: it cannot sign in, and its sessions end now."""
    with _recorded("user.disable", name) as (driver, settings):
        accounts.disable_user(driver, settings, name)
    render.console.print(f"account {name} disabled")


@clients_app.command("add")
def clients_add(
    name: str,
    role: RoleOption,
    expires_days: Annotated[float | None, typer.Option(help="Days until the token stops working.")] = None,
) -> None:
    """Add an API client; its bearer token is printed this once (only a hash is kept)."""
    with _recorded("client.add", name) as (driver, settings):
        issued = accounts.add_client(driver, settings, name, role, expires_days)
    render.console.print(f"client {issued.name} ({issued.role}); its token, shown once:", highlight=False)
    print(issued.token)


@clients_app.command("list")
def clients_list(as_json: JsonOption = False) -> None:
    """API clients, with their roles and whether their tokens still work (never the tokens)."""
    found = _read(accounts.clients)
    if as_json:
        print(render.as_json([client.model_dump(mode="json") for client in found]))
    else:
        render.table("API clients", found, CLIENT_COLUMNS)


@clients_app.command("revoke")
def clients_revoke(name: str) -> None:
    """Revoke a client's token: its next request is refused."""
    with _recorded("client.revoke", name) as (driver, settings):
        accounts.revoke_client(driver, settings, name)
    render.console.print(f"client {name} revoked")


@sessions_app.command("end")
def sessions_end(name: str) -> None:
    """Sign an account out of every browser it is signed in on."""
    with _recorded("session.revoke", name) as (driver, settings):
        ended = accounts.end_sessions(driver, settings, name)
    render.console.print(f"{ended} session(s) of {name} ended")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(clients_app, name="clients")
    app.add_typer(sessions_app, name="sessions")
