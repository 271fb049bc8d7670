"""Reminders of effective dates and comment deadlines: when each is due, queued through the outbox.

A chat with `/remind DAYS` (Subscriber.remind_days) is reminded of each date of each event its
rules let through (`Subscriber.wants`), at 09:00 in the chat's time zone (`Subscriber.timezone`,
UTC when unknown) DAYS days before the date. When that moment has already passed as the date
becomes known (a new event, a moved date, a chat turning reminders on) and the date is still
ahead, the reminder goes at once; a date already past never reminds.

Exactly once: a due reminder is queued in the outbox under the id `models.reminder_id(event,
kind of date, date)` with kind "reminder", and the outbox's one-record-per-(id, chat) rule makes a
second queueing a no-op, across restarts too. A date that moves gives another id, so the reminder
is scheduled again for the new date; one still queued for the old date is dropped when it comes to
be sent (`reminder_markup`).

`Reminders.check` is what the schedule job (every TICK) calls: it costs nothing until the next due
moment it computed, or until `changed()` (a /remind, new or updated events) asks it to look again;
then it reads the events with a date in the reminder horizon once and queues what is due.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tradewatch.deliver.render import render_reminder
from tradewatch.models import UTC, Delivery, Event, Subscriber, parse_reminder_id, reminder_id

log = logging.getLogger(__name__)

REMIND_AT = time(9, 0)              # chat-local time a reminder is due
MAX_DAYS = 30                       # /remind 0 … 30
DEFAULT_DAYS = 1
TICK = timedelta(minutes=1)         # how often the schedule job asks `check`
LOOK_AGAIN = timedelta(hours=1)     # a full look at least this often (mutes ending, new subscribers)


def zone_of(subscriber: Subscriber) -> tzinfo:
    """The chat's time zone; UTC when its name is unknown or malformed."""
    if not subscriber.timezone or subscriber.timezone.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(subscriber.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def due_moment(on: date, days: int, zone: tzinfo) -> datetime:
    """09:00 chat-local `days` days before `on`, in UTC."""
    return datetime.combine(on - timedelta(days=days), REMIND_AT, tzinfo=zone).astimezone(UTC)


def is_past(on: date, now: datetime, zone: tzinfo) -> bool:
    """The date is over in the chat's time zone (a reminder on the day itself still counts)."""
    return on < now.astimezone(zone).date()


@dataclass(frozen=True)
class Due:
    """One reminder: event, chat, kind of date, the date and when it is due (UTC)."""

    event: Event
    chat_id: int | str
    kind: str
    on: date
    at: datetime

    @property
    def outbox_id(self) -> str:
        return reminder_id(self.event.id, self.kind, self.on.isoformat())


def plan(events: Iterable[Event], subscribers: Iterable[Subscriber], now: datetime) -> list[Due]:
    """Every reminder whose date is not past, due or not yet, soonest due first."""
    dated = [(e, kind, on) for e in events for kind, on in e.dates()]
    found = []
    for subscriber in subscribers:
        if subscriber.remind_days is None or not subscriber.active:
            continue
        zone = zone_of(subscriber)
        for event, kind, on in dated:
            if not is_past(on, now, zone) and subscriber.wants(event, now):
                found.append(Due(event, subscriber.chat_id, kind, on,
                                 due_moment(on, subscriber.remind_days, zone)))
    return sorted(found, key=lambda d: d.at)


def reminder_markup(event: Event, outbox_id: str, now: datetime, zone: tzinfo = UTC) -> tuple[Event, str] | str:
    """What the outbox sends for a queued reminder (days counted in the chat's zone), or why it
    sends nothing (the date moved or passed)."""
    parsed = parse_reminder_id(outbox_id)
    if parsed is None:
        return f"not a reminder id: {outbox_id}"
    _, kind, on_text = parsed
    if getattr(event, kind, None) != on_text:
        return f"{kind} moved from {on_text} to {getattr(event, kind, None)}: reminded of the new date instead"
    on = date.fromisoformat(on_text)
    if on < (now - timedelta(hours=14)).date():      # past in every time zone
        return f"{kind} {on_text} is past"
    return event, render_reminder(event, kind, on, (on - now.astimezone(zone).date()).days)


class Reminders:
    """Queues due reminders in the outbox and has the Deliverer send them."""

    def __init__(self, services: Any, deliverer: Any):
        self._services = services
        self._deliverer = deliverer
        self._next: datetime | None = None          # None: look at the next check
        self._checking = False

    def changed(self) -> None:
        """Something that decides reminders changed (a /remind, events): look at the next check."""
        self._next = None

    async def notify(self, new: list[Event], updated: list[Event]) -> None:
        """The notifier the source jobs call: alerts first, then the reminders of these events'
        dates that are due already (only these events are read: nothing else changed)."""
        await self._deliverer.notify(new, updated)
        dated = [e for e in (*new, *updated) if e.dates()]
        if dated:
            await self._run(dated, full=False)

    async def tick(self, _context: object = None) -> None:
        await self.check()

    async def check(self) -> int:
        """Queue and send the reminders due now; returns how many were queued. Costs nothing
        before the next due moment unless `changed()` was called."""
        now = self._services.clock()
        if self._checking or (self._next is not None and now < self._next):
            return 0
        self._checking = True
        try:
            return await self._run(None, full=True)
        finally:
            self._checking = False

    async def _run(self, events: list[Event] | None, *, full: bool) -> int:
        """Queue what is due among `events` (None: every event with a date in the horizon), send it,
        and note the next due moment. Queueing has no await inside, so two runs never queue twice."""
        now = self._services.clock()
        dues = plan(self._dated_events(now) if events is None else events,
                    self._services.store.subscribers.active(), now)
        queued = self._queue([d for d in dues if d.at <= now], now)
        later = [d.at for d in dues if d.at > now]
        if full:
            self._next = min([now + LOOK_AGAIN, *later])
        elif self._next is not None:
            self._next = min([self._next, *later])
        if queued:
            log.info("%d reminders due", len(queued))
            await self._deliverer.send_now(queued)
        return len(queued)

    def _dated_events(self, now: datetime) -> list[Event]:
        """Events with a date from yesterday up to the reminder horizon (MAX_DAYS and a day ahead)."""
        low, high = now.date() - timedelta(days=1), now.date() + timedelta(days=MAX_DAYS + 2)
        return [e for e in self._services.store.events.all() if any(low <= on <= high for _, on in e.dates())]

    def _queue(self, dues: list[Due], now: datetime) -> list[Delivery]:
        """Outbox records for the due reminders not queued before (once per id and chat, ever)."""
        deliveries = self._services.store.deliveries
        fresh = []
        for due in dues:
            if deliveries.get(due.outbox_id, due.chat_id) is None:
                deliveries.enqueue(due.outbox_id, [due.chat_id], now, kind="reminder")
                fresh.append(deliveries.get(due.outbox_id, due.chat_id))
        return [d for d in fresh if d is not None]
