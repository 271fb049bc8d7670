"""Dedupe: stable keys, near-duplicate titles, facts, and the numbers and roles that keep two
events apart. Scenario pairs are built through analyze/build_event, as the pipeline builds them."""
from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from tradewatch.understand.dedupe import EventIndex
from tradewatch.understand.pairs import Profile, normalize_title, similarity
from tradewatch.models import UTC, Event, Item, Source
from tradewatch.understand.absorb import analyze, build_event

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WIRE = Source(id="wire", name="Wire Service", kind="rss", url="https://wire.example/feed")
DAILY = Source(id="daily", name="Daily Ledger", kind="rss", url="https://daily.example/feed")
MOFCOM = Source(id="mofcom", name="商务部", kind="html", url="https://www.mofcom.gov.cn/", authority="official",
                country="CN", lang="zh")
CN_NEWS = Source(id="cn-news", name="财经日报", kind="rss", url="https://cn.example/feed", lang="zh")
TARIFF_COMMISSION = Source(id="tariff-commission", name="国务院关税税则委员会", kind="html", url="https://gss.example/",
                           authority="official", lang="zh")
PALACE = Source(id="palace", name="Presidential actions", kind="rss", url="https://palace.example/feed",
                authority="official", country="US")
GAZETTE = Source(id="gazette", name="Official Gazette", kind="federal_register", url="https://gazette.example/api",
                 authority="official", country="US")
CUSTOMS = Source(id="customs", name="Customs bulletins", kind="rss", url="https://customs.example/feed",
                 authority="official", country="US")


def event(title: str, *, source: Source = WIRE, summary: str = "", hours: float = 0, url: str = "",
          lang: str | None = None, key: str | None = None) -> Event:
    when = T0 + timedelta(hours=hours)
    url = url or f"https://{source.id}.example/{zlib.crc32(f'{title}|{hours}'.encode())}"
    item = Item(source.id, key or url, title, url, published_at=when, summary=summary, lang=lang or source.lang)
    analysis = analyze(item, source)
    assert analysis.relevant, (title, analysis.reasons)
    return build_event(item, source, analysis, when)


def index_with(*events: Event, window: timedelta = timedelta(days=14)) -> EventIndex:
    index = EventIndex(window)
    for e in events:
        index.add(e)
    return index


SAME = [
    ("two outlets, different wording, same facts",
     event("Ruritania slaps 30% tariffs on Chinese steel"),
     dict(title="Chinese steel hit with 30 per cent Ruritanian levy", source=DAILY, hours=5)),
    ("syndicated copy, identical title",
     event("China bans exports of gallium to the US"),
     dict(title="China bans exports of gallium to the US", source=DAILY, hours=1)),
    ("wire and paper, same measure, a day later",
     event("China tightens export controls on rare earths"),
     dict(title="Beijing expands rare earth export curbs", source=DAILY, hours=20)),
    ("'lifts … to 125%' raises, it does not ease",
     event("US raises tariffs on Chinese goods to 125%"),
     dict(title="Washington lifts China tariff to 125% effective immediately", source=DAILY, hours=4)),
    ("retaliation reported with different goods named",
     event("China imposes 15% tariffs on US coal and LNG"),
     dict(title="Beijing hits back with levies on American coal, oil", source=DAILY, hours=2)),
    ("one proclamation on the president's site and in the gazette",
     event("Adjusting Imports of Aluminum Into the United States", source=PALACE),
     dict(title="Adjusting Imports of Aluminum Into the United States", source=GAZETTE, hours=72)),
    ("one measure in two languages: the same signature (actor, target, product, kind)",
     event("China bans exports of gallium to the US"),
     dict(title="中国禁止镓出口至美国", source=CN_NEWS, hours=1)),
    ("bilateral rollback reported twice",
     event("US and China agree to cut tariffs for 90 days"),
     dict(title="US, China roll back tariffs in truce deal", source=DAILY, hours=3)),
]

APART = [
    ("different rates on the same product",
     event("US raises tariffs on Chinese steel to 25%"),
     dict(title="US raises tariffs on Chinese steel to 50%", source=DAILY, hours=30)),
    ("the retaliation is another event",
     event("US imposes 25% tariffs on Chinese goods"),
     dict(title="China imposes 25% tariffs on US goods", source=DAILY, hours=20)),
    ("a different target",
     event("US imposes 25% tariffs on Indian goods"),
     dict(title="US imposes 25% tariffs on Brazilian goods", source=DAILY, hours=2)),
    ("suspension is not the imposition",
     event("China tightens export controls on rare earths"),
     dict(title="China suspends export controls on rare earths", source=DAILY, hours=40)),
    ("taking effect on another day",
     event("Ruritania announces 10% tariffs on US cars"),
     dict(title="Ruritania's 10% tariffs on US cars take effect", source=DAILY, hours=72)),
    ("an old event outside the window",
     event("China bans exports of gallium to the US"),
     dict(title="China bans exports of gallium to the US", source=DAILY, hours=24 * 20)),
    ("different counts of listed companies",
     event("US adds 12 Chinese companies to entity list"),
     dict(title="US adds 27 Chinese companies to entity list", source=DAILY, hours=24 * 9)),
    ("different effective dates",
     event("China to require export permits for graphite from Dec 1"),
     dict(title="China to require export permits for graphite from Jan 1", source=DAILY, hours=24 * 5)),
    ("listing parties is not controlling goods",
     event("China adds 15 US firms to export control list"),
     dict(title="China restricts exports of seven rare earth elements", source=DAILY, hours=1)),
    ("the same rate a week later is a new step",
     event("US imposes 25% tariff on Indian goods"),
     dict(title="US adds extra 25% tariff on India over oil purchases", source=DAILY, hours=24 * 7)),
    ("different products in the titles",
     event("Ruritania slaps 50% levy on Taiwanese textiles"),
     dict(title="Ruritania slaps 50% levy on Taiwanese pork", source=DAILY, hours=2)),
    ("anti-dumping and countervailing are two proceedings",
     event("Certain Brandy From Ruritania: Antidumping Duty Order"),
     dict(title="Brandy From Ruritania: Final Affirmative Countervailing Duty Determination", source=DAILY, hours=2)),
    ("a customs bulletin implementing a proclamation is its own document",
     event("Adjusting Imports of Aluminum Into the United States", source=PALACE),
     dict(title="Guidance: Additional Duties on Imports of Aluminum", source=CUSTOMS, hours=20)),
]


@pytest.mark.parametrize("name,first,second", SAME, ids=[s[0] for s in SAME])
def test_duplicates_join(name, first, second):
    index = index_with(first)
    assert index.match(event(**second)) == first


@pytest.mark.parametrize("name,first,second", APART, ids=[s[0] for s in APART])
def test_different_events_stay_apart(name, first, second):
    index = index_with(first)
    assert index.match(event(**second)) is None


def test_same_outlet_updated_headline_joins_by_url():
    first = event("China to announce export curbs on rare earths", url="https://wire.example/a/1")
    updated = event("China announces sweeping export controls on rare earths and magnets", hours=2,
                    url="https://wire.example/a/1?utm_source=feed")
    assert index_with(first).match(updated) == first


def test_same_document_number_on_two_urls_joins_even_across_languages():
    first = event("商务部公告2026年第12号 关于对相关物项实施出口管制的公告", source=MOFCOM,
                  url="https://www.mofcom.gov.cn/zcfb/1.html")
    mirror = event("商务部公告2026年第12号 关于对相关物项实施出口管制的公告", source=MOFCOM, hours=3,
                   url="https://www.mofcom.gov.cn/xwfb/2.html")
    english = event("MOFCOM Announcement No. 12 of 2026 on export controls", hours=5, key="商务部公告2026年第12号")
    english = replace(english, keys=english.keys + ("商务部公告2026年第12号",))
    index = index_with(first)
    assert index.match(mirror) == first
    assert index.match(english) == first


def test_two_document_numbers_are_never_one_event():
    first = event("商务部公告2026年第12号 公布对稀土物项实施出口管制的决定", source=MOFCOM)
    second = event("商务部公告2026年第13号 公布对稀土技术实施出口管制的决定", source=MOFCOM, hours=0.1)
    assert index_with(first).match(second) is None


def test_two_documents_of_one_official_source_are_not_merged_by_wording():
    first = event("Revisions to the Entity List", source=replace(WIRE, authority="official", id="bis"))
    second = event("Revisions to the Entity List", source=replace(WIRE, authority="official", id="bis"), hours=24)
    assert index_with(first).match(second) is None


def test_a_shared_listing_url_with_a_different_title_is_not_a_copy():
    first = event("Termination of Section 232 duties on steel", url="https://gov.example/trade-remedies")
    other = event("China bans exports of gallium to the US", url="https://gov.example/trade-remedies", hours=1)
    assert index_with(first).match(other) is None


def test_update_indexes_new_report_titles_and_keys():
    first = event("China bans exports of gallium to the US")
    index = index_with(first)
    copy = event("Gallium ban: Beijing halts shipments to America", source=DAILY, hours=1)
    joined = first.with_report(copy.reports[0], T0)
    joined = replace(joined, keys=joined.keys + copy.keys)
    index.update(joined)
    again = event("Gallium ban: Beijing halts shipments to America", source=DAILY, hours=2, url=copy.url)
    assert index.match(again) == joined


def test_evict_forgets_old_events_and_their_keys():
    old, new = event("China bans exports of gallium to the US"), event("US adds 12 firms to entity list", hours=48)
    index = index_with(old, new)
    assert len(index) == 2
    assert index.evict(T0 + timedelta(hours=1)) == 1
    assert len(index) == 1
    assert index.match(event("China bans exports of gallium to the US", url=old.url, hours=50)) is None


def test_normalize_title_is_an_explicit_processor():
    assert normalize_title("UPDATE 2-U.S. raises tariffs to 100 per cent!") == "us raise tariff 100%"
    assert normalize_title("商務部：加征百分之十五关税") == "商务部加征百分之十五关税"
    assert similarity(normalize_title("China bans gallium exports"), normalize_title("China bans gallium exports")) == 1.0


def test_profile_reads_direction_stage_and_numbers():
    assert Profile.of("US suspends tariffs on Mexico").direction == "down"
    assert Profile.of("US imposes tariffs on Mexico").direction == "up"
    assert Profile.of("Tariffs on Mexico take effect").effect
    assert Profile.of("China hits $34B of US goods with tariffs").amounts == frozenset({"$34b"})


def undated(title: str, source: Source = DAILY) -> Event:
    return replace(event(title, source=source, hours=24 * 30), published_at=None)


def test_an_undated_report_matches_a_dated_event_at_any_age_when_it_shares_specifics():
    first = event("Commerce adds Huawei to Entity List, tightening export controls")
    assert index_with(first).match(undated("Huawei and 68 affiliates added to BIS Entity List")) == first


def test_two_undated_reports_are_as_far_apart_as_when_they_were_first_seen():
    def seen(title: str, hours: float) -> Event:
        return replace(event(title, source=DAILY, hours=hours), published_at=None)
    first = seen("Ruritania adds 12 Korean firms to its entity list", 0)
    assert index_with(first).match(seen("12 Korean firms added to Ruritania's entity list", 2)) == first
    assert index_with(first).match(seen("12 Korean firms added to Ruritania's entity list", 24 * 30)) is None


def test_an_undated_report_needs_a_specific_fact_in_common():
    first = event("Trade war: Washington slaps tariffs on Chinese imports")
    later = replace(event("Washington escalates the trade war with tariff increases", source=DAILY, hours=30),
                    published_at=None)
    assert index_with(first).match(later) is None


def test_many_events_match_quickly():
    index = EventIndex(timedelta(days=14))
    for n in range(600):
        index.add(event(f"Country{n} imposes {n % 90 + 5}% tariffs on widgets{n}", hours=n % 200))
    probe = event("Country42 imposes 47% tariffs on widgets42", source=DAILY, hours=43)
    assert index.match(probe).title == "Country42 imposes 47% tariffs on widgets42"


# Reports of one announcement in words that share little: each joins the first (same signature).
CLUSTERS = [
    ("a sweeping levy in three wordings", [
        ("Brazil unveils sweeping levies in Independence Day address", WIRE, 0),
        ("Brazil's leader declares emergency to impose import duties", DAILY, 3),
        ("Brazil slaps tariffs of at least 10% on nearly all imports", DAILY, 6)]),
    ("a safeguard in two languages", [
        ("China imposes three-year safeguard on imported beef with 40% over-quota tariff", WIRE, 0),
        ("中国对进口牛肉实施为期三年的保障措施 配额外加征40%关税", CN_NEWS, 5),
        ("Beijing slaps 40% safeguard duty on beef imports above quota", DAILY, 20)]),
    ("a listing in two languages", [
        ("China adds 12 Korean shipbuilders to export control list", WIRE, 0),
        ("商务部将12家韩国实体列入出口管制管控名单", CN_NEWS, 2)]),
    ("a countervailing duty in two languages", [
        ("China imposes anti-subsidy duties on EU wine", WIRE, 0),
        ("裁定欧盟补贴葡萄酒造成损害 商务部决定征收反补贴税", CN_NEWS, 4)]),
    ("a rate cut in two languages, one naming no target", [
        ("US halves migration-linked tariff on Ruritanian goods to 10%", WIRE, 0),
        ("美国将移民相关关税从20%下调至10%", CN_NEWS, 6)]),
    ("a statute, one report naming no rate", [
        ("Ruritania invokes Section 122 for a 10% surcharge on all imports", WIRE, 0),
        ("Ruritania turns to Section 122 for a temporary across-the-board tariff", DAILY, 4)]),
    ("taking effect, one report naming no actor", [
        ("New US duties on lumber and cabinets kick in", WIRE, 0),
        ("10% lumber levy and 25% cabinet duties now in force", DAILY, 5)]),
    ("levies of up to a rate scrapped, in two languages", [
        ("Canada scraps retaliatory levies of up to 15% on US farm goods", WIRE, 0),
        ("加拿大停止对美国部分农产品加征最高15%关税", CN_NEWS, 8)]),
    ("a terse official title and the news naming the goods", [
        ("国务院关税税则委员会关于对原产于加拿大的部分进口商品加征关税的公告", TARIFF_COMMISSION, 0),
        ("China slaps 100% tariffs on Canadian canola oil and peas", WIRE, 3)]),
    ("energy covers oil and gas", [
        ("China retaliates with 15% levies on US coal and LNG", WIRE, 0),
        ("China hits back at US tariffs with duties on energy and farm machinery", DAILY, 2)]),
    ("the goods' use is not the goods", [
        ("China suspends ban on exports of gallium and germanium to the US", WIRE, 0),
        ("China suspends ban on exports of certain metals used in chip manufacturing to the US", DAILY, 2)]),
    ("the goods' use is not the goods, in a title-case headline", [
        ("China Suspends Ban On Exports Of Gallium And Germanium To The US", WIRE, 0),
        ("China Suspends Ban On Exports Of Certain Metals Used In Chip Manufacturing To The US", DAILY, 2)]),
    ("an announcement saying when it will take effect", [
        ("USTR sets Section 301 tariffs on Chinese semiconductors", WIRE, 0),
        ("USTR announces Section 301 tariffs on Chinese semiconductors to take effect in 2027", DAILY, 30)]),
    ("a proposal in two wordings", [
        ("EU proposes halving steel import quotas and a 50% out-of-quota tariff", WIRE, 0),
        ("Brussels unveils plan to cut duty-free steel imports", DAILY, 2)]),
    ("goods added to a control list, in two languages", [
        ("China adds lithium battery technology to export control list", WIRE, 0),
        ("商务部公告 对锂电池相关物项实施出口管制", CN_NEWS, 8)]),
]


@pytest.mark.parametrize("name,reports", CLUSTERS, ids=[c[0] for c in CLUSTERS])
def test_paraphrases_of_one_announcement_are_one_event(name, reports):
    (title, source, hours), *rest = reports
    first = event(title, source=source, hours=hours)
    index = index_with(first)
    for title, source, hours in rest:
        joined = index.match(event(title, source=source, hours=hours))
        assert joined is not None and joined.id == first.id, title


# Titles nearly the same, events different: another rate, target, statute, direction, product or kind.
NEAR_TWINS = [
    ("another rate", "Ruritania sets 15% tariff on Korean steel", "Ruritania sets 25% tariff on Korean steel"),
    ("another target", "Ruritania sets tariffs on Korean steel", "Ruritania sets tariffs on Japanese steel"),
    ("another statute", "US opens Section 232 tariffs on copper imports", "US opens Section 301 tariffs on copper imports"),
    ("another direction", "China tightens gallium export controls on the US", "China relaxes gallium export controls on the US"),
    ("another product", "China bans gallium exports to the US", "China bans graphite exports to the US"),
    ("another remedy", "China imposes anti-dumping duties on EU pork", "China imposes countervailing duties on EU pork"),
    ("another actor", "China imposes 10% tariffs on Canadian canola", "Canada imposes 10% tariffs on Chinese canola"),
    ("dropping a threat is not the threat", "Brazil threatens tariffs on Korean cars", "Brazil drops tariff threat on Korean cars"),
    ("another language, another product", "China bans gallium exports to the US", "中国禁止石墨对美出口"),
    ("another rate the same day", "US halves tariff on Ruritanian goods to 10%", "US lifts tariff on Ruritanian goods to 25%"),
    ("a proposal is not the decision", "EU proposes 50% steel tariff above quota", "EU adopts 50% steel tariff above quota"),
    ("no actor and other goods", "New US duties on lumber kick in", "25% truck duties now in force"),
]


@pytest.mark.parametrize("name,first,second", NEAR_TWINS, ids=[n[0] for n in NEAR_TWINS])
def test_near_twins_of_different_events_stay_apart(name, first, second):
    source = CN_NEWS if any("\u4e00" <= ch <= "\u9fff" for ch in second) else DAILY
    assert index_with(event(first)).match(event(second, source=source, hours=3)) is None


def test_one_publisher_merges_an_identical_title_the_same_day_only():
    bis = replace(WIRE, authority="official", id="bis")
    first = event("Additions to the Entity List", source=bis)
    assert index_with(first).match(event("Additions to the Entity List", source=bis, hours=2)) == first
    assert index_with(first).match(event("Revisions to the Entity List", source=bis, hours=2)) is None
