"""The outbox: one record per (event, chat), written before and after each send.

Records are keyed by event id and `str(chat_id)`, so enqueueing a pair that is already known is a
no-op and a crash between two sends never sends one twice. Beside the TinyDB table the store keeps
the pending keys in arrival order and the keys per event, so `pending()` and `sent_for()` cost
only what they return. A `mark_*` for a pair never enqueued records it (a send is never
forgotten). `move_chat` re-addresses pending records to a migrated chat's new id, in one change;
sent ones stay under the old id, where their messages are, and remain findable by `sent_for`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime
from typing import Any, Iterable

from tinydb import Query

from storage.codec import decode, decode_time, encode
from storage.tables import Database, Doc
from tradewatch.models import Delivery

TABLE = "deliveries"
SEP = "\x1f"
STATUSES = ("pending", "sent", "failed", "skipped")


class DeliveryStore:
    """See storage.api.Deliveries."""

    def __init__(self, db: Database):
        self._db = db
        self._pending: dict[str, None] = {}
        self._by_event: dict[str, dict[str, None]] = {}
        for key, doc in db.docs(TABLE):
            self._index(key, doc)

    def enqueue(self, event_id: str, chat_ids: Iterable[int | str], now: datetime, kind: str = "alert") -> int:
        """Queue the event for each chat not queued yet (one change); returns how many were added.
        `kind` says what the message is (models.DELIVERY_KINDS); a reminder's `event_id` is its
        outbox id (models.reminder_id)."""
        known = self._db.table(TABLE).raw()
        fresh: dict[str, Doc] = {}
        for chat_id in chat_ids:
            key = _key(event_id, chat_id)
            if key not in known and key not in fresh:
                fresh[key] = encode(Delivery(event_id=event_id, chat_id=chat_id, queued_at=now, kind=kind))
        self._put(fresh)
        return len(fresh)

    def pending(self) -> list[Delivery]:
        """Pending deliveries, oldest queued first."""
        found = [self._load(key) for key in self._pending]
        return sorted(found, key=lambda d: d.queued_at.timestamp() if d.queued_at else 0.0)

    def get(self, event_id: str, chat_id: int | str) -> Delivery | None:
        doc = self._db.doc(TABLE, _key(event_id, chat_id))
        return None if doc is None else decode(Delivery, doc)

    def claim(self, event_id: str, chat_id: int | str, now: datetime) -> bool:
        """Take the delivery for one send (attempts + 1); False when it is no longer pending. One
        process owns this database, so nothing else holds a claim."""
        current = self.get(event_id, chat_id)
        if current is not None and current.status != "pending":
            return False
        self.mark_sending(event_id, chat_id, now)
        return True

    def mark_sending(self, event_id: str, chat_id: int | str, now: datetime) -> None:
        delivery = self._get_or_new(event_id, chat_id, now)
        self._save(replace(delivery, attempts=delivery.attempts + 1))

    def mark_sent(self, event_id: str, chat_id: int | str, message_id: int, now: datetime,
                  reports: int = 1) -> None:
        delivery = self._get_or_new(event_id, chat_id, now)
        self._save(replace(delivery, status="sent", message_id=message_id, sent_at=now,
                           error=None, edited_reports=reports))

    def mark_failed(self, event_id: str, chat_id: int | str, error: str, now: datetime,
                    final: bool) -> None:
        """Record an error; `final=False` keeps the delivery pending for another try."""
        delivery = self._get_or_new(event_id, chat_id, now)
        self._save(replace(delivery, status="failed" if final else "pending", error=error))

    def mark_edited(self, event_id: str, chat_id: int | str, reports: int) -> None:
        delivery = self.get(event_id, chat_id)
        if delivery is not None:
            self._save(replace(delivery, edited_reports=reports))

    def sent_for(self, event_id: str, since: datetime | None = None) -> list[Delivery]:
        """Sent deliveries of the event (sent at or after `since` when given)."""
        found = [self._load(key) for key in self._by_event.get(event_id, {})]
        return [d for d in found if d.status == "sent"
                and (since is None or (d.sent_at is not None and d.sent_at >= since))]

    def move_chat(self, old_chat_id: int | str, new_chat_id: int | str) -> None:
        """Re-address pending deliveries of a migrated chat to its new id."""
        if str(old_chat_id) == str(new_chat_id):
            return
        old = [doc for doc in self._db.search(TABLE, Query().chat_id.test(_same_chat, old_chat_id))
               if doc.get("status", "pending") == "pending"]
        known = self._db.table(TABLE).raw()
        moved = {_key(d["event_id"], new_chat_id): {**d, "chat_id": new_chat_id} for d in old
                 if _key(d["event_id"], new_chat_id) not in known}
        gone = {_key(d["event_id"], old_chat_id): d["event_id"] for d in old}
        self._db.write(TABLE, put=moved, delete=list(gone))
        for key, event_id in gone.items():
            self._unindex(key, event_id)
        for key, doc in moved.items():
            self._index(key, doc)

    def all(self) -> list[Delivery]:
        """Every record, oldest queued first (for exports)."""
        found = [decode(Delivery, doc) for _, doc in self._db.docs(TABLE)]
        return sorted(found, key=lambda d: d.queued_at.timestamp() if d.queued_at else 0.0)

    def stats(self) -> dict[str, int]:
        """Counts by status (every known status present, zero when none)."""
        counts = Counter(doc.get("status", "pending") for _, doc in self._db.docs(TABLE))
        return {**dict.fromkeys(STATUSES, 0), **counts}

    def prune(self, before: datetime) -> int:
        """Remove finished deliveries last touched before `before`; pending ones are kept."""
        old = {key: doc.get("event_id", "") for key, doc in self._db.docs(TABLE)
               if doc.get("status", "pending") != "pending" and _touched(doc, before) < before}
        self._db.delete(TABLE, list(old))
        for key, event_id in old.items():
            self._unindex(key, event_id)
        return len(old)

    def _get_or_new(self, event_id: str, chat_id: int | str, now: datetime) -> Delivery:
        found = self.get(event_id, chat_id)
        return found or Delivery(event_id=event_id, chat_id=chat_id, queued_at=now)

    def _save(self, delivery: Delivery) -> None:
        self._put({_key(delivery.event_id, delivery.chat_id): encode(delivery)})

    def _put(self, docs: dict[str, Doc]) -> None:
        self._db.put(TABLE, docs)
        for key, doc in docs.items():
            self._index(key, doc)

    def _load(self, key: str) -> Delivery:
        return decode(Delivery, self._db.doc(TABLE, key) or {})

    def _index(self, key: str, doc: Doc) -> None:
        self._by_event.setdefault(doc.get("event_id", ""), {})[key] = None
        if doc.get("status", "pending") == "pending":
            self._pending[key] = None
        else:
            self._pending.pop(key, None)

    def _unindex(self, key: str, event_id: str) -> None:
        self._pending.pop(key, None)
        keys = self._by_event.get(event_id, {})
        keys.pop(key, None)
        if not keys:
            self._by_event.pop(event_id, None)


def _key(event_id: str, chat_id: int | str) -> str:
    return f"{event_id}{SEP}{chat_id}"


def _same_chat(value: Any, chat_id: int | str) -> bool:
    return str(value) == str(chat_id)


def _touched(doc: Doc, default: datetime) -> datetime:
    return decode_time(doc.get("sent_at")) or decode_time(doc.get("queued_at")) or default
