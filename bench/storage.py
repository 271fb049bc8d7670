"""Benchmark 2, storage: the durable store with 1,000, 10,000 and 50,000 events.

For each size a fresh interpreter builds a database in a temporary directory (events spread over
the 180-day retention, so ~5.5% fall in the service's default 10-day dedupe window, two seen-item
keys per event, a few hundred subscribers, the source states), compacts and closes it; a second
fresh interpreter then measures what the service does at start-up: `open_store` on the file, then
loading the dedupe window (`since(now - 10 days)`) into the dedupe index (`EventIndex`, as
`Pipeline` builds it); then `/latest` (`latest(5)` and `latest(20, topic="tariff")`), adding one
event (median of 300 adds), the file size and the process memory (the index included). Targets:
start-up (open + index) at 50,000 within 1 s; an add at 50,000 costs at most twice an add at
1,000; `/latest` under 20 ms at 50,000; memory under 200 MB.

Events are built as `absorb` stores them, with their title profiles (`Event.profiles`);
`--no-stored-profiles` builds them as written before that field.

    python -m bench.storage [--sizes 1000,10000,50000] [--database postgresql://…] [--no-stored-profiles]

With `--database` (or `python -m bench storage --database …`) the same figures are taken on
PostgreSQL: each size is built in a schema of its own (tw_bench_<size>, dropped afterwards; the
database's other tables are not touched), start-up is `open_postgres`, the "file size" is the
schema's tables and indexes on the server, and memory is this client process's (the server's is
not counted).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from bench.common import (Figure, at_most, exit_code, info, median, percentile, print_figures, rss_mb,
                          run_child, timed_ms)
from bench.corpus import Corpus, spread
from tradewatch.models import UTC, Source, SourceState, Subscriber

BENCH = "storage"
NOW = datetime(2026, 10, 28, 9, 0, tzinfo=UTC)
SIZES = (1_000, 10_000, 50_000)
RETENTION = timedelta(days=180)
WINDOW = timedelta(days=10)         # the DEDUPE_WINDOW_DAYS default: what the service loads
ADDS = 300
QUERIES = 200
SEEN_PER_EVENT = 2
SUBSCRIBERS = 300
TARGET_ADD_RATIO = 2.0
TARGET_LATEST_MS = 20.0
TARGET_MEMORY_MB = 200.0
TARGET_STARTUP_SECONDS = 1.0        # open + dedupe index, at the largest size
SOURCE = Source("wire-en", "Example Wire", "rss", "https://wire.example.org/rss")
DB_NAME = "tradewatch.json"
STORED_PROFILES = True              # events as `absorb` writes them (with Event.profiles); False:
                                    # as written before that field (--no-stored-profiles)
DATABASE_URL: str | None = None          # set by --database: PostgreSQL instead of the file store


def _schema_url(database: str, size: int) -> tuple[str, str]:
    """(conninfo with search_path set to this size's schema, the schema's name)."""
    from psycopg.conninfo import make_conninfo
    schema = f"tw_bench_{size}"
    return make_conninfo(database, options=f"-c search_path={schema}"), schema


def _open(path: Path, database: str | None, size: int, fresh: bool = False):
    """The store under test: the file store at `path`, or PostgreSQL in this size's own schema."""
    if database is None:
        from storage import open_store
        return open_store(path)
    import psycopg

    from storage.postgres import open_postgres
    url, schema = _schema_url(database, size)
    if fresh:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.execute(f"CREATE SCHEMA {schema}")
    return open_postgres(url)


def _size_mb(path: Path, database: str | None, size: int) -> float:
    if database is None:
        return sum(p.stat().st_size for p in path.parent.iterdir() if p.is_file()) / 1e6
    import psycopg
    with psycopg.connect(database) as conn:
        return conn.execute("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c "
                            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
                            (_schema_url(database, size)[1],)).fetchone()[0] / 1e6


def _drop(database: str | None, size: int) -> None:
    if database is not None:
        import psycopg
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {_schema_url(database, size)[1]} CASCADE")


def build(path: Path, size: int, seed: int = 7, database: str | None = None) -> dict:
    """Fill a new database at `path` with `size` events and what accompanies them; compact, close."""
    from tradewatch.understand.profiles import packed, titles_of

    corpus = Corpus(seed)
    started = time.perf_counter()
    with _open(path, database, size, fresh=True) as store:
        for number in range(size):
            first_seen, published = spread(NOW, RETENTION, corpus.rng)
            event = corpus.event(corpus.relevant(), SOURCE, first_seen, published)
            store.events.add(replace(event, profiles=packed(titles_of(event))) if STORED_PROFILES else event)
            if number % 50 == 49:
                keys = [f"guid-{number}-{k}" for k in range(50 * SEEN_PER_EVENT)]
                store.seen.add_many(SOURCE.id, keys, first_seen)
        for chat in range(SUBSCRIBERS):
            store.subscribers.put(Subscriber(chat_id=10_000_000 + chat, created_at=NOW))
        for source in range(30):
            store.sources.put(SourceState(f"source-{source}", etag='"v1"', last_check=NOW, baseline_done=True))
        getattr(store, "compact", lambda: None)()
    return {"build_seconds": time.perf_counter() - started}


def measure(path: Path, size: int, seed: int = 8, database: str | None = None) -> dict:
    """Open the database at `path` in this (fresh) process and time what the service does with it."""
    from tradewatch.understand.dedupe import EventIndex, collector_paused

    base_rss = rss_mb()
    file_bytes = _size_mb(path, database, size) * 1e6
    started = time.perf_counter()
    store = _open(path, database, size)
    opened = time.perf_counter()
    with collector_paused():                                    # as Pipeline.reload_index
        index = EventIndex.load(store.events.since(NOW - WINDOW), WINDOW)
    indexed = time.perf_counter()
    startup, index_seconds = opened - started, indexed - opened
    corpus = Corpus(seed, first_number=10**9)          # ids apart from the built events
    latest = timed_ms(lambda: store.events.latest(5), QUERIES)
    latest_topic = timed_ms(lambda: store.events.latest(20, topic="tariff"), QUERIES)
    window = timed_ms(lambda: store.events.since(NOW - WINDOW), 5)
    in_window = len(store.events.since(NOW - WINDOW))
    adds = []
    for _ in range(ADDS):
        event = corpus.event(corpus.relevant(), SOURCE, NOW, NOW - timedelta(minutes=5))
        begun = time.perf_counter()
        store.events.add(event)
        adds.append((time.perf_counter() - begun) * 1000)
    count = store.events.count()
    store.close()
    return {"size": size, "events": count, "startup_s": startup, "index_s": index_seconds, "indexed": len(index),
            "file_mb": file_bytes / 1e6,
            "latest_ms": median(latest), "latest_p95_ms": percentile(latest, 0.95),
            "latest_topic_ms": median(latest_topic), "latest_topic_p95_ms": percentile(latest_topic, 0.95),
            "window_ms": median(window), "in_window": in_window,
            "add_ms": median(adds), "add_mean_ms": sum(adds) / len(adds), "add_p99_ms": percentile(adds, 0.99),
            "rss_base_mb": base_rss, "rss_mb": rss_mb(), "peak_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss_mb()


def measure_size(size: int, database: str | None = None, stored: bool = True) -> dict:
    """Build then measure one size, each in its own fresh interpreter, in a temporary directory
    (or this size's schema of the PostgreSQL `database`, dropped afterwards)."""
    more = (("--database", database) if database else ()) + (() if stored else ("--no-stored-profiles",))
    with tempfile.TemporaryDirectory(prefix="tw-bench-storage-") as tmp:
        path = Path(tmp) / "data" / DB_NAME
        try:
            built = run_child("bench.storage", "--build", str(path), "--size", str(size), *more, timeout=3600)
            return {**run_child("bench.storage", "--measure", str(path), "--size", str(size), *more), **built}
        finally:
            _drop(database, size)


def figures(results: list[dict]) -> list[Figure]:
    out: list[Figure] = []
    for r in results:
        n = f"{r['size']:,}"
        out += [
            info(BENCH, f"{n}: open_store", r["startup_s"], "s"),
            info(BENCH, f"{n}: dedupe index of the window ({r['indexed']:,} events)", r["index_s"], "s"),
            _startup(r, n, r["size"] == max(x["size"] for x in results)),
            info(BENCH, f"{n}: file size", r["file_mb"], "MB"),
            info(BENCH, f"{n}: add one event, median (mean, p99)", r["add_ms"],
                 f"ms ({r['add_mean_ms']:.3g}, {r['add_p99_ms']:.3g})"),
            _latest(r, n, "latest(5)", "latest_ms", "latest_p95_ms"),
            _latest(r, n, "latest(20, tariff)", "latest_topic_ms", "latest_topic_p95_ms"),
            info(BENCH, f"{n}: load dedupe window ({r['in_window']} events)", r["window_ms"], "ms"),
            at_most(BENCH, f"{n}: peak memory (RSS now {r['rss_mb']:.0f} MB)", r["peak_mb"], "MB",
                    TARGET_MEMORY_MB),
        ]
    by_size = {r["size"]: r for r in results}
    if len(by_size) > 1:
        small, large = by_size[min(by_size)], by_size[max(by_size)]
        ratio = large["add_ms"] / small["add_ms"] if small["add_ms"] else 0.0
        out.append(at_most(BENCH, f"add cost at {large['size']:,} / at {small['size']:,}", ratio, "×",
                           TARGET_ADD_RATIO))
    return out


def _startup(r: dict, n: str, judged: bool) -> Figure:
    name, total = f"{n}: start-up (open + dedupe index)", r["startup_s"] + r["index_s"]
    return at_most(BENCH, name, total, "s", TARGET_STARTUP_SECONDS) if judged else info(BENCH, name, total, "s")


def _latest(r: dict, n: str, name: str, key: str, p95: str) -> Figure:
    figure = at_most(BENCH, f"{n}: /latest {name}, median", r[key], "ms", TARGET_LATEST_MS)
    return Figure(figure.bench, figure.name + f" (p95 {r[p95]:.3g} ms)", figure.value, figure.unit,
                  figure.target, figure.ok)


def run(sizes: tuple[int, ...] = SIZES, database: str | None = None) -> list[Figure]:
    return figures([measure_size(size, database or DATABASE_URL, STORED_PROFILES) for size in sizes])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated event counts")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database", help="postgresql://… : measure the PostgreSQL store instead")
    parser.add_argument("--no-stored-profiles", action="store_true",
                        help="build events without Event.profiles (as stored before it existed)")
    args = parser.parse_args(argv)
    global STORED_PROFILES
    STORED_PROFILES = not args.no_stored_profiles
    if args.build or args.measure:
        step = build if args.build else measure
        print(json.dumps(step(args.build or args.measure, args.size, database=args.database)))
        return 0
    result = run(tuple(int(s) for s in args.sizes.split(",")), args.database)
    print_figures("Storage: " + ("PostgreSQL" if args.database else "durable store (snapshot + journal)"), result)
    return exit_code(result)


if __name__ == "__main__":
    sys.exit(main())
