"""The event signature and its bilingual vocabulary (terms.toml): every pattern compiles, and a
report in English and one in Chinese of the same measure have the same signature."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from tradewatch.models import TOPICS, UTC, Item, Source
from tradewatch.understand import signature, vocabulary
from tradewatch.understand.absorb import analyze, signature_of

T0 = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)
WIRE = Source(id="wire", name="Wire Service", kind="rss", url="https://wire.example/feed")
CN_NEWS = Source(id="cn-news", name="财经日报", kind="rss", url="https://cn.example/feed", lang="zh")


def test_every_pattern_of_the_vocabulary_compiles():
    for term in vocabulary.KINDS + vocabulary.STATUTES + vocabulary.NAMES:
        re.compile(term.en, re.I), re.compile(term.zh)
    for name, phrases, zh in vocabulary.PRODUCTS:
        assert phrases and re.compile(zh).pattern, name


def test_the_vocabulary_is_consistent():
    assert {kind.topic for kind in vocabulary.KINDS} <= set(TOPICS)
    assert signature.GENERIC == {"tariff", "export-control", "countermeasure"}
    names = {name for name, _, _ in vocabulary.PRODUCTS}
    assert all(covered <= names for covered in vocabulary.UMBRELLAS.values())


def sig(title: str, source: Source = WIRE) -> signature.Signature:
    item = Item(source.id, title, title, "https://x.example/", published_at=T0, lang=source.lang)
    return signature_of(item, analyze(item, source), T0)


PAIRS = [
    ("anti-dumping on a product",
     "China imposes anti-dumping duties on Canadian canola", "中国对原产于加拿大的油菜籽征收反倾销税"),
    ("an entity listing",
     "US puts 12 Chinese firms on its Entity List", "美国将12家中国企业列入实体清单"),
    ("controls on a mineral",
     "China to restrict gallium exports to the US", "中国将限制对美国出口镓"),
    ("a statute and a rate",
     "US sets 50% Section 232 tariff on copper imports", "美国对进口铜征收50%的232关税"),
    ("dual-use items to one country",
     "Beijing bars dual-use exports to Japan", "中方禁止两用物项对日本出口"),
]


@pytest.mark.parametrize("name,english,chinese", PAIRS, ids=[p[0] for p in PAIRS])
def test_a_bilingual_pair_has_one_signature(name, english, chinese):
    en, zh = sig(english), sig(chinese, CN_NEWS)
    assert en.actors == zh.actors and en.targets == zh.targets
    assert en.products == zh.products and en.rates == zh.rates and en.statutes == zh.statutes
    assert set(en.kinds) - signature.GENERIC == set(zh.kinds) - signature.GENERIC
    assert en.direction == zh.direction == "up" and en.date == zh.date == "2026-05-04"


def test_statutes_and_kinds_are_read_from_either_language():
    assert signature.statutes_of("a surcharge under Section 122 for balance-of-payments reasons") == {"section-122"}
    assert signature.statutes_of("依据国际紧急经济权力法") == {"ieepa"}
    assert signature.kinds_of("对进口牛肉实施保障措施") == {"safeguard"}
    assert signature.kinds_of("Ruritania grants export licences for chip tools") >= {"licence"}


def test_signatures_agree_on_a_specific_kind_with_one_anchor_and_a_generic_one_with_two():
    cn, us = frozenset({"CN"}), frozenset({"US"})
    assert signature.agree(cn, cn, frozenset({"anti-dumping", "tariff"}), 1)
    assert not signature.agree(cn, cn, frozenset({"tariff"}), 1)
    assert signature.agree(cn, cn, frozenset({"tariff"}), 1, products=True, close=True)
    assert not signature.agree(cn, us, frozenset({"anti-dumping"}), 3)
    assert not signature.agree(frozenset(), frozenset(), frozenset({"anti-dumping"}), 3)
    assert signature.agree(us, us, frozenset({"tariff"}), 1, close=True, numbers=True)
    assert not signature.agree(us, us, frozenset({"tariff"}), 1, close=False, numbers=True)
    assert signature.agree(us, frozenset(), frozenset({"tariff"}), 2, products=True, close=True)
    assert not signature.agree(us, frozenset(), frozenset({"tariff"}), 1, products=True, close=True)
