"""Events and statuses as Telegram HTML: escaped, linked, and always within Telegram's limits.

Pure functions, no clock, no network. Every piece of source text is `html.escape`d (URLs in
`href` with quote=True, and only http(s) URLs become links). Telegram counts the 4,096-character
limit in UTF-16 code units of the *visible* text (after entity parsing), so lengths here are
measured with `visible_len`. When an alert would be too long it gives way in this order: the
summary, then long titles, then the "Also reported by" list ("and N more"). Text is cut before
escaping, so a cut never lands inside a tag or an entity, and never inside a surrogate pair.
Rendering is total: any str renders. Source text is made sendable on the way in (`clean`: a lone
surrogate, which cannot be encoded as UTF-8, becomes U+FFFD; control characters other than the
newline become spaces), so no title can make an alert unsendable or /latest fail.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Iterable, Sequence

from tradewatch.models import UTC, Event, Report, Source, SourceState

MAX_TEXT = 4096
SUMMARY_MAX = 600        # an alert shows an excerpt, not the whole text
TITLE_MAX = 1000
TITLE_MIN = 200          # titles are cut no shorter than this before the also-list gives way
NAME_MAX = 80            # source and outlet names
LINE_TITLE_MAX = 200     # titles in /latest-style lists
FIELD_MAX = 300          # doc numbers and similar single values
LIST_ITEMS = 8           # rates, products, countries shown at most
ALSO_MAX = 20            # outlets named in "Also reported by" before "and N more"
ELLIPSIS = "…"
TOPIC_TAGS = {"tariff": "#tariff", "export_control": "#export_control"}
TAG = re.compile(r"<[^>]*>")
SURROGATE = re.compile("[\ud800-\udfff]")
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f]")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts in (an emoji outside the BMP is 2, a
    lone surrogate 1: counted, never an error)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clean(text: str) -> str:
    """Source text made sendable: lone surrogates → U+FFFD, control characters but \\n → space."""
    return CONTROL.sub(" ", SURROGATE.sub("\ufffd", text))


def plain_text(markup: str) -> str:
    """The visible text of Telegram HTML: tags stripped, entities unescaped."""
    return html.unescape(TAG.sub("", markup))


def visible_len(markup: str) -> int:
    return utf16_len(plain_text(markup))


def truncate(text: str, limit: int) -> str:
    """Cut plain text to at most `limit` UTF-16 units, ending in "…" when cut."""
    if utf16_len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    budget, kept = limit - 1, []
    for char in text:
        budget -= 2 if ord(char) > 0xFFFF else 1
        if budget < 0:
            break
        kept.append(char)
    return "".join(kept).rstrip() + ELLIPSIS


def esc(text: str, limit: int | None = None) -> str:
    """Escape source text for HTML (cleaned first), cutting it first when a limit is given."""
    text = clean(text)
    return html.escape(truncate(text, limit) if limit is not None else text, quote=False)


def link(text: str, url: str, limit: int | None = None) -> str:
    """An <a> link when the URL is http(s); the escaped text alone otherwise."""
    label = esc(text or url, limit)
    if not re.match(r"https?://", url or "", re.IGNORECASE):
        return label
    return f'<a href="{html.escape(clean(url), quote=True)}">{label}</a>'


def format_source_time(moment: datetime) -> str:
    """A time in the zone the source gave: '2026-10-09 09:00 (UTC+08:00)', '… 14:30 UTC', or a bare
    date at midnight (sources that publish dates only)."""
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.strftime("%Y-%m-%d")
    if not moment.utcoffset():
        return f"{moment:%Y-%m-%d %H:%M} UTC"
    zone = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M} (UTC{zone[:3]}:{zone[3:]})"


def format_utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def authority_label(authority: str) -> str:
    return "Official" if authority == "official" else "News"


def hashtags(topics: Iterable[str]) -> str:
    return " ".join(TOPIC_TAGS.get(t, "#" + re.sub(r"\W", "_", t)) for t in topics)


def _few(values: Sequence[str], limit: int = LIST_ITEMS) -> str:
    shown = ", ".join(esc(v, FIELD_MAX // 4) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _countries(event: Event) -> str:
    if event.actors and event.targets:
        return f"{_few(event.actors)} → {_few(event.targets)}"
    return _few(event.countries)


def _facts(event: Event) -> list[str]:
    """The meta lines under the headline: source, topics, countries, rates, products, dates."""
    lines = [f"{'🏛' if event.authority == 'official' else '📰'} {authority_label(event.authority)} · "
             f"{esc(event.source_name, NAME_MAX)}"]
    if event.topics:
        lines.append(hashtags(event.topics))
    if event.countries or event.actors:
        lines.append(f"🌍 {_countries(event)}")
    if event.rates:
        lines.append(f"📈 Rates: {_few(event.rates)}")
    if event.products:
        lines.append(f"📦 Products: {_few(event.products)}")
    if event.doc_number:
        lines.append(f"📄 {esc(event.doc_number, FIELD_MAX)}")
    if event.effective_on:
        lines.append(f"📅 Effective: {esc(event.effective_on, 40)}{_moved(event, 'effective_on')}")
    if event.comments_close_on:
        lines.append(f"🗓 Comments close: {esc(event.comments_close_on, 40)}{_moved(event, 'comments_close_on')}")
    when = f"Published {format_source_time(event.published_at)} · " if event.published_at else ""
    lines.append(f"🕒 {when}seen {format_utc(event.first_seen_at)}")
    return lines


def _moved(event: Event, kind: str) -> str:
    """' (changed from 2026-12-03 by Outlet)' when a later report moved this date."""
    change = next((c for c in reversed(event.date_changes) if c.kind == kind), None)
    if change is None or change.new != getattr(event, kind):
        return ""
    by = f" by {esc(change.source_name, NAME_MAX)}" if change.source_name else ""
    return f" (changed from {esc(change.old, 40)}{by})"


DATE_LABELS = {"effective_on": "Takes effect", "comments_close_on": "Comments close"}


def _day(on: date) -> str:
    return f"{on:%A} {on.day} {on:%B %Y}"


def render_reminder(event: Event, kind: str, on: date, days: int | None = None) -> str:
    """A reminder of one of the event's dates: what happens when, and the event's headline."""
    when = {0: "today", 1: "tomorrow"}.get(days, f"in {days} days") if days is not None and days >= 0 else ""
    head = f"⏰ <b>Reminder: {DATE_LABELS.get(kind, kind).lower()} {when + ', ' if when else ''}{_day(on)}</b>"
    number = f" · {esc(event.doc_number, FIELD_MAX)}" if event.doc_number else ""
    facts = [esc(event.source_name, NAME_MAX) + number]
    if event.topics:
        facts.append(hashtags(event.topics))
    return truncate_markup(f"{head}\n{link(event.title, event.url, TITLE_MAX)}\n" + "\n".join(facts))


def truncate_markup(markup: str) -> str:
    """The markup when it fits MAX_TEXT, else its visible text cut and escaped again."""
    return markup if visible_len(markup) <= MAX_TEXT else esc(truncate(plain_text(markup), MAX_TEXT))


def render_upcoming(entries: Sequence[tuple[date, str, Event]], header: str) -> list[str]:
    """/upcoming: (date, kind, event) soonest first, one block per date, packed into messages."""
    blocks = [f"📅 <b>{on.isoformat()}</b> ({on:%a}) · {DATE_LABELS.get(kind, kind)}\n"
              f"{link(event.title, event.url, LINE_TITLE_MAX)} · {esc(event.source_name, NAME_MAX)}"
              for on, kind, event in entries]
    return pack(blocks, header=header)


def also_reports(event: Event, also: Sequence[Report] = ()) -> list[Report]:
    """Other outlets to credit: event.reports[1:] then `also`, once per outlet, never the event's own."""
    names = {event.source_name}
    outlets: list[Report] = []
    for report in (*event.reports[1:], *also):
        if report.source_name not in names and report.url != event.url:
            names.add(report.source_name)
            outlets.append(report)
    return outlets


def _also_line(reports: Sequence[Report], shown: int) -> str:
    if not reports:
        return ""
    names = ", ".join(link(r.source_name, r.url, NAME_MAX) for r in reports[:shown])
    rest = len(reports) - shown
    if not shown:
        return f"Also reported by {rest} more outlet{'s' if rest > 1 else ''}"
    return f"Also reported by: {names}" + (f" and {rest} more" if rest else "")


@dataclass(frozen=True)
class _Layout:
    title: int = TITLE_MAX
    summary: int = SUMMARY_MAX
    shown: int = 0


def _compose(event: Event, reports: Sequence[Report], layout: _Layout) -> str:
    head = f"<b>{link(event.title, event.url, layout.title)}</b>"
    blocks = [head + "\n" + "\n".join(_facts(event))]
    summary = " ".join(event.summary.split())
    if summary and layout.summary > 0:
        blocks.append(f"<i>{esc(summary, layout.summary)}</i>")
    if reports:
        blocks.append(_also_line(reports, layout.shown))
    return "\n\n".join(blocks)


def render_alert(event: Event, *, also: Sequence[Report] = ()) -> str:
    """One alert as Telegram HTML, at most MAX_TEXT visible UTF-16 units."""
    reports = also_reports(event, also)
    layout = _Layout(shown=min(len(reports), ALSO_MAX))
    text = _compose(event, reports, layout)
    over = visible_len(text) - MAX_TEXT
    if over > 0:     # the summary gives way first
        shown_summary = min(utf16_len(" ".join(event.summary.split())), SUMMARY_MAX)
        layout = _Layout(summary=shown_summary - over if shown_summary - over > 20 else 0, shown=layout.shown)
        text = _compose(event, reports, layout)
        over = visible_len(text) - MAX_TEXT
    if over > 0:     # then long titles
        title = max(TITLE_MIN, min(utf16_len(event.title), TITLE_MAX) - over)
        layout = _Layout(title=title, summary=layout.summary, shown=layout.shown)
        text = _compose(event, reports, layout)
        over = visible_len(text) - MAX_TEXT
    while over > 0 and layout.shown > 0:   # then the also-list
        drop = max(1, over // (NAME_MAX + 2))
        layout = _Layout(layout.title, layout.summary, max(0, layout.shown - drop))
        text = _compose(event, reports, layout)
        over = visible_len(text) - MAX_TEXT
    return text if over <= 0 else esc(truncate(plain_text(text), MAX_TEXT))


def render_event_line(event: Event) -> str:
    """One compact list entry: time, [Official|News] source, linked title, topics."""
    when = format_source_time(event.published_at) if event.published_at else format_utc(event.first_seen_at)
    return (f"{when} · [{authority_label(event.authority)}] "
            f"{esc(event.source_name, NAME_MAX)}\n"
            f"{link(event.title, event.url, LINE_TITLE_MAX)} {hashtags(event.topics)}")


def pack(blocks: Sequence[str], header: str = "", limit: int = MAX_TEXT) -> list[str]:
    """Join HTML blocks with blank lines into as few messages as fit `limit` visible units each.

    `header` is trusted HTML that opens the first message. A block longer than the limit on its
    own is cut as plain text (escaped again), so every message fits."""
    messages: list[str] = []
    current = header
    for block in blocks:
        if visible_len(block) > limit:
            block = esc(truncate(plain_text(block), limit))
        candidate = f"{current}\n\n{block}" if current else block
        if visible_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            messages.append(current)
        current = block
    if current:
        messages.append(current)
    return messages


def render_list(events: Sequence[Event], header: str) -> list[str]:
    """A list of events (newest first as given) split into messages of at most MAX_TEXT units."""
    return pack([render_event_line(e) for e in events], header=header)


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def render_source_status(source: Source, state: SourceState | None, now: datetime) -> str:
    """One /sources entry: name, kind of source, and OK / failing since when and why / disabled."""
    label = f"<b>{esc(source.name, NAME_MAX)}</b> [{authority_label(source.authority)}" \
            f"{', ' + esc(source.country, 8) if source.country else ''}] <code>{esc(source.id, 60)}</code>"
    if not source.enabled:
        return f"⏸ {label}\nDisabled."
    if state is None or state.last_check is None:
        return f"⏳ {label}\nNot checked yet."
    checks = f"last check {_ago(state.last_check, now)}, last new item {_ago(state.last_new_item, now)}"
    if state.is_failing:
        since = format_utc(state.failing_since) if state.failing_since else "unknown"
        return (f"⚠️ {label}\nFailing since {since} ({state.consecutive_failures}×): "
                f"{esc(state.last_error or 'unknown error', FIELD_MAX)}\n{checks}")
    return f"✅ {label}\nOK · {checks}"


def with_footer(event: Event, markup: str, line: str) -> str:
    """The alert with a footer line at the end (a chat's "Matched: …"): the summary gives way to
    it when the message would be too long, and the plain alert is sent when even that does not fit."""
    if not line:
        return markup
    footer = esc(line, 600)
    text = f"{markup}\n\n{footer}"
    if visible_len(text) > MAX_TEXT:
        text = f"{render_alert(replace(event, summary=''))}\n\n{footer}"
    return text if visible_len(text) <= MAX_TEXT else markup
