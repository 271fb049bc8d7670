"""Helpers every handler shares: reaching the services, replying, parsing counts, and who may do what.

Group rules live here: in groups and supergroups only administrators (or the group itself posting
anonymously) may change the subscription, its settings or mute it; admin-only commands check the
user id against ADMIN_IDS. Replies use the Application's defaults (HTML, no link previews).
`reply` and `answer` remember that the update got its answer (`was_answered`), so the error
handler never tells a user "something went wrong" after their reply went out.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import replace
from typing import Any, Sequence

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from handlers import views
from tradewatch.models import Subscriber
from tradewatch.services import Services

Context = ContextTypes.DEFAULT_TYPE
# The update whose reply went out last, in this task: PTB runs a handler and then the error handler
# for its update in one task, so the error handler reads what the handler set.
ANSWERED: ContextVar[int | None] = ContextVar("tradewatch_answered_update", default=None)


def services_of(context: Context) -> Services:
    return context.application.bot_data["services"]


def deliverer_of(context: Context) -> Any:
    return context.application.bot_data["deliverer"]


async def reply(update: Update, texts: str | Sequence[str], **options: Any) -> None:
    """Answer in the chat the update came from, one message per text."""
    for text in [texts] if isinstance(texts, str) else texts:
        await _answering(update, update.effective_message.reply_text(text, **options))


async def reply_with(update: Update, method: str, **options: Any) -> None:
    """Answer with a file: `method` is a Message reply method ("reply_photo", "reply_document")."""
    await _answering(update, getattr(update.effective_message, method)(**options))


async def answer(update: Update, text: str | None = None, **options: Any) -> None:
    """Answer the update's button press (the little notice or alert a user sees)."""
    await _answering(update, update.callback_query.answer(text, **options))


async def _answering(update: Update, call: Any) -> None:
    """Await a reply call; the update counts as answered once Telegram took the reply: the call
    returned, or raised something other than a Bot API error (Telegram answered, but the library
    could not read that answer)."""
    try:
        await call
    except TelegramError:
        raise
    except Exception:
        ANSWERED.set(update.update_id)
        raise
    ANSWERED.set(update.update_id)


def was_answered(update: object) -> bool:
    return isinstance(update, Update) and ANSWERED.get() == update.update_id


def parse_number(args: Sequence[str], default: int, low: int, high: int) -> int | None:
    """The single optional numeric argument within [low, high]; None when it is anything else."""
    if not args:
        return default
    if len(args) != 1 or not args[0].isdigit():
        return None
    value = int(args[0])
    return value if low <= value <= high else None


def is_operator(update: Update, context: Context) -> bool:
    user = update.effective_user
    return user is not None and user.id in services_of(context).settings.admin_ids


async def may_manage(update: Update, context: Context) -> bool:
    """Private chats: always. Groups: the group's administrators and creator only."""
    chat = update.effective_chat
    if chat.type == ChatType.PRIVATE:
        return True
    message = update.message
    if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True                       # an anonymous administrator posting as the group
    user = update.effective_user
    if user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def chat_title(update: Update) -> str:
    chat = update.effective_chat
    return chat.title or chat.full_name or chat.username or str(chat.id)


def subscription(update: Update, context: Context) -> Subscriber | None:
    """This chat's active subscription, if any."""
    found = services_of(context).store.subscribers.get(update.effective_chat.id)
    return found if found is not None and found.active else None


async def subscription_to_change(update: Update, context: Context) -> Subscriber | None:
    """This chat's subscription when the sender may change it (an administrator in groups); else
    None, with the reason already replied (not subscribed, or administrators only)."""
    subscriber = subscription(update, context)
    if subscriber is None:
        await reply(update, views.NOT_SUBSCRIBED)
    elif not await may_manage(update, context):
        await reply(update, views.GROUP_ADMINS_ONLY)
    else:
        return subscriber
    return None


def subscribe(update: Update, context: Context, topics: tuple[str, ...]) -> Subscriber:
    """Create or re-activate this chat's subscription with these topics; other filters are kept."""
    services = services_of(context)
    chat = update.effective_chat
    existing = services.store.subscribers.get(chat.id)
    if existing is None:
        subscriber = Subscriber(chat.id, chat_type=chat.type, topics=topics, created_at=services.clock(),
                                title=chat_title(update))
    else:
        subscriber = replace(existing, active=True, topics=topics, deactivated_reason=None,
                             chat_type=chat.type, title=chat_title(update))
    services.store.subscribers.put(subscriber)
    return subscriber
