"""/settings: an inline keyboard to toggle topics, "official sources only", countries of interest,
quiet hours and the daily digest, and to clear each alert-rule list (handlers/rules.py has the commands)."""
from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.error import BadRequest

from handlers import views
from handlers.common import Context, answer, may_manage, reply, subscription
from handlers.rules import store_and_release, toggle
from handlers.rules_views import LISTS
from tradewatch.models import TOPICS, Subscriber


def apply_setting(subscriber: Subscriber, data: str) -> tuple[Subscriber, str | None]:
    """The subscriber after pressing the button with this callback data, or why nothing changed."""
    _, kind, value = (data.split(":") + ["", ""])[:3]
    if kind == "topic" and value in TOPICS:
        topics = tuple(t for t in TOPICS if (t in subscriber.topics) != (t == value))
        return (replace(subscriber, topics=topics), None) if topics else \
            (subscriber, "Keep at least one topic (or /unsubscribe).")
    if kind == "official":
        return replace(subscriber, official_only=not subscriber.official_only), None
    if kind == "country" and value == "all":
        return replace(subscriber, countries=()), None
    if kind == "country" and value in views.COUNTRIES:
        chosen = set(subscriber.countries) ^ {value}
        return replace(subscriber, countries=tuple(c for c in views.COUNTRIES if c in chosen)), None
    if kind == "clear" and value in LISTS:
        return replace(subscriber, **{LISTS[value][0]: ()}), None
    return subscriber, "That button is out of date."


async def settings_command(update: Update, context: Context) -> None:
    subscriber = subscription(update, context)
    if subscriber is None:
        await reply(update, views.NOT_SUBSCRIBED)
    else:
        await reply(update, views.settings_text(subscriber), reply_markup=views.settings_keyboard(subscriber))


async def settings_button(update: Update, context: Context) -> None:
    query = update.callback_query
    subscriber = subscription(update, context)
    if subscriber is None:
        await answer(update, views.NOT_SUBSCRIBED, show_alert=True)
        return
    if not await may_manage(update, context):
        await answer(update, views.GROUP_ADMINS_ONLY, show_alert=True)
        return
    if query.data in ("set:quiet", "set:digest"):
        changed, problem = toggle(context, subscriber, query.data), None
    else:
        changed, problem = apply_setting(subscriber, query.data)
    if problem:
        await answer(update, problem, show_alert=True)
        return
    changed = await store_and_release(context, changed)
    await answer(update, "Saved")
    try:
        await query.edit_message_text(views.settings_text(changed), reply_markup=views.settings_keyboard(changed))
    except BadRequest as exc:          # pressed twice quickly: the message already shows this state
        if "not modified" not in exc.message.lower():
            raise
