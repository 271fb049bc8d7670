"""A forward HTTP proxy on 127.0.0.1 for tests: it relays plain-HTTP requests in absolute form
(`POST http://127.0.0.1:PORT/bot…/getMe HTTP/1.1`, what clients send to a proxy) to loopback
targets only, and records each one, so a test can see which traffic went through it.

    with ForwardProxy() as proxy:   # proxy.url → "http://127.0.0.1:PORT"; proxy.seen → [(method, path)]
"""
from __future__ import annotations

import http.client
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length"}


class _Relay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        target = urlsplit(self.path)
        if target.scheme != "http" or target.hostname != "127.0.0.1":
            self._answer(403, b"this test proxy relays to http://127.0.0.1 only", "text/plain")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.seen.append((self.command, target.path))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            upstream.request(self.command, target.path + (f"?{target.query}" if target.query else ""), body, headers)
            answer = upstream.getresponse()
            self._answer(answer.status, answer.read(), answer.getheader("Content-Type", "application/octet-stream"))
        finally:
            upstream.close()

    do_GET = do_POST

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[tuple[str, str]]
    lock: threading.Lock

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):     # a client gone (the bot stopping) is fine
            super().handle_error(request, client_address)


class ForwardProxy:
    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Relay)
        self._server.seen, self._server.lock = [], threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="test-proxy", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def methods(self) -> set[str]:
        """The Bot API methods relayed so far (the last part of each path)."""
        with self._server.lock:
            return {path.rsplit("/", 1)[-1] for _, path in self._server.seen}

    def __enter__(self) -> "ForwardProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
