"""Comparing two graph fingerprints line by line, to say *what* differs, not only *that* it does.

Two fingerprints are compared, each as a list of sorted lines:

- the holdings (:meth:`graph.reader.GraphReader.fingerprint`): one ``|``-separated line per
  holding, opening with the subject key, the store and the category, which name the holding;
- the whole graph (:func:`lineage_lab.fingerprint.graph_fingerprint`): one line per node,
  ``(Label key) {properties}``, and per relationship, ``(A a)-[TYPE {properties}]->(B b)``.

Entries are matched by name: lost (in the reference only), extra (in the other only, or there
more than once) and differing (both have it, with other properties), with the properties that
differ named and counted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HOLDING_FIELDS = (
    "subject",
    "store",
    "category",
    "state",
    "first_seen",
    "last_seen",
    "last_event_id",
    "erased_at",
    "consent_withdrawn_at",
    "expires_at",
    "subject_types",
    "identifiers",
)
"""The properties of a line of ``GRAPH_FINGERPRINT``, in its order."""


@dataclass(frozen=True)
class LineFormat:
    """How to read one kind of fingerprint line: what names its entry, what its properties are."""

    name: Callable[[str], str]
    properties: Callable[[str], dict[str, Any]]


def _holding_name(line: str) -> str:
    return "|".join(line.split("|")[:3])


def _holding_properties(line: str) -> dict[str, Any]:
    values = line.split("|")
    return {HOLDING_FIELDS[i] if i < len(HOLDING_FIELDS) else f"field_{i}": v for i, v in enumerate(values)}


def _relationship_parts(line: str) -> tuple[str, str, str, str] | None:
    """(source, type, properties JSON, target) of a relationship line, None for a node line."""
    if ")-[" not in line or "]->(" not in line:
        return None
    source, rest = line.split(")-[", 1)
    inside, target = rest.rsplit("]->(", 1)
    kind, _, props = inside.partition(" ")
    return source + ")", kind, props, "(" + target


def _graph_name(line: str) -> str:
    parts = _relationship_parts(line)
    if parts is not None:
        return f"{parts[0]}-[{parts[1]}]->{parts[3]}"
    name = line.split(") ", 1)[0] + ")"
    return line if "{" in name else name  # a node without a key is named by all it holds


def _graph_properties(line: str) -> dict[str, Any]:
    parts = _relationship_parts(line)
    label, text = (parts[1], parts[2]) if parts else (line[1:].split(" ", 1)[0], line.split(") ", 1)[-1])
    try:
        props = json.loads(text)
    except ValueError:
        props = {"": text}
    return {f"{label}.{k}": v for k, v in props.items()} if isinstance(props, dict) else {}


HOLDINGS = LineFormat(_holding_name, _holding_properties)
GRAPH = LineFormat(_graph_name, _graph_properties)


def differing_fields(reference: str, other: str, fmt: LineFormat = HOLDINGS) -> dict[str, tuple[Any, Any]]:
    """Per property that differs between two lines of one entry: (reference, other)."""
    left, right = fmt.properties(reference), fmt.properties(other)
    return {
        key: (left.get(key), right.get(key))
        for key in sorted(left.keys() | right.keys())
        if left.get(key) != right.get(key)
    }


@dataclass(frozen=True)
class FingerprintDiff:
    """Where ``other`` departs from ``reference``; empty lists mean the same graph."""

    reference_lines: int
    other_lines: int
    lost: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    differing: list[tuple[str, str]] = field(default_factory=list)
    fmt: LineFormat = HOLDINGS

    @property
    def identical(self) -> bool:
        return not (self.lost or self.extra or self.differing)

    def field_counts(self) -> dict[str, int]:
        """How many differing entries differ in each property."""
        counts: Counter[str] = Counter()
        for reference, other in self.differing:
            counts.update(differing_fields(reference, other, self.fmt).keys())
        return dict(counts.most_common())

    def summary(self, examples: int = 5) -> dict[str, Any]:
        """Counts, the properties that differ, and a few of each kind of line as evidence
        (subject keys are keyed hashes: no personal data)."""
        return {
            "reference_lines": self.reference_lines,
            "other_lines": self.other_lines,
            "lost": len(self.lost),
            "extra": len(self.extra),
            "differing": len(self.differing),
            "identical": self.identical,
            "differing_fields": self.field_counts(),
            "examples": {
                "lost": self.lost[:examples],
                "extra": self.extra[:examples],
                "differing": [
                    {"entry": self.fmt.name(a), "fields": differing_fields(a, b, self.fmt)}
                    for a, b in self.differing[:examples]
                ],
            },
        }


def compare(reference: list[str], other: list[str], fmt: LineFormat = HOLDINGS) -> FingerprintDiff:
    """Entry by entry; an entry present twice counts as extra (a duplicate)."""
    ours, theirs = _by_name(reference, fmt), _by_name(other, fmt)
    lost = [line for key, lines in ours.items() if key not in theirs for line in lines]
    extra = [line for key, lines in theirs.items() if key not in ours for line in lines]
    differing = []
    for key in ours.keys() & theirs.keys():
        mine, yours = ours[key], theirs[key]
        extra += yours[len(mine) :]
        lost += mine[len(yours) :]
        differing += [(a, b) for a, b in zip(mine, yours, strict=False) if a != b]
    return FingerprintDiff(len(reference), len(other), sorted(lost), sorted(extra), sorted(differing), fmt)


def _by_name(lines: list[str], fmt: LineFormat) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for line in sorted(lines):
        grouped.setdefault(fmt.name(line), []).append(line)
    return grouped
