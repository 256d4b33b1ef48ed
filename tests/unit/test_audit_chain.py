"""The audit chain's verdicts: an intact chain passes; a changed, removed, reordered entry, a
removed tail or a moved anchor fails, naming the first seq that does not fit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lineage.domain.audit import (
    GENESIS,
    AuditEntry,
    AuditHead,
    chain_key,
    next_entry,
    seal_anchor,
    verify,
)

KEY = chain_key(b"unit-test-subject-key")
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def chain(n: int, key: bytes = KEY) -> tuple[list[AuditEntry], AuditHead]:
    entries: list[AuditEntry] = []
    seq, prev = 0, GENESIS
    for i in range(n):
        entry = next_entry(
            key,
            head_seq=seq,
            head_hash=prev,
            at=T0 + timedelta(minutes=i),
            actor=f"account:dpo{i % 2}",
            role="dpo",
            kind="account",
            action="person.lookup" if i % 2 else "request.open",
            target=f"target-{i}",
            outcome="ok",
            address="10.0.0.7",
        )
        entries.append(entry)
        seq, prev = entry.seq, entry.hash
    return entries, AuditHead(seq=seq, hash=prev)


class TestChain:
    def test_an_intact_chain_passes(self) -> None:
        entries, head = chain(6)
        verdict = verify(entries, head, KEY)
        assert verdict.ok and verdict.checked == 6 and verdict.first_bad_seq is None
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
        assert entries[0].prev_hash == GENESIS and entries[1].prev_hash == entries[0].hash

    def test_an_empty_chain_passes(self) -> None:
        assert verify([], AuditHead(), KEY).ok

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("actor", "account:someone-else"),
            ("role", "admin"),
            ("action", "audit.export"),
            ("target", None),
            ("outcome", "denied"),
            ("address", "10.0.0.8"),
            ("at", T0 + timedelta(days=1)),
            ("kind", "cli"),
        ],
    )
    def test_a_changed_field_names_its_entry(self, field: str, value: object) -> None:
        entries, head = chain(6)
        entries[3] = entries[3].model_copy(update={field: value})
        verdict = verify(entries, head, KEY)
        assert not verdict.ok and verdict.first_bad_seq == 4
        assert verdict.problem and "hash" in verdict.problem

    def test_a_changed_entry_rehashed_without_the_key_still_fails(self) -> None:
        entries, head = chain(6)
        forger = chain_key(b"not-the-key")
        changed = entries[2].model_copy(update={"outcome": "denied"})
        from lineage.domain.audit import entry_hash

        entries[2] = changed.model_copy(update={"hash": entry_hash(forger, changed)})
        assert verify(entries, head, KEY).first_bad_seq == 3

    def test_a_removed_middle_entry_names_the_missing_seq(self) -> None:
        entries, head = chain(6)
        del entries[2]
        verdict = verify(entries, head, KEY)
        assert not verdict.ok and verdict.first_bad_seq == 3

    def test_a_removed_first_entry_names_seq_1(self) -> None:
        entries, head = chain(4)
        assert verify(entries[1:], head, KEY).first_bad_seq == 1

    def test_a_removed_tail_names_the_first_missing_seq(self) -> None:
        entries, head = chain(6)
        verdict = verify(entries[:4], head, KEY)
        assert not verdict.ok and verdict.first_bad_seq == 5

    def test_reordered_entries_fail(self) -> None:
        entries, head = chain(6)
        entries[1], entries[2] = entries[2], entries[1]
        assert verify(entries, head, KEY).first_bad_seq == 2

    def test_swapped_seqs_fail(self) -> None:
        """Two entries' contents swapped while the seqs stay in order."""
        entries, head = chain(6)
        a, b = entries[1], entries[2]
        entries[1] = b.model_copy(update={"seq": 2})
        entries[2] = a.model_copy(update={"seq": 3})
        assert verify(entries, head, KEY).first_bad_seq == 2

    def test_a_removed_entry_with_seqs_renumbered_fails(self) -> None:
        entries, head = chain(5)
        shifted = [entries[0], *(e.model_copy(update={"seq": e.seq - 1}) for e in entries[2:])]
        head = head.model_copy(update={"seq": 4})
        assert verify(shifted, head, KEY).first_bad_seq == 2

    def test_entries_past_the_head_fail(self) -> None:
        entries, _ = chain(5)
        _, head = chain(4)
        assert verify(entries, head, KEY).first_bad_seq == 5

    def test_another_key_fails_at_seq_1(self) -> None:
        entries, head = chain(3)
        assert verify(entries, head, chain_key(b"other")).first_bad_seq == 1


class TestAnchor:
    def test_a_sealed_anchor_lets_a_purged_chain_pass(self) -> None:
        entries, head = chain(6)
        kept = entries[3:]
        head = head.model_copy(
            update={
                "anchor_seq": 4,
                "anchor_hash": kept[0].prev_hash,
                "purged": 3,
                "anchor_seal": seal_anchor(KEY, 4, kept[0].prev_hash, 3),
            }
        )
        verdict = verify(kept, head, KEY)
        assert verdict.ok and verdict.checked == 3 and verdict.anchor_seq == 4

    def test_an_anchor_moved_without_the_key_fails(self) -> None:
        entries, head = chain(6)
        kept = entries[4:]
        head = head.model_copy(
            update={
                "anchor_seq": 5,
                "anchor_hash": kept[0].prev_hash,
                "purged": 4,
                "anchor_seal": seal_anchor(chain_key(b"forger"), 5, kept[0].prev_hash, 4),
            }
        )
        verdict = verify(kept, head, KEY)
        assert not verdict.ok and verdict.first_bad_seq == 5

    def test_an_unsealed_anchor_fails(self) -> None:
        entries, head = chain(6)
        head = head.model_copy(update={"anchor_seq": 3, "anchor_hash": entries[2].prev_hash})
        assert not verify(entries[2:], head, KEY).ok


class TestEntries:
    def test_an_unknown_outcome_is_refused(self) -> None:
        with pytest.raises(ValueError, match="outcome"):
            next_entry(
                KEY,
                head_seq=0,
                head_hash=GENESIS,
                at=T0,
                actor="a",
                role="dpo",
                kind="account",
                action="x.y",
                target=None,
                outcome="maybe",
                address=None,
            )

    def test_a_naive_time_is_refused(self) -> None:
        with pytest.raises(ValueError):
            chain(1)[0][0].model_validate({**chain(1)[0][0].model_dump(), "at": datetime(2026, 1, 1)})

    def test_times_are_kept_in_utc(self) -> None:
        from zoneinfo import ZoneInfo

        paris = T0.astimezone(ZoneInfo("Europe/Paris"))
        entry = next_entry(
            KEY,
            head_seq=0,
            head_hash=GENESIS,
            at=paris,
            actor="a",
            role="dpo",
            kind="account",
            action="x.y",
            target=None,
            outcome="ok",
            address=None,
        )
        assert entry.at.tzinfo == UTC and entry.at == T0
        assert verify([entry], AuditHead(seq=1, hash=entry.hash), KEY).ok
