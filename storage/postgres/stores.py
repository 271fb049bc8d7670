"""The small stores on PostgreSQL: items already seen per source, source states, subscribers.

Same contracts as storage.stores (see storage.api). Source states and subscribers are JSONB
documents written by storage.codec, so a field added to the dataclass is stored and read back
with no migration; subscribers also keep `active` as a column for the partial index behind
`active()`. Chat ids are keyed by `str(chat_id)` while the document keeps the id as given.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Iterable

from psycopg.types.json import Jsonb

from storage.codec import decode, encode
from storage.postgres.db import Db
from tradewatch.models import SourceState, Subscriber


class PgSeenStore:
    def __init__(self, db: Db):
        self._db = db

    def has(self, source_id: str, key: str) -> bool:
        return self._db.one("SELECT 1 FROM tw_seen WHERE source_id = %s AND key = %s", (source_id, key)) is not None

    def add_many(self, source_id: str, keys: Iterable[str], now: datetime) -> None:
        """Remember keys not seen before (a key already known keeps its first-seen time)."""
        fresh = list(dict.fromkeys(keys))
        if fresh:
            self._db.run("INSERT INTO tw_seen (source_id, key, seen_at) SELECT %s, k, %s FROM unnest(%s::text[]) AS k "
                         "ON CONFLICT DO NOTHING", (source_id, now, fresh))

    def count(self, source_id: str | None = None) -> int:
        if source_id is None:
            return self._db.one("SELECT count(*) FROM tw_seen")[0]
        return self._db.one("SELECT count(*) FROM tw_seen WHERE source_id = %s", (source_id,))[0]

    def prune(self, before: datetime) -> int:
        return self._db.run("DELETE FROM tw_seen WHERE seen_at < %s", (before,))


class PgSourceStateStore:
    def __init__(self, db: Db):
        self._db = db

    def get(self, source_id: str) -> SourceState:
        row = self._db.one("SELECT doc FROM tw_source_states WHERE source_id = %s", (source_id,))
        return SourceState(source_id=source_id) if row is None else decode(SourceState, row[0])

    def put(self, state: SourceState) -> None:
        self._db.run("INSERT INTO tw_source_states (source_id, doc) VALUES (%s, %s) "
                     "ON CONFLICT (source_id) DO UPDATE SET doc = excluded.doc", (state.source_id, Jsonb(encode(state))))

    def all(self) -> dict[str, SourceState]:
        return {sid: decode(SourceState, doc) for sid, doc in self._db.all("SELECT source_id, doc FROM tw_source_states")}


class PgSubscriberStore:
    def __init__(self, db: Db):
        self._db = db

    def get(self, chat_id: int | str) -> Subscriber | None:
        row = self._db.one("SELECT doc FROM tw_subscribers WHERE chat_key = %s", (str(chat_id),))
        return None if row is None else decode(Subscriber, row[0])

    def put(self, subscriber: Subscriber) -> None:
        """Insert, or replace the subscriber with the same chat id."""
        self._db.run(_PUT, _row(subscriber))

    def active(self) -> list[Subscriber]:
        return [decode(Subscriber, doc) for doc, in self._db.all(
            "SELECT doc FROM tw_subscribers WHERE active ORDER BY chat_key")]

    def deactivate(self, chat_id: int | str, reason: str) -> None:
        """Mark a chat inactive with the reason; unknown chats are ignored."""
        with self._db.transaction() as cur:
            row = cur.execute("SELECT doc FROM tw_subscribers WHERE chat_key = %s FOR UPDATE", (str(chat_id),)).fetchone()
            if row is not None:
                cur.execute(_PUT, _row(replace(decode(Subscriber, row[0]), active=False, deactivated_reason=reason)))

    def migrate(self, old_chat_id: int | str, new_chat_id: int | str) -> None:
        """Move a subscription to the chat's new id; an existing record under the new id is kept."""
        if str(old_chat_id) == str(new_chat_id):
            return
        with self._db.transaction() as cur:
            row = cur.execute("DELETE FROM tw_subscribers WHERE chat_key = %s RETURNING doc", (str(old_chat_id),)).fetchone()
            if row is not None:
                moved = replace(decode(Subscriber, row[0]), chat_id=new_chat_id)
                cur.execute(_PUT.split(" ON CONFLICT")[0] + " ON CONFLICT (chat_key) DO NOTHING", _row(moved))

    def count(self, active_only: bool = False) -> int:
        where = " WHERE active" if active_only else ""
        return self._db.one("SELECT count(*) FROM tw_subscribers" + where)[0]


_PUT = ("INSERT INTO tw_subscribers (chat_key, active, doc) VALUES (%s, %s, %s) "
        "ON CONFLICT (chat_key) DO UPDATE SET active = excluded.active, doc = excluded.doc")


def _row(subscriber: Subscriber) -> tuple:
    return str(subscriber.chat_id), subscriber.active, Jsonb(encode(subscriber))
