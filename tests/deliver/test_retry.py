"""Pending deliveries are retried on their own, on a schedule with backoff, and given up in bounds."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta

from tests.deliver.test_outbox import (NOW, bot, bounded, deliverer, fake, make_event, services,  # noqa: F401
                                       subscribe)
from tradewatch.deliver.retry import RetrySchedule

FAST = dict(retry_gaps=(0.2, 0.3), backoff=(0.01,))


def test_schedule_waits_a_gap_then_backs_off_and_starts_over_when_nothing_is_pending():
    schedule = RetrySchedule((15.0, 30.0))
    assert not schedule.is_due(100.0, pending=False)
    assert not schedule.is_due(100.0, pending=True)           # first seen: the first round in 15 s
    assert not schedule.is_due(114.9, pending=True) and schedule.is_due(115.0, pending=True)
    assert schedule.finished(115.0) == 30.0 and schedule.finished(145.0) == 30.0   # the last gap repeats
    assert not schedule.is_due(170.0, pending=True) and schedule.is_due(175.0, pending=True)
    assert not schedule.is_due(176.0, pending=False) and (schedule.rounds, schedule.due) == (0, None)


async def ticking(d, every: float = 0.02):
    """The retry job, as the JobQueue runs it: a tick every `every` seconds until cancelled."""
    while True:
        await d.retry_pending()
        await asyncio.sleep(every)


async def test_an_outage_is_followed_by_the_alert_with_no_new_news(fake, bot, services, caplog):
    subscribe(services, fake, *range(11, 16))
    event = make_event()
    services.store.events.add(event)
    d = deliverer(bot, services, **FAST)
    ends = fake.fail_for("sendMessage", 0.8)
    with caplog.at_level(logging.INFO, logger="tradewatch"):
        await bounded(d.notify([event], []))
        assert fake.sent() == [] and len(services.store.deliveries.pending()) == 5
        job = asyncio.ensure_future(ticking(d))
        try:
            await fake.wait_for(lambda: len(fake.sent()) == 5 and "every pending delivery went out" in caplog.text,
                                timeout=10, what="every alert after the outage, and the round's end")
        finally:
            job.cancel()
    assert min(m.at for m in fake.sent()) >= ends
    assert services.store.deliveries.pending() == [] and {len(fake.sent(c)) for c in range(11, 16)} == {1}
    assert "retrying 5 pending deliveries (round 1)" in caplog.text
    assert "every pending delivery went out on retry round" in caplog.text
    # Each round during the outage tried one delivery (the probe), not all five.
    during = [t for t in fake.times["sendMessage"] if t < ends]
    rounds_during = caplog.text.count("still pending after retry round")
    assert len(during) <= 5 * 2 + rounds_during * 2          # the first drain (1 + backoff each), then probes


async def test_a_chat_that_keeps_failing_does_not_hold_up_the_others(fake, bot, services):
    subscribe(services, fake, 11, 12, 13)
    event = make_event()
    services.store.events.add(event)
    d = deliverer(bot, services, **FAST)
    fake.fail_next("sendMessage", 11, 502, description="Bad Gateway", times=1000)
    fake.fail_next("sendMessage", 12, 502, description="Bad Gateway", times=2)
    fake.fail_next("sendMessage", 13, 502, description="Bad Gateway", times=2)
    await bounded(d.notify([event], []))
    job = asyncio.ensure_future(ticking(d))
    try:
        await fake.wait_for(lambda: len(fake.sent()) == 2, timeout=10, what="the two healthy chats")
    finally:
        job.cancel()
    assert fake.sent(11) == [] and services.store.deliveries.get(event.id, 11).status == "pending"


async def test_deliveries_are_given_up_after_their_tries_or_once_no_longer_news(fake, bot, services, caplog):
    subscribe(services, fake, 11)
    event = make_event()
    services.store.events.add(event)
    d = deliverer(bot, services, max_attempts=3, **FAST)
    fake.fail_for("sendMessage", 60)
    await bounded(d.notify([event], []))
    job = asyncio.ensure_future(ticking(d))
    try:
        await fake.wait_for(lambda: services.store.deliveries.get(event.id, 11).status == "failed",
                            timeout=10, what="the delivery given up")
    finally:
        job.cancel()
    delivery = services.store.deliveries.get(event.id, 11)
    assert delivery.attempts == 3 and delivery.error.startswith("gave up after 3 tries; last error: NetworkError")
    assert fake.calls["sendMessage"] == 3 * 2                  # each try: 1 + one backoff retry

    old = make_event(2)
    services.store.events.add(old)
    services.store.deliveries.enqueue(old.id, [11], NOW - timedelta(hours=49))
    later = deliverer(bot, replace(services, clock=lambda: NOW), **FAST)
    await bounded(later.resume())
    assert services.store.deliveries.get(old.id, 11).status == "failed" and fake.sent() == []
    assert "older than the edit window" in services.store.deliveries.get(old.id, 11).error


async def test_nothing_pending_means_no_round(fake, bot, services):
    d = deliverer(bot, services, retry_gaps=(0.0,))
    assert await bounded(d.retry_pending()) == 0 and fake.calls["sendMessage"] == 0
