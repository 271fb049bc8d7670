"""Console mode and the operator's commands: `run` without a token, `once`, `sources`, `export`.

Console mode runs the same schedule and pipeline as the Telegram bot, on a bare APScheduler on
the asyncio loop, and prints each new event (and each report that joins one) to stdout. A source
that starts failing is reported once on stderr with its reason; Ctrl-C stops cleanly.
"""
from __future__ import annotations

import asyncio
import json
import signal
import sys
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from tradewatch.jobs import HOUSEKEEPING_EVERY, Watch, heartbeat_every
from tradewatch.models import UTC, Event
from tradewatch.pipeline import PassResult
from tradewatch.services import Services

EVENT_FIELDS = ("id", "title", "url", "source_id", "source_name", "authority", "lang", "topics",
                "countries", "rates", "products", "doc_number", "published_at", "first_seen_at",
                "summary", "reports")


def event_json(event: Event) -> dict[str, Any]:
    """The Event contract of DESIGN.md as a JSON-ready dict (aware datetimes as ISO 8601)."""
    data = {name: getattr(event, name) for name in EVENT_FIELDS}
    data["reports"] = [asdict(r) for r in event.reports]
    data.update(actors=event.actors, targets=event.targets, effective_on=event.effective_on,
                comments_close_on=event.comments_close_on)
    return _jsonable(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def event_line(event: Event, *, update: bool = False) -> str:
    """One readable line (two with the link) for the terminal."""
    label = "Official" if event.authority == "official" else "News"
    tags = " ".join(f"#{t}" for t in event.topics)
    when = (event.published_at or event.first_seen_at).strftime("%Y-%m-%d %H:%M %Z").strip()
    facts = ", ".join(filter(None, ["/".join(event.countries), ", ".join(event.rates), event.doc_number or ""]))
    head = "UPDATE " if update else ""
    latest = event.reports[-1].source_name if update and event.reports else event.source_name
    line = f"{head}[{when}] {tags} [{label}] {latest}: {event.title}"
    return f"{line}{f' ({facts})' if facts else ''}\n    {event.url}"


class ConsoleNotifier:
    """Prints alerts instead of sending them."""

    def __init__(self, out: TextIO = sys.stdout, as_json: bool = False):
        self.out, self.as_json = out, as_json

    async def notify(self, new: list[Event], updated: list[Event]) -> None:
        for event in new:
            self._print(event)
        if not self.as_json:
            for event in updated:
                print(event_line(event, update=True) + f"\n    now {len(event.reports)} reports",
                      file=self.out, flush=True)

    def print_baseline(self, events: list[Event]) -> None:
        for event in events:
            self._print(event, baseline=True)

    def _print(self, event: Event, baseline: bool = False) -> None:
        if self.as_json:
            text = json.dumps(event_json(event) | {"baseline": baseline}, ensure_ascii=False)
        else:
            text = ("(baseline, not alerted) " if baseline else "") + event_line(event)
        print(text, file=self.out, flush=True)


def _stderr(text: str) -> None:
    print(f"TradeWatch: {text}", file=sys.stderr, flush=True)


async def run_once(services: Services, *, as_json: bool = False) -> int:
    """One pass over every enabled source, ignoring schedule and backoff. Exit 0 if the pass ran."""
    notifier = ConsoleNotifier(as_json=as_json)
    watch = Watch(services, notifier.notify, report=lambda _text: None)
    try:
        sources = [s for s in services.sources if s.enabled]
        results = await asyncio.gather(*(watch.run(s, force=True) for s in sources))
        # A first pass is a baseline: nothing is alerted, but the operator sees what was found.
        notifier.print_baseline([e for r in results if r.baseline for e in r.new])
        print(summary(results), file=sys.stderr)
    finally:
        services.store.flush()
        await services.aclose()
    return 0


def counted(n: int, noun: str) -> str:
    """'1 source', '2 sources'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summary(results: list[PassResult]) -> str:
    failed = [r for r in results if r.error]
    lines = [f"{r.source.id}: {r.error}" for r in failed]
    new = sum(1 for r in results for e in r.new if e.alert)
    baseline = [r.source.id for r in results if r.baseline and r.ok]
    lines.append(f"pass done: {counted(len(results), 'source')}, {len(results) - len(failed)} ok, "
                 f"{len(failed)} failed, {counted(new, 'new event')}"
                 + (f"; baseline stored for {counted(len(baseline), 'new source')}" if baseline else ""))
    return "\n".join(lines)


async def run_forever(services: Services) -> int:
    """Console mode: the schedule runs until a signal; 130 after SIGINT (Ctrl-C), 0 after SIGTERM,
    as in Telegram mode."""
    stop, stopped_by = asyncio.Event(), []
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        stopped_by.append(signum)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    watch = Watch(services, ConsoleNotifier().notify, report=_stderr)
    scheduler = schedule(watch, services)
    enabled = [s for s in services.sources if s.enabled]
    _stderr(f"console mode (no TELEGRAM_BOT_TOKEN): watching {counted(len(enabled), 'source')}, "
            f"alerts are printed here. Ctrl-C stops.")
    scheduler.start()
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        services.store.flush()
        await services.aclose()
        _stderr("stopped.")
    return 130 if signal.SIGINT in stopped_by else 0


def schedule(watch: Watch, services: Services) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC)
    now = services.clock()
    for source in services.sources:
        if source.enabled:
            scheduler.add_job(watch.run, "interval", args=[source], seconds=source.every.total_seconds(),
                              next_run_time=now, id=f"source:{source.id}", max_instances=1, coalesce=True,
                              misfire_grace_time=60)
    scheduler.add_job(watch.housekeeping, "interval", seconds=HOUSEKEEPING_EVERY.total_seconds(),
                      next_run_time=now + HOUSEKEEPING_EVERY, id="housekeeping")
    beat = heartbeat_every(services)
    scheduler.add_job(watch.heartbeat, "interval", seconds=beat.total_seconds(), next_run_time=now + beat,
                      id="heartbeat")
    scheduler.add_job(watch.resume_unnotified, next_run_time=now, id="resume-unnotified")
    return scheduler


async def list_sources(services: Services, *, check: bool = False) -> int:
    """Print the catalog with each source's state; with check, fetch each enabled source once."""
    states = services.store.sources.all()
    results = {}
    if check:
        results = {r.source.id: r for r in await asyncio.gather(*(
            _check(services, s) for s in services.sources if s.enabled))}
    for source in services.sources:
        print(source_row(source, states.get(source.id), results.get(source.id)))
    await services.aclose()
    return 0


async def _check(services: Services, source) -> PassResult:
    from tradewatch.ingest import parsers
    from tradewatch.errors import ParseError
    from tradewatch.models import FetchError
    from tradewatch.pipeline import internal_error

    fetched = await services.fetcher.fetch(source.url)
    if fetched.error:
        return PassResult(source, error=fetched.error)
    try:
        return PassResult(source, items=len(parsers.parse(fetched, source)), elapsed=fetched.elapsed)
    except ParseError as exc:
        return PassResult(source, error=FetchError("parse", str(exc)), elapsed=fetched.elapsed)
    except Exception as exc:  # noqa: BLE001 - a check reports whatever went wrong, as a value
        return PassResult(source, error=internal_error(exc), elapsed=fetched.elapsed)


def source_row(source, state, check: PassResult | None) -> str:
    flag = "on " if source.enabled else "off"
    row = f"{flag} {source.id:24} {source.kind:16} {source.authority:8} {source.country:3} every {_every(source.every):>4}  {source.name}"
    if state and state.is_failing:
        row += f"\n      failing since {state.failing_since:%Y-%m-%d %H:%M} UTC: {state.last_error}"
    elif state and state.last_success:
        row += f"\n      ok, last check {state.last_check:%Y-%m-%d %H:%M} UTC, {state.last_item_count} items"
    if state and state.skipped_items:
        row += (f"\n      {state.skipped_items} items skipped (could not be read); the latest, "
                f"{state.last_item_error_at:%Y-%m-%d %H:%M} UTC: {state.last_item_error}")
    if check is not None:
        row += (f"\n      check: FAILED {check.error}" if check.error
                else f"\n      check: ok, {check.items} items in {check.elapsed:.1f}s")
    return row


def _every(every: timedelta) -> str:
    seconds = int(every.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"



def export(services: Services, what: str, since: str | None, fmt: str, out: TextIO, err: TextIO) -> int:
    """`bot.py export`: the record of events or deliveries on `out`; 2 for a bad --since."""
    from tradewatch.deliver import records

    try:
        start = records.parse_since(since)
    except ValueError as exc:
        print(f"TradeWatch: {exc}", file=err)
        return 2
    count = records.write(records.rows(services.store, what, start), records.COLUMNS[what], fmt, out)
    out.flush()
    print(f"TradeWatch: {counted(count, 'record')} exported", file=err)
    return 0
