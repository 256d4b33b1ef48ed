"""Every error lineage raises on purpose derives from :class:`LineageError`, and is declared here.

The CLI turns these into one clear line and a non-zero exit instead of a stack trace; anything
else escaping is a bug. :func:`validation_problems` words pydantic's refusals the same way
wherever they are reported, without the value sent.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any


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


class QueryError(LineageError):
    """A question that cannot be answered as asked (bad country code, no filter)."""


class ExtensionRefused(LineageError):
    """An extension Art. 12(3) does not allow (too long, too late, no reason, already answered)."""


class NoticeFailed(LineageError):
    """A notice to a processor could not be delivered; the reason is safe to keep and show."""


class ExportError(LineageError):
    """An export would not load where it is going (a Fides reference it cannot resolve, a key clash)."""


class AckRefused(LineageError):
    """A processor's acknowledgement token is missing or is not the task's (answered 401)."""


# The HTTP service's own; lineage/api/errors.py maps each to a status code.


class SignatureError(LineageError):
    """A webhook's signature or shared secret is missing, malformed, stale or wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SourceNotConfiguredError(ConfigError):
    """The source is known but its secret is not set: refuse rather than accept unsigned traffic."""


class AuditUnavailable(LineageError):
    """An action could not be recorded in the audit trail, so it is not done (fail closed)."""


class AuditTampered(LineageError):
    """The audit trail does not verify; the reason names the first seq that does not fit."""


class PayloadTooLargeError(LineageError):
    """The body is over ``LINEAGE_API_MAX_BODY_BYTES``, or larger than Kafka takes."""


class PayloadNotJsonError(LineageError):
    """The body is not one UTF-8 JSON document this service accepts."""


class SnsMessageError(LineageError):
    """An ``x-amz-sns-message-type`` this endpoint does not know."""


class NotSignedInError(LineageError):
    """No credential, or one that stands for nobody (answered 401)."""


class ForbiddenError(LineageError):
    """The actor's role does not carry the permission the action needs (answered 403)."""


class TooManyAttemptsError(LineageError):
    """Too many failed sign-ins or refused tokens from one address or for one account (429)."""

    def __init__(self, reason: str, retry_after_s: int) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class FormRefusedError(LineageError):
    """A workspace form posted without the session's CSRF token: answered 403, nothing done."""


class PublishError(LineageError):
    """Kafka did not acknowledge the payload in time; the source must retry."""


def validation_problems(
    errors: Iterable[Mapping[str, Any]],
    *,
    name_unknown_fields: bool = True,
    skip_first: Collection[str] = (),
    empty: str = "<root>",
) -> list[str]:
    """pydantic's errors as ``field: problem``, one wording for adapters, the catalog and the API.

    The value sent is never quoted (it may be personal data): pydantic's messages that quote it
    (a discriminator tag) are reworded, and ``input`` is never read.

    Args:
        errors: ``ValidationError.errors()`` (or FastAPI's ``RequestValidationError.errors()``).
        name_unknown_fields: False where a field's name is the sender's text (a payload, a
            request body): an unknown one is then named by its place only.
        skip_first: location parts to drop when they come first (FastAPI's ``body``, ``query``).
        empty: what to call the document itself.
    """
    return [f"{_place(e, name_unknown_fields, skip_first) or empty}: {_message(e)}" for e in errors]


def _place(error: Mapping[str, Any], name_unknown: bool, skip_first: Collection[str]) -> str:
    parts = [str(part) for part in error["loc"]]
    if parts and parts[0] in skip_first:
        parts = parts[1:] or parts
    if error["type"] == "extra_forbidden" and parts and not name_unknown:
        parts[-1] = "<unknown field>"
    return ".".join(parts)


def _message(error: Mapping[str, Any]) -> str:
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):  # these quote the tag sent
        tag = str(error.get("ctx", {}).get("discriminator", "tag")).strip("'")
        return f"unknown {tag}" if error["type"] == "union_tag_invalid" else f"{tag} is missing"
    return str(error["msg"])
