"""Events stored but never handed off (a crash between storing and delivering) are handed off at
start-up however old, unless they are older than TW_EDIT_HOURS: then they are skipped, visibly."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from storage import open_store
from tests.deliver.test_outbox import NOW, make_event
from tradewatch.jobs import Watch
from tradewatch.services import Services
from tradewatch.settings import Settings


@pytest.fixture
def services():
    store = open_store(None)
    yield Services(settings=Settings(), store=store, sources=[], clock=lambda: NOW)
    store.close()


async def test_never_handed_off_events_are_handed_off_however_old_or_skipped_visibly(services, caplog):
    events = services.store.events
    for n, hours in ((1, 1), (2, 47), (3, 49), (4, 24 * 30)):
        events.add(make_event(n, first_seen_at=NOW - timedelta(hours=hours), published_at=NOW - timedelta(hours=hours)))
    events.add(make_event(5, first_seen_at=NOW - timedelta(hours=2), notified=True))
    events.add(make_event(6, first_seen_at=NOW - timedelta(hours=2), alert=False))       # a baseline
    handed: list = []

    async def notify(new, updated):
        handed.extend(e.id for e in new)

    with caplog.at_level(logging.INFO, logger="tradewatch"):
        assert await Watch(services, notify).resume_unnotified() == 2
    assert handed == ["ev2", "ev1"]                              # oldest first
    assert "handing off 2 events" in caplog.text
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 2 and "ev3" in skipped[0] + skipped[1] and "TW_EDIT_HOURS" in skipped[0]
    assert all(events.get(f"ev{n}").notified for n in (1, 2, 3, 4))      # recorded: never reconsidered
    assert await Watch(services, notify).resume_unnotified() == 0 and len(handed) == 2


async def test_a_long_edit_window_reaches_events_weeks_old(services):
    services.settings = replace(services.settings, tw_edit_hours=24 * 40)
    services.store.events.add(make_event(1, first_seen_at=NOW - timedelta(days=30)))
    handed: list = []

    async def notify(new, updated):
        handed.extend(e.id for e in new)

    assert await Watch(services, notify).resume_unnotified() == 1 and handed == ["ev1"]
