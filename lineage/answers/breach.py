"""Personal data breaches (GDPR Art. 33-34): open one sized from the graph, notify, close.

Shared by ``lineage breach``, ``/breaches`` and the workspace's breach pages, so all answer the
same :class:`Breach`. Opening reads the catalog for the stores a breach reaches and where their
data goes (:func:`lineage.domain.breach.scope`), then the graph for who was held there in the
exposure window (:mod:`graph.breach`); the risk and the 72-hour deadline are the domain's. The
deadline alerts are raised by the worker's scheduled checks (:func:`check_breaches`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo
from typing import Any

from neo4j import Driver
from pydantic import Field, field_validator

from graph import breach as recorded
from graph.alerts import replace_alerts
from lineage.answers.answer import Answer
from lineage.answers.audit import parse_moment
from lineage.domain.breach import (
    BreachStatus,
    deadline_alert_rows,
    description,
    scope,
    shown_status,
    window,
)
from lineage.domain.catalog import Catalog
from lineage.errors import NotFoundError, QueryError
from lineage.reference import default_transfer_rules

NO_SUCH_BREACH = "no breach with this id"


class Breach(Answer):
    """A breach as it stands: what it exposed, how grave it is, and who was told when."""

    id: str = Field(description="breach id (random; names nobody)")
    description: str = Field(description="what happened (no personal data)")
    scope: str = Field(description="what was breached: store:ID or processor:ID")
    stores: list[str] = Field(description="the stores the breach reaches")
    countries: list[str] = Field(description="countries of those stores, their processors and sub-processors")
    outside_eea: list[str] = Field(description="those of the countries outside the EEA")
    exposed_from: datetime = Field(description="start of the exposure window")
    exposed_to: datetime = Field(description="end of the exposure window")
    aware_at: datetime = Field(description="when the organisation became aware of it")
    deadline: datetime = Field(description="72 hours after awareness: the authority's deadline (Art. 33(1))")
    status: str = Field(description="open, overdue (72 hours past, authority not told), notified or closed")
    risk: str = Field(description="unlikely, risk (tell the authority) or high (tell the people too)")
    risk_reasons: list[str] = Field(description="why the risk is what it is")
    special: list[str] = Field(description="special (Art. 9) and criminal (Art. 10) categories exposed")
    subjects: int = Field(description="people exposed")
    by_type: dict[str, int] = Field(description="people exposed per subject type")
    by_category: dict[str, int] = Field(description="people exposed per data category")
    by_store: dict[str, int] = Field(description="people exposed per store")
    notify_people: bool = Field(description="whether the people must be told (Art. 34(1): high risk)")
    hours_left: int | None = Field(
        description="whole hours left to notify the authority (negative once past); "
        "None once notified or closed"
    )
    authority: str | None = Field(description="the supervisory authority (the catalog's)")
    opened_by: str = Field(description="who opened it (kind:name of the actor)")
    opened_at: datetime = Field(description="when it was opened")
    authority_notified_at: datetime | None = Field(description="when the authority was notified")
    authority_notified_by: str | None = Field(description="who notified it")
    authority_reference: str | None = Field(description="the authority's reference for the notification")
    delay_reason: str | None = Field(description="why the notification came after 72 hours")
    people_notified_at: datetime | None = Field(description="when the people were told (Art. 34)")
    people_notified_by: str | None = Field(description="who told them")
    people_notified_count: int | None = Field(description="how many were told")
    closed_at: datetime | None = Field(description="when it was closed")
    closed_by: str | None = Field(description="who closed it")
    closure_note: str | None = Field(description="facts, effects and remedial action (Art. 33(5))")


class AffectedSubject(Answer):
    """One person a breach exposed, by keyed hash: the DPO resolves it with the access report."""

    subject: str = Field(description="keyed hash of the person")
    stores: list[str] = Field(description="the breach's stores holding their data")
    types: list[str] = Field(description="as what (subject types)")
    categories: list[str] = Field(description="which data")

    @field_validator("stores", "types", "categories")
    @classmethod
    def _in_order(cls, value: list[str]) -> list[str]:
        """Sorted: the graph collects them in no set order, and a mailing list exported twice
        must read the same."""
        return sorted(value)


def parse_time(value: str | None, name: str, zone: tzinfo) -> datetime | None:
    """A YYYY-MM-DD date (the start of that day in the organisation's zone) or an ISO 8601 time
    with its offset; None when not given."""
    return parse_moment(value, name, zone)


def shown(breach: dict[str, Any], catalog: Catalog | None, now: datetime) -> Breach:
    """The breach as shown: its status and hours left on the clock ``now``, its sizing by
    subject type, category and store, and the authority to tell (the catalog's)."""
    sizing: dict[str, dict[str, int]] = breach.get("sizing") or {}
    status = shown_status(breach["status"], breach["deadline"], breach["authority_notified_at"], now)
    authority = catalog.authority if catalog is not None else None
    return Breach.model_validate(
        {k: v for k, v in breach.items() if k != "sizing"}
        | {
            "status": status.value,
            "risk_reasons": breach.get("risk_reasons") or [],
            "special": breach.get("special") or [],
            "subjects": breach.get("subjects") or 0,
            "by_type": sizing.get("by_type", {}),
            "by_category": sizing.get("by_category", {}),
            "by_store": sizing.get("by_store", {}),
            "notify_people": breach.get("risk") == "high",
            "hours_left": _hours_left(status, breach["deadline"], now),
            "authority": authority.name if authority else None,
        }
    )


def _hours_left(status: BreachStatus, deadline: datetime, now: datetime) -> int | None:
    if status not in (BreachStatus.OPEN, BreachStatus.OVERDUE):
        return None
    return math.floor((deadline - now).total_seconds() / 3600)


def open_breach(
    driver: Driver,
    database: str,
    catalog: Catalog,
    *,
    store: str | None = None,
    processor: str | None = None,
    exposed_from: str | datetime,
    exposed_to: str | datetime,
    aware_at: str | datetime | None = None,
    text: str,
    opened_by: str,
) -> Breach:
    """Opens a breach on a store or on a processor for an exposure window: sizes it from the
    graph, judges its risk, and starts the 72 hours from awareness (now when not given).

    Example: ``open_breach(driver, "neo4j", catalog, store="brevo/contacts",
    exposed_from="2026-03-01", exposed_to="2026-03-04", text="API key leaked", opened_by="cli:dpo")``.
    """
    now, zone = datetime.now(UTC), catalog.zone
    reached = scope(catalog, store=store, processor=processor)
    start = _moment(exposed_from, "from", zone, required=True)
    end = _moment(exposed_to, "to", zone, required=True)
    aware = _moment(aware_at, "aware_at", zone) or now
    assert start is not None and end is not None
    exposed = window(start, end, aware, now)
    rules = default_transfer_rules()
    abroad = [c for c in reached.countries if not rules.in_eea(c)]
    label = f"store:{store}" if store is not None else f"processor:{processor}"
    breach_id = recorded.open_breach(
        driver, database, reached, label, exposed, description(text), abroad, opened_by, now
    )
    return one(driver, database, breach_id, catalog)


def _moment(
    value: str | datetime | None, name: str, zone: tzinfo, *, required: bool = False
) -> datetime | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise QueryError(f"{name}: a time needs its offset")
        return value
    found = parse_time(value, name, zone)
    if found is None and required:
        raise QueryError(f"{name}: required (YYYY-MM-DD or ISO 8601 with its offset)")
    return found


def listed(driver: Driver, database: str, catalog: Catalog | None = None) -> list[Breach]:
    """Every breach, latest awareness first."""
    now = datetime.now(UTC)
    return [shown(b, catalog, now) for b in recorded.breaches(driver, database)]


def one(driver: Driver, database: str, breach_id: str, catalog: Catalog | None = None) -> Breach:
    found = recorded.breaches(driver, database, breach_id)
    if not found:
        raise NotFoundError(NO_SUCH_BREACH)
    return shown(found[0], catalog, datetime.now(UTC))


def notify_authority(
    driver: Driver,
    database: str,
    breach_id: str,
    by: str,
    *,
    reference: str | None = None,
    delay_reason: str | None = None,
    catalog: Catalog | None = None,
) -> Breach:
    """Records the notification to the supervisory authority (Art. 33), by whom; after the 72
    hours only with the reasons for the delay."""
    if not recorded.record_authority(
        driver, database, breach_id, reference, delay_reason, by, datetime.now(UTC)
    ):
        raise NotFoundError(NO_SUCH_BREACH)
    return one(driver, database, breach_id, catalog)


def notify_people(
    driver: Driver,
    database: str,
    breach_id: str,
    by: str,
    *,
    count: int | None = None,
    catalog: Catalog | None = None,
) -> Breach:
    """Records that the people were told (Art. 34), how many (all exposed unless said), by whom."""
    if not recorded.record_people(driver, database, breach_id, count, by, datetime.now(UTC)):
        raise NotFoundError(NO_SUCH_BREACH)
    return one(driver, database, breach_id, catalog)


def close(
    driver: Driver, database: str, breach_id: str, note: str, by: str, catalog: Catalog | None = None
) -> Breach:
    """Closes a breach with its documentation (facts, effects, remedial action: Art. 33(5))."""
    if not recorded.close_breach(driver, database, breach_id, note, by, datetime.now(UTC)):
        raise NotFoundError(NO_SUCH_BREACH)
    return one(driver, database, breach_id, catalog)


def affected(driver: Driver, database: str, breach_id: str) -> list[AffectedSubject]:
    """Everyone the breach exposed, by keyed hash, for the notification mailing (Art. 34): the
    DPO resolves each key to an address through the access report of that person."""
    one(driver, database, breach_id)
    return [
        AffectedSubject.model_validate(row) for row in recorded.affected_subjects(driver, database, breach_id)
    ]


def check_breaches(driver: Driver, database: str, now: datetime | None = None) -> list[dict[str, object]]:
    """The 72-hour alerts brought up to date: ``breach_deadline`` when less than a day is left,
    ``breach_overdue`` once past; each closes when the authority is notified or the breach closed."""
    rows = deadline_alert_rows(recorded.awaiting_authority(driver, database), now or datetime.now(UTC))
    announced = replace_alerts(
        driver,
        database,
        "breach_deadline",
        [r for r in rows if r["kind"] == "breach_deadline"],
        "the authority was notified, the breach closed, or the deadline passed",
    )
    return announced + replace_alerts(
        driver,
        database,
        "breach_overdue",
        [r for r in rows if r["kind"] == "breach_overdue"],
        "the authority was notified or the breach closed",
    )
