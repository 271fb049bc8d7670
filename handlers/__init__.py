"""Every Telegram command, button and membership handler, registered in one place.

`register(app)` adds the handlers and the one error handler; `COMMANDS` is the command menu for
setMyCommands (operator commands are left out of the menu). Handlers are thin: parse the
arguments, ask the core (services.store), render, reply. In groups, `/cmd@botname` works because
PTB matches the bot's username from getMe.
"""
from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ChatMemberHandler, CommandHandler

from handlers import admin, browse, calendar, membership, rules, search, settings, start, subscription, views
from handlers.common import Context, was_answered

log = logging.getLogger(__name__)

COMMANDS: list[tuple[str, str]] = [
    ("start", "What TradeWatch watches; subscribe"),
    ("subscribe", "Subscribe: all, tariffs or exports"),
    ("unsubscribe", "Stop alerts in this chat"),
    ("settings", "Buttons: topics, countries, official only, quiet hours, digest"),
    ("latest", "Newest events: /latest [N]"),
    ("tariffs", "Newest tariff events: /tariffs [N]"),
    ("exports", "Newest export-control events: /exports [N]"),
    ("search", "Search stored events: /search words"),
    ("sources", "Watched sources and their health"),
    ("upcoming", "Coming effective dates and deadlines: /upcoming [DAYS]"),
    ("remind", "Reminders before dates: /remind DAYS or off"),
    ("chart", "Events per week as a chart: /chart [DAYS]"),
    ("filters", "This chat's alert rules"),
    ("keywords", "Alert only on phrases: /keywords add WORDS"),
    ("exclude", "Never alert on phrases: /exclude add WORDS"),
    ("products", "Products or HS codes: /products add NAME"),
    ("watch", "Watchlist of companies: /watch add NAME"),
    ("timezone", "This chat's time zone: /timezone Area/City"),
    ("quiet", "Quiet hours: /quiet 22:00-07:00 or off"),
    ("digest", "Daily digest: /digest 08:00 or off"),
    ("manage", "Change a channel's rules: /manage @channel"),
    ("mute", "Pause alerts: /mute [hours]"),
    ("unmute", "Resume alerts"),
    ("help", "All commands"),
]

HANDLERS = {
    "start": start.start, "help": start.help_command,
    "subscribe": subscription.subscribe_command, "unsubscribe": subscription.unsubscribe,
    "mute": subscription.mute, "unmute": subscription.unmute,
    "settings": settings.settings_command,
    "filters": rules.filters, "keywords": rules.keywords, "exclude": rules.exclude, "products": rules.products,
    "watch": rules.watch, "timezone": rules.timezone, "quiet": rules.quiet, "digest": rules.digest, "manage": rules.manage,
    "latest": browse.latest, "tariffs": browse.tariffs, "exports": browse.exports,
    "sources": browse.sources, "search": search.search,
    "stats": admin.stats, "broadcast": admin.broadcast,
    "upcoming": calendar.upcoming, "remind": calendar.remind, "chart": calendar.chart, "export": calendar.export,
}


def register(app: Application) -> None:
    for command, callback in HANDLERS.items():
        app.add_handler(CommandHandler(command, callback))
    app.add_handler(CallbackQueryHandler(subscription.subscribe_button, pattern=r"^sub:"))
    app.add_handler(CallbackQueryHandler(settings.settings_button, pattern=r"^set:"))
    app.add_handler(ChatMemberHandler(membership.bot_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(on_error)


async def on_error(update: object, context: Context) -> None:
    """Log first; then tell the user briefly, if there is a user to tell and their reply really
    failed (not when it went out and something after it broke, nor when Telegram cannot be reached:
    that message would not arrive either)."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or was_answered(update) or _unreachable(context.error):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(views.SOMETHING_WRONG, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(views.SOMETHING_WRONG)
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", exc)


def _unreachable(error: object) -> bool:
    """Telegram cannot be reached (or asks us to wait): telling the user would fail the same way."""
    return isinstance(error, (NetworkError, RetryAfter)) and not isinstance(error, BadRequest)
