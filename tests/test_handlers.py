"""Commands and buttons through the real PTB Application (bot.build_application), polling the fake Bot API."""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

import bot as composition
from handlers import COMMANDS
from handlers.search import rank
from handlers.settings import apply_setting
from storage import open_store
from tests.fakebot import FakeBotAPI
from tradewatch.models import UTC, Event, Source, SourceState, Subscriber
from tradewatch.services import Services
from tradewatch.settings import Settings

NOW = datetime(2026, 10, 9, 8, 0, tzinfo=UTC)
ADMIN = 42
SOURCES = [
    Source(id="fr-bis", name="Federal Register: BIS", kind="federal_register", url="https://fr.example", authority="official", country="US"),
    Source(id="mofcom", name="MOFCOM releases", kind="mofcom_unit", url="https://mofcom.example", authority="official", country="CN"),
    Source(id="wire", name="Trade Wire", kind="rss", url="https://wire.example/rss"),
    Source(id="old", name="Retired feed", kind="rss", url="https://old.example/rss", enabled=False),
]


def make_event(n: int, topics=("tariff",), title: str | None = None, hours_ago: int = 0) -> Event:
    return Event(id=f"ev{n}", title=title or f"Event number {n}", url=f"https://example.gov/{n}",
                 source_id="mofcom", source_name="MOFCOM releases", authority="official", lang="en",
                 topics=topics, first_seen_at=NOW - timedelta(hours=hours_ago),
                 published_at=NOW - timedelta(hours=hours_ago))


@pytest.fixture
def fake():
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def services(fake):
    settings = Settings(telegram_bot_token=fake.token, telegram_api_url=fake.url, admin_ids=frozenset({ADMIN}))
    store = open_store(None)
    yield Services(settings=settings, store=store, sources=list(SOURCES), clock=lambda: NOW)
    store.close()


@pytest.fixture
async def app(fake, services):
    """The production Application, started as run_polling would, minus the source-polling jobs."""
    application = composition.build_application(services)
    application.bot_data["jobs"] = SimpleNamespace(schedule_all=lambda *args: None)
    await application.initialize()
    await composition._post_init(application)
    await application.updater.start_polling(poll_interval=0, timeout=timedelta(seconds=1))
    await application.start()
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def ask(fake, chat_id: int, text: str, replies: int = 1, **sender) -> list:
    """Send a command and return the bot's next `replies` messages in that chat."""
    before = len(fake.sent(chat_id))
    fake.send_command(chat_id, text, **sender)
    await fake.wait_for(lambda: len(fake.sent(chat_id)) >= before + replies, what=f"reply to {text}")
    return fake.sent(chat_id)[before:]


async def press(fake, message, data: str, user_id: int | None = None) -> dict:
    """Press a button under a bot message; return the callback answer."""
    answers = len(fake.callback_answers)
    fake.press_button(message.chat_id, message.message_id, data, user_id=user_id)
    await fake.wait_for(lambda: len(fake.callback_answers) > answers, what=f"answer to {data}")
    return fake.callback_answers[answers]


def buttons(message) -> list[tuple[str, str]]:
    return [(b["text"], b["callback_data"]) for row in message.reply_markup["inline_keyboard"] for b in row]


async def test_start_counts_sources_and_offers_subscribe_buttons(fake, services, app):
    assert [c["command"] for c in fake.commands] == [c for c, _ in COMMANDS]
    [welcome] = await ask(fake, 7, "/start")
    assert "2 official and 1 news sources" in welcome.text
    assert [data for _, data in buttons(welcome)] == ["sub:all", "sub:tariffs", "sub:exports"]
    answer = await press(fake, welcome, "sub:tariffs")
    assert answer["text"] == "Subscribed"
    await fake.wait_for(lambda: fake.sent(7)[0].edits, what="edited welcome")
    assert "Subscribed: Tariffs" in fake.sent(7)[0].text
    assert services.store.subscribers.get(7).topics == ("tariff",)


async def test_subscribe_then_settings_buttons(fake, services, app):
    [done] = await ask(fake, 7, "/subscribe tariffs")
    assert "Subscribed: Tariffs" in done.text and services.store.subscribers.get(7).chat_type == "private"
    [panel] = await ask(fake, 7, "/settings")
    assert ("⬜ Export controls", "set:topic:export_control") in buttons(panel)
    await press(fake, panel, "set:topic:export_control")
    await press(fake, panel, "set:country:CN")
    await press(fake, panel, "set:official")
    subscriber = services.store.subscribers.get(7)
    assert subscriber.topics == ("tariff", "export_control") and subscriber.countries == ("CN",)
    assert subscriber.official_only
    await fake.wait_for(lambda: len(fake.sent(7)[-1].edits) == 3, what="three keyboard edits")
    shown = buttons(fake.sent(7)[-1])
    assert ("✅ Export controls", "set:topic:export_control") in shown and ("✅ CN", "set:country:CN") in shown
    assert "Countries: CN" in fake.sent(7)[-1].text


async def test_the_last_topic_cannot_be_switched_off(fake, services, app):
    await ask(fake, 7, "/subscribe exports")
    [panel] = await ask(fake, 7, "/settings")
    answer = await press(fake, panel, "set:topic:export_control")
    assert "at least one topic" in answer["text"]
    assert services.store.subscribers.get(7).topics == ("export_control",)


def test_apply_setting_is_pure_and_total():
    subscriber = Subscriber(1, countries=("US",))
    assert apply_setting(subscriber, "set:country:all")[0].countries == ()
    assert apply_setting(subscriber, "set:country:CN")[0].countries == ("CN", "US")
    assert apply_setting(subscriber, "set:country:US")[0].countries == ()
    assert apply_setting(subscriber, "set:country:ZZ")[1] == "That button is out of date."
    assert apply_setting(subscriber, "set:bogus")[1] is not None


async def test_subscribe_bad_argument_and_unsubscribe(fake, services, app):
    [usage] = await ask(fake, 7, "/subscribe everything")
    assert usage.text.startswith("Usage: /subscribe [all|tariffs|exports]")
    [not_yet] = await ask(fake, 7, "/unsubscribe")
    assert "not subscribed" in not_yet.text
    await ask(fake, 7, "/subscribe")
    assert services.store.subscribers.get(7).topics == ("tariff", "export_control")
    [bye] = await ask(fake, 7, "/unsubscribe")
    assert "Unsubscribed" in bye.text and not services.store.subscribers.get(7).active


async def test_latest_with_and_without_events(fake, services, app):
    [empty] = await ask(fake, 7, "/latest")
    assert empty.text.startswith("Nothing yet")
    for n, topics in ((1, ("tariff",)), (2, ("export_control",)), (3, ("tariff", "export_control"))):
        services.store.events.add(make_event(n, topics, hours_ago=10 - n))
    [listing] = await ask(fake, 7, "/latest")
    assert listing.parse_mode == "HTML"
    assert [line for line in listing.text.split("\n") if line.startswith("Event")] == [
        "Event number 3 #tariff #export_control", "Event number 2 #export_control", "Event number 1 #tariff"]
    assert "[Official] MOFCOM releases" in listing.text
    assert any(e.get("url") == "https://example.gov/3" for e in listing.entities)
    [two] = await ask(fake, 7, "/latest 2")
    assert "Event number 1" not in two.text and "Event number 2" in two.text
    for bad in ("/latest 999", "/latest abc", "/latest 0", "/latest 1 2"):
        [usage] = await ask(fake, 7, bad)
        assert usage.text.startswith("Usage: /latest [N]"), bad
    [tariffs] = await ask(fake, 7, "/tariffs")
    assert "Event number 1" in tariffs.text and "Event number 2" not in tariffs.text
    [exports] = await ask(fake, 7, "/exports 5")
    assert "Event number 2" in exports.text and "Event number 1" not in exports.text


async def test_search(fake, services, app):
    services.store.events.add(make_event(1, title="US raises tariffs on steel and aluminium to 50%"))
    services.store.events.add(make_event(2, title="商务部 关于对稀土相关物项实施出口管制的公告", topics=("export_control",)))
    services.store.events.add(make_event(3, title="EU opens anti-dumping probe into electric vehicles"))
    [found] = await ask(fake, 7, "/search steel tarif")
    assert "US raises tariffs on steel" in found.text and "electric" not in found.text
    [chinese] = await ask(fake, 7, "/search 稀土")
    assert "稀土相关物项" in chinese.text
    [none] = await ask(fake, 7, "/search banana")
    assert none.text.startswith("No stored events match")
    [usage] = await ask(fake, 7, "/search")
    assert usage.text.startswith("Usage: /search")


def test_rank_orders_best_first_and_drops_weak_matches():
    events = [make_event(1, title="Stocks slide on tariff fears"),
              make_event(2, title="US raises tariffs on steel imports"),
              make_event(3, title="Japan semiconductor equipment licensing rules")]
    assert [e.id for e in rank(events, "steel tariffs")] == ["ev2"]
    assert [e.id for e in rank(events, "tariff")] == ["ev1", "ev2"]
    assert [e.id for e in rank(events, "semiconductors japan")] == ["ev3"]
    assert rank(events, "chips") == []


async def test_sources_show_health(fake, services, app):
    services.store.sources.put(SourceState("mofcom", last_check=NOW - timedelta(minutes=3),
                                           failing_since=NOW - timedelta(hours=1), consecutive_failures=2,
                                           last_error="http_5xx: 503 Service Unavailable"))
    services.store.sources.put(SourceState("fr-bis", last_check=NOW - timedelta(minutes=1),
                                           last_new_item=NOW - timedelta(hours=5)))
    [status] = await ask(fake, 7, "/sources")
    assert "1 failing, 1 disabled" in status.text
    assert "MOFCOM releases [Official, CN]" in status.text
    assert "Failing since 2026-10-09 07:00 UTC (2×): http_5xx: 503 Service Unavailable" in status.text
    assert "OK · last check 1 min ago, last new item 5 h ago" in status.text
    assert "Retired feed" in status.text and "Disabled." in status.text and "Not checked yet." in status.text


async def test_mute_and_unmute(fake, services, app):
    [not_yet] = await ask(fake, 7, "/mute")
    assert "not subscribed" in not_yet.text
    await ask(fake, 7, "/subscribe")
    for bad in ("/mute abc", "/mute 0", "/mute 721", "/mute -3"):
        [usage] = await ask(fake, 7, bad)
        assert usage.text.startswith("Usage: /mute [hours]"), bad
    [muted] = await ask(fake, 7, "/mute")
    assert services.store.subscribers.get(7).muted_until == NOW + timedelta(hours=8)
    assert "Muted until 2026-10-09 16:00 UTC" in muted.text
    await ask(fake, 7, "/mute 24")
    assert services.store.subscribers.get(7).muted_until == NOW + timedelta(hours=24)
    await ask(fake, 7, "/unmute")
    assert services.store.subscribers.get(7).muted_until is None


async def test_stats_only_for_operators(fake, services, app):
    services.store.subscribers.put(Subscriber(5))
    services.store.subscribers.put(Subscriber(6, active=False))
    services.store.sources.put(SourceState("wire", consecutive_failures=1, last_error="timeout: slow"))
    [refused] = await ask(fake, 7, "/stats")
    assert refused.text.startswith("Sorry, that command is for TradeWatch's operators")
    [stats] = await ask(fake, ADMIN, "/stats")
    assert "Subscribers: 1 active of 2" in stats.text and "Failing sources (1): wire" in stats.text
    assert "Deliveries: pending 0, sent 0, failed 0, skipped 0" in stats.text


async def test_broadcast_reaches_active_subscribers(fake, services, app):
    for chat_id in (5, 6):
        fake.add_chat(chat_id)
        services.store.subscribers.put(Subscriber(chat_id))
    [refused] = await ask(fake, 7, "/broadcast hello")
    assert "operators" in refused.text
    [usage] = await ask(fake, ADMIN, "/broadcast")
    assert usage.text.startswith("Usage: /broadcast")
    started, done = await ask(fake, ADMIN, "/broadcast Planned <maintenance> at 22:00", replies=2)
    assert "Broadcasting to 2 chats" in started.text and "2 sent, 0 failed" in done.text
    assert fake.sent(5)[0].text == fake.sent(6)[0].text == "Planned <maintenance> at 22:00"


async def test_group_settings_need_a_group_admin(fake, services, app):
    group = -4001
    fake.add_chat(group, "group", title="Customs brokers", admins=(501,))
    [refused] = await ask(fake, group, f"/subscribe@{fake.username} tariffs", user_id=502, chat_type="group")
    assert "Only this group's administrators" in refused.text
    assert services.store.subscribers.get(group) is None
    [accepted] = await ask(fake, group, f"/subscribe@{fake.username} tariffs", user_id=501, chat_type="group")
    assert "Subscribed: Tariffs" in accepted.text
    subscriber = services.store.subscribers.get(group)
    assert subscriber.chat_type == "group" and subscriber.title == "Customs brokers"
    [panel] = await ask(fake, group, "/settings", user_id=502, chat_type="group")
    answer = await press(fake, panel, "set:official", user_id=502)
    assert answer["show_alert"] in (True, "true", "True") and "administrators" in answer["text"]
    assert not services.store.subscribers.get(group).official_only
    [listing] = await ask(fake, group, f"/latest@{fake.username}", user_id=502, chat_type="group")
    assert listing.text.startswith("Nothing yet")


async def test_blocking_the_bot_deactivates_the_subscriber(fake, services, app):
    await ask(fake, 7, "/subscribe")
    fake.block(7, notify=True)
    await ask(fake, 8, "/help")           # updates are handled in order: this reply follows the block
    subscriber = services.store.subscribers.get(7)
    assert not subscriber.active and subscriber.deactivated_reason == "blocked the bot"


async def test_help_lists_the_commands(fake, services, app):
    [text] = await ask(fake, 7, "/help")
    assert all(f"/{command} —" in text.text for command, _ in COMMANDS)


async def test_errors_are_logged_and_the_user_told(fake, services, app, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    services.store.events.latest = broken
    [sorry] = await ask(fake, 7, "/latest")
    assert sorry.text.startswith("Sorry, something went wrong")
    assert "disk on fire" in caplog.text
    [again] = await ask(fake, 7, "/help")          # and the bot keeps serving
    assert "/latest" in again.text



# ---- the error handler tells the user only when their reply really failed -----------------------------
async def error_logged(fake, caplog, times: int = 1) -> None:
    await fake.wait_for(lambda: caplog.text.count("error while handling an update") >= times, what="the error handler")


async def test_no_sorry_when_the_reply_went_out_but_its_answer_could_not_be_read(app, fake, caplog):
    from handlers.views import SOMETHING_WRONG
    fake.answer_raw_next("sendMessage", '{"ok": true, "result": {"message_id": 1}}', chat_id=11,
                         content_type="application/json")
    fake.send_command(11, "/help")
    await error_logged(fake, caplog)
    assert "KeyError" in caplog.text
    [reply] = await ask(fake, 11, "/latest")              # the bot still answers, and said nothing else
    assert SOMETHING_WRONG not in reply.text and all(SOMETHING_WRONG not in m.text for m in fake.sent(11))


async def test_sorry_when_the_reply_really_failed(app, fake, caplog):
    from handlers.views import SOMETHING_WRONG
    fake.fail_next("sendMessage", 11, 400, description="Bad Request: message is too long")
    before = len(fake.sent(11))
    fake.send_command(11, "/help")
    await fake.wait_for(lambda: len(fake.sent(11)) > before, what="the apology")
    assert fake.sent(11)[-1].text == SOMETHING_WRONG


async def test_no_sorry_into_an_outage_and_no_html_in_the_log(app, fake, caplog):
    fake.answer_raw_next("sendMessage", "<html><body>502 Bad Gateway</body></html>", status=502, chat_id=11)
    calls = fake.calls["sendMessage"]
    fake.send_command(11, "/help")
    await error_logged(fake, caplog)
    await ask(fake, 11, "/latest")
    assert fake.calls["sendMessage"] == calls + 2          # the failed reply and /latest's: no apology tried
    assert "HTTP 502 with text/html" in caplog.text
    assert "<html>" not in caplog.text and "Can not load invalid JSON" not in caplog.text


async def test_a_failing_button_answer_is_not_answered_twice(app, fake, caplog):
    [menu] = await ask(fake, 11, "/start")
    fake.answer_raw_next("editMessageText", '{"ok": true, "result": {"message_id": 1}}', chat_id=11,
                         content_type="application/json")
    answers = len(fake.callback_answers)
    fake.press_button(11, menu.message_id, "sub:all")
    await error_logged(fake, caplog)
    assert [a.get("text") for a in fake.callback_answers[answers:]] == ["Subscribed"]
