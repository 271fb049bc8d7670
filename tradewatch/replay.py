"""`replay FILE.jsonl`: classification and dedupe over recorded items, one JSON line per item.

Each input line is a JSON object with `id, title, summary, source, url, published, lang` (any may
be missing). Items are read in file order against a fresh in-memory EventIndex (window
dedupe.DEFAULT_WINDOW). `published` is a date ("2018-03-15": midnight, Beijing time for `zh`,
UTC otherwise), an ISO date-time (naive: the same zones) or an RFC 822 date. An item without one
takes the time of the item before it (items before the first dated one take the first dated
item's time; a file with no dates at all uses 1970-01-01T00:00Z, so output never depends on the
clock) as the time TradeWatch saw it; its publication time stays unknown, which dedupe treats as
"any age" against dated news (see tradewatch.understand.dedupe): the service does the same
against the events of its window, since an undated item's time there is when it was first seen. Authority is inferred from the source name and URL (lexicon.OFFICIAL_SOURCE,
OFFICIAL_HOST). The whole file is validated first: a malformed line prints nothing to `out`, one
message per bad line (naming its number) to `err`, and returns 2. An empty file prints nothing.

Output per item: {"id", "topics", "relevant", "event_id", "duplicate_of", "countries", "rates",
"doc_number", "reasons", "signature"}; `signature` is the item's event signature (actors, targets,
kinds, direction, products, rates, statutes, documents, date, names: tradewatch.understand.signature),
so a wrong merge can be read; `duplicate_of` is the id of the first input item of the event this
item joined (null for the first item of an event and for irrelevant items).
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TextIO
from urllib.parse import urlsplit

from tradewatch.ingest.parsers.common import SUMMARY_LIMIT, TITLE_LIMIT   # the parsers' caps
from tradewatch.understand import lexicon
from tradewatch.understand.absorb import absorb, signature_of
from tradewatch.understand.dedupe import DEFAULT_WINDOW, EventIndex
from tradewatch.understand.extract import find_mentions, normalize
from tradewatch.models import BEIJING, UTC, Item, Source
from tradewatch.urls import canonical_url

FIELDS = ("id", "title", "summary", "source", "url", "published", "lang")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Record:
    line: int
    id: str
    title: str
    summary: str
    source: str
    url: str
    published: datetime | None       # as the line gave it
    lang: str
    time: datetime | None = None     # `published`, or the time it inherits (see fill_times)


class BadLine(ValueError):
    pass


def main(path: str, out: TextIO, err: TextIO, window: timedelta = DEFAULT_WINDOW) -> int:
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"replay: cannot read {path}: {exc}", file=err)
        return 2
    records, errors = read_records(lines)
    if errors:
        for message in errors:
            print(f"replay: {path}: {message}", file=err)
        return 2
    for row in replay(records, window):
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


def read_records(lines: list[str]) -> tuple[list[Record], list[str]]:
    records, errors = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(parse_line(line, number))
        except BadLine as exc:
            errors.append(f"line {number}: {exc}")
    return fill_times(records), errors


def parse_line(line: str, number: int) -> Record:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise BadLine("not a JSON object")
    for field in FIELDS:
        value = data.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
            raise BadLine(f"field {field!r} must be a string")
    text = {field: str(data.get(field) or "").strip() for field in FIELDS}
    lang = text["lang"] or ("zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text["title"]) else "en")
    return Record(number, text["id"] or f"line-{number}", text["title"], text["summary"], text["source"],
                  text["url"], parse_published(text["published"], lang), lang)


def parse_published(raw: str, lang: str) -> datetime | None:
    if not raw:
        return None
    zone = BEIJING if lang == "zh" else UTC
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(), zone)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            raise BadLine(f"field 'published' is not a date: {raw!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def fill_times(records: list[Record]) -> list[Record]:
    """An undated item takes the time of the one before it (the first dated one at the start)."""
    first = next((r.published for r in records if r.published), EPOCH)
    filled, last = [], first
    for record in records:
        last = record.published or last
        filled.append(replace(record, time=last))
    return filled


def replay(records: list[Record], window: timedelta = DEFAULT_WINDOW) -> list[dict[str, Any]]:
    index = EventIndex(window)
    first_item: dict[str, str] = {}
    rows = []
    for record in records:
        source = source_of(record)
        item = item_of(record, source)
        outcome = absorb(item, source, index, record.time or EPOCH)
        event_id = outcome.event.id if outcome.event else None
        duplicate_of = None
        if event_id and not outcome.is_new:
            duplicate_of = first_item.get(event_id)
        elif event_id:
            first_item[event_id] = record.id
        analysis = outcome.analysis
        rows.append({"id": record.id, "topics": list(analysis.topics), "relevant": analysis.relevant,
                     "event_id": event_id, "duplicate_of": duplicate_of,
                     "countries": list(analysis.countries), "rates": list(analysis.rates),
                     "doc_number": analysis.identity[0] if analysis.identity else None,
                     "reasons": list(analysis.reasons),
                     "signature": signature_of(item, analysis, record.time or EPOCH).as_dict()})
    return rows


def source_of(record: Record) -> Source:
    name = record.source or "replay"
    authority = infer_authority(name, record.url)
    country = ""
    if authority == "official":
        mentions = find_mentions(normalize(lexicon.SOURCE_NAME_HEAD.match(name).group(0)))
        country = mentions[0].code if mentions else ""
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    return Source(id=f"replay-{digest}", name=name, kind="replay", url=record.url or "about:replay",
                  authority=authority, country=country, lang=record.lang)


def infer_authority(name: str, url: str = "") -> str:
    """"official" for government bodies and hosts (the part of the name before any bracket)."""
    head = lexicon.SOURCE_NAME_HEAD.match(name or "").group(0)
    host = urlsplit(url or "").hostname or ""
    if lexicon.OFFICIAL_SOURCE.search(head) or lexicon.OFFICIAL_HOST.match(host):
        return "official"
    return "news"


def item_of(record: Record, source: Source) -> Item:
    key = canonical_url(record.url) if record.url else f"line:{record.id}"
    return Item(source_id=source.id, key=key, title=record.title[:TITLE_LIMIT], url=record.url,
                published_at=record.published, summary=record.summary[:SUMMARY_LIMIT], lang=record.lang)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m tradewatch.replay FILE.jsonl", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.stdout, sys.stderr))
