"""Rendering: escaping of hostile source text, the 4,096 UTF-16 limit, Chinese text, list splitting."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.fakebot import parse_html
from tradewatch.models import BEIJING, UTC, Event, Report, Source, SourceState
from tradewatch.deliver.render import (MAX_TEXT, pack, plain_text, render_alert, render_event_line, render_list,
                               render_source_status, truncate, utf16_len, visible_len)

SEEN = datetime(2026, 10, 9, 1, 3, tzinfo=UTC)


def event(**changes) -> Event:
    base = dict(id="e1", title="US raises tariffs on steel to 50%", url="https://example.gov/notice/1",
                source_id="fr", source_name="Federal Register", authority="official", lang="en",
                topics=("tariff",), countries=("US", "CN"), rates=("50%",), products=("steel",),
                doc_number="2026-17231", published_at=datetime(2026, 10, 8, 14, 30, tzinfo=UTC),
                first_seen_at=SEEN, summary="The duty rate rises from 25% to 50% on listed steel goods.")
    base.update(changes)
    return Event(**base)


def report(n: int, **changes) -> Report:
    base = dict(source_id=f"outlet{n}", source_name=f"Outlet {n}", title=f"Story {n}",
                url=f"https://news{n}.example/story", seen_at=SEEN)
    base.update(changes)
    return Report(**base)


def telegram_accepts(markup: str) -> str:
    """What the Bot API would show: parse as Telegram does and check the limit."""
    text, _ = parse_html(markup)
    assert utf16_len(text) <= MAX_TEXT
    assert plain_text(markup) == text
    return text


def test_alert_has_the_facts():
    markup = render_alert(event(actors=("US",), targets=("CN",), effective_on="2026-11-01"))
    text = telegram_accepts(markup)
    assert '<a href="https://example.gov/notice/1">US raises tariffs on steel to 50%</a>' in markup
    for fact in ("Official · Federal Register", "#tariff", "US → CN", "50%", "steel", "2026-17231",
                 "Effective: 2026-11-01", "2026-10-08 14:30 UTC", "seen 2026-10-09 01:03 UTC",
                 "The duty rate rises"):
        assert fact in text


def test_news_label_and_both_topics():
    text = telegram_accepts(render_alert(event(authority="news", source_name="Wire",
                                               topics=("tariff", "export_control"))))
    assert "News · Wire" in text and "#tariff #export_control" in text


@pytest.mark.parametrize("title", [
    "<script>alert(1)</script>", "Tom &amp; Jerry & co", 'He said "tariffs" <b>now', "</i>unbalanced<b>",
    "a < b > c", "&lt;already escaped&gt;", "&#128512; & &nbsp;",
])
def test_hostile_titles_are_shown_verbatim(title):
    hostile = event(title=title, source_name="<i>Outlet", summary="<b>bold & <unclosed",
                    products=("a&b", "<x>"), doc_number="No. <1>")
    text = telegram_accepts(render_alert(hostile))
    assert title in text and "<i>Outlet" in text and "<b>bold & <unclosed" in text and "No. <1>" in text


def test_quotes_in_urls_stay_inside_href():
    url = 'https://example.com/a?x="><script>alert(1)</script>&y=\'1\''
    markup = render_alert(event(url=url))
    _, entities = parse_html(markup)
    assert [e["url"] for e in entities if e["type"] == "text_link"] == [url]
    assert "<script>" not in markup


def test_only_http_urls_become_links():
    markup = render_alert(event(url="javascript:alert(1)"))
    assert "href" not in markup and "US raises tariffs" in telegram_accepts(markup)


def test_huge_summary_is_cut_first():
    markup = render_alert(event(summary="word " * 50_000))
    text = telegram_accepts(markup)
    assert "US raises tariffs on steel to 50%" in text and "…" in text
    assert utf16_len(text) < 1500      # an excerpt, not the whole summary


def test_300_reports_end_in_and_n_more():
    many = event(reports=(report(0, source_name="Federal Register"),) + tuple(report(n) for n in range(1, 301)),
                 summary="x" * 5000)
    text = telegram_accepts(render_alert(many))
    assert "Also reported by: Outlet 1, Outlet 2," in text and "Outlet 20 and 280 more" in text


def test_everything_huge_still_fits():
    giant = event(title="T" * 20_000, summary="S" * 20_000, source_name="N" * 5_000,
                  products=tuple("p" * 500 for _ in range(50)), rates=tuple("9" * 300 for _ in range(50)),
                  countries=tuple("C" * 100 for _ in range(50)), doc_number="D" * 5000,
                  reports=(report(0),) + tuple(report(n, source_name="O" * 300 + str(n)) for n in range(1, 301)))
    text = telegram_accepts(render_alert(giant))
    assert text.startswith("T" * 150) and "T" * 1000 not in text      # title cut, not dropped
    assert "SSS" not in text                                          # the summary went first
    assert text.rstrip().endswith("more") and "Also reported by" in text


def test_chinese_event_keeps_beijing_time():
    zh = event(title="商务部公告2025年第61号 关于对原产于美国的进口商品加征关税", source_name="商务部",
               lang="zh", published_at=datetime(2026, 10, 9, 9, 0, tzinfo=BEIJING),
               summary="国务院关税税则委员会决定" * 400, doc_number="商务部公告2025年第61号")
    text = telegram_accepts(render_alert(zh))
    assert "商务部公告2025年第61号 关于对原产于美国" in text
    assert "2026-10-09 09:00 (UTC+08:00)" in text and "seen 2026-10-09 01:03 UTC" in text


def test_date_only_times_show_a_date():
    text = telegram_accepts(render_alert(event(published_at=datetime(2026, 10, 9, tzinfo=BEIJING))))
    assert "Published 2026-10-09 ·" in text


def test_emoji_count_two_utf16_units_and_are_never_split():
    assert utf16_len("😀") == 2 and utf16_len("中") == 1
    assert truncate("😀" * 10, 5) == "😀😀…"
    assert truncate("😀" * 10, 4) == "😀…"
    text = telegram_accepts(render_alert(event(title="🚢" * 3000, summary="📦" * 5000)))
    assert "\ufffd" not in text and utf16_len(text) <= MAX_TEXT


def test_also_reported_lists_other_outlets_once_with_links():
    reported = event(reports=(report(0, source_name="Federal Register", url="https://example.gov/notice/1"),
                              report(1), report(1, url="https://news1.example/again"),
                              report(2, source_name='A & "B" <Wire>')))
    markup = render_alert(reported, also=(report(3),))
    text = telegram_accepts(markup)
    assert 'Also reported by: Outlet 1, A & "B" <Wire>, Outlet 3' in text
    assert '<a href="https://news1.example/story">Outlet 1</a>' in markup


def test_event_line_and_lists_split_under_the_limit():
    events = [event(id=f"e{n}", title=f"Title {n} " + "long " * 60, source_name=f"Src {n}") for n in range(150)]
    line = render_event_line(events[0])
    assert "[Official] Src 0" in plain_text(line) and "#tariff" in line and "2026-10-08 14:30 UTC" in line
    messages = render_list(events, "<b>Latest</b>")
    assert len(messages) > 1 and messages[0].startswith("<b>Latest</b>")
    texts = [telegram_accepts(m) for m in messages]
    assert sum(t.count("Title ") for t in texts) == 150


def test_pack_cuts_a_single_oversized_block():
    messages = pack(["<b>" + "x" * 5000 + "</b>", "small"])
    assert [visible_len(m) <= MAX_TEXT for m in messages] == [True, True]


def test_source_status_lines():
    now = SEEN
    source = Source(id="mofcom", name="MOFCOM <releases>", kind="html", url="https://x", authority="official",
                    country="CN")
    failing = SourceState("mofcom", last_check=now - timedelta(minutes=5), consecutive_failures=3,
                          failing_since=now - timedelta(hours=2), last_error="http_5xx: 503 <Service>")
    text = telegram_accepts(render_source_status(source, failing, now))
    assert "Failing since 2026-10-08 23:03 UTC (3×): http_5xx: 503 <Service>" in text
    ok = SourceState("mofcom", last_check=now - timedelta(minutes=5), last_new_item=now - timedelta(days=2))
    assert "OK · last check 5 min ago, last new item 2 d ago" in plain_text(render_source_status(source, ok, now))
    off = Source(id="x", name="X", kind="rss", url="https://x", enabled=False)
    assert "Disabled" in render_source_status(off, None, now)


# ---- rendering is total: any str in, a sendable message out ------------------------------------
HOSTILE = ["\ud800", "\udfff", "\ud83d", "\ude00", "\x00", "\x07", "\x1b", "\x7f", "\r", "\n", "\t",
           "<", ">", "&", '"', "'", "&amp;", "<b>", "</a>", "😀", "𝕏", "\u200b", "\u2028", "\u202e",
           "e\u0301", "关税", "a", " ", "https://", "javascript:", "%", "\ufeff", "\ufffd"]


def hostile_text(rng, longest: int) -> str:
    size = rng.choice((0, 1, 5, 50, 300, longest))
    return "".join(rng.choice(HOSTILE) for _ in range(rng.randint(0, size)))


def hostile_event(rng) -> Event:
    text = lambda longest=200: hostile_text(rng, longest)  # noqa: E731
    reports = tuple(report(n, source_name=text(), url=rng.choice(("https://x.example/" + text(), text())))
                    for n in range(rng.choice((0, 1, 3, 40))))
    return event(title=text(6000), summary=text(9000), source_name=text(), url="https://e.example/" + text(),
                 countries=tuple(text(20) for _ in range(rng.randint(0, 12))), rates=(text(20),),
                 products=(text(50),), doc_number=text(400) or None, effective_on=text(50) or None,
                 topics=rng.choice((("tariff",), (text(10),), ())), reports=reports,
                 actors=(text(10),), targets=(text(10),))


def test_rendering_never_raises_and_always_sends_valid_utf8_within_the_limit():
    import random
    import time as clock
    rng = random.Random(20261202)
    deadline, rendered = clock.monotonic() + 2.0, 0
    while clock.monotonic() < deadline:
        hostile = hostile_event(rng)
        messages = [render_alert(hostile), *render_list([hostile, hostile], "<b>Latest</b>"),
                    render_event_line(hostile)]
        state = SourceState("s", last_check=SEEN, consecutive_failures=2, last_error=hostile.title[:500],
                            failing_since=SEEN)
        messages.append(render_source_status(Source("s", hostile.source_name, "rss", "https://s.example"),
                                             state, SEEN))
        for markup in messages:
            markup.encode("utf-8")                            # no lone surrogate reaches the wire
            assert not any(ord(c) < 32 and c not in "\n" for c in markup), repr(markup[:80])
            telegram_accepts(markup)
        rendered += 1
    assert rendered >= 20, rendered


@pytest.mark.parametrize("text, units", [("\ud800", 1), ("a\udfffb", 3), ("😀\ud800", 3), ("", 0)])
def test_utf16_len_counts_lone_surrogates_instead_of_raising(text, units):
    assert utf16_len(text) == units
