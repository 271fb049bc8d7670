"""The record, for compliance teams: events and deliveries as CSV or JSON lines.

`rows(store, what, since)` gives plain dicts with the columns of EVENT_COLUMNS or
DELIVERY_COLUMNS; `write(rows, columns, fmt, out)` writes them. In CSV a list is joined with
"; "; in JSON lines it stays a list, and times are ISO-8601 in UTC in both. Events are those first
seen (or published) on or after `since`, oldest first; deliveries those queued or sent on or after
it, oldest first. A reminder's row names the event it is about and, in `about`, its kind of date.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time
from typing import Any, Iterable, TextIO

from tradewatch.models import UTC, Delivery, Event, parse_reminder_id

EVENT_COLUMNS = ("id", "first_seen", "published", "topics", "countries", "rates", "doc_numbers",
                 "effective_on", "comments_close_on", "title", "url", "reports")
DELIVERY_COLUMNS = ("event_id", "chat_id", "kind", "status", "sent_at", "message_id", "error", "about")
COLUMNS = {"events": EVENT_COLUMNS, "deliveries": DELIVERY_COLUMNS}
FORMATS = ("csv", "jsonl")


def parse_since(text: str | None) -> datetime | None:
    """`--since YYYY-MM-DD` as 00:00 UTC that day; ValueError with a clear message otherwise."""
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
    except ValueError:
        raise ValueError(f"--since wants a date as YYYY-MM-DD, not {text!r}") from None


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else ""


def doc_numbers(event: Event) -> list[str]:
    """The event's document numbers: its own, then those among its keys (not URLs nor item keys)."""
    keys = [k for k in event.keys if not k.startswith(("http://", "https://")) and ":" not in k]
    return list(dict.fromkeys([event.doc_number, *keys] if event.doc_number else keys))


def event_row(event: Event) -> dict[str, Any]:
    return {"id": event.id, "first_seen": _utc(event.first_seen_at), "published": _utc(event.published_at),
            "topics": list(event.topics), "countries": list(event.countries), "rates": list(event.rates),
            "doc_numbers": doc_numbers(event), "effective_on": event.effective_on or "",
            "comments_close_on": event.comments_close_on or "", "title": event.title, "url": event.url,
            "reports": list(dict.fromkeys(r.source_id for r in event.reports))}


def delivery_row(delivery: Delivery) -> dict[str, Any]:
    reminder = parse_reminder_id(delivery.event_id)
    return {"event_id": delivery.subject_id, "chat_id": delivery.chat_id, "kind": delivery.kind,
            "status": delivery.status, "sent_at": _utc(delivery.sent_at), "message_id": delivery.message_id or "",
            "error": delivery.error or "", "about": f"{reminder[1]} {reminder[2]}" if reminder else ""}


def rows(store: Any, what: str, since: datetime | None = None) -> list[dict[str, Any]]:
    """The rows of one record ("events" or "deliveries"), oldest first."""
    if what == "events":
        events = [e for e in store.events.all()
                  if since is None or max(e.first_seen_at, e.published_at or e.first_seen_at) >= since]
        return [event_row(e) for e in sorted(events, key=lambda e: e.first_seen_at)]
    deliveries = [d for d in store.deliveries.all()
                  if since is None or max(d.queued_at or since, d.sent_at or since) >= since]
    return [delivery_row(d) for d in deliveries]


def write(records: Iterable[dict[str, Any]], columns: tuple[str, ...], fmt: str, out: TextIO) -> int:
    """Write the rows as CSV (with a header line) or JSON lines; returns how many rows."""
    count = 0
    if fmt == "jsonl":
        for row in records:
            out.write(json.dumps({c: row[c] for c in columns}, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in records:
        writer.writerow(["; ".join(map(str, row[c])) if isinstance(row[c], list) else row[c] for c in columns])
        count += 1
    return count


def csv_file(store: Any, what: str, since: datetime | None = None) -> tuple[bytes, int]:
    """One record as a CSV file's bytes (UTF-8 with a BOM, so spreadsheets read Chinese titles)
    and its number of rows."""
    buffer = io.StringIO()
    count = write(rows(store, what, since), COLUMNS[what], "csv", buffer)
    return buffer.getvalue().encode("utf-8-sig"), count
