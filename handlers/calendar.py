"""The compliance calendar and the record: /upcoming, /remind, /chart and (admins) /export.

Reminders, exports and charts are services of the deliver stage that bot.py puts in `bot_data`
("reminders", "records", "chart"); these handlers parse the arguments, ask them, and reply. The
chart is drawn in a worker thread so the bot keeps answering while matplotlib works.
"""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from telegram import Update

from handlers import views
from handlers.common import (Context, is_operator, parse_number, reply, reply_with, services_of,
                             subscription, subscription_to_change)
from tradewatch.deliver.render import render_upcoming
from tradewatch.models import Event, Subscriber


def upcoming_dates(events: list[Event], rules: Subscriber, now: datetime, days: int,
                   book: Any = None) -> list[tuple[date, str, Event]]:
    """(date, kind, event) of the dates from today to `days` ahead (chat-local) of events the rules
    let through: the chat's topics and countries, and its alert rules when `book` (the router's
    RuleBook, from bot_data) is given."""
    today = now.astimezone(rules.zone).date()
    wants = book.filter([rules]) if book is not None else lambda chat, e, at: chat.wants(e, at)
    found = [(on, kind, e) for e in events for kind, on in e.dates()
             if today <= on <= today + timedelta(days=days) and wants(rules, e, now)]
    return sorted(found, key=lambda entry: (entry[0], entry[1], entry[2].id))


async def upcoming(update: Update, context: Context) -> None:
    days = parse_number(context.args, default=30, low=1, high=365)
    if days is None:
        await reply(update, views.usage("upcoming"))
        return
    services = services_of(context)
    chat = subscription(update, context)
    rules = replace(chat or Subscriber(update.effective_chat.id), active=True, muted_until=None)
    entries = upcoming_dates(services.store.events.all(), rules, services.clock(), days,
                             context.application.bot_data.get("rules"))
    if not entries:
        await reply(update, f"No effective dates or comment deadlines in the next {days} days.")
        return
    await reply(update, render_upcoming(entries, views.upcoming_header(days, subscribed=chat is not None)))


async def remind(update: Update, context: Context) -> None:
    off = [a.lower() for a in context.args] == ["off"]
    days = None if off else parse_number(context.args, default=1, low=0, high=30)
    if days is None and not off:
        await reply(update, views.usage("remind"))
    elif (subscriber := await subscription_to_change(update, context)) is not None:
        services_of(context).store.subscribers.put(replace(subscriber, remind_days=days))
        await reply(update, views.remind_text(days, subscriber.timezone))
        reminders = context.application.bot_data.get("reminders")
        if reminders is not None and days is not None:
            reminders.changed()
            context.application.create_task(reminders.check(), update=update)


async def export(update: Update, context: Context) -> None:
    if not is_operator(update, context):
        await reply(update, views.ADMINS_ONLY)
        return
    days = parse_number(context.args, default=30, low=1, high=3650)
    if days is None:
        await reply(update, views.usage("export"))
        return
    services, records = services_of(context), context.application.bot_data["records"]
    since = services.clock() - timedelta(days=days)
    for what in ("events", "deliveries"):
        data, count = records.csv_file(services.store, what, since)
        await reply_with(update, "reply_document", document=data, filename=f"tradewatch-{what}.csv",
                         caption=f"TradeWatch {what}, last {days} days: {count} rows")


async def chart(update: Update, context: Context) -> None:
    days = parse_number(context.args, default=180, low=7, high=730)
    if days is None:
        await reply(update, views.usage("chart"))
        return
    services, draw = services_of(context), context.application.bot_data["chart"]
    data = draw.tally(services.store.events.all(), services.clock(), days)
    if data.empty:
        await reply(update, f"No events in the last {days} days: nothing to draw yet.")
        return
    context.application.create_task(_send_chart(update, draw, data), update=update)


async def _send_chart(update: Update, draw, data) -> None:
    """Beside update processing: matplotlib takes a second or two, in a worker thread."""
    png = await asyncio.to_thread(draw.draw, data)
    await reply_with(update, "reply_photo", photo=png,
                     caption=f"Events per week by topic, last {data.days} days: {data.total} events")
