"""The benchmarks at a tiny size, so they keep running as the code changes (figures are not judged)."""
from __future__ import annotations

import io

from bench import __main__ as bench_main
from bench import fanout, fetch, pipeline, rules, service, storage
from bench.common import Figure, at_least, at_most, markdown_table, print_figures, summary_line
from bench.corpus import Corpus


def test_corpus_is_reproducible_and_rewords():
    first, second = Corpus(5), Corpus(5)
    stories = [first.relevant() for _ in range(20)]
    assert [s.title for s in stories] == [second.relevant().title for _ in range(20)]
    assert {s.lang for s in stories} == {"en", "zh"}
    english = [s for s in stories if s.lang == "en"]
    assert english and all(first.reword(s) != s.title for s in english)
    assert not first.noise().relevant


async def test_pipeline_burst_is_absorbed_and_every_item_accounted_for():
    measured = await pipeline.measure(events=150, items=30)
    assert measured.new + measured.joined + measured.irrelevant == 30
    assert measured.irrelevant >= 1 and measured.new >= 1
    assert measured.burst_seconds > 0 and measured.max_stall_ms >= 0
    assert [f.verdict for f in pipeline.figures([measured])].count("info") == 4


def test_storage_builds_and_measures_in_fresh_interpreters():
    result = storage.measure_size(120)
    assert result["events"] == 120 + storage.ADDS
    assert result["file_mb"] > 0 and result["peak_mb"] > 0 and result["add_ms"] > 0
    figures = storage.figures([result, {**result, "size": 240}])
    assert figures[-1].name.startswith("add cost at 240") and figures[-1].value == 1.0


def test_fanout_delivers_to_every_chat_through_the_fake_process():
    measured = fanout.measure(subscribers=12, limit=100.0, latency=0.01)
    assert measured.sent == 12 and measured.rate > 0
    assert measured.busiest_second <= 12
    assert measured.fake_cpu_seconds is not None


async def test_rules_decide_for_every_chat_and_plan_holds_some():
    measured = await rules.measure(chats=300, count=5)
    assert 0 < measured["matched"] < 300 and measured["first_sent"] > 0
    figures = rules.figures(measured)
    assert [f.verdict for f in figures].count("info") == 6 and figures[0].value == measured["decide_median"]


def test_service_runs_on_a_generated_store_and_reports_its_memory():
    measured = service.measure(events=300)
    assert measured.exit_code == 0 and measured.ready_seconds > 0
    assert 0 < measured.rss_ready_mb <= measured.peak_mb and measured.rss_mb > 0
    assert measured.alerts >= 1                       # the first passes ran on the local feeds
    assert [f.verdict for f in service.figures([measured])].count("PASS") >= 1


def test_busiest_second_counts_a_sliding_window():
    assert fanout.busiest_second([0.0, 0.5, 0.99, 1.0, 1.2, 3.0]) == 4
    assert fanout.busiest_second([]) == 0


def test_fetch_pass_respects_the_per_host_limit():
    measured = fetch.asyncio.run(fetch.measure(sources=6, hosts=2, delay=0.05))
    assert measured.ok == 6 and measured.items == 6 * fetch.ITEMS_PER_FEED
    assert 1 <= measured.max_per_host <= measured.per_host_limit
    assert measured.seconds >= 0.05
    assert fetch.figures([measured, measured])[1].value == measured.max_per_host


def test_figures_print_with_verdicts_and_as_markdown():
    figures = [at_most("b", "fast", 0.5, "s", 1.0), at_most("b", "slow", 2.0, "s", 1.0),
               Figure("b", "context", 3.0, "ms")]
    out = io.StringIO()
    print_figures("T", figures, out)
    lines = out.getvalue().splitlines()
    assert lines[2].endswith("PASS") and lines[3].endswith("MISS") and lines[4].endswith("info")
    assert "| b | slow | ≤ 1 s | 2 s (MISS) |" in markdown_table(figures)
    assert summary_line(figures) == "1/2 targets met: MISS b: slow"
    assert at_least("b", "rate", 95, "/s", 90).ok


def test_unknown_benchmark_is_refused():
    assert bench_main.main(["nonsense"]) == 2


def test_fanout_with_two_processes_on_postgresql():
    from bench import fanout_pg
    from tests import pg
    url = pg.require_postgres()
    try:
        result = fanout_pg.run_once(url, 12, 100.0, kill_at=None)
    finally:
        fanout_pg.drop(url)
    assert result["distinct"] == 12 and result["sent"] == 12


def test_storage_on_postgresql_builds_and_measures():
    from tests import pg
    url = pg.require_postgres()
    result = storage.measure_size(60, url)
    assert result["events"] == 60 + storage.ADDS and result["file_mb"] > 0
