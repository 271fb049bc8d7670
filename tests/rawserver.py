"""A raw-socket HTTP/1.1 server on 127.0.0.1 that can misbehave on purpose, for protocol tests.

`RawServer(first_answer)` answers the first request it ever gets with the exact bytes
`first_answer` (a too-short Content-Length, a 204 with a body …) and keeps that connection open;
every later request, on any connection, gets a well-formed `200 OK` with body `b"fresh"`. It
counts connections and requests.

    with RawServer(b"HTTP/1.1 204 No Content\\r\\n\\r\\nstray bytes") as server:
        url = server.url("/feed")
"""
from __future__ import annotations

import socket
import threading

GOOD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nfresh"


class RawServer:
    def __init__(self, first_answer: bytes) -> None:
        self.first_answer = first_answer
        self.connections = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}{path}"

    def __enter__(self) -> "RawServer":
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._listener.close()

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self.connections += 1
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        buffer = b""
        with conn:
            while not self._stopping.is_set():
                try:
                    data = conn.recv(65_536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                while b"\r\n\r\n" in buffer:
                    _, buffer = buffer.split(b"\r\n\r\n", 1)
                    conn.sendall(self._answer())

    def _answer(self) -> bytes:
        with self._lock:
            self.requests += 1
            return self.first_answer if self.requests == 1 else GOOD
