"""Timed work: each enabled source polled at its interval, hand-offs to delivery, housekeeping.

`Watch` runs one source pass and hands its events to a notifier (Telegram delivery or the
console), reporting a source's failure once when it starts failing and once when it recovers.
`schedule_all` puts the passes on PTB's JobQueue (APScheduler on the asyncio loop): one repeating
job per source, never two runs of one source at once, plus housekeeping and a heartbeat line in
the log every TW_HEARTBEAT_MINUTES (sources ok and failing, deliveries pending). Console mode
schedules the same `Watch` on a bare APScheduler (see console.py).

Several processes may share one PostgreSQL database: every one schedules the same jobs, but only
the leader (`store.try_lead()`, asked every LEADER_EVERY) runs source passes, housekeeping and the
start-up hand-off; the embedded store always leads. A process that becomes leader reloads the
dedupe index, hands off what the old leader stored but did not notify, and runs every due source
at once, so the schedule goes on within LEADER_EVERY of the old leader's death.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Awaitable, Callable
from urllib.parse import urlsplit

from tradewatch.deliver import metrics
from tradewatch.models import Event, Source
from tradewatch.pipeline import PassResult, Pipeline
from tradewatch.services import Services

log = logging.getLogger(__name__)
Notify = Callable[[list[Event], list[Event]], Awaitable[None]]
Report = Callable[[str], None]
HOUSEKEEPING_EVERY = timedelta(hours=6)
NOTICE_EVERY = timedelta(minutes=1)
LEADER_EVERY = timedelta(seconds=10)       # how often a process asks for (or keeps) the lead
RETRY_TICK = timedelta(seconds=5)          # the retry job looks this often; rounds follow deliver/retry.py


class Watch:
    """Source passes plus hand-off: the one place that turns pass results into notifications."""

    def __init__(self, services: Services, notify: Notify, report: Report | None = None):
        self.services = services
        self.notify = notify
        self.report = report or (lambda text: log.warning("%s", text))
        self.pipeline = Pipeline(services)
        self.leading = False

    def check_lead(self) -> bool:
        """Ask the store whether this process leads; True when it has just become the leader."""
        was, self.leading = self.leading, bool(self.services.store.try_lead())
        if self.leading and not was:
            log.info("leader: this process runs the source schedule")
        elif was and not self.leading:
            log.warning("leader: this process lost the lead (another one runs the source schedule now)")
        return self.leading and not was

    async def take_over(self, sources: list[Source]) -> None:
        """Become the one running the schedule: fresh dedupe index, unfinished hand-offs, due sources."""
        self.pipeline.reload_index()
        await self.resume_unnotified()
        for source in sources:
            if self.leading:
                await self.run(source)

    async def run(self, source: Source, *, force: bool = False) -> PassResult:
        failures_before = self.services.store.sources.get(source.id).consecutive_failures
        result = await self.pipeline.run_source(source, force=force)
        if result.skipped:
            return result
        metrics.of(self.services).count_pass(result)
        self._report_health(result, failures_before)
        alerts = [e for e in result.new if e.alert]
        if alerts or result.updated:
            await self.hand_off(alerts, list(result.updated))
        return result

    async def hand_off(self, new: list[Event], updated: list[Event]) -> None:
        """Give events to the notifier, then mark them notified (the outbox owns them from here)."""
        await self.notify(new, updated)
        events = self.services.store.events
        for event in new:
            marked = replace(events.get(event.id) or event, notified=True)
            events.update(marked)
            # The dedupe index holds the copy from before hand-off: a later report joins that one.
            if max(marked.first_seen_at, marked.when) >= self.services.clock() - self.pipeline.window:
                self.pipeline.index.update(marked)

    async def resume_unnotified(self) -> int:
        """After a crash between storing events and handing them off, hand them off now, however
        old; except those first seen longer ago than TW_EDIT_HOURS, which are no longer news: they
        are skipped (logged, and marked notified so they are not considered again)."""
        now, events = self.services.clock(), self.services.store.events
        stale = now - timedelta(hours=self.services.settings.tw_edit_hours)
        # The durable store lists them without reading every event (50,000 events: 2 s, 130 MB).
        listed = events.unnotified() if hasattr(events, "unnotified") else events.all()
        unnotified = sorted((e for e in listed if e.alert and not e.notified), key=lambda e: e.first_seen_at)
        old = [e for e in unnotified if e.first_seen_at < stale]
        pending = [e for e in unnotified if e.first_seen_at >= stale]
        for event in old:
            log.warning("event %s (%s), first seen %s, was never handed off: older than TW_EDIT_HOURS, "
                        "skipped (not alerted)", event.id, event.title[:80], _hhmm(event.first_seen_at))
            events.update(replace(event, notified=True))
        if pending:
            log.info("handing off %d events stored but not yet notified", len(pending))
            await self.hand_off(pending, [])
        return len(pending)

    def _report_health(self, result: PassResult, failures_before: int) -> None:
        """Report a source once when it starts failing and once when it recovers."""
        state, source = result.state, result.source
        if result.error and state and state.consecutive_failures == 1:
            self.report(f"source {source.id} ({source.name}, {urlsplit(source.url).netloc}) failed: {result.error}; "
                        f"retrying at {_hhmm(state.next_due)}, with backoff while it keeps failing")
        elif result.ok and failures_before:
            self.report(f"source {source.id} ({source.name}) works again after {failures_before} failed tries")
        if result.ok and not result.not_modified and result.baseline:
            log.info("source %s: baseline of %d items stored, not alerted", source.id, result.items)

    def heartbeat(self) -> str:
        """Log (and return) one line on the service's health."""
        line = heartbeat_line(self.services)
        log.info("%s", line)
        return line

    def housekeeping(self) -> dict[str, int]:
        settings = self.services.settings
        pruned = self.services.store.prune(self.services.clock(), settings.retention_days)
        self.pipeline.index.evict(self.services.clock() - self.pipeline.window)
        self.services.store.flush()
        if any(pruned.values()):
            log.info("retention: pruned %s", pruned)
        return pruned


def heartbeat_line(services: Services) -> str:
    """'heartbeat: 11 sources ok, 1 failing (fr-bis), 3 deliveries pending, 412 events stored'."""
    states = services.store.sources.all()
    enabled = [s for s in services.sources if s.enabled]
    failing = [s.id for s in enabled if s.id in states and states[s.id].is_failing]
    pending = services.store.deliveries.stats().get("pending", 0)
    named = f" ({', '.join(failing[:5])}{', …' if len(failing) > 5 else ''})" if failing else ""
    ok, events = len(enabled) - len(failing), services.store.events.count()
    return (f"heartbeat: {ok} source{'s' * (ok != 1)} ok, {len(failing)} failing{named}, "
            f"{pending} deliver{'ies' if pending != 1 else 'y'} pending, {events} event{'s' * (events != 1)} stored")


def heartbeat_every(services: Services) -> timedelta:
    return timedelta(minutes=services.settings.tw_heartbeat_minutes)


def _hhmm(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "the next interval"


class Notices:
    """Source health reports for the operators, gathered and sent as one message a minute."""

    def __init__(self, tell: Callable[[str], Awaitable[object]]):
        self.tell = tell
        self.lines: list[str] = []

    def add(self, text: str) -> None:
        log.warning("%s", text)
        self.lines.append(text)

    async def flush(self) -> None:
        if self.lines:
            lines, self.lines = self.lines, []
            await self.tell("TradeWatch sources:\n" + "\n".join(f"• {line}" for line in lines))


def schedule_all(job_queue, services: Services, notify: Notify,
                 tell_admins: Callable[[str], Awaitable[object]] | None = None,
                 retry: Callable[[], Awaitable[object]] | None = None) -> Watch:
    """One repeating JobQueue job per enabled source, plus housekeeping and a start-up resume.
    With `tell_admins`, source failures and recoveries also reach the admins, batched each minute.
    With `retry` (the outbox's retry tick), pending deliveries are retried without new news."""
    notices = Notices(tell_admins) if tell_admins else None
    watch = Watch(services, notify, notices.add if notices else None)
    if notices:
        async def tell(_context) -> None:
            await notices.flush()

        job_queue.run_repeating(tell, interval=NOTICE_EVERY, first=NOTICE_EVERY, name="admin-notices")
    enabled = [source for source in services.sources if source.enabled]
    first_lead = watch.check_lead()
    for source in enabled:
        async def poll(_context, source: Source = source) -> None:
            if watch.leading:
                await watch.run(source)

        job_queue.run_repeating(poll, interval=source.every, first=1, name=f"source:{source.id}",
                                job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": 60})

    async def tidy(_context) -> None:
        if watch.leading:
            watch.housekeeping()

    async def beat(_context) -> None:
        watch.heartbeat()

    async def resume(_context) -> None:
        if watch.leading:
            await watch.resume_unnotified()

    async def lead(_context) -> None:
        if watch.check_lead():
            await watch.take_over(enabled)

    job_queue.run_repeating(tidy, interval=HOUSEKEEPING_EVERY, first=HOUSEKEEPING_EVERY, name="housekeeping")
    every = heartbeat_every(services)
    job_queue.run_repeating(beat, interval=every, first=every, name="heartbeat")
    job_queue.run_once(resume, when=0, name="resume-unnotified")
    job_queue.run_repeating(lead, interval=LEADER_EVERY, first=LEADER_EVERY, name="leader",
                            job_kwargs={"max_instances": 1, "coalesce": True})
    if not first_lead:
        log.info("leader: another process runs the source schedule; this one serves commands and deliveries")
    if retry:
        async def retry_pending(_context) -> None:
            await retry()

        job_queue.run_repeating(retry_pending, interval=RETRY_TICK, first=RETRY_TICK, name="retry-deliveries",
                                job_kwargs={"max_instances": 2, "coalesce": True})   # a round can outlast a tick
    return watch
