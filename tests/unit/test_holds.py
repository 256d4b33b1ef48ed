"""What a legal hold is on, how each surface's options say it, and which holdings it covers."""

from __future__ import annotations

import pytest

from lineage.domain.holds import (
    HoldOn,
    HoldScope,
    HoldView,
    category_covered,
    checked_hold,
    covers,
    hold_on,
    hold_on_options,
)
from lineage.errors import QueryError

KEY = "k" * 64


class TestCommandLineOptions:
    def test_a_person_keeps_store_narrowing(self) -> None:
        on, stores = hold_on_options(KEY, ["crm/contacts", "brevo/contacts"], None, False)
        assert (on, stores) == (HoldOn(HoldScope.PERSON, KEY), ["crm/contacts", "brevo/contacts"])
        assert on.covers is None and on.audit_target == KEY

    @pytest.mark.parametrize(
        "stores, system, organisation, expected",
        [
            (["ovh/web-logs"], None, False, HoldOn(HoldScope.STORE, "ovh/web-logs")),
            ([], "billing", False, HoldOn(HoldScope.SYSTEM, "billing")),
            ([], None, True, HoldOn(HoldScope.ORGANISATION)),
        ],
    )
    def test_without_a_person_the_option_is_the_scope(
        self, stores: list[str], system: str | None, organisation: bool, expected: HoldOn
    ) -> None:
        assert hold_on_options(None, stores, system, organisation) == (expected, [])

    @pytest.mark.parametrize(
        "key, stores, system, organisation, says",
        [
            (None, [], None, False, "a hold is on a person"),
            (None, ["a/b", "c/d"], None, False, "one store per hold"),
            (KEY, [], "billing", False, "one of"),
            (None, [], "billing", True, "one of"),
            (None, ["a/b"], "billing", False, "narrows a person's hold only"),
            (None, ["a/b"], None, True, "narrows a person's hold only"),
        ],
    )
    def test_ambiguous_or_empty_options_are_refused(
        self, key: str | None, stores: list[str], system: str | None, organisation: bool, says: str
    ) -> None:
        with pytest.raises(QueryError, match=says):
            hold_on_options(key, stores, system, organisation)


class TestScopeOfABody:
    def test_each_scope_names_what_it_needs(self) -> None:
        assert hold_on(HoldScope.PERSON, KEY, None) == HoldOn(HoldScope.PERSON, KEY)
        assert hold_on(HoldScope.STORE, None, "crm/contacts").covers == "store:crm/contacts"
        assert hold_on(HoldScope.SYSTEM, None, "crm").audit_target == "system:crm"
        assert hold_on(HoldScope.ORGANISATION, None, None).covers == "organisation"
        assert hold_on(HoldScope.ORGANISATION, None, "").target is None  # an empty form field

    @pytest.mark.parametrize(
        "scope, key, target",
        [
            (HoldScope.PERSON, None, None),
            (HoldScope.PERSON, KEY, "crm"),
            (HoldScope.STORE, None, None),
            (HoldScope.SYSTEM, KEY, "crm"),
            (HoldScope.ORGANISATION, None, "crm"),
        ],
    )
    def test_a_missing_or_foreign_target_is_refused(
        self, scope: HoldScope, key: str | None, target: str | None
    ) -> None:
        with pytest.raises(QueryError):
            hold_on(scope, key, target)

    def test_a_store_and_a_system_of_one_spelling_never_meet(self) -> None:
        assert HoldOn(HoldScope.STORE, "crm").covers != HoldOn(HoldScope.SYSTEM, "crm").covers


class TestCheckedHold:
    def test_categories_are_fideslang_keys_deduplicated(self) -> None:
        on = HoldOn(HoldScope.ORGANISATION)
        assert checked_hold(on, "r", [], ["user.financial", "user.financial"]) == ["user.financial"]
        with pytest.raises(QueryError, match="entry 2: unknown data category"):
            checked_hold(on, "r", [], ["user.financial", "user.nothing"])

    def test_a_reason_is_required_and_only_a_person_is_narrowed_by_stores(self) -> None:
        with pytest.raises(QueryError, match="needs a reason"):
            checked_hold(HoldOn(HoldScope.STORE, "a/b"), "  ", [], [])
        with pytest.raises(QueryError, match="categories only"):
            checked_hold(HoldOn(HoldScope.SYSTEM, "crm"), "r", ["crm/contacts"], [])
        assert checked_hold(HoldOn(HoldScope.PERSON, KEY), "r", ["crm/contacts"], []) == []


def view(scope: HoldScope, target: str | None = None, **narrowing: tuple[str, ...]) -> HoldView:
    return HoldView(
        scope,
        target,
        KEY if scope is HoldScope.PERSON else None,
        narrowing.get("stores", ()),
        narrowing.get("categories", ()),
    )


class TestCoverage:
    @pytest.mark.parametrize(
        "hold, held",
        [
            (view(HoldScope.PERSON), True),
            (view(HoldScope.PERSON, stores=("crm/contacts",)), True),
            (view(HoldScope.PERSON, stores=("brevo/contacts",)), False),
            (view(HoldScope.STORE, "crm/contacts"), True),
            (view(HoldScope.STORE, "crm/deals"), False),
            (view(HoldScope.SYSTEM, "crm"), True),
            (view(HoldScope.SYSTEM, "brevo"), False),
            (view(HoldScope.ORGANISATION), True),
            (view(HoldScope.ORGANISATION, categories=("user.contact",)), True),
            (view(HoldScope.ORGANISATION, categories=("user.financial",)), False),
            (view(HoldScope.STORE, "crm/contacts", categories=("user.contact.email",)), True),
        ],
    )
    def test_what_a_hold_keeps(self, hold: HoldView, held: bool) -> None:
        assert covers(hold, KEY, "crm/contacts", "crm", "user.contact.email") is held

    def test_another_persons_hold_and_an_undeclared_store_are_not_covered(self) -> None:
        assert not covers(view(HoldScope.PERSON), "other", "crm/contacts", "crm", "user.contact.email")
        assert not covers(view(HoldScope.SYSTEM, "crm"), KEY, "crm/shadow", None, "user.contact.email")
        assert covers(view(HoldScope.ORGANISATION), KEY, "crm/shadow", None, "user.contact.email")

    def test_a_category_covers_its_descendants_only(self) -> None:
        assert category_covered([], "user.contact.email")
        assert category_covered(["user.contact"], "user.contact.email")
        assert not category_covered(["user.contact.email"], "user.contact")
        assert not category_covered(["user.con"], "user.contact")
