"""Fetching, the only httpx user: one conditional GET per call, with its outcome as a value.

`make_client` builds the one shared `httpx.AsyncClient` (timeouts, redirects, an honest
User-Agent, gzip); `Fetcher.fetch` sends If-None-Match / If-Modified-Since, streams the body under
a size cap that counts decoded bytes (tradewatch.ingest.decoding: a gzip bomb stops at the cap),
limits how many requests run at once against one host, checks the address of every hop before it
is connected to (tradewatch.ingest.addresses: no link-local or metadata address ever, no private or
loopback one unless the source's host opted in with `allow_private`), and returns a `FetchResult`.
It never raises for network or HTTP trouble: the result's `error` is a `FetchError` whose kind is
`timeout`, `network`, `http_4xx`, `http_5xx`, `rate_limited`, `too_large`, `empty` or
`blocked_address`, with a short message an operator can read. It retries only once, at once, after
a protocol error (a connection a previous answer left unusable is closed by then, so the retry goes
out on a fresh one); otherwise the pipeline backs off between passes. It never logs bodies.
`Retry-After` is read as seconds, bounded by RETRY_AFTER_MAX, and never raises.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import math
import time
from dataclasses import replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Callable, Collection, Iterable, Mapping

import httpx

from tradewatch.ingest import addresses
from tradewatch.ingest.decoding import CappedDecoder, DecodeError, TooLarge
from tradewatch.models import UTC, FetchError, FetchResult, Source
from tradewatch.settings import Settings

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
DEADLINE_FACTOR = 3          # from_settings: a whole fetch may take at most 3 × HTTP_TIMEOUT
RETRY_AFTER_MAX = 86_400.0   # seconds: a Retry-After beyond a day is read as a day
PRIVATE_OK = "tradewatch.allow_private"   # request extension: this fetch may reach private addresses
PROTOCOL_ERRORS = (httpx.RemoteProtocolError, httpx.LocalProtocolError)

# Which timeout fired, and how to say it: exception type -> (httpx.Timeout attribute, phase).
TIMEOUT_PHASES: Mapping[type, tuple[str, str]] = {
    httpx.ConnectTimeout: ("connect", "connecting"),
    httpx.ReadTimeout: ("read", "waiting for the server"),
    httpx.WriteTimeout: ("write", "sending the request"),
    httpx.PoolTimeout: ("pool", "waiting for a free connection"),
}

# How to name other transport failures, most specific first.
NETWORK_PREFIXES: tuple[tuple[type, str], ...] = (
    (httpx.TooManyRedirects, "too many redirects"),
    (httpx.RemoteProtocolError, "protocol error"),
    (httpx.DecodingError, "could not decode the body"),
    (httpx.UnsupportedProtocol, "unsupported URL"),
    (httpx.ReadError, "connection lost"),
    (httpx.WriteError, "connection lost"),
    (httpx.InvalidURL, "invalid URL"),
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_client(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The one shared client; `transport` is a seam for tests (httpx.MockTransport)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.http_timeout),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": settings.http_user_agent, "Accept-Encoding": "gzip"},
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20, keepalive_expiry=30),
        transport=transport,
    )


class BlockedAddress(Exception):
    """A hop of a fetch would connect to an address it may not reach."""


class Fetcher:
    """Conditional GETs through one client, at most `per_host` at once against any host.

    The fetcher owns its client: `aclose()` closes it (and adds its address check to the client's
    request hooks, which run before every hop). `deadline` (seconds, optional) bounds a whole
    fetch, body included, against servers that drip bytes just inside the read timeout. `clock`
    turns a Retry-After HTTP-date into seconds. `private_hosts`: the hosts whose fetches may reach
    private and loopback addresses (`private_hosts_of(sources)`); `resolver` is a seam for tests.
    """

    def __init__(self, client: httpx.AsyncClient, *, max_bytes: int = 8_000_000, per_host: int = 2,
                 deadline: float | None = None, clock: Callable[[], datetime] = utcnow,
                 private_hosts: Collection[str] = (), resolver: addresses.Resolver = addresses.resolve) -> None:
        self._client = client
        self._max_bytes = max_bytes
        self._per_host = per_host
        self._deadline = deadline
        self._clock = clock
        self._private_hosts = frozenset(host.lower() for host in private_hosts)
        self._resolver = resolver
        self._slots: dict[str, asyncio.Semaphore] = {}
        hooks = client.event_hooks
        client.event_hooks = {**hooks, "request": [*hooks.get("request", []), self._check_address]}

    @classmethod
    def from_settings(cls, settings: Settings, client: httpx.AsyncClient | None = None,
                      sources: Iterable[Source] = ()) -> "Fetcher":
        return cls(client or make_client(settings), max_bytes=settings.http_max_bytes,
                   per_host=settings.http_per_host, deadline=settings.http_timeout * DEADLINE_FACTOR,
                   private_hosts=private_hosts_of(sources))

    async def __aenter__(self) -> "Fetcher":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                    headers: Mapping[str, str] | None = None) -> FetchResult:
        """GET `url` once; every outcome, good or bad, comes back as a FetchResult."""
        request_headers = conditional_headers(etag, last_modified, headers)
        async with self._slot(url):
            started = time.perf_counter()
            result = await self._guarded_get(url, request_headers, etag, last_modified,
                                             host_of(url).lower() in self._private_hosts)
            result = replace(result, elapsed=round(time.perf_counter() - started, 4))
        log.debug("fetch %s -> %s %s (%d bytes, %.2fs)", url, result.status,
                  result.error or ("304" if result.not_modified else "ok"), len(result.body), result.elapsed)
        return result

    def _slot(self, url: str) -> asyncio.Semaphore:
        host = host_of(url)
        if host not in self._slots:
            self._slots[host] = asyncio.Semaphore(self._per_host)
        return self._slots[host]

    async def _guarded_get(self, url: str, headers: dict[str, str], etag: str | None,
                           last_modified: str | None, allow_private: bool) -> FetchResult:
        try:
            async with asyncio.timeout(self._deadline):
                try:
                    return await self._get(url, headers, etag, last_modified, allow_private)
                except PROTOCOL_ERRORS:
                    # httpcore has closed the connection that failed; the retry takes a fresh one.
                    return await self._get(url, headers, etag, last_modified, allow_private)
        except BlockedAddress as exc:
            return FetchResult(url=url, error=FetchError("blocked_address", str(exc)))
        except DecodeError as exc:
            return FetchResult(url=url, error=FetchError("network", shorten(f"could not decode the body: {exc}")))
        except TimeoutError:  # only our own deadline raises the builtin; httpx raises its own types
            total = f" after {self._deadline:g}s" if self._deadline is not None else ""
            return FetchResult(url=url, error=FetchError("timeout", f"timed out{total} in total"))
        except httpx.TimeoutException as exc:
            return FetchResult(url=url, error=describe_timeout(exc, self._client.timeout))
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return FetchResult(url=url, error=describe_network(exc, self._client.max_redirects))

    async def _get(self, url: str, headers: dict[str, str], etag: str | None,
                   last_modified: str | None, allow_private: bool) -> FetchResult:
        async with self._client.stream("GET", url, headers=headers,
                                       extensions={PRIVATE_OK: allow_private}) as response:
            return await self._read(response, etag, last_modified)

    async def _check_address(self, request: httpx.Request) -> None:
        """Request hook, run before every hop: raise BlockedAddress for an address it may not reach."""
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        literal = addresses.literal(host)
        found = [literal] if literal else await self._resolver(host, port)
        why = addresses.refusal(found, bool(request.extensions.get(PRIVATE_OK)))
        if why:
            raise BlockedAddress(f"refused to connect to {host}: {why}")

    async def _read(self, response: httpx.Response, etag: str | None, last_modified: str | None) -> FetchResult:
        result = FetchResult(
            url=str(response.url), status=response.status_code,
            content_type=response.headers.get("content-type", ""),
            headers={key.lower(): value for key, value in response.headers.items()},
            retry_after=parse_retry_after(response.headers.get("retry-after"), self._clock()),
        )
        new_etag = response.headers.get("etag") or None
        new_modified = response.headers.get("last-modified") or None
        if response.status_code == 304:
            return replace(result, not_modified=True, etag=new_etag or etag,
                           last_modified=new_modified or last_modified)
        error = status_error(response.status_code, response.reason_phrase, result.retry_after) \
            or self._declared_size_error(response)
        if error:
            return replace(result, error=error)
        body = await read_capped(response, self._max_bytes)
        if body is None:
            return replace(result, error=self._too_large())
        if not body:
            return replace(result, error=FetchError("empty", f"{status_label(response.status_code, response.reason_phrase)} with an empty body"))
        return replace(result, body=body, etag=new_etag, last_modified=new_modified)

    def _declared_size_error(self, response: httpx.Response) -> FetchError | None:
        """Refuse before reading when Content-Length already says the body is too big."""
        try:
            declared = int(response.headers.get("content-length", ""))
        except ValueError:
            return None
        return self._too_large() if declared > self._max_bytes else None

    def _too_large(self) -> FetchError:
        return FetchError("too_large", f"body exceeds {self._max_bytes:,} bytes")


def conditional_headers(etag: str | None, last_modified: str | None,
                        extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The request headers: the caller's, plus the cache validators we were given."""
    headers = dict(extra or {})
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


async def read_capped(response: httpx.Response, limit: int) -> bytes | None:
    """The decoded body, or None as soon as it (or any Content-Encoding layer of it) grows past
    `limit` bytes; the rest is never read. DecodeError for an unknown or corrupt encoding."""
    if response.is_stream_consumed:     # built with its content already read (httpx.MockTransport)
        return response.content if len(response.content) <= limit else None
    decoder = CappedDecoder(response.headers.get("content-encoding", ""), limit)
    chunks: list[bytes] = []
    try:
        async for raw in response.aiter_raw():
            chunks.append(decoder.feed(raw))
    except TooLarge:
        return None
    return b"".join(chunks)


def private_hosts_of(sources: Iterable[Source]) -> set[str]:
    """The hosts of the catalog entries that set `allow_private = true`."""
    return {host_of(source.url).lower() for source in sources if source.allow_private}


def host_of(url: str) -> str:
    try:
        return httpx.URL(url).host
    except httpx.InvalidURL:
        return ""


def status_label(status: int, reason: str = "") -> str:
    """'HTTP 404 Not Found': the standard phrase when the code is known, else the server's."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = reason
    return f"HTTP {status} {phrase}".strip()


def status_error(status: int, reason: str = "", retry_after: float | None = None) -> FetchError | None:
    """The error a status code means, or None for a 2xx answer."""
    label = status_label(status, reason)
    if status == 429 or (status == 503 and retry_after is not None):
        wait = f" (retry after {retry_after:g}s)" if retry_after is not None else ""
        return FetchError("rate_limited", label + wait)
    if 400 <= status < 500:
        return FetchError("http_4xx", label)
    if status >= 500:
        return FetchError("http_5xx", label)
    if 300 <= status < 400:
        return FetchError("network", f"{label}: redirect not followed")
    return None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds, from 0 to RETRY_AFTER_MAX: a number of seconds or an HTTP-date
    relative to `now`. None when absent or unreadable (`nan`, garbage); never raises."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = _seconds_until(value, now)
    if seconds is None or math.isnan(seconds):
        return None
    return min(max(0.0, seconds), RETRY_AFTER_MAX)


def _seconds_until(value: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return round((when - now).total_seconds(), 3)
    except (TypeError, ValueError, IndexError, OverflowError):   # year 0001 at +23:59 overflows
        return None


def describe_timeout(exc: httpx.TimeoutException, timeout: httpx.Timeout) -> FetchError:
    """'timed out after 20s connecting', naming the phase that ran out of time."""
    attribute, phase = TIMEOUT_PHASES.get(type(exc), ("read", "waiting for the server"))
    seconds = getattr(timeout, attribute, None)
    after = f" after {seconds:g}s" if seconds is not None else ""
    return FetchError("timeout", f"timed out{after} {phase}")


def describe_network(exc: Exception, max_redirects: int = MAX_REDIRECTS) -> FetchError:
    """A short, human message for a transport failure; the kind is always `network`."""
    if isinstance(exc, httpx.ConnectError):
        return FetchError("network", describe_connect(exc))
    if isinstance(exc, httpx.TooManyRedirects):
        return FetchError("network", f"too many redirects (more than {max_redirects})")
    prefix = next((p for kind, p in NETWORK_PREFIXES if isinstance(exc, kind)), type(exc).__name__)
    return FetchError("network", shorten(f"{prefix}: {first_line(exc)}"))


def describe_connect(exc: Exception) -> str:
    """Look through the exception chain for the cause a person would recognise."""
    for cause in causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return "could not connect: connection refused"
        if isinstance(cause, socket.gaierror):
            return "could not resolve the host name"
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = getattr(cause, "verify_message", None) or first_line(cause)
            return shorten(f"TLS certificate rejected: {detail}")
        if isinstance(cause, ssl.SSLError):
            return shorten(f"TLS handshake failed: {getattr(cause, 'reason', None) or first_line(cause)}")
    return shorten(f"could not connect: {first_line(exc)}")


def causes(exc: BaseException, depth: int = 8) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < depth:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
