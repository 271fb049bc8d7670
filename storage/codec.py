"""Turn the model dataclasses into JSON-ready documents and back; the only place documents are shaped.

`encode(obj)` walks a dataclass's fields: datetimes become aware ISO-8601 strings, tuples become
lists, nested dataclasses (an Event's Reports) become dicts, and fields still at an empty default
(None, "", (), False, 0) are left out to keep documents small. `decode(cls, doc)` reverses it from
the field type hints, so it is tolerant by construction: a missing key takes the field's default
(files written before a field existed still load), an unknown key is ignored (a newer file read by
an older build). The +08:00 and UTC offsets come back as `models.BEIJING` and `models.UTC`. A
document that cannot be decoded raises CorruptDatabaseError naming the type and the field.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Callable, Mapping, TypeVar

from tradewatch.errors import CorruptDatabaseError
from tradewatch.models import BEIJING, UTC

T = TypeVar("T")
Decoder = Callable[[Any], Any]
_EMPTY_DEFAULTS = (None, "", (), False, 0)
_NOT_EMPTY = object()
_PLAIN = {str, int, float, bool, type(None)}
_KNOWN_ZONES = {timedelta(0): UTC, timedelta(hours=8): BEIJING}


def encode(obj: Any) -> dict[str, Any]:
    """A dataclass as a JSON-ready dict, leaving out fields still at an empty default."""
    doc: dict[str, Any] = {}
    for name, empty in _plan(type(obj)):
        value = getattr(obj, name)
        if empty is _NOT_EMPTY or type(value) is not type(empty) or value != empty:
            doc[name] = value if type(value) in _PLAIN else _encode_value(value)
    return doc


def decode(cls: type[T], doc: Mapping[str, Any]) -> T:
    """The dataclass `cls` from a document written by `encode` (missing keys take their defaults)."""
    try:
        return _fast_decoder(cls)(doc)
    except Exception:            # (anything amiss: read again field by field, to name what it is)
        return _decode_fields(cls, doc)


def _decode_fields(cls: type[T], doc: Mapping[str, Any]) -> T:
    kwargs = {}
    for name, convert in _decoders(cls):
        if name in doc:
            try:
                kwargs[name] = convert(doc[name])
            except (TypeError, ValueError, AttributeError) as exc:
                raise CorruptDatabaseError(f"stored {cls.__name__}.{name} is unreadable: {exc}") from exc
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise CorruptDatabaseError(f"stored {cls.__name__} is incomplete: {exc}") from exc


@cache
def _fast_decoder(cls: type) -> Callable[[Mapping[str, Any]], Any]:
    """`_decode_fields` for `cls` as one generated function (no loop, no call for plain values):
    the same result for a readable document; any exception sends `decode` to `_decode_fields`."""
    names: dict[str, Any] = {"cls": cls}
    lines = ["def decode_doc(doc):", "    kwargs = {}"]
    for i, (name, convert) in enumerate(_decoders(cls)):
        value = f"doc[{name!r}]"
        if convert is not _identity:
            names[f"convert_{i}"] = convert
            value = f"convert_{i}({value})"
        lines.append(f"    if {name!r} in doc: kwargs[{name!r}] = {value}")
    lines.append("    return cls(**kwargs)")
    exec("\n".join(lines), names)       # noqa: S102 (field names of our own dataclasses)
    return names["decode_doc"]


def encode_time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: TradeWatch stores aware datetimes only")
    return moment.isoformat()


def decode_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is UTC:     # (what fromisoformat gives for +00:00)
        return moment
    if moment.tzinfo is None:
        raise ValueError(f"datetime {text!r} has no UTC offset")
    zone = _KNOWN_ZONES.get(moment.utcoffset())
    return moment.replace(tzinfo=zone) if zone is not None else moment


@cache
def _plan(cls: type) -> tuple[tuple[str, Any], ...]:
    """(field name, its empty default or _NOT_EMPTY) for each field, in order."""
    plan = []
    for f in dataclasses.fields(cls):
        empty = f.default in _EMPTY_DEFAULTS if f.default is not dataclasses.MISSING else False
        plan.append((f.name, f.default if empty else _NOT_EMPTY))
    return tuple(plan)


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return encode_time(value)
    if isinstance(value, (tuple, list)):
        return [_encode_value(v) for v in value]
    if dataclasses.is_dataclass(value):
        return encode(value)
    if isinstance(value, dict):
        return {str(k): _encode_value(v) for k, v in value.items()}
    return value


@cache
def _decoders(cls: type) -> tuple[tuple[str, Decoder], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _decoder_for(hints[f.name])) for f in dataclasses.fields(cls) if f.init)


def _decoder_for(hint: Any) -> Decoder:
    """A converter from JSON to the Python type named by a field's type hint."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is datetime:
        return decode_time
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if inner == [datetime]:
            return decode_time
        return _identity
    if origin is tuple:
        item = _decoder_for(args[0]) if args else _identity
        if item is _identity:
            return _as_tuple
        return lambda value: tuple(item(v) for v in _as_tuple(value))
    if dataclasses.is_dataclass(hint):
        return lambda value: decode(hint, value)
    if hint is float:
        return float
    return _identity


def _as_tuple(value: Any) -> tuple:
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"expected a list, found {type(value).__name__}")
    return tuple(value)


def _identity(value: Any) -> Any:
    return value
