"""The audit trail as a hash chain: who did what, when, to what, and how it ended (GDPR Art. 5(2)).

Each entry carries the hash of the entry before it (``prev_hash``) and its own ``hash``, an
HMAC-SHA256 over a canonical serialisation of every field and ``prev_hash``. The key is derived
from the subject key (:func:`chain_key`) and never stored in the graph, so someone who can write
to the database but does not hold the key cannot change, insert, remove or reorder entries and
recompute the hashes after them: :func:`verify` names the first entry that does not fit.

The chain's :class:`AuditHead` says where it ends (the last seq and hash) and where it starts:
after retention purged the oldest entries, the first remaining entry's ``prev_hash`` is the
trusted anchor. The anchor is sealed with the same key (:func:`seal_anchor`), so it cannot be
moved to hide a removal at the front either.

Pure: no I/O. The graph keeps the entries (``graph.audit``), ``lineage.answers.audit`` joins both.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, field_validator

Outcome = Literal["ok", "denied", "refused", "failed"]
OUTCOMES: tuple[str, ...] = ("ok", "denied", "refused", "failed")
GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry ever written."""

CHAIN_KEY_LABEL = b"lineage audit chain v1"
PURGE_ACTION = "audit.purge"


def chain_key(subject_key: bytes) -> bytes:
    """The chain's own key, derived from the subject key: one secret to keep, two uses kept apart."""
    return hmac.new(subject_key, CHAIN_KEY_LABEL, hashlib.sha256).digest()


def utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("at: a time without a zone")
    return at.astimezone(UTC)


class AuditEntry(BaseModel):
    """One recorded action. ``target`` is a keyed hash, a request, hold, alert, user or client id;
    never an identifier of a person. ``address`` is the client's network address."""

    model_config = ConfigDict(frozen=True)

    seq: int
    at: datetime
    actor: str
    role: str
    kind: str
    action: str
    target: str | None
    outcome: Outcome
    address: str | None
    prev_hash: str
    hash: str

    @field_validator("at")
    @classmethod
    def _utc(cls, at: datetime) -> datetime:
        return utc(at)


class AuditHead(BaseModel):
    """Where the chain ends (``seq``, ``hash``: the last entry's) and where it starts
    (``anchor_seq``, the first entry kept, whose ``prev_hash`` must be ``anchor_hash``).
    ``purged`` counts the entries retention removed; ``anchor_seal`` binds the anchor to the key."""

    model_config = ConfigDict(frozen=True)

    seq: int = 0
    hash: str = GENESIS
    anchor_seq: int = 1
    anchor_hash: str = GENESIS
    purged: int = 0
    anchor_seal: str | None = None


def canonical(
    *,
    seq: int,
    at: datetime,
    actor: str,
    role: str,
    kind: str,
    action: str,
    target: str | None,
    outcome: str,
    address: str | None,
    prev_hash: str,
) -> bytes:
    """The bytes an entry's hash covers: sorted-key, compact JSON, the time in UTC to the
    microsecond. Changing any field, its seq or the entry it follows changes them."""
    fields = {
        "seq": seq,
        "at": utc(at).isoformat(timespec="microseconds"),
        "actor": actor,
        "role": role,
        "kind": kind,
        "action": action,
        "target": target,
        "outcome": outcome,
        "address": address,
        "prev_hash": prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_hash(key: bytes, entry: AuditEntry) -> str:
    fields = entry.model_dump(exclude={"hash"})
    return hmac.new(key, canonical(**fields), hashlib.sha256).hexdigest()


def next_entry(
    key: bytes,
    *,
    head_seq: int,
    head_hash: str,
    at: datetime,
    actor: str,
    role: str,
    kind: str,
    action: str,
    target: str | None,
    outcome: str,
    address: str | None,
) -> AuditEntry:
    """The entry that follows the head: seq one more, ``prev_hash`` the head's hash."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome: not one of {', '.join(OUTCOMES)}")
    if not action:
        raise ValueError("action: empty")
    unsealed = AuditEntry(
        seq=head_seq + 1,
        at=at,
        actor=actor,
        role=role,
        kind=kind,
        action=action,
        target=target,
        outcome=cast(Outcome, outcome),  # checked above
        address=address,
        prev_hash=head_hash,
        hash="",
    )
    return unsealed.model_copy(update={"hash": entry_hash(key, unsealed)})


def seal_anchor(key: bytes, anchor_seq: int, anchor_hash: str, purged: int) -> str:
    """The HMAC that keeps a purge's anchor from being moved by someone without the key."""
    text = f"audit anchor|{anchor_seq}|{anchor_hash}|{purged}".encode()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


class Verdict(BaseModel):
    """What :func:`verify` found. ``first_bad_seq`` is the first seq that does not fit the chain
    (changed, missing, out of place, or the first missing past the end); None when intact."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_seq: int
    head_hash: str
    anchor_seq: int
    purged: int


def verify(entries: Iterable[AuditEntry], head: AuditHead, key: bytes) -> Verdict:
    """Walk the entries in seq order from the anchor to the head; stop at the first that fails.

    - a changed entry: its hash is not the HMAC of its fields;
    - a removed entry: a seq is skipped, or an entry's ``prev_hash`` is not its predecessor's hash;
    - reordered entries: a seq out of place;
    - a removed tail: the last entry is not the head's (seq and hash);
    - a moved anchor: the head's anchor does not carry its seal.
    """
    checked = 0

    def bad(seq: int, problem: str) -> Verdict:
        return Verdict(
            ok=False,
            checked=checked,
            first_bad_seq=seq,
            problem=problem,
            head_seq=head.seq,
            head_hash=head.hash,
            anchor_seq=head.anchor_seq,
            purged=head.purged,
        )

    if head.purged or head.anchor_seq != 1 or head.anchor_hash != GENESIS:
        expected_seal = seal_anchor(key, head.anchor_seq, head.anchor_hash, head.purged)
        if head.anchor_seal is None or not hmac.compare_digest(head.anchor_seal, expected_seal):
            return bad(head.anchor_seq, "the chain's anchor does not carry its seal")
    want_seq, want_prev = head.anchor_seq, head.anchor_hash
    for entry in entries:
        if entry.seq != want_seq:
            return bad(min(entry.seq, want_seq), f"seq {want_seq} expected, seq {entry.seq} found")
        if entry.prev_hash != want_prev:
            return bad(entry.seq, "prev_hash is not the hash of the entry before")
        if not hmac.compare_digest(entry.hash, entry_hash(key, entry)):
            return bad(entry.seq, "hash does not match the entry's fields")
        checked += 1
        want_seq, want_prev = entry.seq + 1, entry.hash
    if want_seq - 1 != head.seq:
        if want_seq - 1 < head.seq:
            return bad(want_seq, f"entries end at seq {want_seq - 1}, the head at seq {head.seq}")
        return bad(head.seq + 1, f"entries go on past the head's seq {head.seq}")
    if want_prev != head.hash:
        return bad(head.seq, "the last entry's hash is not the head's")
    return Verdict(
        ok=True,
        checked=checked,
        head_seq=head.seq,
        head_hash=head.hash,
        anchor_seq=head.anchor_seq,
        purged=head.purged,
    )
