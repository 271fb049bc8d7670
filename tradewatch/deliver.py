"""Delivery: the outbox fan-out of alerts to subscribers and the channel, the only place that sends them.

Store first, then send. `notify` records every (event, chat) delivery in the outbox before any
send; each send is recorded before (`mark_sending`, attempts + 1) and after (`mark_sent` with the
message id), so a crash or restart resumes with `resume()` and never sends an alert twice to a
chat, except in one window we cannot close without Telegram's help: a crash after Telegram
accepted a message but before `mark_sent` was written. That delivery is still pending with
attempts > 0 and is sent again on resume (at most one duplicate, and only then); the window is the
time between the HTTP answer and one local journal append. Later reports of an event edit the
messages already sent ("Also reported by …"); an update never sends a second alert.

Telegram's limits are respected here, proactively and paced (tradewatch.ratelimit): messages per
second overall (30; above that sends carry `allow_paid_broadcast`, Telegram's paid mode of up to
1,000/s), one per second per chat, 20 per minute per group or channel (negative ids and @names).
Different chats are served concurrently by a bounded set of workers that take turns, one chat
strictly in order. Alerts go out as raw `sendMessage` calls over `FanoutRequest` (PTB on aiohttp,
tradewatch/transport.py): PTB's Message objects and httpx cost more CPU per message than a 1,000/s
fan-out on two cores can spend.
Errors: RetryAfter pauses every send for the time asked and retries the same message; Forbidden
and "chat not found" deactivate the subscriber (for the channel: an error in the log); ChatMigrated
moves the subscriber and its outbox and resends to the new id; a formatting BadRequest is retried
as plain text; other BadRequests fail the delivery for good; network errors and timeouts are
retried with exponential backoff and then left pending for the next pass.
"""
from __future__ import annotations

import asyncio
import html
import logging
import warnings
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Awaitable, Callable, Iterable

from telegram import LinkPreviewOptions
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from tradewatch.models import Delivery, Event
from tradewatch.ratelimit import Limits, chat_key, normalize_chat_id
from tradewatch.render import plain_text, render_alert
from tradewatch.transport import WIRE_GATE, FanoutRequest  # noqa: F401  (FanoutRequest: bot.py's transport)

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
RAW_SEND_WARNING = r"Please use 'Bot\.sendMessage' instead of 'Bot\.do_api_request\(\"sendMessage\""
BACKOFF = (1.0, 2.0, 4.0)          # seconds between retries of a network error or timeout
FLOOD_RETRIES = 5                  # RetryAfter answers honoured for one message before leaving it pending
CONCURRENCY = 64                   # requests in flight at once
PRIVATE_PER_SECOND = 1.0           # to any one chat (groups and channels also keep their per-minute cap)
FREE_OVERALL = 30.0                # Telegram's free limit; a higher TW_RATE_OVERALL means paid broadcast
Sleep = Callable[[float], Awaitable[Any]]


@dataclass
class _Turn:
    """One chat's place in a drain's line: its deliveries still to send, and whether it holds the chat."""

    key: str
    deliveries: deque[Delivery] = field(default_factory=deque)
    started: bool = False
    locked: bool = False


@dataclass(frozen=True)
class Outcome:
    """What one send came to: a message id, or an error that is final or worth retrying later."""

    chat_id: int | str
    message_id: int | None = None
    error: str | None = None
    final: bool = False

    @property
    def sent(self) -> bool:
        return self.message_id is not None


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after is an int (deprecated) or a timedelta, depending on PTB_TIMEDELTA."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def classify(error: TelegramError) -> str:
    """One word for what a Bot API error means to delivery (BadRequest before NetworkError)."""
    text = error.message.lower()
    if isinstance(error, RetryAfter):
        return "flood"
    if isinstance(error, ChatMigrated):
        return "migrated"
    if isinstance(error, Forbidden):
        return "forbidden"
    if isinstance(error, BadRequest):
        for needle, verdict in (("parse entities", "parse"), ("can't find end", "parse"),
                                ("unsupported start tag", "parse"), ("chat not found", "gone"),
                                ("not modified", "unchanged"), ("message to edit not found", "lost"),
                                ("message can't be edited", "lost"), ("too long", "too_long")):
            if needle in text:
                return verdict
        return "bad_request"
    if isinstance(error, NetworkError):      # TimedOut included
        return "network"
    return "other"


class Deliverer:
    """Sends alerts from the outbox, edits them when more outlets report, broadcasts admin text."""

    def __init__(self, bot: Any, services: Any, *, channel: str | None = None,
                 rate_overall: float | None = None, rate_group_per_min: float | None = None,
                 edit_hours: float | None = None, rate_private: float = PRIVATE_PER_SECOND,
                 sleep: Sleep = asyncio.sleep,
                 backoff: tuple[float, ...] = BACKOFF, concurrency: int = CONCURRENCY):
        settings = services.settings
        raw_channel = channel if channel is not None else settings.telegram_channel
        self.channel: int | str | None = normalize_chat_id(raw_channel) if raw_channel else None
        self.edit_window = timedelta(hours=edit_hours if edit_hours is not None else settings.tw_edit_hours)
        self._bot = bot
        self._services = services
        self._sleep = sleep
        self._backoff = backoff
        overall = rate_overall or settings.tw_rate_overall
        self._paid = {"allow_paid_broadcast": True} if overall > FREE_OVERALL else {}
        self._limits = Limits(overall, rate_group_per_min or settings.tw_rate_group, rate_private)
        self._concurrency = concurrency
        self._gated = isinstance(getattr(bot, "request", None), FanoutRequest)
        self._slots = asyncio.Semaphore(concurrency)
        _allow_raw_sends()
        self._chat_locks: dict[str, tuple[asyncio.Lock, int]] = {}   # lock, tasks using it
        self._inflight: set[tuple[str, str]] = set()
        self._moved: dict[str, int | str] = {}

    @property
    def _store(self) -> Any:
        return self._services.store

    def _now(self) -> datetime:
        return self._services.clock()

    # ---- public API ------------------------------------------------------------------------
    def recipients(self, event: Event, now: datetime) -> list[int | str]:
        """Active subscribers whose filters want the event, then the channel; each chat once."""
        chats = [s.chat_id for s in self._store.subscribers.active() if s.wants(event, now)]
        if self.channel is not None:
            chats.append(self.channel)
        unique: dict[str, int | str] = {}
        for chat in chats:
            unique.setdefault(chat_key(chat), chat)
        return list(unique.values())

    async def notify(self, new: list[Event], updated: list[Event]) -> None:
        """Record then send the alerts for new events; edit sent alerts of updated ones."""
        now = self._now()
        events = {}
        for event in new:
            if event.alert:
                events[event.id] = event
                added = self._store.deliveries.enqueue(event.id, self.recipients(event, now), now)
                log.info("event %s: %d deliveries queued", event.id, added)
        await self._drain(self._store.deliveries.pending(), events)
        await asyncio.gather(*(self._edit_update(e, now) for e in updated))

    async def resume(self) -> None:
        """Send every delivery still pending in the outbox (start-up, after a crash)."""
        pending = self._store.deliveries.pending()
        if pending:
            log.info("resuming %d pending deliveries", len(pending))
        await self._drain(pending, {})

    async def broadcast_text(self, text: str) -> tuple[int, int]:
        """Send an admin's text to every active subscriber (escaped, rate-limited): (sent, failed)."""
        escaped = html.escape(text, quote=False)
        chats = [s.chat_id for s in self._store.subscribers.active()]
        outcomes = await asyncio.gather(*(self._send(chat, escaped) for chat in chats))
        sent = sum(1 for o in outcomes if o.sent)
        return sent, len(outcomes) - sent

    async def tell_admins(self, text: str) -> int:
        """An operator notice (plain text, escaped) to every user in ADMIN_IDS; how many got it."""
        escaped = html.escape(text, quote=False)
        admins = sorted(self._services.settings.admin_ids)
        outcomes = await asyncio.gather(*(self._send(chat, escaped) for chat in admins))
        return sum(1 for o in outcomes if o.sent)

    async def check_channel(self) -> str | None:
        """None when the channel is usable (or none is set); otherwise what is wrong, for the operator."""
        if self.channel is None:
            return None
        channel = self.channel
        try:
            chat = await self._bot.get_chat(channel)
            me = await self._bot.get_me()
            member = await self._bot.get_chat_member(channel, me.id)
        except Forbidden as exc:
            return f"the bot cannot access channel {channel} ({exc.message}); add it as an administrator"
        except BadRequest as exc:
            if "not found" in exc.message.lower():
                return f"channel {channel} not found ({exc.message}); check TELEGRAM_CHANNEL"
            return f"cannot check channel {channel}: {exc.message}"
        except TelegramError as exc:
            return f"cannot check channel {channel}: {exc.message}"
        return _channel_rights_problem(channel, chat.type, member)

    # ---- the outbox ------------------------------------------------------------------------
    async def _drain(self, deliveries: Iterable[Delivery], events: dict[str, Event]) -> None:
        """Send these deliveries: chats concurrently, each chat's in order, none twice at once.

        A fixed set of workers (at most `concurrency`) take turns over the chats: a worker sends
        the next delivery of the chat at the head of the line and puts the chat back at the tail
        while it has more, so every chat's first alert goes out before anyone's second (whose
        per-chat limit has then mostly passed), and a fan-out to many chats costs no task per chat."""
        line: dict[str, _Turn] = {}
        for delivery in deliveries:
            key = (delivery.event_id, chat_key(delivery.chat_id))
            if key not in self._inflight:
                self._inflight.add(key)
                line.setdefault(key[1], _Turn(key[1])).deliveries.append(delivery)
        if not line:
            return
        turns, rendered = deque(line.values()), {}
        workers = (self._work(turns, events, rendered) for _ in range(min(self._concurrency, len(turns))))
        try:
            for result in await asyncio.gather(*workers, return_exceptions=True):
                if isinstance(result, Exception):
                    log.error("delivery worker failed", exc_info=result)
        finally:
            while turns:                     # left by cancelled workers
                self._end_turn(turns.popleft())
            self._store.flush()

    async def _work(self, turns: deque[_Turn], events: dict[str, Event],
                    rendered: dict[str, tuple[Event, str] | None]) -> None:
        while turns:
            turn = turns.popleft()
            try:
                if not turn.started:
                    await self._start_turn(turn)
                delivery = turn.deliveries.popleft()
                try:
                    await self._deliver(delivery, events, rendered)
                except Exception:          # one broken delivery never stops the others
                    log.exception("delivery of %s to %s failed", delivery.event_id, delivery.chat_id)
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

    async def _deliver(self, delivery: Delivery, events: dict[str, Event],
                       rendered: dict[str, tuple[Event, str] | None]) -> None:
        """mark_sending → send → mark_sent (or mark_failed), for one still-pending delivery."""
        event_id, chat_id = delivery.event_id, self._moved.get(chat_key(delivery.chat_id), delivery.chat_id)
        current = self._store.deliveries.get(event_id, chat_id)
        if current is None or current.status != "pending":
            return
        if event_id not in rendered:         # once per event and drain, not once per chat
            event = self._store.events.get(event_id) or events.get(event_id)
            rendered[event_id] = (event, render_alert(event)) if event else None
        if rendered[event_id] is None:
            self._store.deliveries.mark_failed(event_id, chat_id, "event no longer stored", self._now(), final=True)
            return
        event, markup = rendered[event_id]
        self._store.deliveries.mark_sending(event_id, chat_id, self._now())
        outcome = await self._send(chat_id, markup)
        if outcome.sent:
            self._store.deliveries.mark_sent(event_id, outcome.chat_id, outcome.message_id, self._now(),
                                             reports=max(1, len(event.reports)))
        else:
            self._store.deliveries.mark_failed(event_id, outcome.chat_id, outcome.error or "unknown",
                                               self._now(), final=outcome.final)

    # ---- one message -----------------------------------------------------------------------
    async def _attempt(self, chat_id: int | str, markup: str, call: Callable[..., Awaitable[Any]]
                       ) -> tuple[Any, str | None, TelegramError | None]:
        """call(text, parse_mode) under the limits, with the retries sends and edits share.

        RetryAfter is waited out (everything pauses), a formatting error is retried as plain
        text, network errors back off. Returns (result, None, None) or (None, verdict, error)."""
        text, mode, floods, failures = markup, ParseMode.HTML, 0, 0
        while True:
            await self._limits.wait_chat(chat_id)
            try:
                async with self._slots:
                    return await self._paced(call, text, mode), None, None
            except TelegramError as exc:
                error, verdict = exc, classify(exc)
            if verdict == "flood" and floods < FLOOD_RETRIES:
                floods += 1
                log.warning("Telegram asks to wait %.0f s (chat %s)", retry_seconds(error), chat_id)
                await self._limits.pause(retry_seconds(error), self._sleep)
            elif verdict == "parse" and mode is not None:
                log.warning("chat %s: %s; sending as plain text", chat_id, error.message)
                text, mode = plain_text(markup), None
            elif verdict == "network" and failures < len(self._backoff):
                await self._sleep(self._backoff[failures])
                failures += 1
            else:
                return None, verdict, error

    async def _paced(self, call: Callable[..., Awaitable[Any]], text: str, mode: str | None) -> Any:
        """call(text, mode) on the overall rate's turn: taken by FanoutRequest right before the
        request goes on the wire (WIRE_GATE), or here first with any other transport."""
        if not self._gated:
            await self._limits.wait_overall()
            return await call(text, mode)
        token = WIRE_GATE.set(self._limits.wait_overall)
        try:
            return await call(text, mode)
        finally:
            WIRE_GATE.reset(token)

    async def _send(self, chat_id: int | str, markup: str) -> Outcome:
        for _ in range(3):               # a chat migrates once; guard against loops anyway
            call = partial(self._send_call, chat_id)
            message, verdict, error = await self._attempt(chat_id, markup, call)
            if message is not None:
                return Outcome(chat_id, message_id=message["message_id"])
            if verdict != "migrated":
                return self._settle(chat_id, verdict, error)
            chat_id = self._migrate(chat_id, error.new_chat_id)
        return Outcome(chat_id, error="chat keeps migrating")

    async def _send_call(self, chat_id: int | str, text: str, mode: str | None) -> dict[str, Any]:
        """sendMessage, answered as the raw dict: building PTB's Message costs more than sending it."""
        params = {"chat_id": chat_id, "text": text, "link_preview_options": NO_PREVIEW, **self._paid}
        if mode is not None:
            params["parse_mode"] = mode
        return await self._bot.do_api_request("sendMessage", api_kwargs=params)

    def _settle(self, chat_id: int | str, verdict: str | None, error: TelegramError | None) -> Outcome:
        """Turn a send that did not go out into an outcome; deactivate chats that are gone."""
        reason = f"{type(error).__name__}: {error.message}" if error else "unknown error"
        if verdict in ("forbidden", "gone"):
            self._chat_gone(chat_id, reason)
            return Outcome(chat_id, error=reason, final=True)
        if verdict in ("flood", "network", "other"):
            log.warning("chat %s: %s; left pending", chat_id, reason)
            return Outcome(chat_id, error=reason, final=False)
        log.error("chat %s: %s; delivery failed", chat_id, reason)
        return Outcome(chat_id, error=reason, final=True)

    def _chat_gone(self, chat_id: int | str, reason: str) -> None:
        if self._is_channel(chat_id):
            log.error("cannot post to channel %s: %s (make the bot an administrator with post rights)",
                      chat_id, reason)
            return
        log.info("deactivating chat %s: %s", chat_id, reason)
        self._store.subscribers.deactivate(chat_id, reason)

    def _migrate(self, old: int | str, new: int | str) -> int | str:
        log.info("chat %s migrated to %s", old, new)
        self._store.subscribers.migrate(old, new)
        self._store.deliveries.move_chat(old, new)
        self._moved[chat_key(old)] = new
        if self._is_channel(old):
            self.channel = new
        return new

    def _is_channel(self, chat_id: int | str) -> bool:
        return self.channel is not None and chat_key(chat_id) == chat_key(self.channel)

    # ---- edits for later reports -------------------------------------------------------------
    async def _edit_update(self, event: Event, now: datetime) -> None:
        """Re-render the alerts already sent for this event (within the edit window)."""
        reports = len(event.reports)
        todo = [d for d in self._store.deliveries.sent_for(event.id, since=now - self.edit_window)
                if d.message_id is not None and d.edited_reports < reports]
        if not todo:
            return
        markup = render_alert(event)
        done = await asyncio.gather(*(self._edit(d, markup) for d in todo))
        for delivery, finished in zip(todo, done):
            if finished:
                self._store.deliveries.mark_edited(event.id, delivery.chat_id, reports)

    async def _edit(self, delivery: Delivery, markup: str) -> bool:
        """Edit one sent alert. True when there is nothing more to do (edited, unchanged or gone)."""
        call = partial(self._edit_call, delivery.chat_id, delivery.message_id)
        message, verdict, error = await self._attempt(delivery.chat_id, markup, call)
        if message is not None or verdict in ("unchanged", "lost", "migrated", "bad_request", "too_long"):
            return True
        if verdict in ("forbidden", "gone"):
            self._chat_gone(delivery.chat_id, f"{type(error).__name__}: {error.message}")
            return True
        log.warning("edit of %s in %s left for later: %s", delivery.event_id, delivery.chat_id, error)
        return False

    async def _edit_call(self, chat_id: int | str, message_id: int, text: str, mode: str | None) -> Any:
        return await self._bot.edit_message_text(text, chat_id=chat_id, message_id=message_id,
                                                 parse_mode=mode, link_preview_options=NO_PREVIEW)


def _allow_raw_sends() -> None:
    """`_send_call` uses do_api_request("sendMessage") on purpose: silence exactly PTB's advice
    against it (idempotent; a filter, as warnings are process-wide and sends run concurrently)."""
    warnings.filterwarnings("ignore", message=RAW_SEND_WARNING, category=PTBUserWarning)


def _channel_rights_problem(channel: int | str, chat_type: str, member: Any) -> str | None:
    if member.status == ChatMemberStatus.OWNER:
        return None
    if member.status != ChatMemberStatus.ADMINISTRATOR:
        return (f"the bot is not an administrator of channel {channel} (status: {member.status}); "
                f"add it as an administrator with the 'Post messages' right")
    if chat_type == "channel" and not getattr(member, "can_post_messages", False):
        return f"the bot is an administrator of channel {channel} but lacks the 'Post messages' right"
    return None
