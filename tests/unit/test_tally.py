"""graph.tally's pure part: how the counts move when a person is recounted, and what they answer."""

from __future__ import annotations

from graph.tally import SEP, Counts, Recount, deltas, stores_of


def kind(store: str, subject_type: str = "customer", category: str = "user.contact.email") -> str:
    return SEP.join((store, subject_type, category))


class TestDeltas:
    def test_a_new_person_adds_their_kinds_and_their_set_of_stores(self) -> None:
        moved = deltas([Recount("p", [], [kind("a"), kind("b"), kind("b", category="user.name")])])
        assert +moved.held == {kind("a"): 1, kind("b"): 1, kind("b", category="user.name"): 1}
        assert +moved.sets == {("a", "b"): 1}

    def test_a_recount_that_changes_nothing_moves_nothing(self) -> None:
        same = [kind("a"), kind("b")]
        moved = deltas([Recount("p", same, same)])
        assert not any(moved.held.values()) and not any(moved.sets.values())

    def test_an_erasure_in_one_store_moves_the_person_to_a_smaller_set(self) -> None:
        moved = deltas([Recount("p", [kind("a"), kind("b")], [kind("a")])])
        assert {k: v for k, v in moved.held.items() if v} == {kind("b"): -1}
        assert {k: v for k, v in moved.sets.items() if v} == {("a", "b"): -1, ("a",): 1}

    def test_a_person_folded_into_another_leaves_and_the_other_grows(self) -> None:
        moved = deltas(
            [Recount("loser", [kind("b")], []), Recount("winner", [kind("a")], [kind("a"), kind("b")])]
        )
        assert {k: v for k, v in moved.held.items() if v} == {}
        assert {k: v for k, v in moved.sets.items() if v} == {("b",): -1, ("a",): -1, ("a", "b"): 1}

    def test_a_kinds_store_is_its_first_part(self) -> None:
        assert stores_of([kind("s3://bucket|x"), kind("a")]) == ("a", "s3://bucket|x")


class TestCounts:
    counts = Counts(
        held={
            ("a", "customer", "user.contact.email"): 3,
            ("a", "prospect", "user.name"): 1,
            ("b", "customer", "user.contact.email"): 2,
            ("c", "candidate", "user.content.private.cv"): 5,
            ("c", "customer", "user.name"): 0,  # everyone's erased: a zero left by a pending recount
        },
        sets={("a",): 2, ("a", "b"): 2, ("c",): 5},
    )

    def test_people_in_stores_count_each_set_that_meets_them_once(self) -> None:
        assert self.counts.subjects_in_stores(["a"]) == 4
        assert self.counts.subjects_in_stores(["a", "b"]) == 4
        assert self.counts.subjects_in_stores(["b", "c"]) == 7
        assert self.counts.subjects_in_stores(["z"]) == 0

    def test_held_rows_leave_out_other_stores_and_empty_kinds(self) -> None:
        rows = self.counts.held_in_stores(["a", "c"])
        assert [(r["store"], r["subject_type"], r["subjects"]) for r in rows] == [
            ("a", "customer", 3),
            ("a", "prospect", 1),
            ("c", "candidate", 5),
        ]

    def test_per_store_gives_people_types_and_categories(self) -> None:
        per_store = self.counts.per_store()
        assert per_store["a"] == {
            "subjects": 4,
            "subject_types": {"customer", "prospect"},
            "categories": {"user.contact.email", "user.name"},
        }
        assert per_store["b"]["subjects"] == 2
        assert per_store["c"]["categories"] == {"user.content.private.cv"}
