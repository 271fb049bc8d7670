"""`bot.py once` against a local server serving hostile answers (issue 15 #2, #3, #5): each pass
ends in under 3 s with a clear error or the right items, and the process stays under 200 MB."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_cli import catalog, env_for, tmp_cwd

BOMB = Path(__file__).parent / "fixtures" / "fetch" / "gzip-gzip-300mb.bin"
RSS = {"Content-Type": "application/rss+xml"}
FEED_HEAD = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
ITEM = b"<item><title>US raises tariffs on steel to 50%</title><link>https://wire.example.org/1</link>"


def shapes() -> dict[str, tuple[str, bytes, dict[str, str], str]]:
    """name: (kind, body, headers, what stderr or stdout must say)."""
    listing = {"item": "ul > li", "title": "a", "link": "a@href"}
    return {
        "6,000 unclosed non-permalink guids": (
            "rss", FEED_HEAD + ITEM + b'<guid isPermaLink="false">x' * 6_000 + b"</item></channel></rss>", RSS,
            "not a readable feed: elements nest deeper than 500 levels"),
        "nested gzip bomb": ("rss", BOMB.read_bytes(), {**RSS, "Content-Encoding": "gzip, gzip"},
                             "too_large: body exceeds 8,000,000 bytes"),
        "80,000 nested divs": ("html", b"<html><body>" + b"<div>" * 80_000 + b"</body></html>",
                               {"Content-Type": "text/html"}, "nests elements deeper than 4,000 levels"),
    }, listing


SHAPES, LISTING = shapes()
# `bot.py once`, reporting its own peak resident memory on the way out: VmHWM, since ru_maxrss
# survives exec and would include the forked pytest process.
MEASURED_ONCE = ("import atexit, re, runpy, sys; atexit.register(lambda: print('maxrss_kb', re.search("
                 "r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1), file=sys.stderr)); "
                 "sys.argv = ['bot.py', 'once']; runpy.run_path('bot.py', run_name='__main__')")


@pytest.mark.parametrize("name", list(SHAPES))
def test_once_against_a_hostile_answer_is_quick_clear_and_small(tmp_path, http_server, name):
    kind, body, headers, says = SHAPES[name]
    http_server.route("/hostile", body=body, headers=headers)
    entry = {"id": "hostile", "name": "Hostile", "kind": kind, "url": http_server.url("/hostile"), "every": "5s"}
    sources = catalog(tmp_path / "sources.toml", [entry])
    if kind == "html":
        with sources.open("a", encoding="utf-8") as toml:
            toml.write("[source.select]\n" + "".join(f'{key} = "{value}"\n' for key, value in LISTING.items()))
    env = {**env_for(tmp_path, sources), "PYTHONPATH": str(Path(__file__).parent.parent)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURED_ONCE], cwd=tmp_cwd(env), env=env, capture_output=True,
                          text=True, timeout=60)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0 and says in done.stdout + done.stderr, done.stderr
    assert elapsed < 3.0, f"once took {elapsed:.1f} s"
    peak_mb = int(done.stderr.rsplit("maxrss_kb ", 1)[1].split()[0]) / 1024
    assert peak_mb < 200, f"once peaked at {peak_mb:.0f} MB"
