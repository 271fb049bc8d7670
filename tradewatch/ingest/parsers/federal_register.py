"""Read a Federal Register API `documents.json` answer into Items, one per document.

The key and doc_number are the `document_number` (corrections have their own, `C1-2026-16628`).
`publication_date` is a plain date; it is read as 00:00 at UTC-05:00 (FR_TZ: US Eastern standard
time, fixed all year so the result never depends on the machine's zone database; in summer that is
01:00 EDT, still the same New York day). The fields alerts and dedupe use go to `extra`. An HTML
answer (the WAF's "Federal Register :: Request Access" page) or anything but a JSON object with a
`results` list is a ParseError; `results: []` is an EmptyParseError. A document whose
`document_number` or `title` is not a string is skipped; other fields of the wrong type are read
as missing. `classification_metadata` adds the CFR parts, topics and significance that
classification reads.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from tradewatch.errors import EmptyParseError, ParseError
from tradewatch.models import FetchResult, Item, Source
from tradewatch.ingest.parsers.bounds import load_json
from tradewatch.ingest.parsers.common import clean_summary, clean_title, clean_url, finish, html_title, looks_like_html
from tradewatch.urls import canonical_url

FR_TZ = timezone(timedelta(hours=-5), "UTC-05:00")
DOCUMENT_URL = "https://www.federalregister.gov/d/{}"
# Fields copied into Item.extra as they are (None when the answer leaves them out).
EXTRA_FIELDS = ("type", "subtype", "action", "publication_date", "effective_on", "pdf_url", "html_url",
                "correction_of", "executive_order_number", "proclamation_number",
                "presidential_document_number", "citation", "dates", "comments_close_on", "signing_date")
CORRECTION = re.compile(r"^C\d+-(\d{4}-\d+)$")


def parse(result: FetchResult, source: Source) -> list[Item]:
    """Items for the documents of one answer page, in the answer's order."""
    documents = _results(_payload(result))
    items = [_item(doc, source) for doc in documents if _is_document(doc)]
    if not items:
        raise ParseError(f"none of the {len(documents)} results has a document_number and a title")
    return finish(items, source)


def _payload(result: FetchResult) -> Any:
    content_type = (result.content_type or "").lower()
    if looks_like_html(result.body) or "html" in content_type:
        title = html_title(result.body)
        raise ParseError(f"Federal Register answered an HTML page{f' {title!r}' if title else ''} "
                         f"instead of JSON (content type {content_type or 'unknown'})"
                         + (" — access is being blocked" if "request access" in title.lower() else ""))
    return load_json(result.body, "Federal Register answer")


def _results(payload: Any) -> list[Any]:
    if not isinstance(payload, dict) or "results" not in payload:
        errors = payload.get("errors") if isinstance(payload, dict) else None
        raise ParseError("Federal Register answer has no 'results' key"
                         + (f" (errors: {errors})" if errors else ""))
    results = payload["results"]
    if not isinstance(results, list):
        raise ParseError(f"Federal Register 'results' is a {type(results).__name__}, not a list")
    if not results:
        raise EmptyParseError(f"Federal Register returned no documents (count {payload.get('count', 0)})")
    return results


def _is_document(doc: Any) -> bool:
    return isinstance(doc, dict) and bool(_text(doc, "document_number").strip()) and bool(_text(doc, "title"))


def _text(doc: dict[str, Any], name: str) -> str:
    """A string field, or "" when it is missing or of another type (a number, a list …)."""
    value = doc.get(name)
    return value if isinstance(value, str) else ""


def _item(doc: dict[str, Any], source: Source) -> Item:
    number = _text(doc, "document_number").strip()
    date = _text(doc, "publication_date")
    return Item(
        source_id=source.id, key=number, title=clean_title(_text(doc, "title")),
        url=canonical_url(clean_url(_text(doc, "html_url")) or DOCUMENT_URL.format(number)),
        published_at=_publication_time(date), published_raw=date,
        summary=clean_summary(_text(doc, "abstract") or _text(doc, "action")),
        lang=source.lang, doc_number=number, extra=_extra(doc, number),
    )


def _publication_time(date: str) -> datetime | None:
    try:
        return datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=FR_TZ)
    except ValueError:
        return None


def _extra(doc: dict[str, Any], number: str) -> dict[str, Any]:
    extra = {name: _scalar(doc.get(name)) for name in EXTRA_FIELDS}
    listed = doc.get("agencies")
    agencies = [a for a in listed if isinstance(a, dict)] if isinstance(listed, list) else []
    extra["agencies"] = [_text(a, "name") or _text(a, "raw_name") for a in agencies
                         if _text(a, "name") or _text(a, "raw_name")]
    extra["agency_slugs"] = [_text(a, "slug") for a in agencies if _text(a, "slug")]
    correction = CORRECTION.match(number)
    extra["is_correction"] = bool(correction or extra["correction_of"])
    if correction and not extra["correction_of"]:
        extra["correction_of"] = correction.group(1)
    extra.update(classification_metadata(doc))
    return extra


def classification_metadata(doc: dict[str, Any]) -> dict[str, Any]:
    """What classification reads beyond the title (asked for with fields[]=): the CFR parts a
    document amends as "15 CFR 744", its subject topics, and whether it is significant. Anything
    malformed is left out, never raised."""
    references = doc.get("cfr_references")
    cfr = [f"{ref['title']} CFR {ref['part']}" for ref in references if isinstance(ref, dict)
           and isinstance(ref.get("title"), (int, str)) and isinstance(ref.get("part"), (int, str))
           and str(ref["title"]).strip() and str(ref["part"]).strip()] if isinstance(references, list) else []
    topics = doc.get("topics")
    significant = doc.get("significant")
    return {"cfr_references": cfr[:50],
            "topics": [t for t in topics if isinstance(t, str)][:50] if isinstance(topics, list) else [],
            "significant": significant if isinstance(significant, bool) else None}


def _scalar(value: Any) -> str | int | float | bool | None:
    """An extra field as the answer gave it, when it is a plain value; containers are dropped."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else None
