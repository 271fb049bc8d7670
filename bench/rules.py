"""Benchmark 5, alert rules: one event against 10,000 chats with mixed rules.

10,000 subscribers with seeded, mixed rules (about 40% topics only, the rest with countries,
keywords in English and Chinese, excludes, product names and HS prefixes, watch names, and some
in quiet hours or digest mode) are put in an in-memory store; events come from the synthetic corpus
(bench/corpus.py), the official ones with names of the watch pool in their summaries. Figures:
- the time to decide one event for every chat with compiled rules (`ChatRules.decide` over the
  10,000, the event prepared once: `Rules.view`), median and worst over the events; target < 20 ms;
- `Router.plan` — what `Deliverer.notify` awaits: compiling every chat's rules on the first event,
  deciding, holding alerts for digests — with a heartbeat beside it that records the longest
  time the event loop was blocked; target < 20 ms (plan yields every SLICE chats).

    python -m bench.rules [--chats 10000] [--events 200]
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import time
from dataclasses import replace
from datetime import datetime, timedelta

from bench.common import Figure, at_most, exit_code, info, print_figures
from bench.corpus import Corpus
from bench.pipeline import SOURCES, heartbeat
from storage import open_store
from tradewatch.deliver.products import ProductCatalog
from tradewatch.deliver.route import Router
from tradewatch.deliver.rules import Rules
from tradewatch.models import UTC, Subscriber
from tradewatch.understand import vocabulary

BENCH = "rules"
NOW = datetime(2026, 10, 28, 9, 0, tzinfo=UTC)
TARGET_MS = 20.0
IDLE_SECONDS = 1.0
KEYWORDS = ("steel", "tariff", "anti-dumping", "rare earth", "semiconductors", "export licence", "entity list",
            "section 301", "countervailing", "solar", "batteries", "gallium", "drones", "soybeans", "aluminium",
            "稀土", "半导体", "出口管制", "关税", "反倾销", "不可靠实体清单", "镓", "锂电池", "光伏", "电动汽车")
EXCLUDES = ("stocks", "opinion", "analysis", "market", "shares", "wine", "fears", "关注", "股市")
PRODUCTS = ("steel", "semiconductors", "rare earths", "electric vehicles", "batteries", "solar", "gallium",
            "critical minerals", "soybeans", "aluminium", "72", "8541", "8507", "850760", "2805", "87")
WATCH = tuple(f"{a} {b} Co., Ltd." for a in ("Acme", "Lumaris", "Northgate", "Huaxin", "Delta", "Kestrel",
                                               "Orion", "Sable", "Tianrui", "Vireo")
              for b in ("Robotics", "Optics", "Semiconductor", "Materials", "Technologies")) + ("华为技术有限公司",)


def subscribers(count: int, rng: random.Random) -> list[Subscriber]:
    chats = []
    for n in range(count):
        roll, pick = rng.random(), (lambda pool, k: tuple(rng.sample(pool, rng.randint(1, k))))
        s = Subscriber(100_000 + n, topics=rng.choice((("tariff",), ("export_control",), ("tariff", "export_control"))))
        if roll >= 0.4:
            s = Subscriber(s.chat_id, topics=s.topics, countries=pick(("CN", "US", "EU", "JP", "KR", "CA"), 3)
                           if rng.random() < 0.3 else (), keywords=pick(KEYWORDS, 8) if rng.random() < 0.5 else (),
                           excludes=pick(EXCLUDES, 3) if rng.random() < 0.3 else (),
                           products=pick(PRODUCTS, 5) if rng.random() < 0.4 else (),
                           watch=pick(WATCH, 20) if rng.random() < 0.25 else (),
                           quiet="22:00-07:00" if rng.random() < 0.1 else "",
                           digest_at="08:00" if rng.random() < 0.05 else "",
                           timezone=rng.choice(("UTC", "Europe/Berlin", "Asia/Shanghai", "America/New_York")))
        chats.append(s)
    return chats


def events(count: int, corpus: Corpus):
    made = []
    for _ in range(count):
        story = corpus.relevant()
        source = SOURCES[("official-" if story.official else "") + story.lang]
        event = corpus.event(story, source, NOW - timedelta(minutes=5), NOW - timedelta(minutes=10))
        if story.official and corpus.rng.random() < 0.5:
            event = replace(event, summary=f"{event.summary} Adds {corpus.rng.choice(WATCH)} to the list.")
        made.append(event)
    return made


async def measure(chats: int = 10_000, count: int = 200, seed: int = 2026) -> dict:
    rng, corpus = random.Random(seed), Corpus(seed)
    store = open_store(None)
    people = subscribers(chats, rng)
    for s in people:
        store.subscribers.put(s)
    rules = Rules(ProductCatalog.of(vocabulary.PRODUCTS, vocabulary.UMBRELLAS))
    router = Router(store, rules)
    batch = events(count, corpus)
    gc.collect()
    gc.freeze()                       # as the Pipeline does at start-up: the start-up heap is not scanned again
    pauses: list[float] = []
    gc.callbacks.append(timer := _gc_timer(pauses))

    idle_stop, idle = asyncio.Event(), []          # the machine's own noise: the heartbeat alone
    idling = asyncio.create_task(heartbeat(idle_stop, idle))
    await asyncio.sleep(IDLE_SECONDS)
    idle_stop.set()
    await idling
    stop, stalls = asyncio.Event(), []
    beating = asyncio.create_task(heartbeat(stop, stalls))
    await asyncio.sleep(0)
    started = time.perf_counter()
    first = await router.plan(batch[0], NOW, people)       # compiles every chat's rules
    first_ms = (time.perf_counter() - started) * 1000
    plans = []
    for event in batch[1:20]:
        started = time.perf_counter()
        await router.plan(event, NOW, people)
        plans.append((time.perf_counter() - started) * 1000)
    stop.set()
    await beating
    gc.callbacks.remove(timer)
    gc.unfreeze()

    compiled = [rules.compiled(s) for s in people]
    decide_ms, matched = [], []
    for event in batch:
        started = time.perf_counter()
        view = rules.view(event)
        hits = sum(1 for c in compiled if c.decide(view, NOW) is not None)
        decide_ms.append((time.perf_counter() - started) * 1000)
        matched.append(hits)
    store.close()
    return {"chats": chats, "events": count, "decide_median": statistics.median(decide_ms),
            "decide_worst": max(decide_ms), "first_plan": first_ms, "plan_median": statistics.median(plans),
            "stall": max(stalls, default=0.0) * 1000, "matched": statistics.mean(matched),
            "first_sent": len(first.send), "gc_pause": max(pauses, default=0.0) * 1000,
            "idle": max(idle, default=0.0) * 1000}


def _gc_timer(pauses: list[float]):
    """A gc callback that records how long each full (generation 2) collection took."""
    started = [0.0]

    def timer(phase: str, info: dict) -> None:
        if info.get("generation") == 2:
            if phase == "start":
                started[0] = time.perf_counter()
            else:
                pauses.append(time.perf_counter() - started[0])
    return timer


def figures(m: dict) -> list[Figure]:
    return [
        at_most(BENCH, f"decide one event for {m['chats']:,} chats (median of {m['events']})", m["decide_median"],
                "ms", TARGET_MS),
        info(BENCH, "decide, worst event", m["decide_worst"], "ms"),
        info(BENCH, "Router.plan, first event (compiles every chat's rules)", m["first_plan"], "ms"),
        info(BENCH, "Router.plan, median of the next 19 (holds included)", m["plan_median"], "ms"),
        at_most(BENCH, "longest event-loop stall during plans", m["stall"], "ms", TARGET_MS),
        info(BENCH, "longest full garbage collection during plans", m["gc_pause"], "ms"),
        info(BENCH, f"heartbeat lateness with the loop idle ({IDLE_SECONDS:g} s: the machine's noise)", m["idle"], "ms"),
        info(BENCH, "chats matched per event (mean)", m["matched"]),
    ]


def run(chats: int = 10_000, count: int = 200) -> list[Figure]:
    return figures(asyncio.run(measure(chats, count)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rules", description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args(argv)
    result = run(args.chats, args.events)
    print_figures(f"Rules: one event against {args.chats:,} chats", result)
    return exit_code(result)


if __name__ == "__main__":
    raise SystemExit(main())
