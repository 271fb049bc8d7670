"""Source passes end to end over a real local HTTP server: baseline, news, backoff, hand-off."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from storage import open_store
from tradewatch.ingest.fetch import Fetcher
from tradewatch.jobs import Notices, Watch
from tradewatch.models import BEIJING, UTC, Item, Source
from tradewatch.pipeline import Pipeline, backoff_delay
from tradewatch.services import Services
from tradewatch.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "pipeline"
JSON = {"Content-Type": "application/json; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 10, 28, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
async def services(http_server):
    clock = Clock()
    fr = Source(id="fr-bis", name="Federal Register: BIS", kind="federal_register",
                url=http_server.url("/fr.json"), authority="official", country="US", every=timedelta(minutes=15),
                allow_private=True)
    news = Source(id="wire", name="Example Wire", kind="rss", url=http_server.url("/news.rss"),
                  authority="news", every=timedelta(minutes=10), allow_private=True)
    settings = Settings(backoff_max_minutes=60)
    fetcher = Fetcher.from_settings(settings, sources=[fr, news])
    svc = Services(settings=settings, store=open_store(None), sources=[fr, news], fetcher=fetcher, clock=clock)
    yield svc
    await fetcher.aclose()


def sources(svc):
    return svc.sources[0], svc.sources[1]


async def test_first_pass_is_a_baseline_and_later_items_are_news(services, http_server):
    fr, _ = sources(services)
    http_server.route("/fr.json", body=fixture("fr-page1.json"), headers=JSON)
    pipeline = Pipeline(services)

    first = await pipeline.run_source(fr, force=True)
    assert first.ok and first.baseline and first.items == 3
    assert first.new and not any(e.alert for e in first.new)
    assert {e.doc_number for e in first.new} >= {"2026-20877", "2026-20590"}
    assert "2026-21001" not in {e.doc_number for e in first.new}   # information collection: not an event

    second = await pipeline.run_source(fr, force=True)
    assert second.ok and not second.baseline and second.new == () and second.fresh == 0

    http_server.route("/fr.json", body=fixture("fr-page2.json"), headers=JSON)
    third = await pipeline.run_source(fr, force=True)
    assert [e.doc_number for e in third.new] == ["2026-21420"]
    assert third.new[0].alert and "export_control" in third.new[0].topics


async def test_failure_backs_off_then_recovers(services, http_server):
    fr, _ = sources(services)
    clock = services.clock
    http_server.route("/fr.json", status=500, body="oops")
    pipeline = Pipeline(services)

    failed = await pipeline.run_source(fr)
    assert failed.error.kind == "http_5xx"
    assert failed.state.consecutive_failures == 1 and failed.state.next_due == clock.now + fr.every
    assert (await pipeline.run_source(fr)).skipped
    clock.advance(minutes=15)
    again = await pipeline.run_source(fr)
    assert again.state.consecutive_failures == 2 and again.state.next_due == clock.now + 2 * fr.every

    http_server.route("/fr.json", body=fixture("fr-page1.json"), headers=JSON)
    clock.advance(minutes=30)
    recovered = await pipeline.run_source(fr)
    assert recovered.ok and recovered.state.consecutive_failures == 0 and recovered.state.failing_since is None
    assert services.store.sources.get("fr-bis").last_error.startswith("http_5xx")   # history kept


def test_backoff_is_capped_and_honours_retry_after():
    every, cap = timedelta(minutes=10), timedelta(minutes=60)
    assert [backoff_delay(every, n, cap, None) for n in (1, 2, 3, 4, 9)] == \
        [timedelta(minutes=m) for m in (10, 20, 40, 60, 60)]
    assert backoff_delay(every, 1, cap, 1800) == timedelta(minutes=30)


@pytest.mark.parametrize("retry_after", [7200, 1e10, 1e12, 2.5e11, float("inf"), float("nan")])
def test_retry_after_never_schedules_past_the_cap(retry_after):
    """Issue 15 #7: Retry-After of 1e10 s scheduled the next poll in 317 years (1e12: OverflowError)."""
    cap = timedelta(minutes=60)
    delay = backoff_delay(timedelta(minutes=10), 1, cap, retry_after)
    assert delay == (cap if retry_after == retry_after else timedelta(minutes=10))
    assert backoff_delay(timedelta(minutes=10), 10**6, cap, None) == cap


async def test_a_huge_retry_after_backs_off_for_the_cap(services, http_server):
    fr, _ = sources(services)
    http_server.route("/fr.json", status=429, headers={"Retry-After": "10000000000"})
    result = await Pipeline(services).run_source(fr)
    assert result.error.kind == "rate_limited"
    assert result.state.next_due == services.clock.now + timedelta(minutes=60)   # BACKOFF_MAX_MINUTES


async def test_rate_limited_source_waits_for_retry_after(services, http_server):
    fr, _ = sources(services)
    http_server.route("/fr.json", status=429, headers={"Retry-After": "3600"})
    result = await Pipeline(services).run_source(fr)
    assert result.error.kind == "rate_limited"
    assert result.state.next_due == services.clock.now + timedelta(hours=1)


async def test_a_source_that_stops_listing_items_reports_structure_changed(services, http_server):
    fr, _ = sources(services)
    pipeline = Pipeline(services)
    http_server.route("/fr.json", body=fixture("fr-page1.json"), headers=JSON)
    await pipeline.run_source(fr, force=True)
    http_server.route("/fr.json", body=fixture("fr-empty.json"), headers=JSON)
    result = await pipeline.run_source(fr, force=True)
    assert result.error.kind == "structure_changed" and "used to list 3 items" in result.error.message


async def test_not_modified_is_unchanged_not_an_error(services, http_server):
    fr, _ = sources(services)
    http_server.route("/fr.json", body=fixture("fr-page1.json"), headers=JSON, etag='"v1"')
    pipeline = Pipeline(services)
    await pipeline.run_source(fr, force=True)
    result = await pipeline.run_source(fr, force=True)
    assert result.ok and result.not_modified and result.new == ()
    assert http_server.headers_of("/fr.json").get("if-none-match") == '"v1"'


async def test_one_broken_source_does_not_stop_another(services, http_server):
    http_server.route("/fr.json", status=404)
    http_server.route("/news.rss", body=fixture("news-1.rss"), headers=RSS)
    results = {r.source.id: r for r in await Pipeline(services).run_all(force=True)}
    assert results["fr-bis"].error.kind == "http_4xx"
    assert results["wire"].ok and results["wire"].items == 1


async def test_watch_hands_off_new_events_once_and_marks_them_notified(services, http_server):
    _, news = sources(services)
    seen: list[tuple[list, list]] = []

    async def notify(new, updated):
        seen.append((new, updated))

    watch = Watch(services, notify, report=lambda text: None)
    http_server.route("/news.rss", body=fixture("news-1.rss"), headers=RSS)
    await watch.run(news, force=True)                      # baseline: nothing handed off
    http_server.route("/news.rss", body=fixture("news-2.rss"), headers=RSS)
    await watch.run(news, force=True)
    await watch.run(news, force=True)
    assert len(seen) == 1
    [event] = seen[0][0]
    assert "export_control" in event.topics and event.url == "https://news.example.org/entity-list-nine"
    assert services.store.events.get(event.id).notified


async def test_events_stored_but_not_handed_off_are_resumed(services, http_server):
    _, news = sources(services)
    handed: list = []

    async def notify(new, updated):
        handed.extend(new)

    async def crash(new, updated):
        raise RuntimeError("process died before hand-off")

    http_server.route("/news.rss", body=fixture("news-1.rss"), headers=RSS)
    await Watch(services, crash).run(news, force=True)
    http_server.route("/news.rss", body=fixture("news-2.rss"), headers=RSS)
    with pytest.raises(RuntimeError):
        await Watch(services, crash).run(news, force=True)
    assert await Watch(services, notify).resume_unnotified() == 1
    assert [e.title for e in handed] == ["US adds nine Chinese firms to export blacklist"]
    assert await Watch(services, notify).resume_unnotified() == 0


async def test_failure_is_reported_once_while_it_lasts(services, http_server):
    fr, _ = sources(services)
    reports: list[str] = []

    async def notify(new, updated):
        pass

    watch = Watch(services, notify, report=reports.append)
    http_server.route("/fr.json", status=503)
    for _ in range(3):
        await watch.run(fr, force=True)
    assert len(reports) == 1 and "fr-bis" in reports[0] and "http_5xx" in reports[0]
    http_server.route("/fr.json", body=fixture("fr-page1.json"), headers=JSON)
    for _ in range(2):
        await watch.run(fr, force=True)
    assert len(reports) == 2 and "fr-bis" in reports[1] and "works again after 3 failed tries" in reports[1]


async def test_notices_reach_the_admins_batched():
    told: list[str] = []

    async def tell(text):
        told.append(text)

    notices = Notices(tell)
    await notices.flush()
    assert told == []
    notices.add("source a failed: timeout")
    notices.add("source b works again")
    await notices.flush()
    await notices.flush()
    assert told == ["TradeWatch sources:\n• source a failed: timeout\n• source b works again"]


E2E = Path(__file__).parent / "fixtures" / "e2e"


async def test_an_alerted_event_stays_notified_when_a_later_report_joins_it(services, http_server):
    """Issue 9 #1: the dedupe index held the copy from before hand-off, so the join stored the
    event again without its notified mark and a restart handed it off (alerted it) again."""
    wire_a = Source(id="wire-a", name="Harbourside Trade Wire", kind="rss", url=http_server.url("/a.rss"))
    wire_b = Source(id="wire-b", name="Meridian Markets Daily", kind="rss", url=http_server.url("/b.rss"))
    services.sources = [wire_a, wire_b]
    handed: list[tuple[list, list]] = []

    async def notify(new, updated):
        handed.append(([e.title for e in new], [e.title for e in updated]))

    watch = Watch(services, notify, report=lambda text: None)
    for path, name in (("/a.rss", "wire-a-1.rss"), ("/b.rss", "wire-b-1.rss")):
        http_server.route(path, body=(E2E / name).read_bytes(), headers=RSS)
    await watch.run(wire_a, force=True)
    await watch.run(wire_b, force=True)                     # baselines
    http_server.route("/a.rss", body=(E2E / "wire-a-2.rss").read_bytes(), headers=RSS)
    [alert] = (await watch.run(wire_a, force=True)).new
    http_server.route("/b.rss", body=(E2E / "wire-b-2.rss").read_bytes(), headers=RSS)
    [joined] = (await watch.run(wire_b, force=True)).updated
    assert joined.id == alert.id and len(services.store.events.get(alert.id).reports) == 2
    assert services.store.events.get(alert.id).notified
    assert await Watch(services, notify).resume_unnotified() == 0     # what a restart does
    assert [new for new, _ in handed] == [[alert.title], []]


def story(n: int, title: str, published: datetime | None, lang: str = "en") -> Item:
    return Item(source_id="wire", key=f"https://news.example.org/{n}", title=title,
                url=f"https://news.example.org/{n}", published_at=published, lang=lang)


@pytest.mark.parametrize("lang, published", [
    ("zh", datetime(9999, 12, 31, 23, 30, tzinfo=UTC)),
    ("en", datetime(1, 1, 1, 0, 0, tzinfo=BEIJING)),
    ("en", datetime(1985, 5, 1, tzinfo=UTC)),
    ("en", datetime(2026, 11, 30, tzinfo=UTC)),            # a month ahead of the clock
])
async def test_an_item_dated_out_of_range_is_taken_as_undated(services, lang, published):
    """Issue 9 #13: year 9999 (or 0001) raised OverflowError in understanding on every pass."""
    _, news = sources(services)
    items = [story(1, "美国对中国钢铁加征50%关税" if lang == "zh" else "US imposes 50% tariff on Chinese steel", published, lang),
             story(2, "Canada raises surtax on Chinese electric vehicles to 100%", services.clock.now)]
    new, _, fresh = await Pipeline(services).absorb_items(news, items, services.clock.now)
    assert fresh == 2 and len(new) == 2
    assert new[0].published_at is None and new[1].published_at == services.clock.now


async def test_one_item_that_fails_is_skipped_logged_once_and_counted(services, monkeypatch, caplog):
    """Issue 9 #13 / 15 #1: one item's exception must not end the pass or repeat every pass."""
    import tradewatch.pipeline as pipeline_module
    _, news = sources(services)
    real = pipeline_module.absorb

    def fragile(item, *args, **kwargs):
        if "poison" in item.title:
            raise OverflowError("date value out of range")
        return real(item, *args, **kwargs)

    monkeypatch.setattr(pipeline_module, "absorb", fragile)
    pipeline, now = Pipeline(services), services.clock.now
    items = [story(1, "US imposes 50% tariff on poison steel", now),
             story(2, "Canada raises surtax on Chinese electric vehicles to 100%", now)]
    for _ in range(3):
        new, _, fresh = await pipeline.absorb_items(news, items, now)
    state = services.store.sources.get(news.id)
    assert state.skipped_items == 1 and "OverflowError: date value out of range" in state.last_item_error
    assert [r.getMessage() for r in caplog.records if "skipped item" in r.getMessage()] != []
    assert len([r for r in caplog.records if "skipped item" in r.getMessage()]) == 1
    [event] = services.store.events.all()
    assert event.title.startswith("Canada") and len(event.reports) == 1
    assert services.store.seen.has(news.id, items[0].key)       # never read again


async def test_any_exception_in_a_pass_is_an_internal_failure_with_backoff_and_a_report(services, http_server,
                                                                                       monkeypatch):
    """Issue 15 #1: only ParseError was caught; anything else ended the poll silently."""
    import tradewatch.ingest.parsers as parsers_module
    fr, _ = sources(services)
    http_server.route("/fr.json", body=fixture("fr-page1.json"), headers=JSON)

    def broken(result, source):
        raise RecursionError("maximum recursion depth exceeded\nwhile decoding")

    monkeypatch.setattr(parsers_module, "parse", broken)
    reports: list[str] = []

    async def notify(new, updated):
        pass

    watch = Watch(services, notify, report=reports.append)
    result = await watch.run(fr, force=True)
    assert result.error.kind == "internal"
    assert result.error.message == "RecursionError: maximum recursion depth exceeded"
    state = services.store.sources.get(fr.id)
    assert state.is_failing and state.last_error == "internal: RecursionError: maximum recursion depth exceeded"
    assert state.next_due == services.clock.now + fr.every
    again = await watch.run(fr, force=True)
    assert again.state.next_due == services.clock.now + 2 * fr.every             # backs off
    assert len(reports) == 1 and "fr-bis" in reports[0] and "internal: RecursionError" in reports[0]


async def test_the_next_pass_is_due_an_interval_after_the_last_one_started(services, http_server):
    """Issue 9 #3: a slow fetch (or a tick a moment early) made the next tick skip the pass."""
    _, news = sources(services)
    http_server.route("/news.rss", body=fixture("news-1.rss"), headers=RSS)
    pipeline, clock = Pipeline(services), services.clock
    started = clock.now

    real = services.fetcher

    class SlowFetcher:                     # the fetch takes 40 s of the clock
        async def fetch(self, url, **kwargs):
            result = await real.fetch(url, **kwargs)
            clock.advance(seconds=40)
            return result

    services.fetcher = SlowFetcher()
    try:
        result = await pipeline.run_source(news)
    finally:
        services.fetcher = real
    assert result.ok and result.state.next_due == started + news.every
    assert result.state.last_check == started + timedelta(seconds=40)
    clock.now = started + news.every - timedelta(seconds=1)      # the next tick, a second early
    assert pipeline.is_due(news, clock.now)
    clock.now = started + news.every / 2
    assert not pipeline.is_due(news, clock.now)
