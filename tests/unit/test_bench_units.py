"""``lineage-lab bench``'s ceiling arithmetic and report, without servers."""

from __future__ import annotations

import pytest

from lineage.runner import vm_hwm_bytes
from lineage_lab.bench import ceiling
from lineage_lab.bench.ceiling import StageRate, chunks, format_report, report, scaled_events, timed


def _stages() -> list[StageRate]:
    return [
        StageRate(ceiling.ADAPT, 10_000, "events", 1.0, 10_000),
        StageRate(ceiling.KAFKA_READ, 8_000, "messages", 1.0, 8_000),
        StageRate(ceiling.GRAPH_BATCHED, 5_000, "events", 1.0, 5_000),
        StageRate(ceiling.GRAPH_PER_EVENT, 2_000, "events", 10.0, 2_000),
    ]


END_TO_END = StageRate(ceiling.END_TO_END, 5_000, "events", 5.0, 5_000)


class TestStageRate:
    def test_rates_divide_by_wall_time(self) -> None:
        rate = StageRate(ceiling.KAFKA_READ, 300, "messages", 2.0, 600)
        assert (rate.per_s, rate.events_per_s) == (150, 300)

    def test_zero_time_is_infinite_not_an_error(self) -> None:
        assert StageRate(ceiling.ADAPT, 1, "events", 0.0, 1).per_s == float("inf")

    def test_dict_rounds_and_names_the_stage(self) -> None:
        doc = StageRate(ceiling.ADAPT, 10, "events", 3.0, 10).as_dict()
        assert doc["per_s"] == 3 and doc["seconds"] == 3.0
        assert "adapters" in doc["what"]


class TestCeiling:
    def test_slowest_stage_and_ratios(self) -> None:
        top = ceiling.ceiling(_stages(), END_TO_END)
        assert top == {
            "slowest_stage": ceiling.GRAPH_BATCHED,
            "slowest_events_per_s": 5000,
            "end_to_end_vs_slowest": 0.2,
            "end_to_end_vs_per_event": 5.0,
        }

    def test_per_event_writer_is_a_baseline_never_the_ceiling(self) -> None:
        stages = _stages()
        assert stages[-1].events_per_s < stages[2].events_per_s
        assert ceiling.ceiling(stages, END_TO_END)["slowest_stage"] != ceiling.GRAPH_PER_EVENT

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
            ceiling.KAFKA_READ,
            ceiling.GRAPH_BATCHED,
            ceiling.GRAPH_PER_EVENT,
            ceiling.END_TO_END,
        ]
        assert doc["worker_peak_rss_bytes"] == 200 * 2**20

    def test_text_states_rates_ratios_and_rss(self) -> None:
        text = format_report(report(_stages(), END_TO_END, 200 * 2**20))
        lines = text.splitlines()
        assert len(lines) == 7
        assert lines[1].startswith("kafka_read") and "(8,000 messages/s)" in lines[1]
        assert "0.20x the slowest stage (graph_batched, 5,000 events/s)" in text
        assert "5.00x the per-event writer" in text
        assert lines[-1] == "worker peak RSS (VmHWM): 200 MiB"

    def test_unknown_rss_and_ratio_read_n_a(self) -> None:
        text = format_report(report(_stages()[:3], END_TO_END, None))
        assert "n/a the per-event writer" in text and text.endswith("VmHWM): n/a")


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


class TestCpuCost:
    def test_cpu_per_event_and_the_bound_the_cores_set(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(ceiling.os, "cpu_count", lambda: 2)
        run = StageRate(
            ceiling.END_TO_END, 5_000, "events", 5.0, 5_000, {"worker": 2.5, "neo4j": 1.5, "kafka": 1.0}
        )
        assert run.cpu_us_per_event() == {"worker": 500, "neo4j": 300, "kafka": 200}
        top = ceiling.ceiling(_stages(), run)
        assert (top["end_to_end_cpu_us_per_event"], top["cpu_bound_events_per_s"]) == (1000, 2000)
        text = format_report(report(_stages(), run, None))
        assert "cpu µs/event: worker 500, neo4j 300, kafka 200" in text
        assert "2 cores allow at most 2,000 events/s" in text

    def test_the_target_is_a_cpu_budget_set_beside_the_stages_and_the_writer(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(ceiling.os, "cpu_count", lambda: 2)
        stages = [
            StageRate(ceiling.ADAPT, 10_000, "events", 1.0, 10_000, {"bench": 0.7}),
            StageRate(ceiling.KAFKA_READ, 8_000, "messages", 1.0, 8_000, {"bench": 0.6, "kafka": 0.1}),
            StageRate(ceiling.GRAPH_BATCHED, 5_000, "events", 1.0, 5_000, {"neo4j": 0.25, "bench": 0.05}),
            StageRate(ceiling.GRAPH_PER_EVENT, 2_000, "events", 10.0, 2_000, {"neo4j": 6.0}),
            StageRate(ceiling.GRAPH_WRITER, 5_000, "events", 2.5, 5_000, {"neo4j": 2.0, "bench": 0.5}),
        ]
        run = StageRate(ceiling.END_TO_END, 5_000, "events", 5.0, 5_000, {"worker": 2.5, "neo4j": 2.5})
        top = ceiling.ceiling(stages, run)
        # half of the slowest (5,000/s) on 2 cores: 2,500 events/s, 800 µs an event
        assert (top["target_events_per_s"], top["target_cpu_us_per_event"]) == (2_500, 800)
        # adapt 70 + read 75 + 12 (of 8,000 events) + batched 50 + 10, the baselines left out
        assert top["stages_cpu_us_per_event"] == 217
        assert top["writer_cpu_us_per_event"] == 500
        text = format_report(report(stages, run, None))
        assert (
            "target 0.5x the slowest stage (2,500 events/s) leaves 800 µs of CPU an event on 2 cores; "
            "the stages alone cost 217 together, lineage's writer alone 500"
        ) in text

    def test_without_cpu_figures_nothing_is_claimed(self) -> None:
        assert "end_to_end_cpu_us_per_event" not in ceiling.ceiling(_stages(), END_TO_END)

    def test_a_process_cpu_is_read_from_proc(self) -> None:
        import os

        from lineage_lab.bench.cpu import CpuMeter, process_cpu_s

        assert process_cpu_s(os.getpid()) is not None
        assert process_cpu_s(2**22 + 7) is None  # no such process
        meter = CpuMeter(lambda: {"me": [os.getpid()]}, own="bench").start()
        sum(i * i for i in range(300_000))
        spent = meter.stop()
        assert spent["me"] >= 0 and spent["bench"] > 0
