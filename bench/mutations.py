"""Seeded hostile inputs for the fuzz run (bench/fuzz.py) and the property test (tests/test_fuzz.py).

`seeds(kind)` reads the project's own fixtures for a parser kind (tests/fixtures/<kind>/ and the
pipeline and end-to-end feeds), each with the Source its sidecar describes. `mutate(rng, body,
kind)` applies one to three mutations from MUTATIONS: byte flips, truncation, duplicated segments,
deep nesting, huge strings, lone surrogates, C0 controls, hostile dates (year 9999, 0001), wrong
JSON types, numeric character references out of range, odd charset declarations, and the shapes of
issue 15 (thousands of unclosed non-permalink guids, 80,000 nested divs). `hostile_item(rng)` and
`hostile_event(rng)` build Items and Events with the same kinds of text, dates and sizes. Every
choice comes from the `random.Random` passed in, so a seed replays the same inputs.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from tradewatch.models import Event, FetchResult, Item, Report, Source

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
KINDS = ("rss", "federal_register", "html", "mofcom_unit")
EXTRA_SEEDS = {"rss": ("pipeline/*.rss", "e2e/*.rss"), "federal_register": ("pipeline/fr-*.json",)}
CONTENT_TYPES = {"rss": "application/rss+xml", "federal_register": "application/json", "html": "text/html",
                 "mofcom_unit": "application/json"}
MAX_BODY = 8_000_000

WORDS = ("tariff", "tariffs", "duty", "25%", "50 per cent", "export controls", "Entity List", "anti-dumping",
         "China", "US", "EU", "steel", "chips", "关税", "加征", "出口管制", "商务部公告2026年第61号", "反倾销", "稀土",
         "美国", "2026-16628", "CSMS # 66104512", "Section 232", "effective October 1, 2026", "自2026年10月1日起")
NASTY = ("\x00", "\x07", "\x1b", "\x1f", "\x7f", "\ud800", "\udfff", "\ud83d", "\u202e", "\ufeff", "\u2028",
         "\t", "\n", "\r", "<", ">", "&", "&amp;", "\"", "'", "</a>", "<b>", "😀", "𠀀", "\u3000")
DATES = (b"Fri, 31 Dec 9999 23:59:59 -1200", b"Mon, 01 Jan 0001 00:00:00 +2359", b"9999-12-31T23:59:59-23:59",
         b"0001-01-01T00:00:00+14:00", b"0000-00-00", b"2026-02-31T25:61:61Z", b"99999-01-01", b"[9999-12-31]")
SHAPES = (b'<guid isPermaLink="false">x' * 3_000, b"<div>" * 80_000, b"[" * 50_000, b'{"a":' * 20_000,
          b"&#99999999999;&#x110000;&#xD800;&#0;", b'<?xml version="1.0" encoding="idna"?>',
          b'<meta charset="undefined">', b'<meta charset="utf-16">', b"\xff\xfe", b"\xef\xbb\xbf",
          b"<![CDATA[", b"]]>", b"<!--", b"<script>", b"<a href='http://[::1'>x</a>", b"&#x1F;&#8;")


def seeds(kind: str) -> list[tuple[bytes, Source, str]]:
    """(body, source, content type) for every fixture payload of a kind."""
    found = []
    for sidecar in sorted((FIXTURES / kind).glob("*.expected.json")):
        spec = json.loads(sidecar.read_text(encoding="utf-8"))
        source = Source(**{"id": f"fuzz-{kind}", "name": f"Fuzz {kind}", "kind": kind, **spec["source"]})
        name = sidecar.name.removesuffix(".expected.json")
        for payload in sidecar.parent.glob(f"{name}.*"):
            if not payload.name.endswith(".expected.json"):
                found.append((payload.read_bytes(), source, spec.get("content_type", CONTENT_TYPES[kind])))
    plain = Source(id=f"fuzz-{kind}", name=f"Fuzz {kind}", kind=kind, url="https://fuzz.example.org/feed")
    for pattern in EXTRA_SEEDS.get(kind, ()):
        found += [(path.read_bytes(), plain, CONTENT_TYPES[kind]) for path in sorted(FIXTURES.glob(pattern))]
    return found


def result_of(body: bytes, source: Source, content_type: str) -> FetchResult:
    return FetchResult(url=source.url, status=200, body=body, content_type=content_type)


# -- byte-level mutations ---------------------------------------------------------------------

def _flip(rng: random.Random, data: bytes, kind: str) -> bytes:
    buffer = bytearray(data or b" ")
    for _ in range(rng.randint(1, 32)):
        buffer[rng.randrange(len(buffer))] = rng.randrange(256)
    return bytes(buffer)


def _truncate(rng: random.Random, data: bytes, kind: str) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _duplicate(rng: random.Random, data: bytes, kind: str) -> bytes:
    start = rng.randrange(len(data) + 1)
    segment = data[start:start + rng.randint(1, 4_000)]
    times = rng.choice((2, 10, 100, 1_000, 20_000))
    return _insert(rng, data, (segment * times)[:MAX_BODY // 2])


def _nest(rng: random.Random, data: bytes, kind: str) -> bytes:
    opener = rng.choice((b"<div>", b"<span>", b"<a>", b"<ul><li>", b"<b>", b"[", b'{"x":', b"<item>"))
    return _insert(rng, data, opener * rng.choice((100, 5_000, 80_000)))


def _huge(rng: random.Random, data: bytes, kind: str) -> bytes:
    text = rng.choice(("A", "关税", "word ", "出口管制 ", "&amp;", "<p>x</p>", "%"))
    return _insert(rng, data, (text * rng.choice((1_000, 100_000, 1_000_000))).encode()[:MAX_BODY // 2])


def _nasty_text(rng: random.Random, data: bytes, kind: str) -> bytes:
    pieces = "".join(rng.choice(NASTY) for _ in range(rng.randint(1, 20)))
    if kind in ("federal_register", "mofcom_unit") and rng.random() < 0.7:
        encoded = json.dumps(pieces)[1:-1].encode()      # JSON escapes: "\ud800", "\u0000" …
    else:
        encoded = pieces.encode("utf-8", "surrogatepass")
    return _insert(rng, data, encoded)


def _date(rng: random.Random, data: bytes, kind: str) -> bytes:
    for label in (b"2026-", b"GMT", b"+0000", b"[20"):
        at = data.find(label, rng.randrange(len(data) + 1))
        if at >= 0:
            return data[:max(0, at - 20)] + rng.choice(DATES) + data[at + 10:]
    return _insert(rng, data, b"<pubDate>" + rng.choice(DATES) + b"</pubDate>")


def _shape(rng: random.Random, data: bytes, kind: str) -> bytes:
    return _insert(rng, data, rng.choice(SHAPES))


def _json_types(rng: random.Random, data: bytes, kind: str) -> bytes:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _flip(rng, data, kind)
    return json.dumps(_retype(rng, document, 0)).encode()


def _retype(rng: random.Random, value: Any, depth: int) -> Any:
    if rng.random() < 0.15:
        return rng.choice((None, True, 0, -1, 1e308, float("inf"), 2 ** 70, "", [], {}, [1, "a"], {"a": 1},
                           "\ud800\x00", "x" * 20_000, "2026-13-45"))
    if isinstance(value, dict) and depth < 20:
        return {key: _retype(rng, item, depth + 1) for key, item in value.items()}
    if isinstance(value, list) and depth < 20:
        return [_retype(rng, item, depth + 1) for item in value]
    return value


def _insert(rng: random.Random, data: bytes, piece: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + piece + data[at:]


MUTATIONS: dict[str, Callable[[random.Random, bytes, str], bytes]] = {
    "flip": _flip, "truncate": _truncate, "duplicate": _duplicate, "nest": _nest, "huge": _huge,
    "nasty_text": _nasty_text, "date": _date, "shape": _shape, "json_types": _json_types,
}


def mutate(rng: random.Random, data: bytes, kind: str) -> bytes:
    """One to three mutations of `data`, capped at MAX_BODY bytes (fetch's size cap)."""
    for _ in range(rng.randint(1, 3)):
        data = MUTATIONS[rng.choice(list(MUTATIONS))](rng, data, kind)[:MAX_BODY]
    return data


# -- hostile items and events -----------------------------------------------------------------

def hostile_text(rng: random.Random, longest: int = 2_000) -> str:
    parts = [rng.choice(WORDS + NASTY) for _ in range(rng.randint(0, 30))]
    if rng.random() < 0.1:
        parts.append(rng.choice(("关", "A ", "25% ", "\ud800")) * rng.randint(1, longest))
    return " ".join(parts) if rng.random() < 0.5 else "".join(parts)


def hostile_date(rng: random.Random) -> datetime | None:
    zone = timezone(timedelta(minutes=rng.choice((-1439, -720, 0, 480, 1439))))
    return rng.choice((None, datetime(9999, 12, 31, 23, 59, tzinfo=zone), datetime(1, 1, 1, tzinfo=zone),
                       datetime(2026, 9, 29, 8, tzinfo=zone), datetime(1970, 1, 1, tzinfo=timezone.utc)))


def hostile_item(rng: random.Random) -> tuple[Item, Source]:
    lang = rng.choice(("en", "zh", "", "xx"))
    source = Source(id=rng.choice(("fuzz", "fuzz-2")), name=hostile_text(rng, 50) or "x", kind="rss",
                    url="https://fuzz.example.org/", authority=rng.choice(("official", "news")),
                    country=rng.choice(("CN", "US", "EU", "")), lang=lang or "en")
    extra = rng.choice(({}, {"type": "Rule", "agencies": [hostile_text(rng, 50)], "effective_on": "9999-12-31"},
                        {"categories": [hostile_text(rng, 20)], "publisher": hostile_text(rng, 20)}))
    item = Item(source_id=source.id, key=hostile_text(rng, 50) or "k", title=hostile_text(rng),
                url=rng.choice(("https://fuzz.example.org/a", "", "javascript:x", "http://[::1", "https://x/\n a")),
                published_at=hostile_date(rng), summary=hostile_text(rng, 5_000), lang=lang,
                doc_number=rng.choice((None, "2026-16628", "商务部公告9999年第99999号", hostile_text(rng, 20))), extra=extra)
    return item, source


def hostile_event(rng: random.Random) -> Event:
    moment = hostile_date(rng) or datetime(2026, 9, 29, tzinfo=timezone.utc)
    reports = tuple(Report(source_id="s", source_name=hostile_text(rng, 50), title=hostile_text(rng), url="https://x.org/",
                           seen_at=moment) for _ in range(rng.choice((0, 1, 3, 50))))
    return Event(id="ev-fuzz", title=hostile_text(rng, 10_000), url=rng.choice(("https://x.org/a?b=<>&\"", "", "\ud800")),
                 source_id="s", source_name=hostile_text(rng, 100), authority=rng.choice(("official", "news", "")),
                 lang=rng.choice(("en", "zh")), topics=tuple(rng.sample(("tariff", "export_control"), rng.randint(0, 2))),
                 countries=tuple(rng.sample(("CN", "US", "EU", "\ud800", "<b>"), rng.randint(0, 5))),
                 rates=tuple(hostile_text(rng, 5) for _ in range(rng.randint(0, 3))),
                 products=tuple(hostile_text(rng, 20) for _ in range(rng.randint(0, 3))),
                 doc_number=rng.choice((None, hostile_text(rng, 20))), published_at=hostile_date(rng),
                 first_seen_at=moment, summary=hostile_text(rng, 8_000), reports=reports,
                 effective_on=rng.choice((None, "9999-12-31", "0001-01-01", "garbage")))
