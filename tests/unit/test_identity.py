"""Identity planning: union of identifiers, deterministic subject keys, merges."""

from __future__ import annotations

import itertools

from graph.identity import needs_lookup, plan_identities


class TestPlanIdentities:
    def test_new_identifier_creates_its_own_subject(self) -> None:
        plan = plan_identities([("b",)], known={}, members={})
        assert plan.attach == [{"winner": "b", "identifiers": ["b"]}] and plan.merges == []

    def test_known_identifier_without_links_changes_nothing(self) -> None:
        assert not needs_lookup([("b",)], known={"b": "b"})
        assert not plan_identities([("b",)], known={"b": "b"}, members={"b": ["b"]})

    def test_link_to_a_new_identifier_attaches_it(self) -> None:
        plan = plan_identities([("c", "d")], known={"c": "c"}, members={"c": ["c"]})
        assert plan.attach == [{"winner": "c", "identifiers": ["d"]}] and plan.merges == []

    def test_link_joining_two_subjects_merges_into_the_smaller_key(self) -> None:
        known = {"b": "b", "x": "a", "a": "a"}
        plan = plan_identities([("b", "x")], known=known, members={"a": ["a", "x"], "b": ["b"]})
        assert plan.merges == [{"winner": "a", "loser": "b"}]
        assert plan.attach == [{"winner": "a", "identifiers": ["b"]}]

    def test_new_smaller_identifier_renames_the_subject(self) -> None:
        plan = plan_identities([("m", "a")], known={"m": "m"}, members={"m": ["m", "z"]})
        assert plan.attach == [{"winner": "a", "identifiers": ["a", "m", "z"]}]
        assert plan.merges == [{"winner": "a", "loser": "m"}]

    def test_outcome_does_not_depend_on_event_order(self) -> None:
        events = [("h1", "e1"), ("g1",), ("g1", "e1"), ("h2",)]
        outcomes = set()
        for order in itertools.permutations(events):
            plan = plan_identities(list(order), known={}, members={})
            outcomes.add(tuple(sorted((a["winner"], tuple(a["identifiers"])) for a in plan.attach)))
        assert outcomes == {(("e1", ("e1", "g1", "h1")), ("h2", ("h2",)))}
