"""The benchmark population's shape: rows the bulk statements expand, events the worker writes.

Both come from one description, so these check they agree before any server is involved: the
same people, identifiers, times and holdings, and expiries taken from the domain's policy.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lineage.domain.catalog import Catalog, parse_catalog
from lineage.domain.retention import HoldingClock, Moment, RetentionPolicy
from lineage.domain.subjects import SubjectHasher
from lineage.settings import Settings
from lineage_lab.bench.large_graph import percentile, profile_parameters, transfer_alert_rows
from lineage_lab.bench.large_shape import (
    PROFILES,
    TEMPLATES,
    BulkShape,
    ExpiryTables,
    email_of,
    events_for,
    holding_templates,
    identifier_keys,
    profile_of,
    subject_row,
)

NOW_MS = int(datetime(2026, 11, 2, 12, tzinfo=UTC).timestamp() * 1000)
HASHER = SubjectHasher(b"unit-test-bench-key-0123")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return parse_catalog(Settings(subject_key="x" * 16).catalog.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def shape(catalog: Catalog) -> BulkShape:
    return BulkShape.of(catalog)


def test_every_template_names_a_store_of_the_catalog(catalog: Catalog) -> None:
    stores = {store.id for _, store in catalog.stores()}
    assert {t.store for t in TEMPLATES.values()} <= stores


def test_about_eleven_holdings_a_person(shape: BulkShape) -> None:
    people = range(20_000)
    mean = sum(len(shape.profiles[profile_of(n)]) for n in people) / len(people)
    assert 10.5 < mean < 12


@pytest.mark.parametrize("n", [0, 1, 4, 5, 996, 123_457])
def test_a_row_carries_one_expiry_per_holding_and_the_smallest_key(
    shape: BulkShape, catalog: Catalog, n: int
) -> None:
    row = subject_row(shape, ExpiryTables(RetentionPolicy(catalog)), HASHER, n, NOW_MS)
    keys = identifier_keys(HASHER, n)
    assert row["key"] == min(keys.values()) and row["ids"] == sorted(keys.values())
    assert len(row["exp"]) == len(shape.profiles[row["p"]])
    assert len(row["at"]) == len(PROFILES[row["p"]][2])
    assert max(row["at"]) < NOW_MS
    assert keys["email"] == HASHER.email(email_of(n))
    assert row["hold"] == (n == 996)


def test_expiry_tables_agree_with_the_policy_at_any_time_of_day(catalog: Catalog) -> None:
    policy = RetentionPolicy(catalog)
    tables = ExpiryTables(policy)
    for profile in range(len(PROFILES)):
        for holding in holding_templates(policy, profile):
            for at_ms in (NOW_MS - 400 * 86_400_000 + 37_000, NOW_MS - 3 * 86_400_000 + 86_399_000):
                at = datetime.fromtimestamp(at_ms / 1000, UTC)
                marks = {Moment(m): (at, "e") for m in (*holding.moments, "first_seen")}
                expected = policy.expiry(
                    HoldingClock(
                        holding.store, None, holding.category, (holding.purpose,), marks, holding.subject_type
                    )
                )
                want = (
                    None if expected is None or expected.at is None else int(expected.at.timestamp() * 1000)
                )
                assert tables.expiry_ms(holding, at_ms) == want, (holding.store, holding.category)


def test_events_match_the_rows(shape: BulkShape, catalog: Catalog) -> None:
    """Each profile's events name the person's identifiers and the holdings the row expands to."""
    for n in range(40):
        events = events_for(HASHER, n, NOW_MS)
        keys = set(identifier_keys(HASHER, n).values())
        assert {e.subject.key for e in events} | {k for e in events for k in e.subject.links} == keys
        held = {(getattr(e, "destination", e.store), c) for e in events for c in e.categories}
        held |= {(e.store, c) for e in events for c in e.categories}
        assert held == {(h.store, h.category) for h in shape.profiles[profile_of(n)]}


def test_profiles_list_the_alerts_of_the_stores_they_hold_in(shape: BulkShape, catalog: Catalog) -> None:
    alerts = transfer_alert_rows(catalog, datetime(2026, 11, 2).date(), 0, 1)
    assert {a["store"] for a in alerts} >= {"gmail/mailboxes", "dropbox/recruitment"}
    params = profile_parameters(shape, alerts)
    visitor = params[[name for name, _, _ in PROFILES].index("visitor")]
    shared = params[[name for name, _, _ in PROFILES].index("candidate_shared")]
    assert visitor["alerts"] == []
    dropbox = {a["id"] for a in alerts if a["store"] == "dropbox/recruitment"}
    assert dropbox <= set(shared["alerts"]) and shared["moved"]


def test_percentile_is_nearest_rank() -> None:
    samples = [float(i) for i in range(1, 201)]
    assert percentile(samples, 0.5) == 100 and percentile(samples, 0.99) == 198
    assert percentile([3.0], 0.99) == 3.0
