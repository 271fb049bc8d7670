"""Telegram's send limits, kept proactively: sends paced overall and per chat, and a global pause.

Telegram's limits are "about 30 messages per second" overall (in any second), about one per
second in one chat, and 20 per minute in a group or channel. Letting a window's worth out at once
and then waiting (a sliding window, a token bucket with a full burst) lets up to twice the limit
land within one second at Telegram, once connection set-up or the network bunches two batches
together. Sends are therefore *paced*: a `Pacer` releases one caller every 1/rate seconds (GCRA,
the "virtual scheduling" form; first come, first served). A chat's pacer runs at `PACE` = 95% of
its limit; its small tolerance (`LATENESS`, 10 ms) lets a release the busy event loop delayed be
made up at once instead of lost, yet n releases always span at least (n − 1)/rate − tolerance
seconds, so any one second holds at most ⌊(1 s + tolerance) · rate⌋ + 1 of them. The overall pacer
runs at `OVERALL_PACE` = 98.5% of the limit: the releases a late loop owes are made up for up to
`CATCH_UP` (250 ms), so a busy loop costs no throughput, and a hard cap of ⌊limit⌋ releases within
any 1 s + `JITTER` (25 ms, or `JITTER_SENDS` = 1.5 intervals at low rates: 50 ms at 30/s) keeps
every second at Telegram within the limit when the network or a busy loop bunches sends by up to
that much. At 1,000/s the cap binds at 1,000 per 1.025 s (97.6% of the limit): with 15 ms, one
send a run reaching the fake ~20 ms late put 1,004–1,008 into one second. At 30/s it binds before
the pace and sends 30 per 1.05 s (95% of the limit): a margin of ¾ of an interval (25 ms) was
exceeded on a loaded 2-core machine, where 31 sends reached the server within one second. `Limits` combines the overall pacer, one
`ChatLimit` per chat (paced per second; groups, supergroups and channels — negative ids and
@usernames — also capped per minute by a `SlidingWindow` stretched by the same margin) and the
pause a RetryAfter imposes on every send. Pure asyncio on the loop's clock; no Telegram imports,
no threads.
"""
from __future__ import annotations

import asyncio
import re
from collections import deque
from typing import Awaitable, Callable

KEEP_CHAT_LIMITERS = 10_000        # per-chat pacers kept before idle ones are forgotten
PACE = 0.95                        # share of a stated limit actually used (per chat and group)
LATENESS = 0.01                    # s a release may be late and still be made up (GCRA tolerance)
OVERALL_PACE = 0.985               # share of the overall limit used: …
CATCH_UP = 0.25                    # … a late loop's releases made up for this long, …
JITTER = 0.025                     # … and never more than the limit within 1 s + this, …
JITTER_SENDS = 1.5                 # … or this many intervals when that is longer (low rates)
RELEASE_BURST = 8                  # waiters released in one turn of the event loop, at most


class Pacer:
    """Releases callers at most `rate` per second, 1/rate apart, in arrival order.

    GCRA: `_tat` is the theoretical time of the next release; a caller may go when the loop's
    clock is at least `_tat - tolerance`, and each release moves `_tat` to max(_tat, now) + 1/rate.
    Waiters queued when the loop was late by up to `catch_up` seconds are all released at once
    (each moving `_tat` from max(_tat, now − catch_up)), so a busy loop costs no throughput; a caller
    arriving at an idle pacer resets the schedule (no burst after a pause). With a `window`
    (count, seconds), a release also waits until at most count − 1 others were made within the
    last `seconds`: a hard cap whatever the tolerance and the catching up. Waiters are futures
    released by one timer, several in one callback when the loop was late. `hold()`/`unhold()`
    stop and restart releases (nested holds count); pacing resumes from the moment of the last
    unhold, with no catch-up burst."""

    def __init__(self, rate: float, tolerance: float = 0.0, window: tuple[int, float] | None = None,
                 catch_up: float = 0.0):
        if rate <= 0 or tolerance < 0 or catch_up < 0 or (window is not None and (window[0] < 1 or window[1] <= 0)):
            raise ValueError("a pacer needs rate > 0, tolerance >= 0 and a window of >= 1 release in > 0 s")
        self.interval = 1.0 / rate
        self.tolerance = tolerance
        self.catch_up = catch_up
        self.window = window
        self._released: deque[float] = deque()          # the last window[0] release times
        self._tat = float("-inf")
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.Handle | None = None
        self._holds = 0

    @classmethod
    def within(cls, limit: float, period: float, share: float = PACE, lateness: float = LATENESS) -> "Pacer":
        """Paced at `share` of `limit` per `period`, with a tolerance small enough that no window of
        `period` seconds ever sees more than `limit` releases (when `limit` is a whole number)."""
        if limit <= 0 or period <= 0 or not 0 < share <= 1:
            raise ValueError("a rate limit needs limit > 0, period > 0 and 0 < share <= 1")
        return cls(limit * share / period, min(lateness, period / share - period))

    @classmethod
    def overall(cls, limit: float, share: float = OVERALL_PACE, catch_up: float = CATCH_UP,
                jitter: float = JITTER) -> "Pacer":
        """Paced at `share` of `limit` per second; a late loop's releases are made up for
        `catch_up` seconds, yet never more than ⌊limit⌋ are released within 1 s + the jitter
        allowed for the network (at least `JITTER_SENDS` intervals), so none of Telegram's seconds
        holds more than the limit however the sends bunch on the way."""
        if limit <= 0 or not 0 < share <= 1:
            raise ValueError("a rate limit needs limit > 0 and 0 < share <= 1")
        if limit < 1:
            return cls.within(limit, 1.0, share)
        return cls(limit * share, min(LATENESS, 1 / share - 1), (int(limit), 1.0 + max(jitter, JITTER_SENDS / limit)),
                   catch_up)

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if not self._waiters and not self._holds and now >= self._due():
            self._note(now, now)
            return
        waiter = loop.create_future()
        self._waiters.append(waiter)
        self._arm(loop)
        await waiter          # a cancelled waiter is skipped by _release; a released one used its turn

    def hold(self) -> None:
        """Stop releasing until as many `unhold()` calls as `hold()` calls."""
        self._holds += 1
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def unhold(self) -> None:
        self._holds = max(0, self._holds - 1)
        if not self._holds:
            loop = asyncio.get_running_loop()
            self._tat = max(self._tat, loop.time())
            self._arm(loop)

    def idle(self, now: float) -> bool:
        """True when nobody waits and the pacer is as good as new (it can be forgotten)."""
        return not self._waiters and not self._holds and self._tat <= now and self._due() <= now

    def _due(self) -> float:
        """The loop time from which the next release may be made."""
        due = self._tat - self.tolerance
        if self.window is not None and len(self._released) >= self.window[0]:
            due = max(due, self._released[0] + self.window[1])
        return due

    def _note(self, now: float, since: float) -> None:
        """A release at `now`; the schedule goes on from `since` at the earliest."""
        self._tat = max(self._tat, since) + self.interval
        if self.window is not None:
            self._released.append(now)
            if len(self._released) > self.window[0]:
                self._released.popleft()

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is None and self._waiters and not self._holds:
            self._timer = loop.call_at(self._due(), self._release, loop)

    def _release(self, loop: asyncio.AbstractEventLoop) -> None:
        """Release the waiters that are due, at most RELEASE_BURST in one turn of the loop (the
        rest the next turn): a late loop catching up never queues its every task at once ahead of
        the others (64 senders released together held a command's answer for 100 ms)."""
        self._timer = None
        now, released = loop.time(), 0
        while self._waiters and now >= self._due() and released < RELEASE_BURST:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._note(now, now - self.catch_up)
                released += 1
        if self._waiters and not self._holds and now >= self._due():
            self._timer = loop.call_soon(self._release, loop)       # type: ignore[assignment]
        else:
            self._arm(loop)


class SlidingWindow:
    """At most `limit` acquisitions in any `period` seconds (FIFO among waiters); they may come
    all at once, so it caps a per-minute count while a Pacer spaces the sends."""

    def __init__(self, limit: int, period: float):
        if limit < 1 or period <= 0:
            raise ValueError("a rate limit needs limit >= 1 and period > 0")
        self.limit = limit
        self.period = period
        self._stamps: deque[float] = deque()
        self._lock = asyncio.Lock()

    @classmethod
    def per(cls, rate: float, period: float) -> "SlidingWindow":
        """`rate` messages per `period` seconds; a rate below one widens the window instead."""
        return cls(int(rate), period) if rate >= 1 else cls(1, period / rate)

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            while True:
                now = loop.time()
                while self._stamps and self._stamps[0] <= now - self.period:
                    self._stamps.popleft()
                if len(self._stamps) < self.limit:
                    self._stamps.append(now)
                    return
                await asyncio.sleep(self._stamps[0] + self.period - now)

    def idle(self, now: float) -> bool:
        """True when nothing was sent within the window (the limiter can be forgotten)."""
        return not self._lock.locked() and (not self._stamps or self._stamps[-1] <= now - self.period)


class ChatLimit:
    """One chat's limits: its Pacer (messages per second) and, for groups, a per-minute window."""

    def __init__(self, pacer: Pacer, window: SlidingWindow | None = None):
        self.pacer = pacer
        self.window = window

    async def acquire(self) -> None:
        if self.window is not None:
            await self.window.acquire()
        await self.pacer.acquire()

    def idle(self, now: float) -> bool:
        return self.pacer.idle(now) and (self.window is None or self.window.idle(now))


def chat_key(chat_id: int | str) -> str:
    return str(chat_id)


def normalize_chat_id(chat_id: int | str) -> int | str:
    """'-100123' → -100123; '@name' stays a string."""
    return int(chat_id) if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id) else chat_id


def is_group_chat(chat_id: int | str) -> bool:
    """Groups, supergroups and channels: negative ids or @usernames (Telegram's per-group limit)."""
    chat_id = normalize_chat_id(chat_id)
    return isinstance(chat_id, str) or chat_id < 0


class Limits:
    """Proactive rate limits plus the global pause a RetryAfter imposes on every send.

    `wait(chat)` is `wait_chat(chat)` then `wait_overall()`; a sender that bounds its concurrency
    should take its slot between the two, so a chat's own limit never holds a slot and a release
    by the overall pacer is followed by the send at once."""

    def __init__(self, overall: float, group_per_min: float, per_chat_per_sec: float = 1.0):
        self._overall = Pacer.overall(overall)
        self._group_per_min = group_per_min
        self._per_chat = per_chat_per_sec
        self._chats: dict[str, ChatLimit] = {}
        self._prune_at = KEEP_CHAT_LIMITERS

    def _chat(self, chat_id: int | str) -> ChatLimit:
        key = chat_key(chat_id)
        limit = self._chats.get(key)
        if limit is None:
            if len(self._chats) >= self._prune_at:
                self._forget_idle()
            window = SlidingWindow.per(self._group_per_min, 60.0 / PACE) if is_group_chat(chat_id) else None
            limit = self._chats[key] = ChatLimit(Pacer.within(self._per_chat, 1.0), window)
        return limit

    def _forget_idle(self) -> None:
        now = asyncio.get_running_loop().time()
        self._chats = {k: v for k, v in self._chats.items() if not v.idle(now)}
        self._prune_at = max(KEEP_CHAT_LIMITERS, 2 * len(self._chats))     # never prune on every call

    async def wait(self, chat_id: int | str) -> None:
        """Return when a message to this chat may go out now."""
        await self.wait_chat(chat_id)
        await self.wait_overall()

    async def wait_chat(self, chat_id: int | str) -> None:
        """This chat's own turn (per second for every chat, per minute for groups and channels)."""
        await self._chat(chat_id).acquire()

    async def wait_overall(self) -> None:
        """A turn of the overall rate; none is given while a RetryAfter pause lasts."""
        await self._overall.acquire()

    async def pause(self, seconds: float, sleep: Callable[[float], Awaitable[object]]) -> None:
        """Hold every send for `seconds` (Telegram's RetryAfter), then let them go again, paced."""
        self._overall.hold()
        try:
            await sleep(seconds + 0.1)
        finally:
            self._overall.unhold()
