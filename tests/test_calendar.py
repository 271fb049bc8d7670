"""The compliance calendar end to end: the real Application against the fake Bot API, a local
Federal Register server, a durable store and an injected clock (no sleeps: every wait is bounded).

A document effective tomorrow with a comment deadline in four days: a chat with `/remind 2` gets
the effective-date reminder right after the alert, the deadline reminder only at 09:00 two days
before it, each once, across a restart; `/upcoming` lists both dates; `bot.py export` (run while
the bot holds the database) and `/export` include the alert's delivery; `/chart` sends a PNG.
"""
from __future__ import annotations

import csv
import io
import json
import time
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

import bot as composition
from storage import open_store
from tests.fakebot import ApiError, FakeBotAPI
from tests.test_cli import bot, catalog, env_for, fr_entry
from tradewatch.deliver.records import DELIVERY_COLUMNS, EVENT_COLUMNS
from tradewatch.ingest.fetch import Fetcher
from tradewatch.jobs import Watch
from tradewatch.models import UTC, Source
from tradewatch.services import Services
from tradewatch.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "calendar"
JSON = {"Content-Type": "application/json; charset=utf-8"}
USER, OTHER, ADMIN = 5001, 5002, 42
START = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)       # the document takes effect tomorrow
RULE = "Revised License Requirements for Advanced Semiconductor Manufacturing Items"
PNG = b"\x89PNG\r\n\x1a\n"


class MediaFakeBotAPI(FakeBotAPI):
    """The fake plus sendPhoto and sendDocument (multipart uploads), recorded in `files`."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[dict] = []

    def _methods(self):
        return {**super()._methods(), "sendphoto": self.sendPhoto, "senddocument": self.sendDocument}

    def sendPhoto(self, params: dict) -> dict:  # noqa: N802 (Bot API naming)
        return self._media("photo", params)

    def sendDocument(self, params: dict) -> dict:  # noqa: N802
        return self._media("document", params)

    def _media(self, field: str, params: dict) -> dict:
        with self._cond:
            chat = self._writable_chat(params["chat_id"])
            data = params.get(field)
            if isinstance(data, str) and data.startswith("attach://"):
                data = params.get(data.removeprefix("attach://"))
            if not isinstance(data, bytes) or not data:
                raise ApiError(400, "Bad Request: there is no file in the request")
            if len(params.get("caption", "")) > 1024:
                raise ApiError(400, "Bad Request: message caption is too long")
            n = self._next_message_id(chat.id)
            message = {"message_id": n, "date": int(time.time()), "chat": chat.json(), "from": self.bot_user}
            if field == "photo":
                message["photo"] = [{"file_id": f"p{n}", "file_unique_id": f"up{n}", "width": 900, "height": 550}]
            else:
                message["document"] = {"file_id": f"d{n}", "file_unique_id": f"ud{n}"}
            if params.get("caption"):
                message["caption"] = params["caption"]
            self.files.append({"method": field, "chat_id": chat.id, "data": data, "caption": params.get("caption", "")})
            return message


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def fake():
    with MediaFakeBotAPI() as server:
        yield server


def make_services(fake, source: Source, data: Path, clock: Clock) -> Services:
    settings = Settings(telegram_bot_token=fake.token, telegram_api_url=fake.url, admin_ids=frozenset({ADMIN}),
                        data_dir=str(data))
    return Services(settings=settings, store=open_store(data / composition.DB_FILE), sources=[source],
                    fetcher=Fetcher.from_settings(settings, sources=[source]), clock=clock)


@asynccontextmanager
async def running(services):
    """The production Application and its post_init; the source jobs are replaced by a Watch the
    test drives, built with the notifier post_init hands to the schedule."""
    app = composition.build_application(services)
    handed = {}
    app.bot_data["jobs"] = SimpleNamespace(schedule_all=lambda _jq, _svc, notify, *rest: handed.update(notify=notify))
    await app.initialize()
    await composition._post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=timedelta(seconds=1))
    await app.start()
    try:
        yield app, Watch(services, handed["notify"])
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await composition._post_shutdown(app)        # closes the fetcher and the store


async def ask(fake, chat_id: int, text: str, replies: int = 1, **sender) -> list:
    before = len(fake.sent(chat_id))
    fake.send_command(chat_id, text, **sender)
    await fake.wait_for(lambda: len(fake.sent(chat_id)) >= before + replies, what=f"reply to {text}")
    return fake.sent(chat_id)[before:]


def reminders_of(fake, chat_id: int, what: str) -> list:
    return [m for m in fake.sent(chat_id) if m.text.startswith("⏰ Reminder: " + what)]


def png_software(data: bytes) -> str:
    """The PNG's Software text chunk (matplotlib writes its name there)."""
    at = data.find(b"tEXtSoftware\x00")
    assert at > 0, "no Software chunk"
    length = int.from_bytes(data[at - 4:at], "big")
    return data[at + 13:at + 4 + length].decode("latin-1")


async def test_dates_remind_once_list_export_and_chart(tmp_path, http_server, fake):
    source = Source(id="fr-bis", name="Federal Register: BIS", kind="federal_register", authority="official",
                    country="US", url=http_server.url("/fr.json"), allow_private=True)
    data, clock = tmp_path / "data", Clock(START)
    http_server.route("/fr.json", body=(FIXTURES / "fr-baseline.json").read_bytes(), headers=JSON)
    async with running(make_services(fake, source, data, clock)) as (app, watch):
        services = app.bot_data["services"]
        assert (await watch.run(source, force=True)).baseline
        await ask(fake, USER, "/subscribe")
        assert "Reminders on: 2 days before" in (await ask(fake, USER, "/remind 2"))[0].text
        await ask(fake, OTHER, "/subscribe")

        http_server.route("/fr.json", body=(FIXTURES / "fr-news.json").read_bytes(), headers=JSON)
        result = await watch.run(source, force=True)
        assert [e.effective_on for e in result.new] == ["2026-12-03"]
        event = result.new[0]
        await fake.wait_for(lambda: len(fake.sent(USER)) >= 4, what="alert and reminder")
        alert, reminder = fake.sent(USER)[2:4]               # after the replies to /subscribe and /remind
        assert RULE in alert.text and "Effective: 2026-12-03" in alert.text and "Comments close: 2026-12-06" in alert.text
        assert reminder.text.startswith("⏰ Reminder: takes effect tomorrow, Thursday 3 December 2026")
        assert RULE in reminder.text and "2026-31544" in reminder.text
        assert reminders_of(fake, USER, "comments close") == []
        assert [m.text for m in fake.sent(OTHER)][1:] == [alert.text]      # no /remind: the alert only

        listed = (await ask(fake, USER, "/upcoming"))[0].text
        assert listed.index("2026-12-03") < listed.index("Takes effect") < listed.index("2026-12-06")
        assert "Comments close" in listed and listed.count(RULE) == 2

        clock.now = datetime(2026, 12, 4, 8, 59, tzinfo=UTC)
        assert await app.bot_data["reminders"].check() == 0          # due at 09:00, two days before
        clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
        assert await app.bot_data["reminders"].check() == 1
        deadline = reminders_of(fake, USER, "comments close")
        assert len(deadline) == 1 and "in 2 days, Sunday 6 December 2026" in deadline[0].text

        env = env_for(tmp_path, catalog(tmp_path / "sources.toml", [fr_entry(source.url)]))
        jsonl = bot(["export", "deliveries", "--format", "jsonl", "--since", "2026-12-01"], env)
        assert jsonl.returncode == 0, jsonl.stderr
        rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
        assert all(list(row) == list(DELIVERY_COLUMNS) for row in rows)
        sent = {(r["event_id"], r["chat_id"], r["kind"], r["about"]): r for r in rows}
        assert sent[(event.id, USER, "alert", "")]["message_id"] == alert.message_id
        assert sent[(event.id, USER, "alert", "")]["status"] == "sent"
        assert {k[3] for k in sent if k[2] == "reminder"} == {"effective_on 2026-12-03", "comments_close_on 2026-12-06"}
        events_csv = bot(["export", "events"], env)
        table = list(csv.DictReader(io.StringIO(events_csv.stdout)))
        assert events_csv.returncode == 0 and tuple(table[0]) == EVENT_COLUMNS
        row = next(r for r in table if r["id"] == event.id)
        assert (row["effective_on"], row["comments_close_on"], row["doc_numbers"]) == ("2026-12-03", "2026-12-06", "2026-31544")

        fake.send_command(ADMIN, "/export 30")
        await fake.wait_for(lambda: len(fake.files) >= 2, what="two CSV documents")
        by_kind = list(csv.DictReader(io.StringIO(fake.files[1]["data"].decode("utf-8-sig"))))
        assert any(r["event_id"] == event.id and r["chat_id"] == str(USER) and r["kind"] == "alert" for r in by_kind)
        assert "Sorry" in (await ask(fake, USER, "/export"))[0].text

        fake.send_command(USER, "/chart")
        await fake.wait_for(lambda: len(fake.files) >= 3, timeout=30, what="the chart")
        photo = fake.files[2]
        assert photo["method"] == "photo" and photo["data"].startswith(PNG) and photo["chat_id"] == USER
        assert png_software(photo["data"]).startswith("Matplotlib")
        assert "2 events" in photo["caption"]
        before_restart = len(services.store.deliveries.all())

    clock.now = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)           # a restart, both reminders sent
    async with running(make_services(fake, source, data, clock)) as (app, watch):
        await watch.run(source, force=True)
        reminders = app.bot_data["reminders"]
        reminders.changed()
        assert await reminders.check() == 0
        await ask(fake, USER, "/upcoming")                          # the bot is up and answering
        assert len(reminders_of(fake, USER, "takes effect")) == 1
        assert len(reminders_of(fake, USER, "comments close")) == 1
        assert len(app.bot_data["services"].store.deliveries.all()) == before_restart


async def test_chart_with_nothing_to_draw_says_so(tmp_path, http_server, fake):
    source = Source(id="fr-bis", name="Federal Register: BIS", kind="federal_register", authority="official",
                    country="US", url=http_server.url("/fr.json"), allow_private=True)
    async with running(make_services(fake, source, tmp_path / "data", Clock(START))):
        assert (await ask(fake, USER, "/chart 30"))[0].text == "No events in the last 30 days: nothing to draw yet."
        assert "Usage: /chart" in (await ask(fake, USER, "/chart 3"))[0].text
        assert "No effective dates" in (await ask(fake, USER, "/upcoming"))[0].text
        assert "not subscribed" in (await ask(fake, USER, "/remind 3"))[0].text
        assert fake.files == []
