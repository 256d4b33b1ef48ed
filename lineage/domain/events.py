"""The canonical data-movement event: the one shape every source is normalised to.

Adapters turn native payloads into these; the graph writer consumes only these. The union is
discriminated on ``action`` so an event that claims a transfer cannot lack its destination, and
an erasure cannot be mistaken for a collection. Models are strict, frozen and forbid unknown
fields: a producer that drifts from the schema fails loudly at the boundary, not in the graph.

Version 1 of the schema. A change that old consumers cannot read bumps ``schema_version``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from lineage.domain.categories import check_category, check_data_use
from lineage.domain.personal_data import personal_data_problem
from lineage.domain.subjects import SubjectType
from lineage.errors import EventDecodeError

SCHEMA_VERSION: Literal[1] = 1
MAX_LINKS = 100

# Every event time must fall in this window, whatever the source. Placeholder dates (0001-01-01,
# 9999-12-31), seconds read as milliseconds and the like land outside it; inside it, all retention
# arithmetic (years added, financial years ended) stays within what datetime can represent.
EARLIEST_EVENT_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_EVENT_TIME = datetime(2100, 1, 1, tzinfo=UTC)  # exclusive
EVENT_TIME_WINDOW = "2000-01-01T00:00Z to 2099-12-31T23:59Z"

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.:/\-]{0,199}$")]
SubjectKey = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]


class LegalBasis(StrEnum):
    """GDPR Art. 6(1)(a)-(f)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_INTEREST = "public_interest"
    LEGITIMATE_INTERESTS = "legitimate_interests"


class ActivityKind(StrEnum):
    """What the subject (or a system about the subject) did; retention tells them apart: a click
    or a reply is a contact coming from the person and restarts a last-contact clock, an open or a
    delivery does not (CNIL 2021-131). The lifecycle moments (a contract ended, an account
    closed, a candidate rejected, a last purchase, a session ended) start the clocks that run
    from them; a hire is recorded and starts none."""

    SENT = "sent"
    DELIVERED = "delivered"
    DEFERRED = "deferred"
    OPENED = "opened"
    CLICKED = "clicked"
    REPLIED = "replied"
    BOUNCED = "bounced"
    BLOCKED = "blocked"
    COMPLAINED = "complained"
    FAILED = "failed"
    CONTRACT_ENDED = "contract_ended"
    ACCOUNT_CLOSED = "account_closed"
    REJECTED = "rejected"
    HIRED = "hired"
    LAST_PURCHASE = "last_purchase"
    SESSION_ENDED = "session_ended"


LIFECYCLE_KINDS = frozenset(
    {
        ActivityKind.CONTRACT_ENDED,
        ActivityKind.ACCOUNT_CLOSED,
        ActivityKind.REJECTED,
        ActivityKind.HIRED,
        ActivityKind.LAST_PURCHASE,
        ActivityKind.SESSION_ENDED,
    }
)
"""Activities that record a moment of the person's relationship (it ended, it was decided),
not a use of their data: they write no holding, and no right forbids them."""


class SubjectRef(BaseModel):
    """Who the event is about: keyed hashes of identifiers, never the raw identifiers.

    ``key`` is the identifier the event is keyed by (the e-mail's hash when the source knows it,
    otherwise the native id's hash); ``links`` are other identifiers the same event reveals for
    the same person (a CRM contact id and its e-mail), which the graph joins into one subject.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    type: SubjectType
    key: SubjectKey
    # A person has a handful of identifiers; a bound keeps one event far below Kafka's message
    # size limit, which would otherwise refuse it on every retry and hold up its partition.
    links: tuple[SubjectKey, ...] = Field((), max_length=MAX_LINKS)

    @field_validator("links")
    @classmethod
    def _distinct_links(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _key_not_linked_to_itself(self) -> SubjectRef:
        if self.key in self.links:
            object.__setattr__(self, "links", tuple(k for k in self.links if k != self.key))
        return self


class _EventFields(BaseModel):
    """What every event has; :class:`_EventBase` adds the person it is about."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: Annotated[str, Field(min_length=8, max_length=200)]
    occurred_at: AwareDatetime
    source: Identifier
    native_type: str | None = Field(None, max_length=200, description="The source's own event name.")
    store: Identifier
    categories: tuple[str, ...] = ()
    purpose: str | None = None
    legal_basis: LegalBasis | None = None

    @field_validator("occurred_at")
    @classmethod
    def _within_window(cls, value: datetime) -> datetime:
        try:
            inside = EARLIEST_EVENT_TIME <= value < LATEST_EVENT_TIME
        except OverflowError:  # year 1 with a positive offset cannot even be compared
            inside = False
        if not inside:
            raise ValueError(f"time outside the accepted window ({EVENT_TIME_WINDOW})")
        return value

    @field_validator("event_id", "native_type", "source", "store")
    @classmethod
    def _no_personal_data(cls, value: str | None) -> str | None:
        problem = None if value is None else personal_data_problem(value)
        if problem:
            raise ValueError(f"{problem}; this field must not carry personal data")
        return value

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for key in value:
            check_category(key)
        return tuple(sorted(set(value)))

    @field_validator("purpose")
    @classmethod
    def _known_purpose(cls, value: str | None) -> str | None:
        return None if value is None else check_data_use(value)


class _EventBase(_EventFields):
    subject: SubjectRef


class CollectionEvent(_EventBase):
    """Data about the subject now sits in ``store`` (new, changed, or read)."""

    action: Literal["collected", "updated", "accessed"]

    @model_validator(mode="after")
    def _needs_categories(self) -> CollectionEvent:
        if self.action != "accessed" and not self.categories:
            raise ValueError(f"a {self.action} event must name at least one data category")
        return self


class ActivityEvent(_EventBase):
    """The subject interacted with a system that holds their data (mail opened, link clicked)."""

    action: Literal["activity"]
    activity: ActivityKind


def _clean_destination(value: str) -> str:
    """A destination names a store, never a person (movements and store-level flows alike)."""
    if problem := personal_data_problem(value):
        raise ValueError(f"{problem}; this field must not carry personal data")
    return value


def _check_route(store: str, destination: str, categories: Sequence[str], what: str) -> None:
    if destination == store:
        raise ValueError("destination must differ from store")
    if not categories:
        raise ValueError(f"{what} must name the data categories it moves")


class MovementEvent(_EventBase):
    """Data left ``store`` for ``destination``: copied to another store of ours, or transferred
    (disclosed) to another recipient. Either way the origin keeps what it had."""

    action: Literal["copied", "transferred"]
    destination: Identifier

    _no_personal_data_in_destination = field_validator("destination")(_clean_destination)

    @model_validator(mode="after")
    def _moves_somewhere(self) -> MovementEvent:
        _check_route(self.store, self.destination, self.categories, "a movement")
        return self


class StoreFlowEvent(_EventFields):
    """Data of ``categories`` went from ``store`` to ``destination`` in bulk, for people it does
    not name: a pipeline run (an OpenLineage job reading one dataset and writing another).

    It has no subject, so it holds nothing for anyone: it records the store-to-store flow
    (``FLOWS_TO``) and is judged, and alerted on, like a copy to ``destination``. The people it
    carried are whoever the origin holds; the flow never invents them.
    """

    action: Literal["flowed"]
    destination: Identifier

    _no_personal_data_in_destination = field_validator("destination")(_clean_destination)

    @model_validator(mode="after")
    def _flows_somewhere(self) -> StoreFlowEvent:
        _check_route(self.store, self.destination, self.categories, "a flow")
        return self


class ErasureEvent(_EventBase):
    """Data was deleted or anonymised; no categories means everything held in ``store``."""

    action: Literal["erased", "anonymised"]


class ConsentEvent(_EventBase):
    """The subject gave consent for ``purpose``, or withdrew it (unsubscribed, replied STOP,
    opted out). Categories, when named, are the data the consent covers in ``store``."""

    action: Literal["consent_withdrawn", "consent_given"]
    purpose: str


class IdentityEvent(_EventBase):
    """Only reveals that identifiers belong to one person (a CRM merge); moves no data."""

    action: Literal["linked"]

    @model_validator(mode="after")
    def _links_something(self) -> IdentityEvent:
        if not self.subject.links:
            raise ValueError("a linked event must name at least one link")
        return self


# Every event about one person (all but the store-level flow).
SubjectEvent = CollectionEvent | ActivityEvent | MovementEvent | ErasureEvent | ConsentEvent | IdentityEvent

DataMovementEvent = Annotated[
    CollectionEvent
    | ActivityEvent
    | MovementEvent
    | ErasureEvent
    | ConsentEvent
    | IdentityEvent
    | StoreFlowEvent,
    Field(discriminator="action"),
]

_EVENT: TypeAdapter[DataMovementEvent] = TypeAdapter(DataMovementEvent)


def event_key(event: DataMovementEvent) -> bytes:
    """The canonical topic's message key: the subject's keyed hash, so one person's events stay
    in order; a store-level flow, which names nobody, is keyed by its two stores."""
    if isinstance(event, StoreFlowEvent):
        return f"{event.store}>{event.destination}".encode()
    return event.subject.key.encode()


def encode_event(event: DataMovementEvent) -> bytes:
    return event.model_dump_json(exclude_none=True).encode()


def decode_event(raw: bytes | str) -> DataMovementEvent:
    """Parse one canonical event from JSON, raising :class:`EventDecodeError` with the reason."""
    try:
        return _EVENT.validate_json(raw)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        )
        raise EventDecodeError(f"invalid canonical event: {reasons}") from None


def event_json_schema() -> dict[str, object]:
    """JSON Schema of the canonical event, for users wiring a system without an adapter."""
    return _EVENT.json_schema()
