"""A real HTTP/1.1 server on 127.0.0.1 for tests: scripted routes served from a background thread.

`LocalServer().route(path, ...)` scripts what a path answers (status, body, headers, a delay, cache
validators that produce 304s, chunked bodies, an abrupt close); the server counts hits per path,
records every request's path (query included) and lower-cased headers, and tracks the highest
number of requests in flight at once. Each connection gets its own thread, so a slow route never
holds up the others, and `stop()` wakes sleeping routes so shutdown takes milliseconds. Routes
match on the path alone; the query string is ignored for matching but kept in `requests`.

    with LocalServer() as server:
        server.route("/feed", body=b"<rss/>", etag='"v1"', headers={"Content-Type": "application/rss+xml"})
        url = server.url("/feed")            # http://127.0.0.1:PORT/feed
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

CHUNK = 16_384


@dataclass(frozen=True)
class Route:
    """What one path answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0                 # seconds to wait before answering
    etag: str | None = None            # sent as ETag; a matching If-None-Match gets a 304
    last_modified: str | None = None   # sent as Last-Modified; If-Modified-Since at/after it gets a 304
    drop: bool = False                 # close the connection without answering
    chunked: bool = False              # Transfer-Encoding: chunked, no Content-Length


NO_ROUTE = Route(status=404, body=b"no route", headers={"Content-Type": "text/plain"})


class LocalServer:
    """Scripted routes on 127.0.0.1:<free port>; start()/stop() or use as a context manager."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.max_concurrent = 0
        self._routes: dict[str, Route] = {}
        self._hits: Counter[str] = Counter()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> "LocalServer":
        self._stopping.clear()
        self._httpd = _HTTPServer((self.host, 0), _Handler)
        self._httpd.app = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=f"LocalServer:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()          # wakes routes sleeping in a delay
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._httpd = self._thread = None

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- scripting -------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("LocalServer is not started")
        return self._httpd.server_address[1]

    def url(self, path: str = "/", host: str | None = None) -> str:
        """Absolute URL of `path`; `host="localhost"` reaches the same server under another host name."""
        return f"http://{host or self.host}:{self.port}{path if path.startswith('/') else '/' + path}"

    def route(self, path: str, status: int = 200, body: bytes | str = b"", headers: dict[str, str] | None = None,
              delay: float = 0.0, etag: str | None = None, last_modified: str | None = None,
              drop: bool = False, chunked: bool = False) -> Route:
        """Script `path` (query ignored), replacing any previous route for it."""
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        route = Route(status, data, dict(headers or {}), delay, etag, last_modified, drop, chunked)
        with self._lock:
            self._routes[_bare(path)] = route
        return route

    def redirect(self, path: str, to: str, status: int = 302) -> Route:
        return self.route(path, status=status, headers={"Location": to})

    # -- observations ----------------------------------------------------------------------------
    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits[_bare(path)]

    def headers_of(self, path: str) -> dict[str, str]:
        """Headers of the latest request to `path` (query ignored); {} if none came."""
        with self._lock:
            found = [h for p, h in self.requests if _bare(p) == _bare(path)]
        return found[-1] if found else {}

    def reset(self) -> None:
        """Forget hits, recorded requests and the concurrency peak; routes stay."""
        with self._lock:
            self._hits.clear()
            self.requests.clear()
            self.max_concurrent = 0

    # -- used by the handler threads -------------------------------------------------------------
    def _begin(self, path: str, headers: dict[str, str]) -> Route:
        with self._lock:
            self._hits[_bare(path)] += 1
            self.requests.append((path, headers))
            self._in_flight += 1
            self.max_concurrent = max(self.max_concurrent, self._in_flight)
            return self._routes.get(_bare(path), NO_ROUTE)

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when the server is stopping instead."""
        return self._stopping.wait(seconds) if seconds > 0 else self._stopping.is_set()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    app: LocalServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up mid-answer (size caps, timeouts) are expected, not news


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5                        # idle keep-alive connections are closed after this
    server: _HTTPServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._serve(send_body=True)

    def _serve(self, send_body: bool) -> None:
        app = self.server.app
        headers = {key.lower(): value for key, value in self.headers.items()}
        route = app._begin(self.path, headers)
        try:
            if app._wait(route.delay) or route.drop:
                self.close_connection = True
            elif is_not_modified(route, headers):
                self._answer_304(route)
            else:
                self._answer(route, send_body)
        except OSError:
            self.close_connection = True
        finally:
            app._end()

    def _answer_304(self, route: Route) -> None:
        self.send_response(304)
        self._send_validators(route)
        self.end_headers()

    def _answer(self, route: Route, send_body: bool) -> None:
        self.send_response(route.status)
        for key, value in route.headers.items():
            self.send_header(key, value)
        self._send_validators(route)
        if route.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif "content-length" not in {k.lower() for k in route.headers}:
            self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        if send_body:
            self._write_body(route)

    def _send_validators(self, route: Route) -> None:
        if route.etag:
            self.send_header("ETag", route.etag)
        if route.last_modified:
            self.send_header("Last-Modified", route.last_modified)

    def _write_body(self, route: Route) -> None:
        if not route.chunked:
            self.wfile.write(route.body)
            return
        for start in range(0, len(route.body), CHUNK):
            piece = route.body[start:start + CHUNK]
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")


def is_not_modified(route: Route, headers: dict[str, str]) -> bool:
    """RFC 9110: If-None-Match decides when present; otherwise If-Modified-Since."""
    if "if-none-match" in headers:
        if not route.etag:
            return False
        offered = {_opaque(tag) for tag in headers["if-none-match"].split(",")}
        return "*" in offered or _opaque(route.etag) in offered
    if route.last_modified and "if-modified-since" in headers:
        return _not_after(route.last_modified, headers["if-modified-since"])
    return False


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def _not_after(last_modified: str, since: str) -> bool:
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return last_modified.strip() == since.strip()


def _bare(path: str) -> str:
    return urlsplit(path).path or "/"
