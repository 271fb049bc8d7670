"""The PostgreSQL server for tests: TEST_DATABASE_URL (else DATABASE_URL) when it names one.

`.ci/run` starts a throwaway cluster and exports TEST_DATABASE_URL. Without one, tests that need
PostgreSQL are skipped with the reason; with CI=true they fail instead, so CI never passes by
skipping them. `fresh_store()` is the store with every table emptied (one database, one test at a time).
"""
from __future__ import annotations

import os

import pytest

TABLES = ("tw_seen", "tw_events", "tw_event_keys", "tw_event_reports", "tw_source_states",
          "tw_subscribers", "tw_deliveries")


def database_url() -> str | None:
    for name in ("TEST_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgresql://", "postgres://")):
            return url
    return None


def require_postgres() -> str:
    url = database_url()
    if url is None:
        why = "no PostgreSQL server: set TEST_DATABASE_URL=postgresql://… (.ci/run starts one)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {why}")
        pytest.skip(why)
    return url


def empty_tables(url: str) -> None:
    import psycopg

    from storage.postgres import upgrade
    upgrade(url)
    with psycopg.connect(url) as conn:
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")


def fresh_store(url: str | None = None, **options):
    from storage.postgres import open_postgres
    url = url or require_postgres()
    empty_tables(url)
    return open_postgres(url, **options)
