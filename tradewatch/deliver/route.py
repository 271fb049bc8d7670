"""Routing one event to chats: the rules of each chat decide, quiet hours and digests hold.

`Router.plan(event, now)` prepares the event once (rules.EventView; for an official list document
with watch names about, the names found in its full text, fetched by the injected `fulltext`
function and searched in a thread), then decides chat by chat with each chat's compiled rules, in
slices of at most BUDGET seconds with a yield to the event loop between them, so a fan-out to many chats never
blocks the loop for long. A chat that wants the event gets it now, unless it is in quiet hours or
digest mode: then the event is held for its digest (digest.Digests.hold) — except a critical one,
an official measure that matched the chat's watchlist, products or keywords, which breaks through
and says so. The line that says what matched is kept per (event, chat) for rendering; after a
restart, or for an edit, it is worked out again from the chat's current rules (`line_for`).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable, Sequence

from tradewatch.deliver import names, schedule
from tradewatch.deliver.digest import Digests
from tradewatch.deliver.rules import EventView, Match, Rules
from tradewatch.models import Event, Subscriber

log = logging.getLogger(__name__)

BUDGET = 0.002                    # seconds of work between two yields to the event loop
LINES_KEPT = 50_000               # (event, chat) "Matched" lines kept in memory
FULL_TEXTS_KEPT = 64              # events whose full-text name hits are kept
FULL_TEXT_SECONDS = 30.0          # fetching and searching one document, at most
FullText = Callable[[Event], Awaitable[Any]]   # → None (not a list document) or .lines / .error


@dataclass
class Plan:
    send: list[int | str] = field(default_factory=list)
    held: list[int | str] = field(default_factory=list)


class Router:
    def __init__(self, store: Any, rules: Rules | None = None, digests: Digests | None = None,
                 fulltext: FullText | None = None):
        self._store = store
        self.rules = rules or Rules()
        self.digests = digests or Digests(store)
        self._fulltext = fulltext
        self._lines: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._hits: OrderedDict[str, dict[str, str]] = OrderedDict()

    async def plan(self, event: Event, now: datetime, subscribers: Sequence[Subscriber] | None = None) -> Plan:
        """Decide for every active chat; hold the held ones; return who gets the alert now."""
        chats = list(self._store.subscribers.active() if subscribers is None else subscribers)
        compiled = [rules async for rules in self._sliced(chats, self.rules.compiled)]
        await asyncio.sleep(0)
        self.rules.forget(chats)
        view = self.rules.view(event, await self._full_text_hits(event))
        await asyncio.sleep(0)
        plan = Plan()
        async for index in self._sliced(range(len(chats)), None):
            match = compiled[index].decide(view, now)
            if match is not None:
                self._route(chats[index], match, view, now, plan)
        await asyncio.sleep(0)
        async for chat_id in self._sliced(plan.held, None):
            self.digests.hold(chat_id, event.id)
        return plan

    async def _sliced(self, values: Sequence[Any], apply: Callable[[Any], Any] | None):
        """Each value (or apply(value)), yielding to the event loop whenever BUDGET seconds have passed."""
        started = time.perf_counter()
        for index, value in enumerate(values):
            if index % 8 == 7 and time.perf_counter() - started > BUDGET:
                await asyncio.sleep(0)
                started = time.perf_counter()
            yield apply(value) if apply is not None else value

    def _route(self, subscriber: Subscriber, match: Match, view: EventView, now: datetime, plan: Plan) -> None:
        critical = ""
        if schedule.holds(subscriber, now):
            if not (match.strong and view.official):
                plan.held.append(subscriber.chat_id)
                return
            critical = f"🚨 Critical: official measure, sent despite {'digest mode' if subscriber.digest_at else 'quiet hours'}"
        plan.send.append(subscriber.chat_id)
        line = "\n".join(part for part in (critical, match.line()) if part)
        if line:                # kept as a string: strings cost the garbage collector nothing
            self._lines[(view.event.id, str(subscriber.chat_id))] = line
            if len(self._lines) > LINES_KEPT:
                self._lines.popitem(last=False)

    def line_for(self, event: Event, chat_id: int | str, now: datetime) -> str:
        """The "Matched: …" line of this alert in this chat ("" when the chat has no rules)."""
        kept = self._lines.get((event.id, str(chat_id)))
        if kept is not None:
            return kept
        subscriber = self._store.subscribers.get(chat_id)
        if subscriber is None or not subscriber.has_rules:
            return ""
        rules = self.rules.compiled(subscriber)
        match = rules.decide(self.rules.view(event, self._hits.get(event.id)), now)
        return match.line() if match is not None else ""

    async def _full_text_hits(self, event: Event) -> dict[str, str]:
        """Watch names found in the event's full text (fetched once per event), {} when there is
        nothing to look for, the event is not a list document, or the document cannot be had."""
        if self._fulltext is None or event.authority != "official":
            return {}
        if event.id in self._hits:
            return self._hits[event.id]
        keys = sorted(self.rules.universe.names)        # every watch name of the compiled chats
        if not keys:
            return {}
        try:
            async with asyncio.timeout(FULL_TEXT_SECONDS):
                document = await self._fulltext(event)
                if document is None:
                    return {}
                if document.error is not None:
                    log.warning("full text of %s: %s; watch names matched on its title only", event.id, document.error)
                    hits = {}
                else:
                    hits = await asyncio.to_thread(names.find_in_lines, keys, document.lines)
        except TimeoutError:
            log.warning("full text of %s took longer than %.0f s; watch names matched on its title only",
                        event.id, FULL_TEXT_SECONDS)
            hits = {}
        self._hits[event.id] = hits
        if len(self._hits) > FULL_TEXTS_KEPT:
            self._hits.popitem(last=False)
        return hits
