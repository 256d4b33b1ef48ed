"""``lineage-lab bench``'s ceiling arithmetic and report, without servers."""

from __future__ import annotations

import pytest

from lineage.runner import vm_hwm_bytes
from lineage_lab.bench import ceiling
from lineage_lab.bench.ceiling import StageRate, chunks, format_report, report, scaled_events, timed


def _stages() -> list[StageRate]:
    return [
        StageRate(ceiling.ADAPT, 10_000, "events", 1.0, 10_000),
        StageRate(ceiling.KAFKA_ROUND_TRIP, 8_000, "messages", 1.0, 8_000),
        StageRate(ceiling.GRAPH_BATCHED, 5_000, "events", 1.0, 5_000),
        StageRate(ceiling.GRAPH_PER_EVENT, 2_000, "events", 10.0, 2_000),
    ]


END_TO_END = StageRate(ceiling.END_TO_END, 5_000, "events", 5.0, 5_000)


class TestStageRate:
    def test_rates_divide_by_wall_time(self) -> None:
        rate = StageRate(ceiling.KAFKA_ROUND_TRIP, 300, "messages", 2.0, 600)
        assert (rate.per_s, rate.events_per_s) == (150, 300)

    def test_zero_time_is_infinite_not_an_error(self) -> None:
        assert StageRate(ceiling.ADAPT, 1, "events", 0.0, 1).per_s == float("inf")

    def test_dict_rounds_and_names_the_stage(self) -> None:
        doc = StageRate(ceiling.ADAPT, 10, "events", 3.0, 10).as_dict()
        assert doc["per_s"] == 3 and doc["seconds"] == 3.0
        assert "adapters" in doc["what"]


class TestCeiling:
    def test_end_to_end_beside_the_per_event_writer(self) -> None:
        assert ceiling.ceiling(_stages(), END_TO_END) == {"end_to_end_vs_per_event": 5.0}

    def test_without_a_per_event_stage_its_ratio_is_none(self) -> None:
        assert ceiling.ceiling(_stages()[:3], END_TO_END)["end_to_end_vs_per_event"] is None

    def test_kafka_messages_scale_to_events(self) -> None:
        assert scaled_events(1000, payloads=1000, events=1500) == 1500
        assert scaled_events(5, payloads=0, events=0) == 0


class TestReport:
    def test_json_document_lists_every_stage_in_order(self) -> None:
        doc = report(_stages(), END_TO_END, 200 * 2**20)
        assert list(doc["stages"]) == [
            ceiling.ADAPT,
            ceiling.KAFKA_ROUND_TRIP,
            ceiling.GRAPH_BATCHED,
            ceiling.GRAPH_PER_EVENT,
            ceiling.END_TO_END,
        ]
        assert doc["worker_peak_rss_bytes"] == 200 * 2**20

    def test_text_states_rates_ratios_and_rss(self) -> None:
        text = format_report(report(_stages(), END_TO_END, 200 * 2**20))
        lines = text.splitlines()
        assert lines[1].startswith("kafka_round_trip") and "(8,000 messages/s)" in lines[1]
        assert "end to end = 5.00x the per-event writer" in text
        assert "worker peak RSS (VmHWM): 200 MiB" in lines
        assert "slowest" not in text

    def test_unknown_rss_ratio_and_cpu_read_n_a(self) -> None:
        text = format_report(report(_stages()[:3], END_TO_END, None))
        assert "n/a the per-event writer" in text and "VmHWM): n/a" in text
        assert text.endswith("CPU per event: n/a (the servers' CPU is not this machine's to read)")


class TestHelpers:
    def test_chunks_keep_order_and_the_short_tail(self) -> None:
        assert [list(c) for c in chunks([1, 2, 3, 4, 5], 2)] == [[1, 2], [3, 4], [5]]

    def test_timed_returns_the_result(self) -> None:
        result, seconds = timed(lambda: 42)
        assert result == 42 and seconds >= 0

    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            ("Name:\tpython\nVmPeak:\t  900 kB\nVmHWM:\t  169260 kB\nVmRSS:\t 1 kB\n", 169260 * 1024),
            ("Name:\tpython\n", None),
        ],
    )
    def test_vm_hwm_is_read_in_bytes(self, status: str, expected: int | None) -> None:
        assert vm_hwm_bytes(status) == expected


def _metered_stages() -> list[StageRate]:
    return [
        StageRate(ceiling.ADAPT, 10_000, "events", 1.0, 10_000, {"bench": 0.7}),
        StageRate(ceiling.KAFKA_ROUND_TRIP, 8_000, "messages", 1.0, 8_000, {"bench": 0.6, "kafka": 0.2}),
        StageRate(ceiling.GRAPH_BATCHED, 5_000, "events", 1.0, 5_000, {"neo4j": 0.25, "bench": 0.05}),
        StageRate(ceiling.GRAPH_PER_EVENT, 2_000, "events", 10.0, 2_000, {"neo4j": 6.0}),
        StageRate(ceiling.GRAPH_WRITER, 5_000, "events", 2.5, 5_000, {"neo4j": 2.0, "bench": 0.5}),
    ]


class TestCpuCost:
    def test_the_bare_stages_sum_and_the_efficiency_is_their_share_of_end_to_end(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(ceiling.os, "cpu_count", lambda: 2)
        run = StageRate(
            ceiling.END_TO_END,
            5_000,
            "events",
            5.0,
            5_000,
            {"worker": 0.9, "neo4j": 0.6, "kafka": 0.1, "publisher": 0.5},
        )
        assert run.cpu_us_per_event() == {"worker": 180, "neo4j": 120, "kafka": 20, "publisher": 100}
        cpu = ceiling.cpu_per_event(_metered_stages(), run)
        assert cpu is not None
        # adapt 70 + round trip 100 (of 8,000 events) + batched 60; the baselines left out
        assert cpu["bare_us_per_event"] == {"adapt": 70, "kafka_round_trip": 100, "graph_batched": 60}
        assert (cpu["bare_sum_us_per_event"], cpu["pipeline_sum_us_per_event"]) == (230, 420)
        assert (cpu["efficiency"], cpu["cpu_bound_events_per_s"]) == (0.55, 4_762)
        assert {k: t["met"] for k, t in cpu["targets"].items()} == {
            "efficiency": True,
            "neo4j_us_per_event": True,
            "worker_us_per_event": True,
        }

    def test_each_target_says_whether_it_is_met(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(ceiling.os, "cpu_count", lambda: 2)
        run = StageRate(
            ceiling.END_TO_END, 5_000, "events", 5.0, 5_000, {"worker": 1.5, "neo4j": 2.0, "kafka": 0.1}
        )
        more = StageRate(ceiling.end_to_end_name(2), 5_000, "events", 5.0, 5_000, {"worker": 2.3})
        doc = report(_metered_stages(), run, None, [more])
        targets = doc["cpu"]["targets"]
        assert targets["efficiency"] == {"target": 0.5, "at_least": True, "measured": 0.32, "met": False}
        assert targets["neo4j_us_per_event"] == {
            "target": 150,
            "at_least": False,
            "measured": 400,
            "met": False,
        }
        assert targets["worker_us_per_event"]["met"] is False
        assert doc["cpu"]["more_workers"] == {
            "end_to_end_2_workers": {"pipeline_sum_us_per_event": 460, "efficiency": 0.5}
        }
        lines = format_report(doc).splitlines()
        assert "  bare stages   adapt 70 + kafka_round_trip 100 + graph_batched 60 = 230" in lines
        assert any(
            line.startswith("  end_to_end    worker 300 + neo4j 400 + kafka 20 = 720")
            and "2 cores allow at most 2,778 events/s" in line
            for line in lines
        )
        assert any(
            line.split()
            == ["efficiency", "(bare", "/", "end", "to", "end)", "0.32", "target", ">=", "0.5", "met:", "no"]
            for line in lines
        )
        assert any(
            line.split() == ["neo4j", "µs/event", "400", "target", "<=", "150", "met:", "no"]
            for line in lines
        )
        assert "lineage's graph writer alone (500 µs of CPU an event)" in format_report(doc)

    def test_a_missing_process_figure_is_not_a_target_met(self) -> None:
        run = StageRate(ceiling.END_TO_END, 5_000, "events", 5.0, 5_000, {"neo4j": 0.5})
        cpu = ceiling.cpu_per_event(_metered_stages(), run)
        assert cpu is not None and cpu["targets"]["worker_us_per_event"]["met"] is None

    def test_without_cpu_figures_nothing_is_claimed(self) -> None:
        assert ceiling.cpu_per_event(_stages(), END_TO_END) is None
        assert ceiling.cpu_per_event(_metered_stages(), END_TO_END) is None

    def test_a_process_cpu_is_read_from_proc(self) -> None:
        import os

        from lineage_lab.bench.cpu import CpuMeter, process_cpu_s

        assert process_cpu_s(os.getpid()) is not None
        assert process_cpu_s(2**22 + 7) is None  # no such process
        meter = CpuMeter(lambda: {"me": [os.getpid()]}, own="bench").start()
        sum(i * i for i in range(300_000))
        spent = meter.stop()
        assert spent["me"] >= 0 and spent["bench"] > 0


def test_the_statement_bench_names_statements_as_the_code_does(capsys: pytest.CaptureFixture[str]) -> None:
    """bench-statements reports each statement by its module and constant, and what the run's
    Neo4j CPU spent outside them (commits, background), per event."""
    import json as json_module

    from graph import holdings, retention
    from lineage_lab.bench.statements import StatementCosts, _report, statement_names

    names = statement_names()
    assert names[holdings.MERGE_HOLDINGS.strip()] == "holdings.MERGE_HOLDINGS"
    assert names[retention.SET_EXPIRY.strip()] == "retention.SET_EXPIRY"
    costs = StatementCosts()
    costs.cpu_s["holdings.MERGE_HOLDINGS"], costs.calls["holdings.MERGE_HOLDINGS"] = 0.3, 2
    costs.cpu_s["retention.SET_EXPIRY"], costs.calls["retention.SET_EXPIRY"] = 0.1, 2
    _report(2000, costs, total_s=0.5, python_s=0.2, wall_s=1.0, as_json=True)
    report = json_module.loads(capsys.readouterr().out)
    assert report["neo4j_us_per_event"] == 250 and report["commits_and_background_us_per_event"] == 50
    assert [r["statement"] for r in report["statements"]] == [
        "holdings.MERGE_HOLDINGS",
        "retention.SET_EXPIRY",
    ]
    assert report["statements"][0] == {
        "statement": "holdings.MERGE_HOLDINGS",
        "calls": 2,
        "neo4j_us_per_event": 150,
    }
