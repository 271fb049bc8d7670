"""The PostgreSQL store, selected by DATABASE_URL=postgresql://…: the same storage.api contract as
the embedded TinyDB store, for several TradeWatch processes on one database.

`open_postgres(url)` migrates the schema (versioned SQL in migrations/, under an advisory lock) and
returns the store; `upgrade(url)` only migrates (`python bot.py db upgrade`). Subscribers, events
and the rest are JSONB documents written by storage.codec, so a new dataclass field needs no
migration; only what is indexed is a column.
"""
from __future__ import annotations

import psycopg

from storage.postgres import schema
from storage.postgres.db import _first_line
from storage.postgres.store import PgStore, open_postgres, redact
from tradewatch.errors import StorageError

__all__ = ["PgStore", "is_postgres_url", "open_postgres", "upgrade", "redact"]


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def upgrade(url: str) -> tuple[list[int], int]:
    """Apply the migrations not applied yet: (versions applied now, version the schema is at)."""
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            applied = schema.upgrade(conn)
            return applied, schema.version(conn)
    except psycopg.Error as exc:
        raise StorageError(f"cannot use the PostgreSQL database at {redact(url)}: {_first_line(exc)}") from exc
