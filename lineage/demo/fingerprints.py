"""Comparing two graph fingerprints line by line, to say *what* differs, not only *that* it does.

A fingerprint (:meth:`graph.reader.GraphReader.fingerprint`) is one sorted line per holding,
``|``-separated, opening with the subject key, the store and the category: those three name
the holding, the rest are its properties. Two runs of one feed are compared holding by holding:
lost (in the reference only), extra (in the other only, or there more than once) and differing
(both have it, with other properties), with the properties that differ named and counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("subject", "store", "category", "state", "first_seen", "last_seen", "last_event_id",
          "erased_at", "consent_withdrawn_at", "expires_at", "subject_types", "identifiers")
"""The properties of a line of ``GRAPH_FINGERPRINT``, in its order."""
KEY_FIELDS = 3


def _key(line: str) -> str:
    return "|".join(line.split("|")[:KEY_FIELDS])


def _field_name(index: int) -> str:
    return FIELDS[index] if index < len(FIELDS) else f"field_{index}"


def differing_fields(reference: str, other: str) -> dict[str, tuple[str, str]]:
    """Per property that differs between two lines of one holding: (reference, other)."""
    left, right = reference.split("|"), other.split("|")
    width = max(len(left), len(right))
    left, right = left + [""] * (width - len(left)), right + [""] * (width - len(right))
    return {_field_name(i): (a, b) for i, (a, b) in enumerate(zip(left, right, strict=True))
            if a != b}


@dataclass(frozen=True)
class FingerprintDiff:
    """Where ``other`` departs from ``reference``; empty lists mean the same graph."""

    reference_lines: int
    other_lines: int
    lost: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    differing: list[tuple[str, str]] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (self.lost or self.extra or self.differing)

    def field_counts(self) -> dict[str, int]:
        """How many differing holdings differ in each property."""
        counts: Counter[str] = Counter()
        for reference, other in self.differing:
            counts.update(differing_fields(reference, other).keys())
        return dict(counts.most_common())

    def summary(self, examples: int = 5) -> dict[str, Any]:
        """Counts, the properties that differ, and a few of each kind of line as evidence
        (subject keys are keyed hashes: no personal data)."""
        return {
            "reference_lines": self.reference_lines, "other_lines": self.other_lines,
            "lost": len(self.lost), "extra": len(self.extra), "differing": len(self.differing),
            "identical": self.identical, "differing_fields": self.field_counts(),
            "examples": {
                "lost": self.lost[:examples], "extra": self.extra[:examples],
                "differing": [{"holding": _key(a), "fields": differing_fields(a, b)}
                              for a, b in self.differing[:examples]],
            },
        }


def compare(reference: list[str], other: list[str]) -> FingerprintDiff:
    """Holding by holding; a holding present twice counts as extra (a duplicate)."""
    ours, theirs = _by_key(reference), _by_key(other)
    lost = [line for key, lines in ours.items() if key not in theirs for line in lines]
    extra = [line for key, lines in theirs.items() if key not in ours for line in lines]
    differing = []
    for key in ours.keys() & theirs.keys():
        mine, yours = ours[key], theirs[key]
        extra += yours[len(mine):]
        lost += mine[len(yours):]
        differing += [(a, b) for a, b in zip(mine, yours, strict=False) if a != b]
    return FingerprintDiff(len(reference), len(other), sorted(lost), sorted(extra),
                           sorted(differing))


def _by_key(lines: list[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for line in lines:
        grouped.setdefault(_key(line), []).append(line)
    return grouped
