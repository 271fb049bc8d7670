"""Full texts of official list documents, fetched from a real local HTTP server; every failure a value."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from tests.httpserver import LocalServer
from tradewatch.ingest.fetch import Fetcher
from tradewatch.ingest.fulltext import document_api_url, fetch_full_text, is_list_document, text_lines
from tradewatch.models import UTC, Event, Source
from tradewatch.settings import Settings

FIXTURES = Path(__file__).parent.parent / "fixtures" / "fulltext"
NOW = datetime(2026, 10, 9, 8, 0, tzinfo=UTC)
ARTICLE = """<html><head><meta charset="utf-8"><title>商务部公告</title></head><body>
<nav>首页 | 新闻发布</nav><div class="art-con" ergodic="article">
<p>根据《中华人民共和国出口管制法》，决定将以下实体列入出口管制管控名单：</p>
<p>1. 北极星航电系统有限公司（Polaris Avionics Systems Ltd.）</p><p>2. 凯斯特雷尔防务公司</p></div>
<footer>版权所有</footer></body></html>"""


@pytest.fixture
def server():
    with LocalServer() as running:
        yield running


@pytest.fixture
async def fetcher(server):
    source = fr_source(server)
    async with Fetcher.from_settings(Settings(http_timeout=2.0), sources=[source]) as f:
        yield f


def fr_source(server: LocalServer) -> Source:
    return Source(id="fr-bis", name="FR", kind="federal_register", url=server.url("/api/v1/documents.json?per_page=20"),
                  authority="official", country="US", allow_private=True)


def mofcom_source(server: LocalServer) -> Source:
    return Source(id="mofcom", name="MOFCOM", kind="mofcom_unit", url=server.url("/api-gateway/jpaas"),
                  authority="official", country="CN", lang="zh", allow_private=True)


def listing(title: str, *, url="https://example.org/x", number="2026-20417", authority="official",
            summary="") -> Event:
    return Event(id="e", title=title, url=url, source_id="fr-bis", source_name="FR", authority=authority,
                 lang="en", topics=("export_control",), doc_number=number, summary=summary, first_seen_at=NOW)


def fr_document(server: LocalServer, **urls: str) -> None:
    server.route("/api/v1/documents/2026-20417.json", body=json.dumps(urls).encode(),
                 headers={"Content-Type": "application/json"})


async def test_a_federal_register_document_is_read_from_its_raw_text_url(server, fetcher):
    fr_document(server, raw_text_url=server.url("/raw.txt"), body_html_url=server.url("/body.html"))
    server.route("/raw.txt", body=(FIXTURES / "fr-entity-list-additions.txt").read_bytes(),
                 headers={"Content-Type": "text/plain"})
    text = await fetch_full_text(fetcher, fr_source(server), listing("Additions to the Entity List"))
    assert text.error is None and any(line.startswith("Lumaris Robotic Co. Ltd.") for line in text.lines)
    asked = [path for path, _ in server.requests if path.startswith("/api/v1/documents/")]
    assert asked == ["/api/v1/documents/2026-20417.json?fields[]=raw_text_url&fields[]=body_html_url"]
    assert server.hits("/body.html") == 0


async def test_when_the_raw_text_fails_the_html_body_is_read(server, fetcher):
    fr_document(server, raw_text_url=server.url("/raw.txt"), body_html_url=server.url("/body.html"))
    server.route("/raw.txt", status=404, body=b"gone")
    server.route("/body.html", body=b"<html><body><p>Entities added:</p><p>Acme <b>Optics</b> GmbH</p></body></html>",
                 headers={"Content-Type": "text/html"})
    text = await fetch_full_text(fetcher, fr_source(server), listing("Additions to the Entity List"))
    assert text.error is None and text.lines == ("Entities added:", "Acme Optics GmbH")


async def test_failures_come_back_as_values(server, fetcher):
    server.route("/api/v1/documents/2026-20417.json", status=503, body=b"busy")
    failed = await fetch_full_text(fetcher, fr_source(server), listing("Additions to the Entity List"))
    assert failed.error is not None and failed.error.kind == "http_5xx"
    fr_document(server, raw_text_url="file:///etc/passwd")
    refused = await fetch_full_text(fetcher, fr_source(server), listing("Additions to the Entity List"))
    assert refused.error.kind == "parse" and "raw_text_url" in refused.error.message
    fr_document(server, raw_text_url=server.url("/slow.txt"))
    server.route("/slow.txt", body=b"late", delay=3.0)
    slow = await fetch_full_text(fetcher, fr_source(server), listing("Additions to the Entity List"), seconds=0.5)
    assert slow.error.kind == "timeout"


async def test_a_mofcom_article_is_read_from_its_body_and_cut_to_size(server, fetcher):
    server.route("/article/1.html", body=ARTICLE.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    event = listing("商务部公告2026年第70号 关于将有关实体列入出口管制管控名单的公告", url=server.url("/article/1.html"),
                    number=None)
    text = await fetch_full_text(fetcher, mofcom_source(server), event)
    assert text.lines[1] == "1. 北极星航电系统有限公司（Polaris Avionics Systems Ltd.）"
    assert not any("首页" in line or "版权" in line for line in text.lines)
    cut = await fetch_full_text(fetcher, mofcom_source(server), event, max_bytes=200)
    assert cut.error is None or cut.error.kind == "empty"
    assert all("凯斯特雷尔" not in line for line in cut.lines)


LIST_CASES = [
    ("fr", "Additions to the Entity List", "official", True),
    ("fr", "Revisions to the Unverified List", "official", True),
    ("fr", "Export Administration Regulations: Removal of Certain Entities", "official", True),
    ("fr", "Certain Steel Nails From Vietnam: Final Results of Antidumping Review", "official", False),
    ("mofcom", "关于将有关实体列入不可靠实体清单的公告", "official", True),
    ("mofcom", "商务部新闻发言人就出口管制管控名单答记者问", "official", True),
    ("mofcom", "商务部公布对美加征关税商品排除清单", "official", False),
    ("fr", "Additions to the Entity List", "news", False),
]


@pytest.mark.parametrize("kind,title,authority,expected", LIST_CASES)
def test_which_documents_are_list_documents(server, kind, title, authority, expected):
    source = fr_source(server) if kind == "fr" else mofcom_source(server)
    assert is_list_document(listing(title, authority=authority), source) is expected


def test_the_document_url_sits_beside_the_search_url(server):
    assert document_api_url(fr_source(server), "2026-20417").endswith(
        "/api/v1/documents/2026-20417.json?fields[]=raw_text_url&fields[]=body_html_url")
    assert document_api_url(fr_source(server), "../../x") is None
    assert text_lines(b"a\r\n\r\n  b  c \n") == ["a", "b c"]
