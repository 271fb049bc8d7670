"""tradewatch.ingest.fetch against a real local HTTP server (tests/httpserver.py), plus MockTransport edges."""
from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
from datetime import datetime

import httpx
import pytest

from tradewatch.ingest.fetch import Fetcher, make_client, parse_retry_after
from tradewatch.models import UTC
from tradewatch.settings import Settings

BOUND = 10.0   # seconds any single test may wait on the network before it fails
UA = "TradeWatch-test/1.0 (+https://example.org/tradewatch)"
NOW = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Test desk</title>' \
       b'<item><title>Duty notice 7</title><link>https://example.org/n/7</link></item></channel></rss>'


LOCAL = {"127.0.0.1", "localhost"}      # the test server's hosts: private addresses allowed
PUBLIC = "93.184.215.14"


async def stub_resolver(host: str, port: int) -> list[str]:
    """No test asks the system resolver: localhost is 127.0.0.1, every other name a public address."""
    return ["127.0.0.1"] if host == "localhost" else [PUBLIC]


def fetcher_for(timeout: float = 5.0, transport: httpx.AsyncBaseTransport | None = None, **kwargs) -> Fetcher:
    settings = Settings(http_timeout=timeout, http_user_agent=UA)
    kwargs.setdefault("private_hosts", LOCAL)
    kwargs.setdefault("resolver", stub_resolver)
    return Fetcher(make_client(settings, transport=transport), **kwargs)


async def fetch(url: str, *, timeout: float = 5.0, **kwargs):
    options = {k: kwargs.pop(k) for k in ("max_bytes", "per_host", "deadline", "clock", "private_hosts", "resolver")
               if k in kwargs}
    async with fetcher_for(timeout, **options) as fetcher:
        return await asyncio.wait_for(fetcher.fetch(url, **kwargs), BOUND)


# -- success and conditional GET ----------------------------------------------------------------

async def test_200_captures_body_validators_and_metadata(http_server):
    http_server.route("/feed.xml", body=FEED, etag='"v1"', last_modified="Mon, 02 Mar 2026 07:00:00 GMT",
                      headers={"Content-Type": "application/rss+xml; charset=utf-8", "X-Desk": "A"})
    result = await fetch(http_server.url("/feed.xml"))
    assert result.ok and result.status == 200 and not result.not_modified
    assert result.body == FEED
    assert result.etag == '"v1"'
    assert result.last_modified == "Mon, 02 Mar 2026 07:00:00 GMT"
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.headers["x-desk"] == "A" and all(k == k.lower() for k in result.headers)
    assert result.url == http_server.url("/feed.xml")
    assert 0 < result.elapsed < BOUND


async def test_second_request_sends_etag_and_gets_not_modified(http_server):
    http_server.route("/feed.xml", body=FEED, etag='"v1"', last_modified="Mon, 02 Mar 2026 07:00:00 GMT")
    async with fetcher_for() as fetcher:
        first = await fetcher.fetch(http_server.url("/feed.xml"))
        second = await fetcher.fetch(http_server.url("/feed.xml"), etag=first.etag, last_modified=first.last_modified)
    assert http_server.headers_of("/feed.xml")["if-none-match"] == '"v1"'
    assert http_server.headers_of("/feed.xml")["if-modified-since"] == "Mon, 02 Mar 2026 07:00:00 GMT"
    assert second.ok and second.not_modified and second.status == 304 and second.body == b""
    assert (second.etag, second.last_modified) == ('"v1"', "Mon, 02 Mar 2026 07:00:00 GMT")
    assert http_server.hits("/feed.xml") == 2


async def test_changed_etag_gets_the_new_body(http_server):
    http_server.route("/feed.xml", body=b"new edition", etag='"v2"')
    result = await fetch(http_server.url("/feed.xml"), etag='"v1"')
    assert result.ok and not result.not_modified and result.body == b"new edition" and result.etag == '"v2"'


async def test_if_modified_since_alone_gets_not_modified(http_server):
    http_server.route("/page", body=b"x", last_modified="Mon, 02 Mar 2026 07:00:00 GMT")
    result = await fetch(http_server.url("/page"), last_modified="Mon, 02 Mar 2026 07:00:00 GMT")
    assert result.not_modified and result.etag is None
    assert result.last_modified == "Mon, 02 Mar 2026 07:00:00 GMT"
    assert "if-none-match" not in http_server.headers_of("/page")


async def test_304_without_validators_keeps_the_old_ones():
    transport = httpx.MockTransport(lambda request: httpx.Response(304))
    async with fetcher_for(transport=transport) as fetcher:
        result = await fetcher.fetch("https://example.org/feed", etag='"old"', last_modified="Sun, 01 Mar 2026 00:00:00 GMT")
    assert result.not_modified and result.ok
    assert (result.etag, result.last_modified) == ('"old"', "Sun, 01 Mar 2026 00:00:00 GMT")


async def test_304_with_new_validators_takes_them():
    headers = {"ETag": '"new"', "Last-Modified": "Mon, 02 Mar 2026 00:00:00 GMT"}
    transport = httpx.MockTransport(lambda request: httpx.Response(304, headers=headers))
    async with fetcher_for(transport=transport) as fetcher:
        result = await fetcher.fetch("https://example.org/feed", etag='"old"', last_modified="Sun, 01 Mar 2026 00:00:00 GMT")
    assert (result.etag, result.last_modified) == ('"new"', "Mon, 02 Mar 2026 00:00:00 GMT")


async def test_sends_user_agent_gzip_and_caller_headers_and_keeps_query(http_server):
    http_server.route("/api/list", body=b"{}")
    result = await fetch(http_server.url("/api/list?page=2&size=20"), headers={"Accept": "application/json"})
    assert result.ok
    path, headers = http_server.requests[-1]
    assert path == "/api/list?page=2&size=20"
    assert headers["user-agent"] == UA
    assert "gzip" in headers["accept-encoding"]
    assert headers["accept"] == "application/json"
    assert "if-none-match" not in headers and "if-modified-since" not in headers


# -- HTTP errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("status, headers, kind, message, retry_after", [
    (404, {}, "http_4xx", "HTTP 404 Not Found", None),
    (403, {}, "http_4xx", "HTTP 403 Forbidden", None),
    (500, {}, "http_5xx", "HTTP 500 Internal Server Error", None),
    (503, {}, "http_5xx", "HTTP 503 Service Unavailable", None),
    (429, {"Retry-After": "120"}, "rate_limited", "HTTP 429 Too Many Requests (retry after 120s)", 120.0),
    (429, {}, "rate_limited", "HTTP 429 Too Many Requests", None),
    (503, {"Retry-After": "30"}, "rate_limited", "HTTP 503 Service Unavailable (retry after 30s)", 30.0),
])
async def test_status_codes_become_error_values(http_server, status, headers, kind, message, retry_after):
    http_server.route("/x", status=status, body=b"<html>error page</html>", headers=headers)
    result = await fetch(http_server.url("/x"))
    assert not result.ok and result.status == status
    assert (result.error.kind, result.error.message) == (kind, message)
    assert result.retry_after == retry_after
    assert result.body == b"" and result.etag is None


async def test_retry_after_as_http_date_is_seconds_from_now(http_server):
    http_server.route("/busy", status=429, headers={"Retry-After": "Mon, 02 Mar 2026 08:01:30 GMT"})
    result = await fetch(http_server.url("/busy"), clock=lambda: NOW)
    assert result.error.kind == "rate_limited" and result.retry_after == 90.0


@pytest.mark.parametrize("value, expected", [
    ("120", 120.0),
    (" 7 ", 7.0),
    ("0", 0.0),
    ("Mon, 02 Mar 2026 08:02:00 GMT", 120.0),
    ("Mon, 02 Mar 2026 07:00:00 GMT", 0.0),      # already past
    ("soon", None),
    ("", None),
    (None, None),
])
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, NOW) == expected


# -- timeouts -----------------------------------------------------------------------------------

async def test_slow_server_times_out(http_server):
    http_server.route("/slow", body=b"late", delay=2.0)
    result = await fetch(http_server.url("/slow"), timeout=0.3)
    assert result.error.kind == "timeout"
    assert result.error.message == "timed out after 0.3s waiting for the server"
    assert result.elapsed < 1.5


async def test_deadline_bounds_the_whole_fetch(http_server):
    http_server.route("/slow", body=b"late", delay=2.0)
    result = await fetch(http_server.url("/slow"), timeout=5.0, deadline=0.3)
    assert (result.error.kind, result.error.message) == ("timeout", "timed out after 0.3s in total")


async def test_connect_timeout_names_the_phase():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)
    async with fetcher_for(timeout=20, transport=httpx.MockTransport(handler)) as fetcher:
        result = await fetcher.fetch("https://example.org/")
    assert (result.error.kind, result.error.message) == ("timeout", "timed out after 20s connecting")


# -- size cap and empty bodies ------------------------------------------------------------------

async def test_declared_content_length_over_cap_is_refused(http_server):
    http_server.route("/big", body=b"a" * 5_000)
    result = await fetch(http_server.url("/big"), max_bytes=1_000)
    assert (result.error.kind, result.error.message) == ("too_large", "body exceeds 1,000 bytes")
    assert result.body == b""


async def test_chunked_body_over_cap_is_aborted(http_server):
    http_server.route("/big", body=b"b" * 60_000, chunked=True)
    result = await fetch(http_server.url("/big"), max_bytes=20_000)
    assert "content-length" not in result.headers and result.headers["transfer-encoding"] == "chunked"
    assert result.error.kind == "too_large" and result.body == b""


async def test_body_of_exactly_the_cap_is_accepted(http_server):
    http_server.route("/edge", body=b"c" * 1_000, chunked=True)
    result = await fetch(http_server.url("/edge"), max_bytes=1_000)
    assert result.ok and len(result.body) == 1_000


async def test_endless_stream_is_abandoned_not_read():
    served = 0

    class Endless(httpx.AsyncByteStream):
        async def __aiter__(self):
            nonlocal served
            while True:
                served += 1
                yield b"z" * 4_096

    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=Endless()))
    async with fetcher_for(transport=transport, max_bytes=40_000) as fetcher:
        result = await asyncio.wait_for(fetcher.fetch("https://example.org/endless"), BOUND)
    assert result.error.kind == "too_large"
    assert served <= 11


async def test_declared_size_is_refused_before_reading_anything():
    served = 0

    class Counted(httpx.AsyncByteStream):
        async def __aiter__(self):
            nonlocal served
            served += 1
            yield b"z" * 10

    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, headers={"Content-Length": "9000000"}, stream=Counted()))
    async with fetcher_for(transport=transport) as fetcher:
        result = await fetcher.fetch("https://example.org/huge")
    assert (result.error.kind, result.error.message) == ("too_large", "body exceeds 8,000,000 bytes")
    assert served == 0


async def test_empty_200_is_an_error(http_server):
    http_server.route("/empty", body=b"", headers={"Content-Type": "text/html"})
    result = await fetch(http_server.url("/empty"))
    assert (result.error.kind, result.error.message) == ("empty", "HTTP 200 OK with an empty body")
    assert result.status == 200


# -- redirects and network failures -------------------------------------------------------------

async def test_redirect_is_followed_to_the_final_url(http_server):
    http_server.redirect("/old", "/new", status=301)
    http_server.route("/new", body=b"moved here")
    result = await fetch(http_server.url("/old"))
    assert result.ok and result.body == b"moved here" and result.status == 200
    assert result.url == http_server.url("/new")
    assert (http_server.hits("/old"), http_server.hits("/new")) == (1, 1)


async def test_redirect_loop_is_a_network_error(http_server):
    http_server.redirect("/loop", "/loop")
    result = await fetch(http_server.url("/loop"))
    assert (result.error.kind, result.error.message) == ("network", "too many redirects (more than 5)")
    assert http_server.hits("/loop") == 6


async def test_connection_refused_is_a_network_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = await fetch(f"http://127.0.0.1:{port}/")
    assert (result.error.kind, result.error.message) == ("network", "could not connect: connection refused")
    assert result.status is None


async def test_dropped_connection_is_a_network_error(http_server):
    http_server.route("/drop", drop=True)
    result = await fetch(http_server.url("/drop"))
    assert result.error.kind == "network" and result.error.message.startswith("protocol error: ")


async def test_tls_failure_is_a_network_error():
    def handler(request: httpx.Request) -> httpx.Response:
        cause = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
        cause.verify_message = "self-signed certificate"
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]", request=request) from cause
    async with fetcher_for(transport=httpx.MockTransport(handler)) as fetcher:
        result = await fetcher.fetch("https://example.org/")
    assert (result.error.kind, result.error.message) == ("network", "TLS certificate rejected: self-signed certificate")


async def test_unsupported_scheme_is_a_network_error():
    async with fetcher_for() as fetcher:
        result = await fetcher.fetch("ftp://example.org/list.txt")
    assert result.error.kind == "network" and result.error.message.startswith("unsupported URL")


# -- bytes pass through; gzip is decoded --------------------------------------------------------

async def test_wrong_charset_bytes_pass_through_unchanged(http_server):
    page = "<html><body><a title='关于对进口商品加征关税的公告'>公告</a></body></html>".encode("gb18030")
    http_server.route("/cn", body=page, headers={"Content-Type": "text/html; charset=utf-8"})
    result = await fetch(http_server.url("/cn"))
    assert result.ok and result.body == page
    assert result.content_type == "text/html; charset=utf-8"


async def test_gzip_body_is_decoded(http_server):
    http_server.route("/gz", body=gzip.compress(FEED), headers={"Content-Encoding": "gzip"})
    result = await fetch(http_server.url("/gz"))
    assert result.ok and result.body == FEED


async def test_corrupt_gzip_is_a_network_error(http_server):
    http_server.route("/gz", body=b"definitely not gzip", headers={"Content-Encoding": "gzip"})
    result = await fetch(http_server.url("/gz"))
    assert result.error.kind == "network" and result.error.message.startswith("could not decode the body")


# -- concurrency --------------------------------------------------------------------------------

async def test_per_host_limit_caps_requests_in_flight(http_server):
    http_server.route("/slow", body=b"ok", delay=0.3)
    async with fetcher_for(per_host=2) as fetcher:
        results = await asyncio.wait_for(
            asyncio.gather(*(fetcher.fetch(http_server.url(f"/slow?n={n}")) for n in range(6))), BOUND)
    assert all(r.ok for r in results) and http_server.hits("/slow") == 6
    assert http_server.max_concurrent == 2


async def test_different_hosts_do_not_wait_on_each_other(http_server):
    http_server.route("/slow", body=b"ok", delay=0.4)
    async with fetcher_for(per_host=1) as fetcher:
        results = await asyncio.wait_for(asyncio.gather(
            fetcher.fetch(http_server.url("/slow")), fetcher.fetch(http_server.url("/slow", host="localhost"))), BOUND)
    assert all(r.ok for r in results)
    assert http_server.max_concurrent == 2


# -- construction -------------------------------------------------------------------------------

async def test_make_client_and_from_settings_follow_the_settings():
    settings = Settings(http_timeout=7, http_max_bytes=1234, http_per_host=3, http_user_agent=UA)
    fetcher = Fetcher.from_settings(settings)
    client = fetcher._client
    assert (client.timeout.connect, client.timeout.read) == (7, 7)
    assert client.follow_redirects and client.max_redirects == 5
    assert client.headers["user-agent"] == UA
    assert (fetcher._max_bytes, fetcher._per_host) == (1234, 3)
    await fetcher.aclose()
    assert client.is_closed


async def test_from_settings_uses_a_given_client():
    client = httpx.AsyncClient()
    fetcher = Fetcher.from_settings(Settings(), client)
    assert fetcher._client is client
    await fetcher.aclose()
    assert client.is_closed
