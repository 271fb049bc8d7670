"""The full text of an official list document, for watchlist matching; every outcome a value.

Official documents that add or remove listed parties name them in the body, not in the title:
Federal Register Entity List and other EAR list rules, MOFCOM 不可靠实体清单 and 出口管制管控名单
announcements. `is_list_document` tells them by source kind and title. `fetch_full_text` gets the
text once: for a Federal Register document it asks the FR API for the document's `raw_text_url`
and `body_html_url` (at `…/documents/{number}.json` beside the source's own `documents.json` URL)
and reads the first that answers; for MOFCOM (and other official HTML sources) it reads the
article page, the `div.art-con` body when there is one. At most MAX_BYTES of a body are read and
the whole fetch takes at most SECONDS; what cannot be had comes back as `FullText.error`, never
raised. Lines are the document's own lines (HTML block elements end lines), so a match can name
the line it was found in.
"""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from tradewatch.errors import ParseError
from tradewatch.ingest.parsers.bounds import check_nesting, load_json
from tradewatch.ingest.parsers.common import decode_html, looks_like_html
from tradewatch.models import Event, FetchError, Source

MAX_BYTES = 2_000_000
SECONDS = 20.0
MAX_LINES = 20_000
FR_LIST = re.compile(r"\bentity list\b|\bunverified list\b|\bmilitary end[- ]users?\b|\bdenied persons\b|"
                     r"\bexport administration regulations\b|\b(?:addition|removal|revision)s? of (?:certain )?"
                     r"(?:entities|persons|parties)\b|\bentities to\b", re.I)
CN_LIST = re.compile(r"不可靠实体清单|出口管制管控名单|管控名单|关注名单|出口管制.{0,10}名单")
ARTICLE = ("div.art-con", "div#zoom", "div.TRS_Editor", "article", "main")
DROP = ("script", "style", "noscript", "nav", "header", "footer")
BLOCK = re.compile(r"<(?=/?(?:p|div|br|li|tr|td|th|h[1-6]|pre|table|section|article|dd|dt|ul|ol)\b)", re.I)


@dataclass(frozen=True)
class FullText:
    url: str
    lines: tuple[str, ...] = ()
    error: FetchError | None = None


def is_list_document(event: Event, source: Source | None) -> bool:
    """An official document that may add or remove listed parties."""
    if source is None or event.authority != "official":
        return False
    text = f"{event.title}\n{event.summary}"
    if source.kind == "federal_register":
        return bool(FR_LIST.search(text))
    return bool(CN_LIST.search(text))


async def fetch_full_text(fetcher, source: Source, event: Event, *, max_bytes: int = MAX_BYTES,
                          seconds: float = SECONDS) -> FullText:
    """The document's text as lines, or an error value (timeout, network, http_*, parse, too_large …)."""
    try:
        async with asyncio.timeout(seconds):
            if source.kind == "federal_register" and event.doc_number:
                return await _federal_register(fetcher, source, event, max_bytes)
            return await _page(fetcher, event.url, max_bytes)
    except TimeoutError:
        return FullText(event.url, error=FetchError("timeout", f"full text took longer than {seconds:g} s"))


def document_api_url(source: Source, number: str) -> str | None:
    """`…/api/v1/documents/{number}.json?fields[]=raw_text_url&fields[]=body_html_url`, beside the
    source's `documents.json` URL; None when the source's URL is not an FR API search."""
    parts = urlsplit(source.url)
    head, found, _ = parts.path.partition("/documents")
    if not found or not re.fullmatch(r"[A-Za-z0-9-]{4,40}", number):
        return None
    query = "fields[]=raw_text_url&fields[]=body_html_url"
    return urlunsplit((parts.scheme, parts.netloc, f"{head}/documents/{number}.json", query, ""))


async def _federal_register(fetcher, source: Source, event: Event, max_bytes: int) -> FullText:
    api = document_api_url(source, event.doc_number or "")
    if api is None:
        return await _page(fetcher, event.url, max_bytes)
    result = await fetcher.fetch(api)
    if result.error is not None:
        return FullText(api, error=result.error)
    try:
        document = load_json(result.body[:max_bytes], "Federal Register document")
    except ParseError as exc:
        return FullText(api, error=FetchError("parse", str(exc)))
    urls = [document.get(k) for k in ("raw_text_url", "body_html_url")] if isinstance(document, dict) else []
    urls = [u for u in urls if isinstance(u, str) and u.startswith(("http://", "https://"))]
    if not urls:
        return FullText(api, error=FetchError("parse", "the document names no raw_text_url or body_html_url"))
    last = FullText(api)
    for url in urls:
        last = await _page(fetcher, url, max_bytes)
        if last.error is None:
            return last
    return last


async def _page(fetcher, url: str, max_bytes: int) -> FullText:
    result = await fetcher.fetch(url)
    if result.error is not None:
        return FullText(url, error=result.error)
    body = result.body[:max_bytes]
    try:
        lines = text_lines(body, result.content_type)
    except ParseError as exc:
        return FullText(url, error=FetchError("parse", str(exc)))
    if not lines:
        return FullText(url, error=FetchError("empty", "the document has no text"))
    return FullText(url, tuple(lines[:MAX_LINES]))


def text_lines(body: bytes, content_type: str = "") -> list[str]:
    """The non-empty lines of a text or HTML body (HTML: the article element when there is one)."""
    text = decode_html(body, content_type)
    if "html" in content_type.lower() or looks_like_html(body):
        check_nesting(text, "document")
        tree = LexborHTMLParser(BLOCK.sub("\n<", text))     # block elements end lines
        for selector in DROP:
            for node in tree.css(selector):
                node.decompose()
        root = next((node for selector in ARTICLE if (node := tree.css_first(selector)) is not None), None)
        root = root or tree.body or tree.root
        text = root.text(separator="") if root is not None else ""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]
