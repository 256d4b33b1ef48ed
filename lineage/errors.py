"""Every error lineage raises on purpose derives from :class:`LineageError`.

The CLI turns these into one clear line and a non-zero exit instead of a stack trace; anything
else escaping is a bug.
"""


class LineageError(Exception):
    """Root of lineage's own errors."""


class ConfigError(LineageError):
    """A setting is missing or inconsistent."""


class CatalogError(LineageError):
    """The catalog file cannot be read or does not validate."""


class AdapterError(LineageError):
    """A native payload cannot be turned into canonical events.

    Carries ``reason`` so the dead-letter record says why, and ``source`` so it says whose.
    """

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class UnknownSourceError(LineageError, KeyError):
    """No adapter or raw topic exists for the source name given."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


class EventDecodeError(LineageError):
    """A message on the canonical topic is not a valid canonical event."""


class StackError(LineageError):
    """The local Kafka/Neo4j stack cannot be prepared, started or reached."""


class NotFoundError(LineageError):
    """The thing asked for (an alert, an erasure request) does not exist."""
