"""Alert rules: /filters, /keywords, /exclude, /products, /watch, /timezone, /quiet, /digest, /manage.

Thin: parse the arguments, ask the rules service (bot_data["rules"], tradewatch.deliver.rules,
built in bot.py) to validate and apply them, store the subscriber, reply. In groups only
administrators change rules (listing them is open to all). A channel's rules are changed from a
private chat: `/manage @channel` (by an administrator of the channel, with the bot an administrator
that can post there) subscribes the channel and points the rule commands of that private chat at
it until `/manage off` (kept in memory: after a restart, /manage again). A bad argument gets its reason and
the usage line, and changes nothing. Turning quiet hours or digest mode off sends what was held
as one digest, through the outbox (the deliverer's `release`).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from handlers import rules_views as rv
from handlers import views
from handlers.common import Context, deliverer_of, may_manage, reply, services_of, subscription
from tradewatch.models import TOPICS, Subscriber

ADMIN = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def rules_of(context: Context) -> Any:
    return context.application.bot_data["rules"]


def managing(context: Context) -> dict[int, int]:
    """user id → the channel whose rules that user's private chat changes."""
    return context.application.bot_data.setdefault("managing", {})


def target(update: Update, context: Context) -> Subscriber | None:
    """The subscription the rule commands act on: this chat's, or the managed channel's."""
    user = update.effective_user
    channel = managing(context).get(user.id) if user and update.effective_chat.type == ChatType.PRIVATE else None
    if channel is None:
        return subscription(update, context)
    found = services_of(context).store.subscribers.get(channel)
    return found if found is not None and found.active else None


async def filters(update: Update, context: Context) -> None:
    subscriber = target(update, context)
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
    subscriber, args = target(update, context), context.args
    if subscriber is None:
        await reply(update, views.NOT_SUBSCRIBED)
    elif not args:
        known = rules_of(context).catalog.known() if command == "products" else []
        await reply(update, rv.list_text(subscriber, command) +
                    (f"\n\nKnown products: {rv.esc(', '.join(known))}" if known else ""))
    elif args[0].lower() not in ("add", "remove") or len(args) < 2:
        await reply(update, rv.usage(command))
    elif await _may_change(update, context, subscriber):
        try:
            edited = rules_of(context).edit(subscriber, rv.LISTS[command][0], args[0].lower(), " ".join(args[1:]))
        except ValueError as exc:            # RuleError: the reason, in one line
            await reply(update, rv.usage(command, f"Not changed: {exc}."))
            return
        services_of(context).store.subscribers.put(edited.subscriber)
        await reply(update, f"✅ {rv.esc(edited.message)}. " + rv.list_text(edited.subscriber, command))


async def timezone(update: Update, context: Context) -> None:
    subscriber = target(update, context)
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
    subscriber, text = target(update, context), "".join(context.args)
    if subscriber is None:
        await reply(update, views.NOT_SUBSCRIBED)
    elif not text:
        await reply(update, rv.usage(command))
    elif await _may_change(update, context, subscriber):
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


async def _may_change(update: Update, context: Context, subscriber: Subscriber) -> bool:
    if subscriber.chat_id != update.effective_chat.id:          # a managed channel: still its admin?
        if await _is_admin(context, subscriber.chat_id, update.effective_user.id):
            return True
        managing(context).pop(update.effective_user.id, None)
        await reply(update, "You are no longer an administrator of that channel: /manage stopped.")
        return False
    if await may_manage(update, context):
        return True
    await reply(update, views.GROUP_ADMINS_ONLY)
    return False


async def _is_admin(context: Context, chat_id: int | str, user_id: int, can_post: bool = False) -> bool:
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status == ChatMemberStatus.OWNER or (
        member.status == ChatMemberStatus.ADMINISTRATOR and (not can_post or bool(member.can_post_messages)))


async def manage(update: Update, context: Context) -> None:
    """/manage @channel · /manage off · /manage: which chat this private chat's rule commands change."""
    user, args = update.effective_user, context.args
    if update.effective_chat.type != ChatType.PRIVATE or user is None:
        await reply(update, "Manage a channel's rules from a private chat with the bot.")
    elif not args:
        channel = managing(context).get(user.id)
        await reply(update, f"Rule commands here change channel {channel}'s rules; /manage off to stop."
                    if channel else rv.usage("manage"))
    elif args[0].lower() == "off":
        managing(context).pop(user.id, None)
        await reply(update, "Rule commands here change this chat's rules again.")
    else:
        await reply(update, await _start_managing(context, user.id, args[0]))


async def _start_managing(context: Context, user_id: int, name: str) -> str:
    try:
        chat = await context.bot.get_chat(name if name.startswith("@") or not name.lstrip("-").isdigit() else int(name))
    except TelegramError:
        return rv.usage("manage", "No such channel, or the bot is not in it.")
    if chat.type != ChatType.CHANNEL:
        return rv.usage("manage", "That chat is not a channel.")
    if not await _is_admin(context, chat.id, user_id):
        return "Only the channel's administrators can manage its rules."
    if not await _is_admin(context, chat.id, context.bot.id, can_post=True):
        return "Make the bot an administrator of the channel that can post messages, then /manage again."
    services = services_of(context)
    existing = services.store.subscribers.get(chat.id)
    if existing is None or not existing.active:
        base = existing or Subscriber(chat.id, chat_type="channel", topics=TOPICS, created_at=services.clock())
        services.store.subscribers.put(replace(base, active=True, deactivated_reason=None, title=chat.title or ""))
    managing(context)[user_id] = chat.id
    return (f"📣 Managing {rv.esc(chat.title or str(chat.id))}: it receives alerts, and /keywords, /exclude, "
            "/products, /watch, /timezone, /quiet, /digest and /filters here now act on it. /manage off to stop.")
