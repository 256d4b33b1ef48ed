"""Alert hits folded into one upsert row per alert (graph.alerts.folded), without servers."""

from __future__ import annotations

from typing import Any

from graph.alerts import folded


def hit(alert: str, subject: str | None, at: int, reason: str = "no mechanism") -> dict[str, Any]:
    return {
        "id": alert,
        "kind": "unapproved_transfer",
        "severity": "high",
        "store": "brevo/contacts",
        "chain": ["brevo", "twilio"],
        "country": "US",
        "reason": reason,
        "mechanism": None,
        "subject": subject,
        "at": at,
        "event_id": f"e:{subject}:{at}",
    }


class TestFolded:
    def test_one_row_per_alert_with_its_span_and_its_people(self) -> None:
        rows = folded([hit("a", "k2", 30), hit("b", "k1", 5), hit("a", "k1", 10), hit("a", "k2", 20)])
        assert [r["id"] for r in rows] == ["a", "b"]
        a = rows[0]
        assert (a["first_at"], a["last_at"], a["subjects"]) == (10, 30, ["k1", "k2"])
        assert not {"at", "subject", "event_id"} & a.keys()

    def test_a_hit_naming_nobody_still_dates_the_alert(self) -> None:
        (row,) = folded([hit("a", None, 7), hit("a", "k1", 9)])
        assert (row["first_at"], row["last_at"], row["subjects"]) == (7, 9, ["k1"])

    def test_the_last_hit_words_the_alert(self) -> None:
        (row,) = folded([hit("a", "k1", 1, "old reason"), hit("a", "k1", 2, "new reason")])
        assert row["reason"] == "new reason"

    def test_alerts_come_in_one_order_whatever_the_batch(self) -> None:
        """Both stages upsert the same alerts at once: in one order they wait, never deadlock."""
        hits = [hit("c", "k1", 1), hit("a", "k1", 2), hit("b", "k2", 3)]
        assert [r["id"] for r in folded(hits)] == [r["id"] for r in folded(hits[::-1])] == ["a", "b", "c"]
