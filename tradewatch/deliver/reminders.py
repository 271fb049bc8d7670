"""Reminders of effective dates and comment deadlines: when each is due, queued through the outbox.

A chat with `/remind DAYS` (Subscriber.remind_days) is reminded of each date of each event its
rules let through (topics and countries, and the alert rules of `rules` when a router is given), at 09:00 in the chat's time zone (`Subscriber.timezone`,
UTC when unknown) DAYS days before the date. When that moment has already passed as the date
becomes known (a new event, a moved date, a chat turning reminders on) and the date is still
ahead, the reminder goes at once; a date already past never reminds.

Exactly once: a due reminder is queued in the outbox under the id `models.reminder_id(event,
kind of date, date)` with kind "reminder", and the outbox's one-record-per-(id, chat) rule makes a
second queueing a no-op, across restarts too. A date that moves gives another id, so the reminder
is scheduled again for the new date; one still queued for the old date is dropped when it comes to
be sent (`reminder_markup`).

`Reminders.check` is what the schedule job (every TICK) calls: it costs nothing until the next due
moment it computed (at most LOOK_AGAIN ahead), or until `changed()` (a /remind) asks it to look
again; then `plan` bisects the dated events (kept in memory, sorted by date) once per chat with
reminders, so a look costs the chats plus the reminders actually due, never a walk over every
chat's every event. New and updated events are planned as they are handed to delivery (`notify`).
"""
from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Callable, Iterable

from tradewatch.deliver.render import render_reminder
from tradewatch.models import UTC, Delivery, Event, Subscriber, parse_reminder_id, reminder_id

log = logging.getLogger(__name__)

REMIND_AT = time(9, 0)              # chat-local time a reminder is due
TICK = timedelta(minutes=1)         # how often the schedule job asks `check`
LOOK_AGAIN = timedelta(hours=1)     # a look at least this often (mutes ending, new subscribers)
RELOAD = timedelta(hours=6)         # the dated events are read from the store again this often


def due_moment(on: date, days: int, zone: tzinfo) -> datetime:
    """09:00 chat-local `days` days before `on`, in UTC."""
    return datetime.combine(on - timedelta(days=days), REMIND_AT, tzinfo=zone).astimezone(UTC)


def is_past(on: date, now: datetime, zone: tzinfo) -> bool:
    """The date is over in the chat's time zone (a reminder on the day itself still counts)."""
    return on < now.astimezone(zone).date()


@dataclass(frozen=True)
class Due:
    """One reminder due: event, chat, kind of date, the date and when it fell due (UTC)."""

    event: Event
    chat_id: int | str
    kind: str
    on: date
    at: datetime

    @property
    def outbox_id(self) -> str:
        return reminder_id(self.event.id, self.kind, self.on.isoformat())


Dated = tuple[date, str, Event]        # (date, kind of date, event), sorted by date


def dated(events: Iterable[Event]) -> list[Dated]:
    return sorted(((on, kind, e) for e in events for kind, on in e.dates()), key=lambda d: (d[0], d[1], d[2].id))


def last_due_date(days: int, now: datetime, zone: tzinfo) -> date:
    """The latest date whose reminder is due by `now`: 09:00 chat-local `days` days before it has come."""
    wall = now.astimezone(zone).replace(tzinfo=None)
    return (wall - timedelta(hours=REMIND_AT.hour, minutes=REMIND_AT.minute)).date() + timedelta(days=days)


def plan(dates: list[Dated], subscribers: Iterable[Subscriber], now: datetime,
         wants: Callable[[Subscriber, Event, datetime], bool] | None = None) -> tuple[list[Due], datetime | None]:
    """The reminders due by `now` whose date is not past (the day itself counts), and the next
    moment another may fall due. Each chat costs a bisection and the dates it is due for. `wants`
    decides which events a chat's rules let through (default: its topics and countries)."""
    wants = wants or (lambda subscriber, event, at: subscriber.wants(event, at))
    days_only = [on for on, _, _ in dates]
    due: list[Due] = []
    next_at: datetime | None = None
    for subscriber in subscribers:
        if subscriber.remind_days is None or not subscriber.active:
            continue
        zone = subscriber.zone
        today, last = now.astimezone(zone).date(), last_due_date(subscriber.remind_days, now, zone)
        low, high = bisect_left(days_only, today), bisect_right(days_only, last)
        for on, kind, event in dates[low:high]:
            if wants(subscriber, event, now):
                due.append(Due(event, subscriber.chat_id, kind, on, due_moment(on, subscriber.remind_days, zone)))
        if high < len(dates):
            at = due_moment(days_only[high], subscriber.remind_days, zone)
            next_at = at if next_at is None else min(next_at, at)
    return due, next_at


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
    """Queues due reminders in the outbox and has the Deliverer send them.

    It keeps the events that have a date in memory: read from the store at the first look and
    every RELOAD (events stored without an alert, a first-start baseline, are found then), and kept
    up to date by `notify` with every new and updated event in between."""

    def __init__(self, services: Any, deliverer: Any):
        self._services = services
        self._deliverer = deliverer
        self._next: datetime | None = None          # None: look at the next check
        self._loaded: datetime | None = None        # when the dated events were read
        self._events: dict[str, Event] = {}         # event id → event with a date
        self._known: set[tuple[str, str]] = set()   # (outbox id, chat) already in the outbox
        self._checking = False

    def changed(self) -> None:
        """Something that decides reminders changed (a /remind, a mute): look at the next check."""
        self._next = None

    async def notify(self, new: list[Event], updated: list[Event]) -> None:
        """The notifier the source jobs call: alerts first, then the reminders of these events'
        dates that are due already (only these events are planned: nothing else changed)."""
        await self._deliverer.notify(new, updated)
        touched = [*new, *updated]
        for event in touched:
            self._remember(event)
        if any(e.dates() for e in touched):
            await self._run(dated(e for e in touched if e.dates()), full=False)

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
            if self._loaded is None or now - self._loaded >= RELOAD or now < self._loaded:
                self._load(now)
            return await self._run(dated(self._events.values()), full=True)
        finally:
            self._checking = False

    async def _run(self, dates: list[Dated], *, full: bool) -> int:
        """Queue what is due among `dates`, send it, and note the next due moment. Queueing has no
        await inside, so two runs never queue one reminder twice."""
        now = self._services.clock()
        subscribers = list(self._services.store.subscribers.active())
        router = getattr(self._deliverer, "router", None)
        due, next_at = plan(dates, subscribers, now,
                            router.rules.filter(subscribers) if router is not None else None)
        queued = self._queue(due, now)
        if full:
            self._next = min(now + LOOK_AGAIN, next_at) if next_at else now + LOOK_AGAIN
        elif self._next is not None and next_at is not None:
            self._next = min(self._next, next_at)
        if queued:
            log.info("%d reminders due", len(queued))
            await self._deliverer.send_now(queued)
        return len(queued)

    def _load(self, now: datetime) -> None:
        self._events, self._known = {}, set()
        for event in self._services.store.events.all():
            self._remember(event)
        self._loaded = now

    def _remember(self, event: Event) -> None:
        if event.dates():
            self._events[event.id] = event
        else:
            self._events.pop(event.id, None)

    def _queue(self, due: list[Due], now: datetime) -> list[Delivery]:
        """Outbox records for the due reminders not queued before (once per id and chat, ever);
        one outbox change per reminder id, however many chats it goes to."""
        deliveries = self._services.store.deliveries
        chats: dict[str, list[int | str]] = {}
        for reminder in due:
            key = (reminder.outbox_id, str(reminder.chat_id))
            if key in self._known:
                continue
            self._known.add(key)
            if deliveries.get(reminder.outbox_id, reminder.chat_id) is None:
                chats.setdefault(reminder.outbox_id, []).append(reminder.chat_id)
        fresh = []
        for outbox_id, ids in chats.items():
            deliveries.enqueue(outbox_id, ids, now, kind="reminder")
            fresh.extend(deliveries.get(outbox_id, chat_id) for chat_id in ids)
        return [d for d in fresh if d is not None]
