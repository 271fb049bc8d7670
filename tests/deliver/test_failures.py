"""Whatever goes wrong with one delivery or edit stays in it: the other chats are served, the
failure is one log line, and the delivery is recorded as failed and left pending for a retry."""
from __future__ import annotations

import json
import logging

import pytest
import telegram

from tests.deliver.test_outbox import (NOW, bot, bounded, deliverer, fake, make_event, services,  # noqa: F401
                                       subscribe)
from tradewatch.deliver.sender import classify, describe
from tradewatch.models import Report

BROKEN = 13
LIBRARY_ERRORS = [
    TypeError("'bool' object is not subscriptable"), KeyError("message_id"), ValueError("invalid literal"),
    AttributeError("'NoneType' object has no attribute 'get'"), RuntimeError("Session is closed"),
    OSError(24, "Too many open files"), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
    RecursionError("maximum recursion depth exceeded"), json.JSONDecodeError("Expecting value", "<html>", 0),
    ZeroDivisionError("division by zero"), NotImplementedError(), AssertionError("unexpected"), LookupError("x"),
    IndexError("list index out of range"), OverflowError("date value out of range"), MemoryError(),
    telegram.error.TelegramError("Invalid server response"), telegram.error.TimedOut(),
    telegram.error.NetworkError("Bad Gateway"),
]


class Library:
    """The bot, with one of its methods raising `error` for the BROKEN chat (PTB's Bot is frozen)."""

    def __init__(self, bot, method: str, error: BaseException):
        self._bot, self._method, self._error = bot, method, error

    def __getattr__(self, name: str):
        real = getattr(self._bot, name)
        if name != self._method:
            return real

        async def call(*args, **kwargs):
            chat = (kwargs.get("api_kwargs") or {}).get("chat_id", kwargs.get("chat_id"))
            if chat == BROKEN:
                raise self._error
            return await real(*args, **kwargs)
        return call


def tracebacks(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info and r.name.startswith("tradewatch")]


@pytest.mark.parametrize("error", LIBRARY_ERRORS, ids=lambda e: type(e).__name__)
async def test_any_exception_sending_to_one_chat_stays_in_that_delivery(fake, bot, services, caplog, error):
    subscribe(services, fake, 11, 12, BROKEN, 14)
    event = make_event()
    services.store.events.add(event)
    with caplog.at_level(logging.INFO, logger="tradewatch"):
        await bounded(deliverer(Library(bot, "do_api_request", error), services, backoff=(0.0,)).notify([event], []))
    assert [len(fake.sent(c)) for c in (11, 12, BROKEN, 14)] == [1, 1, 0, 1]
    delivery = services.store.deliveries.get(event.id, BROKEN)
    assert delivery.status == "pending" and delivery.error == describe(error)
    assert not tracebacks(caplog)
    assert sum(str(BROKEN) in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING) == 1


@pytest.mark.parametrize("error", LIBRARY_ERRORS[:8], ids=lambda e: type(e).__name__)
async def test_any_exception_editing_one_alert_stays_in_that_edit(fake, bot, services, caplog, error):
    subscribe(services, fake, 11, BROKEN, 14)
    library = Library(bot, "edit_message_text", error)
    d = deliverer(library, services, backoff=(0.0,))
    event = make_event()
    services.store.events.add(event)
    await bounded(d.notify([event], []))
    updated = event.with_report(Report("wire", "Global Wire", "t", "https://wire.example/1", NOW), NOW)
    with caplog.at_level(logging.INFO, logger="tradewatch"):
        await bounded(d.notify([], [updated]))            # returns: the pass goes on to mark hand-offs
    assert [len(m.edits) for c in (11, BROKEN, 14) for m in fake.sent(c)] == [1, 0, 1]
    assert services.store.deliveries.get(event.id, 11).edited_reports == 2
    assert services.store.deliveries.get(event.id, BROKEN).edited_reports == 1      # not recorded as done
    assert not tracebacks(caplog)
    library._method = None                                # the library works again
    assert await bounded(d.retry_pending()) == 0          # the next round is not due yet …
    d._retry.due = 0                                      # … make it due: the edit left for later is redone
    await bounded(d.retry_pending())
    assert len(fake.sent(BROKEN)[0].edits) == 1
    assert services.store.deliveries.get(event.id, BROKEN).edited_reports == 2


async def test_unparseable_answers_from_the_bot_api_stay_in_their_delivery(fake, bot, services, caplog):
    """Through the real library and the fake: a sendMessage answered `result: true`, an edit answered
    with a Message that has no chat, and a proxy's HTML page."""
    subscribe(services, fake, 11, 12, BROKEN)
    d = deliverer(bot, services, backoff=(0.0,))
    event = make_event()
    services.store.events.add(event)
    fake.answer_raw_next("sendMessage", '{"ok": true, "result": true}', chat_id=BROKEN, content_type="application/json")
    fake.answer_raw_next("sendMessage", "<html><body><h1>502 Bad Gateway</h1></body></html>" * 50, status=502,
                         chat_id=12, times=2)
    with caplog.at_level(logging.INFO, logger="tradewatch"):
        await bounded(d.notify([event], []))
    assert len(fake.sent(11)) == 1 and fake.sent(12) == fake.sent(BROKEN) == []
    proxy_page = services.store.deliveries.get(event.id, 12).error
    assert "HTTP 502 with text/html" in proxy_page and "<html>" not in proxy_page
    assert "TypeError" in services.store.deliveries.get(event.id, BROKEN).error
    fake.answer_raw_next("editMessageText", '{"ok": true, "result": {"message_id": 1}}',
                         chat_id=11, content_type="application/json")
    updated = event.with_report(Report("wire", "Global Wire", "t", "https://wire.example/1", NOW), NOW)
    await bounded(d.notify([], [updated]))
    assert "edit of ev1 in 11 left for later: KeyError: 'date'" in caplog.text and not tracebacks(caplog)
    assert "<html>" not in caplog.text and "Can not load invalid JSON" not in caplog.text


def test_errors_are_described_once_and_classified():
    blocked = telegram.error.Forbidden("Forbidden: bot was blocked by the user")
    assert describe(blocked) == "Forbidden: bot was blocked by the user"
    assert describe(telegram.error.BadRequest("Chat not found")) == "BadRequest: Chat not found"
    assert describe(KeyError("message_id")) == "KeyError: 'message_id'"
    assert describe(NotImplementedError()) == "NotImplementedError: (no message)"
    assert describe(ValueError("a\nb " + "x" * 400)).startswith("ValueError: a b x") and len(describe(ValueError("x" * 900))) < 320
    assert classify(blocked) == "forbidden" and classify(TypeError("x")) == "broken"


async def test_a_broken_store_write_is_logged_and_the_other_chats_are_served(fake, bot, services, monkeypatch, caplog):
    subscribe(services, fake, 11, BROKEN, 14)
    mark_sent = services.store.deliveries.mark_sent

    def flaky(event_id, chat_id, *args, **kwargs):
        if chat_id == BROKEN:
            raise OSError(28, "No space left on device")
        return mark_sent(event_id, chat_id, *args, **kwargs)

    monkeypatch.setattr(services.store.deliveries, "mark_sent", flaky)
    with caplog.at_level(logging.INFO, logger="tradewatch"):
        await bounded(deliverer(bot, services).notify([make_event()], []))
    assert [len(fake.sent(c)) for c in (11, BROKEN, 14)] == [1, 1, 1]
    assert services.store.deliveries.get("ev1", BROKEN).status == "pending"
    assert "No space left on device" in caplog.text and not tracebacks(caplog)
