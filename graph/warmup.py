"""Rehearsing a stage's statements before its first batch, in a transaction rolled back.

A statement's first run on a server pays for its plan (and, on a Neo4j just started, for loading
and compiling the Cypher front end itself): hundreds of milliseconds to seconds, on a machine
whose cores the stages share with Neo4j. Paid by the first batch, that time lands in front of
the first alerts. Paid at start, in a transaction that is rolled back, it costs nothing a user
waits for and leaves nothing in the graph; the plans stay in Neo4j's cache, the connection in
the driver's pool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction

from graph.writer import PreparedBatch, write_batch

Work = Callable[[AsyncManagedTransaction], Awaitable[Any]]


async def rehearse(driver: AsyncDriver, database: str, work: Work) -> None:
    """Run ``work`` (a transaction function, as ``execute_write`` takes) and roll it back."""
    async with driver.session(database=database) as session:
        tx = await session.begin_transaction()
        try:
            # An explicit transaction runs statements as a managed one does; only the
            # commit differs, and it never comes.
            await work(tx)  # type: ignore[arg-type]
        finally:
            await tx.rollback()


async def rehearse_batch(driver: AsyncDriver, database: str, batch: PreparedBatch) -> None:
    """The record stage's write of ``batch`` (``GraphWriter.write_prepared``), rolled back."""
    await rehearse(driver, database, lambda tx: write_batch(tx, batch))
