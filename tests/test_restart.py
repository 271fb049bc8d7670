"""Restarts and interruptions: nothing is alerted twice, and a killed pass stores nothing twice.

`bot.py` runs as a subprocess against sources on the local HTTP server (and, in Telegram mode, the
fake Bot API of tests/fakebot.py), the way an operator runs it. Every wait is bounded.
"""
from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from storage import open_store
from tests.test_e2e import (CHANNEL, OUTLET_B, STEEL, USER, alerts, command, cwd_without_env, fake,  # noqa: F401
                            rss_source, running, serve, service_env, wait_fake, wait_for_passes, wait_until)
from tests.test_cli import catalog, env_for, tmp_cwd

ROOT = Path(__file__).resolve().parent.parent
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
LATE_USER = 1003


def two_wires(server) -> list[dict]:
    serve(server, "/a.rss", "wire-a-1.rss")
    serve(server, "/b.rss", "wire-b-1.rss")
    return [rss_source("wire-a", "Harbourside Trade Wire", server.url("/a.rss")),
            rss_source("wire-b", OUTLET_B, server.url("/b.rss"))]


def wait_baselines(server) -> None:
    wait_until(lambda: server.hits("/a.rss") >= 2 and server.hits("/b.rss") >= 2, 20, "baseline passes")


def console_env(tmp_path: Path, sources: list[dict]) -> dict[str, str]:
    env = env_for(tmp_path, catalog(tmp_path / "sources.toml", sources), PYTHONPATH=str(ROOT))
    return env


def start_console(env: dict[str, str]):
    from tests.test_e2e import Service
    return Service(env, Path(tmp_cwd(env)))


def test_console_restart_after_a_joined_report_prints_nothing_again(tmp_path, http_server):
    env = console_env(tmp_path, two_wires(http_server))
    first = start_console(env)
    try:
        wait_baselines(http_server)
        serve(http_server, "/a.rss", "wire-a-2.rss")
        first.out.wait_for(STEEL, timeout=20)
        serve(http_server, "/b.rss", "wire-b-2.rss")
        first.out.wait_for("UPDATE", timeout=20)           # B's reworded report joined the event
        wait_for_passes(http_server, "/b.rss", 2)
        assert first.stop() == 130
    finally:
        first.kill()
    second = start_console(env)
    try:
        second.err.wait_for("console mode")
        wait_for_passes(http_server, "/a.rss", 2)
        wait_for_passes(http_server, "/b.rss", 2)
        assert second.stop() == 130
    finally:
        second.kill()
    printed = [line for run in (first, second) for line in run.out.lines
               if STEEL in line and not line.startswith("UPDATE")]
    assert len(printed) == 1, first.out.text() + "\n--- after the restart ---\n" + second.out.text()
    assert STEEL not in second.out.text()


def test_telegram_restart_sends_the_old_alert_to_no_one(tmp_path, http_server, fake):  # noqa: F811
    fake.add_chat(CHANNEL, "channel", title="TradeWatch alerts")
    env = service_env(tmp_path, fake, two_wires(http_server), TELEGRAM_CHANNEL=str(CHANNEL))
    cwd = cwd_without_env(tmp_path)
    with running(env, cwd) as service:
        command(fake, USER, "/subscribe", "Subscribed")
        wait_baselines(http_server)
        serve(http_server, "/a.rss", "wire-a-2.rss")
        wait_fake(fake, lambda: alerts(fake, USER, STEEL) and alerts(fake, CHANNEL, STEEL), 20, "the alert")
        serve(http_server, "/b.rss", "wire-b-2.rss")
        wait_fake(fake, lambda: alerts(fake, USER, STEEL)[0].edits, 20, "the 'also reported by' edit")
        wait_for_passes(http_server, "/b.rss", 2)
        command(fake, LATE_USER, "/subscribe", "Subscribed")     # subscribed after the alert
        assert service.stop() == 130
    with running(env, cwd) as service:
        command(fake, LATE_USER, "/latest", "Latest events")     # the bot is up and answering
        wait_for_passes(http_server, "/a.rss", 2)
        wait_for_passes(http_server, "/b.rss", 2)
        assert service.stop() == 130
    assert alerts(fake, LATE_USER, STEEL) == []
    assert len(alerts(fake, USER, STEEL)) == 1 and len(alerts(fake, CHANNEL, STEEL)) == 1


# ---- issue 15 #6: kill -9 in the middle of a pass ---------------------------------------------------
COUNTRIES = ["China", "Canada", "Mexico", "Japan", "India", "Vietnam", "Brazil", "Korea"]
GOODS = ["steel", "aluminium", "solar panels", "copper", "lumber", "tyres", "batteries", "drones"]


def feed(batch: int, count: int, outlet: str) -> bytes:
    """`count` distinct tariff stories for one batch; the second outlet words them differently."""
    items = []
    for n in range(count):
        country, goods = COUNTRIES[n % 8], GOODS[(n // 8) % 8]
        rate = 5 + (batch * count + n) % 90
        title = (f"US imposes {rate}% tariff on {goods} from {country} (notice {batch}-{n})" if outlet == "a"
                 else f"Washington sets {rate}% duty on {country} {goods}, notice {batch}-{n}")
        link = f"https://{outlet}.example.org/{batch}/{n}"
        items.append(f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
                     f"<pubDate>Tue, 03 Nov 2026 10:{n % 60:02d}:00 GMT</pubDate></item>")
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet}</title>'
            + "".join(items) + "</channel></rss>").encode()


def once(env: dict[str, str], kill_after: float | None = None) -> None:
    proc = subprocess.Popen([sys.executable, "bot.py", "once"], cwd=tmp_cwd(env), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_after is None:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        return
    try:
        proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.kill()                                            # SIGKILL: no clean-up at all
    proc.communicate(timeout=30)


def test_passes_killed_at_random_moments_store_each_report_once(tmp_path, http_server):
    sources = [{"id": f"wire-{o}", "name": f"Wire {o.upper()}", "kind": "rss", "authority": "news",
                "url": http_server.url(f"/{o}.rss"), "every": "1h"} for o in "ab"]
    env = console_env(tmp_path, sources)
    for outlet in "ab":
        http_server.route(f"/{outlet}.rss", body=feed(0, 120, outlet), headers=RSS)
    started = time.monotonic()
    once(env)                                                  # baseline, uninterrupted
    full = time.monotonic() - started
    rng = random.Random(20261128)
    for kill in range(12):                 # each batch of news is tried 3 times, killed each time
        for outlet in "ab":
            http_server.route(f"/{outlet}.rss", body=feed(1 + kill // 3, 120, outlet), headers=RSS)
        once(env, kill_after=rng.uniform(0.4 * full, 1.1 * full))
    once(env)                                                  # a clean pass after the kills
    with open_store(Path(env["DATA_DIR"]) / "tradewatch.json") as store:
        events = store.events.all()
        twice = {e.id: n for e in events
                 for (_, n) in Counter((r.source_id, r.url) for r in e.reports).items() if n > 1}
        assert len(events) > 120 and twice == {}
