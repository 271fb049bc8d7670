"""Reminders, dates on events and the record, unit by unit: pure planning with a fixed clock, the
outbox records they leave (in memory), date changes from later reports, exports and old records."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from storage import open_store
from tradewatch.deliver import records
from tradewatch.deliver.chart import tally
from tradewatch.deliver.reminders import Reminders, dated, due_moment, plan, reminder_markup
from tradewatch.deliver.render import MAX_TEXT, render_alert, render_reminder, visible_len
from tradewatch.models import UTC, Delivery, Event, Report, Subscriber, parse_reminder_id, reminder_id
from tradewatch.understand.absorb import join

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def event(n: int = 1, effective: str | None = "2026-12-03", comments: str | None = "2026-12-06", **more) -> Event:
    return Event(id=f"ev{n}", title=f"Rule {n}", url=f"https://example.gov/{n}", source_id="fr", source_name="FR",
                 authority="official", lang="en", topics=("export_control",), countries=("US", "CN"),
                 first_seen_at=NOW, effective_on=effective, comments_close_on=comments,
                 reports=(Report("fr", "FR", f"Rule {n}", f"https://example.gov/{n}", NOW, "official"),), **more)


def chat(chat_id: int = 7, days: int | None = 2, zone: str = "UTC", **more) -> Subscriber:
    return Subscriber(chat_id, timezone=zone, remind_days=days, **more)


def due_now(events, subscribers, now=NOW):
    due, _ = plan(dated(events), subscribers, now)
    assert all(d.at <= now for d in due)
    return sorted((d.chat_id, d.kind, d.on.isoformat()) for d in due)


# ---- when a reminder is due ---------------------------------------------------------------------
def test_due_at_nine_chat_local_days_before():
    assert due_moment(date(2026, 12, 6), 2, UTC) == datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    tokyo = chat(zone="Asia/Tokyo").zone
    assert due_moment(date(2026, 12, 6), 2, tokyo) == datetime(2026, 12, 4, 0, 0, tzinfo=UTC)
    assert due_moment(date(2026, 12, 6), 0, chat(zone="America/New_York").zone) == \
        datetime(2026, 12, 6, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../../etc/passwd", "UTC+25"])
def test_a_bad_time_zone_name_falls_back_to_utc(name):
    assert chat(zone=name).zone is UTC


def test_a_moment_already_passed_is_due_at_once_and_a_later_one_waits():
    assert due_now([event()], [chat(days=2)]) == [(7, "effective_on", "2026-12-03")]
    assert plan(dated([event()]), [chat(days=2)], NOW)[1] == datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    at_nine = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    assert due_now([event()], [chat(days=2)], at_nine - timedelta(seconds=1)) == []   # the 3rd is past by then
    assert due_now([event()], [chat(days=2)], at_nine) == [(7, "comments_close_on", "2026-12-06")]


def test_past_dates_never_remind_but_the_day_itself_does():
    assert due_now([event(effective="2026-12-01", comments="2026-11-01")], [chat(days=5)]) == []
    assert due_now([event(effective="2026-12-02", comments=None)], [chat(days=0)]) == [(7, "effective_on", "2026-12-02")]
    # in Honolulu (UTC-10) it is still 1 December at 10:00 UTC on the 2nd: the 1st is not past there
    assert due_now([event(effective="2026-12-01", comments=None)], [chat(days=0, zone="Pacific/Honolulu")]) == []
    honolulu_evening = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert due_now([event(effective="2026-12-01", comments=None)], [chat(days=0, zone="Pacific/Honolulu")],
                   honolulu_evening) == [(7, "effective_on", "2026-12-01")]


def test_only_chats_with_reminders_and_events_their_rules_let_through():
    subscribers = [chat(1, days=None), chat(2, days=3, topics=("tariff",)), chat(3, days=3, countries=("JP",)),
                   chat(4, days=3, active=False), chat(5, days=3, muted_until=NOW + timedelta(hours=1)), chat(6, days=3)]
    assert {c for c, _, _ in due_now([event()], subscribers)} == {6}


def test_a_chats_alert_rules_decide_its_reminders_and_upcoming_dates():
    from handlers.calendar import upcoming_dates
    from tradewatch.deliver.rules import Rules
    events = [replace(event(1), title="Additions to the Entity List"),
              replace(event(2), title="Revisions to license exceptions")]
    keyword_chat, open_chat = chat(1, days=3, keywords=("entity list",)), chat(2, days=3)
    book, subscribers = Rules(), [keyword_chat, open_chat]
    due, _ = plan(dated(events), subscribers, NOW, book.filter(subscribers))
    assert {(d.chat_id, d.event.id) for d in due} == {(1, "ev1"), (2, "ev1"), (2, "ev2")}
    assert {e.id for _, _, e in upcoming_dates(events, keyword_chat, NOW, 30, book)} == {"ev1"}
    assert {e.id for _, _, e in upcoming_dates(events, keyword_chat, NOW, 30)} == {"ev1", "ev2"}   # topics only


def test_a_bad_date_is_ignored():
    assert event(effective="2026-02-30", comments="soon").dates() == ()


# ---- through the outbox ----------------------------------------------------------------------------
class Deliverer:
    """Records what it is asked to send; marks it sent like the real outbox."""

    def __init__(self, store):
        self.store, self.sent, self.notified = store, [], []

    async def notify(self, new, updated):
        self.notified.append((new, updated))

    async def send_now(self, deliveries):
        for d in deliveries:
            self.sent.append((d.event_id, d.chat_id, d.kind))
            self.store.deliveries.mark_sent(d.event_id, d.chat_id, 1, NOW)


@pytest.fixture
def calendar():
    store = open_store(None)
    clock = [NOW]
    services = type("S", (), {"store": store, "clock": staticmethod(lambda: clock[0])})()
    deliverer = Deliverer(store)
    yield Reminders(services, deliverer), store, deliverer, clock
    store.close()


async def test_a_reminder_is_queued_once_and_a_moved_date_is_scheduled_again(calendar):
    reminders, store, deliverer, clock = calendar
    store.subscribers.put(chat(days=2))
    store.events.add(event())
    assert await reminders.check() == 1
    reminders.changed()
    assert await reminders.check() == 0                               # once, however often it looks
    assert deliverer.sent == [(reminder_id("ev1", "effective_on", "2026-12-03"), 7, "reminder")]
    moved = replace(store.events.get("ev1"), effective_on="2026-12-04")
    store.events.update(moved)
    await reminders.notify([], [moved])                               # the alert's edit, then reminders
    assert deliverer.notified == [([], [moved])]
    assert deliverer.sent[-1] == (reminder_id("ev1", "effective_on", "2026-12-04"), 7, "reminder")
    record = store.deliveries.get(reminder_id("ev1", "effective_on", "2026-12-04"), 7)
    assert record.kind == "reminder" and record.subject_id == "ev1"


async def test_the_job_does_nothing_until_the_next_due_moment(calendar):
    reminders, store, deliverer, clock = calendar
    store.subscribers.put(chat(days=2))
    store.events.add(event(effective=None))
    assert await reminders.check() == 0
    store.events.add(event(2))                # stored without notify (a baseline): found when the store is read again
    clock[0] = NOW + timedelta(minutes=30)
    assert await reminders.check() == 0
    clock[0] = NOW + timedelta(hours=1)       # the hourly look, over the events in memory
    assert await reminders.check() == 0
    clock[0] = NOW + timedelta(hours=6)       # the store read again
    assert await reminders.check() == 1
    clock[0] = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    assert await reminders.check() == 2       # both events' comment deadlines
    assert sorted(e for e, _, _ in deliverer.sent) == sorted([reminder_id("ev2", "effective_on", "2026-12-03"),
        reminder_id("ev1", "comments_close_on", "2026-12-06"), reminder_id("ev2", "comments_close_on", "2026-12-06")])


def test_a_queued_reminder_whose_date_moved_or_passed_is_not_sent():
    outbox_id = reminder_id("ev1", "effective_on", "2026-12-03")
    assert "moved from 2026-12-03 to 2026-12-05" in reminder_markup(event(effective="2026-12-05"), outbox_id, NOW)
    assert "past" in reminder_markup(event(), outbox_id, datetime(2026, 12, 5, 0, 0, tzinfo=UTC))
    sent, markup = reminder_markup(event(), outbox_id, NOW)
    assert "takes effect tomorrow, Thursday 3 December 2026" in markup and "Rule 1" in markup
    sydney_nine = datetime(2026, 12, 3, 22, 0, tzinfo=UTC)          # 09:00 on 4 December in Sydney
    _, markup = reminder_markup(event(), reminder_id("ev1", "comments_close_on", "2026-12-06"), sydney_nine,
                                chat(zone="Australia/Sydney").zone)
    assert "comments close in 2 days, Sunday 6 December 2026" in markup
    assert parse_reminder_id(outbox_id) == ("ev1", "effective_on", "2026-12-03")
    assert parse_reminder_id("ev1") is None and parse_reminder_id("ev1#nonsense@x") is None


def test_a_reminder_always_fits_a_message():
    huge = replace(event(), title="<&>" * 3000, source_name="S" * 500, doc_number="9" * 5000)
    markup = render_reminder(huge, "comments_close_on", date(2026, 12, 6), 4)
    assert visible_len(markup) <= MAX_TEXT and "&lt;" in markup


# ---- dates from later reports ----------------------------------------------------------------------
def test_a_later_report_with_another_date_moves_it_and_the_edit_says_so():
    first = event(effective="2026-12-03", comments=None)
    later = replace(event(2, effective="2026-12-10", comments="2027-01-05"), source_name="Harbour Wire",
                    reports=(Report("wire", "Harbour Wire", "Rule 1 delayed", "https://wire.example/1", NOW),))
    joined = join(first, later, NOW + timedelta(hours=1))
    assert (joined.effective_on, joined.comments_close_on) == ("2026-12-10", "2027-01-05")
    assert [(c.kind, c.old, c.new, c.source_name) for c in joined.date_changes] == \
        [("effective_on", "2026-12-03", "2026-12-10", "Harbour Wire")]
    text = render_alert(joined)
    assert "Effective: 2026-12-10 (changed from 2026-12-03 by Harbour Wire)" in text
    assert "Comments close: 2027-01-05" in text and "Also reported by" in text
    with open_store(None) as store:                                      # kept as stored
        store.events.add(joined)
        assert store.events.get(joined.id) == joined
    same = join(first, replace(later, effective_on=None, comments_close_on=None), NOW)
    assert same.effective_on == "2026-12-03" and same.date_changes == ()


# ---- the record ------------------------------------------------------------------------------------
def test_export_rows_in_both_formats_with_the_documented_columns():
    store = open_store(None)
    store.events.add(event(keys=("2026-31544", "fr:2026-31544", "https://example.gov/1"), doc_number="2026-31544"))
    store.events.add(replace(event(2), first_seen_at=NOW - timedelta(days=40), title='Quote "and", comma'))
    store.deliveries.enqueue("ev1", [7], NOW)
    store.deliveries.mark_sent("ev1", 7, 99, NOW)
    store.deliveries.enqueue(reminder_id("ev1", "effective_on", "2026-12-03"), [7], NOW, kind="reminder")
    since = records.parse_since("2026-12-01")
    out = io.StringIO()
    assert records.write(records.rows(store, "events", since), records.EVENT_COLUMNS, "csv", out) == 1
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["doc_numbers"] == "2026-31544" and row["countries"] == "US; CN" and row["reports"] == "fr"
    out = io.StringIO()
    records.write(records.rows(store, "events"), records.EVENT_COLUMNS, "csv", out)
    assert [r["title"] for r in csv.DictReader(io.StringIO(out.getvalue()))] == ['Quote "and", comma', "Rule 1"]
    out = io.StringIO()
    records.write(records.rows(store, "deliveries"), records.DELIVERY_COLUMNS, "jsonl", out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["event_id"], r["kind"], r["status"], r["message_id"], r["about"]) for r in lines] == \
        [("ev1", "alert", "sent", 99, ""), ("ev1", "reminder", "pending", "", "effective_on 2026-12-03")]
    assert lines[0]["sent_at"] == "2026-12-02T10:00:00+00:00"
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        records.parse_since("12/01/2026")


def test_a_record_written_before_kinds_and_reminders_still_opens(tmp_path):
    path = tmp_path / "tradewatch.json"
    path.write_text('{"format":"tradewatch-db","version":1}\n'
                    '{"t":"deliveries","put":{"ev1\\u001f5":{"event_id":"ev1","chat_id":5,"status":"sent",'
                    '"message_id":3,"queued_at":"2026-01-01T00:00:00+00:00","sent_at":"2026-01-01T00:00:01+00:00"}}}\n'
                    '{"t":"subscribers","put":{"5":{"chat_id":5,"topics":["tariff"]}}}\n', encoding="utf-8")
    with open_store(path) as store:
        delivery = store.deliveries.get("ev1", 5)
        assert delivery == Delivery("ev1", 5, status="sent", message_id=3, queued_at=delivery.queued_at,
                                    sent_at=delivery.sent_at)
        assert delivery.kind == "alert" and delivery.subject_id == "ev1"
        subscriber = store.subscribers.get(5)
        assert (subscriber.timezone, subscriber.remind_days) == ("UTC", None)
        assert records.delivery_row(delivery)["kind"] == "alert"


def test_the_chart_tally_counts_weeks_topics_and_actors():
    events = [replace(event(n), first_seen_at=NOW - timedelta(days=n * 7), actors=("US",) if n % 2 else ("CN",),
                      topics=("tariff", "export_control") if n == 0 else ("tariff",)) for n in range(5)]
    data = tally(events, NOW, 21)
    assert data.total == 4 and not data.empty and len(data.weeks) == 4
    assert data.per_topic["tariff"] == (1, 1, 1, 1) and sum(data.per_topic["export_control"]) == 1
    assert dict(data.actors) == {"CN": 2, "US": 2}
    assert tally([], NOW, 21).empty


async def test_a_later_listing_of_the_document_with_a_new_date_moves_it(http_server):
    """Through the pipeline over a local Federal Register server: a second source lists the same
    document with another effective date; the event's date moves, as an update for the edit."""
    from pathlib import Path

    from tradewatch.ingest.fetch import Fetcher
    from tradewatch.models import Source
    from tradewatch.pipeline import Pipeline
    from tradewatch.services import Services
    from tradewatch.settings import Settings

    fixtures = Path(__file__).parent / "fixtures" / "calendar"
    headers = {"Content-Type": "application/json"}
    a, b = (Source(id=f"fr-{n}", name=f"Federal Register {n}", kind="federal_register", authority="official",
                   country="US", url=http_server.url(f"/{n}.json"), allow_private=True) for n in "ab")
    settings = Settings()
    fetcher = Fetcher.from_settings(settings, sources=[a, b])
    services = Services(settings=settings, store=open_store(None), sources=[a, b], fetcher=fetcher, clock=lambda: NOW)
    pipeline = Pipeline(services)
    try:
        for source in (a, b):
            http_server.route(f"/{source.id[-1]}.json", body=(fixtures / "fr-baseline.json").read_bytes(), headers=headers)
            assert (await pipeline.run_source(source, force=True)).baseline
        news = (fixtures / "fr-news.json").read_bytes()
        http_server.route("/a.json", body=news, headers=headers)
        [event] = (await pipeline.run_source(a, force=True)).new
        moved = json.loads(news)
        moved["results"][0]["effective_on"] = "2026-12-10"
        http_server.route("/b.json", body=json.dumps(moved), headers=headers)
        [updated] = (await pipeline.run_source(b, force=True)).updated
        assert updated.id == event.id and updated.effective_on == "2026-12-10"
        assert "changed from 2026-12-03 by Federal Register b" in render_alert(updated)
        assert services.store.events.get(event.id).effective_on == "2026-12-10"
    finally:
        await fetcher.aclose()
        services.store.close()


@pytest.mark.parametrize("title, summary, lang, expected", [
    ("商务部公告2026年第70号 关于对镓锗相关物项实施出口管制的公告", "本公告自2026年12月10日起执行。", "zh", "2026-12-10"),
    ("US to impose 25% tariff on imported trucks effective December 15", "", "en", "2026-12-15"),
])
def test_dates_extracted_from_text_reach_the_calendar(title, summary, lang, expected):
    from tradewatch.models import Item, Source
    from tradewatch.understand.absorb import analyze, build_event

    source = Source(id="s", name="S", kind="rss", url="https://s.example", authority="official",
                    country="CN" if lang == "zh" else "US", lang=lang)
    item = Item("s", "k1", title, "https://s.example/1", published_at=NOW, summary=summary, lang=lang)
    analysis = analyze(item, source)
    assert analysis.relevant
    built = build_event(item, source, analysis, NOW)
    assert built.dates() == (("effective_on", date.fromisoformat(expected)),)
    assert due_now([built], [chat(days=30)]) == [(7, "effective_on", expected)]
