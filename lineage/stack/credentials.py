"""The credentials a local stack is created with, kept in its state folder.

Kafka stores its SCRAM user when its storage is formatted, and Neo4j's password is set at every
start from the same file, so the file is the stack's own record: written once, mode 0600, before
either server first starts, and read by every :class:`~lineage.settings.StackSettings` for that
folder afterwards. Its values are never printed; ``stack up`` names the file only.
"""

from __future__ import annotations

import os
from pathlib import Path

from lineage.errors import StackError
from lineage.settings import StackSettings, parse_stack_credentials, read_stack_credentials

HEADER = (
    "# Credentials of the lineage local stack in this folder, generated when it was created:\n"
    "# Kafka's SCRAM user and Neo4j's password. lineage reads them from here; keep the file private.\n"
)


def keep_credentials(stack: StackSettings) -> Path:
    """Write the stack's credentials file unless it exists; the file's path.

    A Kafka store formatted without this file (a stack made before its servers required
    credentials, or whose file was deleted) cannot learn them: refused with what to do.
    """
    path = stack.credentials_file
    text = HEADER + "".join(f"{name}={value}\n" for name, value in stack.stack_credentials().items())
    if path.exists():
        if read_stack_credentials(path) != parse_stack_credentials(text):
            raise StackError(f"the credentials in {path} changed after these settings were read; run again")
        return path
    if (stack.home / "kafka" / "data" / "meta.properties").exists():
        raise StackError(
            f"the local Kafka in {stack.home / 'kafka'} was created without credentials (its "
            f"SCRAM user is stored when its storage is made, and {path} is missing). Stop the "
            f"stack (`lineage stack down`) and remove {stack.home / 'kafka'} (its topics; the "
            "graph is kept), then run `lineage stack up` again."
        )
    write_private(path, text)
    return path


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, from the first byte (no window in
    which another user could open it), replacing the file whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    partial.replace(path)
