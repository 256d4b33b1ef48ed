"""The fuzz harness's own parts (mutations, marks, scan, shrink, log capture), and a fast slice.

The slice runs 500 mutants per source through normalise and the record-stage code without
servers and asserts the gates' zeros: it fails while a finding of ``lineage-lab fuzz`` is open.
"""

from __future__ import annotations

import json
import logging
import random

import pytest

from lineage.demo.brevo_feed import demo_email
from lineage.domain.catalog import parse_catalog
from lineage.settings import Settings
from lineage.sources import SOURCE_NAMES
from lineage_lab.fuzz import mutations
from lineage_lab.fuzz.findings import FindingBook, shrink
from lineage_lab.fuzz.harness import run_in_process
from lineage_lab.fuzz.mutations import Marks, Mutant, mutants
from lineage_lab.fuzz.scan import CapturedLogs, leaks, leaks_in_properties
from lineage_lab.fuzz.seeds import seed_payloads


@pytest.fixture(scope="module")
def seeds() -> dict[str, list]:
    return seed_payloads(80)


class TestMarks:
    def test_every_address_form_is_found_and_unique(self) -> None:
        marks, rng = Marks(), random.Random(3)
        addresses = [marks.email(rng) for _ in range(300)]
        assert all(leaks(a) for a in addresses)
        numbers = {leaks(a)[0].lower().split("fuzz-")[1].rstrip("@\uff20+tag") for a in addresses}
        assert len(numbers) == 300

    def test_every_phone_form_is_found(self) -> None:
        marks, rng = Marks(), random.Random(4)
        assert all(leaks(marks.phone(rng)) for _ in range(300))

    def test_escaped_and_truncated_addresses_are_found(self) -> None:
        for text in (
            "fuzz-12\\u0040leak",
            "fuzz-12%40leak.example",
            "'fuzz-12\\uff20leak.ex'",
            "b'fuzz-12\\xef\\xbc\\xa0leak'",
            "FUZZ-12@LEAK",
            "fuzz-12+tag@x",
        ):
            assert leaks(text), text

    def test_seed_data_and_hashes_are_not_leaks(self) -> None:
        assert not leaks(demo_email(7))
        assert not leaks("+33639980042 brevo:a07991234567b0799123456c 2026-03-06T10:00:00Z")
        assert not leaks("hubspot:1834511903 subject 3f0799123456aa")

    def test_graph_properties_are_scanned_with_their_names(self) -> None:
        assert leaks_in_properties([{"id": "x", "fuzz-3@leak.example": 1}])
        assert leaks_in_properties([{"reasons": ["ok", "call 07 99 12 34 56"]}])
        assert not leaks_in_properties([{"id": "brevo/contacts", "count": 3}])


class TestMutations:
    def test_the_same_seed_gives_the_same_mutants(self, seeds: dict[str, list]) -> None:
        first = [m.body for m in mutants("hubspot", seeds["hubspot"], 50, seed=5)]
        assert first == [m.body for m in mutants("hubspot", seeds["hubspot"], 50, seed=5)]
        assert first != [m.body for m in mutants("hubspot", seeds["hubspot"], 50, seed=6)]

    @pytest.mark.parametrize("source", SOURCE_NAMES)
    def test_every_mutation_applies_to_every_source(self, seeds: dict[str, list], source: str) -> None:
        rng, marks = random.Random(source), Marks()
        for function, _weight in mutations.STRUCTURAL:
            for seed in seeds[source][:20]:
                work = mutations._Work(rng, marks, json.loads(json.dumps(seed)))
                assert function(work)
                assert mutations._dump(work)

    def test_injection_reaches_every_string_and_adds_fields(self) -> None:
        work = mutations._Work(random.Random(1), Marks(), {"a": "x", "b": [{"c": "y"}, "z"], "n": 1})
        mutations.inject_everywhere(work)
        doc = work.doc
        assert all(leaks(s) for s in (doc["a"], doc["b"][0]["c"], doc["b"][1]))
        assert len(doc) == 4 and len(doc["b"][0]) == 2

    def test_splices_write_what_python_cannot_hold(self) -> None:
        rng = random.Random(2)
        work = mutations._Work(rng, Marks(), {"event": "click", "ts": 1})
        while "100000" not in mutations.deep_nesting(work):
            work = mutations._Work(rng, Marks(), {"event": "click", "ts": 1})
        assert b"[" * 100_000 in mutations._dump(work) or b'{"a":' * 1000 in mutations._dump(work)
        work = mutations._Work(rng, Marks(), {"event": "click"})
        mutations.duplicate_keys(work)
        assert mutations._dump(work).count(b'"event"') == 2

    def test_mutants_cover_the_catalogue(self, seeds: dict[str, list]) -> None:
        labels = " ".join(m.mutation for m in mutants("brevo", seeds["brevo"], 3000))
        for name in (
            "delete_field",
            "type_swap",
            "other_type",
            "random_json",
            "numbers",
            "dates",
            "deep_nesting",
            "long_string",
            "long_integer",
            "nan_infinity",
            "lone_surrogate",
            "duplicate_keys",
            "inject_everywhere",
            "inject_one",
            "inject_keys",
            "invalid_utf8",
            "non_json",
        ):
            assert name in labels, name


class TestShrinkAndLogs:
    def test_shrink_keeps_only_what_the_problem_needs(self) -> None:
        body = json.dumps({"keep": "fuzz-1@leak.example", "drop": [1, 2, 3], "also": {"x": 1}}).encode()
        small = shrink(body, lambda b: b"fuzz-1@" in b)
        assert json.loads(small) == {"keep": "fuzz-1@leak.example"}

    def test_shrink_leaves_what_it_cannot_parse(self) -> None:
        assert shrink(b"\xff{", lambda _b: True) == b"\xff{"

    def test_logs_are_captured_at_debug_and_levels_restored(self) -> None:
        quiet = logging.getLogger("fuzz.test.quiet")
        quiet.setLevel(logging.ERROR)
        with CapturedLogs() as logs:
            quiet.debug("seen %s", "marker-7f3a")  # not personal data: log hygiene keeps it
            assert "seen marker-7f3a" in " ".join(logs.take())
        assert quiet.level == logging.ERROR


def test_a_fast_slice_finds_no_crash_no_leak_and_every_refusal_has_a_reason() -> None:
    """500 mutants per source in-process; fails while a ``lineage-lab fuzz`` finding is open."""
    settings = Settings()
    book = FindingBook()
    result = run_in_process(
        parse_catalog(settings.catalog.read_text()), 500, seed=11, book=book, minimise=False
    )
    total = result.total()
    found = "\n".join(
        f"{f.source} {f.problem.kind} at {f.problem.location}: {f.problem.detail[:200]}"
        for f in book
        if f.problem.kind != "slow"
    )
    assert total.payloads == 500 * len(SOURCE_NAMES)
    assert total.crashes == 0, found
    assert total.internal_errors == 0, found
    assert total.roundtrip_failures == 0, found
    assert total.dead_letter_share == 1.0, found
    assert sum(total.leaks.values()) == 0, found


def test_a_mutant_is_bytes_with_its_recipe() -> None:
    mutant = Mutant("brevo", "inject_one", b"{}")
    assert mutant.body == b"{}" and mutant.mutation == "inject_one"
