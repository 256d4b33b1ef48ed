"""The people's rights the worker enforces as events arrive: restrictions, objections and
withdrawn consents, held in memory per identifier key.

The normalise stage judges each batch against this cache (:meth:`RightsWatch.hits`), never
waiting for Neo4j, and hands the hits to the early alert pass, as it does transfer hits. The
cache is read whole when the stage starts and then, every ``LINEAGE_RIGHTS_REFRESH_S``, for what
changed since (``changed_at``); a consent given or withdrawn in the stream changes it at once,
before the graph has it.

The record stage's check (:meth:`RightsWatch.check`) is the authority: after a batch is stored
it reads the states of the people the batch names and judges its events, and the holdings of
those whose consent the batch changed (a withdrawal that arrives after the processing it
forbids). The refresh judges the holdings of the people whose state changed (a restriction
recorded after events later than its start were stored). Every pass raises the same alert ids.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta

from neo4j import AsyncDriver

from graph.rights import batch_rights, changed_rights
from lineage.answers.live_catalog import LiveCatalog
from lineage.domain.consent import basis_for
from lineage.domain.events import DataMovementEvent, LegalBasis
from lineage.domain.rights_alerts import (
    PersonRights,
    RightsHit,
    SubjectRights,
    by_identifier,
    consent_events,
    event_processing,
    rights_hits,
)
from lineage.settings import Settings

log = logging.getLogger(__name__)

REFRESH_OVERLAP_MS = 5_000
"""Each refresh reads again what changed in the last few seconds before the previous read:
``changed_at`` is a transaction's clock, and a transaction that started earlier may commit after
that read. Reading a person twice changes nothing."""


class _ByIdentifier(Mapping[str, SubjectRights]):
    """The cache as the domain reads it: identifier key -> the person's state."""

    def __init__(self, keys: dict[str, str], people: dict[str, SubjectRights]) -> None:
        self._keys, self._people = keys, people

    def __getitem__(self, key: str) -> SubjectRights:
        return self._people[self._keys[key]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


class RightsWatch:
    """One per worker, shared by its stages and its refresh timer (one event loop)."""

    def __init__(self, settings: Settings, live: LiveCatalog) -> None:
        self._database = settings.neo4j.database
        self._live = live
        self._grace = timedelta(seconds=settings.consent_grace_s)
        self._keys: dict[str, str] = {}  # identifier key -> person handle
        self._people: dict[str, SubjectRights] = {}  # person handle -> state
        self._since_ms = 0
        self.loaded = False

    def basis_of(self, store: str, purpose: str | None, stated: LegalBasis | None) -> LegalBasis | None:
        return basis_for(self._live.catalog, store, purpose, stated)

    def hits(self, events: Sequence[DataMovementEvent]) -> list[RightsHit]:
        """The batch's hits against the cache, after folding in its own consent events."""
        for event in consent_events(events):
            keys = (event.subject.key, *event.subject.links)
            handle = next((self._keys[k] for k in keys if k in self._keys), f"~{min(keys)}")
            if handle not in self._people and event.action == "consent_given":
                continue  # only a withdrawal (or a limit) is worth holding a person for
            self._put(handle, keys, self._people.get(handle, SubjectRights(None)).with_consent(event))
        if not self._people:
            return []
        view = _ByIdentifier(self._keys, self._people)
        return rights_hits(event_processing(events, self.basis_of), view, self._grace)

    async def refresh(self, driver: AsyncDriver) -> list[RightsHit]:
        """Reads what changed since the last read (everything, the first time); returns the hits
        of the holdings of the people whose state changed."""
        people, read_at = await changed_rights(driver, self._database, self._since_ms)
        people = [person for person in people if self._learn(person)]
        if read_at is not None:
            self._since_ms = max(self._since_ms, read_at - REFRESH_OVERLAP_MS)
        if not self.loaded:
            log.info("rights of %d people with a restriction, objection or withdrawal read", len(people))
        self.loaded = True
        held = [p for person in people for p in person.processing(self.basis_of)]
        return rights_hits(held, by_identifier(people), self._grace)

    async def check(self, driver: AsyncDriver, events: Sequence[DataMovementEvent]) -> list[RightsHit]:
        """The record stage's authoritative pass over a stored batch (one read)."""
        processing = event_processing(events, self.basis_of)
        consented = {k for e in consent_events(events) for k in (e.subject.key, *e.subject.links)}
        keys = sorted({k for p in processing for k in p.keys} | consented)
        people = await batch_rights(driver, self._database, keys)
        if not people:
            return []
        for person in people:
            if consented.intersection(person.identifiers):
                processing += person.processing(self.basis_of)
        return rights_hits(processing, by_identifier(people), self._grace)

    def _learn(self, person: PersonRights) -> bool:
        """The graph's word on a person replaces what the cache had for any of their keys.
        Returns whether it changed anything: a person read again (the refreshes overlap) has
        had their holdings judged already."""
        handle = str(person.state.subject)
        if self._people.get(handle) == person.state and all(
            self._keys.get(key) == handle for key in person.identifiers
        ):
            return False
        for key in person.identifiers:
            old = self._keys.get(key)
            if old is not None and old != handle:
                self._people.pop(old, None)
        self._put(handle, person.identifiers, person.state)
        return True

    def _put(self, handle: str, keys: Sequence[str], state: SubjectRights) -> None:
        self._people[handle] = state
        for key in keys:
            self._keys[key] = handle
