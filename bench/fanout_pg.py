"""Fan-out with two processes on one PostgreSQL database: one alert to every subscriber while a
second process stands by, then the same with the sending process SIGKILLed half-way.

Each process is a fresh interpreter with its own PostgreSQL store (the same database, a schema of
its own for the benchmark), Bot and Deliverer, as `bot.py run` has them; the fake Bot API runs in
a third (bench.fanout.FakeProcess). The sender calls `notify` (enqueue, then send at the rate
limit); the standby runs the outbox's retry tick every 0.2 s, as its job would. Figures: the rate
the fake saw, the duplicates (messages minus chats reached: 0 without a kill; after the kill at
most the sends in flight at that instant, Telegram's answer not yet recorded), the chats not
reached (0), and after the kill the gap to the survivor's next message and the broadcast's time.

    python -m bench.fanout_pg --database postgresql://… [--chats 300] [--rate 30]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

from bench.common import ROOT, Figure, at_most, child_env, exit_code, info, print_figures
from bench.corpus import Corpus
from bench.fanout import FIRST_CHAT, LATENCY, SOURCE, FakeProcess, make_bot
from bench.storage import _schema_url
from tradewatch.models import UTC, Subscriber

BENCH = "fanout-pg"
CHATS, RATE = 300, 30.0
SIZE_TAG = 0                              # the benchmark's schema: tw_bench_0


def prepare(database: str, chats: int) -> str:
    """A fresh schema with the subscribers and one event; the event's id."""
    import psycopg

    from storage.postgres import open_postgres
    url, schema = _schema_url(database, SIZE_TAG)
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    now = datetime.now(UTC)
    with open_postgres(url) as store:
        for chat in range(FIRST_CHAT, FIRST_CHAT + chats):
            store.subscribers.put(Subscriber(chat_id=chat, created_at=now))
        event = Corpus(3).event(Corpus(4).relevant(), SOURCE, now, now - timedelta(minutes=3))
        store.events.add(event)
    return event.id


def sent_count(database: str) -> int:
    import psycopg
    with psycopg.connect(_schema_url(database, SIZE_TAG)[0]) as conn:
        return conn.execute("SELECT count(*) FROM tw_deliveries WHERE status = 'sent'").fetchone()[0]


async def work(role: str, database: str, token: str, api: str, rate: float, event_id: str) -> None:
    """One process: `send` notifies the event; `standby` runs the retry tick until told to stop."""
    from storage.postgres import open_postgres
    from tradewatch.deliver.outbox import Deliverer
    from tradewatch.services import Services
    from tradewatch.settings import Settings

    settings = Settings(telegram_bot_token=token, telegram_api_url=api, tw_rate_overall=rate)
    with open_postgres(_schema_url(database, SIZE_TAG)[0], lease=timedelta(seconds=30)) as store:
        services = Services(settings=settings, store=store, sources=[SOURCE])
        bot, _ = make_bot(services)
        async with bot:
            deliverer = Deliverer(bot, services, retry_gaps=(0.5,))
            print(json.dumps({"ready": True}), flush=True)
            if role == "send":
                await deliverer.notify([store.events.get(event_id)], [])
                print(json.dumps({"done": True}), flush=True)
                return
            stop = asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            while not stop.done():
                await deliverer.retry_pending()
                await asyncio.sleep(0.2)


def start(role: str, database: str, fake: FakeProcess, rate: float, event_id: str) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-m", "bench.fanout_pg", "--role", role, "--database", database,
                              "--token", fake.token, "--api", fake.url, "--rate", str(rate), "--event", event_id],
                             cwd=ROOT, env=child_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if "ready" not in (child.stdout.readline() or ""):
        child.kill()
        raise RuntimeError(f"the {role} process did not start")
    return child


def run_once(database: str, chats: int, rate: float, kill_at: int | None) -> dict:
    """Two processes, one broadcast; with `kill_at`, the sender is SIGKILLed after that many sends."""
    event_id = prepare(database, chats)
    fake = FakeProcess(chats, LATENCY)
    killed_at = None
    standby = start("standby", database, fake, rate, event_id)
    sender = start("send", database, fake, rate, event_id)
    started = time.monotonic()
    try:
        deadline = started + 10 + 4 * chats / rate
        while sent_count(database) < chats and time.monotonic() < deadline:
            if kill_at is not None and killed_at is None and sent_count(database) >= kill_at:
                sender.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
            time.sleep(0.05)
        finished = time.monotonic()
    finally:
        for child in (sender, standby):
            if child.poll() is None:
                child.communicate("stop\n", timeout=30)
        report = fake.report()
    times = sorted(report["times"])
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    after = [t for t in times if killed_at is not None and t > killed_at]
    return {"chats": chats, "sent": report["sent"], "distinct": report["distinct"],
            "rate": (len(times) - 1) / span if span else 0.0, "seconds": finished - started,
            "gap": (after[0] - killed_at) if after else None}


def figures(calm: dict, killed: dict, rate: float) -> list[Figure]:
    head = f"{calm['chats']:,} chats @ {rate:,.0f}/s, 2 processes"
    out = [info(BENCH, f"{head}: rate at the fake", calm["rate"], "msgs/s"),
           info(BENCH, f"{head}: broadcast time", calm["seconds"], "s"),
           at_most(BENCH, f"{head}: duplicates", calm["sent"] - calm["distinct"], "msgs", 0),
           at_most(BENCH, f"{head}: chats not reached", calm["chats"] - calm["distinct"], "chats", 0),
           info(BENCH, f"{head}, sender killed half-way: broadcast time", killed["seconds"], "s"),
           # A kill between Telegram's answer and the record of it (the window deliver/outbox.py
           # names) leaves that send to be made again: at most the sends in flight at the kill.
           info(BENCH, f"{head}, sender killed half-way: duplicates (sends in flight at the kill)",
                killed["sent"] - killed["distinct"], "msgs"),
           at_most(BENCH, f"{head}, sender killed half-way: chats not reached",
                   killed["chats"] - killed["distinct"], "chats", 0)]
    if killed["gap"] is not None:
        out.append(info(BENCH, f"{head}, sender killed half-way: kill to the survivor's next message",
                        killed["gap"], "s"))
    return out


def run(database: str, chats: int = CHATS, rate: float = RATE) -> list[Figure]:
    try:
        return figures(run_once(database, chats, rate, None), run_once(database, chats, rate, chats // 2), rate)
    finally:
        drop(database)


def drop(database: str) -> None:
    """Remove the benchmark's schema."""
    import psycopg
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {_schema_url(database, SIZE_TAG)[1]} CASCADE")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout_pg", description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="postgresql://… (a schema tw_bench_0 is made and dropped)")
    parser.add_argument("--chats", type=int, default=CHATS)
    parser.add_argument("--rate", type=float, default=RATE)
    for hidden in ("--role", "--token", "--api", "--event"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role:
        asyncio.run(work(args.role, args.database, args.token, args.api, args.rate, args.event))
        return 0
    result = run(args.database, args.chats, args.rate)
    print_figures("Fan-out: two processes on one PostgreSQL", result)
    return exit_code(result)


if __name__ == "__main__":
    raise SystemExit(main())
