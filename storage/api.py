"""The storage interface the rest of TradeWatch codes against (Protocols only, no tinydb here).

`storage.open_store(path | None)` returns a `Store`: `None` means in memory, a path means the
durable JSON-backed database; `storage.postgres.open_postgres(url)` the PostgreSQL one, which
several processes may share. Every method is synchronous, cheap, and called on the event loop
thread only (TinyDB is single-threaded). Values in and out are `tradewatch.models` dataclasses;
documents never leave `storage/`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Protocol

from tradewatch.models import Delivery, Event, SourceState, Subscriber


class SeenItems(Protocol):
    """Per-source keys already read, relevant or not, so a pass never re-reads an item."""

    def has(self, source_id: str, key: str) -> bool: ...
    def add_many(self, source_id: str, keys: Iterable[str], now: datetime) -> None: ...
    def count(self, source_id: str | None = None) -> int: ...
    def prune(self, before: datetime) -> int: ...


class Events(Protocol):
    def add(self, event: Event) -> None: ...
    def update(self, event: Event) -> None: ...          # replace the stored event with the same id
    def get(self, event_id: str) -> Event | None: ...
    def has_report(self, source_id: str, item_key: str) -> bool: ...  # an event holds that item as a report
    def find_by_key(self, key: str) -> Event | None: ...  # any of Event.keys
    def latest(self, limit: int, topic: str | None = None) -> list[Event]: ...  # newest first by `when`
    def since(self, moment: datetime) -> list[Event]: ...  # first_seen_at or published_at >= moment (dedupe window)
    def all(self) -> list[Event]: ...                      # for /search; newest first
    def count(self) -> int: ...
    def prune(self, before: datetime) -> int: ...


class SourceStates(Protocol):
    def get(self, source_id: str) -> SourceState: ...     # a fresh SourceState when unknown
    def put(self, state: SourceState) -> None: ...
    def all(self) -> dict[str, SourceState]: ...


class Subscribers(Protocol):
    def get(self, chat_id: int | str) -> Subscriber | None: ...
    def put(self, subscriber: Subscriber) -> None: ...    # insert or replace by chat_id
    def active(self) -> list[Subscriber]: ...
    def deactivate(self, chat_id: int | str, reason: str) -> None: ...
    def migrate(self, old_chat_id: int | str, new_chat_id: int | str) -> None: ...
    def count(self, active_only: bool = False) -> int: ...


class Deliveries(Protocol):
    """The outbox: one record per (event, chat), written before and after each send."""

    def enqueue(self, event_id: str, chat_ids: Iterable[int | str], now: datetime,
                kind: str = "alert") -> int: ...  # skips pairs already known; returns how many were added
    def pending(self) -> list[Delivery]: ...               # oldest first (PostgreSQL: those no other live process holds, claimed for this one)
    def get(self, event_id: str, chat_id: int | str) -> Delivery | None: ...
    def claim(self, event_id: str, chat_id: int | str, now: datetime) -> bool: ...  # mark_sending if still pending and not held by another process
    def mark_sending(self, event_id: str, chat_id: int | str, now: datetime) -> None: ...  # attempts += 1
    def mark_sent(self, event_id: str, chat_id: int | str, message_id: int, now: datetime, reports: int = 1) -> None: ...
    def mark_failed(self, event_id: str, chat_id: int | str, error: str, now: datetime, final: bool) -> None: ...  # final=False keeps it pending
    def mark_edited(self, event_id: str, chat_id: int | str, reports: int) -> None: ...
    def sent_for(self, event_id: str, since: datetime | None = None) -> list[Delivery]: ...  # status sent (for "also reported by" edits)
    def move_chat(self, old_chat_id: int | str, new_chat_id: int | str) -> None: ...
    def all(self) -> list[Delivery]: ...                   # every record, oldest queued first (exports)
    def stats(self) -> dict[str, int]: ...                 # counts by status
    def prune(self, before: datetime) -> int: ...


class Store(Protocol):
    seen: SeenItems
    events: Events
    sources: SourceStates
    subscribers: Subscribers
    deliveries: Deliveries

    def prune(self, now: datetime, retention_days: float) -> dict[str, int]: ...
    def try_lead(self) -> bool: ...                        # whether this process runs the source schedule (always, embedded)
    def is_alive(self) -> bool: ...                        # whether the store answers (for /healthz)
    def flush(self) -> None: ...                           # make everything written so far durable
    def close(self) -> None: ...
