"""Read an HTML listing page into Items with the CSS selectors of the source's `select` table.

`select.item` picks the rows; `title`, `link`, `date` and `summary` are read inside each row with
a small mini-syntax: `"a"` is the text of the row's first `a`, `"a@title"` its `title` attribute,
`"@href"` an attribute of the row itself. A title attribute that is missing or empty falls back to
the element's text. Links resolve against `source.base_url`, else the page URL; dates go through
`common.parse_date` in the source's zone (or `select.date_format`, a strptime format, when given).
No row matching `select.item` is an EmptyParseError: the page structure has probably changed.
A page nested absurdly deep is refused before parsing (bounds.check_nesting); at most MAX_ITEMS
rows are read.
"""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from tradewatch.errors import EmptyParseError, ParseError
from tradewatch.models import FetchResult, Item, Source
from tradewatch.ingest.parsers.bounds import check_nesting
from tradewatch.ingest.parsers.common import (
    MAX_ITEMS, clean_summary, clean_title, collapse, decode_html, finish, identity, parse_date, resolve_link,
    source_tz,
)


def parse(result: FetchResult, source: Source) -> list[Item]:
    """Items of a listing page, in page order, after the source's title filter."""
    markup = decode_html(result.body, result.content_type)
    check_nesting(markup)
    return parse_listing(markup, source, source.base_url or result.url or source.url)


def parse_listing(markup: str, source: Source, base: str, select: Mapping[str, str] | None = None) -> list[Item]:
    """Items of an HTML document or fragment; `select` defaults to the source's table."""
    select = select if select is not None else source.select
    rows = _css(LexborHTMLParser(markup), select["item"])
    if not rows:
        raise EmptyParseError(f"no items matched selector {select['item']!r} — the page structure may have changed")
    items = [item for item in (_item(row, source, base, select) for row in rows[:MAX_ITEMS]) if item is not None]
    if not items:
        raise EmptyParseError(f"{len(rows)} rows matched {select['item']!r} but none had a title and a link "
                              f"({select.get('title')!r}, {select.get('link')!r}) — the page structure may have changed")
    return finish(items, source)


def _item(row: LexborNode, source: Source, base: str, select: Mapping[str, str]) -> Item | None:
    title = clean_title(extract(row, select["title"], text_fallback=True) or "")
    url = resolve_link(extract(row, select["link"]) or "", base)
    if not title or not url:
        return None
    date_label = collapse(extract(row, select["date"]) or "") if select.get("date") else ""
    summary = extract(row, select["summary"]) if select.get("summary") else ""
    key, doc_number = identity(title, url)
    return Item(source_id=source.id, key=key, title=title, url=url,
                published_at=read_date(date_label, source, select.get("date_format", "")),
                published_raw=date_label, summary=clean_summary(summary or ""), lang=source.lang,
                doc_number=doc_number)


def extract(row: LexborNode, spec: str, text_fallback: bool = False) -> str | None:
    """The value `spec` names inside `row`: "css" → text, "css@attr" → attribute, "@attr" → the row's.

    With `text_fallback`, a missing or empty attribute gives the element's text instead.
    """
    css, _, attr = spec.partition("@")
    target = _css_first(row, css.strip()) if css.strip() else row
    if target is None:
        return None
    if attr:
        value = target.attributes.get(attr.strip())
        if value and value.strip():
            return value
        if not text_fallback:
            return None
    return collapse(target.text(separator=""))


def read_date(label: str, source: Source, date_format: str = "") -> datetime | None:
    """A listing's date label in the source's zone; `date_format` (strptime) is tried first."""
    if not label:
        return None
    if date_format:
        try:
            value = datetime.strptime(label.strip(), date_format)
            return value if value.tzinfo else value.replace(tzinfo=source_tz(source))
        except ValueError:
            pass
    return parse_date(label, source_tz(source))


def _css(node: LexborHTMLParser | LexborNode, selector: str) -> list[LexborNode]:
    try:
        return node.css(selector)
    except SelectolaxError:
        raise ParseError(f"selector {selector!r} is not valid CSS") from None


def _css_first(node: LexborNode, selector: str) -> LexborNode | None:
    try:
        return node.css_first(selector)
    except SelectolaxError:
        raise ParseError(f"selector {selector!r} is not valid CSS") from None
