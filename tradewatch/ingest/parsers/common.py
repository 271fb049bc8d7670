"""Helpers every parser shares: decoding HTML bytes, reading date labels, resolving links,
cleaning titles and summaries, choosing an item's key, the catalog's title filter, and the bounds
that keep hostile input cheap and harmless.

Every parser ends with `finish`: each string an Item carries is made valid text (lone surrogates
replaced, C0 controls dropped, tabs and newlines made spaces), titles are one line of at most
TITLE_LIMIT characters, summaries at most SUMMARY_LIMIT, URLs lose whitespace, dates outside
DATE_RANGE become unknown, and at most MAX_ITEMS items are kept. The nesting limits for JSON
and HTML are in tradewatch.ingest.parsers.bounds.

All pure. Dates follow one rule: a label with a zone keeps it; a label without one is read in the
source's zone (`source_tz`: Beijing for CN sources, else UTC); a date-only label is 00:00 in that
zone, never midnight UTC for a Chinese date. A label with no year (MOFCOM homepage `09-29`) gives
None rather than a guessed year.
"""
from __future__ import annotations

import codecs
import html
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterable
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from tradewatch.docnumbers import first_doc_number, title_doc_number
from tradewatch.ingest.parsers.bounds import MAX_FRAGMENT_DEPTH, is_too_deep_html
from tradewatch.models import BEIJING, UTC, Item, Source
from tradewatch.urls import canonical_url

SUMMARY_LIMIT = 1000
TITLE_LIMIT = 1000
RAW_TEXT_LIMIT = 64_000      # characters of a raw title worth cleaning at all
RAW_MARKUP_LIMIT = 400_000   # characters of a summary's markup read for its first SUMMARY_LIMIT of text
MAX_ITEMS = 2000             # items kept from one answer (a listing page has tens)
DATE_RANGE = (datetime(1990, 1, 1, tzinfo=timezone.utc), datetime(2200, 1, 1, tzinfo=timezone.utc))  # else unknown
NON_TEXT_TAGS = ["script", "style", "head", "noscript", "template"]

# ---------------------------------------------------------------------------------------------
# Decoding

CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
                   "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252",
                   "ascii": "cp1252"}   # WHATWG: the Latin-1 labels mean windows-1252
# Declarations that decode any byte string without error, so they can hide UTF-8 (FMPRC English).
PERMISSIVE = {"cp1252", "iso8859-15", "iso8859-2"}
NOT_CHARSETS = {"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "utf-7"}
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def decode_html(body: bytes, content_type: str = "") -> str:
    """Text of an HTML (or any text) body.

    Order: a BOM; the <meta charset>/http-equiv in the first 2 KB; the Content-Type charset; UTF-8
    strict; GB18030 strict; cp1252 with replacement. gb2312/gbk mean gb18030. A declared charset
    that fails to decode strictly is skipped, and a permissive single-byte declaration
    (iso-8859-1, cp1252 …) loses to UTF-8 when the bytes are valid non-ASCII UTF-8.
    """
    for bom, encoding in BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace")
    for encoding in _declared_charsets(body, content_type):
        text = _try_decode(body, encoding)
        if text is None and encoding == "cp1252":
            text = body.decode("latin-1")   # WHATWG windows-1252 maps 0x81, 0x8D … to C1 controls
        if text is not None:
            return text
    for encoding in ("utf-8", "gb18030"):
        text = _try_decode(body, encoding)
        if text is not None:
            return text
    return body.decode("cp1252", errors="replace")


def _declared_charsets(body: bytes, content_type: str) -> list[str]:
    declared = [m.group(1).decode("ascii", "ignore") for m in META_CHARSET.finditer(body[:2048])][:1]
    declared += HEADER_CHARSET.findall(content_type or "")[:1]
    result = []
    for name in declared:
        encoding = _normal_encoding(name)
        if encoding in PERMISSIVE and _is_utf8_text(body):
            encoding = "utf-8"
        if encoding and encoding not in result:
            result.append(encoding)
    return result


def _normal_encoding(name: str) -> str | None:
    name = CHARSET_ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # Only real text encodings: "idna", "rot13", "base64", "undefined" … are codecs too.
    return info.name if getattr(info, "_is_text_encoding", True) and info.name not in NOT_CHARSETS else None


def _is_utf8_text(body: bytes) -> bool:
    return not body.isascii() and _try_decode(body, "utf-8") is not None


def _try_decode(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeError, LookupError, ValueError):   # UnicodeError: e.g. "idna" on a long label
        return None


# ---------------------------------------------------------------------------------------------
# Dates

MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
US_ZONES = {"UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
            "PST": -8, "PDT": -7}
_MONTH = r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_TIME = r"(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{2})(?:\s*[:分]\s*(?P<S>\d{2})(?:[.,]\d+)?)?"
RFC822 = re.compile(r"\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")
YMD = re.compile(r"(?<!\d)(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)\s*日?"
                 rf"(?:(?:T|\s*)(?:{_TIME})\s*(?P<tz>Z|[+-]\d{{2}}:?\d{{2}})?)?")
MDY = re.compile(r"(?<!\d)(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"
                 rf"(?:\s+{_TIME}\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?\s*(?P<zone>[A-Z]{{1,4}}\b)?")
MONTH_D_Y = re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})", re.IGNORECASE)
D_MONTH_Y = re.compile(rf"\b(?P<d>\d{{1,2}})\s+{_MONTH},?\s+(?P<y>\d{{4}})", re.IGNORECASE)


def source_tz(source: Source) -> tzinfo:
    """The zone a source's zone-less dates are in: Beijing for China, else UTC."""
    return BEIJING if source.country.upper() == "CN" else UTC


def parse_date(label: str, default_tz: tzinfo) -> datetime | None:
    """An aware datetime from a date label, or None when the label holds no full date.

    Accepts RFC 822 (`Fri, 25 Sep 2026 13:53:48 GMT`, `-0500`), ISO 8601 (`2026-09-11T13:40:20Z`),
    `2026-09-29`, `[2026-09-29]`, `2026/09/29`, `2026.09.29`, `2026年9月29日`, with an optional
    time (`2026-09-29 17:03`, `13时01分`), `September 11, 2026`, `11 Sept 2026`, and US
    `07/21/2026 05:26 PM EDT`. Without a zone the time is in `default_tz`; a date alone is 00:00.
    """
    label = (label or "").strip()
    if not label:
        return None
    for reader in DATE_READERS:
        try:
            value = reader(label, default_tz)
        except (ValueError, OverflowError, TypeError, IndexError):
            value = None
        if value is not None:
            return value
    return None


def _read_rfc822(label: str, tz: tzinfo) -> datetime | None:
    if not RFC822.search(label):
        return None
    value = parsedate_to_datetime(label)
    if value.tzinfo is None:   # "-0000" or no zone at all
        value = value.replace(tzinfo=UTC if re.search(r"-0000|GMT|UT\b|Z$", label) else tz)
    return value


def _read_ymd(label: str, tz: tzinfo) -> datetime | None:
    match = YMD.search(label)
    if not match:
        return None
    zone = _offset_zone(match["tz"]) if match["tz"] else tz
    return _build(match["y"], match["m"], match["d"], match, zone)


def _read_mdy(label: str, tz: tzinfo) -> datetime | None:
    match = MDY.search(label)
    if not match:
        return None
    hour = int(match["H"] or 0)
    if match["ampm"]:
        hour = hour % 12 + (12 if match["ampm"][0].lower() == "p" else 0)
    zone = tz
    if match["zone"] and match["zone"] in US_ZONES:
        zone = timezone(timedelta(hours=US_ZONES[match["zone"]]), match["zone"])
    return datetime(int(match["y"]), int(match["m"]), int(match["d"]), hour, int(match["M"] or 0),
                    int(match["S"] or 0), tzinfo=zone)


def _read_month_name(label: str, tz: tzinfo) -> datetime | None:
    match = MONTH_D_Y.search(label) or D_MONTH_Y.search(label)
    if not match:
        return None
    return datetime(int(match["y"]), MONTHS[match["mon"][:3].lower()], int(match["d"]), tzinfo=tz)


def _build(year: str, month: str, day: str, match: re.Match[str], zone: tzinfo) -> datetime:
    return datetime(int(year), int(month), int(day), int(match["H"] or 0), int(match["M"] or 0),
                    int(match["S"] or 0), tzinfo=zone)


def _offset_zone(text: str) -> tzinfo:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


DATE_READERS: tuple[Callable[[str, tzinfo], datetime | None], ...] = (
    _read_rfc822, _read_ymd, _read_mdy, _read_month_name)

# ---------------------------------------------------------------------------------------------
# Text, links, keys


def collapse(text: str) -> str:
    """Whitespace runs (including NBSP and the ideographic space) become one space; ends stripped."""
    return re.sub(r"\s+", " ", text or "").strip()


def html_to_text(markup: str, drop: Iterable[str] = ()) -> str:
    """The visible text of an HTML fragment, scripts and styles removed, plus any `drop` selectors.

    A fragment nested deeper than MAX_FRAGMENT_DEPTH (no real summary is) only loses its tags.
    """
    if "<" not in (markup or ""):
        return collapse(html.unescape(markup or ""))
    if is_too_deep_html(markup, MAX_FRAGMENT_DEPTH):
        return collapse(html.unescape(ANY_TAG.sub(" ", markup)))
    tree = LexborHTMLParser(markup)
    tree.strip_tags(NON_TEXT_TAGS)
    for selector in drop:
        for node in tree.css(selector):
            node.decompose()
    root = tree.body or tree.root
    return collapse(root.text(separator=" ") if root is not None else "")


def clean_title(text: str) -> str:
    """A one-line title: entities decoded, any tags removed, whitespace collapsed."""
    text = html.unescape((text or "")[:RAW_TEXT_LIMIT])
    if TAG_LIKE.search(text):
        text = html_to_text(text)
    return truncate(collapse(valid_text(text)), TITLE_LIMIT)


def clean_summary(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """Plain text from an HTML or text summary, cut to about `limit` characters at a word end."""
    return truncate(valid_text(html_to_text((text or "")[:RAW_MARKUP_LIMIT])), limit)


def truncate(text: str, limit: int = SUMMARY_LIMIT) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"


def resolve_link(href: str, base: str) -> str:
    """An absolute, canonical URL for a link found on a page at `base` ("" for script links)."""
    href = clean_url(href)
    if not href or href.lower().startswith(("javascript:", "mailto:", "#")):
        return ""
    try:
        return canonical_url(urljoin(base, href))
    except ValueError:   # urllib: "Invalid IPv6 URL", a port out of range …
        return ""


def identity(title: str, fallback_key: str) -> tuple[str, str | None]:
    """(key, doc_number) for an item: a number the title *is* beats `fallback_key`; a number the
    title only mentions becomes the doc_number without becoming the key."""
    own = title_doc_number(title)
    return own or fallback_key, own or first_doc_number(title)


def filter_titles(items: list[Item], source: Source) -> list[Item]:
    """Keep items whose title matches `source.title_filter` (re.search); all when it is empty."""
    if not source.title_filter:
        return items
    pattern = re.compile(source.title_filter)
    return [item for item in items if pattern.search(item.title)]


def body_head(body: bytes, size: int = 1024) -> str:
    """The start of a body, lower-cased, for sniffing what kind of document it is."""
    return body[:size].decode("latin-1").lstrip("\ufeff\xef\xbb\xbf \t\r\n").lower()


def looks_like_html(body: bytes) -> bool:
    """True for an HTML page (a block page, a login wall, a redesign) rather than a feed or JSON."""
    head = body_head(body)
    is_html = head.startswith("<") and any(tag in head for tag in ("<!doctype html", "<html", "<body"))
    return is_html and not any(tag in head for tag in ("<rss", "<feed", "<rdf:rdf"))


def html_title(body: bytes) -> str:
    """The <title> of an HTML page, for error messages."""
    match = re.search(rb"<title[^>]*>(.*?)</title>", body[:8192], re.IGNORECASE | re.DOTALL)
    return clean_title(match.group(1).decode("utf-8", "replace")) if match else ""


# ---------------------------------------------------------------------------------------------
# Bounds: valid text, capped items, refused nesting

TAG_LIKE = re.compile(r"<[A-Za-z/!][^<>]*>")
ANY_TAG = re.compile(r"<[^<>]*>")
C0_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LINE_BREAKS = re.compile(r"[\t\n\r]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
URL_NOISE = re.compile(r"[\x00-\x20\x7f\u00a0\u2028\u2029\u3000]")


def valid_text(text: str) -> str:
    """`text` safe to store and show: surrogate pairs joined, lone surrogates become U+FFFD, C0
    controls (and DEL) removed, tabs and line breaks become spaces."""
    if SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return LINE_BREAKS.sub(" ", C0_CONTROLS.sub("", text))


def clean_url(url: str) -> str:
    """A link as written, without whitespace or control characters anywhere in it (feeds wrap
    hrefs); "" for one no URL parser can read (`http://[::1`)."""
    url = URL_NOISE.sub("", valid_text((url or "")[:RAW_TEXT_LIMIT]))
    try:
        urlsplit(url).port
    except ValueError:    # "Invalid IPv6 URL", a port out of range …
        return ""
    return url


def finish(items: Iterable[Item], source: Source) -> list[Item]:
    """What every parser returns: at most MAX_ITEMS valid items, after the source's title filter.

    Each item's strings are made valid (see `valid_text`), its title one line of at most
    TITLE_LIMIT characters, its summary at most SUMMARY_LIMIT, its URL free of whitespace; a date
    outside DATE_RANGE becomes unknown. Items left without a key or a title are dropped.
    """
    kept = []
    for item in items:
        item = _valid_item(item)
        if item.key and item.title:
            kept.append(item)
        if len(kept) == MAX_ITEMS:
            break
    return filter_titles(kept, source)


def _valid_item(item: Item) -> Item:
    published = item.published_at
    if published is not None and not DATE_RANGE[0] <= published <= DATE_RANGE[1]:
        published = None
    return replace(
        item, key=_one_line(item.key, TITLE_LIMIT), title=_one_line(item.title, TITLE_LIMIT),
        url=clean_url(item.url), summary=truncate(collapse(valid_text(item.summary)), SUMMARY_LIMIT),
        published_at=published, published_raw=_one_line(item.published_raw, 200),
        doc_number=_one_line(item.doc_number, 200) or None,
        extra={key: _valid_value(value) for key, value in item.extra.items()})


def _one_line(text: str | None, limit: int) -> str:
    return truncate(collapse(valid_text((text or "")[:RAW_TEXT_LIMIT])), limit)


def _valid_value(value: Any) -> Any:
    """An extra field's value with valid text; JSON-like containers are cleaned one level deep."""
    if isinstance(value, str):
        return _one_line(value, SUMMARY_LIMIT)
    if isinstance(value, list):
        return [_one_line(v, SUMMARY_LIMIT) if isinstance(v, str) else v for v in value[:100]]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _one_line(str(value), SUMMARY_LIMIT)
