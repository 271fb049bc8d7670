"""The bot's HTTP transport: PTB's `BaseRequest` on aiohttp, built for fan-out.

httpx and httpcore cost about a millisecond of CPU per request, which capped alert fan-out on a
2-core machine near 500 sends/s; aiohttp's C-accelerated client costs about half of that, enough
for Telegram's paid broadcast rate of 1,000 messages/s. Every Bot API call without files (all that
TradeWatch makes) is a form POST over one keep-alive aiohttp session with at most `connections`
open; uploads and anything else go through PTB's own HTTPXRequest. A sender that sets WIRE_GATE
around a call is paced after a connection is acquired, right before the request is written (a
connector subclass), so slow connection set-up cannot bunch paced sends together. Errors are PTB's:
TimedOut for any timeout, NetworkError for the rest; PTB's request layer turns the answer into
RetryAfter, Forbidden, BadRequest … as usual. An answer that is not JSON at all (a proxy's 502
page, a web server at a wrong TELEGRAM_API_URL) is a NetworkError of one line, with the status, the
content type and a hint, never the page itself; `PollingRequest` does the same for getUpdates.
Proxies: the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, and ~/.netrc credentials) is honoured,
as httpx does for the sources; `proxy` (TELEGRAM_PROXY) overrides it for all Bot API traffic. It is
read once per origin (scheme, host, port) and session, as httpx reads it once per client: aiohttp's
own `trust_env` looks up netrc and the proxy in a worker thread on every request, two thread hops
that cost ~0.3 ms of CPU a message (of ~0.8) and held the loop up while the workers had the GIL. Part of the delivery
boundary: with outbox.py and sender.py, bot.py and handlers/, the only code that knows telegram.
"""
from __future__ import annotations

import asyncio
import json
import ssl
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Awaitable, Callable, Mapping
from urllib.parse import quote_plus, urlsplit

import aiohttp
from aiohttp.helpers import basicauth_from_netrc, get_env_proxy_for_url, netrc_from_env
from yarl import URL
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

FORM = "application/x-www-form-urlencoded"
FORM_HEADERS = {"Content-Type": FORM}
WIRE_GATE: ContextVar[Callable[[], Awaitable[Any]] | None] = ContextVar("tradewatch_wire_gate", default=None)


class FanoutRequest(BaseRequest):
    """Pass to ApplicationBuilder.request / telegram.Bot(request=…)."""

    def __init__(self, connections: int = 80, *, connect_timeout: float | None = 5.0,
                 read_timeout: float | None = 5.0, write_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, proxy: str | None = None):
        self._connections = connections
        self._proxy = proxy or None
        self._timeouts = {"read": read_timeout, "write": write_timeout, "connect": connect_timeout,
                          "pool": pool_timeout}
        self._tls = tls_context()
        self._session: aiohttp.ClientSession | None = None
        self._routes: dict[str, Route] = {}        # origin -> how the environment says to reach it
        self._timeout_of: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}
        self._other = HTTPXRequest(connection_pool_size=4, connect_timeout=connect_timeout,
                                   read_timeout=read_timeout, write_timeout=write_timeout,
                                   pool_timeout=pool_timeout, proxy=self._proxy, httpx_kwargs={"verify": self._tls})

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    @property
    def connections(self) -> int:
        """How many connections the session may open at once."""
        return self._connections

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:     # again after a shutdown, as PTB allows
            connector = GatedConnector(limit=self._connections, ssl=self._tls)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT},
                                                  proxy=self._proxy, trust_env=False)
            self._routes = {}
        await self._other.initialize()

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
        await self._other.shutdown()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE, pool_timeout: Any = BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        given = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        if self._session is None or method != "POST" or (request_data is not None and request_data.contains_files):
            if (gate := WIRE_GATE.get()) is not None:
                await gate()
            return await self._other.do_request(url, method, request_data, *given)
        body = form_body(request_data.json_parameters) if request_data else b""
        route = EMPTY_ROUTE if self._proxy else await self._route(url)
        try:
            async with self._session.post(url, data=body, headers=route.headers, proxy=route.proxy,
                                          timeout=self._client_timeout(*given)) as answer:
                return json_answer(url, answer.status, answer.content_type, await answer.read())
        except asyncio.TimeoutError as exc:
            raise TimedOut(f"Timed out: {exc or type(exc).__name__}") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    @staticmethod
    def parse_json_payload(payload: bytes) -> Any:
        return parse_json(payload)

    async def _route(self, url: str) -> "Route":
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        route = self._routes.get(origin)
        if route is None:                                  # ~/.netrc is a file: read it off the loop
            route = self._routes[origin] = await asyncio.to_thread(environment_route, origin)
        return route

    def _client_timeout(self, *given: Any) -> aiohttp.ClientTimeout:
        """The aiohttp timeouts for PTB's four (built once per combination: every send asks)."""
        timeout = self._timeout_of.get(given)
        if timeout is None:
            timeout = self._timeout_of[given] = self._new_timeout(*given)
        return timeout

    def _new_timeout(self, read: Any, write: Any, connect: Any, pool: Any) -> aiohttp.ClientTimeout:
        unset = type(BaseRequest.DEFAULT_NONE)            # PTB's DefaultValue: "use the transport's own"

        def pick(value: Any, name: str) -> float | None:
            return self._timeouts[name] if isinstance(value, unset) else value

        waits = [t for t in (pick(pool, "pool"), pick(connect, "connect")) if t is not None]
        return aiohttp.ClientTimeout(total=None, connect=sum(waits) if waits else None,
                                     sock_connect=pick(connect, "connect"), sock_read=pick(read, "read"))


class PollingRequest(HTTPXRequest):
    """PTB's httpx transport for getUpdates, with the same one-line errors for non-JSON answers."""

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, body = await super().do_request(url, method, *args, **kwargs)
        return json_answer(url, status, "", body)

    @staticmethod
    def parse_json_payload(payload: bytes) -> Any:
        return parse_json(payload)


def json_answer(url: str, status: int, content_type: str, body: bytes) -> tuple[int, bytes]:
    """(status, body) when the body can be the Bot API's JSON; otherwise a NetworkError of one line
    that says what came back (the status, what it was, how long) and why that may be."""
    if body.lstrip()[:1] in (b"{", b"["):
        return status, body
    what = content_type or ("HTML" if body.lstrip()[:1] == b"<" else "not JSON")
    raise NetworkError(f"the Bot API at {urlsplit(url).netloc} answered HTTP {status} with {what} "
                       f"({len(body)} bytes), not JSON: a proxy's error page, or TELEGRAM_API_URL is "
                       f"not a Bot API server")


def parse_json(payload: bytes) -> Any:
    """PTB's parse_json_payload without its ERROR log of the whole body: one NetworkError line."""
    try:
        return json.loads(payload.decode("utf-8", "replace"))
    except ValueError as exc:
        raise NetworkError(f"the Bot API's answer is not valid JSON ({exc}; {len(payload)} bytes)") from None


class GatedConnector(aiohttp.TCPConnector):
    """A connector that, once a connection is in hand, waits for the sender's pacer (WIRE_GATE)."""

    async def connect(self, req: Any, traces: Any, timeout: Any) -> Any:
        connection = await super().connect(req, traces, timeout)
        if (gate := WIRE_GATE.get()) is not None:
            try:
                await gate()
            except BaseException:
                connection.release()
                raise
        return connection


@dataclass(frozen=True)
class Route:
    """The proxy (credentials in its URL) for one origin, and the headers of a form POST there
    (with the origin's netrc credentials, when it has any)."""

    proxy: URL | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: FORM_HEADERS)


EMPTY_ROUTE = Route()


def environment_route(origin: str) -> Route:
    """What aiohttp's trust_env would use for `origin`: the environment's proxy unless NO_PROXY
    exempts the host, and the host's ~/.netrc (NETRC) credentials."""
    url = URL(origin)
    try:
        proxy, proxy_auth = get_env_proxy_for_url(url)
    except LookupError:
        proxy, proxy_auth = None, None
    if proxy is not None and proxy_auth is not None:
        proxy = proxy.with_user(proxy_auth.login).with_password(proxy_auth.password)
    try:
        credentials = basicauth_from_netrc(netrc_from_env(), url.host or "").encode()
    except LookupError:
        return Route(proxy)
    return Route(proxy, {**FORM_HEADERS, "Authorization": credentials})


def form_body(parameters: dict[str, str]) -> bytes:
    """urlencode(parameters) as bytes; long values (an alert's text, the same in every request of a
    fan-out) are percent-encoded once, not once per request."""
    return "&".join(f"{quote_plus(key)}={_quoted(value)}" for key, value in parameters.items()).encode("ascii")


def _quoted(value: str) -> str:
    return _quoted_long(value) if len(value) > 64 else quote_plus(value)


@lru_cache(maxsize=32)
def _quoted_long(value: str) -> str:
    return quote_plus(value)


def tls_context() -> ssl.SSLContext:
    """A client TLS context with the CA bundle httpx uses (certifi) when installed; built once per
    transport (building one costs ~25 ms)."""
    try:
        import certifi
        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()
