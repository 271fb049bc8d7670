"""Source passes end to end over a real local HTTP server: baseline, news, backoff, hand-off."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from storage import open_store
from tradewatch.ingest.fetch import Fetcher
from tradewatch.jobs import Notices, Watch
from tradewatch.models import UTC, Source
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
    assert backoff_delay(every, 1, cap, 7200) == timedelta(hours=2)


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
