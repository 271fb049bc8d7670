"""Alert rules: /filters, /keywords, /exclude, /products, /watch, /timezone, /quiet and /digest.

Thin: parse the arguments, ask the rules service (bot_data["rules"], tradewatch.deliver.rules,
built in bot.py) to validate and apply them, store the subscriber, reply. In groups only
administrators change rules (listing them is open to all). A bad argument gets its reason and
the usage line, and changes nothing. Turning quiet hours or digest mode off sends what was held
as one digest, through the outbox (the deliverer's `release`).
"""
from __future__ import annotations

from typing import Any

from telegram import Update

from handlers import rules_views as rv
from handlers import views
from handlers.common import Context, deliverer_of, may_manage, reply, services_of, subscription
from tradewatch.models import Subscriber


def rules_of(context: Context) -> Any:
    return context.application.bot_data["rules"]


async def filters(update: Update, context: Context) -> None:
    subscriber = subscription(update, context)
    await reply(update, views.NOT_SUBSCRIBED if subscriber is None else rv.filters_text(subscriber))


async def keywords(update: Update, context: Context) -> None:
    await _edit_list(update, context, "keywords")


async def exclude(update: Update, context: Context) -> None:
    await _edit_list(update, context, "exclude")


async def products(update: Update, context: Context) -> None:
    await _edit_list(update, context, "products")


async def watch(update: Update, context: Context) -> None:
    await _edit_list(update, context, "watch")


async def _edit_list(update: Update, context: Context, command: str) -> None:
    subscriber, args = subscription(update, context), context.args
    if subscriber is None:
        await reply(update, views.NOT_SUBSCRIBED)
    elif not args:
        known = rules_of(context).catalog.known() if command == "products" else []
        await reply(update, rv.list_text(subscriber, command) +
                    (f"\n\nKnown products: {rv.esc(', '.join(known))}" if known else ""))
    elif args[0].lower() not in ("add", "remove") or len(args) < 2:
        await reply(update, rv.usage(command))
    elif await _may_change(update, context):
        try:
            edited = rules_of(context).edit(subscriber, rv.LISTS[command][0], args[0].lower(), " ".join(args[1:]))
        except ValueError as exc:            # RuleError: the reason, in one line
            await reply(update, rv.usage(command, f"Not changed: {exc}."))
            return
        services_of(context).store.subscribers.put(edited.subscriber)
        await reply(update, f"✅ {rv.esc(edited.message)}. " + rv.list_text(edited.subscriber, command))


async def timezone(update: Update, context: Context) -> None:
    subscriber = subscription(update, context)
    if subscriber is not None and not context.args:
        await reply(update, f"Time zone: {rv.esc(subscriber.timezone)}. {rv.usage('timezone')}")
        return
    await _set(update, context, "timezone", lambda s, text: rules_of(context).timezone(s, text),
               lambda s: f"🕒 Time zone: {rv.esc(s.timezone)}. Quiet hours and digests follow it.")


async def quiet(update: Update, context: Context) -> None:
    await _set(update, context, "quiet", lambda s, text: rules_of(context).quiet(s, text),
               lambda s: f"🌙 Quiet hours {rv.esc(s.quiet)} ({rv.esc(s.timezone)}): alerts are held and sent "
                         "as one digest when they end; critical official measures still come through."
               if s.quiet else "🔔 Quiet hours off.")


async def digest(update: Update, context: Context) -> None:
    now = services_of(context).clock()
    await _set(update, context, "digest", lambda s, text: rules_of(context).digest(s, text, now),
               lambda s: f"🗞 Daily digest at {rv.esc(s.digest_at)} ({rv.esc(s.timezone)}) instead of single "
                         "alerts; critical official measures still come at once." if s.digest_at else "🔔 Digest off: single alerts again.")


async def _set(update: Update, context: Context, command: str, change, said) -> None:
    subscriber, text = subscription(update, context), "".join(context.args)
    if subscriber is None:
        await reply(update, views.NOT_SUBSCRIBED)
    elif not text:
        await reply(update, rv.usage(command))
    elif await _may_change(update, context):
        try:
            changed = change(subscriber, text)
        except ValueError as exc:
            await reply(update, rv.usage(command, f"Not changed: {exc}."))
            return
        await reply(update, said(await store_and_release(context, changed)))


def toggle(context: Context, subscriber: Subscriber, data: str) -> Subscriber:
    """The /settings buttons: quiet hours (22:00-07:00) and the daily digest (08:00) on or off."""
    rules, now = rules_of(context), services_of(context).clock()
    if data == "set:quiet":
        return rules.quiet(subscriber, "off" if subscriber.quiet else rv.DEFAULT_QUIET)
    return rules.digest(subscriber, "off" if subscriber.digest_at else rv.DEFAULT_DIGEST, now)


async def store_and_release(context: Context, changed: Subscriber) -> Subscriber:
    """Store the subscriber; when its alerts no longer wait, send what it held as one digest."""
    services = services_of(context)
    services.store.subscribers.put(changed)
    if changed.held and not rules_of(context).holds(changed, services.clock()):
        await deliverer_of(context).release(changed.chat_id)
    return services.store.subscribers.get(changed.chat_id) or changed


async def _may_change(update: Update, context: Context) -> bool:
    if await may_manage(update, context):
        return True
    await reply(update, views.GROUP_ADMINS_ONLY)
    return False
