"""One pass of the pipeline for one source: fetch, parse, understand, dedupe, store.

`Pipeline.run_source` returns a `PassResult` with the new events to alert and the events that a
later report joined; delivery takes those and sends them. Failures never raise: a fetch or parse
failure, and any exception at all from a parser, understanding or storage (kind `internal`, with
the exception's type and first line), is recorded in the source's state with exponential backoff
(capped at BACKOFF_MAX_MINUTES, Retry-After honoured up to that cap) and returned as a value, so
one broken source never stops another. One item that cannot be understood is that item's failure
alone: it is logged once, counted on the source's state and skipped for good, and the rest of the
pass goes on. A date before 1990 or more than two days ahead is treated as unknown. An item that
an interrupted pass already stored as a report is not read again. A source seen for the first
time is a baseline: its items are stored, nothing is alerted.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import math
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tradewatch.ingest import parsers
from tradewatch.understand.dedupe import EventIndex, collector_paused
from tradewatch.errors import EmptyParseError, ParseError
from tradewatch.models import UTC, Event, FetchError, FetchResult, Item, Source, SourceState
from tradewatch.services import Services
from tradewatch.understand.absorb import absorb

log = logging.getLogger(__name__)
SLICE = 0.003             # seconds of item processing between yields to the event loop (a waiting
                          # task runs after at most two slices: the yielding task is queued first)
DUE_GRACE = timedelta(seconds=5)   # a pass due this soon is due now (see Pipeline.is_due)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)   # item dates before this are taken as unknown …
LATEST_AHEAD = timedelta(days=2)              # … and so are dates further ahead than this


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
    item_errors: int = 0               # items skipped because they could not be understood

    @property
    def ok(self) -> bool:
        return self.error is None


def backoff_delay(every: timedelta, failures: int, cap: timedelta, retry_after: float | None) -> timedelta:
    """Exponential backoff after consecutive failures: every × 2^(n-1), at least Retry-After, and
    never more than the cap (or the interval, when that is longer): a Retry-After of 1e10 seconds,
    an HTTP date in the year 9999, inf or nan all wait the cap."""
    limit = max(cap, every)
    delay = every * 2 ** min(max(failures - 1, 0), 32) if failures < 64 else limit
    if retry_after is not None and retry_after > 0:
        wanted = retry_after if math.isfinite(retry_after) else math.inf
        delay = max(delay, limit if wanted >= limit.total_seconds() else timedelta(seconds=wanted))
    return min(delay, limit)


def sane_date(item: Item, now: datetime) -> Item:
    """The item, its date dropped (unknown) when before 1990 or more than two days ahead of now."""
    moment = item.published_at
    if moment is None or moment.tzinfo is None:
        return item if moment is None else replace(item, published_at=None)
    try:
        if EARLIEST <= moment <= now + LATEST_AHEAD:
            return item
    except OverflowError:
        pass
    return replace(item, published_at=None)


def internal_error(exc: BaseException) -> FetchError:
    """An unexpected exception as an error value: its type and the first line of its message."""
    line = next((part for part in str(exc).splitlines() if part.strip()), "")
    return FetchError("internal", f"{type(exc).__name__}: {line[:200]}" if line else type(exc).__name__)


class Pipeline:
    """Runs source passes against shared services and one in-memory dedupe index."""

    def __init__(self, services: Services):
        self.services = services
        self.window = timedelta(days=services.settings.dedupe_window_days)
        self.reload_index()
        # What start-up loaded (the store, the dedupe window) lives as long as the process: move it
        # out of the garbage collector's sight, or each full collection walks it and stalls the
        # loop (~150 ms with 10,000 events).
        gc.freeze()
        self._running: set[str] = set()

    def reload_index(self) -> None:
        """The dedupe index from the events stored within the window (at start, and when this
        process takes over the schedule from another one on a shared database)."""
        with collector_paused():                 # (see collector_paused: decoding the window too)
            events = self.services.store.events.since(self.services.clock() - self.window)
            self.index = EventIndex.load(events, self.window)

    def is_due(self, source: Source, now: datetime) -> bool:
        """Whether the source's next pass is due. The scheduler ticks every `source.every`, a
        little late or early each time; a pass due within the grace (at most half an interval)
        runs now, else a tick that fires a moment early would skip the pass a whole interval."""
        state = self.services.store.sources.get(source.id)
        return state.next_due is None or state.next_due - min(DUE_GRACE, source.every / 2) <= now

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
        except Exception as exc:  # noqa: BLE001 - any failure of one source's pass is that source's
            result = self._crashed(source, now, exc)
        finally:
            self._running.discard(source.id)
        return replace(result, elapsed=time.perf_counter() - started)

    async def _pass(self, source: Source, started: datetime) -> PassResult:
        """The pass; the next one is due an interval after this one *started*, so the schedule
        keeps its interval however long the fetch took."""
        states = self.services.store.sources
        state = states.get(source.id)
        fetched = await self.services.fetcher.fetch(source.url, etag=state.etag, last_modified=state.last_modified)
        now = self.services.clock()
        if fetched.error:
            return self._failed(source, state, fetched.error, started, fetched.retry_after, now)
        if fetched.not_modified:
            state = self._succeeded(state, source, fetched, started, now, state.last_item_count)
            return PassResult(source, not_modified=True, state=state, items=state.last_item_count)
        try:
            items = await parsers.parse_bounded(fetched, source)
        except ParseError as exc:
            return self._failed(source, state, self._parse_error(exc, state), started, None, now)
        baseline = not state.baseline_done
        absorbed = await self.absorb_items(source, items, now, alert=not baseline)
        new, updated, fresh = absorbed
        state = self._succeeded(states.get(source.id), source, fetched, started, now, len(items),
                                had_new=any(e.alert for e in new))
        return PassResult(source, new=tuple(new), updated=tuple(updated), items=len(items), fresh=fresh,
                          baseline=baseline, state=state, item_errors=absorbed.errors)

    async def absorb_items(self, source: Source, items: list[Item], now: datetime, *,
                           alert: bool = True) -> "Absorbed":
        """Understand and store the items not seen before; return new events, updated events and
        the fresh count (and, as `.errors`, how many items failed and were skipped).

        With alert=False (a baseline) the new events are stored with alert=False and no update is
        reported, so nothing reaches subscribers.
        """
        store = self.services.store
        new: list[Event] = []
        updated: dict[str, Event] = {}
        fresh_keys: dict[str, None] = {}      # insertion-ordered set
        failed: list[tuple[Item, BaseException]] = []
        slice_end = time.perf_counter() + SLICE
        for item in items:
            if item.key in fresh_keys or store.seen.has(source.id, item.key):
                continue
            fresh_keys[item.key] = None
            if store.events.has_report(source.id, item.key):
                continue                      # stored by a pass that was interrupted before the end
            try:
                outcome = absorb(sane_date(item, now), source, self.index, now, alert=alert, facts=False)
            except Exception as exc:  # noqa: BLE001 - one item's failure is that item's alone
                failed.append((item, exc))
                continue
            if outcome.event is None:
                pass
            elif outcome.is_new:
                store.events.add(_with_item_key(outcome.event, source.id, item.key))
                new.append(outcome.event)
            else:
                store.events.update(_with_item_key(outcome.event, source.id, item.key))
                if alert and outcome.event.alert:
                    updated[outcome.event.id] = outcome.event
            if time.perf_counter() > slice_end:
                # Let the loop run a turn (it polls I/O too), so the bot keeps answering commands
                # while a burst is processed.
                await asyncio.sleep(0)
                slice_end = time.perf_counter() + SLICE
        await asyncio.sleep(0)
        store.seen.add_many(source.id, fresh_keys, now)
        if failed:
            self._record_item_errors(source, failed, now)
        new_ids = {e.id for e in new}
        # A later item of the same pass may have joined a new event: alert its latest version.
        new = await _latest(store, new)
        return Absorbed(new, await _latest(store, [e for e in updated.values() if e.id not in new_ids]),
                        len(fresh_keys), len(failed))

    def _record_item_errors(self, source: Source, failed: list[tuple[Item, BaseException]], now: datetime) -> None:
        """Each failed item logged once (it is marked seen, so never read again) and counted."""
        for item, exc in failed:
            log.warning("source %s: skipped item %r (%s): %s", source.id, item.key[:120], item.title[:80],
                        internal_error(exc).message)
            log.debug("the skipped item's traceback", exc_info=exc)
        item, exc = failed[-1]
        states = self.services.store.sources
        state = states.get(source.id)
        states.put(replace(state, skipped_items=state.skipped_items + len(failed),
                           last_item_error=f"{item.key[:120]}: {internal_error(exc).message}",
                           last_item_error_at=now))

    def _crashed(self, source: Source, now: datetime, exc: Exception) -> PassResult:
        """Any unexpected exception in a pass: recorded as an `internal` failure, with backoff."""
        error = internal_error(exc)
        try:
            state = self.services.store.sources.get(source.id)
            first = not state.is_failing
            result = self._failed(source, state, error, now, None, self.services.clock())
        except Exception as again:  # noqa: BLE001 - the store itself failed: say so, keep going
            log.error("source %s: %s; and recording it failed too: %s", source.id, error,
                      internal_error(again).message)
            return PassResult(source, error=error)
        log.log(logging.ERROR if first else logging.DEBUG, "source %s: internal error in its pass: %s",
                source.id, error.message, exc_info=exc)
        return result

    def _parse_error(self, exc: ParseError, state: SourceState) -> FetchError:
        if isinstance(exc, EmptyParseError) and state.last_item_count > 0:
            return FetchError("structure_changed", f"used to list {state.last_item_count} items, now none: {exc}")
        return FetchError("empty" if isinstance(exc, EmptyParseError) else "parse", str(exc))

    def _failed(self, source: Source, state: SourceState, error: FetchError, started: datetime,
                retry_after: float | None, now: datetime) -> PassResult:
        failures = state.consecutive_failures + 1
        cap = timedelta(minutes=self.services.settings.backoff_max_minutes)
        delay = backoff_delay(source.every, failures, cap, None)
        due = started + delay
        if retry_after is not None:            # Retry-After counts from the answer, not the start
            due = max(due, now + backoff_delay(source.every, failures, cap, retry_after))
        state = replace(state, last_check=now, last_error=str(error), last_error_at=now,
                        failing_since=state.failing_since or now, consecutive_failures=failures,
                        next_due=due)
        self.services.store.sources.put(state)
        log.debug("source %s failed (%d in a row): %s", source.id, failures, error)
        return PassResult(source, error=error, state=state)

    def _succeeded(self, state: SourceState, source: Source, fetched: FetchResult, started: datetime,
                   now: datetime, item_count: int, had_new: bool = False) -> SourceState:
        if state.is_failing:
            log.info("source %s recovered after %d failures", source.id, state.consecutive_failures)
        state = replace(state, etag=fetched.etag or state.etag,
                        last_modified=fetched.last_modified or state.last_modified,
                        last_check=now, last_success=now, consecutive_failures=0, failing_since=None,
                        next_due=started + source.every, last_item_count=item_count, baseline_done=True,
                        last_new_item=now if had_new else state.last_new_item)
        self.services.store.sources.put(state)
        return state


class Absorbed(tuple):
    """(new events, updated events, fresh count), with `.errors`: items that failed and were skipped."""

    errors: int

    def __new__(cls, new: list[Event], updated: list[Event], fresh: int, errors: int = 0) -> "Absorbed":
        self = super().__new__(cls, (new, updated, fresh))
        self.errors = errors
        return self


async def _latest(store, events: list[Event]) -> list[Event]:
    """Each event as stored now (or as given, if gone), read in slices that let the loop run."""
    latest, slice_end = [], time.perf_counter() + SLICE
    for event in events:
        latest.append(store.events.get(event.id) or event)
        if time.perf_counter() > slice_end:
            await asyncio.sleep(0)
            slice_end = time.perf_counter() + SLICE
    return latest


def _with_item_key(event: Event, source_id: str, item_key: str) -> Event:
    """The event with its newest report (the item just absorbed) naming the item's key."""
    last = event.reports[-1] if event.reports else None
    if last is None or last.source_id != source_id or last.item_key:
        return event
    return replace(event, reports=event.reports[:-1] + (replace(last, item_key=item_key),))
