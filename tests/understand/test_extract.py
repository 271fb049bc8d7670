"""Fact extraction: who acts and who is targeted, rates, products, document numbers and effective
dates, in English and Chinese. Table-driven; every text is written for these tests."""
from __future__ import annotations

from datetime import date

import pytest

from tradewatch.understand.extract import extract, find_effective_date, find_mentions, find_products, find_rates

ROLES = [
    # text, actors, targets
    ("Washington imposes 25% tariffs on Chinese imports", ("US",), ("CN",)),
    ("China, in response to Washington, slaps tariffs on $60B of U.S. goods", ("CN",), ("US",)),
    ("EU imposes duties on Chinese electric vehicles", ("EU",), ("CN",)),
    ("Trump hits Brazil with 50% tariff over court case", ("US",), ("BR",)),
    ("US and China agree to cut tariffs for 90 days", ("US", "CN"), ()),
    ("China-U.S. joint statement on tariff rollback", ("CN", "US"), ()),
    ("Chip firm lands on US Commerce Department's blacklist", ("US",), ()),
    ("Huawei added to US entity list", ("US",), ("CN",)),
    ("China bans exports of gallium to the United States", ("CN",), ("US",)),
    ("China strikes back as US adds 140 firms to entity list", ("CN",), ()),
    ("Canada retaliates against American steel tariffs", ("CA",), ("US",)),
    ("Ministry of Commerce announces export controls on graphite", ("CN",), ()),
    ("India hit with additional 25% US tariff", ("US",), ("IN",)),
    ("国务院关税税则委员会关于对原产于美国的部分进口商品加征关税的公告", ("CN",), ("US",)),
    ("商務部禁止鎵、鍺等兩用物項對美出口", ("CN",), ("US",)),
    ("美国对华加征关税", ("US",), ("CN",)),
    ("中美联合声明", ("CN", "US"), ()),
    # the goods after a verb belong to the country named next, not to the actor
    ("Ruritania's neighbour China adds Korean firms to its control list", ("CN",), ("KR",)),
    ("Brazil imposes import duties on steel", ("BR",), ()),
    # a Chinese government body acts, even when the title names the other party first
    ("裁定欧盟补贴葡萄酒造成损害 商务部决定征收反补贴税", ("CN",), ("EU",)),
    ("美国商务部将15家中国企业列入实体清单", ("US",), ("CN",)),
]


@pytest.mark.parametrize("text,actors,targets", ROLES, ids=[t for t, _, _ in ROLES])
def test_actor_and_target(text, actors, targets):
    facts = extract(text, "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en")
    assert (facts.actors, facts.targets) == (actors, targets)
    assert facts.countries[:len(actors)] == actors


def test_context_mentions_are_countries_but_neither_actor_nor_target():
    facts = extract("Washington hits India with 25% tariff over Russian oil", "en")
    assert facts.actors == ("US",) and facts.targets == ("IN",) and "RU" in facts.countries


def test_us_is_not_the_pronoun_us():
    assert extract("Tell us about tariffs on steel", "en").countries == ()


RATES = [
    ("tariffs of 25%", ("25%",)),
    ("a 100 per cent tariff", ("100%",)),
    ("raised to 125 pct", ("125%",)),
    ("an additional 25 percentage points", ("+25pp",)),
    ("加征百分之十五的关税", ("15%",)),
    ("加征34%关税", ("34%",)),
    ("税率为34％", ("34%",)),
    ("rates of 10-25%", ("10%", "25%")),
    ("from 84% to 125%", ("84%", "125%")),
    ("up 2.50 percent", ("2.5%",)),
    ("no rate here, only $50 billion", ()),
]


@pytest.mark.parametrize("text,rates", RATES, ids=[t for t, _ in RATES])
def test_rates(text, rates):
    assert find_rates(text) == rates


PRODUCTS = [
    ("Export controls on gallium, germanium and antimony", ("gallium", "germanium", "antimony")),
    ("Tariffs on steel and aluminum", ("steel", "aluminium")),
    ("rare-earth magnets and EVs", ("rare earths", "electric vehicles")),
    ("advanced computing chips", ("semiconductors",)),
    ("对稀土相关技术实施出口管制", ("rare earths",)),
    ("Certain Steel Nails From the Republic of Korea: Antidumping Duty Order", ("steel", "steel nails")),
]


@pytest.mark.parametrize("text,products", PRODUCTS, ids=[t for t, _ in PRODUCTS])
def test_products(text, products):
    assert find_products(text) == products


REFERENCE = date(2025, 10, 9)   # a Thursday
DATES = [
    ("tariffs apply from Nov 1", "2025-11-01"),
    ("effective October 14, 2026", "2026-10-14"),
    ("export permits required starting Dec. 1", "2025-12-01"),
    ("will take effect July 6", "2026-07-06"),          # long past this year: next year
    ("effective from Saturday", "2025-10-11"),
    ("as of 2026-03-04", "2026-03-04"),
    ("from 1 August 2025", "2025-08-01"),
    ("自2025年11月10日13时01分起调整", "2025-11-10"),
    ("自12月1日起实施", "2025-12-01"),
    ("即日起实施", "2025-10-09"),
    ("announced on Oct 9", None),
]


@pytest.mark.parametrize("text,expected", DATES, ids=[t for t, _ in DATES])
def test_effective_dates(text, expected):
    assert find_effective_date(text, REFERENCE) == expected


def test_a_date_without_year_needs_a_reference():
    assert find_effective_date("from Nov 1", None) is None
    assert find_effective_date("effective October 14, 2026", None) == "2026-10-14"


def test_doc_numbers_are_found_and_normalised():
    facts = extract("商务部公告2025年第61号 公布对境外相关稀土物项实施出口管制的决定", "zh")
    assert facts.doc_numbers == ("商务部公告2025年第61号",)
    assert extract("CSMS # 65432109 - GUIDANCE: Section 232", "en").doc_numbers == ("CSMS 65432109",)


def test_mentions_prefer_the_longest_phrase():
    codes = [(m.code, m.kind) for m in find_mentions("The Ministry of Commerce and the Commerce Department")]
    assert codes == [("CN", "agent"), ("US", "agent")]


def test_extract_is_pure_and_total_on_odd_input():
    assert extract("", "en") == extract("", "en")
    assert extract("%%% 。。。 ???", "zh").rates == ()
