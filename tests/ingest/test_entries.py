"""Reusing the entries of a source's last answer (tradewatch/ingest/parsers/entries.py): a feed read
after an earlier answer gives exactly what it gives read alone, feedparser sees only the entries
that are new, and anything doubtful (malformed XML, an entry cut in two, a changed context) is
read whole, with feedparser's errors as before."""
from __future__ import annotations

import feedparser
import pytest

from tradewatch.errors import ParseError
from tradewatch.ingest.parsers import entries, rss
from tradewatch.models import FetchResult, Source

SOURCE = Source("memo-test", "Memo test", "rss", "https://feeds.example.org/trade.rss")


def entry(number: int, *, opaque: bool = False, body: str = "") -> str:
    guid = f'<guid isPermaLink="false">https://feeds.example.org/g/{number}</guid>' if opaque else \
        f"<guid>https://feeds.example.org/g/{number}</guid>"
    return (f"<item><title>Tariff notice {number}</title><link>/notices/{number}</link>{guid}"
            f"<pubDate>Thu, 01 Oct 2026 0{number % 10}:00:00 +0800</pubDate>"
            f"<description>{body or f'Duties of {number}% on steel.'}</description></item>")


def document(*items: str, base: str = "") -> bytes:
    xml_base = f' xml:base="{base}"' if base else ""
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel{xml_base}><title>Trade</title>'
            f"<link>https://feeds.example.org/</link>{''.join(items)}</channel></rss>").encode()


def answer(body: bytes) -> FetchResult:
    return FetchResult(url=SOURCE.url, status=200, body=body, content_type="application/rss+xml")


def alone(body: bytes, source: Source = SOURCE) -> list:
    entries.forget(source.id)
    try:
        return rss.parse(answer(body), source)
    finally:
        entries.forget(source.id)


@pytest.fixture
def fed(monkeypatch):
    """The number of entries in each document feedparser is given."""
    counts: list[int] = []
    real = feedparser.parse

    def counting(stream, *args, **kwargs):
        result = real(stream, *args, **kwargs)
        counts.append(len(result.entries))
        return result

    monkeypatch.setattr(rss.feedparser, "parse", counting)
    entries.forget(SOURCE.id)
    yield counts
    entries.forget(SOURCE.id)


def test_a_new_entry_costs_feedparser_one_entry_and_the_items_are_those_read_alone(fed):
    first = document(*(entry(n) for n in range(1, 6)))
    later = document(entry(6), *(entry(n) for n in range(1, 6)))
    rss.parse(answer(first), SOURCE)
    items = rss.parse(answer(later), SOURCE)
    assert fed == [5, 1]
    assert items == alone(later)
    assert [item.title for item in items] == ["Tariff notice 6"] + [f"Tariff notice {n}" for n in range(1, 6)]


def test_an_unchanged_answer_is_read_without_entries_and_a_dropped_entry_is_gone(fed):
    body = document(*(entry(n) for n in range(1, 4)))
    rss.parse(answer(body), SOURCE)
    again = rss.parse(answer(body), SOURCE)
    shorter = document(entry(1), entry(3))
    dropped = rss.parse(answer(shorter), SOURCE)
    assert fed == [3, 0, 0]
    assert again == alone(body) and dropped == alone(shorter)


def test_a_bozo_feed_without_usable_entries_is_still_an_error_value(fed):
    shell = "<item><description>&bogus;</description></item><item></item>"
    rss.parse(answer(document(entry(1), "<item></item>")), SOURCE)
    broken = document(shell).replace(b"</rss>", b"</rs>")   # not well-formed: feedparser's bozo path
    with pytest.raises(ParseError, match="undefined entity, and none of its 2 entries") as warm:
        rss.parse(answer(broken), SOURCE)
    assert fed[-1] == 2                                 # the whole document, never a cut one
    with pytest.raises(ParseError) as cold:
        alone(broken)
    assert str(warm.value) == str(cold.value)


def test_a_bozo_feed_with_entries_still_parses_whole(fed):
    good = document(entry(1), entry(2))
    rss.parse(answer(good), SOURCE)
    bozo = document(entry(1), entry(2), "<item><title>Broken & unescaped</title><link>/x</link></item>")
    items = rss.parse(answer(bozo), SOURCE)
    assert items == alone(bozo)
    assert fed[1] == 3                                  # read whole, by feedparser's loose parser


def test_an_entry_cut_in_two_by_an_end_tag_in_cdata_is_read_whole(fed):
    tricky = entry(2, body="<![CDATA[quoted </item> in text]]>")
    rss.parse(answer(document(entry(1), tricky)), SOURCE)
    later = document(entry(3), entry(1), tricky)
    assert rss.parse(answer(later), SOURCE) == alone(later)
    assert fed[-1] == 3                                 # counts differed: the whole document


def test_a_changed_context_is_not_reused(fed):
    rss.parse(answer(document(entry(1), entry(2))), SOURCE)
    rebased = document(entry(1), entry(2), base="https://mirror.example.org/")
    items = rss.parse(answer(rebased), SOURCE)
    assert items == alone(rebased)
    assert items[0].url.startswith("https://mirror.example.org/")
    other = Source("memo-test", "Memo test", "rss", SOURCE.url, lang="zh")
    assert [item.lang for item in rss.parse(answer(rebased), other)] == ["zh", "zh"]


def test_a_guid_marked_opaque_elsewhere_in_the_document_is_not_reused(fed):
    plain = entry(1)
    rss.parse(answer(document(plain)), SOURCE)
    # The same guid text, now marked isPermaLink="false" by another entry: it becomes the key.
    marked = entry(2, opaque=True).replace("/g/2", "/g/1")
    later = document(marked, plain)
    assert rss.parse(answer(later), SOURCE) == alone(later)
    assert fed[-1] == 2


def test_a_non_utf8_feed_is_read_whole(fed):
    body = document(entry(1)).replace(b"utf-8", b"gb2312").replace(b"Trade", "贸易".encode("gb2312"))
    rss.parse(answer(body), SOURCE)
    again = rss.parse(answer(body), SOURCE)
    assert fed == [1, 1]
    assert again == alone(body)


def test_an_entry_nested_in_another_is_read_whole(fed):
    # Well-formed, but feedparser lists the outer entry first although the inner one ends first.
    rss.parse(answer(document(entry(1), entry(2))), SOURCE)
    outer = entry(3).replace("</description>", "</description>" + entry(2), 1)
    later = document(entry(1), outer)
    assert rss.parse(answer(later), SOURCE) == alone(later)
    assert fed[-2] == 3
