"""Alert rules: phrases, products and HS codes, watch names, the decision and the edits (tables of named cases)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from tradewatch.deliver import names, schedule
from tradewatch.deliver.products import ProductCatalog, codes_in, hs_digits
from tradewatch.deliver.rules import LIMITS, RuleError, Rules, split_entries
from tradewatch.models import UTC, Event, Report, Subscriber
from tradewatch.understand import vocabulary

NOW = datetime(2026, 10, 9, 8, 0, tzinfo=UTC)
RULES = Rules(ProductCatalog.of(vocabulary.PRODUCTS, vocabulary.UMBRELLAS))


def event(title: str, *, summary="", topics=("tariff",), countries=("CN",), products=(), authority="news",
          reports=()) -> Event:
    return Event(id="e", title=title, url="https://example.org/e", source_id="s", source_name="S",
                 authority=authority, lang="en", topics=topics, countries=countries, products=products,
                 summary=summary, reports=reports, first_seen_at=NOW)


def decide(subscriber: Subscriber, ev: Event):
    rules = Rules(RULES.catalog)
    compiled = rules.compiled(subscriber)
    return compiled.decide(rules.view(ev), NOW)


KEYWORD_CASES = [
    ("a whole word, any case", ("steel",), "US raises STEEL tariffs", True),
    ("not inside another word", ("chip",), "Duties on chips from Korea", False),
    ("several words in a row, punctuation ignored", ("anti-dumping",), "China sets anti dumping duties", True),
    ("the words apart do not match", ("rare earth",), "Earth day: rare tariffs", False),
    ("Chinese as a substring", ("稀土",), "商务部关于对稀土相关物项实施出口管制的公告", True),
    ("Latin in Chinese text", ("huawei",), "美方将Huawei列入实体清单", True),
    ("a report's title counts", ("bourbon",), "EU retaliatory tariffs", True),
]


@pytest.mark.parametrize("name,phrases,title,expected", KEYWORD_CASES, ids=[c[0] for c in KEYWORD_CASES])
def test_keywords(name, phrases, title, expected):
    reports = (Report("w", "Wire", "EU hits bourbon with duties", "https://w/1", NOW),)
    match = decide(Subscriber(1, keywords=phrases), event(title, reports=reports))
    assert (match is not None) is expected
    if expected:
        assert match.line().startswith("Matched: “")


def test_an_exclude_vetoes_and_a_watch_name_overrides_everything():
    steel = event("Tariffs on steel from Huawei Technologies suppliers", topics=("export_control",))
    assert decide(Subscriber(1, excludes=("steel",)), event("Tariffs on steel")) is None
    assert decide(Subscriber(1, topics=("tariff",), excludes=("steel",), watch=("Huawei Technologies Co., Ltd.",)),
                  steel).line() == "Matched: Watchlist: Huawei Technologies Co., Ltd."


def test_scope_filters_still_apply_and_countries_are_named():
    assert decide(Subscriber(1, countries=("US",)), event("Tariffs")) is None
    assert decide(Subscriber(1, official_only=True), event("Tariffs")) is None
    assert decide(Subscriber(1, countries=("CN",), keywords=("tariffs",)), event("Tariffs")).line() == \
        "Matched: “tariffs” · CN"
    plain = decide(Subscriber(1), event("Tariffs"))
    assert plain is not None and plain.line() == "" and not plain.strong


def test_muted_and_inactive_chats_get_nothing_even_when_watched():
    watched = Subscriber(1, watch=("Acme",))
    assert decide(replace(watched, muted_until=NOW + timedelta(hours=1)), event("Acme listed")) is None
    assert decide(replace(watched, active=False), event("Acme listed")) is None


PRODUCT_CASES = [
    ("by name", ("semiconductors",), event("Chip duties", products=("semiconductors",)), "semiconductors"),
    ("an umbrella covers its products", ("critical minerals",), event("Gallium", products=("gallium",)),
     "critical minerals"),
    ("HS prefix of a code the item carries", ("8507",), event("Duties on HTS 8507.60.00 cells"), "HS 8507"),
    ("HS chapter of the event's product", ("72",), event("Steel", products=("steel",)), "HS 72"),
    ("a 6-digit rule inside a heading the event names", ("854140",), event("Duties on heading 8541"), "HS 854140"),
    ("keywords or products: either is enough", ("batteries",), event("Steel", products=("steel",)), None),
]


@pytest.mark.parametrize("name,products,ev,why", PRODUCT_CASES, ids=[c[0] for c in PRODUCT_CASES])
def test_products(name, products, ev, why):
    match = decide(Subscriber(1, products=products), ev)
    assert (match.line() if match else None) == (f"Matched: {why}" if why else None)


def test_product_names_in_both_languages_and_aliases():
    for text, canonical in (("稀土", "rare earths"), ("Rare Earths", "rare earths"), ("EVs", "electric vehicles"),
                            ("半导体", "semiconductors"), ("lithium batteries", "batteries"), ("aluminum", "aluminium")):
        assert RULES.product(text) == canonical, text
    with pytest.raises(RuleError, match="unknown product"):
        RULES.product("unobtainium")
    assert [hs_digits(t) for t in ("85", "8541", "8541.40", "854", "8541404", "85a")] == \
        ["85", "8541", "854140", None, None, None]


def test_codes_an_item_carries():
    assert codes_in("HTSUS 8541.40.60.00 and subheading 7208.10; heading 8703 (2025.10 excluded? no)") == \
        ("8541406000", "720810", "202510", "8703")
    assert codes_in("对税则号列81129290项下商品") == ("81129290",)
    assert codes_in("On Oct. 9, 2026, 25% on 300 items") == ()


NAME_CASES = [
    ("Huawei Technologies Co., Ltd.", "huawei technologies"),
    ("ACME Holdings S.A. de C.V.", "acme holdings"),
    ("The Kestrel Group GmbH", "kestrel group"),
    ("华为技术有限公司", "华为技术"),
    ("Ltd.", "ltd"),
]


@pytest.mark.parametrize("name,key", NAME_CASES)
def test_name_keys_drop_legal_forms_and_punctuation(name, key):
    assert names.name_key(name) == key


def test_names_in_full_text_lines_exact_then_fuzzy_with_the_line():
    lines = ["BIS adds the following entities:", "Lumaris Robotic Co. Ltd., Room 1203, Shenzhen",
             "深圳市华为技术有限公司，地址：深圳", "ZTE Kangxun Telecom"]
    found = names.find_in_lines(["lumaris robotics", "华为技术", "zte", "nothing like this name"], lines)
    assert found == {"lumaris robotics": lines[1], "华为技术": lines[2], "zte": lines[3]}
    assert names.find_in_lines(["acme"], ["Acmeon Industries"]) == {}        # short names: exact only


def test_edits_keep_order_skip_known_and_enforce_limits():
    rules, s = RULES, Subscriber(1)
    s = rules.edit(s, "keywords", "add", "steel, Anti-dumping，稀土").subscriber
    assert s.keywords == ("steel", "Anti-dumping", "稀土")
    edited = rules.edit(s, "keywords", "add", "STEEL, solar")
    assert edited.subscriber.keywords[-1] == "solar" and "1 already there" in edited.message
    assert rules.edit(s, "keywords", "remove", "anti-dumping").subscriber.keywords == ("steel", "稀土")
    with pytest.raises(RuleError, match="none of these"):
        rules.edit(s, "keywords", "remove", "copper")
    with pytest.raises(RuleError, match="at most 50"):
        rules.edit(s, "keywords", "add", ",".join(f"w{i}" for i in range(LIMITS["keywords"])))
    with pytest.raises(RuleError, match="no letters"):
        rules.edit(s, "excludes", "add", "!!!")
    with pytest.raises(RuleError, match="64 characters"):
        split_entries("a" * 65)
    watched = rules.edit(s, "watch", "add", "Acme Co., Ltd., Kestrel GmbH").subscriber
    assert watched.watch == ("Acme Co., Ltd.", "Kestrel GmbH")
    assert rules.edit(s, "products", "add", "稀土, 8541.40").subscriber.products == ("rare earths", "854140")


def test_time_zone_quiet_and_digest_settings_are_validated():
    s = Subscriber(1)
    assert RULES.timezone(s, "Europe/Berlin").timezone == "Europe/Berlin"
    for bad in ("Mars/Olympus", "../etc/passwd", "/usr/share/zoneinfo/UTC", ""):
        with pytest.raises(RuleError):
            RULES.timezone(s, bad)
    assert RULES.quiet(s, "22:00-7:00").quiet == "22:00-07:00"
    for bad in ("22:00", "25:00-07:00", "07:00-07:00", "evening"):
        with pytest.raises(RuleError):
            RULES.quiet(s, bad)
    daily = RULES.digest(s, "08:00", NOW)
    assert daily.digest_at == "08:00" and daily.digest_done == "digest:daily:2026-10-09T08:00Z"
    assert RULES.digest(daily, "off", NOW).digest_at == ""


def test_quiet_windows_in_the_chats_zone_and_across_midnight():
    berlin = Subscriber(1, timezone="Europe/Berlin", quiet="22:00-07:00")
    assert schedule.is_quiet(berlin, datetime(2026, 10, 9, 20, 30, tzinfo=UTC))       # 22:30 CEST
    assert not schedule.is_quiet(berlin, datetime(2026, 10, 9, 5, 0, tzinfo=UTC))     # 07:00 CEST: over
    assert schedule.is_quiet(berlin, datetime(2026, 12, 9, 5, 30, tzinfo=UTC))        # 06:30 CET (winter)
    held = replace(berlin, held=("e1",))
    assert schedule.due(held, datetime(2026, 10, 9, 5, 10, tzinfo=UTC)) == "digest:quiet:2026-10-09T05:00Z"
    assert schedule.due(held, datetime(2026, 10, 9, 4, 0, tzinfo=UTC)) is None          # still quiet


def test_a_daily_digest_is_due_once_per_day():
    s = Subscriber(1, timezone="Asia/Shanghai", digest_at="08:00", held=("e1",))
    at = datetime(2026, 10, 9, 0, 30, tzinfo=UTC)                                       # 08:30 in Beijing
    assert schedule.due(s, at) == "digest:daily:2026-10-09T00:00Z"
    assert schedule.due(replace(s, digest_done="digest:daily:2026-10-09T00:00Z"), at) is None
    assert schedule.due(replace(s, held=()), at) is None


def test_a_digest_is_one_message_grouped_by_topic_however_many_events():
    from tradewatch.deliver.digest import render_digest
    from tradewatch.deliver.render import MAX_TEXT, visible_len
    many = [replace(event(f"Tariff step {i}: " + "duties " * 30, topics=("tariff",) if i % 2 else ("export_control",)),
                    id=f"e{i}", url=f"https://example.org/{i}") for i in range(80)]
    text = render_digest(many)
    assert visible_len(text) <= MAX_TEXT and text.endswith("more: /latest")
    few = render_digest(many[:6])
    assert "<b>Tariffs</b>" in few and "<b>Export controls</b>" in few and few.count("• ") == 6
    assert "2 events" in render_digest(many[:2]) and "Tariff step 1" in render_digest(many[:2])


def test_rules_shared_by_chats_still_match_after_the_universe_is_rebuilt():
    rules = Rules(RULES.catalog)
    first, second = Subscriber(1, keywords=("steel",)), Subscriber(2, keywords=("steel",))
    assert rules.compiled(first) is rules.compiled(second)          # one compiled copy for equal rules
    rules.forget([])                                                  # every chat gone: universe rebuilt empty
    third = Subscriber(3, keywords=("steel",))
    compiled = rules.compiled(third)
    assert compiled.decide(rules.view(event("Duties on steel")), NOW) is not None
    assert rules.edit(third, "keywords", "add", "Solar, SOLAR, steel").subscriber.keywords == ("steel", "Solar")
