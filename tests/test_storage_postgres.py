"""What only the PostgreSQL store does: versioned migrations, documents that round-trip fields
this build does not know, claims shared by several processes, and the leader lock. Skipped
without a server (tests/pg.py), failed under CI=true without one."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import psycopg
import pytest

from storage.postgres import schema, upgrade
from tests import pg
from tradewatch.errors import StorageError
from tradewatch.models import UTC, Subscriber

T0 = datetime(2026, 10, 9, 8, 0, tzinfo=UTC)


@pytest.fixture
def url():
    return pg.require_postgres()


@pytest.fixture
def two(url):
    """Two processes' stores on one database (distinct owners), tables emptied first."""
    from storage.postgres import open_postgres
    first = pg.fresh_store(url, lease=timedelta(seconds=30))
    second = open_postgres(url, lease=timedelta(seconds=30))
    yield first, second
    first.close()
    second.close()


def until(probe, seconds: float = 10.0):
    """The probe's first truthy answer, asked again until `seconds` have passed (then its last)."""
    deadline = time.monotonic() + seconds
    while not (answer := probe()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return answer


def test_migrations_apply_once_in_order_and_a_newer_schema_is_refused(url):
    versions = [v for v, _, _ in schema.migrations()]
    assert versions == sorted(versions) and versions[0] == 1
    upgrade(url)
    assert upgrade(url) == ([], versions[-1])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO tw_schema_migrations (version, name) VALUES (999, 'from_the_future')")
        try:
            with pytest.raises(StorageError, match="newer than this TradeWatch knows"):
                upgrade(url)
        finally:
            conn.execute("DELETE FROM tw_schema_migrations WHERE version = 999")


def test_a_document_keeps_fields_this_build_does_not_know(two):
    """Other branches add Subscriber fields: the JSONB document carries them with no migration."""
    store, _ = two
    store.subscribers.put(Subscriber(5, countries=("CN",)))
    with psycopg.connect(store.url, autocommit=True) as conn:
        conn.execute("""UPDATE tw_subscribers SET doc = doc || '{"field_from_the_future": "x"}' WHERE chat_key = '5'""")
        assert store.subscribers.get(5) == Subscriber(5, countries=("CN",))      # unknown key ignored
        store.subscribers.deactivate(5, "blocked")
        assert store.subscribers.count(active_only=True) == 0


def test_a_delivery_held_by_one_process_is_not_given_to_another(two):
    a, b = two
    a.deliveries.enqueue("ev-1", [1, 2, 3], T0)
    assert [d.chat_id for d in a.deliveries.pending()] == [1, 2, 3]
    assert b.deliveries.pending() == []                     # all held by a
    assert not b.deliveries.claim("ev-1", 1, T0)
    assert a.deliveries.claim("ev-1", 1, T0)
    a.deliveries.mark_sent("ev-1", 1, 10, T0)
    assert not a.deliveries.claim("ev-1", 1, T0)            # sent: nobody claims it again
    assert a.deliveries.get("ev-1", 1).attempts == 1
    assert b.deliveries.stats()["pending"] == 2


def test_claims_of_a_process_that_is_gone_go_to_the_others(two, url):
    from storage.postgres import open_postgres
    a, b = two
    gone = open_postgres(url, lease=timedelta(hours=1))
    gone.deliveries.enqueue("ev-1", [1, 2], T0)
    assert len(gone.deliveries.pending()) == 2 and b.deliveries.pending() == []
    gone.close()                                           # its sessions end, as when it is killed
    taken = until(b.deliveries.pending)                    # once the server has seen them end
    assert [d.chat_id for d in taken] == [1, 2]
    assert a.deliveries.pending() == []


def test_an_expired_lease_frees_a_claim_even_while_its_owner_lives(url):
    from storage.postgres import open_postgres
    a = pg.fresh_store(url, lease=timedelta(seconds=30))
    b = open_postgres(url)
    try:
        a.deliveries.enqueue("ev-1", [1], T0)
        assert a.deliveries.pending()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE tw_deliveries SET claimed_until = clock_timestamp() - interval '1 second'")
        assert [d.chat_id for d in b.deliveries.pending()] == [1]
        assert not a.deliveries.claim("ev-1", 1, T0)        # b holds it now
    finally:
        a.close()
        b.close()


def test_one_leader_at_a_time_and_the_next_takes_over(two):
    a, b = two
    assert a.try_lead() and a.try_lead()
    assert not b.try_lead()
    a.close()
    assert until(b.try_lead)


def test_an_unreachable_server_is_one_clear_error():
    from storage.postgres import open_postgres
    with pytest.raises(StorageError, match="cannot use the PostgreSQL database at postgresql://nobody@127.0.0.1:1/x"):
        open_postgres("postgresql://nobody:secret@127.0.0.1:1/x")


def test_a_lost_leader_connection_loses_the_lead_and_takes_it_again(two, url):
    a, _ = two
    assert a.try_lead()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s "
                     "AND pid <> pg_backend_pid()", (a.owner,))
    assert a.try_lead() is False                           # noticed: the lock went with the session
    assert until(a.try_lead)                                # a new session takes it again
    assert a.events.count() == 0                            # the pool replaced its connection too


def test_a_process_that_keeps_sending_keeps_its_claims_past_the_lease(url):
    from storage.postgres import open_postgres
    a = pg.fresh_store(url, lease=timedelta(seconds=3))
    b = open_postgres(url, lease=timedelta(seconds=3))
    try:
        a.deliveries.enqueue("ev-1", [1, 2, 3], T0)
        with psycopg.connect(url, autocommit=True) as conn:       # as if the lease were nearly over
            conn.execute("UPDATE tw_deliveries SET claimed_until = clock_timestamp() + interval '1 second'")
        a.deliveries._renewed_at -= 10                           # a third of a lease has passed
        assert a.deliveries.claim("ev-1", 1, T0)                 # sending: every claim is renewed
        with psycopg.connect(url, autocommit=True) as conn:
            renewed = conn.execute("SELECT count(*) FROM tw_deliveries WHERE claimed_by = %s AND "
                                   "claimed_until > clock_timestamp() + interval '2 seconds'", (a.owner,)).fetchone()[0]
        assert renewed == 3
        assert b.deliveries.pending() == []
    finally:
        a.close()
        b.close()
