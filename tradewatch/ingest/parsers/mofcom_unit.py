"""Read MOFCOM's Hanweb "jpaas" unit API answer: JSON wrapping the HTML fragment of one listing.

The answer is `{"code": "200", "success": true, "data": {"html": "<div id=\"分页列表\">…"}}`. The API
says `success:false` with an empty `data` and HTTP 200 when the pageId or the encoding of the
Chinese tagId is wrong, so that, a missing `data` or `data.html`, or a code other than 200 is a
ParseError, never "no news". The fragment is read by the html parser with the source's selectors
(MOFCOM_SELECT fills any that are missing); its root-relative links resolve against
`source.base_url`, else the API host's root (https://www.mofcom.gov.cn/), never the api-gateway
path. Titles that open with a document number (商务部公告2026年第36号 …) take it as key.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from tradewatch.errors import ParseError
from tradewatch.models import FetchResult, Item, Source
from tradewatch.ingest.parsers.bounds import check_nesting, load_json
from tradewatch.ingest.parsers.common import looks_like_html
from tradewatch.ingest.parsers.html import parse_listing

MOFCOM_SELECT = {"item": "ul.txtList_01 > li", "title": "a@title", "link": "a@href", "date": "span"}


def parse(result: FetchResult, source: Source) -> list[Item]:
    """Items of one page of a MOFCOM column, in page order."""
    fragment = _fragment(_payload(result))
    return parse_listing(fragment, source, _base(source, result), {**MOFCOM_SELECT, **source.select})


def _payload(result: FetchResult) -> dict[str, Any]:
    if looks_like_html(result.body):
        raise ParseError("MOFCOM API answered an HTML page instead of JSON (blocked, or the API moved?)")
    payload = load_json(result.body, "MOFCOM API answer")
    if not isinstance(payload, dict):
        raise ParseError(f"MOFCOM API answered a JSON {type(payload).__name__}, not an object")
    return payload


def _fragment(payload: dict[str, Any]) -> str:
    message = f" ({str(payload['message'])[:200]})" if payload.get("message") else ""
    if payload.get("success") is not True:
        raise ParseError(f"MOFCOM API answered success:{json.dumps(payload.get('success'))}{message} "
                         "(wrong pageId or encoding?)")
    if "code" in payload and str(payload["code"]) != "200":
        raise ParseError(f"MOFCOM API answered code {str(payload['code'])[:40]!r}{message}")
    data = payload.get("data")
    if not isinstance(data, dict) or not data:
        raise ParseError("MOFCOM API answered success:true with empty data (wrong pageId or tagId?)")
    html = data.get("html")
    if not isinstance(html, str) or not html.strip():
        raise ParseError("MOFCOM API answered without data.html (wrong tagId or unit?)")
    check_nesting(html, "data.html fragment")
    return html


def _base(source: Source, result: FetchResult) -> str:
    if source.base_url:
        return source.base_url
    parts = urlsplit(result.url or source.url)
    return f"{parts.scheme}://{parts.netloc}/"
