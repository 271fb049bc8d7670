"""What every benchmark shares: figures with their targets, the printed table, timing and memory.

A benchmark returns a list of `Figure`s: a measured value, its unit, and, when the issue sets one,
a target with a PASS/MISS verdict (figures without a target are context, printed as "info").
`print_figures` prints them as one aligned table; `summary_line` and `exit_code` serve
`python -m bench`. Also: a fixed clock, percentiles, process memory (VmRSS), and a child-process
runner so a measurement starts from a clean interpreter. No TradeWatch code is timed here.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Figure:
    """One measured number; `ok` is None for context figures that have no target."""

    bench: str
    name: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return "info" if self.ok is None else "PASS" if self.ok else "MISS"

    def shown(self) -> str:
        return f"{format_number(self.value)} {self.unit}".strip()


def format_number(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if value else "0"


def at_most(bench: str, name: str, value: float, unit: str, limit: float, label: str = "") -> Figure:
    return Figure(bench, name, value, unit, f"≤ {label or format_number(limit) + ' ' + unit}", value <= limit)


def at_least(bench: str, name: str, value: float, unit: str, floor: float, label: str = "") -> Figure:
    return Figure(bench, name, value, unit, f"≥ {label or format_number(floor) + ' ' + unit}", value >= floor)


def info(bench: str, name: str, value: float, unit: str = "") -> Figure:
    return Figure(bench, name, value, unit)


def print_figures(title: str, figures: Sequence[Figure], out=sys.stdout, with_bench: bool = False) -> None:
    """One table: (benchmark,) figure, measured value, target, verdict."""
    names = [(f"{f.bench}: " if with_bench else "") + f.name for f in figures]
    width = max([len(n) for n in names] + [10])
    shown = max([len(f.shown()) for f in figures] + [8])
    target = max([len(f.target) for f in figures] + [6])
    print(f"\n== {title} ==", file=out)
    for name, figure in zip(names, figures):
        print(f"  {name:<{width}}  {figure.shown():>{shown}}  {figure.target:<{target}}  "
              f"{figure.verdict}", file=out)
    out.flush()


def markdown_table(figures: Sequence[Figure]) -> str:
    """The README's table: benchmark | figure | target | result."""
    rows = ["| benchmark | figure | target | result |", "|---|---|---|---|"]
    for f in figures:
        rows.append(f"| {f.bench} | {f.name} | {f.target or '—'} | {f.shown()}"
                    + (f" ({f.verdict})" if f.ok is not None else "") + " |")
    return "\n".join(rows)


def misses(figures: Sequence[Figure]) -> list[Figure]:
    return [f for f in figures if f.ok is False]


def summary_line(figures: Sequence[Figure]) -> str:
    judged = [f for f in figures if f.ok is not None]
    missed = misses(figures)
    text = f"{len(judged) - len(missed)}/{len(judged)} targets met"
    return text + (": MISS " + "; ".join(f"{f.bench}: {f.name}" for f in missed) if missed else "")


def exit_code(figures: Sequence[Figure]) -> int:
    return 1 if misses(figures) else 0


class FixedClock:
    """A clock that says what it is told; benchmarks must not depend on the wall clock's date."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def timed_ms(call: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds of each of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def rss_mb() -> float:
    """This process's resident memory now (VmRSS), in MB; peak RSS where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_env() -> dict[str, str]:
    """The environment for a child interpreter that must import the project from its root."""
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def run_child(module: str, *args: str, timeout: float = 300) -> dict:
    """Run `python -m module args…` in a fresh interpreter at the project root; its last stdout
    line is a JSON object, returned. A failure raises with the child's stderr."""
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=child_env(), capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
