"""One pass of the pipeline for one source: fetch, parse, understand, dedupe, store.

`Pipeline.run_source` returns a `PassResult` with the new events to alert and the events that a
later report joined; delivery takes those and sends them. Failures never raise: they are recorded
in the source's state with exponential backoff (capped, Retry-After honoured) and returned as a
value, so one broken source never stops another. A source seen for the first time is a baseline:
its items are stored, nothing is alerted.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tradewatch.ingest import parsers
from tradewatch.understand.dedupe import EventIndex
from tradewatch.errors import EmptyParseError, ParseError
from tradewatch.models import Event, FetchError, FetchResult, Item, Source, SourceState
from tradewatch.services import Services
from tradewatch.understand.absorb import absorb

log = logging.getLogger(__name__)
SLICE = 0.005             # seconds of item processing between yields to the event loop


@dataclass(frozen=True)
class PassResult:
    source: Source
    new: tuple[Event, ...] = ()        # new events (alert=False when stored as a baseline)
    updated: tuple[Event, ...] = ()    # alerted events that another report joined
    items: int = 0                     # items the source listed
    fresh: int = 0                     # items not seen before
    baseline: bool = False
    not_modified: bool = False
    skipped: bool = False              # not due yet (backoff)
    error: FetchError | None = None
    state: SourceState | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def backoff_delay(every: timedelta, failures: int, cap: timedelta, retry_after: float | None) -> timedelta:
    """Exponential backoff after consecutive failures: every × 2^(n-1), capped, at least Retry-After."""
    delay = min(every * (2 ** max(failures - 1, 0)), max(cap, every))
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


class Pipeline:
    """Runs source passes against shared services and one in-memory dedupe index."""

    def __init__(self, services: Services):
        self.services = services
        self.window = timedelta(days=services.settings.dedupe_window_days)
        self.index = EventIndex(self.window)
        for event in services.store.events.since(services.clock() - self.window):
            self.index.add(event)
        # What start-up loaded (the store, the dedupe window) lives as long as the process: move it
        # out of the garbage collector's sight, or each full collection walks it and stalls the
        # loop (~150 ms with 10,000 events).
        gc.freeze()
        self._running: set[str] = set()

    def is_due(self, source: Source, now: datetime) -> bool:
        state = self.services.store.sources.get(source.id)
        return state.next_due is None or state.next_due <= now

    async def run_all(self, sources: list[Source] | None = None, *, force: bool = False) -> list[PassResult]:
        chosen = [s for s in (sources or self.services.sources) if s.enabled]
        return list(await asyncio.gather(*(self.run_source(s, force=force) for s in chosen)))

    async def run_source(self, source: Source, *, force: bool = False) -> PassResult:
        now = self.services.clock()
        if source.id in self._running or (not force and not self.is_due(source, now)):
            return PassResult(source, skipped=True)
        self._running.add(source.id)
        started = time.perf_counter()
        try:
            result = await self._pass(source, now)
        finally:
            self._running.discard(source.id)
        return replace(result, elapsed=time.perf_counter() - started)

    async def _pass(self, source: Source, now: datetime) -> PassResult:
        states = self.services.store.sources
        state = states.get(source.id)
        fetched = await self.services.fetcher.fetch(source.url, etag=state.etag, last_modified=state.last_modified)
        now = self.services.clock()
        if fetched.error:
            return self._failed(source, state, fetched.error, now, fetched.retry_after)
        if fetched.not_modified:
            state = self._succeeded(state, source, fetched, now, state.last_item_count)
            return PassResult(source, not_modified=True, state=state, items=state.last_item_count)
        try:
            items = await parsers.parse_bounded(fetched, source)
        except ParseError as exc:
            return self._failed(source, state, self._parse_error(exc, state), now, None)
        baseline = not state.baseline_done
        new, updated, fresh = await self.absorb_items(source, items, now, alert=not baseline)
        state = self._succeeded(state, source, fetched, now, len(items), had_new=any(e.alert for e in new))
        return PassResult(source, new=tuple(new), updated=tuple(updated), items=len(items),
                          fresh=fresh, baseline=baseline, state=state)

    async def absorb_items(self, source: Source, items: list[Item], now: datetime, *,
                           alert: bool = True) -> tuple[list[Event], list[Event], int]:
        """Understand and store the items not seen before; return new events, updated events, fresh count.

        With alert=False (a baseline) the new events are stored with alert=False and no update is
        reported, so nothing reaches subscribers.
        """
        store = self.services.store
        new: list[Event] = []
        updated: dict[str, Event] = {}
        fresh_keys: dict[str, None] = {}      # insertion-ordered set
        slice_end = time.perf_counter() + SLICE
        for item in items:
            if item.key in fresh_keys or store.seen.has(source.id, item.key):
                continue
            fresh_keys[item.key] = None
            outcome = absorb(item, source, self.index, now, alert=alert)
            if outcome.event is None:
                pass
            elif outcome.is_new:
                store.events.add(outcome.event)
                new.append(outcome.event)
            else:
                store.events.update(outcome.event)
                if alert and outcome.event.alert:
                    updated[outcome.event.id] = outcome.event
            if time.perf_counter() > slice_end:
                # Let the loop run a turn (it polls I/O too), so the bot keeps answering commands
                # while a burst is processed.
                await asyncio.sleep(0)
                slice_end = time.perf_counter() + SLICE
        store.seen.add_many(source.id, fresh_keys, now)
        new_ids = {e.id for e in new}
        # A later item of the same pass may have joined a new event: alert its latest version.
        new = [store.events.get(e.id) or e for e in new]
        return new, [e for e in updated.values() if e.id not in new_ids], len(fresh_keys)

    def _parse_error(self, exc: ParseError, state: SourceState) -> FetchError:
        if isinstance(exc, EmptyParseError) and state.last_item_count > 0:
            return FetchError("structure_changed", f"used to list {state.last_item_count} items, now none: {exc}")
        return FetchError("empty" if isinstance(exc, EmptyParseError) else "parse", str(exc))

    def _failed(self, source: Source, state: SourceState, error: FetchError, now: datetime,
                retry_after: float | None) -> PassResult:
        failures = state.consecutive_failures + 1
        cap = timedelta(minutes=self.services.settings.backoff_max_minutes)
        state = replace(state, last_check=now, last_error=str(error), last_error_at=now,
                        failing_since=state.failing_since or now, consecutive_failures=failures,
                        next_due=now + backoff_delay(source.every, failures, cap, retry_after))
        self.services.store.sources.put(state)
        log.debug("source %s failed (%d in a row): %s", source.id, failures, error)
        return PassResult(source, error=error, state=state)

    def _succeeded(self, state: SourceState, source: Source, fetched: FetchResult, now: datetime,
                   item_count: int, had_new: bool = False) -> SourceState:
        if state.is_failing:
            log.info("source %s recovered after %d failures", source.id, state.consecutive_failures)
        state = replace(state, etag=fetched.etag or state.etag,
                        last_modified=fetched.last_modified or state.last_modified,
                        last_check=now, last_success=now, consecutive_failures=0, failing_since=None,
                        next_due=now + source.every, last_item_count=item_count, baseline_done=True,
                        last_new_item=now if had_new else state.last_new_item)
        self.services.store.sources.put(state)
        return state
