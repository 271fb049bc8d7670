"""The events table on PostgreSQL: the same contract as storage.events (see storage.api.Events).

Each event is a JSONB document (storage.codec) with columns for what is queried: `when_at` and an
arrival number for `latest`/`all`/retention (newest first, the later write first on a tie),
`recent_at` for `since` (the dedupe window) and `topics` for `latest(topic=…)`. Stable keys and
reports' (source, item key) pairs sit in two small tables, each key held by the first event
stored with it, so `find_by_key` and `has_report` are one index lookup. An update keeps the stored
event's notified mark and its reports' item keys, as on TinyDB (storage.events._keep_what_was_known).
"""
from __future__ import annotations

from datetime import datetime

from psycopg.types.json import Jsonb

from storage.codec import decode, encode
from storage.events import _keep_what_was_known
from storage.postgres.db import Db
from tradewatch.models import Event

_UPSERT = ("INSERT INTO tw_events (id, when_at, recent_at, topics, doc) VALUES (%s, %s, %s, %s, %s) "
           "ON CONFLICT (id) DO UPDATE SET when_at = excluded.when_at, recent_at = excluded.recent_at, "
           "topics = excluded.topics, doc = excluded.doc, arrival = nextval('tw_event_arrival')")
_NEWEST = " ORDER BY when_at DESC, arrival DESC"


class PgEventStore:
    def __init__(self, db: Db):
        self._db = db

    def add(self, event: Event) -> None:
        self._write(event)

    def update(self, event: Event) -> None:
        """Replace the stored event with the same id (stored anew if pruned); `notified` stays set."""
        self._write(event)

    def get(self, event_id: str) -> Event | None:
        row = self._db.one("SELECT doc FROM tw_events WHERE id = %s", (event_id,))
        return None if row is None else decode(Event, row[0])

    def has_report(self, source_id: str, item_key: str) -> bool:
        return self._db.one("SELECT 1 FROM tw_event_reports WHERE source_id = %s AND item_key = %s",
                            (source_id, item_key)) is not None

    def find_by_key(self, key: str) -> Event | None:
        row = self._db.one("SELECT e.doc FROM tw_event_keys k JOIN tw_events e ON e.id = k.event_id "
                           "WHERE k.key = %s", (key,))
        return None if row is None else decode(Event, row[0])

    def latest(self, limit: int, topic: str | None = None) -> list[Event]:
        if topic is None:
            rows = self._db.all("SELECT doc FROM tw_events" + _NEWEST + " LIMIT %s", (max(limit, 0),))
        else:
            rows = self._db.all("SELECT doc FROM tw_events WHERE topics @> ARRAY[%s]::text[]" + _NEWEST + " LIMIT %s",
                                (topic, max(limit, 0)))
        return [decode(Event, doc) for doc, in rows]

    def since(self, moment: datetime) -> list[Event]:
        rows = self._db.all("SELECT doc FROM tw_events WHERE recent_at >= %s" + _NEWEST, (moment,))
        return [decode(Event, doc) for doc, in rows]

    def all(self) -> list[Event]:
        return [decode(Event, doc) for doc, in self._db.all("SELECT doc FROM tw_events" + _NEWEST)]

    def unnotified(self) -> list[Event]:
        """What `all()` lists, only the alert events not yet handed off: the filter runs in the
        server (the codec leaves out `notified` while False and keeps `alert`)."""
        rows = self._db.all("SELECT doc FROM tw_events WHERE coalesce((doc->>'alert')::boolean, true) "
                            "AND NOT coalesce((doc->>'notified')::boolean, false)" + _NEWEST)
        return [decode(Event, doc) for doc, in rows]

    def count(self) -> int:
        return self._db.one("SELECT count(*) FROM tw_events")[0]

    def prune(self, before: datetime) -> int:
        """Remove events whose `when` is before `before` (their keys and reports go with them)."""
        return self._db.run("DELETE FROM tw_events WHERE when_at < %s", (before,))

    def _write(self, event: Event) -> None:
        with self._db.transaction() as cur:
            row = cur.execute("SELECT doc FROM tw_events WHERE id = %s FOR UPDATE", (event.id,)).fetchone()
            if row is not None:
                event = _keep_what_was_known(event, decode(Event, row[0]))
            recent = max(event.first_seen_at, event.when)
            cur.execute(_UPSERT, (event.id, event.when, recent, list(event.topics), Jsonb(encode(event))))
            keys = list(dict.fromkeys(event.keys))
            reports = list(dict.fromkeys((r.source_id, r.item_key) for r in event.reports if r.item_key))
            if row is not None:
                cur.execute("DELETE FROM tw_event_keys WHERE event_id = %s AND NOT key = ANY(%s)", (event.id, keys))
                cur.execute("DELETE FROM tw_event_reports WHERE event_id = %s AND NOT (source_id, item_key) "
                            "IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                            (event.id, [s for s, _ in reports], [k for _, k in reports]))
            if keys:
                cur.execute("INSERT INTO tw_event_keys (key, event_id) SELECT k, %s FROM unnest(%s::text[]) AS k "
                            "ON CONFLICT DO NOTHING", (event.id, keys))
            if reports:
                cur.execute("INSERT INTO tw_event_reports (source_id, item_key, event_id) "
                            "SELECT s, k, %s FROM unnest(%s::text[], %s::text[]) AS r(s, k) ON CONFLICT DO NOTHING",
                            (event.id, [s for s, _ in reports], [k for _, k in reports]))
