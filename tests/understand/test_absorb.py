"""understand: analyze (classification + facts), build_event (ids and keys) and absorb (new event or
join), with an in-memory EventIndex and a fixed clock."""
from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from tradewatch.understand.dedupe import EventIndex
from tradewatch.models import UTC, Item, Source
from tradewatch.understand.absorb import absorb, analyze, build_event, event_id

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
WIRE = Source(id="wire", name="Wire Service", kind="rss", url="https://wire.example/feed")
DAILY = Source(id="daily", name="Daily Ledger", kind="rss", url="https://daily.example/feed")
MOFCOM = Source(id="mofcom", name="商务部", kind="mofcom_unit", url="https://www.mofcom.gov.cn/",
                authority="official", country="CN", lang="zh")
BIS = Source(id="fr-bis", name="Federal Register: BIS", kind="federal_register",
             url="https://www.federalregister.gov/api", authority="official", country="US")


def item(title: str, *, source: Source = WIRE, summary: str = "", key: str = "", url: str = "",
         hours: float = 0, doc_number: str | None = None, extra: dict | None = None) -> Item:
    url = url or f"https://{source.id}.example/{zlib.crc32(title.encode())}"
    return Item(source.id, key or url, title, url, published_at=NOW + timedelta(hours=hours), summary=summary,
                lang=source.lang, doc_number=doc_number, extra=extra or {})


def test_analyze_reads_topics_roles_rates_products_and_dates():
    a = analyze(item("Ruritania slaps 30% tariffs on Chinese steel",
                     summary="The duties apply from June 1, the ministry said."), WIRE)
    assert a.relevant and a.topics == ("tariff",)
    assert a.targets == ("CN",) and a.rates == ("30%",) and a.products == ("steel",)
    assert a.effective_on == "2026-06-01"
    assert "tariff" in a.reasons


def test_analyze_irrelevant_item_keeps_its_reasons():
    a = analyze(item("Stocks slide as Ruritania unveils steel tariffs"), WIRE)
    assert not a.relevant and a.topics == () and "veto-market" in a.reasons


def test_without_facts_an_irrelevant_item_holds_its_verdict_alone_and_a_relevant_one_everything():
    noise = item("Stocks slide 3% as Ruritania unveils steel tariffs on China")
    full, short = analyze(noise, WIRE), analyze(noise, WIRE, facts=False)
    assert full.rates and full.countries and not short.rates and not short.countries
    assert (short.topics, short.relevant, short.reasons) == (full.topics, full.relevant, full.reasons)
    news = item("Ruritania slaps 30% tariffs on Chinese steel", summary="The 30% duties apply from June 1.")
    assert analyze(news, WIRE, facts=False) == analyze(news, WIRE)


def test_summary_rates_are_read_only_from_sentences_naming_a_duty():
    from tradewatch.understand.absorb import summary_rates
    assert summary_rates("Shares rose 14%. The duty is 25 per cent.") == ("25%",)
    assert summary_rates("Shares rose 14% on the news.") == ()
    assert summary_rates("The tariff worries traders. Nothing was set.") == ()
    assert summary_rates("税率为百分之十五。") == ("15%",)


def test_official_source_acts_when_the_title_names_no_actor():
    a = analyze(item("Additions to the Entity List", source=BIS, key="2026-09876", doc_number="2026-09876",
                     extra={"document_number": "2026-09876"}), BIS)
    assert a.relevant and a.actors == ("US",)
    assert a.identity == ("2026-09876",) and a.doc_numbers[0] == "2026-09876"


def test_a_number_the_title_only_mentions_identifies_a_spokesperson_reply():
    a = analyze(item("商务部新闻发言人就商务部公告2026年第12号有关问题答记者问", source=MOFCOM), MOFCOM)
    assert a.identity == ("商务部公告2026年第12号",)


def test_a_title_opening_with_its_own_number_is_that_document():
    a = analyze(item("商务部公告2026年第13号 关于暂停实施商务部公告2026年第12号的公告", source=MOFCOM), MOFCOM)
    assert a.identity == ("商务部公告2026年第13号",)
    assert a.doc_numbers == ("商务部公告2026年第13号", "商务部公告2026年第12号")


def test_publisher_suffix_is_not_read_as_a_country():
    a = analyze(item("Ruritania bans exports of gallium - Times of India"), WIRE)
    assert "IN" not in a.countries


def test_summary_rates_count_only_near_a_tariff_word():
    a = analyze(item("Ruritania raises tariffs on steel",
                     summary="Shares rose 14% on the news. The new tariff rate is 35% on all steel."), WIRE)
    assert a.rates == ("35%",)


def test_build_event_is_deterministic_and_keyed():
    it = item("商务部公告2026年第12号 关于对相关物项实施出口管制的公告", source=MOFCOM,
              url="https://www.mofcom.gov.cn/zcfb/12.html?utm_source=x", key="guid-7")
    event = build_event(it, MOFCOM, analyze(it, MOFCOM), NOW)
    assert event.id == event_id("mofcom", "guid-7") == build_event(it, MOFCOM, analyze(it, MOFCOM), NOW).id
    assert event.keys == ("商务部公告2026年第12号", "mofcom:guid-7", "https://www.mofcom.gov.cn/zcfb/12.html")
    assert event.doc_number == "商务部公告2026年第12号"
    assert event.reports[0].source_id == "mofcom" and event.reports[0].authority == "official"
    assert event.first_seen_at == NOW and event.alert


def test_absorb_new_then_join_keeps_first_title_and_fills_missing_facts():
    index = EventIndex(timedelta(days=14))
    first = absorb(item("Ruritania slaps tariffs on Chinese steel"), WIRE, index, NOW)
    assert first.is_new and first.event.rates == () and len(index) == 1
    second = absorb(item("Chinese steel hit with 30 per cent Ruritanian levy", source=DAILY, hours=3),
                    DAILY, index, NOW + timedelta(hours=3))
    assert not second.is_new and second.joined == first.event
    event = second.event
    assert event.id == first.event.id and event.title == first.event.title and event.url == first.event.url
    assert [r.source_id for r in event.reports] == ["wire", "daily"]
    assert event.rates == ("30%",) and event.updated_at == NOW + timedelta(hours=3)
    assert set(second.event.keys) > set(first.event.keys)
    assert len(index) == 1


def test_absorb_irrelevant_item_makes_no_event():
    index = EventIndex(timedelta(days=14))
    outcome = absorb(item("Ruritania central bank holds rates steady"), WIRE, index, NOW)
    assert outcome.event is None and not outcome.is_new and outcome.joined is None and len(index) == 0


def test_absorb_baseline_events_are_not_alerted():
    outcome = absorb(item("Ruritania bans exports of gallium"), WIRE, EventIndex(), NOW, alert=False)
    assert outcome.is_new and outcome.event.alert is False


def test_the_same_item_twice_joins_by_key():
    index = EventIndex()
    it = item("Ruritania bans exports of gallium", url="https://wire.example/g")
    first = absorb(it, WIRE, index, NOW)
    again = absorb(it, WIRE, index, NOW + timedelta(minutes=5))
    assert again.event.id == first.event.id and not again.is_new


def test_an_official_item_without_a_title_is_still_indexed():
    index = EventIndex()
    summary = "BIS imposes license requirements on exports of advanced chips."
    first = absorb(item("", source=BIS, summary=summary, url="https://fr.example/1"), BIS, index, NOW)
    second = absorb(item("", source=BIS, summary=summary, url="https://fr.example/2"), BIS, index, NOW)
    assert first.is_new and second.is_new and len(index) == 2
