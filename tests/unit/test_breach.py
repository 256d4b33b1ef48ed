"""Breach response's decisions (GDPR Art. 33-34): the risk, the 72 hours, special categories,
the stores a breach on a processor reaches, and the deadline alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lineage.domain.breach import (
    HIGH_IMPACT,
    LARGE_SCALE,
    SPECIAL_CATEGORIES,
    BreachStatus,
    RiskLevel,
    assess_risk,
    close,
    deadline_alert_rows,
    notification_deadline,
    notify_authority,
    people_told,
    scope,
    shown_status,
    special_categories,
    window,
)
from lineage.domain.catalog import parse_catalog
from lineage.domain.categories import known_categories
from lineage.errors import QueryError

DEMO = parse_catalog((Path(__file__).parents[2] / "lineage" / "catalogs" / "demo.yaml").read_text())
AWARE = datetime(2026, 3, 27, 16, 30, tzinfo=UTC)


def test_every_special_or_high_impact_category_is_a_fideslang_key() -> None:
    assert set(SPECIAL_CATEGORIES) | set(HIGH_IMPACT) <= known_categories()


def test_special_categories_are_flagged_with_their_article_down_the_taxonomy() -> None:
    flagged = special_categories(
        [
            "user.contact.email",
            "user.health_and_medical.genetic",
            "user.criminal_history",
            "user.biometric.voice",
        ]
    )
    assert flagged == {
        "user.biometric.voice": "Art. 9",
        "user.criminal_history": "Art. 10",
        "user.health_and_medical.genetic": "Art. 9",
    }
    assert special_categories(["user.healthy_habits", "user.contact"]) == {}  # a prefix is not a parent


def test_nobody_exposed_is_unlikely_to_be_a_risk_and_nobody_need_be_told() -> None:
    risk = assess_risk(0, ["user.health_and_medical"], ["US"])
    assert risk.level is RiskLevel.UNLIKELY and not risk.notify_authority and not risk.notify_people


def test_ordinary_contact_data_of_a_few_people_in_the_eea_is_a_risk_for_the_authority_only() -> None:
    risk = assess_risk(12, ["user.contact.email", "user.name"], [])
    assert risk.level is RiskLevel.RISK and risk.notify_authority and not risk.notify_people
    assert risk.reasons == ("personal data of 12 people exposed",)


@pytest.mark.parametrize(
    "subjects, categories, abroad, reason",
    [
        (3, ["user.health_and_medical.record_id"], [], "special category (Art. 9)"),
        (3, ["user.criminal_history"], [], "special category (Art. 10)"),
        (3, ["user.government_id.passport_number"], [], "identity documents"),
        (3, ["user.financial.bank_account"], [], "financial data"),
        (LARGE_SCALE, ["user.contact.email"], [], "large scale"),
        (3, ["user.contact.email"], ["US", "IN"], "outside the EEA: IN, US"),
    ],
)
def test_the_risk_is_high_and_the_people_are_told_for_each_reason(
    subjects: int, categories: list[str], abroad: list[str], reason: str
) -> None:
    risk = assess_risk(subjects, categories, abroad)
    assert risk.level is RiskLevel.HIGH and risk.notify_people
    assert any(reason in r for r in risk.reasons), risk.reasons


def test_the_deadline_is_72_hours_by_the_clock_across_a_weekend_and_a_dst_change() -> None:
    friday = datetime(2026, 3, 27, 16, 30, tzinfo=UTC)  # Paris goes to summer time that Sunday
    assert notification_deadline(friday) == datetime(2026, 3, 30, 16, 30, tzinfo=UTC)


def test_the_window_and_awareness_are_checked() -> None:
    now = AWARE + timedelta(hours=1)
    assert window(AWARE - timedelta(days=2), AWARE, AWARE, now).aware_at == AWARE
    with pytest.raises(QueryError, match="start before it ends"):
        window(AWARE, AWARE, AWARE, now)
    with pytest.raises(QueryError, match="future"):
        window(AWARE - timedelta(days=1), AWARE, now + timedelta(hours=1), now)
    with pytest.raises(QueryError, match="before the exposure began"):
        window(AWARE, AWARE + timedelta(days=1), AWARE - timedelta(hours=1), now)


def test_a_breach_on_a_sub_processor_reaches_every_store_whose_chain_includes_it() -> None:
    reached = scope(DEMO, processor="sms-gateway")
    assert sorted(reached.stores) == ["brevo/contacts", "brevo/transactional"]
    assert reached.stores["brevo/contacts"] == ("FR", "US", "IN")
    one = scope(DEMO, store="hubspot/contacts")
    assert one.stores == {"hubspot/contacts": ("DE", "IE")} and one.countries == ("DE", "IE")
    assert set(scope(DEMO, processor="google").stores) == {
        s.id for sys in DEMO.systems if sys.processor == "google" for s in sys.stores
    }


@pytest.mark.parametrize(
    "kwargs, problem",
    [({}, "one of"), ({"store": "x", "processor": "ovh"}, "one of"), ({"store": "nowhere"}, "no such store"),
     ({"processor": "nobody"}, "no such processor")],
)  # fmt: skip
def test_a_scope_names_one_known_store_or_processor(kwargs: dict[str, str], problem: str) -> None:
    with pytest.raises(QueryError, match=problem):
        scope(DEMO, **kwargs)


def test_the_authority_is_notified_once_and_after_72_hours_only_with_the_reasons_for_the_delay() -> None:
    deadline = notification_deadline(AWARE)
    on_time = notify_authority("open", deadline, None, "CNIL-42", None, "account:dpo", deadline)
    assert (on_time.reference, on_time.by, on_time.delay_reason) == ("CNIL-42", "account:dpo", None)
    late = deadline + timedelta(minutes=1)
    with pytest.raises(QueryError, match="reasons for the delay"):
        notify_authority("open", deadline, None, None, None, "account:dpo", late)
    assert (
        notify_authority("open", deadline, None, None, "forensics", "cli:x", late).delay_reason == "forensics"
    )
    with pytest.raises(QueryError, match="already"):
        notify_authority("open", deadline, AWARE, None, None, "cli:x", AWARE)
    with pytest.raises(QueryError, match="must name no one"):
        notify_authority("open", deadline, None, "call lea.martin@example.fr", None, "cli:x", AWARE)


def test_people_told_default_to_everyone_exposed_and_a_closed_breach_takes_nothing() -> None:
    assert people_told("open", None, 17) == 17 and people_told("open", 5, 17) == 5
    with pytest.raises(QueryError):
        people_told("open", -1, 17)
    with pytest.raises(QueryError, match="closed"):
        people_told("closed", None, 17)
    with pytest.raises(QueryError, match="closed already"):
        close("closed", "done")
    with pytest.raises(QueryError, match="required"):
        close("open", " ")


def test_the_status_shown_follows_the_clock_and_the_notification() -> None:
    deadline = notification_deadline(AWARE)
    assert shown_status("open", deadline, None, deadline) is BreachStatus.OPEN
    assert shown_status("open", deadline, None, deadline + timedelta(seconds=1)) is BreachStatus.OVERDUE
    assert shown_status("open", deadline, AWARE, deadline + timedelta(days=9)) is BreachStatus.NOTIFIED
    assert shown_status("closed", deadline, None, deadline + timedelta(days=9)) is BreachStatus.CLOSED


def _breach(hours_ago: float, **fields: object) -> dict[str, object]:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    return {
        "id": f"br-{int(hours_ago)}",
        "status": "open",
        "stores": ["hubspot/contacts"],
        "deadline": notification_deadline(now - timedelta(hours=hours_ago)),
        "risk": "risk",
        "authority_notified_at": None,
        **fields,
    }


def test_the_deadline_alert_comes_with_less_than_a_day_left_and_the_overdue_one_after() -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    rows = deadline_alert_rows(
        [
            _breach(47),  # 25 hours left: not yet
            _breach(50),  # 22 hours left
            _breach(80),  # 8 hours past
            _breach(60, risk="unlikely"),  # nobody exposed: nothing to notify
            _breach(90, authority_notified_at=now),
            _breach(95, status="closed"),
        ],
        now,
    )
    assert [(r["kind"], r["id"]) for r in rows] == [
        ("breach_deadline", "breach-deadline-br-50"),
        ("breach_overdue", "breach-overdue-br-80"),
    ]
    assert "22 h left" in rows[0]["reason"] and rows[0]["store"] == "hubspot/contacts"
    assert rows[1]["severity"] == "high" and rows[1]["subject"] is None


def test_a_time_typed_in_the_workspace_without_an_offset_is_the_organisations() -> None:
    from zoneinfo import ZoneInfo

    from lineage.web.breach_pages import local_time

    paris = ZoneInfo("Europe/Paris")
    assert local_time("2026-03-29T01:30", paris) == "2026-03-29T01:30:00+01:00"
    assert local_time("2026-03-29T03:30", paris) == "2026-03-29T03:30:00+02:00"  # summer time
    assert local_time("2026-03-29", paris) == "2026-03-29"  # a day: the answers layer reads it
    assert local_time("2026-03-29T03:30:00+00:00", paris) == "2026-03-29T03:30:00+00:00"
    assert local_time(" ", paris) is None


def test_an_affected_persons_lists_read_the_same_whatever_order_the_graph_gave() -> None:
    from lineage.answers.breach import AffectedSubject

    person = AffectedSubject(
        subject="k",
        stores=["ovh/web-logs", "brevo/contacts"],
        types=["visitor", "customer"],
        categories=["user.health_and_medical", "user.device.ip_address"],
    )
    assert person.stores == ["brevo/contacts", "ovh/web-logs"]
    assert person.types == ["customer", "visitor"]
    assert person.categories == ["user.device.ip_address", "user.health_and_medical"]
