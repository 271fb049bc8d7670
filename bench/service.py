"""Benchmark 5, the service: `bot.py run` in console mode on a generated 50,000-event store.

A fresh interpreter builds the database in a temporary DATA_DIR: events spread over the 180-day
retention up to now (so the default 10-day dedupe window holds about 2,800 of them), two seen keys
per event, 300 subscribers, and the states of two RSS sources whose baselines are stored. Then
`python bot.py run` starts on it as an operator starts it, without a token (console mode), from a
directory with no `.env`, with a catalog of those two sources served by a local HTTP server (20
items each, half of them announcements, all new). Time to ready runs from the spawn to the line
"console mode …" on stderr: the interpreter, imports, settings, opening the store and building the
dedupe index. The service then runs what start-up schedules (both passes, the hand-off of
unnotified events); once both feeds were fetched and the process used no CPU for half a second,
its memory is read from /proc (VmRSS now, VmHWM the peak) and it is stopped with SIGTERM. Three
runs; the median is judged. Target: RSS at most 120 MB.

    python -m bench.service [--events 50000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from bench.common import ROOT, Figure, at_most, child_env, exit_code, info, print_figures, run_child
from bench.corpus import Corpus, spread

BENCH = "service"
EVENTS = 50_000
REPEAT = 3
RETENTION = timedelta(days=180)
SEEN_PER_EVENT = 2
SUBSCRIBERS = 300
FEED_ITEMS = 20
TARGET_RSS_MB = 120.0
READY = "console mode"
QUIET_SECONDS = 0.5
BOUND_SECONDS = 60.0
FEEDS = ("wire-a", "wire-b")


@dataclass(frozen=True)
class Measured:
    events: int
    ready_seconds: float        # spawn → "console mode …" on stderr
    rss_ready_mb: float         # VmRSS when ready
    rss_mb: float               # VmRSS after the first passes, idle
    peak_mb: float              # VmHWM
    alerts: int                 # alert lines printed by the first passes
    exit_code: int


def build(data_dir: Path, events: int, seed: int = 11) -> dict:
    """The database of `events` events up to now, with what accompanies them; compacted, closed."""
    from storage import open_store
    from tradewatch.models import UTC, Source, SourceState, Subscriber

    now, corpus = datetime.now(UTC), Corpus(seed)
    source = Source("wire-old", "Example Wire", "rss", "https://wire.example.org/rss")
    started = time.perf_counter()
    with open_store(data_dir / "tradewatch.json") as store:
        for number in range(events):
            first_seen, published = spread(now, RETENTION, corpus.rng)
            event = corpus.event(corpus.relevant(), source, first_seen, published)
            store.events.add(replace(event, notified=True))       # handed off long ago
            if number % 50 == 49:
                store.seen.add_many(source.id, [f"guid-{number}-{k}" for k in range(50 * SEEN_PER_EVENT)], first_seen)
        for chat in range(SUBSCRIBERS):
            store.subscribers.put(Subscriber(chat_id=10_000_000 + chat, created_at=now))
        for feed in FEEDS:
            store.sources.put(SourceState(feed, last_check=now - timedelta(hours=1), baseline_done=True))
        store.compact()
    return {"build_seconds": time.perf_counter() - started}


def feed(name: str, seed: int) -> bytes:
    """An RSS 2.0 feed of FEED_ITEMS stories, half of them announcements, all published now."""
    from email.utils import format_datetime
    from xml.sax.saxutils import escape

    from tradewatch.models import UTC

    corpus, now = Corpus(seed, first_number=10**9), datetime.now(UTC)
    items = []
    for number in range(FEED_ITEMS):
        story = corpus.relevant() if number % 2 else corpus.noise()
        items.append(f"<item><title>{escape(story.title)}</title><link>https://{name}.example.org/{number}</link>"
                     f"<guid isPermaLink=\"false\">{name}-{number}</guid>"
                     f"<pubDate>{format_datetime(now - timedelta(minutes=number))}</pubDate>"
                     f"<description>{escape(story.summary)}</description></item>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{name}</title>'
            f"<link>https://{name}.example.org/</link><description>Benchmark feed</description>"
            + "".join(items) + "</channel></rss>").encode()


def catalog(server) -> str:
    return "".join(f'[[source]]\nid = "{name}"\nname = "Benchmark {name}"\nkind = "rss"\n'
                   f'url = "{server.url("/" + name)}"\nevery = "10m"\nallow_private = true\n\n' for name in FEEDS)


def status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])          # utime + stime


def wait_for(condition, bound: float, step: float = 0.01) -> bool:
    """Poll `condition` until it holds or `bound` seconds passed."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def serve_and_measure(data_dir: Path, events: int) -> Measured:
    """Start `bot.py run` on the database and measure it (see the module's docstring)."""
    from tests.httpserver import LocalServer

    with LocalServer() as server, tempfile.TemporaryDirectory(prefix="tw-bench-service-cwd-") as cwd:
        for seed, name in enumerate(FEEDS):
            server.route("/" + name, body=feed(name, seed), headers={"Content-Type": "application/rss+xml"})
        sources = Path(cwd) / "sources.toml"
        sources.write_text(catalog(server))
        env = {**child_env(), "DATA_DIR": str(data_dir), "SOURCES_FILE": str(sources), "TELEGRAM_BOT_TOKEN": "",
               "LOG_LEVEL": "WARNING"}
        out, err = Path(cwd) / "stdout", Path(cwd) / "stderr"
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            started = time.perf_counter()
            process = subprocess.Popen([sys.executable, str(ROOT / "bot.py"), "run"], cwd=cwd, env=env,
                                       stdout=stdout, stderr=stderr)
            try:
                if not wait_for(lambda: READY in err.read_text(errors="replace") or process.poll() is not None,
                                BOUND_SECONDS, step=0.002) or process.poll() is not None:
                    raise RuntimeError(f"bot.py run did not get ready:\n{err.read_text(errors='replace')[-3000:]}")
                ready = time.perf_counter() - started
                rss_ready = status_mb(process.pid, "VmRSS")
                wait_for(lambda: all(server.hits("/" + name) for name in FEEDS), BOUND_SECONDS)
                wait_for(_quiet(process.pid), BOUND_SECONDS, step=QUIET_SECONDS)
                rss, peak = status_mb(process.pid, "VmRSS"), status_mb(process.pid, "VmHWM")
                process.send_signal(signal.SIGTERM)
                code = process.wait(timeout=60)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        alerts = sum(1 for line in out.read_text(errors="replace").splitlines() if line.startswith("["))
    return Measured(events, ready, rss_ready, rss, peak, alerts, code)


def _quiet(pid: int):
    """A condition that holds once the process used no CPU since the last time it was asked."""
    last = [-1]

    def quiet() -> bool:
        now = cpu_ticks(pid)
        still, last[0] = now == last[0], now
        return still
    return quiet


def measure(events: int) -> Measured:
    with tempfile.TemporaryDirectory(prefix="tw-bench-service-") as tmp:
        data_dir = Path(tmp) / "data"
        run_child("bench.service", "--build", str(data_dir), "--events", str(events), timeout=900)
        return serve_and_measure(data_dir, events)


def figures(runs: list[Measured]) -> list[Figure]:
    m = sorted(runs, key=lambda r: r.rss_mb)[len(runs) // 2]
    each = ", ".join(f"{r.rss_mb:.0f}" for r in runs)
    ready = ", ".join(f"{r.ready_seconds:.2f}" for r in runs)
    return [
        info(BENCH, f"time to ready at {m.events:,} events (runs: {ready} s)",
             statistics.median(r.ready_seconds for r in runs), "s"),
        info(BENCH, "RSS when ready", m.rss_ready_mb, "MB"),
        at_most(BENCH, f"RSS after the first passes (median of {len(runs)}: {each} MB)", m.rss_mb, "MB",
                TARGET_RSS_MB),
        info(BENCH, "peak RSS (VmHWM)", m.peak_mb, "MB"),
        info(BENCH, "alerts printed by the first passes", m.alerts),
        Figure(BENCH, "stops cleanly on SIGTERM (exit 0)", float(max(r.exit_code for r in runs)), "exit code",
               "= 0", all(r.exit_code == 0 for r in runs)),
    ]


def run(events: int = EVENTS, repeat: int = REPEAT) -> list[Figure]:
    return figures([measure(events) for _ in range(repeat)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.service", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=EVENTS, help="events in the generated store")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs (the median is judged)")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:
        import json
        print(json.dumps(build(args.build, args.events)))
        return 0
    result = run(args.events, args.repeat)
    print_figures(f"Service: bot.py run (console mode) on {args.events:,} events", result)
    return exit_code(result)


if __name__ == "__main__":
    raise SystemExit(main())
