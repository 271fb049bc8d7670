"""Open the durable database and keep it: load snapshot + journal, append changes, compact.

`open_durable(path)` takes the DATA_DIR lock, refuses a DATA_DIR that takes no new files (a write
probe: a read-only directory would fail every compaction while the journal grows), removes a temporary snapshot left by a crash, loads
the snapshot (creating an empty one for a new database), replays the journal and returns the
tables with a `Journal`, the change log `storage.tables.Database` writes through. Each change is
one appended line, flushed to the OS (fsync too with `sync=True`; `flush()` always fsyncs), so a
write costs the same at 50,000 documents as at 1,000. When the journal outgrows both the snapshot
and `min_compact_bytes`, a compaction writes a fresh snapshot atomically and empties the journal:
its cost is proportional to the data, but it happens once per that much journal, so the amortised
cost of a write stays flat and start-up replays at most about one snapshot's worth of lines.

`read_only(path)` loads the same tables without the lock and without writing anything, for
reading while a running TradeWatch holds the database: a line being appended meanwhile has no
newline yet and is left out, and a compaction meanwhile (the snapshot replaced under the reader)
makes it read again.

If DATA_DIR stops taking new files while the database is open, the failed compaction is reported
once and compaction pauses (appends go on; the journal keeps every change); every PROBE_EVERY
appends the directory is probed, and compaction resumes once it is writable again.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Mapping

from storage import files
from storage.tables import Packed, Tables
from tradewatch.errors import StorageError

log = logging.getLogger(__name__)

MIN_COMPACT_BYTES = 8 * 1024 * 1024
PROBE_EVERY = 500          # appends between two write probes while compaction is paused


class Journal:
    """The append-only change log beside a snapshot; holds the DATA_DIR lock until closed."""

    def __init__(self, snapshot: Path, lock_fd: int, *, snapshot_bytes: int, sync: bool = False,
                 min_compact_bytes: int = MIN_COMPACT_BYTES):
        self.snapshot = snapshot
        self.path = journal_path(snapshot)
        self._lock_fd: int | None = lock_fd
        self._fd: int | None = None
        self._segment: files.Segment | None = None     # the journal opened for reading documents back
        self._sync = sync
        self._min_compact = min_compact_bytes
        self._snapshot_bytes = snapshot_bytes
        self._bytes = 0
        self._retry_at = 0
        self._dirty = False
        self.paused = False            # compaction paused: DATA_DIR took no new file
        self._since_probe = 0

    def open(self, valid_bytes: int) -> None:
        """Open for appending, cutting off a torn tail beyond `valid_bytes`."""
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            if os.fstat(self._fd).st_size > valid_bytes:
                log.warning("%s: cutting off a torn last line left by an interrupted write", self.path)
                os.ftruncate(self._fd, valid_bytes)
                os.fsync(self._fd)
            self._segment = files.Segment.open(self.path)
        except OSError as exc:
            raise StorageError(f"cannot open {self.path} for writing: {exc.strerror}") from exc
        self._bytes = valid_bytes

    def append(self, table: str, put: Mapping[str, Packed], delete: list[str]) -> None:
        data = files.operation_line(table, put, delete)
        try:
            _write_all(self._writable(), data)
            if self._sync:
                os.fsync(self._writable())
        except OSError as exc:
            self._cut_back()
            raise StorageError(f"cannot write {self.path}: {exc.strerror}") from exc
        if self._segment is not None and not delete:
            files.stored_copy(table, put, data, self._segment, self._bytes)    # a long document stays on disk
        self._bytes += len(data)
        self._dirty = True
        self._since_probe += 1

    def wants_compaction(self) -> bool:
        if self.paused and not self._writable_again():
            return False
        return self._bytes > max(self._min_compact, self._snapshot_bytes, self._retry_at)

    def _writable_again(self) -> bool:
        if self._since_probe < PROBE_EVERY:
            return False
        self._since_probe = 0
        if files.probe_writable(self.snapshot.parent) is not None:
            return False
        self.paused, self._retry_at = False, 0
        log.warning("%s takes new files again: compaction resumes", self.snapshot.parent)
        return True

    def compact(self, tables: Tables) -> None:
        """Write a fresh snapshot atomically, then empty the journal. A failure pauses compaction
        (see the module's docstring) and raises StorageError."""
        try:
            self._snapshot_bytes = files.write_snapshot(self.snapshot, tables, on_disk=True)
        except OSError as exc:
            self._retry_at = self._bytes + self._min_compact
            self.paused, self._since_probe = True, 0
            raise StorageError(f"cannot write the snapshot {self.snapshot}: {exc.strerror}; "
                               f"the journal {self.path} still holds every change; compaction paused "
                               f"until {self.snapshot.parent} is writable again") from exc
        try:
            os.ftruncate(self._writable(), 0)
            os.fsync(self._writable())
        except OSError as exc:
            raise StorageError(f"cannot empty {self.path} after a snapshot: {exc.strerror}") from exc
        self._bytes, self._retry_at, self._dirty = 0, 0, False
        log.info("compacted %s (%d bytes)", self.snapshot, self._snapshot_bytes)

    def flush(self) -> None:
        if self._dirty and self._fd is not None:
            os.fsync(self._fd)
            self._dirty = False

    def close(self) -> None:
        if self._fd is not None:
            self.flush()
            os.close(self._fd)
            self._fd = None
        if self._lock_fd is not None:
            files.unlock(self._lock_fd)
            self._lock_fd = None

    def _writable(self) -> int:
        if self._fd is None:
            raise StorageError(f"the database {self.snapshot} is closed")
        return self._fd

    def _cut_back(self) -> None:
        """Undo a partly written line so the next append does not continue it."""
        try:
            os.ftruncate(self._writable(), self._bytes)
        except OSError:
            log.exception("could not cut %s back to %d bytes", self.path, self._bytes)


def journal_path(snapshot: Path) -> Path:
    return snapshot.with_suffix(".journal")


def lock_path(snapshot: Path) -> Path:
    return snapshot.with_suffix(".lock")


def open_durable(path: str | Path, *, sync: bool = False,
                 min_compact_bytes: int = MIN_COMPACT_BYTES) -> tuple[Tables, Journal]:
    """Lock, load and replay the database at `path`; compact when the journal is due."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the data directory {path.parent}: {exc.strerror}") from exc
    lock_fd = files.lock(lock_path(path))
    try:
        problem = files.probe_writable(path.parent)
        if problem is not None:
            raise StorageError(f"DATA_DIR {path.parent} is not writable ({problem}): TradeWatch keeps its "
                               "database there; make it writable, or set DATA_DIR to a directory that is")
        return _load(path, lock_fd, sync=sync, min_compact_bytes=min_compact_bytes)
    except BaseException:
        files.unlock(lock_fd)
        raise


READ_TRIES = 5


def read_only(path: str | Path) -> Tables:
    """The database's tables as of now, read without the lock and without writing; {} when none."""
    path = Path(path)
    for _ in range(READ_TRIES):
        before = _identity(path)
        if before is None:
            journal = journal_path(path)
            if journal.exists() and journal.stat().st_size > 0:
                raise files.corrupt(journal, f"its snapshot {path} is missing")
            return {}
        tables = files.read_snapshot(path)
        files.read_journal(journal_path(path), tables)
        if _identity(path) == before:
            return tables
    raise StorageError(f"the database {path} kept changing while it was read ({READ_TRIES} tries); try again")


def _identity(path: Path) -> tuple[int, int, int] | None:
    """Which snapshot file is there (inode, size, mtime), or None."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise files.corrupt(path, f"it cannot be read ({exc.strerror})") from exc
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _load(path: Path, lock_fd: int, **options: Any) -> tuple[Tables, Journal]:
    _remove_leftover(files.temp_path(path))
    tables, snapshot_bytes = _load_snapshot(path)
    valid_bytes = files.read_journal(journal_path(path), tables, on_disk=True)
    journal = Journal(path, lock_fd, snapshot_bytes=snapshot_bytes, **options)
    journal.open(valid_bytes)
    if journal.wants_compaction():
        try:
            journal.compact(tables)
        except StorageError as exc:
            log.error("compaction at start-up failed: %s", exc)
    return tables, journal


def _load_snapshot(path: Path) -> tuple[Tables, int]:
    if path.exists():
        return files.read_snapshot(path, on_disk=True), path.stat().st_size
    journal = journal_path(path)
    if journal.exists() and journal.stat().st_size > 0:
        raise files.corrupt(journal, f"its snapshot {path} is missing")
    try:
        return {}, files.write_snapshot(path, {})
    except OSError as exc:
        raise StorageError(f"cannot create the database {path}: {exc.strerror}") from exc


def _remove_leftover(tmp: Path) -> None:
    if tmp.exists():
        log.warning("removing %s, a snapshot left unfinished by an interrupted compaction", tmp)
        tmp.unlink()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
