"""/start and /help: what TradeWatch watches, how to use it, and the subscribe buttons."""
from __future__ import annotations

from telegram import Update

from handlers import views
from handlers.common import Context, reply, services_of


async def start(update: Update, context: Context) -> None:
    text = views.start_text(services_of(context).sources)
    await reply(update, text, reply_markup=views.start_keyboard())


async def help_command(update: Update, context: Context) -> None:
    from handlers import COMMANDS
    await reply(update, views.help_text(COMMANDS))
