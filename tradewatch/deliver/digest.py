"""Digests: alerts held in quiet hours or digest mode, sent as one message per (chat, period).

Holding an alert appends its event id to the subscriber's `held`; the event is then never queued
for that chat on its own. When a digest is due (`schedule.due`: the quiet window ended, the day's
digest time came) or is released (/quiet off, /digest off), `make` moves the held ids into the
subscriber's `digests` under the period's id and queues that id in the outbox like an alert, in
that order, before anything is sent: the outbox's (id, chat) record is what makes a digest go out
once across restarts, and a digest made but not yet queued (a crash between the two writes) is
queued again by the next tick. `render` builds the message from the stored events, grouped by
topic, each with its link, within one Telegram message ("… and N more"). Digests whose delivery is
no longer pending are dropped from the subscriber by `settle`. Chats holding something are kept in
memory (found with one scan at the first tick), so a tick looks at those chats only.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any, Iterable

from tradewatch.deliver import schedule
from tradewatch.deliver.render import MAX_TEXT, esc, render_event_line, visible_len
from tradewatch.models import Subscriber

log = logging.getLogger(__name__)

MAX_HELD = 500                      # events one chat holds at most (the oldest give way)
TOPIC_NAMES = {"tariff": "Tariffs", "export_control": "Export controls"}


class Digests:
    """Held alerts and the digests made of them, on the store's subscriber records."""

    def __init__(self, store: Any):
        self._store = store
        self._holding: set[str] | None = None      # chat keys with held events or unsent digests

    def hold(self, chat_id: int | str, event_id: str) -> None:
        subscriber = self._store.subscribers.get(chat_id)
        if subscriber is None or event_id in subscriber.held:
            return
        self._store.subscribers.put(replace(subscriber, held=(subscriber.held + (event_id,))[-MAX_HELD:]))
        if self._holding is not None:           # else the first tick's scan finds it
            self._holding.add(str(chat_id))

    def make(self, subscriber: Subscriber, digest_id: str, now: datetime) -> str | None:
        """Turn what the chat holds into the digest `digest_id` and queue it; None when nothing is held."""
        if not subscriber.held:
            return None
        made = replace(subscriber, held=(), digest_done=digest_id,
                       digests=subscriber.digests + ((digest_id, *subscriber.held),))
        self._store.subscribers.put(made)
        self._store.deliveries.enqueue(digest_id, [subscriber.chat_id], now)
        self._chats().add(str(subscriber.chat_id))
        log.info("digest %s for %s: %d events", digest_id, subscriber.chat_id, len(subscriber.held))
        return digest_id

    def due(self, now: datetime) -> list[tuple[int | str, str]]:
        """Make every digest that is due now; (chat, digest id) of each queued (again), to send."""
        queued = []
        for key in list(self._chats()):
            subscriber = self._store.subscribers.get(key)
            if subscriber is None or not subscriber.active:
                self._chats().discard(key)
                continue
            digest_id = schedule.due(subscriber, now)
            if digest_id is not None and self.make(subscriber, digest_id, now):
                subscriber = self._store.subscribers.get(key)
            subscriber = self.settle(subscriber)
            for digest_id, *_ in subscriber.digests:
                self._store.deliveries.enqueue(digest_id, [subscriber.chat_id], now)   # no-op once queued
                queued.append((subscriber.chat_id, digest_id))
            if not subscriber.held and not subscriber.digests:
                self._chats().discard(key)
        return queued

    def release(self, subscriber: Subscriber, now: datetime) -> str | None:
        """Send what the chat holds now, as one digest (/quiet off, /digest off)."""
        return self.make(subscriber, f"{schedule.DIGEST}release:{now.astimezone(schedule.UTC):%Y-%m-%dT%H:%M:%S}Z", now)

    def settle(self, subscriber: Subscriber) -> Subscriber:
        """Drop the chat's digests whose delivery is sent or given up."""
        kept = tuple(d for d in subscriber.digests if self._still_pending(d[0], subscriber.chat_id))
        if kept != subscriber.digests:
            subscriber = replace(subscriber, digests=kept)
            self._store.subscribers.put(subscriber)
        return subscriber

    def render(self, chat_id: int | str, digest_id: str) -> str | None:
        """The digest message, or None when the chat no longer has it."""
        subscriber = self._store.subscribers.get(chat_id)
        entry = next((d for d in subscriber.digests if d[0] == digest_id), None) if subscriber else None
        if entry is None:
            return None
        events = [e for e in (self._store.events.get(i) for i in entry[1:]) if e is not None]
        return render_digest(events)

    def _still_pending(self, digest_id: str, chat_id: int | str) -> bool:
        delivery = self._store.deliveries.get(digest_id, chat_id)
        return delivery is None or delivery.status == "pending"

    def _chats(self) -> set[str]:
        if self._holding is None:
            self._holding = {str(s.chat_id) for s in self._store.subscribers.active() if s.held or s.digests}
        return self._holding


def render_digest(events: Iterable[Any]) -> str:
    """One message: the events grouped by topic (each under its first), newest first, linked;
    what does not fit is counted ("… and N more: /latest")."""
    events = sorted(events, key=lambda e: e.when, reverse=True)
    header = f"🗞 <b>TradeWatch digest</b>: {len(events)} event{'s' * (len(events) != 1)}"
    if not events:
        return header + "\n\nNothing that is still stored."
    groups: dict[str, list[str]] = {}
    for event in events:
        topic = event.topics[0] if event.topics else "other"
        groups.setdefault(topic, []).append(render_event_line(event))
    text, shown = header, 0
    for topic, lines in groups.items():
        block = f"\n\n<b>{esc(TOPIC_NAMES.get(topic, topic))}</b>"
        for line in lines:
            candidate = f"{text}{block}\n• {line}"
            if visible_len(candidate) > MAX_TEXT - 60:
                return text + f"\n\n… and {len(events) - shown} more: /latest"
            text, block, shown = candidate, "", shown + 1
    return text
