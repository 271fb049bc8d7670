"""Parser tests, generated from tests/fixtures/<kind>/: adding a case is adding two files.

A case is a payload file `<name>.<ext>` and its sidecar `<name>.expected.json`:

    {"source": {Source fields; "url" required},   "content_type": "...",
     "fetched_url": "..." (optional; FetchResult.url, defaults to source.url),
     "count": N (optional),
     "items": [{field: value, ...}, ...]   compared in order, only the fields given;
              published_at as ISO text or null; "extra" is a subset; "summary_contains",
              "summary_excludes" (text or list), "summary_startswith" and "summary_max_len" test the summary
     or
     "error": "ParseError" | "EmptyParseError", "contains": "text in the message"}

Every successful case also checks what all parsers promise: aware datetimes, canonical URLs,
the source's id and language, unique non-empty keys, bounded one-line titles and summaries.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from tradewatch import errors
from tradewatch.models import BEIJING, UTC, FetchResult, Item, Source
from tradewatch.ingest.parsers import PARSERS, parse
from tradewatch.ingest.parsers.bounds import json_depth, nesting_depth
from tradewatch.ingest.parsers.common import (
    clean_summary, clean_title, clean_url, decode_html, identity, parse_date, resolve_link, source_tz, valid_text,
)
from tradewatch.ingest.parsers.html import extract
from tradewatch.urls import canonical_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
KINDS = ("rss", "federal_register", "html", "mofcom_unit")
SIDECAR = ".expected.json"


def _cases():
    for kind in KINDS:
        for sidecar in sorted((FIXTURES / kind).glob(f"*{SIDECAR}")):
            yield pytest.param(kind, sidecar, id=f"{kind}/{sidecar.name.removesuffix(SIDECAR)}")


def _payload_path(sidecar: Path) -> Path:
    name = sidecar.name.removesuffix(SIDECAR)
    payloads = [p for p in sidecar.parent.glob(f"{name}.*") if not p.name.endswith(SIDECAR)]
    assert len(payloads) == 1, f"{sidecar}: expected exactly one payload file named {name}.<ext>, found {payloads}"
    return payloads[0]


def _load(kind: str, sidecar: Path) -> tuple[dict, Source, FetchResult]:
    spec = json.loads(sidecar.read_text(encoding="utf-8"))
    fields = {"id": f"test-{kind}", "name": f"Test {kind}", "kind": kind, **spec["source"]}
    source = Source(**fields)
    result = FetchResult(url=spec.get("fetched_url", source.url), status=200,
                         body=_payload_path(sidecar).read_bytes(), content_type=spec.get("content_type", ""))
    return spec, source, result


def test_every_kind_has_fixtures_and_a_parser():
    assert set(KINDS) == set(PARSERS)
    for kind in KINDS:
        assert list((FIXTURES / kind).glob(f"*{SIDECAR}")), f"no fixtures for {kind}"


@pytest.mark.parametrize(("kind", "sidecar"), list(_cases()))
def test_fixture(kind: str, sidecar: Path):
    spec, source, result = _load(kind, sidecar)
    if "error" in spec:
        with pytest.raises(errors.ParseError) as caught:
            parse(result, source)
        assert type(caught.value).__name__ == spec["error"], caught.value
        assert spec["contains"] in str(caught.value)
        return
    items = parse(result, source)
    _check_invariants(items, source)
    if "count" in spec:
        assert len(items) == spec["count"], [i.title for i in items]
    assert len(items) >= len(spec["items"])
    for index, (item, expected) in enumerate(zip(items, spec["items"])):
        _check_item(item, expected, f"item {index}")


def _check_invariants(items: list[Item], source: Source) -> None:
    assert len({item.key for item in items}) == len(items), "keys must be unique within one answer"
    for item in items:
        assert item.source_id == source.id and item.lang == source.lang
        assert item.key and item.title and item.url
        assert item.title == " ".join(item.title.split()), "titles are one clean line"
        assert canonical_url(item.url) == item.url
        assert item.published_at is None or item.published_at.tzinfo is not None
        assert len(item.summary) <= 1000


def _check_item(item: Item, expected: dict, where: str) -> None:
    for field, want in expected.items():
        if field == "published_at":
            got = item.published_at.isoformat() if item.published_at else None
            assert got == want, f"{where}: published_at"
            if want is not None:
                assert item.published_at == datetime.fromisoformat(want)
        elif field == "extra":
            for key, value in want.items():
                assert item.extra.get(key) == value, f"{where}: extra[{key!r}]"
        elif field == "summary_contains":
            for text in _as_list(want):
                assert text in item.summary, f"{where}: summary lacks {text!r}: {item.summary!r}"
        elif field == "summary_excludes":
            for text in _as_list(want):
                assert text not in item.summary, f"{where}: summary has {text!r}: {item.summary!r}"
        elif field == "summary_startswith":
            assert item.summary.startswith(want), f"{where}: summary is {item.summary!r}"
        elif field == "summary_max_len":
            assert len(item.summary) <= want, f"{where}: summary is {len(item.summary)} chars"
        else:
            assert getattr(item, field) == want, f"{where}: {field}"


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


# --- tradewatch.ingest.parsers.common: the shared helpers, as tables of named cases -----------------

DATE_CASES = {
    "iso date": ("2026-09-29", BEIJING, "2026-09-29T00:00:00+08:00"),
    "bracketed (MOFCOM)": ("[2026-09-29]", BEIJING, "2026-09-29T00:00:00+08:00"),
    "slashes": ("2026/09/29", BEIJING, "2026-09-29T00:00:00+08:00"),
    "chinese": ("2026年9月29日", BEIJING, "2026-09-29T00:00:00+08:00"),
    "chinese with label and time": ("发布时间：2026-09-29 17:03", BEIJING, "2026-09-29T17:03:00+08:00"),
    "chinese hour and minute": ("自2025年11月10日13时01分起", BEIJING, "2025-11-10T13:01:00+08:00"),
    "english month": ("September 11, 2026", UTC, "2026-09-11T00:00:00+00:00"),
    "english abbreviated": ("Sept. 4, 2026", UTC, "2026-09-04T00:00:00+00:00"),
    "day month year": ("11 September 2026", UTC, "2026-09-11T00:00:00+00:00"),
    "iso datetime Z": ("2026-09-11T13:40:20Z", BEIJING, "2026-09-11T13:40:20+00:00"),
    "iso datetime offset": ("2026-09-11T13:40:20.5-04:00", UTC, "2026-09-11T13:40:20-04:00"),
    "iso datetime no zone": ("2026-09-11T13:40:20", BEIJING, "2026-09-11T13:40:20+08:00"),
    "rfc 822 GMT": ("Fri, 25 Sep 2026 13:53:48 GMT", BEIJING, "2026-09-25T13:53:48+00:00"),
    "rfc 822 offset": ("Thu, 19 Mar 2026 21:13:09 -0500", UTC, "2026-03-19T21:13:09-05:00"),
    "govdelivery widget": ("07/21/2026 05:26 PM EDT", UTC, "2026-07-21T17:26:00-04:00"),
    "no year (MOFCOM homepage)": ("09-29", BEIJING, None),
    "not a date": ("Regular Press Conference", UTC, None),
    "impossible date": ("2026-13-45", UTC, None),
    "empty": ("", UTC, None),
}


@pytest.mark.parametrize(("label", "tz", "want"), list(DATE_CASES.values()), ids=list(DATE_CASES))
def test_parse_date(label, tz, want):
    got = parse_date(label, tz)
    assert (got.isoformat() if got else None) == want


def test_chinese_date_is_beijing_midnight_not_utc_midnight():
    got = parse_date("[2026-09-29]", source_tz(Source(id="x", name="x", kind="html", url="https://x.cn/", country="CN")))
    assert got.astimezone(UTC) == datetime(2026, 9, 28, 16, 0, tzinfo=UTC)
    assert source_tz(Source(id="x", name="x", kind="html", url="https://x.gov/", country="US")) is UTC


CURLY = "Spokesperson’s “Export Control” remarks 出口管制"
DECODE_CASES = {
    "utf-8 bom wins over a wrong header": (b"\xef\xbb\xbf" + CURLY.encode(), "text/html; charset=gbk", CURLY),
    "meta gb2312 means gb18030": (
        b'<meta charset="gb2312">' + "税委会公告 𠀀".encode("gb18030"), "text/html", '<meta charset="gb2312">税委会公告 𠀀'),
    "meta beats header": (
        b'<meta http-equiv="Content-Type" content="text/html; charset=GBK">' + "关税".encode("gb18030"),
        "text/html; charset=utf-8", '<meta http-equiv="Content-Type" content="text/html; charset=GBK">关税'),
    "header charset when no meta": ("Zölle".encode("cp1252"), "text/html; charset=windows-1252", "Zölle"),
    "declared latin-1 but utf-8 (FMPRC)": (
        b'<meta charset="iso-8859-1">' + CURLY.encode(), "text/html; charset=ISO-8859-1", '<meta charset="iso-8859-1">' + CURLY),
    "declared latin-1, utf-8 curly quotes only": (
        "<meta charset=iso-8859-1>Lin’s ‘remarks’ — 2026".encode(), "", "<meta charset=iso-8859-1>Lin’s ‘remarks’ — 2026"),
    "declared latin-1 with bytes cp1252 leaves undefined": (b"<meta charset=latin1>caf\xe9 \x81", "", "<meta charset=latin1>café \x81"),
    "declared utf-8 but gb18030": ('<meta charset="utf-8">出口管制'.encode("gb18030"), "", '<meta charset="utf-8">出口管制'),
    "nothing declared, utf-8": (CURLY.encode(), "", CURLY),
    "nothing declared, gbk": ("商务部公告".encode("gbk"), "text/html", "商务部公告"),
    "unknown charset name is ignored": (b'<meta charset="x-klingon">plain', "", '<meta charset="x-klingon">plain'),
}


@pytest.mark.parametrize(("body", "content_type", "want"), list(DECODE_CASES.values()), ids=list(DECODE_CASES))
def test_decode_html(body, content_type, want):
    assert decode_html(body, content_type) == want


def test_decode_html_never_raises_on_garbage():
    text = decode_html(bytes(range(256)) * 4, "text/html; charset=utf-8")
    assert isinstance(text, str) and len(text) > 0


ROW = LexborHTMLParser('<ul><li data-id="7"><a href="/a?utm_source=x" title="  Full &amp; long title ">Short…</a>'
                       '<a href="/second">Second</a><span class="d">[2026-09-29]</span></li></ul>').css_first("li")
EXTRACT_CASES = {
    "attribute of first match": ("a@title", False, "  Full & long title "),
    "text of first match": ("a", False, "Short…"),
    "attribute of the row itself": ("@data-id", False, "7"),
    "text of a class": ("span.d", False, "[2026-09-29]"),
    "missing element": ("em", False, None),
    "missing attribute": ("span@title", False, None),
    "missing attribute falls back to text": ("span@title", True, "[2026-09-29]"),
}


@pytest.mark.parametrize(("spec", "fallback", "want"), list(EXTRACT_CASES.values()), ids=list(EXTRACT_CASES))
def test_extract_mini_syntax(spec, fallback, want):
    assert extract(ROW, spec, text_fallback=fallback) == want


def test_clean_title_and_summary():
    assert clean_title("  Tariffs&nbsp;on \n\t steel &amp; <b>aluminium</b> ") == "Tariffs on steel & aluminium"
    assert clean_title("商务部公告2026年第36号\u3000公布决定") == "商务部公告2026年第36号 公布决定"
    long = "<p>" + "word " * 400 + "</p><script>var x = 1;</script>"
    summary = clean_summary(long)
    assert len(summary) <= 1000 and summary.endswith("…") and "var x" not in summary


def test_resolve_link_against_list_page():
    base = "https://gss.mof.gov.cn/gzdt/zhengcefabu/index.htm"
    assert resolve_link("./202609/t20260930_1.htm", base) == "https://gss.mof.gov.cn/gzdt/zhengcefabu/202609/t20260930_1.htm"
    assert resolve_link("/zwgk/zcfb/art/2026/art_1.html", "https://www.mofcom.gov.cn/") == \
        "https://www.mofcom.gov.cn/zwgk/zcfb/art/2026/art_1.html"
    assert resolve_link("javascript:void(0)", base) == ""


IDENTITY_CASES = {
    "title opens with the number": ("商务部公告2026年第36号 公布决定", "url", ("商务部公告2026年第36号", "商务部公告2026年第36号")),
    "title only mentions it": ("商务部新闻发言人就商务部公告2026年第36号答记者问", "url", ("url", "商务部公告2026年第36号")),
    "csms": ("CSMS # 66104512 - GUIDANCE", "71455021", ("CSMS 66104512", "CSMS 66104512")),
    "no number": ("Tariff news", "guid", ("guid", None)),
}


@pytest.mark.parametrize(("title", "fallback", "want"), list(IDENTITY_CASES.values()), ids=list(IDENTITY_CASES))
def test_identity(title, fallback, want):
    assert identity(title, fallback) == want


def test_rss_date_without_zone_uses_the_source_zone_and_keeps_offsets():
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b'<item><title>a</title><link>https://x.cn/a</link><pubDate>2026-09-29 09:00</pubDate></item>'
            b'<item><title>b</title><link>https://x.cn/b</link><pubDate>Tue, 29 Sep 2026 09:00:00 +0800</pubDate></item>'
            b'</channel></rss>')
    source = Source(id="cn", name="cn", kind="rss", url="https://x.cn/rss", country="CN", lang="zh")
    first, second = parse(FetchResult(url=source.url, body=body, content_type="text/xml"), source)
    assert first.published_at == second.published_at == datetime(2026, 9, 29, 1, 0, tzinfo=UTC)
    assert first.published_at.utcoffset() == timedelta(hours=8)
    assert second.published_at.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(("kind", "error"), [("rss", "ParseError"), ("federal_register", "ParseError"),
                                             ("html", "EmptyParseError"), ("mofcom_unit", "ParseError")])
def test_an_empty_body_is_an_error_never_no_news(kind, error):
    select = {"item": "ul.txtList_01 > li", "title": "a@title", "link": "a@href"}
    source = Source(id="s", name="s", kind=kind, url="https://example.gov/list/", select=select)
    with pytest.raises(errors.ParseError) as caught:
        parse(FetchResult(url=source.url, body=b"", content_type=""), source)
    assert type(caught.value).__name__ == error


def test_rss_item_without_title_is_named_by_its_summary_and_one_without_identity_is_dropped():
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b'<item><description>Duties on bicycles rise to 30% from Monday.</description><guid isPermaLink="false">n-1</guid></item>'
            b'<item><title>No link, no guid</title></item>'
            b'</channel></rss>')
    source = Source(id="s", name="s", kind="rss", url="https://example.com/rss")
    items = parse(FetchResult(url=source.url, body=body, content_type="application/rss+xml"), source)
    assert [(i.key, i.title) for i in items] == [("n-1", "Duties on bicycles rise to 30% from Monday.")]


# --- the bounds: valid text, nesting measured in one linear scan -----------------------------------

VALID_TEXT_CASES = {
    "controls dropped, tab and newline become spaces": ("a\x00b\x07c\td\ne\r\x7f", "abc d e "),
    "lone surrogate replaced": ("tariff \ud800!", "tariff \ufffd!"),
    "surrogate pair joined": ("\ud83d\ude00", "😀"),
    "plain text untouched": ("商务部公告 2026年第36号 — 25%", "商务部公告 2026年第36号 — 25%"),
}


@pytest.mark.parametrize(("text", "want"), list(VALID_TEXT_CASES.values()), ids=list(VALID_TEXT_CASES))
def test_valid_text(text, want):
    assert valid_text(text) == want


def test_clean_url_drops_whitespace_inside_and_out():
    assert clean_url("\n  https://x.gov/a\n/b c\u3000\x00 ") == "https://x.gov/a/bc"


NESTING_CASES = {
    "siblings are not depth": ("<div></div>" * 10_000, 1),
    "nested divs": ("<div>" * 30 + "</div>" * 30, 30),
    "unclosed p, li, br and img do not count": ("<p>a<li>b<br><img src=x>" * 5_000, 0),
    "tags in scripts and comments are skipped": ("<script>" + "<div>" * 9_000 + "</script><!--" + "<div>" * 9_000 + "-->", 0),
    "stops past the limit": ("<span>" * 100_000, 4_001),
}


@pytest.mark.parametrize(("markup", "want"), list(NESTING_CASES.values()), ids=list(NESTING_CASES))
def test_nesting_depth(markup, want):
    assert nesting_depth(markup, 4_000) == want


def test_json_depth_skips_brackets_in_strings():
    assert json_depth('{"a": ["[[[[", {"b": "}}}"}]}', 64) == 3
    assert json_depth("[" * 1_000_000, 64) == 65
