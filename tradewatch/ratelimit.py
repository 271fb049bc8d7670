"""Telegram's send limits, kept proactively: sliding windows per chat and overall, and a global pause.

Telegram states its limits as "30 messages per second" and "20 messages per minute per group"; a
leaky bucket with a burst allowance lets through up to twice that in the first window, so delivery
uses sliding windows instead: the times of the last N sends are kept, and the next send waits
until the oldest of them leaves the window (first come, first served). `Limits` combines the
overall window, one window per chat (groups, supergroups and channels — negative ids and
@usernames — per minute; private chats per second) and the pause a RetryAfter imposes on every
send. Pure asyncio on the loop's clock; no Telegram imports, no threads.
"""
from __future__ import annotations

import asyncio
import re
from collections import deque
from typing import Awaitable, Callable

KEEP_CHAT_LIMITERS = 10_000        # per-chat limiters kept before idle ones are forgotten


class SlidingWindow:
    """At most `limit` acquisitions in any `period` seconds (FIFO among waiters)."""

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

    def idle(self) -> bool:
        """True when nothing was sent within the window (the limiter can be forgotten)."""
        loop = asyncio.get_running_loop()
        return not self._lock.locked() and (not self._stamps or self._stamps[-1] <= loop.time() - self.period)


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
    """Proactive rate limits plus the global pause a RetryAfter imposes on every send."""

    def __init__(self, overall: float, group_per_min: float, private_per_sec: float = 1.0):
        self._overall = SlidingWindow.per(overall, 1)
        self._group_rate = group_per_min
        self._private_rate = private_per_sec
        self._chats: dict[str, SlidingWindow] = {}
        self._open = asyncio.Event()
        self._open.set()
        self._pauses = 0

    def _chat(self, chat_id: int | str) -> SlidingWindow:
        key = chat_key(chat_id)
        if key not in self._chats:
            if len(self._chats) >= KEEP_CHAT_LIMITERS:
                self._chats = {k: v for k, v in self._chats.items() if not v.idle()}
            self._chats[key] = SlidingWindow.per(self._group_rate, 60) if is_group_chat(chat_id) \
                else SlidingWindow.per(self._private_rate, 1)
        return self._chats[key]

    async def wait(self, chat_id: int | str) -> None:
        """Return when a message to this chat may go out now."""
        await self._open.wait()
        await self._chat(chat_id).acquire()
        await self._overall.acquire()
        await self._open.wait()

    async def pause(self, seconds: float, sleep: Callable[[float], Awaitable[object]]) -> None:
        """Hold every send for `seconds` (Telegram's RetryAfter), then let them go again."""
        self._pauses += 1
        self._open.clear()
        try:
            await sleep(seconds + 0.1)
        finally:
            self._pauses -= 1
            if not self._pauses:
                self._open.set()
