"""Every adapter refuses a nested value of the wrong JSON type with a reason naming the field,
never an internal error: each value below the top level of seeds of every source, replaced in
turn by a number, a bool, a string, a list, an object and null (the fuzzer's ``other_type``)."""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from lineage.domain.catalog import parse_catalog
from lineage.domain.subjects import SubjectHasher
from lineage.settings import Settings
from lineage.sources import SOURCE_NAMES, build_adapters
from lineage_lab.fuzz import mutations
from lineage_lab.fuzz.examine import Pipeline, examine
from lineage_lab.fuzz.mutations import Marks, Mutant, every_other_type
from lineage_lab.fuzz.scan import CapturedLogs
from lineage_lab.fuzz.seeds import _canonical_subjects, seed_payloads
from streams.processing import DeadLetter, normalise

SEEDS_PER_SOURCE = 3


@pytest.fixture(scope="module")
def pipeline() -> Iterator[Pipeline]:
    with CapturedLogs() as logs:
        catalog = parse_catalog(Settings().catalog.read_text())
        yield Pipeline.build(catalog, secrets.token_bytes(32), datetime.now(UTC), logs)


@pytest.fixture(scope="module")
def seeds() -> dict[str, list]:
    found = seed_payloads(40)
    found["canonical"] = _canonical_subjects() + found["canonical"]
    return found


@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_no_nested_value_of_another_type_is_an_internal_error(
    pipeline: Pipeline, seeds: dict[str, list], source: str
) -> None:
    docs = seeds[source]
    chosen = docs[:: max(1, len(docs) // SEEDS_PER_SOURCE)][:SEEDS_PER_SOURCE]
    problems, tried = [], 0
    for doc in chosen:
        for label, mutant in every_other_type(doc):
            tried += 1
            outcome = examine(pipeline, Mutant(source, label, json.dumps(mutant).encode()))
            problems += [f"{label}: {p.detail[:120]}" for p in outcome.problems if p.kind != "slow"]
    assert tried > 20
    assert problems == []


@pytest.mark.parametrize("value", [5, 2.5, True, None, "b" * 32, {"key": "b" * 32}])
def test_canonical_links_of_another_type_are_refused_naming_the_field(value: object) -> None:
    event = _canonical_subjects()[0]
    event["subject"]["links"] = value
    adapters = build_adapters(parse_catalog(Settings().catalog.read_text()))
    refused = normalise("canonical", json.dumps(event).encode(), adapters, SubjectHasher(b"k" * 32))
    assert isinstance(refused, DeadLetter)
    assert refused.reason == "subject.links is not a list"


def test_other_type_changes_a_nested_value_to_another_type() -> None:
    rng = random.Random(3)
    labels = set()
    for _ in range(200):
        work = mutations._Work(rng, Marks(), {"subject": {"links": ["a"], "type": "customer"}, "n": 1})
        label = mutations.other_type(work)
        labels.add(label)
        assert work.doc != {"subject": {"links": ["a"], "type": "customer"}, "n": 1}
    assert any("list->number" in label for label in labels)
    assert any("->bool" in label for label in labels) and any("->null" in label for label in labels)


def test_a_payload_too_deep_to_adapt_is_refused_with_a_reason() -> None:
    adapters = build_adapters(parse_catalog(Settings().catalog.read_text()))
    body = b'{"event":"opened","email":"a@example.org","list_id":' + b'{"a":' * 990 + b"1" + b"}" * 991
    refused = normalise("brevo", body, adapters, SubjectHasher(b"k" * 32))
    assert isinstance(refused, DeadLetter)
    assert "internal error" not in refused.reason
