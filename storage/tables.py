"""The query layer: TinyDB on an in-memory storage, one keyed table per store, every change logged.

Stock TinyDB copies a whole table twice on every write (it converts document ids to ints and back),
so a write costs O(table size). `KeyedTable` keeps TinyDB's reading and querying but uses the
store's own string keys as document ids and changes the table in place, so a write costs O(that
document). Each document is held as its compact JSON text (`Packed`, a read-only Mapping that
TinyDB queries like any document): a third of the memory of nested dicts, and the exact text the
journal and the snapshot write. `Database` owns the TinyDB instance and a change log (the durable
journal, or nothing for the in-memory twin); `write` logs first and then changes the table, so a
failed disk write leaves memory as it was. The store modules get fresh dicts from `doc`/`docs`
and give dicts to `write`; documents never leave `storage/`.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Callable, Iterable, Iterator, Mapping, Protocol

from tinydb import TinyDB
from tinydb.queries import QueryLike
from tinydb.storages import MemoryStorage
from tinydb.table import Table

from tradewatch.errors import CorruptDatabaseError, StorageError

try:                                     # 2-3 times faster to read than the json module
    import orjson
except ImportError:                      # pragma: no cover - it is a dependency; json still works
    orjson = None

log = logging.getLogger(__name__)

Doc = dict[str, Any]


def dumps(value: Any) -> str:
    """Compact ASCII JSON, the one encoding of documents in memory and on disk: what
    `json.dumps(ensure_ascii=True)` writes (orjson writes the same for ASCII text without floats,
    four times faster; stored documents hold no floats, and text beyond ASCII or with DEL goes through
    json)."""
    if orjson is not None:
        try:
            data = orjson.dumps(value)
        except (TypeError, orjson.JSONEncodeError):
            data = b"\x80"
        if data.isascii() and b"\x7f" not in data:       # json escapes DEL, orjson does not
            return data.decode("ascii")
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """The value of a JSON text, as `json.loads` reads it: orjson when it can, else json (orjson
    refuses lone surrogates and NaN, which json reads; json then also names what is wrong). Our
    documents hold no integer beyond 64 bits (orjson would read one as a float)."""
    if orjson is not None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


class Packed(Mapping[str, Any]):
    """A stored document kept as its JSON text; reading a field decodes it."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> "Packed":
        return cls(dumps(doc))

    def unpack(self) -> Doc:
        return loads(self.text)

    def __getitem__(self, key: str) -> Any:
        return self.unpack()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.unpack())

    def __len__(self) -> int:
        return len(self.unpack())

    def __repr__(self) -> str:
        return f"Packed({self.text!r})"


class Segment:
    """A data file opened for reading, that `Stored` documents point into. The descriptor stays
    valid when the file is replaced or emptied later (a compaction re-points every document first),
    and is closed once no document points into it."""

    __slots__ = ("fd", "path")

    def __init__(self, fd: int, path: object = ""):
        self.fd, self.path = fd, path

    @classmethod
    def open(cls, path: Any) -> "Segment":
        return cls(os.open(path, os.O_RDONLY), path)

    def __del__(self) -> None:
        try:
            os.close(self.fd)
        except (OSError, AttributeError, TypeError):
            pass


class Stored(Packed):
    """A stored document whose text stays in its file (`length` bytes at `offset` of `segment`),
    read again when it is used: a large document costs ~100 bytes of memory instead of its size."""

    __slots__ = ("segment", "offset", "length")

    def __init__(self, segment: Segment, offset: int, length: int):
        self.segment, self.offset, self.length = segment, offset, length

    @property                                      # type: ignore[override]
    def text(self) -> str:
        try:
            data = os.pread(self.segment.fd, self.length, self.offset)
        except OSError as exc:
            raise StorageError(f"cannot read {self.segment.path}: {exc.strerror}") from exc
        if len(data) != self.length:
            raise CorruptDatabaseError(f"{self.segment.path} is shorter than a document it held")
        return data.decode("utf-8")

    def __repr__(self) -> str:
        return f"Stored({self.segment.path!s}@{self.offset}+{self.length})"


STORED_MIN = 320                 # documents at least this long stay on disk (events); shorter ones in memory …
READ_RARELY = frozenset({"seen"})   # … and every document of a table read only to prune (keys say the rest)


def keeps_on_disk(table: str, length: int) -> bool:
    """Whether a document of `length` bytes in `table` stays in its file (`Stored`)."""
    return length >= STORED_MIN or table in READ_RARELY

Tables = dict[str, dict[str, Packed]]


class ChangeLog(Protocol):
    """Where changes go to become durable (storage.journal); `compact` gets the whole state."""

    def append(self, table: str, put: Mapping[str, Packed], delete: list[str]) -> None: ...
    def wants_compaction(self) -> bool: ...
    def compact(self, tables: Tables) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class NoLog:
    """The in-memory twin's change log: nothing is kept anywhere."""

    def append(self, table: str, put: Mapping[str, Packed], delete: list[str]) -> None:
        return None

    def wants_compaction(self) -> bool:
        return False

    def compact(self, tables: Tables) -> None:
        return None

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None


class ReadOnlyLog(NoLog):
    """The change log of a read-only view (`open_store(path, read_only=True)`): writing is refused."""

    def __init__(self, path: object):
        self.path = path

    def append(self, table: str, put: Mapping[str, Packed], delete: list[str]) -> None:
        raise StorageError(f"the database {self.path} is open read-only here (another TradeWatch may be running)")


class KeyedTable(Table):
    """A TinyDB table whose document ids are the store's string keys, updated in place."""

    document_id_class = str

    def _update_table(self, updater: Callable[[dict], None]) -> None:
        updater(self.raw())
        self.clear_cache()

    def raw(self) -> dict[str, Packed]:
        """The live table (key -> Packed document): read it, never change it."""
        tables = self._storage.read()
        if tables is None:
            tables = {}
            self._storage.write(tables)
        return tables.setdefault(self.name, {})


class _TinyDB(TinyDB):
    table_class = KeyedTable


class Database:
    """TinyDB in memory plus a change log; the single writer every store goes through."""

    def __init__(self, tables: Tables, log: ChangeLog | None = None):
        self._db = _TinyDB(storage=MemoryStorage)
        self._db.storage.write(tables)
        self._log: ChangeLog = log or NoLog()

    def table(self, name: str) -> KeyedTable:
        return self._db.table(name)  # type: ignore[return-value]

    def has(self, name: str, key: str) -> bool:
        return key in self.table(name).raw()

    def doc(self, name: str, key: str) -> Doc | None:
        """A fresh copy of the document under `key`, or None."""
        packed = self.table(name).raw().get(key)
        return None if packed is None else _unpacked(name, key, packed)

    def docs(self, name: str) -> Iterator[tuple[str, Doc]]:
        """(key, fresh copy) for every document, in insertion order."""
        for key, packed in list(self.table(name).raw().items()):
            yield key, _unpacked(name, key, packed)

    def keys(self, name: str) -> list[str]:
        """Every document's key, in insertion order (nothing decoded)."""
        return list(self.table(name).raw())

    def search(self, name: str, cond: QueryLike) -> list[Doc]:
        """Fresh copies of the documents matching a TinyDB query (each decoded once)."""
        return [doc for _, doc in self.docs(name) if cond(doc)]

    def count(self, name: str) -> int:
        return len(self.table(name).raw())

    def put(self, name: str, docs: Mapping[str, Doc]) -> None:
        """Insert or replace documents by key, as one logged change."""
        self.write(name, put=docs)

    def delete(self, name: str, keys: Iterable[str]) -> int:
        """Remove documents by key, as one logged change; returns how many existed."""
        present = [k for k in keys if self.has(name, k)]
        self.write(name, delete=present)
        return len(present)

    def write(self, name: str, put: Mapping[str, Doc] | None = None,
              delete: list[str] | None = None) -> None:
        """Delete `delete` keys, then put `put` documents, all as one logged (atomic) change."""
        if not put and not delete:
            return
        packed = {key: Packed.of(doc) for key, doc in (put or {}).items()}
        self._log.append(name, packed, list(delete or ()))
        self.table(name)._update_table(lambda table: change(table, packed, delete or ()))
        self._compact_if_due()

    def compact(self) -> None:
        self._log.compact(self._db.storage.read() or {})

    def flush(self) -> None:
        self._log.flush()

    def close(self) -> None:
        self._log.close()

    def _compact_if_due(self) -> None:
        """Compact after a write when due; a failure is logged in one line (the journal still has
        the write, and the journal pauses compaction until the directory is writable again)."""
        if self._log.wants_compaction():
            try:
                self.compact()
            except StorageError as exc:
                log.error("compaction failed: %s", exc)


def _unpacked(name: str, key: str, packed: Packed) -> Doc:
    """The document, or CorruptDatabaseError when its stored text is not a JSON object (a snapshot
    line's document is first decoded here, see storage.files.read_snapshot)."""
    try:
        doc = packed.unpack()
    except ValueError as exc:
        raise CorruptDatabaseError(f"the stored {name} document {key!r} is not valid JSON ({exc})") from exc
    if type(doc) is not dict:
        raise CorruptDatabaseError(f"the stored {name} document {key!r} is not a JSON object")
    return doc


def change(table: dict[str, Packed], put: Mapping[str, Packed], delete: Iterable[str]) -> None:
    """Apply one change to a table: its deletes, then its puts."""
    for key in delete:
        table.pop(key, None)
    table.update(put)
