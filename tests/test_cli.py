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
        assert proc.wait(timeout=15) == 0
        err.wait_for("stopped.")
        assert sum("fr-bis" in l for l in err.lines) == 1, err.lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
