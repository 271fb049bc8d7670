"""Facts stated in one piece of text: which countries act and which are targeted, the rates, the
products, the document numbers and the date a measure takes effect, in English or Chinese.

`extract(text, lang, reference=…)` is pure: the lexicons in `tradewatch.understand.lexicon` say what to look
for, `tradewatch.docnumbers` reads document numbers, and `reference` (the item's own date) is the
only clock, used to complete dates written without a year ("from Dec. 1", "自11月10日起") or as a
weekday ("effective Saturday"). Roles follow the sentence: the first country mentioned before any
preposition acts ("China slaps tariffs on U.S. goods"), countries after "on/against/to/from …" or
before "imports/goods/companies" are targets, and "amid/after/over …" mentions are only context.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from tradewatch.understand import lexicon, vocabulary
from tradewatch.docnumbers import cn_number, find_doc_numbers
from tradewatch.understand.screen import Prepared, Screen, Sieve

CJK = re.compile(r"[\u4e00-\u9fff]")
SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Facts:
    countries: tuple[str, ...] = ()      # actors first, then targets, then other mentions
    actors: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    rates: tuple[str, ...] = ()          # "25%", "+25pp"
    products: tuple[str, ...] = ()
    doc_numbers: tuple[str, ...] = ()
    effective_on: str | None = None      # ISO date


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    code: str
    kind: str                            # name | agent | org | zh


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """NFKC (full-width digits and %), simplified Chinese, straight apostrophes, single spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = lexicon.to_simplified(text).replace("’", "'").replace("‘", "'")
    if "." in text:
        for pattern, replacement in vocabulary.ABBREVIATIONS:
            text = pattern.sub(replacement, text)
    return SPACES.sub(" ", text).strip()


OUTLET_SUFFIX = re.compile(r"\s[-–—|]\s(?P<outlet>[^-–—|]{2,40})$")
OUTLET_WORD = re.compile(r"^(?:[A-Z0-9(\[][\w.&'’()\[\]-]*|of|the|and|de|la|[a-z]+\.(?:com|net|org|co|in|cn))$")


def strip_outlet(title: str) -> str:
    """The headline without a trailing " - Publisher" (a few capitalised words, or a domain)."""
    m = OUTLET_SUFFIX.search(title or "")
    if not m or len(title[:m.start()].split()) < 3:
        return title
    words = m["outlet"].split()
    return title[:m.start()] if len(words) <= 5 and all(OUTLET_WORD.match(w) for w in words) else title


def extract(text: str, lang: str = "en", *, reference: date | None = None) -> Facts:
    """Everything `text` states; pure."""
    return facts_of(text, reference)


def facts_of(text: str, reference: date | None = None, *, rates: bool = True, effective: bool = True) -> Facts:
    """What `extract` finds, leaving out the rates (rates=False) or the effective date
    (effective=False) when the caller will not use them."""
    text = normalize(text)
    hits = _PHRASES.find(text)
    actors, targets, others = split_roles(text, _mentions(text, hits))
    return Facts(countries=_unique(actors + targets + others), actors=actors, targets=targets,
                 rates=find_rates(text) if rates else (), products=_products(text, hits),
                 doc_numbers=find_numbers(text),
                 effective_on=find_effective_date(text, reference) if effective else None)


def find_numbers(text: str) -> tuple[str, ...]:
    """Document numbers (`tradewatch.docnumbers`); only Chinese text or a CSMS number can hold one."""
    if CJK.search(text) or "csms" in text.lower():
        return tuple(find_doc_numbers(text))
    return ()


# --- phrase matching ----------------------------------------------------------------------------
TOKEN = re.compile(r"[^\W_]+")


class PhraseTable:
    """Find lexicon phrases word by word: one pass over the words, a dict lookup per word.

    A phrase written with a leading "=" must match with its case as written ("=US" is not "us").
    Where phrases overlap, the earliest, then the longest, wins.
    """

    def __init__(self, entries: list[tuple[str, object]]):
        self._first: dict[str, list[tuple[tuple[str, ...], bool, object]]] = {}
        for phrase, payload in entries:
            exact = phrase.startswith("=")
            words = tuple(TOKEN.findall(phrase.lstrip("=")))
            words = words if exact else tuple(w.lower() for w in words)
            self._first.setdefault(words[0].lower(), []).append((words, exact, payload))
        for options in self._first.values():
            options.sort(key=lambda option: -len(option[0]))

    def find(self, text: str) -> list[tuple[int, int, object]]:
        words = TOKEN.findall(text)
        lowered = [w.lower() for w in words]
        found, spans, i = [], None, 0
        while i < len(words):
            hit = self._match_at(words, lowered, i) if lowered[i] in self._first else None
            if hit is None:
                i += 1
                continue
            spans = spans or [m.span() for m in TOKEN.finditer(text)]
            found.append((spans[i][0], spans[i + len(hit[0]) - 1][1], hit[1]))
            i += len(hit[0])
        return found

    def _match_at(self, words: list[str], lowered: list[str], i: int):
        for phrase, exact, payload in self._first[lowered[i]]:
            end = i + len(phrase)
            if end <= len(words) and tuple((words if exact else lowered)[i:end]) == phrase:
                return phrase, payload
        return None


# --- countries ---------------------------------------------------------------------------------
# One table for countries and products, so a text is read word by word once.
_PHRASES = PhraseTable([(phrase, ("country", country.code, kind)) for country in vocabulary.COUNTRIES
                        for kind in ("names", "agents", "orgs") for phrase in getattr(country, kind)]
                       + [(phrase, ("product", name, "")) for name, phrases, _ in vocabulary.PRODUCTS
                          for phrase in phrases])
_COUNTRY_ZH = tuple((country.code, re.compile(country.zh)) for country in vocabulary.COUNTRIES if country.zh)
_COUNTRY_ZH_SIEVE = Sieve([Screen.of(pattern) for _, pattern in _COUNTRY_ZH])
_KIND = {"names": "name", "agents": "agent", "orgs": "org"}


def find_mentions(text: str) -> list[Mention]:
    """Country mentions in order; where two overlap, the earlier (then longer) one wins."""
    return _mentions(text, _PHRASES.find(text))


def _mentions(text: str, hits: list) -> list[Mention]:
    found = [Mention(start, end, code, _KIND[kind]) for start, end, (what, code, kind) in hits if what == "country"]
    if CJK.search(text):
        found += [Mention(m.start(), m.end(), code, "zh")
                  for code, pattern in _chinese(_COUNTRY_ZH, _COUNTRY_ZH_SIEVE, text) for m in pattern.finditer(text)]
        found.sort(key=lambda m: (m.start, -m.end))
    kept: list[Mention] = []
    for mention in found:
        if not kept or mention.start >= kept[-1].end:
            kept.append(mention)
    return kept


def split_roles(text: str, mentions: list[Mention] | None = None) -> tuple[tuple[str, ...], ...]:
    """(actors, targets, other mentions); mentions inside a context clause are only "other"."""
    mentions = find_mentions(text) if mentions is None else mentions
    context = [m.span() for m in lexicon.CONTEXT_CLAUSE.finditer(text)]
    actors: list[str] = []
    targets: list[str] = []
    others: list[str] = []
    previous: tuple[Mention, str] | None = None
    for mention in mentions:
        if any(start <= mention.start < end for start, end in context):
            others.append(mention.code)
            continue
        role = _role(text, mention, previous, bool(actors))
        {"actor": actors, "target": targets}.get(role, others).append(mention.code)
        previous = (mention, role)
    agency = _zh_agency(text, mentions) or _zh_passive_agent(text, mentions)
    if agency and agency not in actors:          # 商务部 acts, whatever the sentence names first;
        targets, actors = actors + targets, [agency]     # so does the agent of 被 (…企业被美列入…)
    actors = _unique(actors)
    targets = tuple(code for code in _unique(targets) if code not in actors)
    others = tuple(code for code in _unique(others) if code not in actors and code not in targets)
    return actors, targets, others


def _zh_passive_agent(text: str, mentions: list[Mention]) -> str | None:
    """The country named right after 被 or 遭 (…被美列入实体清单, 遭欧盟加征关税): the agent of the measure."""
    for mention in mentions:
        if mention.kind == "zh" and mention.start > 0 and text[mention.start - 1] in "被遭":
            return mention.code
    return None


def _zh_agency(text: str, mentions: list[Mention]) -> str | None:
    """The country of a government body a Chinese title names on its own (商务部, not 美国商务部)."""
    for before, mention in zip([None] + mentions, mentions):
        if mention.kind == "zh" and vocabulary.ZH_AGENCY.fullmatch(text, mention.start, mention.end):
            if before is None or before.end != mention.start or before.code == mention.code:
                return mention.code
    return None


def _role(text: str, mention: Mention, previous: tuple[Mention, str] | None, have_actor: bool) -> str:
    before, after = text[:mention.start], text[mention.end:]
    if mention.kind == "zh":
        return _role_zh(text, mention, previous, have_actor)
    if mention.kind == "org":
        return "target"
    if previous and previous[1] == "actor" and vocabulary.COORDINATION.match(text[previous[0].end:mention.start]):
        return "actor"
    if vocabulary.CONTEXT_CUES.search(before[-40:]) or vocabulary.REPORTER_AFTER.match(after):
        return "context"
    if mention.kind == "agent":
        return "context" if have_actor else "actor"
    if vocabulary.PASSIVE_AFTER.match(after):
        return "target"
    if not have_actor and vocabulary.OWNER_AFTER.match(after):
        return "actor"               # "… added to US entity list": the list's owner acts
    if vocabulary.TARGET_CUES.search(before[-40:]) or _owns_goods(after):
        return "target"
    return "target" if have_actor else "actor"


def _owns_goods(after: str) -> bool:
    """"Chinese companies", "China's steel imports": the goods named after the mention are its own,
    unless a verb comes between ("India imposes import tariffs")."""
    m = vocabulary.GOODS_AFTER.match(after)
    return bool(m) and not vocabulary.VERB_BETWEEN.search(after[:m.start("goods")])


def _role_zh(text: str, mention: Mention, previous: tuple[Mention, str] | None, have_actor: bool) -> str:
    if previous and previous[0].end == mention.start and vocabulary.ZH_AGENCY.fullmatch(text, mention.start, mention.end):
        return "context"             # 美国商务部: the body of the country just named
    if vocabulary.REPORTER_AFTER_ZH.match(text, mention.end):
        return "context"
    if previous and previous[1] == "actor" and vocabulary.COORDINATION_ZH.match(text[previous[0].end:mention.start]):
        return "actor"
    if vocabulary.TARGET_CUES_ZH.search(text[max(0, mention.start - 8):mention.start]):
        return "target"
    return "target" if have_actor else "actor"


# --- rates -------------------------------------------------------------------------------------
RATE = re.compile(r"(?:(?P<lo>\d{1,3}(?:\.\d+)?)\s*(?:%\s*)?(?:-|–|~|to)\s*)?(?P<num>\d{1,3}(?:\.\d+)?)\s*"
                  r"(?P<unit>%|％|per ?cent\b|pct\b|percentage points?\b|pp\b|个百分点)", re.IGNORECASE)
RATE_ZH = re.compile(r"百分之(?P<cn>[零一二三四五六七八九十百两\d]+(?:点[零一二三四五六七八九\d]+)?)")
# A share of ownership is no rate: "the 50% rule", "owned 50% or more", "50%穿透性规则", "持股50%".
OWNERSHIP_AFTER = re.compile(r"\s*(?:\(?\s*(?:or more|and above|or greater)\s*\)?\s*)?(?:ownership|owned|stakes?|"
                             r"equity|rule|content|value|of (?:their|its) value|(?:of )?(?:Chinese|US|American|foreign|"
                             r"[\w-]+-origin)\s+(?:content|materials?|rare earths?|components|parts|inputs|value)\b|"
                             r"穿透|持股|股权|以上股权|规则|成分|价值)", re.IGNORECASE)
# … and so is a share of content: "products containing 0.1% Chinese rare earths", "含0.1%".
OWNERSHIP_BEFORE = re.compile(r"(?:\bowned|\bownership of|\bstakes? of|\bholds?|\bcontain(?:s|ing)?|持股|股权|含)"
                              r"\s*(?:at least\s*|more than\s*|over\s*)?$", re.IGNORECASE)
# Tariffs removed altogether (零关税) are a rate of 0%; English "zero tariffs" is as often a goal of talks.
ZERO_RATE = re.compile(r"零关税|零税率")


def find_rates(text: str) -> tuple[str, ...]:
    """Percentages as written rates: '25%', '100 per cent' → '100%', 'additional 25 percentage
    points' → '+25pp', '百分之十五' → '15%'. In order of appearance, without repeats."""
    found: list[tuple[int, str]] = []
    for m in RATE.finditer(text):
        if OWNERSHIP_AFTER.match(text, m.end()) or OWNERSHIP_BEFORE.search(text[max(0, m.start() - 20):m.start()]):
            continue
        points = m["unit"].lower().startswith(("percentage", "pp", "个"))
        for offset, number in enumerate((m["lo"], m["num"])):
            if number:
                found.append((m.start() + offset, f"+{_clean(number)}pp" if points else f"{_clean(number)}%"))
    for m in RATE_ZH.finditer(text):
        whole, _, frac = m["cn"].partition("点")
        value = str(cn_number(whole.replace("两", "二")))
        if frac:
            value += "." + "".join(str(cn_number(ch)) for ch in frac)
        found.append((m.start(), f"{_clean(value)}%"))
    found += [(m.start(), "0%") for m in ZERO_RATE.finditer(text)]
    return _unique(rate for _, rate in sorted(found))


def _clean(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


# --- products ----------------------------------------------------------------------------------
_PRODUCT_ZH = tuple((name, re.compile(zh)) for name, _, zh in vocabulary.PRODUCTS)
_PRODUCT_ZH_SIEVE = Sieve([Screen.of(pattern) for _, pattern in _PRODUCT_ZH])


def find_products(text: str) -> tuple[str, ...]:
    """Canonical product and sector names, in order of first appearance."""
    return _products(text, _PHRASES.find(text))


def _chinese(table: tuple[tuple[str, re.Pattern[str]], ...], sieve: Sieve, text: str) -> list:
    """The (name, pattern) pairs of a Chinese table whose pattern may match `text`, in table order."""
    return [table[i] for i in sieve.candidates(Prepared.of(text))]


# What goods are used in or for names their use, not the goods ("metals used in chipmaking", "用于芯片的金属").
USE_CONTEXT = re.compile(r"\b(?:used|for use) (?:in|for|by|to make)\b[^,;:]{0,60}|用于[^，。；]{0,20}", re.I)


def _products(text: str, phrase_hits: list) -> tuple[str, ...]:
    hits = [(start, name) for start, _, (what, name, _) in phrase_hits if what == "product"]
    if CJK.search(text):
        hits += [(m.start(), name) for name, pattern in _chinese(_PRODUCT_ZH, _PRODUCT_ZH_SIEVE, text)
                 if (m := pattern.search(text))]
        hits.sort()
    if ("use" in text.lower() or "用于" in text) and (uses := [m.span() for m in USE_CONTEXT.finditer(text)]):
        hits = [(start, name) for start, name in hits if not any(a <= start < b for a, b in uses)]
    named = vocabulary.FR_PRODUCT.match(text)
    extra = [named["product"].lower()] if named and len(named["product"].split()) <= 8 else []
    return _unique([name for _, name in hits] + extra)


# --- effective dates ---------------------------------------------------------------------------
MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
WEEKDAYS = {name: number for number, name in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
_MONTH = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
# Words that introduce the date a measure starts; the date must follow directly.
EFFECT_CUE = re.compile(r"\b(?:effective(?:\s+(?:from|on|as of))?|from|starting(?:\s+on|\s+from)?|"
                        r"beginning(?:\s+on)?|as of|as from|(?:take|takes|took|to take) effect(?:\s+on)?|"
                        r"(?:go|goes|went) into effect(?:\s+on)?|(?:come|comes|enter|enters) into force(?:\s+on)?|"
                        r"kicks? in(?:\s+on)?)\s+", re.IGNORECASE)
EN_DATES = (
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{4}))?", re.IGNORECASE),
    re.compile(r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r"(?:,?\s+(?P<year>\d{4}))?", re.IGNORECASE),
    re.compile(r"(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})\b"),
)
EN_WEEKDAY = re.compile(r"(?:this\s+|next\s+)?(?P<weekday>monday|tuesday|wednesday|thursday|friday|"
                        r"saturday|sunday)\b", re.IGNORECASE)
ZH_DATE = re.compile(r"(?:(?P<year>\d{4})\s*年\s*)?(?P<mon>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日[^，。；起]{0,12}起")
ZH_TODAY = re.compile(r"即日起|自公布之日起|自发布之日起")


def find_effective_date(text: str, reference: date | None = None) -> str | None:
    """The ISO date a measure takes effect, when the text states one that can be dated."""
    for cue in EFFECT_CUE.finditer(text):
        found = _dated_at(text, cue.end(), reference)
        if found:
            return found
    if CJK.search(text):
        if m := ZH_DATE.search(text):
            return _date(m["year"], int(m["mon"]), int(m["day"]), reference)
        if ZH_TODAY.search(text) and reference:
            return reference.isoformat()
    return None


def _dated_at(text: str, position: int, reference: date | None) -> str | None:
    for pattern in EN_DATES:
        if m := pattern.match(text, position):
            groups = m.groupdict()
            month = int(groups["mon"]) if groups.get("mon") else MONTHS[groups["month"].lower()[:3]]
            return _date(m["year"], month, int(m["day"]), reference)
    if (m := EN_WEEKDAY.match(text, position)) and reference:
        ahead = (WEEKDAYS[m["weekday"].lower()] - reference.weekday()) % 7
        return (reference + timedelta(days=ahead)).isoformat()
    return None


def _date(year: str | None, month: int | None, day: int, reference: date | None) -> str | None:
    if not month:
        return None
    if year:
        candidate = (int(year), month, day)
    elif reference:
        candidate = (reference.year, month, day)
        if date(reference.year, month, min(day, 28)) < reference - timedelta(days=60):
            candidate = (reference.year + 1, month, day)
    else:
        return None
    try:
        return date(*candidate).isoformat()
    except ValueError:
        return None


def _unique(values) -> tuple:
    return tuple(dict.fromkeys(v for v in values if v))
