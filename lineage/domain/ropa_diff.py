"""What changed between a previous export of the record of processing and the current record.

Art. 30 asks for a record kept up to date; a DPO re-filing it needs to know which activities
appeared or went, and for the others which cells changed (a new recipient, a different legal
basis, a transfer that lost its safeguard). The previous record is read back from either export
(CSV or JSON), so a file kept months ago still compares.

The people counts (``subjects_observed``, ``consent_withdrawn``, ``consent_given``) are not
compared: they move with every event, and a diff that is never empty tells a reviewer nothing.
Columns one record has and the other lacks (an export from before a column existed) are named
once, not reported as a change in every row.

Pure: the caller reads the file and builds the current rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, get_origin, get_type_hints

from lineage.domain.ropa import RECIPIENT_ONLY, UNDECLARED, RopaRow, record_json
from lineage.errors import QueryError

Value = tuple[str, ...] | str
Entry = dict[str, Value]

NOT_COMPARED = frozenset({"subjects_observed", "consent_withdrawn", "consent_given"})
_JOIN = "; "
_KEY_FIELDS = ("system", "purpose")
LIST_FIELDS = frozenset(name for name, hint in get_type_hints(RopaRow).items() if get_origin(hint) is tuple)
COLUMNS = tuple(f.name for f in fields(RopaRow))


@dataclass(frozen=True)
class FieldChange:
    """One cell that changed; for a list, the items that appeared and those that went."""

    field: str
    before: Value
    after: Value
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActivityChange:
    key: str
    activity: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class RecordDiff:
    """Activities are named by ``system / purpose`` (the store too for an undeclared one)."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[ActivityChange, ...]
    columns_added: tuple[str, ...]
    columns_removed: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def parse_record(text: str, name: str = "") -> list[Entry]:
    """A previous export, CSV or JSON: by the file's extension, else by its first character.

    Refused with what is wrong when it is neither, or lacks the columns an activity is known by.
    """
    lowered = name.lower()
    as_json = lowered.endswith(".json") or (not lowered.endswith(".csv") and text.lstrip().startswith("["))
    rows = _json_rows(text) if as_json else _csv_rows(text)
    return [_entry(row, from_csv=not as_json) for row in rows]


def _json_rows(text: str) -> list[Mapping[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QueryError(f"previous record: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise QueryError("previous record: a JSON export is a list of activities (objects)")
    return [_with_key_fields(row) for row in data]


def _csv_rows(text: str) -> list[Mapping[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise QueryError("previous record: the CSV export is empty (no header)")
    return [_with_key_fields(row) for row in reader]


def _with_key_fields(row: Mapping[str, Any]) -> Mapping[str, Any]:
    missing = [k for k in ("activity", *_KEY_FIELDS) if k not in row]
    if missing:
        raise QueryError(
            f"previous record: not a record of processing export (no {', '.join(missing)} column)"
        )
    return row


def _entry(row: Mapping[str, Any], from_csv: bool) -> Entry:
    return {name: _value(name, value, from_csv) for name, value in row.items() if name is not None}


def _value(name: str, value: object, from_csv: bool) -> Value:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    text = "" if value is None else str(value)
    if from_csv and name in LIST_FIELDS:
        return tuple(text.split(_JOIN)) if text else ()
    return text


def record_entries(rows: Sequence[RopaRow]) -> list[Entry]:
    """The current record in the shape a previous export is read into."""
    return [_entry(row, from_csv=False) for row in record_json(rows)]


def key_of(entry: Entry) -> str:
    """``system / purpose``; an undeclared store's row is known by its store too, a recipient's
    that receives from no activity by its name."""
    key = f"{entry['system']} / {entry['purpose']}"
    if entry["system"] == UNDECLARED:
        key += f" / {_JOIN.join(_as_tuple(entry.get('stores', ())))}"
    if entry["system"] == RECIPIENT_ONLY:
        key += f" / {entry['activity']}"
    return key


def diff_records(previous: Sequence[Entry], current: Sequence[Entry]) -> RecordDiff:
    """Added, removed and changed activities, in the current record's order (removed: the
    previous record's)."""
    before = {key_of(e): e for e in previous}
    after = {key_of(e): e for e in current}
    old_columns = _columns(previous)
    new_columns = _columns(current)
    compared = [c for c in new_columns if c in old_columns and c not in NOT_COMPARED]
    changed = []
    for key, entry in after.items():
        if key in before and (changes := _changes(before[key], entry, compared)):
            changed.append(ActivityChange(key, str(entry["activity"]), changes))
    return RecordDiff(
        added=tuple(k for k in after if k not in before),
        removed=tuple(k for k in before if k not in after),
        changed=tuple(changed),
        columns_added=tuple(c for c in new_columns if c not in old_columns),
        columns_removed=tuple(c for c in old_columns if c not in new_columns),
    )


def _columns(entries: Sequence[Entry]) -> tuple[str, ...]:
    """The columns present, in the record's own order first; an empty record has them all."""
    seen = dict.fromkeys(name for e in entries for name in e) if entries else dict.fromkeys(COLUMNS)
    return tuple(sorted(seen, key=lambda c: (COLUMNS.index(c) if c in COLUMNS else len(COLUMNS), c)))


def _changes(before: Entry, after: Entry, compared: Sequence[str]) -> tuple[FieldChange, ...]:
    changes = []
    for name in compared:
        old, new = before.get(name, ""), after.get(name, "")
        if isinstance(old, tuple) or isinstance(new, tuple):
            old_items, new_items = _as_tuple(old), _as_tuple(new)
            if set(old_items) != set(new_items):
                added = tuple(i for i in new_items if i not in old_items)
                removed = tuple(i for i in old_items if i not in new_items)
                changes.append(FieldChange(name, old_items, new_items, added, removed))
        elif old != new:
            changes.append(FieldChange(name, old, new))
    return tuple(changes)


def _as_tuple(value: Value) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return value
    return tuple(value.split(_JOIN)) if value else ()


def diff_json(diff: RecordDiff) -> dict[str, Any]:
    """Plain dicts and lists, ready for ``json.dumps``."""
    return {
        "added": list(diff.added),
        "removed": list(diff.removed),
        "changed": [
            {
                "key": change.key,
                "activity": change.activity,
                "fields": [
                    {
                        "field": f.field,
                        "before": _plain(f.before),
                        "after": _plain(f.after),
                        "added": list(f.added),
                        "removed": list(f.removed),
                    }
                    for f in change.changes
                ],
            }
            for change in diff.changed
        ],
        "columns_added": list(diff.columns_added),
        "columns_removed": list(diff.columns_removed),
    }


def _plain(value: Value) -> object:
    return list(value) if isinstance(value, tuple) else value


def diff_summary(diff: RecordDiff) -> str:
    """``N added, M removed, K changed``: the line a CI log or a DPO reads first."""
    if diff.empty:
        return "no change to the record"
    return f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"
