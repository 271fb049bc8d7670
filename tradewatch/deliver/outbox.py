"""Delivery: the outbox fan-out of alerts to subscribers and the channel, the only place that sends them.

Store first, then send. `notify` records every (event, chat) delivery in the outbox before any
send; each send is recorded before (`mark_sending`, attempts + 1) and after (`mark_sent` with the
message id), so a crash or restart resumes with `resume()` and never sends an alert twice to a
chat, except in one window we cannot close without Telegram's help: a crash after Telegram
accepted a message but before `mark_sent` was written. That delivery is still pending with
attempts > 0 and is sent again on resume (at most one duplicate, and only then); the window is the
time between the HTTP answer and one local journal append. Later reports of an event edit the
messages already sent ("Also reported by …"); an update never sends a second alert. Reminders
(kind "reminder", queued by `reminders` under their own outbox ids) go through the same records,
workers and retries; each is rendered for its chat's time zone, and one whose date moved or passed
meanwhile is recorded as failed instead of sent.

Different chats are served concurrently by a bounded set of workers that take turns, one chat
strictly in order; the per-chat and per-group limits of `ratelimit` keep them paced. Each message
goes through `sender.Sender`: the Bot API calls, their retries and what each error means. Whatever
goes wrong with one delivery or edit stays in it: logged as one line, the delivery recorded as
failed and left pending, and the others served. What is left pending is tried again by
`retry_pending` (the retry job) on the schedule of `retry`, with no new news needed; edits left
for later are redone in the same rounds.

Who gets an event is `route.Router`'s answer (each chat's rules, quiet hours and digests); an alert
to a chat with rules ends with the line saying what matched. A digest is an outbox record like an
alert, under its period's id (`schedule.is_digest`), rendered from what the chat held
(`digest_tick` makes and sends the digests that are due; `release` sends one at once).
"""
from __future__ import annotations

import asyncio
import html
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from tradewatch.deliver import metrics
from tradewatch.deliver.ratelimit import Limits, chat_key, normalize_chat_id
from tradewatch.deliver.reminders import reminder_markup
from tradewatch.deliver.render import render_alert, with_footer
from tradewatch.deliver.route import Router
from tradewatch.deliver.schedule import is_digest
from tradewatch.deliver.retry import GAPS, MAX_ATTEMPTS, RetrySchedule
from tradewatch.deliver.sender import BACKOFF, Sender, Sleep, describe
from tradewatch.models import UTC, Delivery, Event

log = logging.getLogger(__name__)

CONCURRENCY = 64                   # requests in flight at once
PRIVATE_PER_SECOND = 1.0           # to any one chat (groups and channels also keep their per-minute cap)
FREE_OVERALL = 30.0                # Telegram's free limit; a higher TW_RATE_OVERALL means paid broadcast
SLICE = 0.003                      # s of preparing a fan-out between two turns of the event loop
ENQUEUE_CHUNK = 250                # deliveries recorded in one change


class _Slices:
    """Lets the loop run every SLICE seconds of a long synchronous stretch: `await maybe()`."""

    def __init__(self) -> None:
        self._until = time.perf_counter() + SLICE

    async def maybe(self) -> None:
        if time.perf_counter() > self._until:
            await asyncio.sleep(0)
            self._until = time.perf_counter() + SLICE


@dataclass
class _Turn:
    """One chat's place in a drain's line: its deliveries still to send, and whether it holds the chat."""

    key: str
    deliveries: deque[Delivery] = field(default_factory=deque)
    started: bool = False
    locked: bool = False


class Deliverer:
    """Sends alerts from the outbox, edits them when more outlets report, broadcasts admin text."""

    def __init__(self, bot: Any, services: Any, *, channel: str | None = None,
                 rate_overall: float | None = None, rate_group_per_min: float | None = None,
                 edit_hours: float | None = None, rate_private: float = PRIVATE_PER_SECOND,
                 sleep: Sleep = asyncio.sleep, backoff: tuple[float, ...] = BACKOFF,
                 concurrency: int = CONCURRENCY, retry_gaps: tuple[float, ...] = GAPS,
                 max_attempts: int = MAX_ATTEMPTS, monotonic: Callable[[], float] = time.monotonic,
                 router: Router | None = None):
        settings = services.settings
        raw_channel = channel if channel is not None else settings.telegram_channel
        self.edit_window = timedelta(hours=edit_hours if edit_hours is not None else settings.tw_edit_hours)
        self._services = services
        overall = rate_overall or settings.tw_rate_overall
        limits = Limits(overall, rate_group_per_min or settings.tw_rate_group, rate_private)
        self._sender = Sender(bot, services, limits, channel=normalize_chat_id(raw_channel) if raw_channel else None,
                              paid=overall > FREE_OVERALL, concurrency=concurrency, sleep=sleep, backoff=backoff)
        self._concurrency = concurrency
        self._chat_locks: dict[str, tuple[asyncio.Lock, int]] = {}   # lock, tasks using it
        self._inflight: set[tuple[str, str]] = set()
        self._retry = RetrySchedule(retry_gaps)
        self._retrying = False
        self._max_attempts = max_attempts
        self._monotonic = monotonic
        self._edits_due: dict[str, Event] = {}       # event id → the event whose edits were left for later
        self.router = router or Router(services.store)

    @property
    def channel(self) -> int | str | None:
        """The broadcast channel's id (it changes when the channel migrates), or None."""
        return self._sender.channel

    @property
    def _store(self) -> Any:
        return self._services.store

    def _now(self) -> datetime:
        return self._services.clock()

    # ---- public API ------------------------------------------------------------------------
    def recipients(self, event: Event, now: datetime) -> list[int | str]:
        """Active subscribers whose rules want the event, then the channel; each chat once (no
        holding: `notify` routes with quiet hours and digests)."""
        rules, subscribers = self.router.rules, self._store.subscribers.active()
        compiled = [rules.compiled(s) for s in subscribers]
        view = rules.view(event)
        chats = [s.chat_id for s, c in zip(subscribers, compiled) if c.decide(view, now) is not None]
        return self._with_channel(chats)

    def _with_channel(self, chats: list[int | str]) -> list[int | str]:
        """The chats and the channel, each once."""
        if self.channel is not None:
            chats = chats + [self.channel]
        unique: dict[str, int | str] = {}
        for chat in chats:
            unique.setdefault(chat_key(chat), chat)
        return list(unique.values())

    async def notify(self, new: list[Event], updated: list[Event]) -> None:
        """Record then send the alerts for new events; edit sent alerts of updated ones.

        Recipients are chosen and their deliveries recorded in slices that let the loop run (5,000
        chats took 106 ms in one go); what was pending before comes first, oldest first, then the
        new deliveries in the order recorded, as `pending()` would list them."""
        now = self._now()
        events = {}
        pending = self._store.deliveries.pending()
        for event in new:
            if event.alert:
                events[event.id] = event
                plan = await self.router.plan(event, now)
                added = await self._enqueue(event.id, self._with_channel(plan.send), now, pending)
                log.info("event %s: %d deliveries queued, %d held for digests", event.id, added, len(plan.held))
        await self._drain(pending, events)
        await self._edit_all(updated, now)

    async def digest_tick(self) -> int:
        """Make the digests that are due and send every digest still pending; how many were tried."""
        queued = self.router.digests.due(self._now())
        deliveries = [d for chat, digest_id in queued
                      if (d := self._store.deliveries.get(digest_id, chat)) is not None and d.status == "pending"]
        await self._drain(deliveries, {})
        return len(deliveries)

    async def release(self, chat_id: int | str) -> bool:
        """Send what this chat holds now as one digest (/quiet off, /digest off); False when nothing was held."""
        subscriber = self._store.subscribers.get(chat_id)
        if subscriber is None or self.router.digests.release(subscriber, self._now()) is None:
            return False
        await self.digest_tick()
        return True

    async def _enqueue(self, event_id: str, chats: list[int | str], now: datetime, pending: list[Delivery]) -> int:
        """Record the event's deliveries ENQUEUE_CHUNK chats at a time (each chunk one change:
        a crash between two leaves the rest to `resume_unnotified`, which enqueues what is
        missing), adding each new delivery, as stored, to `pending`."""
        deliveries, added = self._store.deliveries, 0
        for start in range(0, len(chats), ENQUEUE_CHUNK):
            fresh = [c for c in chats[start:start + ENQUEUE_CHUNK] if deliveries.get(event_id, c) is None]
            added += deliveries.enqueue(event_id, fresh, now)
            await asyncio.sleep(0)
            pause = _Slices()
            for chat in fresh:
                stored = deliveries.get(event_id, chat)
                if stored is not None and stored.status == "pending":
                    pending.append(stored)
                await pause.maybe()
        return added

    async def resume(self) -> None:
        """Send every delivery still pending in the outbox (start-up, after a crash)."""
        pending = self._store.deliveries.pending()
        if pending:
            log.info("resuming %d pending deliveries", len(pending))
        await self._drain(pending, {})

    async def retry_pending(self) -> int:
        """The retry job's tick: when a round is due (see `retry`), send what is still pending and
        redo the edits left for later. Returns how many deliveries the round tried (0: no round)."""
        now = self._monotonic()
        if self._retrying or (self._retry.due is not None and now < self._retry.due):
            return 0                     # a round runs, or the next is not due: no need to look
        pending = self._waiting()
        if not self._retry.is_due(now, bool(pending or self._edits_due)):
            return 0
        self._retrying = True
        try:
            return await self._retry_round(pending)
        finally:
            self._retrying = False

    async def broadcast_text(self, text: str) -> tuple[int, int]:
        """Send an admin's text to every active subscriber (escaped, rate-limited): (sent, failed)."""
        escaped = html.escape(text, quote=False)
        chats = [s.chat_id for s in self._store.subscribers.active()]
        outcomes = await asyncio.gather(*(self._sender.send(chat, escaped) for chat in chats))
        sent = sum(1 for o in outcomes if o.sent)
        return sent, len(outcomes) - sent

    async def check_channel(self) -> str | None:
        """None when the channel is usable (or none is set); otherwise what is wrong, for the operator."""
        return await self._sender.check_channel()

    async def tell_admins(self, text: str) -> int:
        """An operator notice (plain text, escaped) to every user in ADMIN_IDS; how many got it."""
        escaped = html.escape(text, quote=False)
        admins = sorted(self._services.settings.admin_ids)
        outcomes = await asyncio.gather(*(self._sender.send(chat, escaped) for chat in admins))
        return sum(1 for o in outcomes if o.sent)

    # ---- retries -----------------------------------------------------------------------------
    def _waiting(self) -> list[Delivery]:
        """Pending deliveries that no drain is sending right now."""
        return [d for d in self._store.deliveries.pending()
                if (d.event_id, chat_key(d.chat_id)) not in self._inflight]

    async def _retry_round(self, pending: list[Delivery]) -> int:
        """One delivery first, alone (the probe: the oldest of the chat whose delivery was tried least,
        so one chat that keeps failing never holds up the others, and a chat's alerts keep their
        order); the rest once it went out."""
        round_no = self._retry.rounds + 1
        if pending:
            log.warning("retrying %d pending deliveries (round %d)", len(pending), round_no)
            chat = chat_key(min(pending, key=lambda d: d.attempts).chat_id)
            probe = next(d for d in pending if chat_key(d.chat_id) == chat)       # pending: oldest first
            rest = [d for d in pending if d is not probe]
            await self._drain([probe], {})
            after = self._store.deliveries.get(probe.event_id, probe.chat_id)
            if rest and (after is None or after.status != "pending"):
                await self._drain(rest, {})
        if self._edits_due:
            edits, self._edits_due = list(self._edits_due.values()), {}
            await self._edit_all(edits, self._now())
        left = self._waiting()
        if left or self._edits_due:
            gap = self._retry.finished(self._monotonic())
            error = left[0].error if left else "edits left for later"
            log.warning("%d deliveries still pending after retry round %d (%s); next round in %.0f s",
                        len(left), round_no, error, gap)
        else:
            log.info("every pending delivery went out on retry round %d", round_no)
        return len(pending)

    # ---- the outbox ------------------------------------------------------------------------
    async def _drain(self, deliveries: Iterable[Delivery], events: dict[str, Event]) -> None:
        """Send these deliveries: chats concurrently, each chat's in order, none twice at once.

        A fixed set of workers (at most `concurrency`) take turns over the chats: a worker sends
        the next delivery of the chat at the head of the line and puts the chat back at the tail
        while it has more, so every chat's first alert goes out before anyone's second (whose
        per-chat limit has then mostly passed), and a fan-out to many chats costs no task per chat.
        Worker n starts n loop turns after the first: 80 first deliveries in one turn held the loop 25-40 ms."""
        line: dict[str, _Turn] = {}
        pause = _Slices()
        for delivery in deliveries:
            key = (delivery.event_id, chat_key(delivery.chat_id))
            if key not in self._inflight:
                self._inflight.add(key)
                line.setdefault(key[1], _Turn(key[1])).deliveries.append(delivery)
            await pause.maybe()
        if not line:
            return
        turns, rendered = deque(line.values()), {}
        workers = (self._work(turns, events, rendered, start) for start in range(min(self._concurrency, len(turns))))
        try:
            for result in await asyncio.gather(*workers, return_exceptions=True):
                if isinstance(result, Exception):
                    log.error("delivery worker failed", exc_info=result)
        finally:
            while turns:                     # left by cancelled workers
                self._end_turn(turns.popleft())
            self._store.flush()

    async def _work(self, turns: deque[_Turn], events: dict[str, Event],
                    rendered: dict[str, tuple[Event, str] | str], start: int = 0) -> None:
        for _ in range(start):               # the n-th worker starts n loop turns later (see _drain)
            await asyncio.sleep(0)
        while turns:
            turn = turns.popleft()
            try:
                if not turn.started:
                    await self._start_turn(turn)
                delivery = turn.deliveries.popleft()
                try:
                    await self._deliver(delivery, events, rendered)
                except Exception as exc:   # noqa: BLE001 (one broken delivery never stops the others)
                    self._broken(delivery, exc)
                finally:
                    self._inflight.discard((delivery.event_id, turn.key))
            except BaseException:
                self._end_turn(turn)
                raise
            if turn.deliveries:
                turns.append(turn)
            else:
                self._end_turn(turn)

    async def _start_turn(self, turn: _Turn) -> None:
        """Take the chat's lock: one drain at a time per chat (FIFO), so its alerts keep their order.
        Locks are dropped when no drain uses them, so they do not pile up with the number of chats."""
        lock, users = self._chat_locks.get(turn.key, (asyncio.Lock(), 0))
        self._chat_locks[turn.key] = (lock, users + 1)
        turn.started = True
        await lock.acquire()
        turn.locked = True

    def _end_turn(self, turn: _Turn) -> None:
        """Release the chat (when it was taken) and forget the deliveries it did not get to."""
        for delivery in turn.deliveries:
            self._inflight.discard((delivery.event_id, turn.key))
        turn.deliveries.clear()
        if not turn.started:
            return
        lock, users = self._chat_locks[turn.key]
        if turn.locked:
            lock.release()
        if users == 1:
            del self._chat_locks[turn.key]
        else:
            self._chat_locks[turn.key] = (lock, users - 1)
        turn.started = turn.locked = False

    def _broken(self, delivery: Delivery, error: Exception) -> None:
        """An exception inside one delivery: one log line, and the delivery left pending with it."""
        reason = describe(error)
        log.error("delivery of %s to %s failed: %s; left pending", delivery.event_id, delivery.chat_id, reason)
        try:
            self._store.deliveries.mark_failed(delivery.event_id, delivery.chat_id, reason, self._now(), final=False)
        except Exception as exc:   # noqa: BLE001 (the store itself failing: the log line is all we can do)
            log.error("cannot record the failed delivery of %s to %s: %s", delivery.event_id,
                      delivery.chat_id, describe(exc))

    def _given_up(self, delivery: Delivery) -> str | None:
        """Why a pending delivery is not worth another try: tried too often, or no longer news."""
        if delivery.attempts >= self._max_attempts:
            return f"gave up after {delivery.attempts} tries"
        if delivery.queued_at is not None and self._now() - delivery.queued_at > self.edit_window:
            return f"gave up: queued {delivery.queued_at:%Y-%m-%d %H:%M} UTC, older than the edit window"
        return None

    async def _deliver(self, delivery: Delivery, events: dict[str, Event],
                       rendered: dict[str, tuple[Event, str] | str]) -> None:
        """claim (mark_sending) → send → mark_sent (or mark_failed), for one still-pending delivery."""
        event_id, chat_id = delivery.event_id, self._sender.moved.get(chat_key(delivery.chat_id), delivery.chat_id)
        current = self._store.deliveries.get(event_id, chat_id)
        if current is None or current.status != "pending":
            return
        if (why := self._given_up(current)) is not None:
            log.error("delivery of %s to %s %s (last error: %s)", event_id, chat_id, why, current.error)
            self._store.deliveries.mark_failed(event_id, chat_id, f"{why}; last error: {current.error}",
                                               self._now(), final=True)
            return
        if not self._store.deliveries.claim(event_id, chat_id, self._now()):
            return                           # sent meanwhile, or another process holds it (PostgreSQL)
        if is_digest(event_id):
            event, markup = None, self.router.digests.render(chat_id, event_id)
            if markup is None:
                self._store.deliveries.mark_failed(event_id, chat_id, "digest no longer held", self._now(), final=True)
                return
        else:
            key = event_id if current.kind != "reminder" else f"{event_id} {chat_id}"   # a reminder speaks the chat's time
            if key not in rendered:          # once per event and drain, not once per chat
                rendered[key] = self._render(current, events)
            if isinstance(rendered[key], str):
                self._store.deliveries.mark_failed(event_id, chat_id, rendered[key], self._now(), final=True)
                return
            event, markup = rendered[key]
            if current.kind != "reminder":
                markup = self._with_line(event, markup, chat_id)
        outcome = await self._sender.send(chat_id, markup)
        if outcome.sent:
            self._store.deliveries.mark_sent(event_id, outcome.chat_id, outcome.message_id, self._now(),
                                             reports=max(1, len(event.reports)) if event else 1)
            metrics.of(self._services).alerts.inc()
        else:
            metrics.of(self._services).count_failure(outcome.error or "unknown", outcome.final)
            self._store.deliveries.mark_failed(event_id, outcome.chat_id, outcome.error or "unknown",
                                               self._now(), final=outcome.final)

    def _render(self, delivery: Delivery, events: dict[str, Event]) -> tuple[Event, str] | str:
        """(event, markup) for the delivery's kind; or why there is nothing to send."""
        event = self._store.events.get(delivery.subject_id) or events.get(delivery.subject_id)
        if event is None:
            return "event no longer stored"
        if delivery.kind == "reminder":
            chat = self._store.subscribers.get(delivery.chat_id)
            return reminder_markup(event, delivery.event_id, self._now(), chat.zone if chat else UTC)
        return event, render_alert(event)

    async def send_now(self, deliveries: Iterable[Delivery]) -> None:
        """Send these outbox records now (reminders just queued), like any other delivery."""
        await self._drain(deliveries, {})

    # ---- edits for later reports -------------------------------------------------------------
    async def _edit_all(self, updated: Iterable[Event], now: datetime) -> None:
        """Edit the alerts of each updated event; an event whose edits failed is redone later."""
        for event, result in zip(updated, await asyncio.gather(
                *(self._edit_update(e, now) for e in updated), return_exceptions=True)):
            if isinstance(result, Exception):
                log.error("edits of %s failed: %s; left for later", event.id, describe(result))
            if result is not True:
                self._edits_due[event.id] = event

    async def _edit_update(self, event: Event, now: datetime) -> bool:
        """Re-render the alerts already sent for this event (within the edit window); True when
        every one is done, False when some were left for later."""
        reports = len(event.reports)
        todo = [d for d in self._store.deliveries.sent_for(event.id, since=now - self.edit_window)
                if d.message_id is not None and d.edited_reports < reports]
        if not todo:
            return True
        markup = render_alert(event)
        done = await asyncio.gather(*(self._sender.edit(d, self._with_line(event, markup, d.chat_id)) for d in todo),
                                    return_exceptions=True)
        for delivery, finished in zip(todo, done):
            if finished is True:
                self._store.deliveries.mark_edited(event.id, delivery.chat_id, reports)
                metrics.of(self._services).edits.inc()
            elif isinstance(finished, Exception):
                log.error("edit of %s in %s failed: %s; left for later", event.id, delivery.chat_id,
                          describe(finished))
        return all(finished is True for finished in done)


    def _with_line(self, event: Event, markup: str, chat_id: int | str) -> str:
        """The alert with this chat's "Matched: …" line at the end (`render.with_footer`)."""
        return with_footer(event, markup, self.router.line_for(event, chat_id, self._now())
                           if chat_id != self.channel else "")
