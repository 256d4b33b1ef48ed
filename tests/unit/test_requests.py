"""Rights requests of every kind: which stores become tasks, verification, closure, lift."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from lineage.domain import erasure
from lineage.domain.requests import (
    BASIS_NOT_RECORDED,
    HeldData,
    RequestKind,
    RequestStatus,
    StoreHolding,
    answer_task,
    close,
    extend,
    in_force_since,
    lift,
    new_request_id,
    opening,
    plan_tasks,
    request_deadline,
    shown_status,
    verification,
)
from lineage.errors import QueryError

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
EMAIL, NAME, FINANCIAL = "user.contact.email", "user.name", "user.financial"
PARIS = ZoneInfo("Europe/Paris")


def store(name: str, *held: HeldData, purposes: tuple[str, ...] = ()) -> StoreHolding:
    return StoreHolding(name, name.split("/")[0], None, ["FR"], [], held, purposes)


STORES = [
    store(
        "brevo/contacts",
        HeldData(EMAIL, ("marketing.communications.email",), ("consent",)),
    ),
    store("billing/invoices", HeldData(FINANCIAL, ("finance",), ("legal_obligation",)), HeldData(NAME)),
    store("hubspot/contacts", HeldData(EMAIL), HeldData(NAME), purposes=("marketing.advertising",)),
    store("greenhouse/candidates", HeldData(EMAIL, ("employment",), ("contract",))),
]


def planned(kind: RequestKind, **asked: list[str]) -> dict[str, list[str]]:
    return {p.store: p.categories for p in plan_tasks(kind, STORES, **asked)}


class TestWhichStoresBecomeTasks:
    @pytest.mark.parametrize(
        "kind", [RequestKind.ACCESS, RequestKind.RESTRICTION, RequestKind.ERASURE, RequestKind.RECTIFICATION]
    )
    def test_every_store_holding_the_persons_data(self, kind: RequestKind) -> None:
        assert planned(kind) == {
            "billing/invoices": [FINANCIAL, NAME],
            "brevo/contacts": [EMAIL],
            "greenhouse/candidates": [EMAIL],
            "hubspot/contacts": [EMAIL, NAME],
        }

    def test_rectification_of_named_categories_reaches_the_stores_holding_them(self) -> None:
        assert planned(RequestKind.RECTIFICATION, categories=["user.contact"]) == {
            "brevo/contacts": [EMAIL],
            "greenhouse/candidates": [EMAIL],
            "hubspot/contacts": [EMAIL],
        }

    def test_portability_consent_or_contract_and_a_basis_not_recorded_is_included_and_said(self) -> None:
        plans = {p.store: p for p in plan_tasks(RequestKind.PORTABILITY, STORES)}
        assert {s: p.categories for s, p in plans.items()} == {
            "billing/invoices": [NAME],  # the financial data rests on a legal obligation
            "brevo/contacts": [EMAIL],
            "greenhouse/candidates": [EMAIL],
            "hubspot/contacts": [EMAIL, NAME],
        }
        assert plans["brevo/contacts"].reason is None
        assert plans["hubspot/contacts"].reason == BASIS_NOT_RECORDED.format(categories=f"{EMAIL}, {NAME}")

    def test_objection_to_marketing_covers_every_direct_marketing_use(self) -> None:
        # hubspot's holdings name no purpose: the store's declared one applies.
        assert planned(RequestKind.OBJECTION, purposes=["marketing"]) == {
            "brevo/contacts": [EMAIL],
            "hubspot/contacts": [EMAIL, NAME],
        }
        assert planned(RequestKind.OBJECTION, purposes=["marketing.communications"]) == {
            "brevo/contacts": [EMAIL]
        }
        assert planned(RequestKind.OBJECTION, purposes=["market"]) == {}  # a prefix is not a parent


class TestOpening:
    def test_kinds_purposes_and_categories_are_checked(self) -> None:
        assert opening("objection", [" marketing ", "marketing"]).purposes == ["marketing"]
        with pytest.raises(QueryError, match="at least one"):
            opening("objection")
        with pytest.raises(QueryError, match="only an objection"):
            opening("access", ["marketing"])
        with pytest.raises(QueryError, match="kind"):
            opening("complaint")
        with pytest.raises(QueryError, match="purposes"):
            opening("objection", ["not.a.use"])
        with pytest.raises(QueryError, match="categories"):
            opening("rectification", categories=["user.nope"])

    def test_ids_name_the_kind(self) -> None:
        assert new_request_id(RequestKind.PORTABILITY).startswith("po-")
        assert len(new_request_id(RequestKind.OBJECTION)) == len("ob-") + 16

    def test_verification_is_a_method_and_a_role_never_personal_data(self) -> None:
        assert verification("id_document_checked", " front desk ").verified_by == "front desk"
        assert verification(None, None).method is None
        with pytest.raises(QueryError, match="verification"):
            verification("passport_scan", None)
        with pytest.raises(QueryError, match="must name no one"):
            verification("in_person", "jean.dupont@example.org")
        with pytest.raises(QueryError, match="must name no one"):
            verification("in_person", "+33 6 12 34 56 78")

    def test_a_state_applies_from_receipt(self) -> None:
        assert in_force_since(RequestKind.RESTRICTION, NOW) == NOW
        assert in_force_since(RequestKind.OBJECTION, NOW) == NOW
        assert in_force_since(RequestKind.ACCESS, NOW) is None


class TestDeadlineShared:
    def test_the_erasure_deadline_and_extension_are_every_requests(self) -> None:
        assert erasure.erasure_deadline is request_deadline and erasure.extend is extend
        received = datetime(2028, 1, 31, 10, 0, tzinfo=PARIS)
        granted = extend(received, "open", 0, 2, "many systems", datetime(2028, 2, 10, tzinfo=PARIS), PARIS)
        assert granted.deadline == datetime(2028, 4, 30, 23, 59, 59, 999999, tzinfo=PARIS)


class TestClosure:
    def test_a_task_closes_on_its_answer_except_an_erasure_task(self) -> None:
        answered = answer_task("access", "outstanding", " ticket 4411 ", None, NOW)
        assert (answered.evidence, answered.by, answered.at) == ("ticket 4411", "operator", NOW)
        with pytest.raises(QueryError, match="deletion event"):
            answer_task("erasure", "outstanding", "done", None, NOW)
        with pytest.raises(QueryError, match="already done"):
            answer_task("access", "done", "again", None, NOW)
        with pytest.raises(QueryError, match="evidence"):
            answer_task("access", "outstanding", "  ", None, NOW)
        with pytest.raises(QueryError, match="must name no one"):
            answer_task("access", "outstanding", "sent to lea@example.org", None, NOW)

    def test_close_once_nothing_is_outstanding(self) -> None:
        assert close(0, "report sent by post") == "report sent by post"
        with pytest.raises(QueryError, match="2 task"):
            close(2, "report sent")

    def test_lift_a_state_with_its_reason(self) -> None:
        assert lift("restriction", True, "accuracy verified", NOW).reason == "accuracy verified"
        with pytest.raises(QueryError, match="only a restriction"):
            lift("access", True, "why", NOW)
        with pytest.raises(QueryError, match="lifted"):
            lift("objection", False, "why", NOW)
        with pytest.raises(QueryError, match="reason"):
            lift("objection", True, " ", NOW)

    def test_a_complete_restriction_shows_in_force_until_lifted(self) -> None:
        assert shown_status("complete", NOW, NOW, in_force=True) is RequestStatus.IN_FORCE
        assert shown_status("complete", NOW, NOW, in_force=False) is RequestStatus.COMPLETE
        assert shown_status("open", NOW, NOW, in_force=True) is RequestStatus.OPEN
