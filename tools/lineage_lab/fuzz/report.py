"""What a fuzz run found, as text or JSON, and whether it passes.

It passes when, in every leg, nothing crashed (no exception escaped normalise, the record-stage
code or the receiver, none was caught by normalise's safety net, no encoded event was refused
on decode), no answer was 5xx, every refused payload was dead-lettered (or answered) with a
reason, and no injected address or phone number was found anywhere scanned. Slow payloads are
reported, not judged: no gate names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lineage_lab.fuzz.findings import FindingBook
from lineage_lab.fuzz.harness import LegResult

COLUMNS = (
    "payloads",
    "accepted",
    "refused",
    "dead_letter_share",
    "canonical_events",
    "crashes",
    "internal_errors",
    "roundtrip_failures",
    "http_5xx",
    "slow_payloads",
    "leaks_total",
)


def passed(legs: Sequence[LegResult]) -> bool:
    return not any(leg.failing for leg in legs)


def as_dict(legs: Sequence[LegResult], book: FindingBook, command: str) -> dict[str, Any]:
    return {
        "command": command,
        "passed": passed(legs),
        "legs": {leg.leg: leg.as_dict() for leg in legs},
        "findings": [finding.as_dict() for finding in book],
    }


def _row(name: str, figures: dict[str, Any]) -> str:
    cells = [f"{figures[c]:.2%}" if c == "dead_letter_share" else str(figures[c]) for c in COLUMNS]
    leaks = figures["leaks"]
    where = ", ".join(f"{k}={v}" for k, v in leaks.items()) if leaks else ""
    return f"{name:<11}" + "".join(f"{cell:>12}" for cell in cells) + (f"  ({where})" if where else "")


def as_text(legs: Sequence[LegResult], book: FindingBook) -> str:
    lines = []
    for leg in legs:
        lines.append(f"\n== {leg.leg} ({leg.seconds:.0f}s) ==")
        lines.append(" " * 11 + "".join(f"{c[:11]:>12}" for c in COLUMNS))
        for source, tally in leg.tallies.items():
            lines.append(_row(source, tally.as_dict()))
        lines.append(_row("TOTAL", leg.total().as_dict()))
        lines += [f"  {key}: {value}" for key, value in leg.extra.items()]
    lines.append(f"\n== findings ({len(book)} distinct) ==")
    for f in book:
        lines.append(
            f"- [{f.leg}] {f.source} {f.problem.kind} at {f.problem.location}: "
            f"{f.problem.detail} (x{f.count}; mutation {f.mutation})"
        )
        lines.append(f"    example: {f.as_dict()['example']}")
    lines.append("\nPASS" if passed(legs) else "\nFAIL: crashes, 5xx, leaks or refusals without a reason")
    return "\n".join(lines)
