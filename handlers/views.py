"""What the bot says in reply to commands: texts, usage lines and inline keyboards, as pure functions.

Handlers ask the core for values and hand them here; nothing in this module reads the store, the
clock or the network. Alerts and event lists are rendered by tradewatch.deliver.render; this module
holds the conversational texts around them. All dynamic text is HTML-escaped.
"""
from __future__ import annotations

from datetime import datetime
from typing import Mapping, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from tradewatch.models import TOPICS, Source, SourceState, Subscriber
from tradewatch.deliver.render import esc, format_utc

TOPIC_NAMES = {"tariff": "Tariffs", "export_control": "Export controls"}
COUNTRIES = ("CN", "US", "EU", "JP", "KR", "CA", "MX", "IN")
SUBSCRIBE_CHOICES: Mapping[str, tuple[str, ...]] = {
    "all": TOPICS, "tariffs": ("tariff",), "tariff": ("tariff",),
    "exports": ("export_control",), "export": ("export_control",), "export_controls": ("export_control",),
}
USAGE = {
    "subscribe": "/subscribe [all|tariffs|exports]",
    "mute": "/mute [hours] — hours from 1 to 720, default 8",
    "latest": "/latest [N] — N from 1 to 20, default 5",
    "tariffs": "/tariffs [N] — N from 1 to 20, default 5",
    "exports": "/exports [N] — N from 1 to 20, default 5",
    "search": "/search words — e.g. /search steel tariffs",
    "broadcast": "/broadcast text",
    "upcoming": "/upcoming [DAYS] — DAYS from 1 to 365, default 30",
    "remind": "/remind [DAYS] — DAYS from 0 to 30 before each date, default 1; /remind off to stop",
    "export": "/export [DAYS] — DAYS from 1 to 3650, default 30",
    "chart": "/chart [DAYS] — DAYS from 7 to 730, default 180",
}
NOT_SUBSCRIBED = "This chat is not subscribed yet. Use /subscribe (or /start) first."
GROUP_ADMINS_ONLY = "Only this group's administrators can change its subscription and settings."
ADMINS_ONLY = "Sorry, that command is for TradeWatch's operators."
NOTHING_YET = "Nothing yet… TradeWatch will list events here as soon as it sees them."
SOMETHING_WRONG = "Sorry, something went wrong on our side. Please try again in a moment."


def usage(command: str) -> str:
    return f"Usage: {esc(USAGE[command])}"


def topics_label(topics: Sequence[str]) -> str:
    return " and ".join(TOPIC_NAMES.get(t, t) for t in topics).capitalize() or "nothing"


def start_text(sources: Sequence[Source]) -> str:
    enabled = [s for s in sources if s.enabled]
    official = sum(1 for s in enabled if s.is_official)
    return (f"<b>TradeWatch</b> watches {official} official and {len(enabled) - official} news sources "
            "for <b>tariff</b> and <b>export-control</b> announcements (US, China and more) and alerts "
            "you within minutes: one alert per event, however many outlets repeat it.\n\n"
            "Subscribe with a button below, then fine-tune with /settings.\n"
            "Look back with /latest, /tariffs, /exports or /search. /help lists everything.")


def start_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([
        [InlineKeyboardButton("🔔 Subscribe to all", callback_data="sub:all")],
        [InlineKeyboardButton("Tariffs only", callback_data="sub:tariffs"),
         InlineKeyboardButton("Export controls only", callback_data="sub:exports")],
    ])


def help_text(commands: Sequence[tuple[str, str]]) -> str:
    lines = [f"/{name} — {esc(description)}" for name, description in commands]
    return "<b>TradeWatch commands</b>\n" + "\n".join(lines) + \
        "\n\nIn groups, only administrators can change the subscription, settings and mute."


def subscribed_text(subscriber: Subscriber) -> str:
    return (f"✅ Subscribed: {topics_label(subscriber.topics)}. "
            "Alerts arrive here as soon as TradeWatch sees them. /settings to fine-tune, /unsubscribe to stop.")


def muted_text(until: datetime) -> str:
    return f"🔕 Muted until {format_utc(until)}. /unmute to resume now."


def settings_text(subscriber: Subscriber) -> str:
    countries = ", ".join(subscriber.countries) if subscriber.countries else "all countries"
    muted = f"\nMuted until {format_utc(subscriber.muted_until)}." if subscriber.muted_until else ""
    return (f"<b>Settings</b>\nTopics: {topics_label(subscriber.topics)}\n"
            f"Sources: {'official only' if subscriber.official_only else 'official and news'}\n"
            f"Countries: {esc(countries)}{muted}\n\nTap to change.")


def _mark(on: bool, label: str) -> str:
    return f"{'✅' if on else '⬜'} {label}"


def settings_keyboard(subscriber: Subscriber) -> InlineKeyboardMarkup:
    topics = [InlineKeyboardButton(_mark(t in subscriber.topics, name), callback_data=f"set:topic:{t}")
              for t, name in TOPIC_NAMES.items()]
    official = [InlineKeyboardButton(_mark(subscriber.official_only, "Official sources only"),
                                     callback_data="set:official")]
    every = [InlineKeyboardButton(_mark(not subscriber.countries, "All countries"), callback_data="set:country:all")]
    flags = [InlineKeyboardButton(_mark(c in subscriber.countries, c), callback_data=f"set:country:{c}")
             for c in COUNTRIES]
    return InlineKeyboardMarkup([topics, official, every, flags[:4], flags[4:]])


def sources_header(sources: Sequence[Source], states: Mapping[str, SourceState]) -> str:
    disabled = sum(1 for s in sources if not s.enabled)
    failing = sum(1 for s in sources if s.enabled and s.id in states and states[s.id].is_failing)
    return (f"<b>Sources</b>: {len(sources)} watched — {len(sources) - disabled - failing} OK or pending, "
            f"{failing} failing, {disabled} disabled")


def stats_text(subscribers_active: int, subscribers_total: int, events: int,
               deliveries: Mapping[str, int], failing: Sequence[str], started_at: datetime) -> str:
    by_status = ", ".join(f"{status} {count}" for status, count in deliveries.items()) or "none"
    failing_list = ", ".join(esc(s) for s in failing) or "none"
    return (f"<b>TradeWatch stats</b>\nSubscribers: {subscribers_active} active of {subscribers_total}\n"
            f"Events stored: {events}\nDeliveries: {by_status}\n"
            f"Failing sources ({len(failing)}): {failing_list}\nRunning since {format_utc(started_at)}")


def upcoming_header(days: int, subscribed: bool) -> str:
    scope = "events this chat's settings let through" if subscribed else "all events (/subscribe to filter)"
    return f"<b>Upcoming dates</b>, next {days} days: {scope}"


def remind_text(days: int | None, timezone: str) -> str:
    if days is None:
        return "🔕 Reminders off. /remind DAYS turns them on again."
    before = {0: "on the day of", 1: "1 day before"}.get(days, f"{days} days before")
    return (f"⏰ Reminders on: {before} each effective date and comment deadline, at 09:00 "
            f"({esc(timezone or 'UTC')}). /upcoming lists the coming dates; /remind off stops them.")
