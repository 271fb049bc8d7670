"""tradewatch.ingest.fetch against hostile servers: Retry-After, nested gzip bombs, poisoned
keep-alive connections, and redirects to internal addresses (issue 9 #17, issue 15 #3, #8, #10).

Address refusals are tested with httpx.MockTransport and a stub resolver only: nothing here sends
a packet anywhere but 127.0.0.1.
"""
from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.ingest.test_fetch import BOUND, NOW, fetch, fetcher_for
from tests.rawserver import RawServer
from tradewatch.errors import CatalogError
from tradewatch.ingest.catalog import parse_catalog
from tradewatch.ingest.fetch import RETRY_AFTER_MAX, Fetcher, parse_retry_after, private_hosts_of
from tradewatch.models import UTC, Source
from tradewatch.settings import Settings

BOMB = Path(__file__).resolve().parents[1] / "fixtures" / "fetch" / "gzip-gzip-300mb.bin"   # 640 bytes → 300 MB
MB = 1_000_000


# -- Retry-After is total and bounded (issue 9 #17, issue 15 #7) ------------------------------

@pytest.mark.parametrize("value, expected", [
    ("inf", RETRY_AFTER_MAX),
    ("1e400", RETRY_AFTER_MAX),
    ("1e12", RETRY_AFTER_MAX),
    ("-inf", 0.0),
    ("-5", 0.0),
    ("nan", None),
    ("Fri, 31 Dec 9999 23:59:59 GMT", RETRY_AFTER_MAX),
    ("Fri, 31 Dec 9999 23:59:59 -2359", RETRY_AFTER_MAX),
    ("Mon, 01 Jan 0001 00:00:00 +2359", 0.0),
    ("Mon, 01 Jan 0001 00:00:00 GMT", 0.0),
    ("Mon, 32 Foo 99999 99:99:99 GMT", None),
    ("\x00\ud800", None),
])
def test_parse_retry_after_never_raises_and_is_bounded(value, expected):
    assert parse_retry_after(value, NOW) == expected


async def test_a_hostile_retry_after_is_a_bounded_rate_limit(http_server):
    http_server.route("/busy", status=429, headers={"Retry-After": "1e400"})
    result = await fetch(http_server.url("/busy"))
    assert result.error.kind == "rate_limited" and result.retry_after == RETRY_AFTER_MAX
    assert result.error.message == "HTTP 429 Too Many Requests (retry after 86400s)"


# -- decoded bytes are capped as they stream, every layer (issue 15 #3) -----------------------

async def test_a_nested_gzip_bomb_is_too_large_with_bounded_memory(http_server):
    http_server.route("/bomb", body=BOMB.read_bytes(), headers={"Content-Encoding": "gzip, gzip"})
    tracemalloc.start()
    try:
        started = time.perf_counter()
        result = await fetch(http_server.url("/bomb"), max_bytes=8 * MB)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.error.kind, result.error.message) == ("too_large", "body exceeds 8,000,000 bytes")
    assert peak < 200 * MB, f"peak {peak / MB:.0f} MB"
    assert elapsed < 3


@pytest.mark.parametrize("encoding, encode", [
    ("gzip, gzip", lambda body: gzip.compress(gzip.compress(body))),
    ("deflate", lambda body: __import__("zlib").compress(body)),
    ("identity", lambda body: body),
])
async def test_layered_and_plain_encodings_decode_under_the_cap(http_server, encoding, encode):
    body = b"<rss>" + b"tariff " * 100_000 + b"</rss>"
    http_server.route("/feed", body=encode(body), headers={"Content-Encoding": encoding})
    result = await fetch(http_server.url("/feed"), max_bytes=len(body))
    assert result.ok and result.body == body


async def test_an_unknown_encoding_is_a_clear_network_error(http_server):
    http_server.route("/feed", body=b"abc", headers={"Content-Encoding": "br"})
    result = await fetch(http_server.url("/feed"))
    assert (result.error.kind, result.error.message) == (
        "network", "could not decode the body: unsupported Content-Encoding 'br'")


# -- a connection that ended in a protocol error is not reused (issue 15 #8) ------------------

@pytest.mark.parametrize("first_answer", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and 20 more bytes",
    b"HTTP/1.1 204 No Content\r\n\r\nHTTP/junk a body a 204 must not have",
], ids=["short-content-length", "204-with-body"])
async def test_the_next_request_after_a_poisoned_answer_succeeds(first_answer):
    with RawServer(first_answer) as server:
        async with fetcher_for() as fetcher:
            await asyncio.wait_for(fetcher.fetch(server.url("/first")), BOUND)
            second = await asyncio.wait_for(fetcher.fetch(server.url("/second")), BOUND)
    assert second.ok and second.body == b"fresh", second.error
    assert server.connections == 2


# -- internal addresses are refused, on every hop (issue 15 #10) ------------------------------

def resolver_of(table: dict[str, list[str]]):
    async def resolve(host: str, port: int) -> list[str]:
        return table.get(host, ["93.184.215.14"])
    return resolve


def mock_fetcher(routes: dict[str, httpx.Response], table: dict[str, list[str]], **kwargs) -> tuple[Fetcher, list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return routes.get(str(request.url), httpx.Response(404))
    return fetcher_for(transport=httpx.MockTransport(handler), resolver=resolver_of(table), **kwargs), seen


def moved(to: str) -> httpx.Response:
    return httpx.Response(302, headers={"Location": to})


@pytest.mark.parametrize("url, table, why", [
    ("http://metadata.internal/latest/", {"metadata.internal": ["169.254.169.254"]},
     "169.254.169.254 is in 169.254.0.0/16 (link-local / cloud metadata)"),
    ("http://10.1.2.3/admin", {}, "10.1.2.3 is in 10.0.0.0/8 (private)"),
    ("http://[fd00::1]/", {}, "fd00::1 is in fc00::/7"),
    ("http://[::ffff:127.0.0.1]/", {}, "127.0.0.1 is in 127.0.0.0/8 (loopback)"),
    ("http://intranet.example/", {"intranet.example": ["93.184.215.14", "192.168.1.9"]}, "192.168.1.9 is in 192.168.0.0/16"),
])
async def test_a_source_resolving_to_an_internal_address_is_refused_before_connecting(url, table, why):
    fetcher, seen = mock_fetcher({}, table, private_hosts=())
    async with fetcher:
        result = await fetcher.fetch(url)
    assert result.error.kind == "blocked_address" and why in result.error.message
    assert result.error.message.startswith(f"refused to connect to {httpx.URL(url).host}: ")
    assert seen == []


async def test_a_redirect_to_cloud_metadata_is_refused_at_that_hop():
    routes = {"https://news.example.org/feed": moved("http://metadata.internal/latest/meta-data/")}
    fetcher, seen = mock_fetcher(routes, {"metadata.internal": ["169.254.169.254"]}, private_hosts=())
    async with fetcher:
        result = await fetcher.fetch("https://news.example.org/feed")
    assert result.error.kind == "blocked_address" and "metadata.internal" in result.error.message
    assert seen == ["https://news.example.org/feed"]


async def test_allow_private_lifts_private_ranges_but_never_link_local():
    routes = {"http://nas.lan/feed": moved("http://10.0.0.5/feed"), "http://10.0.0.5/feed": httpx.Response(200, content=b"ok"),
              "http://nas.lan/meta": moved("http://169.254.169.254/")}
    fetcher, seen = mock_fetcher(routes, {"nas.lan": ["192.168.1.20"]}, private_hosts={"nas.lan"})
    async with fetcher:
        ok = await fetcher.fetch("http://nas.lan/feed")
        refused = await fetcher.fetch("http://nas.lan/meta")
    assert ok.ok and ok.body == b"ok"
    assert refused.error.kind == "blocked_address" and "169.254.0.0/16" in refused.error.message
    assert "http://169.254.169.254/" not in seen


def test_allow_private_comes_from_the_catalog():
    entry = {"id": "lan", "name": "LAN feed", "kind": "rss", "url": "http://nas.lan:8080/feed.xml"}
    [plain, opted] = parse_catalog({"source": [entry, {**entry, "id": "lan2", "allow_private": True}]})
    assert (plain.allow_private, opted.allow_private) == (False, True)
    assert private_hosts_of([plain]) == set() and private_hosts_of([opted]) == {"nas.lan"}
    with pytest.raises(CatalogError, match="'allow_private' must be true or false"):
        parse_catalog({"source": [{**entry, "allow_private": "yes"}]})


async def test_from_settings_takes_private_hosts_from_the_sources():
    sources = [Source(id="a", name="a", kind="rss", url="http://127.0.0.1:9/x", allow_private=True),
               Source(id="b", name="b", kind="rss", url="https://news.example.org/x")]
    async with Fetcher.from_settings(Settings(), sources=sources) as fetcher:
        assert fetcher._private_hosts == {"127.0.0.1"}


def test_clock_is_unused_by_refusals():   # keeps NOW/UTC imports honest for the date cases above
    assert isinstance(NOW, datetime) and NOW.tzinfo is UTC
