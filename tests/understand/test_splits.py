"""Kinds of split and of wrong merge, each with its rule: companies named, the EU and its members,
a measure on imports from anywhere, statutes that name their country, plans named with a noun,
measures in force as announced, undated reports. Invented headlines, built as the pipeline builds
them (analyze → build_event → EventIndex)."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tradewatch.models import Item
from tradewatch.understand import signature
from tradewatch.understand.absorb import absorb, analyze, signature_of
from tradewatch.understand.dedupe import EventIndex
from tradewatch.understand.extract import find_rates
from tradewatch.understand.pairs import Profile
from tests.understand.test_dedupe import CN_NEWS, DAILY, T0, WIRE, event, index_with


def undated(title: str, hours: float, source=DAILY):
    return replace(event(title, source=source, hours=hours), published_at=None)


# --- companies: a facet that keeps two decisions apart and anchors one ------------------------
def test_licences_for_different_companies_are_different_events():
    first = event("US grants Samsung and SK Hynix licences to ship chipmaking tools to China")
    assert index_with(first).match(event("US approves Nvidia chip sales to China", source=DAILY, hours=2)) is None


def test_reports_naming_the_same_company_merge_and_its_chinese_name_is_the_same_id():
    first = event("US grants Samsung and SK Hynix licences to ship chipmaking tools to China")
    assert index_with(first).match(event("Samsung gets US approval to bring chip tools into China",
                                         source=DAILY, hours=3)) == first
    assert signature.names_of("美国批准英伟达芯片对华销售") == signature.names_of("US clears Nvidia chip sales") \
        == frozenset({"nvidia"})


def test_the_signature_carries_the_names():
    item = Item(WIRE.id, "k", "China exempts some Nexperia chips from its export ban", "https://x.example/",
                published_at=T0)
    assert signature_of(item, analyze(item, WIRE), T0).as_dict()["names"] == ["nexperia"]


# --- targets: the EU and its members; a measure on imports from anywhere ------------------------
def test_a_chinese_report_naming_the_netherlands_joins_an_english_one_naming_the_eu():
    first = event("China eases export ban on Nexperia chips for EU customers")
    chinese = event("中国放宽安世半导体对荷兰出口限制", source=CN_NEWS, hours=5)
    assert index_with(first).match(chinese) == first


def test_a_measure_first_reported_on_all_imports_is_not_narrowed_by_later_reports():
    index = EventIndex(timedelta(days=14))
    first = absorb_title(index, "China imposes 40% safeguard tariff on beef imports above quota", WIRE, 0)
    second = absorb_title(index, "China slaps 40% over-quota beef tariff on Brazil, Argentina", DAILY, 3)
    third = absorb_title(index, "China imposes 40% tariff on Australian beef", DAILY, 6)
    assert first.event.id == second.event.id == third.event.id


def test_a_measure_on_one_country_still_differs_from_one_on_another():
    first = event("Ruritania imposes 40% tariff on Brazilian beef")
    assert index_with(first).match(event("Ruritania imposes 40% tariff on Australian beef",
                                         source=DAILY, hours=3)) is None


def absorb_title(index: EventIndex, title: str, source, hours: float):
    when = T0 + timedelta(hours=hours)
    item = Item(source.id, f"{source.id}:{hours}", title, f"https://{source.id}.example/{hours}",
                published_at=when, lang=source.lang)
    return absorb(item, source, index, when)


def test_a_statute_of_one_country_names_the_actor():
    item = Item(DAILY.id, "k", "Section 232 tariffs on heavy trucks take effect", "https://x.example/",
                published_at=T0)
    assert analyze(item, DAILY).actors == ("US",)


# --- stages: a plan named with its noun; a measure in force as announced ------------------------
PLAN_AND_DECISION = [
    ("English", "China imposes gallium export curbs on Japan", "China plans gallium export curbs on Japan"),
    ("Chinese", "中国对日本实施镓出口管制", "中国酝酿对日本实施镓出口管制"),
    ("across languages", "中国对日本实施镓出口管制", "China plans gallium export curbs in dispute with Japan"),
]


@pytest.mark.parametrize("name,decision,plan", PLAN_AND_DECISION, ids=[p[0] for p in PLAN_AND_DECISION])
def test_a_plan_named_with_its_noun_is_not_the_decision(name, decision, plan):
    source = CN_NEWS if "\u4e00" <= decision[0] <= "\u9fff" else WIRE
    assert Profile.of(plan).plan and not Profile.of(decision).plan
    assert index_with(event(decision, source=source)).match(event(plan, source=DAILY, hours=20)) is None


def test_a_measure_in_force_as_announced_is_one_event_with_its_announcement():
    assert not Profile.of("Ruritania orders immediate 20% tariff on Korean cars; takes effect at once").effect
    assert not Profile.of("Ruritania's 20% car tariff takes effect immediately").effect
    assert Profile.of("Ruritania's 20% car tariff takes effect").effect
    first = event("Ruritania announces 20% tariff on Korean cars")
    later = event("Ruritania's 20% tariff on Korean cars takes effect immediately", source=DAILY, hours=30)
    assert index_with(first).match(later) == first


def test_announcing_or_ordering_a_tariff_raises_and_lifting_one_eases():
    assert Profile.of("Ruritania orders 25% tax on trade with Korea's partners").direction == "up"
    assert Profile.of("Ruritania announces 25% tariff on Korean cars").direction == "up"
    assert Profile.of("Ruritania signs order lifting tariffs on Korean cars").direction == "down"
    first = undated("Ruritania orders 25% tax on imports from Korea's partners", 0)
    assert index_with(first).match(undated("Ruritania lifts 25% tariffs on Korea", 2)) is None


# --- undated reports of a dated event ----------------------------------------------------------
def test_undated_reports_sharing_a_named_place_join_the_dated_event():
    first = event("Trump drops tariff threat against Europe after Greenland framework talks")
    index = index_with(first)
    for n, title in enumerate(("Trump abandons Europe tariff threat, touts Greenland deal",
                               "Greenland deal framework: Trump pauses tariff threats on Europe")):
        assert index.match(undated(title, 24 * 40 + n)) == first, title


def test_an_undated_report_of_another_decision_about_the_same_company_stays_apart():
    first = event("US adds Huawei cloud unit to Entity List")
    assert index_with(first).match(undated("US revokes Huawei's licence for Intel chips", 24 * 40)) is None


# --- ownership shares, reporters, a named rule: one measure across languages --------------------
@pytest.mark.parametrize("title", ["US pauses its 50% rule for a year", "Rule covers firms owned 50% or more by listed parties",
                                   "美方暂停实施50%穿透性规则一年", "对持股50%以上的子公司同样适用"])
def test_a_share_of_ownership_is_no_rate(title):
    assert find_rates(title) == ()


@pytest.mark.parametrize("title", ["Products with 0.1% Chinese rare earths need licences", "境外产品含0.1%中国稀土须许可"])
def test_a_share_of_content_is_no_rate(title):
    assert find_rates(title) == ()


def test_a_rate_is_still_a_rate_beside_an_ownership_share():
    assert find_rates("50% tariff on firms owned 25% or more by Ruritanians") == ("50%",)
    assert find_rates("Any country trading with Ruritania will face 25% US tariff") == ("25%",)
    assert find_rates("越南同意对美国商品实行零关税") == ("0%",)


def test_a_rule_named_in_two_languages_is_one_measure_the_same_day():
    first = event("US pauses rule extending its export blacklist to subsidiaries for a year")
    chinese = event("美方暂停实施出口管制50%穿透性规则一年", source=CN_NEWS, hours=4)
    assert index_with(first).match(chinese) == first


def test_a_country_whose_media_report_neither_acts_nor_is_targeted():
    item = Item(CN_NEWS.id, "k", "日媒：陆收紧对韩稀土出口审查", "https://x.example/", published_at=T0, lang="zh")
    facts = analyze(item, CN_NEWS)
    assert facts.actors == ("CN",) and "JP" not in facts.targets + facts.actors


@pytest.mark.parametrize("title", ["税委会调整对鲁里塔尼亚加征关税措施 大豆关税降至10%", "鲁里塔尼亚汽车关税降为5%",
                                   "US pauses rule extending its export blacklist to subsidiaries",
                                   "Canada drops most counter-tariffs on Ruritanian goods"])
def test_a_measure_named_with_its_old_verb_still_moves_down(title):
    # "加征关税措施" names the measure; "降至" moves it ("extending" names the rule, "pauses" moves it)
    assert Profile.of(title).direction == "down"


@pytest.mark.parametrize("title", ["Any country trading with Ruritania will face 25% US tariff", "Korea faces 39% tariff after talks fail"])
def test_a_country_facing_a_tariff_moves_it_up(title):
    assert Profile.of(title).direction == "up"


def test_a_chinese_report_finds_the_english_event_past_chinese_reports_sharing_its_words():
    # Thirty English listings share the event's facts (China acts, Japan targeted, rare earths) and
    # forty Chinese reports share the candidate's rarest words (日媒, 审查 …): the candidate's rarest
    # features are all words, and the English event shares no word with it, only facts, which are
    # looked up besides.
    english = event("China tightens screening of Japan-bound rare earth exports", hours=-1)
    listings = [event(f"China adds {n} Japanese rare earth firms to its export control list", hours=-200 + n)
                for n in range(3, 63)]
    goods = ["芯片", "电池", "光刻机", "机床", "无人机", "钢材", "铝材", "光纤", "面板", "药品"]
    actors = ["美国", "韩国", "荷兰", "德国"]
    decoys = [event(f"日媒指{actor}加强审查{item}出口 或影响生产", source=CN_NEWS, hours=-150 + 3 * n)
              for n, (actor, item) in enumerate((a, g) for a in actors for g in goods)]
    index = index_with(*listings, *decoys, english)
    chinese = event("日媒指中国加强审查稀土出口日本 或影响生产", source=CN_NEWS, hours=4)
    assert index.match(chinese) == english


def test_an_actorless_report_of_a_specific_kind_joins_the_same_day():
    # "10% universal tariff takes effect" names no actor and no goods; the kind (a baseline tariff),
    # the rate and taking effect the same day say which measure it is
    first = event("US begins collecting 10% baseline tariff on all imports today")
    assert index_with(first).match(event("10% universal tariff takes effect as ports brace", source=DAILY, hours=3)) == first
    assert index_with(first).match(event("15% universal tariff takes effect as ports brace", source=DAILY, hours=3)) is None


def test_the_agent_of_a_chinese_passive_acts():
    item = Item(CN_NEWS.id, "k", "大疆等12家中国无人机企业被美列入实体清单", "https://x.example/", published_at=T0, lang="zh")
    facts = analyze(item, CN_NEWS)
    assert facts.actors == ("US",) and facts.targets == ("CN",)


def test_restrictions_on_makers_list_them_in_both_languages():
    first = event("Commerce slaps export restrictions on 12 Chinese drone makers")
    chinese = event("大疆等12家中国无人机企业被美列入实体清单", source=CN_NEWS, hours=20)
    assert index_with(first).match(chinese) == first


@pytest.mark.parametrize("title", ["US and China extend tariff truce by another 90 days", "中美关税休战再延长90天",
                                   "President signs order prolonging the tariff pause until November"])
def test_an_easing_prolonged_moves_down(title):
    assert Profile.of(title).direction == "down"


def test_a_truce_extended_is_one_event_in_both_languages():
    first = event("US and China extend tariff truce by another 90 days")
    second = event("Trump signs order prolonging China tariff pause until November", source=DAILY, hours=1)
    index = index_with(first)
    assert index.match(second) == first
    index.update(replace(first, targets=("CN",)))          # the event now names China as a target too
    assert index.match(event("中美关税休战再延长90天", source=CN_NEWS, hours=10)) is not None


def test_chinas_export_control_law_names_its_actor_and_is_not_the_us_ear():
    item = Item(CN_NEWS.id, "k", "修订后的出口管制法今起施行", "https://x.example/", published_at=T0, lang="zh")
    assert analyze(item, CN_NEWS).actors == ("CN",)
    assert signature.statutes_of("Changes to the Export Administration Regulations") != signature.statutes_of("出口管制法")


def test_mainland_china_after_a_preposition_is_the_target():
    item = Item(CN_NEWS.id, "k", "美国商务部扩大对陆晶片出口管制", "https://x.example/", published_at=T0, lang="zh")
    facts = analyze(item, CN_NEWS)
    assert facts.actors == ("US",) and facts.targets == ("CN",)


@pytest.mark.parametrize("title", ["Ruritania hits Korean goods with retaliatory tariffs",
                                   "Ruritania answers Seoul with 50% duties on Korean products", "鲁里塔尼亚对韩国商品加征报复性关税"])
def test_retaliation_moves_up(title):
    assert Profile.of(title).direction == "up"


def test_retaliation_reported_three_ways_is_one_event():
    first = event("Brazil hits US goods with retaliatory tariffs")
    index = index_with(first)
    assert index.match(event("Brasilia answers Washington with 50% duties on American products", source=DAILY, hours=2)) == first
    assert index.match(event("巴西对美国商品加征报复性关税", source=CN_NEWS, hours=4)) == first


def test_a_chip_named_by_its_model_is_a_chip_in_both_languages():
    first = event("US grants Nvidia licence to sell H20 in China")
    assert first.products == ("semiconductors",)
    assert index_with(first).match(event("英伟达获准恢复向中国销售H20芯片", source=CN_NEWS, hours=6)) == first
