"""The PostgreSQL schema: versioned SQL files applied in order, once, under an advisory lock.

Migrations are `migrations/NNN_name.sql` beside this module. `upgrade(conn)` takes a session
advisory lock (so two processes starting at once never migrate together: the second waits, then
finds nothing to do), applies each file whose version is not yet in `tw_schema_migrations` in its
own transaction, and returns the versions it applied. A database already at a newer version than
this build knows is refused with a clear message rather than used.
"""
from __future__ import annotations

import re
from importlib import resources

import psycopg

from tradewatch.errors import StorageError

MIGRATION_LOCK = 0x7477_0001          # pg_advisory_lock key: "tw" + 1
FILE_NAME = re.compile(r"(\d{3})_[a-z0-9_]+\.sql")


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped, in version order."""
    found = []
    for entry in resources.files("storage.postgres").joinpath("migrations").iterdir():
        match = FILE_NAME.fullmatch(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def upgrade(conn: psycopg.Connection) -> list[int]:
    """Bring the schema to the newest version; the versions applied now (empty when up to date)."""
    conn.autocommit = True
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS tw_schema_migrations (version integer PRIMARY KEY, "
                     "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
        done = {row[0] for row in conn.execute("SELECT version FROM tw_schema_migrations")}
        known = migrations()
        newest = max((v for v, _, _ in known), default=0)
        if done and max(done) > newest:
            raise StorageError(f"the database is at schema version {max(done)}, newer than this "
                               f"TradeWatch knows ({newest}): upgrade TradeWatch")
        applied = []
        for version, name, sql in known:
            if version not in done:
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute("INSERT INTO tw_schema_migrations (version, name) VALUES (%s, %s)",
                                 (version, name))
                applied.append(version)
        return applied
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def version(conn: psycopg.Connection) -> int:
    """The schema version the database is at (0: none yet)."""
    row = conn.execute("SELECT to_regclass('tw_schema_migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM tw_schema_migrations").fetchone()[0]
