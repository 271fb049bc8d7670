"""`make bench` / `python -m bench [NAME …] [--markdown]`: run the benchmarks and print each figure beside its target.

The six benchmarks are pipeline, storage, fanout, fetch, service and rules (each also runs alone as
`python -m bench.NAME`); `--database postgresql://…` measures storage on PostgreSQL. Each prints its table as it finishes; a summary of every judged figure
follows, and the exit status is 1 when a target was missed or a benchmark failed. The machine's
load is printed first: these are wall-clock figures on a shared 2-core machine. `--markdown`
also prints every figure as the README's table.
"""
from __future__ import annotations

import os
import platform
import sys
import time
import traceback
from typing import Callable

from bench import fanout, fetch, pipeline, rules, service, storage
from bench.common import Figure, exit_code, markdown_table, print_figures, summary_line

BENCHMARKS: dict[str, tuple[str, Callable[[], list[Figure]]]] = {
    "pipeline": ("Pipeline: 1,000 new items against 10,000 events in the dedupe window", pipeline.run),
    "storage": ("Storage: durable store at 1,000 / 10,000 / 50,000 events", storage.run),
    "fanout": ("Fan-out: one alert to 5,000 chats at 1,000/s and 600 chats at 30/s", fanout.run),
    "fetch": ("Fetch: 50 sources answering after 500 ms, one pipeline pass", fetch.run),
    "service": ("Service: bot.py run (console mode) on a 50,000-event store", service.run),
    "rules": ("Rules: one event against 10,000 chats with mixed alert rules", rules.run),
}


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {load}")


def run_one(name: str) -> list[Figure]:
    title, bench = BENCHMARKS[name]
    started = time.perf_counter()
    try:
        figures = bench()
    except Exception:                       # one broken benchmark must not hide the others
        traceback.print_exc()
        figures = [Figure(name, "benchmark failed (see the traceback above)", 0.0, "", "runs", False)]
    print_figures(f"{title}  [{time.perf_counter() - started:.0f} s]", figures)
    return figures


def main(argv: list[str]) -> int:
    markdown = "--markdown" in argv
    argv = [a for a in argv if a != "--markdown"]
    if "--database" in argv:            # `storage --database postgresql://…`: the PostgreSQL store
        at = argv.index("--database")
        storage.DATABASE_URL = argv[at + 1] if at + 1 < len(argv) else None
        del argv[at:at + 2]
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    print(f"TradeWatch benchmarks: {machine()}", flush=True)
    started = time.perf_counter()
    figures = [f for name in names for f in run_one(name)]
    judged = [f for f in figures if f.ok is not None]
    print_figures("Summary (figures with a target)", judged, with_bench=True)
    if markdown:
        print("\n" + markdown_table(figures))
    print(f"\n{summary_line(figures)}  [{time.perf_counter() - started:.0f} s in all]")
    return exit_code(figures)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
