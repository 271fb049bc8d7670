"""Alert rules end to end: the real Application (bot.build_application) polling the fake Bot API,
commands typed by users, events handed to the real Deliverer, a Federal Register document's full text
served by the local HTTP server, and a fixed clock moved by hand (no sleeps)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

import bot as composition
from storage import open_store
from storage.codec import decode
from tests.fakebot import FakeBotAPI
from tests.httpserver import LocalServer
from tradewatch.ingest.fetch import Fetcher
from tradewatch.models import UTC, Event, Source, Subscriber
from tradewatch.services import Services
from tradewatch.settings import Settings

NOW = datetime(2026, 10, 9, 8, 0, tzinfo=UTC)          # 10:00 in Berlin (CEST)
ALICE, BOB, CAROL = 501, 502, 503
GROUP, GROUP_ADMIN, MEMBER = -100777, 601, 602
FIXTURES = Path(__file__).parent / "fixtures" / "fulltext"
ENTITY_NAME = "Lumaris Robotics Co., Ltd."          # the document spells it "Lumaris Robotic Co. Ltd."


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def fake():
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def http():
    with LocalServer() as server:
        server.route("/api/v1/documents/2026-20417.json", body=json.dumps({
            "raw_text_url": server.url("/documents/full_text/text/2026/10/09/2026-20417.txt"),
            "body_html_url": server.url("/documents/full_text/html/2026/10/09/2026-20417.html")}).encode(),
            headers={"Content-Type": "application/json"})
        server.route("/documents/full_text/text/2026/10/09/2026-20417.txt",
                     body=(FIXTURES / "fr-entity-list-additions.txt").read_bytes(),
                     headers={"Content-Type": "text/plain; charset=utf-8"})
        yield server


def sources(http: LocalServer) -> list[Source]:
    return [Source(id="fr-bis", name="Federal Register: BIS", kind="federal_register",
                   url=http.url("/api/v1/documents.json?conditions[agencies][]=industry-and-security-bureau"),
                   authority="official", country="US", allow_private=True),
            Source(id="wire", name="Trade Wire", kind="rss", url=http.url("/rss"))]


def make_services(fake, http, clock, path=None) -> Services:
    settings = Settings(telegram_bot_token=fake.token, telegram_api_url=fake.url)
    catalog = sources(http)
    return Services(settings=settings, store=open_store(path), sources=catalog, clock=clock,
                    fetcher=Fetcher.from_settings(settings, sources=catalog))


async def start_app(services):
    application = composition.build_application(services)
    application.bot_data["jobs"] = SimpleNamespace(schedule_all=lambda *args: None)
    await application.initialize()
    await composition._post_init(application)
    application.job_queue.scheduler.remove_all_jobs()    # the tests tick digests themselves
    await application.updater.start_polling(poll_interval=0, timeout=timedelta(seconds=1))
    await application.start()
    return application


async def stop_app(application) -> None:
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    await application.bot_data["services"].aclose()      # what post_shutdown does under run_polling


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
async def app(fake, http, clock):
    application = await start_app(make_services(fake, http, clock))
    yield application
    await stop_app(application)


def event(n: int, title: str, *, topics=("tariff",), authority="news", source="wire", products=(),
          countries=("CN",), doc_number=None, summary="") -> Event:
    return Event(id=f"ev{n}", title=title, url=f"https://example.org/{n}", source_id=source,
                 source_name="Trade Wire" if source == "wire" else "Federal Register: BIS", authority=authority,
                 lang="en", topics=topics, countries=countries, products=products, doc_number=doc_number,
                 summary=summary, first_seen_at=NOW, published_at=NOW)


async def ask(fake, chat_id: int, text: str, **sender) -> str:
    before = len(fake.sent(chat_id))
    fake.send_command(chat_id, text, **sender)
    await fake.wait_for(lambda: len(fake.sent(chat_id)) > before, what=f"reply to {text}")
    return fake.sent(chat_id)[before].text


async def publish(app, *events: Event) -> None:
    store = app.bot_data["services"].store
    for e in events:
        store.events.add(e)
    await app.bot_data["deliverer"].notify(list(events), [])


def alerts(fake, chat_id: int) -> list[str]:
    """Messages that are alerts or digests (not replies to commands)."""
    return [m.text for m in fake.sent(chat_id) if "🕒 Published" in m.text or "TradeWatch digest:" in m.text]


async def test_keywords_pick_the_matching_event_and_say_what_matched(fake, app):
    for chat in (ALICE, BOB):
        await ask(fake, chat, "/subscribe")
    reply = await ask(fake, ALICE, "/keywords add steel, anti-dumping")
    assert "Added 2" in reply and "steel" in reply
    await publish(app, event(1, "US raises tariffs on Chinese steel to 50%"),
                  event(2, "China sets anti-dumping duties on US brandy", countries=("CN", "US")),
                  event(3, "EU duties on Chinese e-bikes"))
    await fake.wait_for(lambda: len(alerts(fake, BOB)) == 3, what="three alerts to the chat without rules")
    got = alerts(fake, ALICE)
    assert len(got) == 2 and "steel" in got[0] and "brandy" in got[1]
    assert got[0].rstrip().endswith("Matched: “steel”") and "Matched: “anti-dumping”" in got[1]
    assert not any("Matched" in text for text in alerts(fake, BOB))


async def test_an_excluded_phrase_stops_an_alert(fake, app):
    await ask(fake, ALICE, "/subscribe")
    await ask(fake, ALICE, "/exclude add steel")
    await publish(app, event(1, "US raises tariffs on Chinese steel to 50%"), event(2, "Tariffs on Chinese drones"))
    await fake.wait_for(lambda: alerts(fake, ALICE), what="the alert that is not excluded")
    assert len(alerts(fake, ALICE)) == 1 and "drones" in alerts(fake, ALICE)[0]


async def test_products_by_name_in_either_language_and_by_hs_prefix(fake, app):
    for chat in (ALICE, BOB):
        await ask(fake, chat, "/subscribe")
    assert "rare earths" in await ask(fake, ALICE, "/products add 稀土")
    assert "HS 8541, HS 8507" in await ask(fake, BOB, "/products add 8541, 8507")
    rare = event(1, "China tightens rare earth export licensing", topics=("export_control",), products=("rare earths",))
    chips = event(2, "New duties on semiconductors", products=("semiconductors",))
    batteries = event(3, "Duties on lithium-ion cells of HTS 8507.60.00", countries=("US",))
    steel = event(4, "Duties on steel", products=("steel",))
    await publish(app, rare, chips, batteries, steel)
    await fake.wait_for(lambda: len(alerts(fake, BOB)) >= 2 and alerts(fake, ALICE), what="product alerts")
    assert [t.splitlines()[0] for t in alerts(fake, ALICE)] == [rare.title]
    assert "Matched: rare earths" in alerts(fake, ALICE)[0]
    assert [t.splitlines()[0] for t in alerts(fake, BOB)] == [chips.title, batteries.title]
    assert "Matched: HS 8541" in alerts(fake, BOB)[0] and "Matched: HS 8507" in alerts(fake, BOB)[1]
    bad = await ask(fake, BOB, "/products add 854")
    assert "2, 4 or 6 digits" in bad and "Usage: /products" in bad


async def test_a_watch_name_in_the_full_text_alerts_a_chat_whose_topics_would_skip_it(fake, http, app):
    for chat in (ALICE, BOB):
        await ask(fake, chat, "/subscribe tariffs")
    assert "Added 1" in await ask(fake, ALICE, f"/watch add {ENTITY_NAME}")
    listing = event(1, "Additions to the Entity List", topics=("export_control",), authority="official",
                    source="fr-bis", doc_number="2026-20417", countries=("US",),
                    summary="BIS adds 23 entities under 30 destinations to the Entity List.")
    await publish(app, listing)
    await fake.wait_for(lambda: alerts(fake, ALICE), what="the watchlist alert")
    text = alerts(fake, ALICE)[0]
    assert f"Watchlist: {ENTITY_NAME}" in text and "(in: Lumaris Robotic Co. Ltd., Room 1203" in text
    assert http.hits("/documents/full_text/text/2026/10/09/2026-20417.txt") == 1
    assert alerts(fake, BOB) == []        # its topics skip export controls, and it watches nobody


async def test_quiet_hours_hold_alerts_and_quiet_off_releases_exactly_one_digest(fake, app):
    await ask(fake, ALICE, "/subscribe")
    assert "Europe/Berlin" in await ask(fake, ALICE, "/timezone Europe/Berlin")
    assert "09:00-12:00" in await ask(fake, ALICE, "/quiet 09:00-12:00")      # 10:00 in Berlin now
    await ask(fake, ALICE, "/keywords add gallium, duties, tariffs")
    held = [event(1, "New duties on steel"), event(2, "Tariffs on Chinese drones", topics=("tariff", "export_control"))]
    critical = event(3, "China restricts gallium exports", topics=("export_control",), authority="official")
    await publish(app, *held, critical)
    await fake.wait_for(lambda: alerts(fake, ALICE), what="the critical alert")
    [urgent] = alerts(fake, ALICE)
    assert urgent.startswith(critical.title) and "🚨 Critical" in urgent and "quiet hours" in urgent
    assert fake_subscriber(app, ALICE).held == ("ev1", "ev2")
    await ask(fake, ALICE, "/quiet off")
    await fake.wait_for(lambda: "Quiet hours off" in fake.sent(ALICE)[-1].text, what="the reply, after the digest")
    digest = alerts(fake, ALICE)[1]
    assert "TradeWatch digest: 2 events" in digest and held[0].title in digest and held[1].title in digest
    assert "Tariffs" in digest and digest.count(held[1].title) == 1
    assert await app.bot_data["deliverer"].digest_tick() == 0
    assert len(alerts(fake, ALICE)) == 2 and fake_subscriber(app, ALICE).held == ()
    assert not any(m.text.startswith(held[0].title) for m in fake.sent(ALICE))     # never sent alone


def fake_subscriber(app, chat_id: int) -> Subscriber:
    return app.bot_data["services"].store.subscribers.get(chat_id)


async def test_a_daily_digest_survives_a_restart_and_is_sent_once(fake, http, clock, tmp_path):
    path = tmp_path / "tradewatch.json"
    first = await start_app(make_services(fake, http, clock, path))
    try:
        await ask(fake, ALICE, "/subscribe")
        assert "09:00" in await ask(fake, ALICE, "/digest 09:00")          # UTC; today's 09:00 is to come
        await publish(first, event(1, "New duties on steel"), event(2, "Export ban on drones"))
        assert fake_subscriber(first, ALICE).held == ("ev1", "ev2") and alerts(fake, ALICE) == []
        clock.now = NOW + timedelta(hours=1, minutes=1)
        queued = first.bot_data["deliverer"].router.digests.due(clock.now)   # made and queued, then a crash
        assert queued == [(ALICE, "digest:daily:2026-10-09T09:00Z")]
    finally:
        await stop_app(first)
    assert alerts(fake, ALICE) == []
    for _ in range(2):                                   # two restarts; each resumes and ticks
        again = await start_app(make_services(fake, http, clock, path))
        try:
            await again.bot_data["deliverer"].resume()
            await again.bot_data["deliverer"].digest_tick()
            await fake.wait_for(lambda: len(alerts(fake, ALICE)) == 1, what="the digest")
        finally:
            await stop_app(again)
    [digest] = alerts(fake, ALICE)
    assert "TradeWatch digest: 2 events" in digest and "steel" in digest and "drones" in digest


async def test_in_a_group_only_administrators_change_rules(fake, app):
    fake.add_chat(GROUP, "supergroup", admins=(GROUP_ADMIN,))
    await ask(fake, GROUP, "/subscribe", user_id=GROUP_ADMIN, chat_type="supergroup")
    refused = await ask(fake, GROUP, "/keywords add steel", user_id=MEMBER, chat_type="supergroup")
    assert "Only this group's administrators" in refused
    refused = await ask(fake, GROUP, "/quiet 22:00-07:00", user_id=MEMBER, chat_type="supergroup")
    assert "Only this group's administrators" in refused
    assert fake_subscriber(app, GROUP).keywords == () and fake_subscriber(app, GROUP).quiet == ""
    assert "Alert rules" in await ask(fake, GROUP, "/filters", user_id=MEMBER, chat_type="supergroup")   # reading is open
    assert "Added 1" in await ask(fake, GROUP, "/keywords add steel", user_id=GROUP_ADMIN, chat_type="supergroup")
    assert fake_subscriber(app, GROUP).keywords == ("steel",)


async def test_filters_lists_each_rule_with_the_command_that_removes_it(fake, app):
    await ask(fake, ALICE, "/subscribe")
    await ask(fake, ALICE, "/keywords add steel")
    await ask(fake, ALICE, "/watch add Huawei Technologies Co., Ltd.")
    await ask(fake, ALICE, "/quiet 22:00-07:00")
    text = await ask(fake, ALICE, "/filters")
    assert "Keywords: steel — /keywords remove steel" in text and "— /quiet off" in text
    assert "/watch remove Huawei Technologies" in text
    assert "Usage: /keywords" in await ask(fake, ALICE, "/keywords delete steel")
    assert "64 characters" in await ask(fake, ALICE, "/keywords add " + "x" * 65)
    assert "unknown time zone" in await ask(fake, ALICE, "/timezone Mars/Olympus")


async def test_an_old_subscriber_record_still_gets_alerts(fake, app):
    old = decode(Subscriber, {"chat_id": CAROL, "chat_type": "private", "topics": ["tariff"],
                              "created_at": "2025-01-02T03:04:05+00:00", "title": "Carol"})
    assert old.keywords == () and old.timezone == "UTC" and old.digest_at == ""
    fake.add_chat(CAROL)
    app.bot_data["services"].store.subscribers.put(old)
    await publish(app, event(1, "Tariffs on Chinese drones"))
    await fake.wait_for(lambda: alerts(fake, CAROL), what="the alert to the old record")
    assert "Matched" not in alerts(fake, CAROL)[0]


async def test_settings_buttons_switch_quiet_hours_and_digest_and_clear_a_list(fake, app):
    await ask(fake, ALICE, "/subscribe")
    await ask(fake, ALICE, "/keywords add steel, solar")
    fake.send_command(ALICE, "/settings")
    await fake.wait_for(lambda: "Tap to change" in fake.sent(ALICE)[-1].text, what="the settings panel")
    panel = fake.sent(ALICE)[-1]
    data = [b["callback_data"] for row in panel.reply_markup["inline_keyboard"] for b in row]
    assert {"set:quiet", "set:digest", "set:clear:keywords"} <= set(data)
    for pressed in ("set:quiet", "set:digest", "set:clear:keywords"):
        answers = len(fake.callback_answers)
        fake.press_button(ALICE, panel.message_id, pressed)
        await fake.wait_for(lambda: len(fake.callback_answers) > answers, what=f"answer to {pressed}")
    subscriber = fake_subscriber(app, ALICE)
    assert subscriber.quiet == "22:00-07:00" and subscriber.digest_at == "08:00" and subscriber.keywords == ()
    assert subscriber.digest_done == "digest:daily:2026-10-09T08:00Z"      # today's 08:00 is not owed a digest
    await fake.wait_for(lambda: "quiet 22:00-07:00" in fake.sent(ALICE)[-1].text, what="the panel redrawn")


async def test_a_channel_s_rules_are_changed_from_its_administrator_s_private_chat(fake, app):
    channel = -100123450
    fake.add_chat(channel, "channel", title="Trade Desk", username="tradedesk", admins=(ALICE,))
    refused = await ask(fake, BOB, "/manage @tradedesk")
    assert "Only the channel's administrators" in refused
    said = await ask(fake, ALICE, "/manage @tradedesk")
    assert "Managing Trade Desk" in said and fake_subscriber(app, channel).chat_type == "channel"
    assert "Added 1" in await ask(fake, ALICE, "/keywords add steel")
    assert fake_subscriber(app, channel).keywords == ("steel",) and fake_subscriber(app, ALICE) is None
    assert "Keywords: steel" in await ask(fake, ALICE, "/filters")
    await publish(app, event(1, "Duties on steel"), event(2, "Duties on drones"))
    await fake.wait_for(lambda: alerts(fake, channel), what="the channel's alert")
    assert [t.splitlines()[0] for t in alerts(fake, channel)] == ["Duties on steel"]
    await ask(fake, ALICE, "/manage off")
    assert "not subscribed" in await ask(fake, ALICE, "/filters")


async def test_when_the_quiet_window_ends_its_digest_goes_out_once(fake, app, clock):
    await ask(fake, ALICE, "/subscribe")
    await ask(fake, ALICE, "/timezone Europe/Berlin")
    await ask(fake, ALICE, "/quiet 09:00-12:00")
    await publish(app, event(1, "New duties on steel"))
    deliverer = app.bot_data["deliverer"]
    assert await deliverer.digest_tick() == 0 and alerts(fake, ALICE) == []       # still quiet
    clock.now = NOW + timedelta(hours=2, minutes=30)                              # 12:30 in Berlin
    assert await deliverer.digest_tick() == 1
    assert await deliverer.digest_tick() == 0
    [digest] = alerts(fake, ALICE)
    assert "TradeWatch digest: 1 event" in digest and "New duties on steel" in digest
    assert app.bot_data["services"].store.deliveries.get("digest:quiet:2026-10-09T10:00Z", ALICE).status == "sent"
