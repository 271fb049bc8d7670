"""understand.screen: a screen turns a pattern away only when it cannot match, so screened tables
find exactly what trying every rule finds; keys for Chinese are adjacent pairs where the pattern
has them; the screenable test agrees with its per-character definition."""
from __future__ import annotations

import re

import pytest

from tradewatch.understand import extract, lexicon, signature
from tradewatch.understand.screen import Prepared, Screen, Sieve, is_screenable

TEXTS = [
    "Ruritania slaps 25% tariffs on steel imports from Borduria",
    "RURITANIA BANS EXPORTS OF GALLIUM AND GERMANIUM",
    "Stocks slide as Ruritania unveils export controls on chips; analysts say more to come",
    "Commerce adds 40 entities to the Entity List over military end uses",
    "Heavy-duty trucks: harmonized tariff schedule lines amended (HTSUS)",
    "Ruritania to lift anti-dumping duties on tyres - Example Daily",
    "US halves the tariff to 10% under Section 232, effective Dec. 1",
    "Lawmakers weigh a 100 per cent levy on Bordurian cars",
    "美国对原产于中国的芯片加征25%关税",
    "商务部公告2026年第13号 关于暂停实施出口管制措施的公告",
    "商务部新闻发言人就美方将中国实体列入出口管制清单答记者问",
    "加拿大宣布对美国钢铁和铝产品征收反倾销税",
    "中方：坚决反对美方滥用出口管制 Nvidia 英伟达 H20",
    "İstanbul port fees rise; ſteel and Kelvin test the case folding",
    "Ǆ ǅ ǆ and ΣΑΣ: titlecase letters beside 中国 tariffs",
    "",
]

TABLES = {name: table for name, table in vars(lexicon).items()
          if isinstance(table, tuple) and table and isinstance(table[0], lexicon.Rule)}
TABLES.update(terms=signature.TERM_RULES, names=signature.NAME_RULES)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_a_screened_table_matches_what_every_rule_tried_matches(name):
    table = TABLES[name]
    for text in TEXTS:
        everything = [rule.name for rule in table if rule.search(text, text.lower())]
        assert lexicon.matching(table, text) == everything, text


@pytest.mark.parametrize("table", [extract._COUNTRY_ZH, extract._PRODUCT_ZH], ids=["countries", "products"])
def test_the_chinese_sieves_keep_every_pattern_that_matches(table):
    sieve = Sieve([Screen.of(pattern) for _, pattern in table])
    for text in TEXTS:
        kept = set(sieve.candidates(Prepared.of(text)))
        assert {i for i, (_, pattern) in enumerate(table) if pattern.search(text)} <= kept, text


def test_chinese_needles_are_keyed_by_a_pair_of_adjacent_characters():
    screen = Screen.of(re.compile("美国|加拿大|欧"))
    assert screen.keys == {"美国", "加拿", "欧"}
    keys = Prepared.of("对美国加征").keys
    assert {"美国", "国加", "美", "征"} <= keys and "美加" not in keys
    assert not screen.admits(Prepared.of("美方对加方"))          # neither pair, no 欧
    assert screen.admits(Prepared.of("欧盟"))


def test_the_screenable_test_is_the_per_character_one():
    def per_character(text: str) -> bool:
        return text.isascii() or all(c.isascii() or c.lower() == c == c.upper() for c in set(text))

    for text in TEXTS + ["中ß", "ﬁ中", "aς", "ǅ", "中\u0130", "中\u212a"]:
        assert is_screenable(text) == per_character(text), text
    for code in range(0x80, 0x3000):
        assert is_screenable("a" + chr(code) + "中") == per_character("a" + chr(code) + "中"), hex(code)
