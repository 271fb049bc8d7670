"""End to end: the real `python bot.py run` as a subprocess, the fake Bot API and local feeds.

Each test starts the service the way an operator does (environment only, a cwd without `.env`),
talks to it through the fake Bot API (tests/fakebot.py) running in this process, and serves its
sources from the local HTTP server (`http_server`). The first pass over a source is a baseline, so
every test waits for a second hit on a feed before it publishes news there. Every wait is bounded;
the subprocess is always stopped in a `finally`.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import pytest

from storage import open_store
from tests.fakebot import ApiError, FakeBotAPI, SentMessage
from tests.httpserver import LocalServer
from tests.test_cli import catalog
from tradewatch.models import UTC, Subscriber
from tradewatch.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "e2e"
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
CHANNEL = -1001234567890
USER, BLOCKED = 1001, 1002
STEEL = "Washington imposes 50% tariff on Chinese steel imports"          # wire-a-2.rss
STEEL_AGAIN = "US to impose 50% tariffs on steel from China"              # wire-b-2.rss
EV_BASELINE = "Ottawa raises surtax on Chinese electric vehicles to 100%"  # wire-a-1.rss
GALLIUM = "Beijing requires export licences for gallium and germanium"     # wire-c-2.rss
OUTLET_B = "Meridian Markets Daily"


# ---- the fake Bot API, with a gate for the crash test ---------------------------------------
class GatedFakeBotAPI(FakeBotAPI):
    """The fake, plus a gate for sendMessage: while closed, sends are held unanswered and then
    dropped (never accepted), like requests still on the wire when the process dies."""

    def __init__(self) -> None:
        super().__init__()
        self._gate = threading.Event()
        self._gate.set()
        self.held = 0

    def close_gate(self) -> None:
        self._gate.clear()

    def open_gate(self) -> None:
        self._gate.set()

    def sendMessage(self, params: dict) -> dict:  # noqa: N802 (Bot API naming)
        if self._gate.is_set():
            return super().sendMessage(params)
        with self._cond:
            self.held += 1
            self._changed()
        self._gate.wait(timeout=60)
        raise ApiError(502, "Bad Gateway: request dropped by the test")


@pytest.fixture
def fake() -> Iterator[GatedFakeBotAPI]:
    server = GatedFakeBotAPI().start()
    try:
        yield server
    finally:
        server.open_gate()
        server.stop()


# ---- the service as a subprocess ---------------------------------------------------------------
class Output:
    """A pipe's lines, collected by a thread; `wait_for` is bounded."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:
        for line in stream:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()

    def text(self) -> str:
        with self._cond:
            return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 15) -> str:
        with self._cond:
            found = self._cond.wait_for(lambda: next((l for l in self.lines if text in l), None), timeout)
        if found is None:
            raise AssertionError(f"{text!r} not seen in {timeout}s; got:\n{self.text()[-3000:]}")
        return found

    def close(self, timeout: float = 5) -> None:
        self._thread.join(timeout)


class Service:
    """`python bot.py run` with its stdout and stderr collected."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bot.py"), "run"], cwd=cwd, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out, self.err = Output(self.proc.stdout), Output(self.proc.stderr)

    def stop(self, timeout: float = 15, sig: int = signal.SIGINT) -> int:
        """SIGINT, as Ctrl-C (or `sig`); the exit code once the process has gone and its output is read."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        self.out.close()
        self.err.close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.out.close()
        self.err.close()

    def output(self) -> str:
        return self.out.text() + self.err.text()


@contextmanager
def running(env: dict[str, str], cwd: Path) -> Iterator[Service]:
    service = Service(env, cwd)
    try:
        yield service
    finally:
        service.kill()


def service_env(tmp_path: Path, fake: FakeBotAPI, sources: list[dict], **more: str) -> dict[str, str]:
    """Only the test's settings count: every TradeWatch setting inherited from outside is dropped."""
    names = {spec.name for spec in SETTINGS}
    env = {k: v for k, v in os.environ.items() if k not in names and not k.startswith(("TELEGRAM_", "TW_"))
           and not k.lower().endswith("_proxy")}          # no proxy but the test's own
    env.update(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.url, TW_POLL_TIMEOUT="1",
               SOURCES_FILE=str(catalog(tmp_path / "sources.toml", sources)),
               DATA_DIR=str(tmp_path / "data"), LOG_LEVEL="WARNING", HTTP_TIMEOUT="3",
               PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    env.update(more)
    return env


def cwd_without_env(tmp_path: Path) -> Path:
    cwd = tmp_path / "cwd"
    cwd.mkdir(exist_ok=True)
    return cwd


def rss_source(source_id: str, name: str, url: str) -> dict:
    return {"id": source_id, "name": name, "kind": "rss", "url": url, "authority": "news", "every": "1s"}


def serve(server: LocalServer, path: str, fixture: str) -> None:
    server.route(path, body=(FIXTURES / fixture).read_bytes(), headers=RSS)


# ---- bounded waits -------------------------------------------------------------------------------
def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a condition outside the fake (server hits, the process); bounded by the deadline."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.02)


def wait_fake(fake: FakeBotAPI, predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait on the fake's condition: re-checked on every Bot API request the service makes."""
    if not fake.wait_for_sync(predicate, timeout):
        last = [(m.chat_id, m.text[:50]) for m in fake.sent()[-8:]]
        raise AssertionError(f"{what}: not within {timeout}s; {len(fake.sent())} sent, the last: {last}")


def wait_for_passes(server: LocalServer, path: str, passes: int, timeout: float = 15) -> None:
    """Wait until `passes` more fetches of `path` happened (a job's next pass starts only when the
    previous one, delivery included, is over)."""
    target = server.hits(path) + passes
    wait_until(lambda: server.hits(path) >= target, timeout, f"{passes} more passes over {path}")


def alerts(fake: FakeBotAPI, chat_id: int, title: str) -> list[SentMessage]:
    """Alert messages for the event with this title (an alert opens with its title)."""
    return [m for m in fake.sent(chat_id) if m.text.startswith(title)]


def replies(fake: FakeBotAPI, chat_id: int, needle: str) -> list[SentMessage]:
    return [m for m in fake.sent(chat_id) if needle in m.text]


def command(fake: FakeBotAPI, chat_id: int, text: str, needle: str, timeout: float = 15) -> SentMessage:
    """Send a command and wait for the reply containing `needle` (the first one after sending)."""
    before = len(replies(fake, chat_id, needle))
    fake.send_command(chat_id, text)
    wait_fake(fake, lambda: len(replies(fake, chat_id, needle)) > before, timeout, f"reply to {text}")
    return replies(fake, chat_id, needle)[before]


# ---- 1 + 4: one alert per event, edits for later reports, blocked users, 429, no token leak -------
def test_subscriber_gets_one_alert_edited_when_a_second_outlet_reports_it(tmp_path, http_server, fake):
    fake.add_chat(CHANNEL, "channel", title="TradeWatch alerts")
    serve(http_server, "/a.rss", "wire-a-1.rss")
    serve(http_server, "/b.rss", "wire-b-1.rss")
    env = service_env(tmp_path, fake, [rss_source("wire-a", "Harbourside Trade Wire", http_server.url("/a.rss")),
                                       rss_source("wire-b", OUTLET_B, http_server.url("/b.rss"))],
                      TELEGRAM_CHANNEL=str(CHANNEL), ADMIN_IDS=str(USER), LOG_LEVEL="INFO")
    with running(env, cwd_without_env(tmp_path)) as service:
        assert "Subscribed" in command(fake, USER, "/subscribe", "Subscribed").text
        command(fake, BLOCKED, "/subscribe", "Subscribed")
        fake.block(BLOCKED)
        wait_until(lambda: http_server.hits("/a.rss") >= 2 and http_server.hits("/b.rss") >= 2, 20,
                   "baseline passes over both feeds")
        assert fake.sent(CHANNEL) == [] and alerts(fake, USER, EV_BASELINE) == []   # a baseline alerts nothing

        # News at outlet A; the user's first send is answered 429 retry_after=2.
        fake.fail_next("sendMessage", chat_id=USER, error_code=429, retry_after=2)
        serve(http_server, "/a.rss", "wire-a-2.rss")
        started = time.monotonic()
        wait_fake(fake, lambda: alerts(fake, USER, STEEL) and alerts(fake, CHANNEL, STEEL), 20, "the alert")
        wait_for_passes(http_server, "/a.rss", 2)
        [alert] = alerts(fake, USER, STEEL)
        [post] = alerts(fake, CHANNEL, STEEL)
        first_send = min(t for t in fake.times["sendMessage"] if t >= started)   # at or before the 429
        assert alert.at - first_send >= 2.0        # sent only after retry_after=2 (private chats: 1 per s anyway)
        assert "Harbourside Trade Wire" in alert.text and "50%" in alert.text
        assert alert.parse_mode and alert.parse_mode.lower() == "html"
        assert alerts(fake, BLOCKED, STEEL) == []               # refused: the user blocked the bot
        assert "Subscribers: 1 active of 2" in command(fake, USER, "/stats", "Subscribers:").text

        # Outlet B reports the same event in other words: the alert is edited, nothing new is sent.
        messages_before = {chat: len(fake.sent(chat)) for chat in (USER, CHANNEL)}
        serve(http_server, "/b.rss", "wire-b-2.rss")
        wait_fake(fake, lambda: alert.edits and post.edits, 20, "the edits")
        wait_for_passes(http_server, "/b.rss", 2)
        for message in (alert, post):
            assert "Also reported by" in message.text and OUTLET_B in message.text
            assert message.text.startswith(STEEL)       # the first title stays
        assert {chat: len(fake.sent(chat)) for chat in (USER, CHANNEL)} == messages_before
        assert not any(STEEL_AGAIN in m.text for m in fake.sent())

        # Looking back lists the event.
        assert STEEL in command(fake, USER, "/latest", "Latest events").text
        assert STEEL in command(fake, USER, "/tariffs", "Latest tariff events").text
        assert service.stop() == 130          # Ctrl-C

    output = service.output()
    assert "INFO" in output                 # the log was on, and still never showed the token
    assert fake.token not in output
    assert fake.token.split(":")[1] not in output
    with open_store(Path(env["DATA_DIR"]) / "tradewatch.json") as store:
        assert store.subscribers.get(USER).active
        gone = store.subscribers.get(BLOCKED)
        assert not gone.active and "blocked" in (gone.deactivated_reason or "")
        [event] = [e for e in store.events.all() if e.title == STEEL]
        assert [r.source_name for r in event.reports] == ["Harbourside Trade Wire", OUTLET_B]
        assert store.deliveries.get(event.id, USER).message_id == alert.message_id


# ---- 2: killed in the middle of a broadcast ---------------------------------------------------------
READERS = range(5001, 5151)


def seed_subscribers(data_dir: Path, chat_ids: range) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    with open_store(data_dir / "tradewatch.json") as store:
        for chat_id in chat_ids:
            store.subscribers.put(Subscriber(chat_id, created_at=now, title=f"Reader {chat_id}"))


def test_killed_mid_broadcast_resumes_and_sends_no_alert_twice(tmp_path, http_server, fake):
    for chat_id in READERS:
        fake.add_chat(chat_id)
    seed_subscribers(tmp_path / "data", READERS)
    serve(http_server, "/c.rss", "wire-c-1.rss")
    env = service_env(tmp_path, fake, [rss_source("wire-c", "Eastern Commodities Brief", http_server.url("/c.rss"))],
                      TW_RATE_OVERALL="20")
    cwd = cwd_without_env(tmp_path)
    delivered = lambda: len({m.chat_id for m in fake.sent() if m.text.startswith(GALLIUM)})  # noqa: E731

    with running(env, cwd):
        wait_until(lambda: http_server.hits("/c.rss") >= 2, 20, "baseline pass")
        serve(http_server, "/c.rss", "wire-c-2.rss")
        wait_fake(fake, lambda: delivered() >= 20, 20, "the first 20 alerts")
        # Kill between two sends, not inside Telegram's unavoidable window (accepted, not yet
        # recorded, see deliver/outbox.py): hold new sends, and kill once the service is blocked on them.
        fake.close_gate()
        wait_fake(fake, lambda: fake.held >= 3, 10, "sends held at the gate")
    fake.open_gate()
    first_run = delivered()
    assert 20 <= first_run < len(READERS)

    with running(env, cwd) as service:
        wait_fake(fake, lambda: delivered() == len(READERS), 30, "every reader's alert after the restart")
        wait_for_passes(http_server, "/c.rss", 1)
        assert service.stop() == 130          # Ctrl-C
    received = Counter(m.chat_id for m in fake.sent() if m.text.startswith(GALLIUM))
    assert set(received) == set(READERS)
    assert [chat for chat, times in received.items() if times > 1] == []


# ---- 3: start-up problems ------------------------------------------------------------------------------
def test_wrong_token_exits_non_zero_with_a_clear_message(tmp_path, http_server, fake):
    serve(http_server, "/a.rss", "wire-a-1.rss")
    wrong = "987654321:not-the-token-Telegram-knows"
    env = service_env(tmp_path, fake, [rss_source("wire-a", "Harbourside Trade Wire", http_server.url("/a.rss"))],
                      TELEGRAM_BOT_TOKEN=wrong)
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(ROOT / "bot.py"), "run"], cwd=cwd_without_env(tmp_path), env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert time.monotonic() - started < 20
    assert "TELEGRAM_BOT_TOKEN" in done.stderr and "Traceback" not in done.stderr
    assert "Unclosed" not in done.stderr                   # the transport was closed
    assert wrong not in done.stdout + done.stderr
    assert fake.sent() == []


def test_channel_without_admin_rights_is_reported_and_subscribers_are_still_served(tmp_path, http_server, fake):
    fake.add_chat(CHANNEL, "channel", title="Someone else's channel", bot_status="member")
    serve(http_server, "/a.rss", "wire-a-1.rss")
    env = service_env(tmp_path, fake, [rss_source("wire-a", "Harbourside Trade Wire", http_server.url("/a.rss"))],
                      TELEGRAM_CHANNEL=str(CHANNEL))
    with running(env, cwd_without_env(tmp_path)) as service:
        line = service.err.wait_for("not an administrator")
        assert str(CHANNEL) in line
        assert "Traceback" not in service.err.text()
        wait_until(lambda: http_server.hits("/a.rss") >= 2, 20, "baseline pass")
        assert EV_BASELINE in command(fake, USER, "/latest", "Latest events").text
        assert "Subscribed" in command(fake, USER, "/subscribe", "Subscribed").text
        assert service.proc.poll() is None
        assert service.stop() == 130          # Ctrl-C
    assert fake.sent(CHANNEL) == []


# ---- 5: delivery you can trust: retried after an outage, a refused command menu, proxies ------------
def test_an_alert_held_up_by_a_30_s_outage_arrives_within_a_minute_after_it_with_no_new_news(
        tmp_path, http_server, fake):
    serve(http_server, "/a.rss", "wire-a-1.rss")
    env = service_env(tmp_path, fake, [rss_source("wire-a", "Harbourside Trade Wire", http_server.url("/a.rss"))],
                      LOG_LEVEL="INFO")
    with running(env, cwd_without_env(tmp_path)) as service:
        command(fake, USER, "/subscribe", "Subscribed")
        wait_until(lambda: http_server.hits("/a.rss") >= 2, 20, "baseline pass")
        outage_ends = fake.fail_for("sendMessage", 30, error_code=502, description="Bad Gateway")
        serve(http_server, "/a.rss", "wire-a-2.rss")       # the news; the feed does not change again
        wait_fake(fake, lambda: fake.calls["sendMessage"] >= 3, 20, "sends failing during the outage")
        wait_fake(fake, lambda: alerts(fake, USER, STEEL), 30 + 70, "the alert after the outage")
        [alert] = alerts(fake, USER, STEEL)
        late = alert.at - outage_ends
        print(f"alert {late:.1f} s after the 30 s outage ended")
        assert 0 <= late < 60
        assert len(fake.sent(USER)) == 2                   # the subscribe reply and the alert, once
        service.err.wait_for("retrying")
        assert service.stop(sig=signal.SIGTERM) == 0       # a supervisor's stop
    assert "Traceback" not in service.output()


@pytest.mark.parametrize("code", [500, 404, 429])
def test_a_refused_command_menu_is_one_line_and_the_bot_runs(tmp_path, http_server, fake, code):
    fake.fail_next("setMyCommands", error_code=code, retry_after=5 if code == 429 else None)
    serve(http_server, "/a.rss", "wire-a-1.rss")
    env = service_env(tmp_path, fake, [rss_source("wire-a", "Harbourside Trade Wire", http_server.url("/a.rss"))])
    with running(env, cwd_without_env(tmp_path)) as service:
        line = service.err.wait_for("command menu not set")
        assert "the commands still work" in line
        assert "watches" in command(fake, USER, "/start", "TradeWatch").text
        assert service.proc.poll() is None
        assert service.stop() == 130
    output = service.output()
    assert "Traceback" not in output and "TELEGRAM_BOT_TOKEN" not in output and "cannot reach" not in output


def test_telegram_proxy_carries_the_bots_traffic(tmp_path, http_server, fake):
    from tests.proxy import ForwardProxy

    serve(http_server, "/a.rss", "wire-a-1.rss")
    with ForwardProxy() as proxy:
        env = service_env(tmp_path, fake, [rss_source("wire-a", "Harbourside Trade Wire", http_server.url("/a.rss"))],
                          TELEGRAM_PROXY=proxy.url)
        with running(env, cwd_without_env(tmp_path)) as service:
            assert "Subscribed" in command(fake, USER, "/subscribe", "Subscribed").text
            assert {"getMe", "setMyCommands", "getUpdates", "sendMessage"} <= proxy.methods()
            assert service.stop() == 130
