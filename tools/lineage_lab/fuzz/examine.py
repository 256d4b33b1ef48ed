"""One payload through the worker's own code, in-process: what came out and what went wrong.

The path is the worker's: :func:`streams.processing.normalise` (JSON parse and adapter), the
dead-letter record it would publish, then for each canonical event what the record agent does
with it short of Neo4j: encode and :func:`~streams.processing.decode_canonical`,
:func:`graph.writer.rows_for` with the batch's expiry targets, the expiry of every holding the
event writes (through :func:`graph.retention.expiry_rows`, as the writer's transaction runs it),
and :func:`lineage.domain.alerts.alert_hits`. Pure and synchronous, so it is also the predicate
that shrinks a failing payload to a minimal one.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from graph.retention import expiry_rows
from graph.writer import rows_for
from lineage.adapters.base import Adapter
from lineage.answers.alerting import unapproved_flows, unapproved_moves
from lineage.domain.alerts import alert_hits
from lineage.domain.catalog import Catalog
from lineage.domain.events import DataMovementEvent, encode_event
from lineage.domain.personal_data import redact
from lineage.domain.retention import Moment, RetentionPolicy
from lineage.domain.subjects import SubjectHasher
from lineage.domain.transfer_chains import TransferHop
from lineage.sources import build_adapters
from lineage_lab.fuzz.mutations import Mutant
from lineage_lab.fuzz.scan import CapturedLogs, leak_kind, leaks
from streams.processing import DeadLetter, decode_canonical, normalise

INTERNAL_ERROR = "internal error in the adapter"
_OWN_CODE = ("lineage", "streams", "graph")


@dataclass(frozen=True)
class Observation:
    """Something wrong with one payload. ``signature`` groups the same bug across payloads."""

    kind: str  # crash | internal_error | leak | missing_reason | roundtrip
    location: str
    signature: str
    detail: str


@dataclass
class Outcome:
    """What one payload became, and what went wrong on the way."""

    accepted: bool = False
    refused: bool = False
    reason: str | None = None
    events: int = 0
    encoded: list[bytes] = field(default_factory=list)
    problems: list[Observation] = field(default_factory=list)


@dataclass
class Pipeline:
    """The worker's pure parts, built once from the catalog as ``LiveCatalog`` builds them."""

    adapters: Mapping[str, Adapter]
    hasher: SubjectHasher
    policy: RetentionPolicy
    unapproved: dict[str, list[TransferHop]]
    moves: dict[tuple[str, str], list[TransferHop]]
    received_at: datetime
    logs: CapturedLogs | None = None

    @classmethod
    def build(
        cls, catalog: Catalog, key: bytes, received_at: datetime, logs: CapturedLogs | None = None
    ) -> Pipeline:
        today = date.today()
        return cls(
            build_adapters(catalog),
            SubjectHasher(key),
            RetentionPolicy(catalog),
            unapproved_flows(catalog, today),
            unapproved_moves(catalog, today),
            received_at,
            logs,
        )


def _where(exc: BaseException) -> str:
    """The innermost frame in lineage's own code: where the owner should look."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if any(f"/{part}/" in f.filename for part in _OWN_CODE)]
    if not (own or frames):
        return "?"
    frame = (own or frames)[-1]
    parts = Path(frame.filename).parts
    start = max((i for i, p in enumerate(parts) if p in _OWN_CODE), default=len(parts) - 1)
    return f"{'/'.join(parts[start:])}:{frame.lineno} ({frame.name})"


def crash(location: str, exc: BaseException, kind: str = "crash") -> Observation:
    where = _where(exc)
    message = redact(str(exc))[:200]
    return Observation(
        kind, location, f"{type(exc).__name__} at {where}", f"{type(exc).__name__}: {message} at {where}"
    )


def _shape(found: str) -> str:
    """The form of a leak without its numbers: one signature per form, not per address."""
    return re.sub(r"\d+", "N", found)


def leak_observations(location: str, text: str) -> list[Observation]:
    """One observation per leak in ``text``, with the text around it (which logger, which field)."""
    found = []
    for leak in leaks(text):
        at = text.find(leak)
        context = text[max(0, at - 100) : at + len(leak) + 40].replace("\n", " ")
        found.append(
            Observation(
                "leak",
                location,
                f"{leak_kind(leak)} {_shape(leak)}",
                f"{leak_kind(leak)} {leak!r} in ...{context}...",
            )
        )
    return found


def _holding_inputs(event: DataMovementEvent) -> list[dict[str, Any]]:
    """The rows the writer's expiry query would read back for the holdings this event writes
    (as if new): the moments it sets, store-wide ones included, and the first sighting."""
    rows = rows_for([event])
    wide = {(r["subject"], r["store"]): r["marks"] for r in rows.clocks}
    inputs = []
    for index, row in enumerate(rows.holdings):
        marks = {*row["marks"], *wide.get((row["subject"], row["store"]), ()), Moment.FIRST_SEEN.value}
        moments = {f"{m}_ms": row["at"] for m in marks} | {f"{m}_event": row["event_id"] for m in marks}
        inputs.append(
            {
                "id": f"h{index}",
                "store": row["store"],
                "category": row["category"],
                "purposes": [row["purpose"]] if row["purpose"] else [],
                **moments,
            }
        )
    return inputs


def record_stage(pipeline: Pipeline, event: DataMovementEvent, outcome: Outcome) -> None:
    """What the record agent does with one event before and around its Neo4j write."""
    try:
        raw = encode_event(event)
    except Exception as exc:
        outcome.problems.append(crash("record:encode", exc))
        return
    outcome.encoded.append(raw)
    outcome.problems += leak_observations("canonical_events", raw.decode("utf-8", "replace"))
    steps = (
        ("record:decode", lambda: decode_canonical(raw)),
        ("record:rows_for", lambda: rows_for([event]).holding_writes(pipeline.policy)),
        ("record:retention", lambda: expiry_rows(pipeline.policy, _holding_inputs(event))),
        ("record:alert_hits", lambda: alert_hits([event], pipeline.unapproved, pipeline.moves)),
    )
    for location, step in steps:
        try:
            result = step()
        except Exception as exc:
            outcome.problems.append(crash(location, exc))
            continue
        if isinstance(result, DeadLetter):
            outcome.problems.append(
                Observation(
                    "roundtrip",
                    location,
                    result.reason[:120],
                    f"an encoded event is refused: {result.reason[:300]}",
                )
            )


def _dead_letter(letter: DeadLetter, outcome: Outcome) -> None:
    outcome.refused, outcome.reason = True, letter.reason
    if not letter.reason.strip():
        outcome.problems.append(Observation("missing_reason", "dead_letter_reasons", "empty reason", ""))
    if letter.reason.startswith(INTERNAL_ERROR):
        outcome.problems.append(Observation("internal_error", "normalise", letter.reason, letter.reason))
    outcome.problems += leak_observations("dead_letter_reasons", letter.reason)
    try:
        letter.to_json()
    except Exception as exc:  # the agent would raise while publishing it
        outcome.problems.append(crash("dead_letter_record", exc))


def examine(pipeline: Pipeline, mutant: Mutant) -> Outcome:
    """Runs one payload as the worker would, and says what it became and what went wrong."""
    outcome = Outcome()
    if pipeline.logs is not None:
        pipeline.logs.take()
    try:
        result = normalise(
            mutant.source, mutant.body, pipeline.adapters, pipeline.hasher, {}, pipeline.received_at
        )
    except Exception as exc:
        outcome.problems.append(crash("normalise", exc))
        result = None
    if isinstance(result, DeadLetter):
        _dead_letter(result, outcome)
    elif result is not None:
        outcome.accepted, outcome.events = True, len(result)
        for event in result:
            record_stage(pipeline, event, outcome)
    if pipeline.logs is not None:
        for line in pipeline.logs.take():
            outcome.problems += leak_observations("logs", line)
    return outcome
