"""The Store: the five stores over one database, with retention, flush and close.

`open_store(None)` gives the in-memory twin (TinyDB MemoryStorage, nothing on disk), used by tests
and `bot.py replay`; `open_store(path)` the durable database at `path` (a file inside DATA_DIR,
e.g. data/tradewatch.json, beside its journal and lock file; see storage.files). Both behave the
same through the storage.api Protocols. A durable store holds the DATA_DIR lock until `close()`.
`open_store(path, read_only=True)` is a view of the durable database as it is now, taken without
the lock and without writing (so `bot.py sources` works while `run` holds the database); any
write to it raises StorageError.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from storage.deliveries import DeliveryStore
from storage.events import EventStore
from storage.journal import MIN_COMPACT_BYTES, open_durable, read_only as read_tables
from storage.stores import SeenStore, SourceStateStore, SubscriberStore
from storage.tables import Database, ReadOnlyLog
from tradewatch.errors import CorruptDatabaseError


class Store:
    """Seen items, events, source states, subscribers and deliveries over one Database."""

    def __init__(self, db: Database, path: Path | None = None):
        self.path = path
        self._db = db
        self.seen = SeenStore(db)
        self.events = EventStore(db)
        self.sources = SourceStateStore(db)
        self.subscribers = SubscriberStore(db)
        self.deliveries = DeliveryStore(db)
        self._closed = False

    def prune(self, now: datetime, retention_days: float) -> dict[str, int]:
        """Drop events, seen items and finished deliveries older than the retention; counts per table."""
        cutoff = now - timedelta(days=retention_days)
        return {"events": self.events.prune(cutoff),
                "seen": self.seen.prune(cutoff),
                "deliveries": self.deliveries.prune(cutoff)}

    def try_lead(self) -> bool:
        """Always the leader: the DATA_DIR lock lets one process only use this database."""
        return True

    def is_alive(self) -> bool:
        return not self._closed

    def compact(self) -> None:
        """Rewrite the snapshot now and empty the journal (a no-op in memory)."""
        self._db.compact()

    def flush(self) -> None:
        """Make every change so far durable (fsync of the journal)."""
        self._db.flush()

    def close(self) -> None:
        """Flush and release the DATA_DIR lock; closing twice is harmless."""
        if not self._closed:
            self._closed = True
            self._db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: str | Path | None = None, *, sync: bool = False,
               min_compact_bytes: int = MIN_COMPACT_BYTES, read_only: bool = False) -> Store:
    """The in-memory store (`path=None`) or the durable one at `path`.

    `sync=True` fsyncs every change (slower; by default changes reach the OS at once and the
    disk on `flush()`/`close()`). Raises StorageError when DATA_DIR is locked or unwritable and
    CorruptDatabaseError when a file is unreadable (which is then left untouched).
    """
    if path is None:
        return Store(Database({}))
    path = Path(path)
    if read_only:
        tables = read_tables(path)
        try:
            return Store(Database(tables, ReadOnlyLog(path)), path)
        except CorruptDatabaseError as exc:
            raise CorruptDatabaseError(f"database file {path} is unusable: {exc}; it was left untouched") from exc
    tables, journal = open_durable(path, sync=sync, min_compact_bytes=min_compact_bytes)
    try:
        return Store(Database(tables, journal), path)
    except CorruptDatabaseError as exc:
        journal.close()
        raise CorruptDatabaseError(f"database file {path} is unusable: {exc}; "
                                   "it was left untouched") from exc
    except BaseException:
        journal.close()
        raise
