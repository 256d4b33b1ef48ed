"""Erasure deadline and task judgement: dates chosen so that an off-by-one fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from lineage.domain.erasure import (
    ExtensionRefused,
    HoldingFacts,
    RequestStatus,
    TaskStatus,
    erasure_deadline,
    extend,
    request_status,
    shown_status,
    task_outcome,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
EMAIL = "user.contact.email"
NAME = "user.name"


def erased(category: str, at: datetime, event: str, state: str = "erased") -> HoldingFacts:
    return HoldingFacts(category=category, state=state, erased_at=at, last_event_id=event)


def held(category: str, **facts: object) -> HoldingFacts:
    return HoldingFacts(category=category, state="held", last_event_id="e-held", **facts)  # type: ignore[arg-type]


PARIS = ZoneInfo("Europe/Paris")


def end_of_day(year: int, month: int, day: int, zone: tzinfo = UTC) -> datetime:
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=zone)


class TestDeadline:
    @pytest.mark.parametrize(
        ("received", "due"),
        [
            (datetime(2026, 1, 31, 9, 30, tzinfo=UTC), end_of_day(2026, 2, 28)),
            (datetime(2028, 1, 31, 9, 30, tzinfo=UTC), end_of_day(2028, 2, 29)),  # leap
            (datetime(2026, 3, 31, 0, 0, tzinfo=UTC), end_of_day(2026, 4, 30)),
            (datetime(2026, 4, 30, 23, 59, tzinfo=UTC), end_of_day(2026, 5, 30)),
            (datetime(2026, 12, 15, 8, 0, tzinfo=UTC), end_of_day(2027, 1, 15)),
        ],
    )
    def test_one_calendar_month_to_the_end_of_its_last_day(self, received: datetime, due: datetime) -> None:
        assert erasure_deadline(received) == due

    def test_the_last_day_is_counted_in_the_organisations_zone(self) -> None:
        # 23:30 UTC on 31 Jan 2028 is 00:30 on 1 Feb in Paris: due at the end of 1 Mar in Paris,
        # not of 29 Feb (the UTC calendar), nor at 23:30 (the same minute a month later).
        due = erasure_deadline(datetime(2028, 1, 31, 23, 30, tzinfo=UTC), PARIS)
        assert due == end_of_day(2028, 3, 1, PARIS)
        assert due.astimezone(UTC) == datetime(2028, 3, 1, 22, 59, 59, 999999, tzinfo=UTC)

    def test_the_end_of_the_last_day_across_a_dst_change(self) -> None:
        # Received 1 Mar 2026 in Paris (+01:00), due at the end of 1 Apr (+02:00).
        due = erasure_deadline(datetime(2026, 3, 1, 10, 0, tzinfo=PARIS), PARIS)
        assert due.astimezone(UTC) == datetime(2026, 4, 1, 21, 59, 59, 999999, tzinfo=UTC)

    def test_overdue_only_after_the_whole_last_day(self) -> None:
        due = erasure_deadline(datetime(2026, 1, 31, 9, 30, tzinfo=PARIS), PARIS)
        assert shown_status("open", due, datetime(2026, 2, 28, 23, 59, tzinfo=PARIS)) == RequestStatus.OPEN
        assert shown_status("open", due, datetime(2026, 3, 1, 0, 0, tzinfo=PARIS)) == RequestStatus.OVERDUE


class TestExtension:
    RECEIVED = datetime(2028, 1, 31, 10, 0, tzinfo=PARIS)

    def test_two_further_months_count_from_receipt(self) -> None:
        granted = extend(self.RECEIVED, "open", 0, 2, "14 systems to erase from", NOW_IN_FEB, PARIS)
        # 31 Jan + 3 months = 30 Apr; 29 Feb (the first deadline) + 2 months would be 29 Apr.
        assert (granted.months, granted.deadline) == (2, end_of_day(2028, 4, 30, PARIS))
        assert granted.reason == "14 systems to erase from"

    def test_one_month_then_one_more_is_two_in_all(self) -> None:
        first = extend(self.RECEIVED, "open", 0, 1, "numerous requests", NOW_IN_FEB, PARIS)
        assert first.deadline == end_of_day(2028, 3, 31, PARIS)
        second = extend(self.RECEIVED, "open", first.months, 1, "still complex", NOW_IN_FEB, PARIS)
        assert (second.months, second.deadline) == (2, end_of_day(2028, 4, 30, PARIS))

    @pytest.mark.parametrize(
        ("already", "months", "status", "now", "reason", "message"),
        [
            (0, 3, "open", None, "complex", "at most 2"),
            (2, 1, "open", None, "complex", "at most 2"),
            (0, 0, "open", None, "complex", "1 or 2"),
            (0, 1, "complete", None, "complex", "complete"),
            (0, 1, "open", datetime(2028, 3, 1, 0, 0, tzinfo=PARIS), "complex", "within one month"),
            (0, 1, "open", None, "   ", "needs its reason"),
            (0, 1, "open", None, "asked by ana@example.com", "must name no one"),
        ],
    )
    def test_what_art_12_3_does_not_allow_is_refused(
        self, already: int, months: int, status: str, now: datetime | None, reason: str, message: str
    ) -> None:
        with pytest.raises(ExtensionRefused, match=message):
            extend(self.RECEIVED, status, already, months, reason, now or NOW_IN_FEB, PARIS)

    def test_the_last_instant_of_the_first_month_may_still_extend(self) -> None:
        granted = extend(self.RECEIVED, "open", 0, 1, "complex", end_of_day(2028, 2, 29, PARIS), PARIS)
        assert granted.deadline == end_of_day(2028, 3, 31, PARIS)


NOW_IN_FEB = datetime(2028, 2, 20, 12, 0, tzinfo=PARIS)


class TestTaskOutcome:
    def test_done_when_every_holding_is_gone_with_the_latest_erasure_as_evidence(self) -> None:
        first = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
        last = first + timedelta(seconds=1)
        outcome = task_outcome(
            [EMAIL, NAME], [erased(EMAIL, first, "e-1"), erased(NAME, last, "e-2", "anonymised")], NOW
        )
        assert outcome.status is TaskStatus.DONE
        assert (outcome.closed_by_event, outcome.closed_at) == ("e-2", last)

    def test_outstanding_while_one_holding_is_held_without_reason(self) -> None:
        outcome = task_outcome([EMAIL, NAME], [erased(EMAIL, NOW, "e-1"), held(NAME)], NOW)
        assert outcome.status is TaskStatus.OUTSTANDING and outcome.closed_by_event is None

    def test_holdings_of_other_categories_do_not_count(self) -> None:
        outcome = task_outcome([EMAIL], [erased(EMAIL, NOW, "e-1"), held("user.financial")], NOW)
        assert outcome.status is TaskStatus.DONE

    def test_no_holding_is_no_proof(self) -> None:
        assert task_outcome([EMAIL], [], NOW).status is TaskStatus.OUTSTANDING

    def test_retained_under_a_legal_hold_naming_it(self) -> None:
        outcome = task_outcome([EMAIL], [held(EMAIL, held_by=("hold-1 (case 42)",))], NOW)
        assert outcome.status is TaskStatus.RETAINED
        assert outcome.reason == "legal hold: hold-1 (case 42)"

    def test_retained_under_a_legal_obligation_until_its_expiry(self) -> None:
        expires = NOW + timedelta(seconds=1)
        outcome = task_outcome(
            ["user.financial"],
            [
                held(
                    "user.financial", legal_obligation=True, expires_at=expires, retention_rule="invoices-10y"
                )
            ],
            NOW,
        )
        assert outcome.status is TaskStatus.RETAINED
        assert outcome.reason == "legal obligation: invoices-10y until 2026-11-22"

    def test_an_expired_obligation_no_longer_justifies_keeping(self) -> None:
        outcome = task_outcome(
            ["user.financial"],
            [held("user.financial", legal_obligation=True, expires_at=NOW, retention_rule="invoices-10y")],
            NOW,
        )
        assert outcome.status is TaskStatus.OUTSTANDING

    def test_a_retention_rule_without_legal_obligation_is_no_reason(self) -> None:
        outcome = task_outcome(
            [EMAIL], [held(EMAIL, expires_at=NOW + timedelta(days=900), retention_rule="newsletter-3y")], NOW
        )
        assert outcome.status is TaskStatus.OUTSTANDING

    def test_retained_when_the_rest_is_erased_and_each_kept_holding_has_a_reason(self) -> None:
        outcome = task_outcome(
            [EMAIL, NAME, "user.financial"],
            [
                erased(EMAIL, NOW, "e-1"),
                held(NAME, held_by=("hold-2 (audit)",)),
                held("user.financial", legal_obligation=True, expires_at=None, retention_rule="contract-5y"),
            ],
            NOW,
        )
        assert outcome.status is TaskStatus.RETAINED
        assert outcome.reason == (
            "legal hold: hold-2 (audit); legal obligation: contract-5y (retention period not started)"
        )
        assert outcome.closed_by_event is None


class TestRequestStatus:
    DEADLINE = datetime(2026, 2, 28, 9, 30, tzinfo=UTC)

    def test_complete_when_nothing_is_outstanding_even_after_the_deadline(self) -> None:
        after = self.DEADLINE + timedelta(seconds=1)
        assert request_status(["done", "retained"], self.DEADLINE, after) is RequestStatus.COMPLETE
        assert request_status([], self.DEADLINE, after) is RequestStatus.COMPLETE

    def test_overdue_only_strictly_after_the_deadline(self) -> None:
        assert request_status(["outstanding"], self.DEADLINE, self.DEADLINE) is RequestStatus.OPEN
        assert (
            request_status(["done", "outstanding"], self.DEADLINE, self.DEADLINE + timedelta(seconds=1))
            is RequestStatus.OVERDUE
        )

    def test_shown_status_never_claims_an_unrecorded_completion(self) -> None:
        assert shown_status("open", self.DEADLINE, self.DEADLINE) is RequestStatus.OPEN
        assert (
            shown_status("open", self.DEADLINE, self.DEADLINE + timedelta(seconds=1)) is RequestStatus.OVERDUE
        )
        assert shown_status("complete", self.DEADLINE, NOW) is RequestStatus.COMPLETE


class TestJudgedOnTheRequestsCalendar:
    def test_retained_until_is_the_day_in_the_requests_zone_whoever_reads_it(self) -> None:
        from graph.requests import _judged

        # Expires at midnight starting 1 Jan 2037 in Paris: 23:00 UTC on 31 Dec 2036.
        row = {
            "task": "er-1|billing/invoices",
            "categories": ["user.financial"],
            "zone": "Europe/Paris",
            "holdings": [
                {
                    "category": "user.financial",
                    "state": "held",
                    "erased_at": None,
                    "last_event_id": "e:inv",
                    "held_by": [],
                    "legal_obligation": True,
                    "expires_at": datetime(2036, 12, 31, 23, 0, tzinfo=UTC),
                    "retention_rule": "invoices",
                }
            ],
        }
        judged = _judged(row, NOW)
        assert (judged["status"], judged["reason"]) == (
            "retained",
            "legal obligation: invoices until 2037-01-01",
        )
