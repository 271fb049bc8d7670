"""Leadership of the source schedule on a shared PostgreSQL database (tradewatch.jobs.Watch):
one process leads, and another takes over when it is gone. Skipped without a server (tests/pg.py)."""
from __future__ import annotations

import time

from tests import pg
from tradewatch.jobs import Watch
from tradewatch.services import Services
from tradewatch.settings import Settings


async def _nothing(new, updated) -> None:
    return None


def test_one_process_leads_and_another_takes_over_when_it_is_gone():
    from storage.postgres import open_postgres
    url = pg.require_postgres()
    first = Watch(Services(settings=Settings(), store=pg.fresh_store(url), sources=[]), _nothing)
    second = Watch(Services(settings=Settings(), store=open_postgres(url), sources=[]), _nothing)
    try:
        assert first.check_lead() is True and first.leading
        assert first.check_lead() is False and first.leading          # still leading: no new take-over
        assert second.check_lead() is False and not second.leading
        first.services.store.close()                                  # the leader's process is gone
        deadline = time.monotonic() + 10
        while not second.check_lead() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert second.leading
    finally:
        first.services.store.close()
        second.services.store.close()


def test_the_embedded_store_always_leads():
    from storage import open_store
    watch = Watch(Services(settings=Settings(), store=open_store(None), sources=[]), _nothing)
    assert watch.check_lead() and watch.leading
