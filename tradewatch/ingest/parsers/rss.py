"""Read an RSS 2.0, RSS 1.0 or Atom feed into Items, with feedparser doing the XML.

Site habits are handled as data, not branches per site: Google News titles lose their
" - Publisher" suffix when it equals the <source> text (the publisher goes to extra); WordPress
(White House) content:encoded becomes the summary, without its topper block and its "The post …
appeared first on …" line; GovDelivery's HTML e-mail descriptions are reduced to text; categories
go to extra["categories"]. An HTML page or unreadable XML is a ParseError, a feed without items
an EmptyParseError; a title_filter that keeps nothing is not an error. A feed feedparser calls
malformed (`bozo`) is read when it still has usable entries; with none (a truncated answer) it is a
ParseError, never "ok, 0 items". Whatever feedparser itself raises on hostile bytes (its encoding
detection, character references) becomes a ParseError too. To keep feedparser's cost bounded, a
feed is read up to its 500th entry or its first 2 MB (whole entries), numeric character references
it cannot decode become U+FFFD, and a feed with more than 40,000 tags in those entries, or nested
deeper than 500 levels, is refused. Entries the source's last answer held are not given to
feedparser again when the feed is well-formed (parsers.entries): their Items are reused.
"""
from __future__ import annotations

import html
import io
import itertools
import re
from datetime import datetime
from typing import Any

import feedparser

from tradewatch.errors import EmptyParseError, ParseError
from tradewatch.models import UTC, FetchResult, Item, Source
from tradewatch.ingest.parsers.common import (
    MAX_ITEMS, body_head, clean_title, clean_url, finish, html_title, html_to_text, identity, looks_like_html, parse_date,
    resolve_link, source_tz, truncate,
)
from tradewatch.ingest.parsers import entries
from tradewatch.ingest.parsers.bounds import is_too_deep_html
from tradewatch.urls import canonical_url

# Markup that is page furniture, not the story (CSS selectors), and closing lines to cut.
BOILERPLATE_SELECTORS = (".wp-block-whitehouse-topper", "#view-in-browser", ".gd_tbl_footer")
BOILERPLATE_TAIL = re.compile(r"\s*The post\b.{0,400}?\bappeared first on\b.{0,200}?\.?\s*$", re.DOTALL)
UNTITLED_LENGTH = 120   # an item without a title is named by the start of its summary
# <guid …> and </guid> tags, found in one linear pass (a lazy `.*?` up to </guid> is quadratic over
# thousands of unclosed tags); an opening tag's attributes are read up to 1,000 bytes.
GUID_TAGS = re.compile(rb"<guid\b([^<>]{0,1000})>|</guid\s*>", re.IGNORECASE)
NOT_PERMALINK = re.compile(rb"""\bisPermaLink\s*=\s*["']?false""", re.IGNORECASE)
CDATA = re.compile(r"^\s*<!\[CDATA\[(.*?)\]\]>\s*$", re.DOTALL)
MAX_FEED_ENTRIES = 500    # read from one feed (real feeds list 10 to 100)
MAX_FEED_BYTES = 2_000_000
MAX_FEED_DEPTH = 500      # elements nested in the feed's own XML (escaped HTML does not count)
MAX_FEED_TAGS = 40_000    # feedparser spends 15–50 µs on each tag: 40,000 take about a second
ENTRY_END = re.compile(rb"</(?:item|entry)\s*>", re.IGNORECASE)
CHARREF = re.compile(rb"&#([xX][0-9a-fA-F]{1,40}|[0-9]{1,40});")
# What feedparser raises from inside on hostile bytes (encoding detection, character references …).
FEEDPARSER_FAILURES = (ValueError, TypeError, LookupError, AttributeError, IndexError, RecursionError,
                       OverflowError)


def parse(result: FetchResult, source: Source) -> list[Item]:
    """Items of a feed body, newest as the feed orders them, after the source's title filter."""
    if looks_like_html(result.body):
        title = html_title(result.body)
        raise ParseError("expected a feed, got HTML" + (f" (page title {title!r})" if title else ""))
    body = _bounded(result.body)
    opaque = _non_permalink_guids(result.body)
    base = source.base_url or result.url or source.url

    def read(entry: Any) -> Item:
        return _item(entry, source, base, opaque)

    reuse = entries.plan(body, result, source, opaque)
    feed = _feedparser(reuse.body if reuse else body, result)
    if reuse and reuse.fits(feed):
        return _usable(feed, reuse.items(feed.entries, read, opaque)[:MAX_ITEMS], source)
    if reuse:
        entries.forget(source.id)
        feed = _feedparser(body, result)
    if not feed.entries:
        raise _why_no_entries(feed, result.body)
    return _usable(feed, [read(entry) for entry in feed.entries[:MAX_ITEMS]], source)


def _usable(feed: Any, items: list[Item], source: Source) -> list[Item]:
    usable = [item for item in items if item.key and item.title]
    if feed.bozo and not usable:
        raise ParseError(f"not a readable feed: {_bozo_reason(feed)}, and none of its "
                         f"{len(feed.entries)} entries has a title and a link or guid")
    return finish(usable, source)


def _bounded(raw: bytes) -> bytes:
    """The part of the feed feedparser is given (see _first_entries), or ParseError for a shape
    that would cost it seconds."""
    body = CHARREF.sub(_valid_charref, _first_entries(raw))
    if body.count(b"<") > MAX_FEED_TAGS:
        raise ParseError(f"not a readable feed: more than {MAX_FEED_TAGS:,} tags in its first {MAX_FEED_ENTRIES} entries")
    if is_too_deep_html(body.decode("latin-1"), MAX_FEED_DEPTH):
        raise ParseError(f"not a readable feed: elements nest deeper than {MAX_FEED_DEPTH} levels")
    return body


def _feedparser(body: bytes, result: FetchResult) -> Any:
    # Summaries are reduced to plain text and everything shown is escaped, so feedparser's HTML
    # sanitizer and URI rewriting (half its parse time) would be wasted work.
    try:
        return feedparser.parse(io.BytesIO(body), response_headers=_headers(result),
                                sanitize_html=False, resolve_relative_uris=False)
    except FEEDPARSER_FAILURES as exc:
        raise ParseError(f"not a readable feed: feedparser failed ({type(exc).__name__}: {exc})"[:300]) from None


def _why_no_entries(feed: Any, body: bytes) -> ParseError:
    """A feed that parsed to nothing: unreadable XML, not a feed at all, or a feed without items."""
    if not body.strip():
        return ParseError("not a readable feed: the body is empty")
    if feed.bozo:
        return ParseError(f"not a readable feed: {_bozo_reason(feed)}, and no items")
    if not feed.get("version"):
        return ParseError("not a readable feed: no RSS or Atom root element")
    return EmptyParseError("the feed has no items")


def _first_entries(body: bytes) -> bytes:
    """The feed up to the end of its MAX_FEED_ENTRIES-th entry, or of its last entry within the
    first MAX_FEED_BYTES, closed again. feedparser's cost grows with both (its fallback parser for
    malformed XML takes about 1 ms an entry), and no real feed comes near either."""
    if len(body) <= MAX_FEED_BYTES and body.count(b"</") < MAX_FEED_ENTRIES:
        return body      # too few end tags to hold MAX_FEED_ENTRIES entries: nothing to cut
    ends = [end.end() for end in itertools.islice(ENTRY_END.finditer(body, 0, MAX_FEED_BYTES), MAX_FEED_ENTRIES)]
    if len(ends) < MAX_FEED_ENTRIES and len(body) <= MAX_FEED_BYTES:
        return body
    if not ends:
        raise ParseError(f"not a readable feed: no entry ends within its first {MAX_FEED_BYTES:,} bytes")
    head = body_head(body)
    closing = b"</feed>" if "<feed" in head else b"</rdf:RDF>" if "<rdf:rdf" in head else b"</channel></rss>"
    return body[:ends[-1]] + closing


def _valid_charref(ref: re.Match[bytes]) -> bytes:
    """A numeric character reference feedparser can decode: out of range or a surrogate is U+FFFD."""
    digits = ref.group(1)
    hexadecimal = digits[:1] in (b"x", b"X")
    number = int(digits[1:], 16) if hexadecimal else int(digits)
    return ref.group() if 0 < number < 0x110000 and not 0xD800 <= number <= 0xDFFF else b"&#xFFFD;"


def _bozo_reason(feed: Any) -> str:
    return str(feed.get("bozo_exception") or "unknown feedparser error")[:200]


def _headers(result: FetchResult) -> dict[str, str]:
    headers = {"content-type": result.content_type or "application/xml"}
    if result.url:
        headers["content-location"] = result.url
    return headers


def _non_permalink_guids(body: bytes) -> set[str]:
    """GUIDs marked isPermaLink="false" (feedparser does not report the attribute), in one pass."""
    found, opened_at = set(), None
    for tag in GUID_TAGS.finditer(body):
        if tag.group(1) is not None:        # an opening tag: the latest one counts
            opened_at = tag.end() if NOT_PERMALINK.search(tag.group(1)) else None
        elif opened_at is not None:
            text = body[opened_at:tag.start()].decode("utf-8", "replace")
            cdata = CDATA.match(text)
            found.add(html.unescape(cdata.group(1) if cdata else text).strip())
            opened_at = None
    return found


def _item(entry: Any, source: Source, base: str, opaque: set[str]) -> Item:
    title, extra = _title_and_publisher(entry)
    summary = _summary(entry)
    if summary in (title, f"{title} {extra.get('publisher', '')}".strip()):
        summary = ""   # Google News: the description only repeats headline and publisher
    title = title or truncate(summary, UNTITLED_LENGTH)
    url = resolve_link(entry.get("link", ""), base)
    key, doc_number = identity(title, _fallback_key(entry.get("id", ""), url, opaque))
    published_raw, published_at = _published(entry, source)
    categories = [clean_title(tag.get("term") or tag.get("label") or "") for tag in entry.get("tags") or []]
    if any(categories):
        extra["categories"] = [c for c in categories if c]
    return Item(source_id=source.id, key=key, title=title, url=url, published_at=published_at,
                published_raw=published_raw, summary=summary, lang=source.lang,
                doc_number=doc_number, extra=extra)


def _title_and_publisher(entry: Any) -> tuple[str, dict[str, Any]]:
    """The headline, without a Google-News " - Publisher" suffix that equals the <source> text."""
    title = clean_title(entry.get("title", ""))
    publisher_tag = entry.get("source") or {}
    publisher = clean_title(publisher_tag.get("title", ""))
    extra: dict[str, Any] = {}
    if publisher:
        extra["publisher"] = publisher
        if publisher_tag.get("href"):
            extra["publisher_url"] = publisher_tag["href"]
        suffix = f" - {publisher}"
        if title.endswith(suffix) and len(title) > len(suffix):
            title = title[: -len(suffix)].rstrip()
    return title, extra


def _fallback_key(guid: str, url: str, opaque: set[str]) -> str:
    """The guid when it is an opaque id (not a URL, or isPermaLink="false"), else the canonical link."""
    guid = (guid or "").strip()
    if guid and (guid in opaque or not re.match(r"(?i)https?://", guid)):
        return guid
    return url or canonical_url(clean_url(guid))


def _published(entry: Any, source: Source) -> tuple[str, datetime | None]:
    """The raw date label and the time it means: the label's own zone when it has one (feedparser's
    parsed struct would be UTC), else the source's zone; feedparser's struct as the last resort."""
    for field in ("published", "updated", "created"):
        raw = entry.get(field)
        if raw:
            parsed = parse_date(raw, source_tz(source)) or _from_struct(entry.get(f"{field}_parsed"))
            return raw, parsed
    return "", None


def _from_struct(struct: Any) -> datetime | None:
    try:
        return datetime(*struct[:6], tzinfo=UTC) if struct else None
    except (TypeError, ValueError, OverflowError):   # feedparser builds structs from hostile labels
        return None


def _summary(entry: Any) -> str:
    """content:encoded when present (WordPress), else the description; as plain text."""
    contents = [c.get("value", "") for c in entry.get("content") or [] if c.get("value")]
    markup = contents[0] if contents else entry.get("summary", "")
    text = html_to_text(markup, drop=BOILERPLATE_SELECTORS)
    return truncate(BOILERPLATE_TAIL.sub("", text))
