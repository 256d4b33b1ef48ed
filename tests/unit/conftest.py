"""Unit tests have no Neo4j: a read never waits out an outage (graph.reader.READ_RETRY_S)."""

from __future__ import annotations

import pytest

from graph import reader


@pytest.fixture(autouse=True)
def no_read_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "READ_RETRY_S", 0.0)
