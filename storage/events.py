"""The events table and its in-memory indexes, so reads never scan 50,000 documents.

Events are stored by id. Beside the TinyDB table the store keeps sorted indexes of
(timestamp, arrival number, id): by `when` (published, else first seen) for `latest`, `all` and
retention, one per topic for `latest(topic=…)`, and by the later of first-seen and published for
`since` (the dedupe window); plus a dict from every stable key to its event for `find_by_key`
(the first event stored with a key keeps it; built on the first lookup, as the service makes
none), and from each (source, item key) of a report to its
event for `has_report`. A report is stored once per (event, source, item key): an update that
repeats one (a pass rerun after a crash) keeps the first, and an update built from a copy that
lacks a report's item key keeps the stored key. Indexes are rebuilt from the documents at open and
updated on every write, so a write stays O(log n) and a read costs only the events it returns.
"""
from __future__ import annotations

import bisect
import itertools
from dataclasses import replace
from datetime import datetime
from typing import Any, Iterator

from storage.codec import decode, encode
from storage.tables import Database, Doc
from tradewatch.errors import CorruptDatabaseError
from tradewatch.models import Event, Report

TABLE = "events"
Entry = tuple[float, int, str]          # (timestamp, arrival number, event id)


class TimeIndex:
    """Entries kept in timestamp order; ties go to the later arrival."""

    def __init__(self) -> None:
        self._entries: list[Entry] = []

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entry: Entry, in_order: bool = True) -> None:
        """Insert in order, or append (`in_order=False`, when loading: call `sort()` after)."""
        if in_order:
            bisect.insort(self._entries, entry)
        else:
            self._entries.append(entry)

    def sort(self) -> None:
        self._entries.sort()

    def remove(self, entry: Entry) -> None:
        i = bisect.bisect_left(self._entries, entry)
        if i < len(self._entries) and self._entries[i] == entry:
            del self._entries[i]

    def remove_ids(self, ids: set[str]) -> None:
        self._entries = [e for e in self._entries if e[2] not in ids]

    def newest(self) -> Iterator[str]:
        return (entry[2] for entry in reversed(self._entries))

    def from_time(self, moment: float) -> list[str]:
        return [e[2] for e in self._entries[bisect.bisect_left(self._entries, (moment,)):]]

    def before_time(self, moment: float) -> list[str]:
        return [e[2] for e in self._entries[:bisect.bisect_left(self._entries, (moment,))]]


class EventStore:
    """Events: add, update, look up by id or key, newest first, by window; see storage.api.Events."""

    def __init__(self, db: Database):
        self._db = db
        self._arrivals = itertools.count()
        self._entries: dict[str, tuple[Entry, Entry]] = {}   # id -> (when entry, recent entry)
        self._by_when = TimeIndex()
        self._by_recent = TimeIndex()
        self._by_topic: dict[str, TimeIndex] = {}
        self._by_key: dict[str, str] | None = None          # built on the first find_by_key (150,000
                                                             # keys at 50,000 events: 15 MB kept otherwise)
        self._reports: dict[str, str] = {}                   # source id + item key -> event id
        self._unnotified: set[str] = set()                   # ids of alert events not yet handed off
        for event_id, doc in db.docs(TABLE):
            self._index(event_id, doc, in_order=False)
        for index in self._indexes():
            index.sort()

    def add(self, event: Event) -> None:
        """Store a new event (an id already stored is replaced, as `update`)."""
        self._write(event)

    def update(self, event: Event) -> None:
        """Replace the stored event with the same id (stored anew if it was pruned meanwhile).

        The `notified` mark is never cleared: an update built from a copy taken before hand-off
        (the dedupe index's) keeps it, so a restart never hands the event off again.
        """
        self._write(event)

    def get(self, event_id: str) -> Event | None:
        doc = self._db.doc(TABLE, event_id)
        return None if doc is None else decode(Event, doc)

    def has_report(self, source_id: str, item_key: str) -> bool:
        """Whether some stored event already holds this source's item as a report."""
        return _report_key(source_id, item_key) in self._reports

    def find_by_key(self, key: str) -> Event | None:
        if self._by_key is None:
            self._by_key = {}
            for event_id, doc in self._db.docs(TABLE):
                for known in doc.get("keys", ()):
                    self._by_key.setdefault(known, event_id)
        event_id = self._by_key.get(key)
        return None if event_id is None else self.get(event_id)

    def latest(self, limit: int, topic: str | None = None) -> list[Event]:
        """Up to `limit` events, newest first by `when`, optionally only those with `topic`."""
        index = self._by_when if topic is None else self._by_topic.get(topic, TimeIndex())
        return [self._load(i) for i in itertools.islice(index.newest(), max(limit, 0))]

    def since(self, moment: datetime) -> list[Event]:
        """Events first seen or published at or after `moment`, newest first by `when`."""
        ids = self._by_recent.from_time(moment.timestamp())
        ids.sort(key=lambda i: self._entries[i][0], reverse=True)
        return [self._load(i) for i in ids]

    def all(self) -> list[Event]:
        return [self._load(i) for i in self._by_when.newest()]

    def unnotified(self) -> list[Event]:
        """What `all()` lists, only the alert events not yet handed off (not `notified`), read
        without decoding the others. Not part of storage.api: a store without it is filtered
        through `all()` (see tradewatch.jobs)."""
        return [self._load(i) for i in self._by_when.newest() if i in self._unnotified]

    def count(self) -> int:
        return len(self._entries)

    def prune(self, before: datetime) -> int:
        """Remove events whose `when` is before `before`; returns how many."""
        ids = self._by_when.before_time(before.timestamp())
        if not ids:
            return 0
        gone = {i: self._db.doc(TABLE, i) for i in ids}
        self._db.delete(TABLE, ids)
        for index in self._indexes():
            index.remove_ids(set(gone))
        for event_id, doc in gone.items():
            self._unnotified.discard(event_id)
            self._forget_keys(event_id, doc or {})
            self._entries.pop(event_id, None)
        return len(ids)

    def _write(self, event: Event) -> None:
        old = self._db.doc(TABLE, event.id)
        if old is not None:
            event = _keep_what_was_known(event, decode(Event, old))
        doc = encode(event)
        self._db.put(TABLE, {event.id: doc})
        if old is not None:
            self._unindex(event.id, old)
        self._index(event.id, doc)

    def _load(self, event_id: str) -> Event:
        return decode(Event, self._db.doc(TABLE, event_id) or {})

    def _indexes(self) -> list[TimeIndex]:
        return [self._by_when, self._by_recent, *self._by_topic.values()]

    def _index(self, event_id: str, doc: Doc, in_order: bool = True) -> None:
        arrival = next(self._arrivals)
        when, recent = _times(event_id, doc)
        entries = ((when, arrival, event_id), (recent, arrival, event_id))
        self._entries[event_id] = entries
        self._by_when.add(entries[0], in_order)
        self._by_recent.add(entries[1], in_order)
        for topic in doc.get("topics", ()):
            self._by_topic.setdefault(topic, TimeIndex()).add(entries[0], in_order)
        if doc.get("alert", True) and not doc.get("notified", False):
            self._unnotified.add(event_id)
        if self._by_key is not None:
            for key in doc.get("keys", ()):
                self._by_key.setdefault(key, event_id)
        for report in doc.get("reports", ()):
            if report.get("item_key"):
                self._reports.setdefault(_report_key(report.get("source_id", ""), report["item_key"]), event_id)

    def _unindex(self, event_id: str, doc: Doc) -> None:
        when, recent = self._entries.pop(event_id)
        self._by_when.remove(when)
        self._by_recent.remove(recent)
        for topic in doc.get("topics", ()):
            self._by_topic[topic].remove(when)
        self._unnotified.discard(event_id)
        self._forget_keys(event_id, doc)

    def _forget_keys(self, event_id: str, doc: Doc) -> None:
        for key in doc.get("keys", ()) if self._by_key is not None else ():
            if self._by_key.get(key) == event_id:
                del self._by_key[key]
        for report in doc.get("reports", ()):
            key = _report_key(report.get("source_id", ""), report.get("item_key", ""))
            if self._reports.get(key) == event_id:
                del self._reports[key]


def _keep_what_was_known(event: Event, stored: Event) -> Event:
    """The update, never losing the stored event's notified mark or its reports' item keys, and
    holding each report once."""
    known = {(r.source_id, r.url, r.title): r.item_key for r in stored.reports if r.item_key}
    reports: dict[tuple[str, ...], Report] = {}
    for report in event.reports:
        if not report.item_key and (report.source_id, report.url, report.title) in known:
            report = replace(report, item_key=known[report.source_id, report.url, report.title])
        reports.setdefault(report.identity, report)
    return replace(event, reports=tuple(reports.values()), notified=event.notified or stored.notified)


def _report_key(source_id: str, item_key: str) -> str:
    return f"{source_id}\x1f{item_key}"


def _times(event_id: str, doc: dict[str, Any]) -> tuple[float, float]:
    """(when, recent): published-else-first-seen, and the later of the two, as timestamps."""
    try:
        first = _stamp(doc.get("first_seen_at"))
        published = _stamp(doc.get("published_at"))
    except (TypeError, ValueError) as exc:
        raise CorruptDatabaseError(f"stored event {event_id!r} has an unreadable date: {exc}") from exc
    when = published if published is not None else first
    return (when or 0.0), max(first or 0.0, when or 0.0)


def _stamp(text: Any) -> float | None:
    return None if text is None else datetime.fromisoformat(text).timestamp()
