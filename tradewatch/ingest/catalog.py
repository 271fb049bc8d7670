"""Load and validate the sources catalog (`sources.toml`) into `Source` values.

Every problem is refused at start-up with the source id and the key named: an unknown key or
kind, a duplicate id, a bad interval, URL, authority or selector table, a CSS selector that
selectolax cannot parse, an entry that is not a table; and a catalog path that is a directory or
cannot be read.
"""
from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from tradewatch.errors import CatalogError
from tradewatch.models import AUTHORITIES, Source
from tradewatch.ingest.parsers import PARSERS

KEYS = {"id", "name", "kind", "url", "authority", "country", "lang", "every", "enabled", "select",
        "title_filter", "base_url", "note", "allow_private"}
REQUIRED = ("id", "name", "kind", "url")
SELECT_KEYS = {"item", "title", "link", "date", "summary", "date_format"}
HTML_KINDS = {"html", "mofcom_unit"}
INTERVAL = re.compile(r"^(\d+)\s*([smh])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours"}
ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def parse_interval(raw: str) -> timedelta:
    """'10m' → 10 minutes. Accepts s, m and h; the interval must be at least one second."""
    match = INTERVAL.match(str(raw).strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{raw!r} is not an interval like '30s', '10m' or '2h'")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def load_catalog(path: str | Path) -> list[Source]:
    """Read a catalog file; raise CatalogError on any problem, naming the file, source and key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"sources file {path} does not exist (set SOURCES_FILE)") from None
    except IsADirectoryError:
        raise CatalogError(f"sources file {path} is a directory, not a catalog file (set SOURCES_FILE)") from None
    except OSError as exc:
        raise CatalogError(f"sources file {path} cannot be read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"sources file {path} is not valid TOML: {exc}") from None
    return parse_catalog(data, str(path))


def parse_catalog(data: dict[str, Any], origin: str = "catalog") -> list[Source]:
    unknown = set(data) - {"source"}
    if unknown:
        raise CatalogError(f"{origin}: unknown top-level key {sorted(unknown)[0]!r} (expected [[source]] tables)")
    entries = data.get("source", [])
    if not isinstance(entries, list) or not entries:
        raise CatalogError(f"{origin}: no [[source]] entries")
    sources, seen = [], set()
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise CatalogError(f"{origin}: source #{index} is {type(entry).__name__} {entry!r:.40}, "
                               "not a table (write each source as a [[source]] table)")
        source = _parse_entry(entry, index, origin)
        if source.id in seen:
            raise CatalogError(f"{origin}: source {source.id!r}: key 'id' is a duplicate")
        seen.add(source.id)
        sources.append(source)
    return sources


def _parse_entry(entry: dict[str, Any], index: int, origin: str) -> Source:
    label = f"{origin}: source {entry.get('id', f'#{index}')!r}"

    def fail(key: str, why: str) -> CatalogError:
        return CatalogError(f"{label}: key {key!r} {why}")

    for key in entry:
        if key not in KEYS:
            raise fail(key, f"is not known (known keys: {', '.join(sorted(KEYS))})")
    for key in REQUIRED:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise fail(key, "is required and must be a non-empty string")
    if not ID.match(entry["id"]):
        raise fail("id", "must be lower-case letters, digits, '-' or '_'")
    if entry["kind"] not in PARSERS:
        raise fail("kind", f"{entry['kind']!r} is unknown (known kinds: {', '.join(sorted(PARSERS))})")
    for key in ("url", "base_url"):
        if entry.get(key) and not _is_http_url(entry[key]):
            raise fail(key, f"{entry[key]!r} is not an http(s) URL")
    authority = entry.get("authority", "news")
    if authority not in AUTHORITIES:
        raise fail("authority", f"must be one of {', '.join(AUTHORITIES)}")
    try:
        every = parse_interval(entry.get("every", "15m"))
    except ValueError as exc:
        raise fail("every", str(exc)) from None
    for key in ("enabled", "allow_private"):
        if not isinstance(entry.get(key, key == "enabled"), bool):
            raise fail(key, "must be true or false")
    select = entry.get("select", {})
    if not isinstance(select, dict) or not all(isinstance(v, str) for v in select.values()):
        raise fail("select", "must be a table of strings")
    if set(select) - SELECT_KEYS:
        raise fail(f"select.{sorted(set(select) - SELECT_KEYS)[0]}", f"is not known (known: {', '.join(sorted(SELECT_KEYS))})")
    if entry["kind"] in HTML_KINDS and not {"item", "title", "link"} <= set(select):
        raise fail("select", "needs at least item, title and link selectors for this kind")
    for key, spec in select.items():
        problem = selector_problem(key, spec)
        if problem:
            raise fail(f"select.{key}", problem)
    if entry.get("title_filter"):
        try:
            re.compile(entry["title_filter"])
        except re.error as exc:
            raise fail("title_filter", f"is not a valid regular expression: {exc}") from None
    for key in ("country", "lang", "note", "title_filter", "base_url"):
        if key in entry and not isinstance(entry[key], str):
            raise fail(key, "must be a string")
    return Source(
        id=entry["id"], name=entry["name"], kind=entry["kind"], url=entry["url"], authority=authority,
        country=entry.get("country", ""), lang=entry.get("lang", "en"), every=every,
        enabled=entry.get("enabled", True), select=dict(select), title_filter=entry.get("title_filter", ""),
        base_url=entry.get("base_url", ""), note=entry.get("note", ""),
        allow_private=entry.get("allow_private", False),
    )


def selector_problem(key: str, spec: str) -> str | None:
    """Why a `select` value cannot work, or None: `item` is plain CSS, the others "css", "css@attr"
    or "@attr" (`date_format` is a strptime format, not a selector)."""
    if key == "date_format":
        return None if spec.strip() else "must not be empty"
    css, at, attr = (spec, "", "") if key == "item" else spec.partition("@")
    if at and not attr.strip():
        return f"{spec!r} names no attribute after '@'"
    if not css.strip():
        return None if at else f"{spec!r} is empty"
    try:
        _PROBE.css(css.strip())
    except SelectolaxError:
        return f"{css.strip()!r} is not a valid CSS selector"
    return None


_PROBE = LexborHTMLParser("<html></html>")


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
