"""Synthetic but realistic announcements for the benchmarks, from templates and a seeded RNG.

A `Story` is one headline with the facts it states (acting and targeted countries, products,
rates, document number, topic), in English or Chinese, relevant (a tariff or export-control
measure) or not (markets, statistics, talks, opinion). `Corpus` draws stories, rewords a story
the way another outlet would ("UPDATE 2-", "per cent", "U.S.", " - Reuters", 快讯), and turns
stories into `Item`s (what a parser yields) or stored `Event`s (what the pipeline would have
made of them). Every headline here is generated; none is copied from a real outlet.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from tradewatch.models import Event, Item, Report, Source

COUNTRIES = (  # code, English noun, adjective, Chinese; the first six act most often
    ("US", "US", "U.S.", "美国"), ("CN", "China", "Chinese", "中国"), ("EU", "EU", "EU", "欧盟"),
    ("CA", "Canada", "Canadian", "加拿大"), ("MX", "Mexico", "Mexican", "墨西哥"), ("IN", "India", "Indian", "印度"),
    ("JP", "Japan", "Japanese", "日本"), ("KR", "South Korea", "South Korean", "韩国"),
    ("VN", "Vietnam", "Vietnamese", "越南"), ("BR", "Brazil", "Brazilian", "巴西"), ("TR", "Turkey", "Turkish", "土耳其"),
    ("ID", "Indonesia", "Indonesian", "印度尼西亚"), ("AU", "Australia", "Australian", "澳大利亚"),
    ("GB", "Britain", "British", "英国"), ("TH", "Thailand", "Thai", "泰国"), ("MY", "Malaysia", "Malaysian", "马来西亚"),
    ("TW", "Taiwan", "Taiwanese", "台湾"), ("ZA", "South Africa", "South African", "南非"),
    ("CH", "Switzerland", "Swiss", "瑞士"), ("RU", "Russia", "Russian", "俄罗斯"),
)
PRODUCTS = (  # canonical name (as tradewatch.understand.extract names it), English, Chinese
    ("steel", "steel", "钢铁"), ("aluminium", "aluminium", "铝材"), ("copper", "copper", "铜材"),
    ("solar", "solar panels", "光伏产品"), ("electric vehicles", "electric vehicles", "电动汽车"),
    ("semiconductors", "semiconductors", "芯片"), ("soybeans", "soybeans", "大豆"), ("pork", "pork", "猪肉"),
    ("brandy", "brandy", "白兰地"), ("lumber", "lumber", "木材"), ("batteries", "batteries", "电池"),
    ("trucks", "trucks", "卡车"), ("furniture", "furniture", "家具"), ("seafood", "seafood", "水产品"),
    ("textiles", "textiles", "纺织品"), ("drones", "drones", "无人机"),
    ("pharmaceuticals", "pharmaceuticals", "药品"), ("autos", "auto parts", "汽车零部件"), ("wine", "wine", "葡萄酒"),
    ("beef", "beef", "牛肉"), ("dairy", "dairy products", "乳制品"), ("machinery", "machine tools", "机床"),
    ("smartphones", "smartphones", "手机"), ("ships", "ships", "船舶"),
)
MINERALS = (("gallium", "镓"), ("germanium", "锗"), ("antimony", "锑"), ("graphite", "石墨"), ("tungsten", "钨"),
            ("rare earths", "稀土"), ("indium", "铟"), ("bismuth", "铋"), ("molybdenum", "钼"), ("lithium", "锂"),
            ("superhard materials", "超硬材料"))
RATES = ("5", "7.5", "10", "11", "15", "20", "25", "30", "34", "35", "40", "45", "50", "60", "75", "84", "100",
         "125", "145")
MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")
OUTLETS = ("Reuters", "Bloomberg", "AP News", "CNBC", "Nikkei Asia", "Financial Times", "SCMP")

TARIFF_EN = (
    "{A} imposes {R}% tariffs on {Tadj} {P}",
    "{A} raises tariffs on {Tadj} {P} to {R}%",
    "{A} to impose {R}% duties on {P} imports from {T}, effective {Mon} {d}",
    "{A} slaps {R}% levy on {Tadj} {P}",
    "{A} sets anti-dumping duties of {R}% on {P} from {T}",
    "{A} announces {R}% countervailing duties on {Tadj} {P}",
    "{A} cuts tariffs on {Tadj} {P} to {R}%",
    "{A} suspends {R}% tariff on {Tadj} {P} for 90 days",
    "{A} hits {Tadj} {P} with {R}% retaliatory tariffs",
    "{Aadj} {R}% tariff on {Tadj} {P} takes effect",
)
EXPORT_EN = (
    "{A} adds {n} {Tadj} entities to export control list",
    "{A} restricts exports of {M} to {T}",
    "{A} tightens export controls on {M} shipments to {T}",
    "{A} bans exports of {M} processing technology to {T}",
    "{A} curbs exports of {M} to {T}",
)
OFFICIAL_EN = (
    ("tariff", "Certain {P} From {T}: Antidumping Duty Order"),
    ("tariff", "{P} From {T}: Final Affirmative Countervailing Duty Determination"),
    ("export_control", "Additions to the Entity List: {n} Entities in {T}"),
)
RELEVANT_ZH = (
    ("tariff", True, "国务院关税税则委员会关于对原产于{T}的{P}加征{R}%关税的公告"),
    ("tariff", True, "商务部公告{Y}年第{n}号 关于对原产于{T}的进口{P}反倾销调查最终裁定的公告"),
    ("export_control", True, "商务部 海关总署公告{Y}年第{n}号 关于对{M}相关物项实施出口管制的公告"),
    ("export_control", True, "商务部公告{Y}年第{n}号 关于将{k}家{T}实体列入出口管制管控名单的公告"),
    ("tariff", False, "{A}宣布对{T}{P}加征{R}%关税"),
    ("tariff", False, "{A}决定自{mo}月{d}日起对{T}{P}征收{R}%反补贴税"),
)
NOISE_EN = (
    "Stocks slide as tariff worries hit {P} makers",
    "{A} {P} exports rose {R}% in {Mon}, customs data show",
    "{A} central bank holds interest rates steady",
    "Opinion: who really pays for {Aadj} {P} tariffs",
    "{A} and {T} to hold trade talks next week",
    "Heavy rain disrupts {P} harvest in {A}",
    "{A} shares close {R}% higher as tech rebounds",
    "Explainer: how {Aadj} {P} prices are set",
)
NOISE_ZH = (
    "{A}前{mo}个月{P}出口同比增长{R}%",
    "外交部发言人就{T}有关问题答记者问",
    "沪指收涨{R}% 两市成交额超万亿",
    "{A}{P}价格连续三周上涨",
    "{A}举办{P}产业博览会",
)
SUMMARY_EN = ("{A} said on {day} it would impose duties of {R}% on {P} from {T}, the latest step in a "
              "widening trade dispute. Officials said the measure takes effect on {Mon} {d} and covers "
              "goods worth billions of dollars a year.")
SUMMARY_NOISE_EN = ("Investors weighed fresh data on {P} demand in {A} and {T}; analysts expect prices to "
                    "stay volatile through {Mon} as inventories rebuild.")
SUMMARY_EXPORT_EN = ("{A} said on {day} that exporters of {M} to {T} will need a licence, citing national "
                     "security. The rules take effect on {Mon} {d}.")
SUMMARY_ZH = "{A}有关部门表示，将对原产于{T}的{P}采取相应措施，自{mo}月{d}日起实施。"
SUMMARY_EXPORT_ZH = "有关部门表示，相关物项出口须申请许可，自{mo}月{d}日起实施。"
SUMMARY_NOISE_ZH = "据统计，{A}{P}行业前{mo}个月运行平稳，市场需求保持稳定。"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


@dataclass(frozen=True)
class Story:
    title: str
    lang: str
    relevant: bool
    topics: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    rates: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    doc_number: str | None = None
    summary: str = ""
    official: bool = False


class Corpus:
    """Draws stories, rewordings, items and events; the same seed gives the same corpus."""

    def __init__(self, seed: int = 2026, first_number: int = 10_000):
        """`first_number` starts the numbers in ids, guids and URLs: give two corpora writing to
        one store different ranges."""
        self.rng = random.Random(seed)
        self._numbers = itertools.count(first_number)

    # ---- stories --------------------------------------------------------------------------
    def relevant(self) -> Story:
        roll = self.rng.random()
        if roll < 0.40:
            return self._tariff_en()
        if roll < 0.55:
            return self._export_en()
        if roll < 0.70:
            return self._official_en()
        return self._relevant_zh()

    def noise(self) -> Story:
        return self._noise_en() if self.rng.random() < 0.7 else self._noise_zh()

    def reword(self, story: Story) -> str:
        """The same headline as another outlet writes it."""
        pick = self.rng.choice
        if story.lang == "zh":
            return pick(("快讯：", "【关注】", "")) + story.title.replace("宣布", "决定") + pick(("（全文）", "（附公告）", ""))
        title = story.title
        for old, new in (("%", pick((" percent", " per cent", "%"))), ("US ", "U.S. "), ("imposes", "slaps"),
                         ("raises", "hikes"), ("cuts", "lowers"), ("restricts", "curbs")):
            title = title.replace(old, new, 1)
        return pick(("UPDATE 1-", "UPDATE 2-", "BREAKING: ", "")) + title + f" - {pick(OUTLETS)}"

    # ---- items and events -----------------------------------------------------------------
    def item(self, story: Story, source: Source, published: datetime, title: str | None = None) -> Item:
        """The story as `source` lists it; a rewording (`title`) carries no parsed document number."""
        number = next(self._numbers)
        return Item(source_id=source.id, key=f"guid-{number}", title=title or story.title,
                    url=f"https://news.example.org/{story.lang}/{number}.html", published_at=published,
                    summary=story.summary, lang=story.lang, doc_number=None if title else story.doc_number)

    def event(self, story: Story, source: Source, first_seen: datetime, published: datetime | None) -> Event:
        number = next(self._numbers)
        url = f"https://{source.id}.example.org/{number}.html"
        keys = tuple(k for k in (story.doc_number, f"{source.id}:guid-{number}", url) if k)
        return Event(
            id=f"ev-bench-{number}", title=story.title, url=url, source_id=source.id,
            source_name=source.name, authority=source.authority, lang=story.lang, topics=story.topics,
            countries=story.actors + story.targets, rates=story.rates, products=story.products,
            doc_number=story.doc_number, published_at=published, first_seen_at=first_seen,
            summary=story.summary, reports=(Report(source.id, source.name, story.title, url, first_seen,
                                                   source.authority),),
            actors=story.actors, targets=story.targets, keys=keys, alert=True, notified=True)

    # ---- templates ------------------------------------------------------------------------
    def _pair(self) -> tuple[tuple, tuple]:
        actor = self.rng.choice(COUNTRIES[:6]) if self.rng.random() < 0.8 else self.rng.choice(COUNTRIES)
        target = self.rng.choice([c for c in COUNTRIES if c is not actor])
        return actor, target

    def _slots(self) -> dict:
        (actor, target), product = self._pair(), self.rng.choice(PRODUCTS)
        mineral, rate = self.rng.choice(MINERALS), self.rng.choice(RATES)
        month = self.rng.randrange(12)
        return dict(actor=actor, target=target, product=product, mineral=mineral, rate=rate,
                    A=actor[1], Aadj=actor[2] + ("'s" if actor[1] == actor[2] else ""), T=target[1],
                    Tadj=target[2], P=product[1], M=mineral[0], R=rate, Mon=MONTHS[month], mo=month + 1,
                    d=self.rng.randint(1, 28), n=self.rng.randint(3, 40), k=self.rng.randint(3, 40),
                    Y=self.rng.choice((2025, 2026)), day=self.rng.choice(DAYS))

    def _tariff_en(self) -> Story:
        s = self._slots()
        return Story(self.rng.choice(TARIFF_EN).format(**s), "en", True, ("tariff",), (s["actor"][0],),
                     (s["target"][0],), (s["rate"] + "%",), (s["product"][0],), summary=SUMMARY_EN.format(**s))

    def _export_en(self) -> Story:
        s = self._slots()
        return Story(self.rng.choice(EXPORT_EN).format(**s), "en", True, ("export_control",), (s["actor"][0],),
                     (s["target"][0],), products=(s["mineral"][0],), summary=SUMMARY_EXPORT_EN.format(**s))

    def _official_en(self) -> Story:
        s = self._slots()
        topic, template = self.rng.choice(OFFICIAL_EN)
        title = template.format(**{**s, "P": s["P"].title(), "T": s["T"]})
        number = f"2026-{next(self._numbers) % 90_000 + 10_000}"
        if topic == "export_control":
            return Story(title, "en", True, (topic,), (s["target"][0],), (), (), (), number, official=True,
                         summary=f"This rule adds {s['n']} entities under {s['T']} to the Entity List.")
        return Story(title, "en", True, (topic,), ("US",), (s["target"][0],), (), (s["product"][0],), number,
                     summary=f"The Department of Commerce publishes a notice on {s['P']} from {s['T']}.",
                     official=True)

    def _relevant_zh(self) -> Story:
        s = self._slots()
        topic, official, template = self.rng.choice(RELEVANT_ZH)
        s = {**s, "A": s["actor"][3], "T": s["target"][3], "P": s["product"][2], "M": s["mineral"][1],
             "n": next(self._numbers) % 9_000 + 1}
        title = template.format(**s)
        actor = ("CN",) if official else (s["actor"][0],)
        number = title.split(" 关于")[0].replace(" ", "") if official else None
        summary = (SUMMARY_EXPORT_ZH if topic == "export_control" else SUMMARY_ZH).format(**s)
        product = (s["mineral"][0],) if "{M}" in template else () if topic == "export_control" else (s["product"][0],)
        return Story(title, "zh", True, (topic,), actor, (s["target"][0],),
                     (s["rate"] + "%",) if "{R}" in template else (), product, number, summary, official)

    def _noise_en(self) -> Story:
        s = self._slots()
        return Story(self.rng.choice(NOISE_EN).format(**s), "en", False, summary=SUMMARY_NOISE_EN.format(**s))

    def _noise_zh(self) -> Story:
        s = self._slots()
        s = {**s, "A": s["actor"][3], "T": s["target"][3], "P": s["product"][2]}
        return Story(self.rng.choice(NOISE_ZH).format(**s), "zh", False, summary=SUMMARY_NOISE_ZH.format(**s))


def spread(now: datetime, span: timedelta, rng: random.Random) -> tuple[datetime, datetime]:
    """(first seen, published) of an event seen at a random moment within `span` before `now`."""
    first_seen = now - span * rng.random()
    return first_seen, first_seen - timedelta(minutes=rng.randint(0, 120))
