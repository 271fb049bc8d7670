"""The command line as an operator uses it: `once`, `sources`, `run` in console mode, bad set-ups."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "pipeline"
JSON = {"Content-Type": "application/json"}


def catalog(path: Path, entries: list[dict]) -> Path:
    """A catalog file; every entry may reach the test server on 127.0.0.1 (allow_private)."""
    lines = []
    for e in entries:
        lines.append("[[source]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in {"allow_private": True, **e}.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fr_entry(url: str, **more) -> dict:
    return {"id": "fr-bis", "name": "Federal Register: BIS", "kind": "federal_register", "url": url,
            "authority": "official", "country": "US", "every": "5s", **more}


def env_for(tmp_path: Path, sources: Path, **more) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TW_", "HTTP_"))}
    env.update(SOURCES_FILE=str(sources), DATA_DIR=str(tmp_path / "data"), LOG_LEVEL="WARNING",
               HTTP_TIMEOUT="3", PYTHONUNBUFFERED="1", **more)
    return env


def bot(args: list[str], env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "bot.py", *args], cwd=tmp_cwd(env), env=env, capture_output=True,
                          text=True, timeout=timeout)


def tmp_cwd(env: dict) -> str:
    """Run from a folder without a .env, so only the test's environment counts."""
    cwd = Path(env["DATA_DIR"]).parent / "cwd"
    cwd.mkdir(exist_ok=True)
    for name in ("bot.py",):
        link = cwd / name
        if not link.exists():
            link.symlink_to(ROOT / name)
    return str(cwd)


@pytest.fixture
def cli_env(tmp_path, http_server):
    http_server.route("/fr.json", body=(FIXTURES / "fr-page1.json").read_bytes(), headers=JSON)
    sources = catalog(tmp_path / "sources.toml", [fr_entry(http_server.url("/fr.json"))])
    env = env_for(tmp_path, sources)
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_once_json_parses_every_document_then_reports_nothing_new(cli_env, http_server):
    first = bot(["once", "--json"], cli_env)
    assert first.returncode == 0, first.stderr
    events = [json.loads(line) for line in first.stdout.splitlines()]
    numbers = {e["doc_number"] for e in events}
    assert {"2026-20877", "2026-20590"} <= numbers and "2026-21001" not in numbers
    assert all(e["baseline"] is True for e in events)
    assert "1 ok, 0 failed" in first.stderr

    second = bot(["once", "--json"], cli_env)
    assert second.returncode == 0 and second.stdout == ""

    http_server.route("/fr.json", body=(FIXTURES / "fr-page2.json").read_bytes(), headers=JSON)
    third = bot(["once", "--json"], cli_env)
    [event] = [json.loads(line) for line in third.stdout.splitlines()]
    assert event["doc_number"] == "2026-21420" and event["baseline"] is False
    assert event["reports"][0]["source_id"] == "fr-bis"


def test_once_reports_failed_sources_and_still_exits_zero(tmp_path, http_server):
    http_server.route("/gone.json", status=404)
    sources = catalog(tmp_path / "s.toml", [fr_entry(http_server.url("/gone.json"))])
    env = env_for(tmp_path, sources, PYTHONPATH=str(ROOT))
    done = bot(["once"], env)
    assert done.returncode == 0
    assert "fr-bis: http_4xx" in done.stderr and "1 failed" in done.stderr


def test_bad_setting_exits_2_naming_it(cli_env):
    done = bot(["once"], {**cli_env, "HTTP_TIMEOUT": "soon"})
    assert done.returncode == 2
    assert "HTTP_TIMEOUT" in done.stderr and "Traceback" not in done.stderr


def test_bad_catalog_exits_2_naming_source_and_key(tmp_path, http_server):
    sources = catalog(tmp_path / "s.toml", [fr_entry(http_server.url("/x"), every="often")])
    done = bot(["once"], env_for(tmp_path, sources, PYTHONPATH=str(ROOT)))
    assert done.returncode == 2 and "'fr-bis'" in done.stderr and "'every'" in done.stderr
    assert "Traceback" not in done.stderr


def test_corrupt_database_stops_start_up_and_is_left_alone(cli_env):
    data = Path(cli_env["DATA_DIR"])
    data.mkdir(parents=True)
    db = data / "tradewatch.json"
    db.write_bytes(b'{"this is": not json')
    done = bot(["once"], cli_env)
    assert done.returncode == 2 and str(db) in done.stderr and "Traceback" not in done.stderr
    assert db.read_bytes() == b'{"this is": not json'


def test_sources_lists_the_catalog_and_check_fetches(cli_env):
    listed = bot(["sources"], cli_env)
    assert listed.returncode == 0 and "fr-bis" in listed.stdout and "federal_register" in listed.stdout
    checked = bot(["sources", "--check"], cli_env)
    assert "check: ok, 3 items" in checked.stdout


def wait_until(predicate, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout}s")
        time.sleep(0.02)    # polling a condition, bounded by the deadline


class Reader:
    """Collects a subprocess's output lines in a thread; waits are bounded."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{text!r} not seen in {timeout}s; got {''.join(self.lines)[-2000:]}")
                self._cond.wait(left)


def test_console_mode_reports_unreachable_source_once_keeps_running_and_stops_cleanly(tmp_path, http_server):
    http_server.route("/news.rss", body=(FIXTURES / "news-1.rss").read_bytes(),
                      headers={"Content-Type": "application/rss+xml"})
    sources = catalog(tmp_path / "s.toml", [
        fr_entry("http://127.0.0.1:9/unreachable.json"),
        {"id": "wire", "name": "Example Wire", "kind": "rss", "url": http_server.url("/news.rss"), "every": "1s"},
    ])
    env = env_for(tmp_path, sources, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "bot.py", "run"], cwd=tmp_cwd(env), env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        err, out = Reader(proc.stderr), Reader(proc.stdout)
        err.wait_for("console mode")
        line = err.wait_for("fr-bis")
        assert "network" in line
        wait_until(lambda: http_server.hits("/news.rss") >= 2)   # the baseline pass is over
        http_server.route("/news.rss", body=(FIXTURES / "news-2.rss").read_bytes(),
                          headers={"Content-Type": "application/rss+xml"})
        out.wait_for("US adds nine Chinese firms")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 130                      # Ctrl-C, as in Telegram mode
        err.wait_for("stopped.")
        assert sum("fr-bis" in l for l in err.lines) == 1, err.lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


class TimedServer:
    """Wraps the local server's request hook to note when each request arrived."""

    def __init__(self, server) -> None:
        self.times: list[float] = []
        begin = server._begin

        def timed(path, headers):
            self.times.append(time.monotonic())
            return begin(path, headers)

        server._begin = timed


def test_a_source_is_polled_at_its_interval_not_twice_it(tmp_path, http_server):
    """Issue 9 #3: next_due was set after the fetch ended, so every other tick found the source
    not yet due: `every = "4s"` was fetched every ~8-10 s."""
    http_server.route("/news.rss", body=(FIXTURES / "news-1.rss").read_bytes(),
                      headers={"Content-Type": "application/rss+xml"}, delay=0.3)
    timed = TimedServer(http_server)
    sources = catalog(tmp_path / "s.toml", [
        {"id": "wire", "name": "Example Wire", "kind": "rss", "url": http_server.url("/news.rss"), "every": "4s"}])
    env = env_for(tmp_path, sources, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "bot.py", "run"], cwd=tmp_cwd(env), env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: len(timed.times) >= 8, timeout=45)     # 7 intervals of 4 s after the first
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    first = timed.times[0]
    in_30s = [t for t in timed.times if t - first < 30]
    span = timed.times[7] - first
    assert len(in_30s) in (7, 8) and 26 <= span <= 30.5, (len(in_30s), span)


@pytest.mark.parametrize("setting, value", [
    ("HTTP_TIMEOUT", "nan"), ("DEDUPE_WINDOW_DAYS", "1e9"), ("BACKOFF_MAX_MINUTES", "inf"),
    ("HTTP_MAX_BYTES", "8e6"), ("TW_POLL_TIMEOUT", "0.5"),
])
def test_bad_numbers_exit_2_with_one_line(cli_env, setting, value):
    """Issue 9 #9: nan, inf and 1e9 gave a traceback and exit 1."""
    done = bot(["once"], {**cli_env, setting: value})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"TradeWatch: setting {setting}=")


def test_bad_catalog_shapes_exit_2_with_one_line(tmp_path, http_server, cli_env):
    bad = {"a directory": tmp_path,
           "source = [1, 2]": tmp_path / "ints.toml",
           "a bad selector": catalog(tmp_path / "css.toml", [{**fr_entry(http_server.url("/x")), "kind": "html",
                                                              "select": {"item": "li[", "title": "a", "link": "a@href"}}])}
    bad["source = [1, 2]"].write_text("source = [1, 2]\n")
    (tmp_path / "cwd").mkdir(exist_ok=True)
    for what, path in bad.items():
        done = bot(["once"], {**cli_env, "SOURCES_FILE": str(path)})
        assert done.returncode == 2 and "Traceback" not in done.stderr, what
        assert len(done.stderr.strip().splitlines()) == 1, (what, done.stderr)


def test_a_dotenv_that_cannot_be_parsed_exits_2_and_an_unknown_key_is_warned(cli_env):
    cwd = Path(tmp_cwd(cli_env))
    (cwd / ".env").write_text("TELEGRAM_TOKEN=123:abc\n")
    warned = bot(["sources"], cli_env)
    assert warned.returncode == 0
    assert "TELEGRAM_TOKEN is not a TradeWatch setting and is ignored (did you mean TELEGRAM_BOT_TOKEN?)" \
        in warned.stderr
    (cwd / ".env").write_text("DATA_DIR=./x\nnot a line of settings\n")
    done = bot(["sources"], cli_env)
    assert done.returncode == 2 and "line 2: cannot be parsed" in done.stderr and "Traceback" not in done.stderr


def test_counts_in_messages_agree_with_their_nouns():
    """Issue 9 #11: 'watching 1 sources'."""
    from tradewatch.console import counted, summary
    from tradewatch.models import Source
    from tradewatch.pipeline import PassResult
    assert (counted(1, "source"), counted(2, "source"), counted(0, "new event")) == ("1 source", "2 sources", "0 new events")
    one = Source(id="a", name="A", kind="rss", url="https://a.example/")
    assert summary([PassResult(one)]) == "pass done: 1 source, 1 ok, 0 failed, 0 new events"


def test_sources_reads_the_state_while_run_holds_the_database_and_run_logs_a_heartbeat(tmp_path, http_server):
    """Issue 9 #8: `bot.py sources` refused because of the lock; there was no heartbeat."""
    http_server.route("/news.rss", body=(FIXTURES / "news-1.rss").read_bytes(),
                      headers={"Content-Type": "application/rss+xml"})
    http_server.route("/gone.json", status=404)
    sources = catalog(tmp_path / "s.toml", [
        fr_entry(http_server.url("/gone.json")),
        {"id": "wire", "name": "Example Wire", "kind": "rss", "url": http_server.url("/news.rss"), "every": "1s"}])
    env = {**env_for(tmp_path, sources, PYTHONPATH=str(ROOT), TW_HEARTBEAT_MINUTES="0.02"), "LOG_LEVEL": "INFO"}
    data = Path(env["DATA_DIR"])
    proc = subprocess.Popen([sys.executable, "bot.py", "run"], cwd=tmp_cwd(env), env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        err = Reader(proc.stderr)
        Reader(proc.stdout)
        line = err.wait_for("heartbeat:")
        assert "pending" in line and "stored" in line
        err.wait_for("heartbeat: 1 source ok, 1 failing (fr-bis)")
        files_before = sorted(p.name for p in data.iterdir())
        listed = bot(["sources"], env)
        assert listed.returncode == 0, listed.stderr
        assert "failing since" in listed.stdout and "http_4xx" in listed.stdout
        assert "ok, last check" in listed.stdout
        assert sorted(p.name for p in data.iterdir()) == files_before
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 130


READ_ONLY_DATA_DIR = """
import errno, os, sys
from pathlib import Path
real, data = os.open, Path(os.environ["DATA_DIR"]).resolve()

def guarded(path, flags, *args, **kwargs):      # `chmod a-w DATA_DIR` as a non-root user sees it
    if flags & os.O_CREAT and Path(path).resolve().parent == data and not Path(path).exists():
        raise PermissionError(errno.EACCES, "Permission denied", str(path))
    return real(path, flags, *args, **kwargs)

os.open = guarded
sys.path.insert(0, os.getcwd())
import bot
sys.exit(bot.main(["once"]))
"""


def test_a_data_dir_that_takes_no_new_files_exits_2_with_one_line(cli_env):
    """Issue 15 #9: a populated read-only DATA_DIR kept running, failing every compaction."""
    assert bot(["once"], cli_env).returncode == 0                   # populated
    done = subprocess.run([sys.executable, "-c", READ_ONLY_DATA_DIR], cwd=tmp_cwd(cli_env), env=cli_env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "is not writable (Permission denied)" in line and cli_env["DATA_DIR"] in line
