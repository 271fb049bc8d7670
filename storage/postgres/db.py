"""A small helper over a psycopg connection pool: one statement, one row, all rows, a transaction.

Every call takes a pooled connection and commits when it returns (the store's methods are each
one unit of work). A lost connection is replaced by the pool; an error reaching the server is
raised as StorageError with one line naming what failed.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import psycopg
from psycopg_pool import ConnectionPool

from tradewatch.errors import StorageError

Params = Sequence[Any] | None


class Db:
    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def run(self, sql: str, params: Params = None) -> int:
        """Execute one statement; the number of rows it touched."""
        with self.transaction() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def one(self, sql: str, params: Params = None) -> tuple | None:
        with self.transaction() as cur:
            return cur.execute(sql, params).fetchone()

    def all(self, sql: str, params: Params = None) -> list[tuple]:
        with self.transaction() as cur:
            return cur.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor]:
        """A cursor inside one transaction, committed at the end (rolled back on an exception)."""
        try:
            with self.pool.connection() as conn, conn.cursor() as cur:
                yield cur
        except psycopg.OperationalError as exc:
            raise StorageError(f"PostgreSQL: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
