"""One message to Telegram: the sender behind the outbox, the only code that calls the Bot API to alert.

`Sender.send` and `Sender.edit` run one sendMessage or editMessageText under the paced limits of
`ratelimit` (the overall rate's turn is taken right before the request goes on the wire when the
bot's transport is `FanoutRequest`) with the retries both share: RetryAfter pauses every send for the
time asked and retries the same message; a formatting BadRequest is retried as plain text; network
errors and timeouts back off (BACKOFF) and are then left for later. Forbidden and "chat not found"
deactivate the subscriber (for the channel: an error in the log); ChatMigrated moves the subscriber
and its outbox and resends to the new id. Any other exception from the library (an answer it cannot
parse, a bug) stays in that one message: logged as one line and left for later ("broken"), never
raised to the outbox. `classify` names what a Bot API error means to delivery; `Outcome` is what
one send came to; `describe` is an error as one line.
"""
from __future__ import annotations

import asyncio
import json
import logging
import warnings
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, Awaitable, Callable

from telegram import LinkPreviewOptions
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from tradewatch.deliver.ratelimit import Limits, chat_key
from tradewatch.deliver.render import plain_text
from tradewatch.deliver.transport import WIRE_GATE, FanoutRequest
from tradewatch.models import Delivery

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
NO_PREVIEW_JSON = json.dumps(NO_PREVIEW.to_dict())   # as PTB would serialise it, once, not once a send
RAW_SEND_WARNING = r"Please use 'Bot\.sendMessage' instead of 'Bot\.do_api_request\(\"sendMessage\""
BACKOFF = (1.0, 2.0, 4.0)          # seconds between retries of a network error or timeout
FLOOD_RETRIES = 5                  # RetryAfter answers honoured for one message before leaving it pending
Sleep = Callable[[float], Awaitable[Any]]

@dataclass(frozen=True)
class Outcome:
    """What one send came to: a message id, or an error that is final or worth retrying later."""

    chat_id: int | str
    message_id: int | None = None
    error: str | None = None
    final: bool = False

    @property
    def sent(self) -> bool:
        return self.message_id is not None


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after is an int (deprecated) or a timedelta, depending on PTB_TIMEDELTA."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def describe(error: BaseException) -> str:
    """An error as one line: "Forbidden: bot was blocked by the user", "TypeError: …" (the class
    name once, though PTB's Forbidden message already starts with it)."""
    text = error.message if isinstance(error, TelegramError) else str(error)
    text = " ".join(text.split())[:300] or "(no message)"
    name = type(error).__name__
    return text if text.startswith(f"{name}:") else f"{name}: {text}"


def classify(error: BaseException) -> str:
    """One word for what an error means to delivery (BadRequest before NetworkError); "broken" for
    anything that is not a Bot API error (an answer the library could not read)."""
    if not isinstance(error, TelegramError):
        return "broken"
    text = error.message.lower()
    if isinstance(error, RetryAfter):
        return "flood"
    if isinstance(error, ChatMigrated):
        return "migrated"
    if isinstance(error, Forbidden):
        return "forbidden"
    if isinstance(error, BadRequest):
        for needle, verdict in (("parse entities", "parse"), ("can't find end", "parse"),
                                ("unsupported start tag", "parse"), ("chat not found", "gone"),
                                ("not modified", "unchanged"), ("message to edit not found", "lost"),
                                ("message can't be edited", "lost"), ("too long", "too_long")):
            if needle in text:
                return verdict
        return "bad_request"
    if isinstance(error, NetworkError):      # TimedOut included
        return "network"
    return "other"


class Sender:
    """Sends and edits one message at a time for the outbox (and admin texts), within the limits."""

    def __init__(self, bot: Any, services: Any, limits: Limits, *, channel: int | str | None,
                 paid: bool, concurrency: int, sleep: Sleep = asyncio.sleep,
                 backoff: tuple[float, ...] = BACKOFF):
        self.channel = channel
        self.moved: dict[str, int | str] = {}       # chat key → the id it migrated to
        self._bot = bot
        self._services = services
        self._limits = limits
        self._paid = {"allow_paid_broadcast": True} if paid else {}
        self._sleep = sleep
        self._backoff = backoff
        self._gated = isinstance(getattr(bot, "request", None), FanoutRequest)
        self._slots = asyncio.Semaphore(concurrency)
        _allow_raw_sends()

    async def check_channel(self) -> str | None:
        """None when the channel is usable (or none is set); otherwise what is wrong, for the operator."""
        if self.channel is None:
            return None
        channel = self.channel
        try:
            chat = await self._bot.get_chat(channel)
            me = await self._bot.get_me()
            member = await self._bot.get_chat_member(channel, me.id)
        except Forbidden as exc:
            return f"the bot cannot access channel {channel} ({exc.message}); add it as an administrator"
        except BadRequest as exc:
            if "not found" in exc.message.lower():
                return f"channel {channel} not found ({exc.message}); check TELEGRAM_CHANNEL"
            return f"cannot check channel {channel}: {exc.message}"
        except Exception as exc:        # noqa: BLE001 (a check must not stop start-up)
            return f"cannot check channel {channel}: {describe(exc)}"
        return _channel_rights_problem(channel, chat.type, member)

    async def attempt(self, chat_id: int | str, markup: str, call: Callable[..., Awaitable[Any]]
                      ) -> tuple[Any, str | None, Exception | None]:
        """call(text, parse_mode) under the limits, with the retries sends and edits share.

        RetryAfter is waited out (everything pauses), a formatting error is retried as plain
        text, network errors back off. Returns (result, None, None) or (None, verdict, error)."""
        text, mode, floods, failures = markup, ParseMode.HTML, 0, 0
        while True:
            await self._limits.wait_chat(chat_id)
            try:
                async with self._slots:
                    return await self._paced(call, text, mode), None, None
            except Exception as exc:        # noqa: BLE001 (anything from the library stays in this message)
                error, verdict = exc, classify(exc)
            if verdict == "flood" and floods < FLOOD_RETRIES:
                floods += 1
                log.warning("Telegram asks to wait %.0f s (chat %s)", retry_seconds(error), chat_id)
                await self._limits.pause(retry_seconds(error), self._sleep)
            elif verdict == "parse" and mode is not None:
                log.warning("chat %s: %s; sending as plain text", chat_id, describe(error))
                text, mode = plain_text(markup), None
            elif verdict == "network" and failures < len(self._backoff):
                await self._sleep(self._backoff[failures])
                failures += 1
            else:
                return None, verdict, error

    async def _paced(self, call: Callable[..., Awaitable[Any]], text: str, mode: str | None) -> Any:
        """call(text, mode) on the overall rate's turn: taken by FanoutRequest right before the
        request goes on the wire (WIRE_GATE), or here first with any other transport."""
        if not self._gated:
            await self._limits.wait_overall()
            return await call(text, mode)
        token = WIRE_GATE.set(self._limits.wait_overall)
        try:
            return await call(text, mode)
        finally:
            WIRE_GATE.reset(token)

    async def send(self, chat_id: int | str, markup: str) -> Outcome:
        for _ in range(3):               # a chat migrates once; guard against loops anyway
            call = partial(self._send_call, chat_id)
            message_id, verdict, error = await self.attempt(chat_id, markup, call)
            if message_id is not None:
                return Outcome(chat_id, message_id=message_id)
            if verdict != "migrated":
                return self._settle(chat_id, verdict, error)
            chat_id = self._migrate(chat_id, error.new_chat_id)
        return Outcome(chat_id, error="chat keeps migrating")

    async def _send_call(self, chat_id: int | str, text: str, mode: str | None) -> int:
        """sendMessage, its answer read as a raw dict (building PTB's Message costs more than
        sending it): the message id, or an error raised inside the attempt."""
        params = {"chat_id": chat_id, "text": text, "link_preview_options": NO_PREVIEW_JSON, **self._paid}
        if mode is not None:
            params["parse_mode"] = mode
        answer = await self._bot.do_api_request("sendMessage", api_kwargs=params)
        return int(answer["message_id"])

    def _settle(self, chat_id: int | str, verdict: str | None, error: Exception | None) -> Outcome:
        """Turn a send that did not go out into an outcome; deactivate chats that are gone."""
        reason = describe(error) if error else "unknown error"
        if verdict in ("forbidden", "gone"):
            self._chat_gone(chat_id, reason)
            return Outcome(chat_id, error=reason, final=True)
        if verdict in ("flood", "network", "other", "broken"):
            log.warning("chat %s: %s; left pending", chat_id, reason)
            return Outcome(chat_id, error=reason, final=False)
        log.error("chat %s: %s; delivery failed", chat_id, reason)
        return Outcome(chat_id, error=reason, final=True)

    def _chat_gone(self, chat_id: int | str, reason: str) -> None:
        if self._is_channel(chat_id):
            log.error("cannot post to channel %s: %s (make the bot an administrator with post rights)",
                      chat_id, reason)
            return
        log.info("deactivating chat %s: %s", chat_id, reason)
        self._services.store.subscribers.deactivate(chat_id, reason)

    def _migrate(self, old: int | str, new: int | str) -> int | str:
        log.info("chat %s migrated to %s", old, new)
        self._services.store.subscribers.migrate(old, new)
        self._services.store.deliveries.move_chat(old, new)
        self.moved[chat_key(old)] = new
        if self._is_channel(old):
            self.channel = new
        return new

    def _is_channel(self, chat_id: int | str) -> bool:
        return self.channel is not None and chat_key(chat_id) == chat_key(self.channel)

    async def edit(self, delivery: Delivery, markup: str) -> bool:
        """Edit one sent alert. True when there is nothing more to do (edited, unchanged or gone)."""
        call = partial(self._edit_call, delivery.chat_id, delivery.message_id)
        message, verdict, error = await self.attempt(delivery.chat_id, markup, call)
        if message is not None or verdict in ("unchanged", "lost", "migrated", "bad_request", "too_long"):
            return True
        if verdict in ("forbidden", "gone"):
            self._chat_gone(delivery.chat_id, describe(error))
            return True
        log.warning("edit of %s in %s left for later: %s", delivery.event_id, delivery.chat_id, describe(error))
        return False

    async def _edit_call(self, chat_id: int | str, message_id: int, text: str, mode: str | None) -> Any:
        return await self._bot.edit_message_text(text, chat_id=chat_id, message_id=message_id,
                                                 parse_mode=mode, link_preview_options=NO_PREVIEW)


def _allow_raw_sends() -> None:
    """`_send_call` uses do_api_request("sendMessage") on purpose: silence exactly PTB's advice
    against it (idempotent; a filter, as warnings are process-wide and sends run concurrently)."""
    warnings.filterwarnings("ignore", message=RAW_SEND_WARNING, category=PTBUserWarning)


def _channel_rights_problem(channel: int | str, chat_type: str, member: Any) -> str | None:
    if member.status == ChatMemberStatus.OWNER:
        return None
    if member.status != ChatMemberStatus.ADMINISTRATOR:
        return (f"the bot is not an administrator of channel {channel} (status: {member.status}); "
                f"add it as an administrator with the 'Post messages' right")
    if chat_type == "channel" and not getattr(member, "can_post_messages", False):
        return f"the bot is an administrator of channel {channel} but lacks the 'Post messages' right"
    return None
