"""The durable database's files: a snapshot, a journal of changes since it, and a lock file.

Both data files are JSON lines of one shape, an operation on one table:
`{"t": table, "del": [key, …], "put": {key: document}}` (either part may be absent; deletes apply
first), so moving a document is one line. `tradewatch.json`, the snapshot, starts with the line
`{"format": "tradewatch-db", "version": 1}` followed by one `put` per document; it is only ever
replaced atomically (temporary file in the same directory, flush, fsync, os.replace, fsync of the
directory). `tradewatch.journal` has one line per change since that snapshot, each written with
one write, so a crash leaves at worst a torn last line without its newline, which loading drops.
Replaying is idempotent (whole documents, plain deletes), so a crash between writing a snapshot
and emptying the journal loses nothing. Anything else that is wrong (unreadable, not JSON, no
format marker, a bad line) raises CorruptDatabaseError naming the file and what is wrong, and
every file is left untouched. `tradewatch.lock`, held with fcntl.flock while a store is open,
keeps a second TradeWatch off the same DATA_DIR. `probe_writable` creates and removes
`tradewatch.probe` to learn whether the directory takes new files (a snapshot needs one).
"""
from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path
from typing import Any, BinaryIO, Mapping

from storage.tables import Packed, Segment, Stored, Tables, change, dumps, keeps_on_disk, loads
from tradewatch.errors import CorruptDatabaseError, StorageError

FORMAT = "tradewatch-db"
VERSION = 1
_UNTOUCHED = "it was left untouched: restore it from a backup, or move it aside to start afresh"


def lock(lock_path: Path) -> int:
    """Take the DATA_DIR's exclusive lock; StorageError when another process (or store) holds it."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StorageError(f"cannot create the lock file {lock_path}: {exc.strerror}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        raise StorageError(f"another TradeWatch is running with DATA_DIR {lock_path.parent} "
                           f"(it holds {lock_path}); stop it first or use another DATA_DIR") from exc
    return fd


def unlock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def probe_writable(directory: Path) -> str | None:
    """None when a new file can be written in `directory`, else why not (the OS's words)."""
    probe = directory / "tradewatch.probe"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        os.write(fd, b"ok\n")
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        os.close(fd)
        try:
            os.unlink(probe)
        except OSError:
            pass
    return None


def temp_path(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


def operation_line(table: str, put: Mapping[str, Packed], delete: list[str]) -> bytes:
    """One operation as a journal or snapshot line, built from the documents' stored text."""
    parts = [f'{{"t":{dumps(table)}']
    if delete:
        parts.append(f',"del":{dumps(delete)}')
    if put:
        parts.append(',"put":{' + ",".join(f"{dumps(k)}:{p.text}" for k, p in put.items()) + "}")
    parts.append("}\n")
    return "".join(parts).encode("ascii")


def write_snapshot(path: Path, tables: Tables, *, on_disk: bool = False) -> int:
    """Replace the snapshot atomically with `tables`; returns its size in bytes. With `on_disk`,
    the long documents of `tables` then point into the new snapshot (`Stored`), so no reference
    is left into the journal that is emptied next or into the snapshot replaced."""
    tmp = temp_path(path)
    moved: list[tuple[dict[str, Packed], str, int, int]] = []
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), "wb") as out:
        header = (dumps({"format": FORMAT, "version": VERSION}) + "\n").encode("ascii")
        out.write(header)
        offset = len(header)
        for name, docs in tables.items():
            head_of_table = f'{{"t":{dumps(name)},"put":{{'
            for key, packed in docs.items():
                line = operation_line(name, {key: packed}, [])
                out.write(line)
                length = len(line) - 3 - len(head_of_table) - len(dumps(key)) - 1
                if on_disk and keeps_on_disk(name, length):
                    moved.append((docs, key, offset + len(line) - 3 - length, length))
                offset += len(line)
        out.flush()
        os.fsync(out.fileno())
        size = out.tell()
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    if moved:
        segment = Segment.open(path)
        for docs, key, start, length in moved:
            docs[key] = Stored(segment, start, length)
    return size


# The head of a line holding one put, as `operation_line` writes it: table name and key (JSON strings).
_PUT_HEAD = re.compile(rb'\{"t":("(?:[^"\\\x00-\x1f]|\\.)*"),"put":\{("(?:[^"\\\x00-\x1f]|\\.)*"):(?=\{)')


def read_snapshot(path: Path, *, on_disk: bool = False) -> Tables:
    """The tables in a snapshot written by `write_snapshot`, or CorruptDatabaseError.

    A snapshot line holds one document (`write_snapshot` writes them so): its table and key are
    read from the line's head and its text kept as it is, not decoded; the stores decode a
    document when they first read it (the events store at open), and one that turns out unreadable
    raises CorruptDatabaseError then. Any other line is parsed and checked whole. With `on_disk`,
    long documents (and those of tables read rarely, `keeps_on_disk`) stay in the
    file (`Stored`), read again when used."""
    tables: Tables = {}
    with _open(path) as lines:
        segment = Segment(os.dup(lines.fileno()), path) if on_disk else None
        header = next(lines, b"")
        _check_header(path, header)
        offset = len(header)
        for number, line in enumerate(lines, start=2):
            if not _put_as_is(tables, line, segment, offset) and line.strip():
                apply(tables, _operation(path, number, line), line)
            offset += len(line)
    return tables


def _put_as_is(tables: Tables, line: bytes, segment: Segment | None = None, offset: int = 0) -> bool:
    """Store a one-document line's document under its table and key, undecoded (as a reference
    into `segment` when it is long); False when the line is not laid out so (it is then parsed whole)."""
    head = _PUT_HEAD.match(line) if line.endswith(b"}}\n") else None
    if head is None:
        return False
    length = len(line) - 3 - head.end()
    try:
        name, key = _string(head[1]), _string(head[2])
        if segment is not None and keeps_on_disk(name, length):
            line[head.end():-3].decode("utf-8")          # checked now, as an in-memory text is
            packed: Packed = Stored(segment, offset + head.end(), length)
        else:
            packed = Packed(line[head.end():-3].decode("utf-8"))
    except ValueError:                   # a bad escape or bad UTF-8: the whole parse names the line
        return False
    table = tables.get(name)
    if table is None:
        table = tables[name] = {}
    table[key] = packed
    return True


def _string(quoted: bytes) -> str:
    """A JSON string's value (`quoted` with its quotes), decoded only when it holds an escape."""
    escapes = quoted.count(b"\\")
    if escapes and escapes == quoted.count(b"\\u001f") and quoted.isascii():    # a seen key's separator
        return quoted[1:-1].replace(b"\\u001f", b"\x1f").decode("ascii")
    if escapes or not quoted.isascii():
        value = loads(quoted)
        if type(value) is not str:
            raise ValueError("not a string")
        return value
    return quoted[1:-1].decode("ascii")


def read_journal(path: Path, tables: Tables, *, on_disk: bool = False) -> int:
    """Replay the journal into `tables`; returns the bytes of complete lines (a torn tail excluded).
    With `on_disk`, long documents of one-document lines stay in the file (`Stored`)."""
    if not path.exists():
        return 0
    valid = 0
    with _open(path) as lines:
        segment = Segment(os.dup(lines.fileno()), path) if on_disk else None
        for number, line in enumerate(lines, start=1):
            if not line.endswith(b"\n"):
                break                    # torn by an interrupted write: never acknowledged
            if line.strip():
                apply(tables, _operation(path, number, line), line, segment, valid)
            valid += len(line)
    return valid


def apply(tables: Tables, op: Mapping[str, Any], line: bytes = b"", segment: Segment | None = None,
          offset: int = 0) -> None:
    """Replay one parsed operation (`line`, its text at `offset` of `segment`, spares re-encoding a
    lone document, and keeps a long one in the file)."""
    docs = op.get("put", {})
    put = _lone_document(op, line, segment, offset) or {key: Packed.of(doc) for key, doc in docs.items()}
    change(tables.setdefault(op["t"], {}), put, op.get("del", ()))


def _lone_document(op: Mapping[str, Any], line: bytes, segment: Segment | None = None,
                   offset: int = 0) -> dict[str, Packed] | None:
    """A single put's document cut from a line laid out as `operation_line` writes it (its head
    found by pattern, not by encoding the table and key again)."""
    if len(op.get("put", ())) != 1 or "del" in op or not line.endswith(b"}}\n"):
        return None
    head = _PUT_HEAD.match(line)
    if head is None:
        return None
    length = len(line) - 3 - head.end()
    if segment is not None and keeps_on_disk(op["t"], length):
        return {next(iter(op["put"])): Stored(segment, offset + head.end(), length)}
    return {next(iter(op["put"])): Packed(line[head.end():-3].decode("utf-8"))}


def stored_copy(table: str, put: Mapping[str, Packed], line: bytes, segment: Segment, offset: int) -> None:
    """Swap the one document of `put`, just written as `line` at `offset` of `segment`, for a
    reference to it there when it is to stay on disk (see `Stored`)."""
    if len(put) != 1 or not isinstance(put, dict):
        return
    head = _PUT_HEAD.match(line)
    length = len(line) - 3 - head.end() if head is not None else 0
    if head is not None and keeps_on_disk(table, length):
        put[next(iter(put))] = Stored(segment, offset + head.end(), length)


def corrupt(path: Path, what: str) -> CorruptDatabaseError:
    return CorruptDatabaseError(f"database file {path} is unusable: {what}; {_UNTOUCHED}")


class _open:
    """The lines of a file, with read errors turned into CorruptDatabaseError."""

    def __init__(self, path: Path):
        self.path = path
        self.file: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        try:
            self.file = open(self.path, "rb")
        except PermissionError as exc:
            raise corrupt(self.path, "permission denied when reading it") from exc
        except OSError as exc:
            raise corrupt(self.path, f"it cannot be read ({exc.strerror})") from exc
        return self.file

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if self.file is not None:
            self.file.close()
        if isinstance(exc, OSError):
            raise corrupt(self.path, f"it cannot be read ({exc.strerror})") from exc


def _check_header(path: Path, line: bytes) -> None:
    if not line.strip():
        raise corrupt(path, "it is empty where a TradeWatch header line was expected")
    header = _json(path, 1, line)
    if not isinstance(header, dict):
        raise corrupt(path, f"line 1 is a JSON {type(header).__name__}, not the TradeWatch header object")
    if header.get("format") != FORMAT:
        raise corrupt(path, f"it has no TradeWatch format marker (format={header.get('format')!r})")
    version = header.get("version")
    if not isinstance(version, int) or not 1 <= version <= VERSION:
        raise corrupt(path, f"format version {version!r} is not one this TradeWatch reads (1..{VERSION})")


def _operation(path: Path, number: int, line: bytes) -> dict[str, Any]:
    op = _json(path, number, line)
    if not _is_operation(op):
        raise corrupt(path, f"line {number} is not a TradeWatch table operation")
    return op


def _json(path: Path, number: int, line: bytes) -> Any:
    try:
        return loads(line)
    except ValueError as exc:
        raise corrupt(path, f"line {number} is not valid JSON ({exc})") from exc


def _is_operation(op: Any) -> bool:
    if type(op) is not dict or type(op.get("t")) is not str or not ("put" in op or "del" in op):
        return False
    put, delete = op.get("put", {}), op.get("del", [])
    if type(put) is not dict or type(delete) is not list:
        return False
    for doc in put.values():
        if type(doc) is not dict:
            return False
    return all(type(key) is str for key in delete)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
