"""The PostgreSQL Store: the five stores over one connection pool, plus leadership.

`open_postgres(url)` opens a pool (psycopg_pool), brings the schema up to date under an advisory
lock (storage.postgres.schema) and returns a `PgStore` that behaves as storage.store.Store through
the storage.api Protocols. Several processes may share the database: `try_lead()` says whether
this process holds the leader lock (`pg_try_advisory_lock` on a connection of its own, released by
the server when the process dies), and deliveries are claimed per process (see
storage.postgres.deliveries). Writes are committed when each call returns: `flush()` has nothing to do.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

import psycopg
from psycopg_pool import ConnectionPool

from storage.postgres import schema
from storage.postgres.db import Db, _first_line
from storage.postgres.deliveries import PgDeliveryStore
from storage.postgres.events import PgEventStore
from storage.postgres.stores import PgSeenStore, PgSourceStateStore, PgSubscriberStore
from tradewatch.errors import StorageError

log = logging.getLogger(__name__)
LEADER_LOCK = 0x7477_0002                 # pg_try_advisory_lock key of the source schedule's leader
DEFAULT_LEASE = timedelta(seconds=60)


class PgStore:
    """Seen items, events, source states, subscribers and deliveries in one PostgreSQL database."""

    path = None

    def __init__(self, url: str, pool: ConnectionPool, owner: str, lease: timedelta):
        self.url = url
        self.owner = owner
        self._pool = pool
        self._db = Db(pool)
        self._leader: psycopg.Connection | None = None
        self._leading = False
        self.seen = PgSeenStore(self._db)
        self.events = PgEventStore(self._db)
        self.sources = PgSourceStateStore(self._db)
        self.subscribers = PgSubscriberStore(self._db)
        self.deliveries = PgDeliveryStore(self._db, owner, lease)
        self._closed = False

    def prune(self, now: datetime, retention_days: float) -> dict[str, int]:
        cutoff = now - timedelta(days=retention_days)
        return {"events": self.events.prune(cutoff), "seen": self.seen.prune(cutoff),
                "deliveries": self.deliveries.prune(cutoff)}

    def is_alive(self) -> bool:
        """Whether the database answers now (for /healthz)."""
        try:
            return self._db.one("SELECT 1") == (1,)
        except StorageError:
            return False

    def try_lead(self) -> bool:
        """Whether this process is the leader now (taking the lock when it is free). A lost
        connection loses the lead; the next call tries to take it again."""
        try:
            if self._leader is not None and self._leading:
                self._leader.execute("SELECT 1")            # still connected: the lock is still ours
                return True
            if self._leader is None or self._leader.closed:
                self._leader = psycopg.connect(self.url, autocommit=True, connect_timeout=10,
                                               application_name=self.owner)
            self._leading = bool(self._leader.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK,)).fetchone()[0])
            return self._leading
        except psycopg.Error as exc:
            log.warning("leader lock: %s", _first_line(exc))
            self._drop_leader()
            return False

    def flush(self) -> None:
        """Nothing to do: every write is committed when its call returns."""

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._drop_leader()
            self._pool.close()

    def _drop_leader(self) -> None:
        if self._leader is not None:
            try:
                self._leader.close()
            except psycopg.Error:
                pass
            self._leader = None
        self._leading = False

    def __enter__(self) -> "PgStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_postgres(url: str, *, lease: timedelta = DEFAULT_LEASE, owner: str | None = None,
                  migrate: bool = True, max_size: int = 4) -> PgStore:
    """The store in the PostgreSQL database at `url` (postgresql://user@host:port/db), its schema
    brought up to date first. Raises StorageError naming the problem when it cannot be reached."""
    owner = owner or f"tradewatch:{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    try:
        if migrate:
            with psycopg.connect(url, connect_timeout=10) as conn:
                applied = schema.upgrade(conn)
                if applied:
                    log.info("PostgreSQL schema: applied migrations %s", applied)
        pool = ConnectionPool(url, min_size=1, max_size=max_size, open=True, timeout=30,
                              kwargs={"connect_timeout": 10, "application_name": owner}, check=ConnectionPool.check_connection)
    except psycopg.Error as exc:
        raise StorageError(f"cannot use the PostgreSQL database at {redact(url)}: {_first_line(exc)}") from exc
    return PgStore(url, pool, owner, lease)


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "postgresql://…"
    host, port, db = info.get("host", ""), info.get("port", ""), info.get("dbname", "")
    return f"postgresql://{info.get('user', '')}@{host}{':' + port if port else ''}/{db}"
