"""`python -m bench.fuzz [--inputs N] [--items N] [--renders N] [--seed S]`: the long fuzz run.

Feeds seeded mutated inputs (bench/mutations.py) to each parser, hostile items through
understanding (tradewatch.understand.absorb: classify, extract, dedupe) and hostile events through
rendering (tradewatch.deliver.render.render_alert), and prints per kind: inputs, exceptions (by
type), the slowest input in seconds, inputs over 2 s, and the peak memory traced while that kind
ran. A parser may raise ParseError (or EmptyParseError) and nothing else; understanding and
rendering may raise nothing. Items a parser returns are also checked against what `finish`
promises (valid one-line text, bounded lengths). Two flavours of the later stages:

- `understanding` / `render`: items as a parser hands them on (through parsers.common.finish) and
  the events understanding builds from them: what the running service can meet;
- `understanding (raw)` / `render (raw)`: hostile values straight in, parser edge skipped (dates in
  year 9999 or 0001, lone surrogates …): the stage's own robustness.

Defaults: 10,000 inputs per parser kind, 10,000 items through each understanding flavour, 20,000
renders of each flavour (40,000 in all); seed 2026. Exit status 1 when anything raised. The
property test tests/test_fuzz.py runs the same loops for a few seconds per kind.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable, Iterable

from bench.mutations import KINDS, hostile_event, hostile_item, mutate, result_of, seeds
from tradewatch.deliver.render import render_alert
from tradewatch.errors import ParseError
from tradewatch.ingest.parsers import PARSERS
from tradewatch.ingest.parsers.common import SUMMARY_LIMIT, TITLE_LIMIT, finish, valid_text
from tradewatch.models import Event, Item
from tradewatch.understand.absorb import absorb
from tradewatch.understand.dedupe import EventIndex

SLOW = 2.0
NOW = datetime(2026, 9, 30, 12, 0, tzinfo=timezone.utc)


@dataclass
class Tally:
    """What one kind of input did."""

    kind: str
    inputs: int = 0
    exceptions: Counter[str] = field(default_factory=Counter)
    slowest: float = 0.0
    slow: int = 0
    peak_mb: float = 0.0
    first_failure: str = ""

    def timed(self, seconds: float) -> None:
        self.inputs += 1
        self.slowest = max(self.slowest, seconds)
        self.slow += seconds > SLOW

    def failed(self, exc: BaseException, sample: object) -> None:
        self.exceptions[type(exc).__name__] += 1
        if not self.first_failure:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            self.first_failure = (f"{type(exc).__name__}: {str(exc)[:150]} at {where.filename}:{where.lineno} "
                                  f"(input {repr(sample)[:200]})")


class InvariantError(Exception):
    """A parser returned an item that breaks what `finish` promises."""


def run_loop(kind: str, count: int, budget: float | None, step: Callable[[], object], trace: bool) -> Tally:
    """`step()` up to `count` times (or until `budget` seconds have passed), timing each call."""
    tally = Tally(kind)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        for _ in range(count):
            began = time.perf_counter()
            try:
                step()
            except Exception as exc:   # what the fuzz run is looking for: anything, counted by type
                tally.failed(exc, getattr(exc, "sample", None))
            tally.timed(time.perf_counter() - began)
            if budget is not None and time.perf_counter() - started > budget:
                break
        if trace:
            tally.peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        if trace:
            tracemalloc.stop()
    return tally


def fuzz_parser(kind: str, count: int, seed: int, budget: float | None = None, trace: bool = False) -> Tally:
    rng, pool, parser = random.Random(f"{seed}:{kind}"), seeds(kind), PARSERS[kind]

    def step() -> None:
        body, source, content_type = rng.choice(pool)
        data = mutate(rng, body, kind)
        try:
            check_items(parser(result_of(data, source, content_type), source))
        except ParseError:
            pass
        except Exception as exc:
            exc.sample = data[:200]
            raise
    return run_loop(kind, count, budget, step, trace)


def check_items(items: Iterable[Item]) -> None:
    for item in items:
        for name, text, limit in (("title", item.title, TITLE_LIMIT), ("summary", item.summary, SUMMARY_LIMIT),
                                  ("url", item.url, 100_000), ("key", item.key, TITLE_LIMIT)):
            if len(text) > limit or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in text):
                raise InvariantError(f"{name} {text[:80]!r} ({len(text)} chars)")


def fuzz_understanding(count: int, seed: int, budget: float | None = None, trace: bool = False,
                       raw: bool = False, events: list[Event] | None = None) -> Tally:
    """Hostile items through absorb; `events` collects the events built (for the render run)."""
    rng, index = random.Random(f"{seed}:understanding:{raw}"), EventIndex()

    def step() -> None:
        item, source = hostile_item(rng)
        if not raw:    # a catalog name is TOML text: never a lone surrogate or a control character
            source = replace(source, name=valid_text(source.name))
        for ready in ([item] if raw else finish([item], source)):
            outcome = absorb(ready, source, index, NOW)
            if events is not None and outcome.event is not None and len(events) < 5_000:
                events.append(outcome.event)
    return run_loop("understanding (raw)" if raw else "understanding", count, budget, step, trace)


def fuzz_render(count: int, seed: int, budget: float | None = None, trace: bool = False,
                events: list[Event] | None = None) -> Tally:
    """render_alert over `events` (from understanding) or, without them, raw hostile events."""
    rng = random.Random(f"{seed}:render")

    def step() -> None:
        event = rng.choice(events) if events else hostile_event(rng)
        also = event.reports[1:3] if rng.random() < 0.3 else ()
        render_alert(event, also=also)
    return run_loop("render" if events else "render (raw)", count, budget, step, trace)


def run(inputs: int, items: int, renders: int, seed: int, trace: bool = True) -> list[Tally]:
    tallies = []
    for kind in KINDS:
        tallies.append(fuzz_parser(kind, inputs, seed, trace=trace))
        print(row(tallies[-1]), flush=True)
    built: list[Event] = []
    for raw in (False, True):
        tallies.append(fuzz_understanding(items, seed, trace=trace, raw=raw, events=None if raw else built))
        print(row(tallies[-1]), flush=True)
    for events in (built, None):
        tallies.append(fuzz_render(renders // 2, seed, trace=trace, events=events))
        print(row(tallies[-1]), flush=True)
    return tallies


HEADER = f"{'kind':22} {'inputs':>7}  {'exceptions':30} {'slowest s':>9} {'> 2 s':>5} {'peak MB':>8}"


def row(tally: Tally) -> str:
    raised = ", ".join(f"{name} {n}" for name, n in tally.exceptions.most_common()) or "0"
    return (f"{tally.kind:22} {tally.inputs:>7,}  {raised:30} {tally.slowest:>9.3f} {tally.slow:>5} "
            f"{tally.peak_mb:>8.1f}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000, help="mutated inputs per parser kind")
    parser.add_argument("--items", type=int, default=10_000, help="hostile items through each understanding run")
    parser.add_argument("--renders", type=int, default=40_000, help="renders in all (half from understanding)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-trace", action="store_true", help="skip tracemalloc (faster; no peak memory)")
    args = parser.parse_args(argv)
    print(f"fuzz: seed {args.seed}\n{HEADER}", flush=True)
    started = time.perf_counter()
    tallies = run(args.inputs, args.items, args.renders, args.seed, trace=not args.no_trace)
    failures = [t for t in tallies if t.exceptions]
    for tally in failures:
        print(f"\n{tally.kind}: first failure: {tally.first_failure}")
    print(f"\n{sum(t.inputs for t in tallies):,} inputs in {time.perf_counter() - started:.0f} s; "
          f"{sum(sum(t.exceptions.values()) for t in tallies)} exceptions; {sum(t.slow for t in tallies)} over {SLOW:g} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
