"""Identity resolution: which identifiers belong to which subject, planned without I/O.

A person reaches lineage under several identifiers (hashed e-mail, CRM id, ATS id). Each is an
``Identifier`` node pointing at one ``Subject``. An event whose ``subject.links`` joins
identifiers of two subjects merges them. The subject's key is always the smallest identifier
key of the group, so the outcome does not depend on the order events arrive in, and a replay
from offset 0 ends in the same graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class IdentityPlan:
    """What one batch must change: identifiers to (re)attach, subjects to fold into others."""

    attach: list[dict[str, object]] = field(default_factory=list)  # {winner, identifiers}
    merges: list[dict[str, str]] = field(default_factory=list)  # {winner, loser}

    def __bool__(self) -> bool:
        return bool(self.attach or self.merges)


class _UnionFind:
    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self._parent.setdefault(item, item)
        while self._parent[item] != item:
            self._parent[item] = self._parent[self._parent[item]]
            item = self._parent[item]
        return item

    def union(self, items: Iterable[str]) -> None:
        roots = [self.find(i) for i in items]
        for root in roots[1:]:
            self._parent[root] = roots[0]

    def components(self) -> list[set[str]]:
        groups: dict[str, set[str]] = {}
        for item in list(self._parent):
            groups.setdefault(self.find(item), set()).add(item)
        return list(groups.values())


def plan_identities(
    groups: Sequence[Sequence[str]], known: Mapping[str, str], members: Mapping[str, Sequence[str]]
) -> IdentityPlan:
    """Plan the identity changes of a batch.

    Args:
        groups: per event, its key followed by its links (identifiers of one person).
        known: identifier -> subject key, for the identifiers already in the graph.
        members: subject key -> all its identifiers, for every subject in ``known``'s values.
    """
    union = _UnionFind()
    for group in groups:
        union.union(group)
    for identifiers in members.values():
        union.union(identifiers)
    plan = IdentityPlan()
    for component in union.components():
        winner = min(component)
        moving = sorted(i for i in component if known.get(i) != winner)
        if moving:
            plan.attach.append({"winner": winner, "identifiers": moving})
        losers = sorted({known[i] for i in component if i in known} - {winner})
        plan.merges += [{"winner": winner, "loser": loser} for loser in losers]
    return plan


def needs_lookup(groups: Sequence[Sequence[str]], known: Mapping[str, str]) -> bool:
    """False on the fast path: every event names one identifier the graph already has."""
    return any(len(group) > 1 or group[0] not in known for group in groups)
