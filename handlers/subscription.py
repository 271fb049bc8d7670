"""/subscribe, /unsubscribe, /mute, /unmute and the subscribe buttons under /start."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from telegram import Update

from handlers import views
from handlers.common import (Context, answer, may_manage, parse_number, reply, services_of, subscribe,
                             subscription_to_change)


async def subscribe_command(update: Update, context: Context) -> None:
    choice = context.args[0].lower() if len(context.args) == 1 else "all" if not context.args else ""
    if choice not in views.SUBSCRIBE_CHOICES:
        await reply(update, views.usage("subscribe"))
    elif not await may_manage(update, context):
        await reply(update, views.GROUP_ADMINS_ONLY)
    else:
        await reply(update, views.subscribed_text(subscribe(update, context, views.SUBSCRIBE_CHOICES[choice])))


async def subscribe_button(update: Update, context: Context) -> None:
    query = update.callback_query
    choice = query.data.removeprefix("sub:")
    if choice not in views.SUBSCRIBE_CHOICES:
        await answer(update, "That button is out of date.")
    elif not await may_manage(update, context):
        await answer(update, views.GROUP_ADMINS_ONLY, show_alert=True)
    else:
        subscriber = subscribe(update, context, views.SUBSCRIBE_CHOICES[choice])
        await answer(update, "Subscribed")
        await query.edit_message_text(views.subscribed_text(subscriber))


async def unsubscribe(update: Update, context: Context) -> None:
    if await subscription_to_change(update, context) is not None:
        services_of(context).store.subscribers.deactivate(update.effective_chat.id, "unsubscribed")
        await reply(update, "🔕 Unsubscribed. No more alerts here; /subscribe to come back any time.")


async def mute(update: Update, context: Context) -> None:
    hours = parse_number(context.args, default=8, low=1, high=720)
    if hours is None:
        await reply(update, views.usage("mute"))
    elif (subscriber := await subscription_to_change(update, context)) is not None:
        services = services_of(context)
        until = services.clock() + timedelta(hours=hours)
        services.store.subscribers.put(replace(subscriber, muted_until=until))
        await reply(update, views.muted_text(until))


async def unmute(update: Update, context: Context) -> None:
    if (subscriber := await subscription_to_change(update, context)) is not None:
        services_of(context).store.subscribers.put(replace(subscriber, muted_until=None))
        await reply(update, "🔔 Unmuted: alerts arrive again.")
