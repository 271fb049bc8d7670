"""The small stores: items already seen per source, source states, and subscribers.

Each keeps one TinyDB table keyed by its natural key. Seen items are keyed by (source id, item
key) with the time first seen, so `has` is one dict lookup and a per-source counter answers
`count`. Source states are keyed by source id. Subscribers are keyed by `str(chat_id)` while the
document keeps the id as given, so an int chat id comes back an int and "@channel" a string.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime
from typing import Iterable

from storage.codec import decode, decode_time, encode, encode_time
from storage.tables import Database
from tradewatch.models import SourceState, Subscriber

SEEN, SOURCES, SUBSCRIBERS = "seen", "sources", "subscribers"
SEP = "\x1f"                             # joins the parts of a compound key


class SeenStore:
    """Per-source keys already read; see storage.api.SeenItems."""

    def __init__(self, db: Database):
        self._db = db
        # A key is "source id␟item key": counted without decoding 100,000 documents.
        self._per_source = Counter(key.partition(SEP)[0] for key in db.keys(SEEN))

    def has(self, source_id: str, key: str) -> bool:
        return _seen_key(source_id, key) in self._db.table(SEEN).raw()

    def add_many(self, source_id: str, keys: Iterable[str], now: datetime) -> None:
        """Remember keys not seen before, with `now` as their first-seen time (one change)."""
        known, seen_at = self._db.table(SEEN).raw(), encode_time(now)
        fresh = {_seen_key(source_id, k): {"source_id": source_id, "key": k, "seen_at": seen_at}
                 for k in keys if _seen_key(source_id, k) not in known}
        self._db.put(SEEN, fresh)
        self._per_source[source_id] += len(fresh)

    def count(self, source_id: str | None = None) -> int:
        return self._db.count(SEEN) if source_id is None else self._per_source[source_id]

    def prune(self, before: datetime) -> int:
        """Forget keys first seen before `before`; returns how many."""
        old = [(key, doc.get("source_id", "")) for key, doc in self._db.docs(SEEN)
               if (decode_time(doc.get("seen_at")) or before) < before]
        self._db.delete(SEEN, [key for key, _ in old])
        self._per_source.subtract(source for _, source in old)
        return len(old)


class SourceStateStore:
    """What TradeWatch remembers per source; see storage.api.SourceStates."""

    def __init__(self, db: Database):
        self._db = db

    def get(self, source_id: str) -> SourceState:
        doc = self._db.doc(SOURCES, source_id)
        return SourceState(source_id=source_id) if doc is None else decode(SourceState, doc)

    def put(self, state: SourceState) -> None:
        self._db.put(SOURCES, {state.source_id: encode(state)})

    def all(self) -> dict[str, SourceState]:
        return {key: decode(SourceState, doc) for key, doc in self._db.docs(SOURCES)}


class SubscriberStore:
    """Chats that receive alerts, keyed by chat id; see storage.api.Subscribers.

    The subscribers are decoded once, at open (a fan-out to 5,000 chats asks `active()` before
    every alert: decoding them then held the event loop for 100 ms), and kept in step with every
    write."""

    def __init__(self, db: Database):
        self._db = db
        self._decoded: dict[str, Subscriber] | None = None     # key → subscriber, in table order
        self.active()

    def get(self, chat_id: int | str) -> Subscriber | None:
        if self._decoded is not None:
            return self._decoded.get(str(chat_id))
        doc = self._db.doc(SUBSCRIBERS, str(chat_id))
        return None if doc is None else decode(Subscriber, doc)

    def put(self, subscriber: Subscriber) -> None:
        """Insert, or replace the subscriber with the same chat id."""
        key, doc = str(subscriber.chat_id), encode(subscriber)
        self._db.put(SUBSCRIBERS, {key: doc})
        if self._decoded is not None:
            self._decoded[key] = decode(Subscriber, doc)      # as it reads back

    def active(self) -> list[Subscriber]:
        """Every subscriber not marked inactive, in the order first stored."""
        if self._decoded is None:
            self._decoded = {key: decode(Subscriber, doc) for key, doc in self._db.docs(SUBSCRIBERS)}
        # What the query `~(Query().active == False)` selects, asked of the decoded value.
        return [s for s in self._decoded.values() if not s.active == False]  # noqa: E712

    def deactivate(self, chat_id: int | str, reason: str) -> None:
        """Mark a chat inactive with the reason (blocked, kicked …); unknown chats are ignored."""
        subscriber = self.get(chat_id)
        if subscriber is not None:
            self.put(replace(subscriber, active=False, deactivated_reason=reason))

    def migrate(self, old_chat_id: int | str, new_chat_id: int | str) -> None:
        """Move a subscription to the chat's new id (a group became a supergroup).

        If the new id is already subscribed, that newer record is kept and the old one dropped.
        """
        subscriber = self.get(old_chat_id)
        if subscriber is None or str(old_chat_id) == str(new_chat_id):
            return
        new_key = str(new_chat_id)
        put = {} if self._db.doc(SUBSCRIBERS, new_key) else {
            new_key: encode(replace(subscriber, chat_id=new_chat_id))}
        self._db.write(SUBSCRIBERS, put=put, delete=[str(old_chat_id)])
        self._decoded = None                                    # read again when next asked

    def count(self, active_only: bool = False) -> int:
        return len(self.active()) if active_only else self._db.count(SUBSCRIBERS)


def _seen_key(source_id: str, key: str) -> str:
    return f"{source_id}{SEP}{key}"
