"""my_chat_member updates: when a user blocks the bot or a group removes it, stop sending there."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus

from handlers.common import Context, services_of

log = logging.getLogger(__name__)
GONE = (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)


async def bot_membership(update: Update, context: Context) -> None:
    change = update.my_chat_member
    status = change.new_chat_member.status
    if status in GONE:
        chat_type = change.chat.type
        reason = "blocked the bot" if chat_type == "private" else f"bot removed from the {chat_type}"
        log.info("chat %s: %s; deactivating", change.chat.id, reason)
        services_of(context).store.subscribers.deactivate(change.chat.id, reason)
