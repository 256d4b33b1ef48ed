"""Turning what a user types (an e-mail, ``system:id``) into the key the graph knows."""

from __future__ import annotations

from lineage.answers.transfers import QueryError
from lineage.domain.subjects import SubjectHasher, identifier_key
from lineage.settings import Settings


def subject_key(settings: Settings, identifier: str) -> str:
    """The identifier hashed as the adapters did; the raw value goes no further than this."""
    try:
        return identifier_key(SubjectHasher(settings.require_subject_key()), identifier)
    except ValueError as exc:
        raise QueryError(str(exc)) from exc
