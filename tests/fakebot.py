"""A fake Telegram Bot API server on 127.0.0.1 that the real python-telegram-bot talks to over HTTP.

It answers `/bot<TOKEN>/<method>` like Telegram does where TradeWatch depends on it: form, JSON
and multipart parameters; HTTP status equal to `error_code`; dates in seconds; `getUpdates` with
`offset` and a real long poll; `sendMessage` that checks HTML well-formedness and the 4,096 UTF-16
unit limit after entity parsing; edits, callback answers, commands, `getChat`/`getChatMember`.
Tests script it (`fail_next`, an outage with `fail_for`, non-JSON or unparseable answers with
`answer_raw_next`, `block`, `migrate`, chat admins, the bot's rights in a channel),
inject updates (`send_command`, `press_button`, `chat_member_update`) and inspect what arrived
(`sent`, `calls`, `times`, `callback_answers`), waiting with `await fake.wait_for(pred, timeout)`.
Webhook mode as Telegram has it: `setWebhook` records the URL and secret (`webhook`), `getUpdates`
is refused with 409 while one is set, `deleteWebhook` clears it. `hold_sends_after(n)` lets n
sendMessage calls through and holds the rest unanswered (`held`) until `release_held()`, which
refuses them with 502, unrecorded: a process killed meanwhile sent nothing more.
Stdlib only (ThreadingHTTPServer in a daemon thread), no pytest imports: benchmarks and the
end-to-end test use it too:

    with FakeBotAPI() as fake:          # or fake = FakeBotAPI().start(); ...; fake.stop()
        bot = telegram.Bot(fake.token, base_url=fake.base_url)
"""
from __future__ import annotations

import asyncio
import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

JSON_PARAMS = {"reply_markup", "entities", "caption_entities", "link_preview_options",
               "reply_parameters", "commands", "scope", "allowed_updates"}
MAX_TEXT = 4096
ENTITY_TYPES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
                "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
                "del": "strikethrough", "a": "text_link", "code": "code", "pre": "pre",
                "tg-spoiler": "spoiler", "span": "spoiler", "blockquote": "blockquote",
                "tg-emoji": "custom_emoji"}
TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'"
                 r"|[^\s\"'<>]+))?)*)\s*>")
ATTR = re.compile(r"([A-Za-z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'<>]+)))?")
ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
ADMIN_RIGHTS = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                "can_delete_stories")
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message")


class ApiError(Exception):
    """A Bot API error answer: HTTP status == error_code."""

    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters

    def payload(self) -> dict:
        body = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> tuple[str, list[dict]]:
    """Telegram's HTML parse mode: (visible text, entities) or ApiError 400 "can't parse entities"."""
    out: list[str] = []
    entities: list[dict] = []
    stack: list[tuple[str, int, dict]] = []
    pos = i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = TAG.match(text, i)
            offset = len(text[:i].encode())
            if not match:
                raise _parse_error(f"Unsupported start tag at byte offset {offset}")
            closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
            if name not in ENTITY_TYPES:
                raise _parse_error(f'Unsupported start tag "{name}" at byte offset {offset}')
            if not closing:
                stack.append((name, pos, _attributes(attrs)))
            elif not stack:
                raise _parse_error(f"Unexpected end tag at byte offset {offset}")
            elif stack[-1][0] != name:
                raise _parse_error(f'Unmatched end tag at byte offset {offset}, expected '
                                   f'"</{stack[-1][0]}>", found "</{name}>"')
            else:
                entities.extend(_entity(*stack.pop(), pos))
            i = match.end()
            continue
        match = ENTITY.match(text, i) if char == "&" else None
        piece = _decode(match.group(1)) if match else char
        i = match.end() if match else i + 1
        out.append(piece)
        pos += utf16_len(piece)
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), sorted(entities, key=lambda e: e["offset"])


def _parse_error(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


def _attributes(raw: str) -> dict:
    return {m.group(1).lower(): next((g for g in m.groups()[1:] if g is not None), "")
            for m in ATTR.finditer(raw)}


def _entity(name: str, start: int, attrs: dict, end: int) -> list[dict]:
    if end <= start or (name == "a" and not attrs.get("href")):
        return []
    entity = {"type": ENTITY_TYPES[name], "offset": start, "length": end - start}
    if name == "a":
        entity["url"] = _unescape(attrs["href"])
    return [entity]


def _decode(name: str) -> str:
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    return NAMED[name]


def _unescape(text: str) -> str:
    return ENTITY.sub(lambda m: _decode(m.group(1)), text)


@dataclass
class FakeChat:
    """A chat the fake knows: its type, admins, the bot's standing in it, and scripted states."""

    id: int
    type: str = "private"
    title: str = ""
    username: str = ""
    first_name: str = ""
    admins: set[int] = field(default_factory=set)
    creator: int | None = None
    bot_status: str = "member"          # administrator | member | left | kicked (groups/channels)
    can_post_messages: bool = True
    blocked: bool = False               # private chat: the user blocked the bot
    migrated_to: int | None = None      # group upgraded to a supergroup

    def json(self) -> dict:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass
class SentMessage:
    """A message the bot sent, as the fake recorded it."""

    chat_id: int
    message_id: int
    text: str                           # the visible text after entity parsing
    raw: str                            # the text parameter exactly as sent
    parse_mode: str | None
    entities: list[dict]
    reply_markup: dict | None
    link_preview_options: dict | None
    date: int
    at: float                           # time.monotonic() when it was accepted
    params: dict = field(default_factory=dict)       # every parameter of the sendMessage call
    edits: list[str] = field(default_factory=list)   # raw text of each successful edit
    deleted: bool = False


@dataclass
class _Failure:
    method: str
    chat_id: str | None
    error: ApiError | RawAnswer
    times: int
    until: float | None = None          # time.monotonic() deadline instead of a count


@dataclass
class RawAnswer(Exception):
    """An answer that is not the Bot API's JSON: a proxy's HTML page, a result PTB cannot parse."""

    status: int
    body: bytes
    content_type: str = "text/html"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    fake: "FakeBotAPI"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"            # keep-alive, as Telegram
    disable_nagle_algorithm = True           # no 40 ms delayed-ACK stalls between small writes
    wbufsize = 1 << 16                       # headers and body leave in one write
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload = self.server.fake.handle(url.path, url.query, self.headers.get("Content-Type", ""), body)
        raw = isinstance(payload, RawAnswer)
        data = payload.body if raw else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", payload.content_type if raw else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        pass


def parse_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Query string plus a form, multipart or JSON body; structured params JSON-decoded."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if content_type.startswith("application/json"):
        params.update(json.loads(body or b"{}"))
    elif content_type.startswith("multipart/form-data"):
        params.update(_multipart(content_type, body))
    elif body:
        params.update(parse_qsl(body.decode(), keep_blank_values=True))
    for key in JSON_PARAMS & params.keys():
        if isinstance(params[key], str):
            params[key] = json.loads(params[key])
    return params


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        fields[name] = payload if part.get_filename() else payload.decode()
    return fields


class FakeBotAPI:
    """The fake server plus its scripting and inspection API. Thread-safe; start() before use."""

    def __init__(self, token: str = "123456789:TEST-fake-token", username: str = "tradewatch_test_bot",
                 latency: float = 0.0):
        self.token = token
        self.username = username
        self.bot_id = int(token.split(":")[0])
        self.latency = latency                      # seconds added to every answer but getUpdates
        self.calls: Counter[str] = Counter()        # method → requests received
        self.times: dict[str, list[float]] = defaultdict(list)   # method → monotonic arrival times
        self.callback_answers: list[dict] = []
        self.commands: list[dict] = []
        self.chats: dict[int, FakeChat] = {}
        self._cond = threading.Condition(threading.RLock())
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = {}
        self._messages: dict[tuple[int, int], dict] = {}
        self._sent: list[SentMessage] = []
        self._failures: list[_Failure] = []
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._closing = False
        self.in_flight = self.most_in_flight = 0        # requests being answered now / at most at once
        self.webhook: dict[str, str] = {}               # url and secret_token from setWebhook
        self.held = 0                                   # sendMessage calls being held now
        self._sends_allowed: int | None = None          # hold_sends_after: sends still let through
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> "FakeBotAPI":
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-bot-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._closing = True
            self._changed()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeBotAPI":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The Bot API root, as TELEGRAM_API_URL: http://127.0.0.1:PORT."""
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """What telegram.Bot(base_url=…) and ApplicationBuilder.base_url(…) take."""
        return f"{self.url}/bot"

    @property
    def bot_user(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": "TradeWatch", "username": self.username}

    # ---- scripting -------------------------------------------------------------------------
    def add_chat(self, chat_id: int, type: str = "private", *, title: str = "", username: str = "",  # noqa: A002
                 first_name: str = "", admins: tuple[int, ...] = (), creator: int | None = None,
                 bot_status: str | None = None, can_post_messages: bool = True) -> FakeChat:
        """Register (or replace) a chat. Channels default to the bot being an administrator."""
        status = bot_status or ("administrator" if type == "channel" else "member")
        chat = FakeChat(chat_id, type, title or ("" if type == "private" else f"Chat {chat_id}"),
                        username.lstrip("@"), first_name or ("User" if type == "private" else ""),
                        set(admins), creator, status, can_post_messages)
        with self._cond:
            self.chats[chat_id] = chat
        return chat

    def set_admins(self, chat_id: int, user_ids: tuple[int, ...] | list[int], creator: int | None = None) -> None:
        with self._cond:
            chat = self.chats[chat_id]
            chat.admins, chat.creator = set(user_ids), creator if creator is not None else chat.creator

    def set_bot_status(self, chat_id: int, status: str, can_post_messages: bool = True) -> None:
        with self._cond:
            self.chats[chat_id].bot_status = status
            self.chats[chat_id].can_post_messages = can_post_messages

    def block(self, chat_id: int, notify: bool = False) -> None:
        """From now on every send to this private chat is 403 "bot was blocked by the user"."""
        with self._cond:
            self._ensure_chat(chat_id, "private").blocked = True
        if notify:
            self.chat_member_update(chat_id, "kicked")

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        """The group becomes a supergroup: every later call on the old id answers migrate_to_chat_id."""
        with self._cond:
            old = self.chats[chat_id]
            old.migrated_to = new_chat_id
            self.chats[new_chat_id] = FakeChat(new_chat_id, "supergroup", old.title, "", "",
                                               set(old.admins), old.creator, old.bot_status)

    def fail_next(self, method: str, chat_id: int | str | None = None, error_code: int = 429,
                  description: str | None = None, retry_after: int | None = None,
                  migrate_to_chat_id: int | None = None, times: int = 1) -> None:
        """The next `times` calls of `method` (for that chat, if given) fail with this error."""
        params: dict[str, int] = {}
        if migrate_to_chat_id is not None:
            params["migrate_to_chat_id"] = migrate_to_chat_id
            error_code = 400 if error_code == 429 else error_code
            with self._cond:
                if migrate_to_chat_id not in self.chats:
                    self.add_chat(migrate_to_chat_id, "supergroup")
        elif error_code == 429:
            params["retry_after"] = retry_after if retry_after is not None else 1
        default = {400: "Bad Request: group chat was upgraded to a supergroup chat" if migrate_to_chat_id
                   else "Bad Request: scripted failure",
                   403: "Forbidden: bot was blocked by the user",
                   429: f"Too Many Requests: retry after {params.get('retry_after')}"}
        error = ApiError(error_code, description or default.get(error_code, "Internal Server Error"), params)
        with self._cond:
            self._failures.append(_Failure(method.lower(), None if chat_id is None else str(chat_id),
                                           error, times))

    def fail_for(self, method: str, seconds: float, error_code: int = 502,
                 description: str = "Bad Gateway", chat_id: int | str | None = None) -> float:
        """Every call of `method` (for that chat, if given) fails for the next `seconds`: an outage.
        Returns the time.monotonic() at which it ends."""
        until = time.monotonic() + seconds
        with self._cond:
            self._failures.append(_Failure(method.lower(), None if chat_id is None else str(chat_id),
                                           ApiError(error_code, description), 0, until))
        return until

    def answer_raw_next(self, method: str, body: bytes | str, status: int = 200, chat_id: int | str | None = None,
                        content_type: str = "text/html", times: int = 1) -> None:
        """The next `times` calls of `method` are answered with these bytes, not the API's JSON:
        a proxy's error page, or JSON whose result PTB cannot parse (the call itself does nothing)."""
        raw = RawAnswer(status, body.encode() if isinstance(body, str) else body, content_type)
        with self._cond:
            self._failures.append(_Failure(method.lower(), None if chat_id is None else str(chat_id), raw, times))

    def hold_sends_after(self, count: int) -> None:
        """Let `count` more sendMessage calls through, then hold every further one unanswered."""
        with self._cond:
            self._sends_allowed = count

    def release_held(self) -> None:
        """Stop holding: the held calls are refused with 502 (nothing recorded), later ones served."""
        with self._cond:
            self._sends_allowed = None
            self._changed()

    def _hold(self) -> None:
        """Called for each sendMessage: wait while holding; ApiError 502 for a call held then released."""
        with self._cond:
            if self._sends_allowed is None:
                return
            if self._sends_allowed > 0:
                self._sends_allowed -= 1
                return
            self.held += 1
            self._changed()
            self._cond.wait_for(lambda: self._sends_allowed is None or self._closing)
            self.held -= 1
        raise ApiError(502, "Bad Gateway")

    # ---- injecting updates -----------------------------------------------------------------
    def send_command(self, chat_id: int, text: str, *, user_id: int | None = None,
                     chat_type: str = "private", username: str | None = None,
                     first_name: str = "Tester", title: str = "") -> int:
        """A user writes `text` (a /command gets its bot_command entity). Returns the update_id."""
        user_id = user_id if user_id is not None else (chat_id if chat_type == "private" else 1000)
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        with self._cond:
            chat = self._ensure_chat(chat_id, chat_type, title=title, first_name=first_name,
                                     username=username or "")
            message = {"message_id": self._next_message_id(chat_id), "date": int(time.time()),
                       "chat": chat.json(), "from": user, "text": text}
            command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
            if command:
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}]
            self._messages[(chat_id, message["message_id"])] = message
            return self._push({"message": message})

    def press_button(self, chat_id: int, message_id: int, data: str, user_id: int | None = None,
                     first_name: str = "Tester") -> int:
        """A user presses an inline button under one of the bot's messages. Returns the update_id."""
        with self._cond:
            message = self._messages[(chat_id, message_id)]
            query = {"id": str(next(self._callback_ids)),
                     "from": {"id": user_id if user_id is not None else chat_id, "is_bot": False,
                              "first_name": first_name},
                     "chat_instance": f"instance{chat_id}", "message": message, "data": data}
            return self._push({"callback_query": query})

    def chat_member_update(self, chat_id: int, new_status: str, *, old_status: str = "member",
                           user_id: int | None = None) -> int:
        """The bot's own membership changed (blocked = "kicked" in a private chat)."""
        with self._cond:
            chat = self._ensure_chat(chat_id, "private")
            sender = {"id": user_id if user_id is not None else chat_id, "is_bot": False, "first_name": "Tester"}
            update = {"chat": chat.json(), "from": sender, "date": int(time.time()),
                      "old_chat_member": self._member(chat, self.bot_user, old_status),
                      "new_chat_member": self._member(chat, self.bot_user, new_status)}
            return self._push({"my_chat_member": update})

    # ---- inspection ------------------------------------------------------------------------
    def sent(self, chat_id: int | str | None = None) -> list[SentMessage]:
        """Messages the bot sent (to one chat: its id or @username), oldest first."""
        with self._cond:
            if chat_id is None:
                return list(self._sent)
            target = self._resolve(chat_id, strict=False)
            return [m for m in self._sent if m.chat_id == target]

    def message(self, chat_id: int, message_id: int) -> dict | None:
        with self._cond:
            return self._messages.get((chat_id, message_id))

    def pending_updates(self) -> int:
        with self._cond:
            return len(self._updates)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0,
                       what: str = "condition") -> None:
        """Await `predicate()` on this loop; woken by every request the fake serves and re-checked
        every 50 ms (for state outside the fake, e.g. the store). TimeoutError after `timeout`."""
        loop = asyncio.get_running_loop()
        waiter = (loop, asyncio.Event())
        deadline = loop.time() + timeout
        with self._cond:
            self._waiters.add(waiter)
        try:
            while not predicate():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"{what} not reached within {timeout} s")
                try:
                    await asyncio.wait_for(waiter[1].wait(), min(0.05, remaining))
                except TimeoutError:
                    pass
                waiter[1].clear()
        finally:
            with self._cond:
                self._waiters.discard(waiter)

    def wait_for_sync(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Blocking variant for threads and subprocess tests: waits on the fake's condition."""
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    # ---- the HTTP side ---------------------------------------------------------------------
    def handle(self, path: str, query: str, content_type: str, body: bytes) -> tuple[int, dict]:
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", path)
        if not match:
            return 404, ApiError(404, "Not Found").payload()
        if match.group(1) != self.token:
            return 401, ApiError(401, "Unauthorized").payload()
        api = self._methods().get(match.group(2).lower())
        name = api.__name__.lstrip("_") if api else match.group(2)
        with self._cond:
            self.calls[name] += 1
            self.times[name].append(time.monotonic())
        if api is None:
            return 404, ApiError(404, "Not Found").payload()
        if name != "getUpdates":
            self._count_in_flight(+1)
        try:
            return self._answer(name, api, query, content_type, body)
        finally:
            if name != "getUpdates":
                self._count_in_flight(-1)

    def _count_in_flight(self, step: int) -> None:
        with self._cond:
            self.in_flight += step
            self.most_in_flight = max(self.most_in_flight, self.in_flight)

    def _answer(self, name: str, api: Callable[[dict], Any], query: str, content_type: str,
                body: bytes) -> tuple[int, Any]:
        if self.latency and name != "getUpdates":
            time.sleep(self.latency)
        try:
            params = parse_params(query, content_type, body)
            with self._cond:
                self._scripted(name, params)
            return 200, {"ok": True, "result": api(params)}
        except ApiError as exc:
            return exc.code, exc.payload()
        except RawAnswer as raw:
            return raw.status, raw
        except (KeyError, ValueError, TypeError) as exc:
            return 400, ApiError(400, f"Bad Request: {exc}").payload()
        finally:
            with self._cond:
                self._changed()

    def _methods(self) -> dict[str, Callable[[dict], Any]]:
        api = (self.getMe, self.logOut, self.close, self.setWebhook, self.deleteWebhook, self.getWebhookInfo,
               self.getUpdates, self.sendMessage, self.editMessageText, self.editMessageReplyMarkup,
               self.deleteMessage, self.answerCallbackQuery, self.setMyCommands, self.getMyCommands,
               self.deleteMyCommands, self.getChat, self.getChatMember, self.sendChatAction)
        return {f.__name__.lower(): f for f in api}

    def _scripted(self, method: str, params: dict) -> None:
        chat_id = str(params.get("chat_id")) if "chat_id" in params else None
        for failure in list(self._failures):
            if failure.method == method.lower() and failure.chat_id in (None, chat_id):
                if failure.until is not None:
                    if time.monotonic() >= failure.until:
                        self._failures.remove(failure)
                        continue
                else:
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                raise failure.error

    def _changed(self) -> None:
        """Wake blocking waiters and every awaiting wait_for (called with the lock held)."""
        self._cond.notify_all()
        for loop, event in list(self._waiters):
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:        # that loop is closed
                self._waiters.discard((loop, event))

    # ---- Bot API methods (names as Telegram spells them) -----------------------------------
    def getMe(self, params: dict) -> dict:  # noqa: N802
        return self.bot_user

    def logOut(self, params: dict) -> bool:  # noqa: N802
        return True

    def close(self, params: dict) -> bool:
        return True

    def setWebhook(self, params: dict) -> bool:  # noqa: N802
        with self._cond:
            self.webhook = {"url": str(params["url"]), "secret_token": str(params.get("secret_token", ""))}
        return True

    def deleteWebhook(self, params: dict) -> bool:  # noqa: N802
        with self._cond:
            self.webhook = {}
            if params.get("drop_pending_updates") in ("true", "True", True):
                self._updates.clear()
        return True

    def getWebhookInfo(self, params: dict) -> dict:  # noqa: N802
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": self.pending_updates()}

    def getUpdates(self, params: dict) -> list[dict]:  # noqa: N802
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        with self._cond:
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._cond.wait_for(lambda: self._closing or bool(self._updates), timeout)
            return [] if self._closing else self._updates[:limit]

    def sendMessage(self, params: dict) -> dict:  # noqa: N802
        self._hold()
        with self._cond:
            chat = self._writable_chat(params["chat_id"])
            raw = str(params.get("text", ""))
            text, entities = self._text(raw, params.get("parse_mode"))
            message = {"message_id": self._next_message_id(chat.id), "date": int(time.time()),
                       "chat": chat.json(), "text": text}
            message.update({"sender_chat": chat.json()} if chat.type == "channel" else {"from": self.bot_user})
            markup = params.get("reply_markup")
            self._decorate(message, entities, markup)
            self._messages[(chat.id, message["message_id"])] = message
            self._sent.append(SentMessage(chat.id, message["message_id"], text, raw, params.get("parse_mode"),
                                          entities, markup, params.get("link_preview_options"),
                                          message["date"], time.monotonic(), dict(params)))
            return message

    def editMessageText(self, params: dict) -> dict:  # noqa: N802
        with self._cond:
            message, record = self._editable(params, "edit")
            raw = str(params.get("text", ""))
            text, entities = self._text(raw, params.get("parse_mode"))
            markup = params.get("reply_markup")
            if text == message["text"] and entities == message.get("entities", []) \
                    and markup == message.get("reply_markup"):
                raise ApiError(400, NOT_MODIFIED)
            message["text"] = text
            message.pop("entities", None)
            message.pop("reply_markup", None)
            self._decorate(message, entities, markup)
            message["edit_date"] = int(time.time())
            if record:
                record.text, record.entities, record.reply_markup = text, entities, markup
                record.edits.append(raw)
            return message

    def editMessageReplyMarkup(self, params: dict) -> dict:  # noqa: N802
        with self._cond:
            message, record = self._editable(params, "edit")
            markup = params.get("reply_markup")
            if markup == message.get("reply_markup") or (not markup and "reply_markup" not in message):
                raise ApiError(400, NOT_MODIFIED)
            message.pop("reply_markup", None)
            self._decorate(message, message.get("entities", []), markup)
            message["edit_date"] = int(time.time())
            if record:
                record.reply_markup = markup
            return message

    def deleteMessage(self, params: dict) -> bool:  # noqa: N802
        with self._cond:
            message, record = self._editable(params, "delete")
            self._messages.pop((message["chat"]["id"], message["message_id"]))
            if record:
                record.deleted = True
            return True

    def answerCallbackQuery(self, params: dict) -> bool:  # noqa: N802
        with self._cond:
            self.callback_answers.append(dict(params))
        return True

    def setMyCommands(self, params: dict) -> bool:  # noqa: N802
        with self._cond:
            self.commands = list(params.get("commands") or [])
        return True

    def getMyCommands(self, params: dict) -> list[dict]:  # noqa: N802
        with self._cond:
            return list(self.commands)

    def deleteMyCommands(self, params: dict) -> bool:  # noqa: N802
        with self._cond:
            self.commands = []
        return True

    def getChat(self, params: dict) -> dict:  # noqa: N802
        with self._cond:
            chat = self.chats[self._resolve(params["chat_id"])]
            if chat.type == "channel" and chat.bot_status in ("left", "kicked"):
                raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
            gifts = dict.fromkeys(("unlimited_gifts", "limited_gifts", "unique_gifts",
                                   "premium_subscription", "gifts_from_channels"), False)
            return {**chat.json(), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    def getChatMember(self, params: dict) -> dict:  # noqa: N802
        with self._cond:
            chat = self.chats[self._resolve(params["chat_id"])]
            user_id = int(params["user_id"])
            if user_id == self.bot_id:
                return self._member(chat, self.bot_user, chat.bot_status)
            user = {"id": user_id, "is_bot": False, "first_name": "Tester"}
            status = "creator" if user_id == chat.creator else \
                "administrator" if user_id in chat.admins else "member"
            return self._member(chat, user, status)

    def sendChatAction(self, params: dict) -> bool:  # noqa: N802
        with self._cond:
            self._writable_chat(params["chat_id"])
        return True

    # ---- helpers (called with the lock held) -----------------------------------------------
    def _push(self, update: dict) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        self._changed()
        return update_id

    def _ensure_chat(self, chat_id: int, chat_type: str, **names: str) -> FakeChat:
        if chat_id not in self.chats:
            self.add_chat(chat_id, chat_type, **{k: v for k, v in names.items() if v})
        return self.chats[chat_id]

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _resolve(self, chat_id: int | str, strict: bool = True) -> int:
        raw = str(chat_id)
        if raw.startswith("@"):
            found = next((c.id for c in self.chats.values() if c.username.lower() == raw[1:].lower()), None)
            if found is None and strict:
                raise ApiError(400, "Bad Request: chat not found")
            return found if found is not None else 0
        if strict and int(raw) not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        return int(raw)

    def _writable_chat(self, chat_id: int | str) -> FakeChat:
        chat = self.chats[self._resolve(chat_id)]
        if chat.migrated_to is not None:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": chat.migrated_to})
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.type == "channel":
            if chat.bot_status in ("left", "kicked"):
                raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
            if chat.bot_status != "administrator" or not chat.can_post_messages:
                raise ApiError(400, "Bad Request: need administrator rights in the channel chat")
        elif chat.type != "private" and chat.bot_status in ("left", "kicked"):
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        return chat

    def _text(self, raw: str, parse_mode: str | None) -> tuple[str, list[dict]]:
        text, entities = parse_html(raw) if (parse_mode or "").lower() == "html" else (raw, [])
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    @staticmethod
    def _decorate(message: dict, entities: list[dict], markup: dict | None) -> None:
        if entities:
            message["entities"] = entities
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup

    def _editable(self, params: dict, verb: str) -> tuple[dict, SentMessage | None]:
        if "chat_id" not in params or "message_id" not in params:
            raise ApiError(400, "Bad Request: inline messages are not supported by the fake")
        chat_id = self._resolve(params["chat_id"])
        key = (chat_id, int(params["message_id"]))
        message = self._messages.get(key)
        if message is None or message.get("from", {}).get("id", self.bot_id) != self.bot_id:
            raise ApiError(400, f"Bad Request: message to {verb} not found")
        record = next((m for m in self._sent if (m.chat_id, m.message_id) == key), None)
        return message, record

    def _member(self, chat: FakeChat, user: dict, status: str) -> dict:
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "administrator":
            member.update(dict.fromkeys(ADMIN_RIGHTS, True), is_anonymous=False, can_be_edited=False)
            if chat.type == "channel":
                member.update(can_post_messages=chat.can_post_messages, can_edit_messages=True)
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "kicked":
            member["until_date"] = 0
        return member
