"""Whether one candidate event repeats one known event: the scoring behind `dedupe.EventIndex`.

`Profile` is what matching needs from one title (the rapidfuzz form of `normalize_title`, its rates,
amounts, counts, products, direction and stage), computed once; `Entry` is one indexed event with
the profiles of its report titles and their facts pooled; `Probe` the candidate's side as sets.
`score_against` is 0 when the two are not one event: different languages or topics, farther apart
than the window, or any of the `conflicts` (numbers, roles, products, dates, remedies, direction,
stage, two documents of one publisher); otherwise title similarity alone (≥ TITLE_CUTOFF) or facts
weighed with it (≥ FACT_CUTOFF, rising by FACT_DECAY a day apart). Pure and in memory.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from rapidfuzz import fuzz

from tradewatch.models import UTC, Event
from tradewatch.understand import lexicon, signature, stages, vocabulary
from tradewatch.understand.extract import CJK, SPACES, find_products, find_rates, normalize, strip_outlet

TITLE_CUTOFF = 0.86          # title similarity alone (0..1) that makes a duplicate
FACT_CUTOFF = 0.75           # facts score + TITLE_WEIGHT × similarity that makes a duplicate …
FACT_DECAY = 0.08            # … plus this much for each day apart beyond the first
UNDATED_DAYS = 3.0           # the bar for an event or candidate whose source gave no date
TITLE_WEIGHT = 0.6
SIMILARITY_FLOOR = 0.25      # rapidfuzz score_cutoff: below this two titles share nothing

STOPWORDS = frozenset("""a an the of on in to for with and or as at by from its it is are be been was were
has have had will would after over amid into says said say new this that than more most some all
their his her them they we our you your vs via up out about""".split())
_PREFIX = re.compile(r"^(?:update\s*\d*|exclusive|breaking|new|watch|video|live|world ecr)\s*[-:–]\s*", re.I)
_PUNCTUATION = re.compile(r"[^\w%\u4e00-\u9fff]+")
_RATE_WORDS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:per ?cent|percent|pct)\b", re.I)
_AMOUNT = re.compile(r"\$\s?(\d+(?:\.\d+)?)\s*(b|bn|billion|m|mn|million|t|tn|trillion)\b", re.I)
_COUNT = re.compile(r"\b(\d+)\s+(?:[\w-]+\s+){0,2}?(?:companies|entities|firms|affiliates|entries|"
                    r"individuals|organi[sz]ations|subsidiaries)\b", re.I)


SAME_DOCUMENT = 0.9      # title similarity of one document published by two official sources
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
DAY_MICROSECONDS = timedelta(days=1) // MICROSECOND


def normalize_title(title: str) -> str:
    """The rapidfuzz processor: lower case, no punctuation or filler words, numbers as '100%'."""
    text = normalize(strip_outlet(title))      # U.S. → US, full-width → ASCII, traditional → simplified
    text = _PREFIX.sub("", _RATE_WORDS.sub(r"\1%", text.lower())).replace("'s ", " ")
    text = _PUNCTUATION.sub(" ", text)
    if CJK.search(text):
        return SPACES.sub("", text)
    words = (w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
             for w in text.split() if w not in STOPWORDS)
    return " ".join(words)


def similarity(a: str, b: str) -> float:
    """0..1 similarity of two normalised titles (word-based for English, characters for Chinese).

    Only the first 300 characters of each are compared: partial_ratio's cost grows with the cube
    of the length (two 10,000-character titles took 33 s); the dev sets' longest title has 285.
    """
    a, b = a[:300], b[:300]
    if not a or not b:
        return 0.0
    cutoff = SIMILARITY_FLOOR * 100
    if CJK.search(a) or CJK.search(b):
        scores = (fuzz.ratio(a, b, processor=None, score_cutoff=cutoff),
                  fuzz.partial_ratio(a, b, processor=None, score_cutoff=cutoff))
    else:
        scores = (fuzz.token_sort_ratio(a, b, processor=None, score_cutoff=cutoff),
                  fuzz.token_set_ratio(a, b, processor=None, score_cutoff=cutoff))
    return sum(scores) / 200


@dataclass(frozen=True, slots=True)
class Profile:
    """What matching needs from one title, computed once."""

    norm: str
    rates: frozenset[str]            # rates written in the title
    direction: str | None            # "up" (impose, tighten …), "down" (cut, suspend …) or None
    effect: bool                     # reports a measure taking effect (not one in force as announced)
    products: frozenset[str] = frozenset()
    amounts: frozenset[str] = frozenset()   # "$34b"
    counts: frozenset[str] = frozenset()    # "140" (companies, entities …)
    kinds: frozenset[str] = frozenset()     # kinds of measure (signature ids)
    statutes: frozenset[str] = frozenset()  # statutes (signature ids)
    plan: bool = False                      # a plan or a consideration, not a decision
    names: frozenset[str] = frozenset()     # companies, organisations, places (signature ids), whole title

    @classmethod
    @lru_cache(maxsize=8192)
    def of(cls, title: str) -> "Profile":
        whole = normalize(title)
        main = lexicon.CONTEXT_CLAUSE.sub("", whole)
        lowered = main.lower()
        up = bool(stages.DIRECTION_UP.search(main))
        down = _has(lowered, stages.DIRECTION_DOWN_NEEDS) and bool(stages.DIRECTION_DOWN.search(main))
        direction = "up" if up and not down else "down" if down and not up else None
        if (down or _has(lowered, stages.DIRECTION_DOWN_ACTS_NEEDS)) and stages.DIRECTION_DOWN_ACTS.search(main):
            direction = "down"
        effect = (_has(lowered, stages.STAGE_EFFECT_NEEDS) and bool(stages.STAGE_EFFECT.search(main))
                  and not (_has(lowered, stages.STAGE_IMMEDIATE_NEEDS) and stages.STAGE_IMMEDIATE.search(main)))
        amounts = _set(f"${float(n):g}{u[0].lower()}" for n, u in _AMOUNT.findall(main)) if "$" in main else EMPTY
        kinds, statutes = signature.terms_of(main)
        return cls(normalize_title(title), _set(find_rates(main)), direction, effect,
                   _set(find_products(main)), amounts, _set(_COUNT.findall(main)), _set(kinds), _set(statutes),
                   _has(lowered, stages.STAGE_PLAN_NEEDS) and bool(stages.STAGE_PLAN.search(main)),
                   _set(signature.names_of(whole)))


EMPTY: frozenset[str] = frozenset()      # one empty set for every profile and entry that has none


def _set(values) -> frozenset[str]:
    """The values as a frozenset of interned strings; the one EMPTY set when there are none."""
    found = frozenset(map(sys.intern, values))
    return found if found else EMPTY


def _has(lowered: str, needles: tuple[str, ...]) -> bool:
    return any(needle in lowered for needle in needles)


@dataclass(slots=True)
class Entry:
    """One indexed event with the profiles of its report titles and their facts pooled."""

    event: Event
    number: int = 0                  # its place in the index's order (ties go to the newer)
    profiles: tuple[Profile, ...] = ()
    features: tuple[str, ...] = ()   # its blocking features (interned, see dedupe.EventIndex)
    pooled: dict[str, frozenset[str]] | None = None   # POOLED name → the profiles' union, when not empty
    when: int = 0                    # `event.when` in microseconds since the epoch (exact differences)
    open_targets: bool = False       # its first report named no target: a measure on imports from anywhere
    _measures: frozenset[str] | None = None
    _compared: tuple[str, float] | None = None      # (title compared with, best similarity): one-slot memo

    def __post_init__(self) -> None:
        self.when = microseconds(self.event.when)
        self.open_targets = not self.event.targets

    def measures(self) -> frozenset[str]:
        """The event's measure rule names, worked out once."""
        if self._measures is None:
            self._measures = measure_names(self.event)
        return self._measures

    def replace_event(self, event: Event) -> None:
        self.event = event
        self.when = microseconds(event.when)
        self._measures = None

    def add_profile(self, profile: Profile) -> None:
        self.profiles += (profile,)
        self._compared = None
        pooled = self.pooled
        for name in POOLED:
            values = getattr(profile, name)
            if values:
                if pooled is None:
                    pooled = self.pooled = {}
                known = pooled.get(name)
                pooled[name] = values if known is None else known if values <= known else known | values

    def union(self, name: str) -> frozenset[str]:
        pooled = self.pooled
        return EMPTY if pooled is None else pooled.get(name, EMPTY)

    def similarity(self, norm: str) -> float:
        """The best similarity of a normalised title to any of the event's titles."""
        if self._compared is None or self._compared[0] != norm:
            self._compared = (norm, max(similarity(norm, p.norm) for p in self.profiles))
        return self._compared[1]

    @property
    def direction(self) -> str | None:
        return self.profiles[0].direction

    @property
    def effect(self) -> bool:
        return self.profiles[0].effect


POOLED = ("rates", "amounts", "counts", "products", "kinds", "statutes", "names")
ALL_MEASURES = frozenset(rule.name for rules in lexicon.MEASURES.values() for rule in rules)


def score_against(candidate: Probe, profile: Profile, entry: Entry, window_days: float) -> float:
    """How surely the candidate repeats this event; 0 when it does not. Signatures first (in any
    language), then title similarity, then facts weighed with it (one language)."""
    event = entry.event
    if candidate.topics.isdisjoint(event.topics):
        return 0.0
    apart = days_apart(candidate, entry)
    if (apart is not None and apart > window_days) or conflicts(candidate, profile, entry, apart):
        return 0.0
    near = apart is None or apart <= signature.SIGNATURE_DAYS
    if event.lang != candidate.lang:
        return 1.0 if near and signatures_agree(candidate, profile, entry, apart) else 0.0
    sim = entry.similarity(profile.norm)
    if sim >= TITLE_CUTOFF:
        return 1.0 + sim
    if near and signatures_agree(candidate, profile, entry, apart):
        return 1.0 + sim / 2
    undated = not candidate.dated or event.published_at is None
    if undated and not shares_specifics(candidate, profile, entry):
        return 0.0
    score = fact_score(candidate, profile, entry, apart) + TITLE_WEIGHT * sim
    days = max(apart or 0.0, UNDATED_DAYS) if undated else apart
    return score if score >= FACT_CUTOFF + FACT_DECAY * max(0.0, days - 1) else 0.0


def signatures_agree(candidate: Probe, profile: Profile, entry: Entry, apart: float | None) -> bool:
    """The two reports' signatures name one measure (`signature.agree`): a shared actor and kind,
    and shared anchors (products, targets, rates, statutes; names only when both are dated), one more
    when one of them is undated;
    never a list of parties against controls on goods."""
    event = entry.event
    products = bool(candidate.products and event.products) and compatible_products(candidate.products, event.products)
    if not products and _one_kind_each(candidate.measures, entry.measures()):
        return False             # (both naming the same goods are both about goods, whatever the list word)
    kinds = profile.kinds & entry.union("kinds") | signature.generic_kinds(candidate.topics & frozenset(event.topics))
    rates = not candidate.rates.isdisjoint(event.rates)
    statutes = not profile.statutes.isdisjoint(entry.union("statutes"))
    anchors = products + rates + statutes + (not candidate.targets.isdisjoint(event.targets))
    close = apart is not None and apart <= 1.0
    anchors += close and profile.effect and entry.effect       # both report it taking effect, the same day
    if not candidate.dated or event.published_at is None:
        anchors -= 1             # first seen is only a bound on when it was published
    else:                        # a company or place named within two days; of any age, it names many decisions
        anchors += not profile.names.isdisjoint(entry.union("names"))
    same_direction = profile.direction is not None and profile.direction == entry.direction
    acting = candidate.actors | frozenset(event.actors)     # "US and China extend …": a party acting is no target
    same_scope = same_direction and (
        (candidate.products == frozenset(event.products) and candidate.targets - acting == frozenset(event.targets) - acting)
        or (_terse_official(candidate.official, candidate.products, candidate.rates, event)
            and not candidate.targets.isdisjoint(event.targets)))
    return signature.agree(candidate.actors, frozenset(event.actors), kinds, anchors, products=products,
                           close=close, same_scope=same_scope, numbers=rates or statutes)


def _terse_official(official: bool, products: frozenset[str], rates: frozenset[str], event: Event) -> bool:
    """One of the two is an official document whose title names neither goods nor a rate ("…关于对原产于
    加拿大的部分进口商品加征关税的公告"): its scope is in the text, so the other report's goods do not differ."""
    return ((official and not products and not rates)
            or (event.authority == "official" and not event.products and not event.rates))


@dataclass(frozen=True, slots=True)
class Probe:
    """The candidate's side of scoring, as sets, worked out once per match."""

    event: Event
    lang: str
    topics: frozenset[str]
    actors: frozenset[str]
    targets: frozenset[str]
    products: frozenset[str]
    rates: frozenset[str]
    keys: frozenset[str]
    official: bool
    dated: bool                      # the source gave a publication time
    when: int                        # as Entry.when
    measures: frozenset[str]         # `measure_names`
    specific: frozenset[str]
    remedies: frozenset[str]

    @classmethod
    def of(cls, event: Event) -> "Probe":
        measures = measure_names(event)
        return cls(event, event.lang, frozenset(event.topics), frozenset(event.actors), frozenset(event.targets),
                   frozenset(event.products), frozenset(event.rates), frozenset(event.keys),
                   event.authority == "official", event.published_at is not None, microseconds(event.when),
                   measures, specific(measures), frozenset(remedy_kinds(measures)))


def microseconds(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def shares_specifics(candidate: Probe, profile: Profile, entry: Entry) -> bool:
    """A product, a rate, a named company, organisation or place, or a specific kind of measure in
    common: what an undated match needs."""
    event = entry.event
    return bool(not candidate.products.isdisjoint(event.products) or not candidate.rates.isdisjoint(event.rates)
                or not profile.names.isdisjoint(entry.union("names")) or candidate.specific & specific(entry.measures()))


def days_apart(candidate: Probe, entry: Entry) -> float | None:
    """Days between the two items' times: publication, or when first seen for an undated item (two
    undated items are as far apart as when they were first seen). None (any age) for an undated
    news report against a dated news event: its publication time is not known."""
    event = entry.event
    if candidate.dated != (event.published_at is not None) and not candidate.official \
            and event.authority != "official":
        return None
    return abs(candidate.when - entry.when) / DAY_MICROSECONDS


def same_body(a: Event, b: Event) -> bool:
    """Both from one publisher: the same source, or source names equal before any bracket."""
    if a.source_id == b.source_id:
        return True
    head_a, head_b = (lexicon.SOURCE_NAME_HEAD.match(e.source_name).group(0).strip().lower() for e in (a, b))
    return bool(head_a) and head_a == head_b


def docs_differ(a: Event, b: Event) -> bool:
    return bool(a.doc_number and b.doc_number and a.doc_number != b.doc_number)


def _disjoint(a: frozenset[str], b) -> bool:
    return bool(a) and bool(b) and a.isdisjoint(b)


def conflicts(candidate: Probe, profile: Profile, entry: Entry, apart: float | None) -> str | None:
    """The first fact that makes two reports different events whatever their wording, or None.

    Numbers: different rates, amounts or counts in the titles. Products: titles naming goods that
    cannot be the same. Targets: none in common, unless one is the EU and the other one of its
    members, or the event's first report named none (a measure on imports from anywhere is not
    narrowed by a later report naming the countries it hits). Companies: titles naming only different companies (a licence for one is not
    a licence for another). Stages: an announcement and its taking effect on another day."""
    event = entry.event
    if docs_differ(event, candidate.event):
        return "document numbers"
    if ((profile.rates and _disjoint(profile.rates, entry.union("rates")))      # an empty side never
            or (profile.amounts and _disjoint(profile.amounts, entry.union("amounts")))   # conflicts: the
            or (profile.counts and _disjoint(profile.counts, entry.union("counts")))):    # pool is not read
        return "numbers"
    if _disjoint(candidate.actors, event.actors):
        return "actors"
    if (_disjoint(candidate.targets, event.targets) and not entry.open_targets
            and not _union_member(candidate.targets, event.targets)):
        return "targets"
    if profile.statutes and _disjoint(profile.statutes, entry.union("statutes")):
        return "statutes"
    if profile.names and _disjoint(profile.names & signature.COMPANIES, entry.union("names") & signature.COMPANIES):
        return "companies"
    if _dates_differ(candidate.event, event):
        return "effective dates"
    if profile.products and not compatible_products(profile.products, entry.union("products")):
        return "products"
    if candidate.remedies and _disjoint(candidate.remedies, remedy_kinds(entry.measures())):
        return "remedies"
    if profile.direction and entry.direction and profile.direction != entry.direction:
        return "directions"
    if profile.effect != entry.effect and (apart is None or apart >= 1.0):
        return "stages"
    if profile.plan != entry.profiles[0].plan:
        return "plan and decision"
    if _two_documents(candidate, profile, entry, apart):
        return "two official documents"
    return None


def _union_member(a: frozenset[str], b) -> bool:
    """One side names the EU and the other one of its member states (the Netherlands, Germany …)."""
    members = vocabulary.EU_MEMBERS
    return bool(("EU" in a and not members.isdisjoint(b)) or ("EU" in b and not members.isdisjoint(a)))


def _dates_differ(a: Event, b: Event) -> bool:
    return bool(a.effective_on and b.effective_on and a.effective_on != b.effective_on)


def _two_documents(candidate: Probe, profile: Profile, entry: Entry, apart: float | None) -> bool:
    """Two official items with no key in common are two documents: from one publisher unless their
    titles are identical and they appeared on one day (one notice on two listing pages); from two publishers unless the titles are the same or nearly (a
    proclamation on the White House site and in the Federal Register), since a CBP bulletin
    implementing a proclamation is a document too."""
    event = entry.event
    if not candidate.official or event.authority != "official" or not candidate.keys.isdisjoint(event.keys):
        return False
    if same_body(candidate.event, event):
        return not profile.norm or apart is None or apart >= 1.0 or all(p.norm != profile.norm for p in entry.profiles)
    return entry.similarity(profile.norm) < SAME_DOCUMENT


def fact_score(candidate: Probe, profile: Profile, entry: Entry, apart: float | None) -> float:
    event = entry.event
    score = 0.0
    score += 0.25 if not candidate.actors.isdisjoint(event.actors) else 0.0
    score += 0.15 if not candidate.targets.isdisjoint(event.targets) else 0.0
    if not candidate.products.isdisjoint(event.products):
        score += 0.3
    score += 0.2 if not candidate.rates.isdisjoint(event.rates) else 0.0
    score += 0.15 if profile.direction and profile.direction == entry.direction else 0.0
    score += 0.1 if apart is not None and apart <= 1.5 else 0.0
    score += 0.1 if candidate.specific & specific(entry.measures()) else 0.0
    score += 0.15 if not profile.names.isdisjoint(entry.union("names")) else 0.0
    if "export_control" in candidate.topics and "export_control" in event.topics:
        score -= 0.2 if _one_kind_each(candidate.measures, entry.measures()) else 0.0
    return score


def compatible_products(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two titles' products can be the same goods: equal, or one covers the other."""
    if not a or not b:
        return True
    umbrellas = vocabulary.UMBRELLAS
    return any(x == y or x in umbrellas.get(y, ()) or y in umbrellas.get(x, ()) for x in a for y in b)


def measure_names(event: Event) -> frozenset[str]:
    """The measure rules the event's title matched: from its reasons, or read again from the title."""
    names = frozenset(event.reasons) & ALL_MEASURES
    return names if names or event.reasons else _title_measures(event.title)


@lru_cache(maxsize=8192)
def _title_measures(title: str) -> frozenset[str]:
    text = normalize(title)
    return frozenset(rule.name for rules in lexicon.MEASURES.values() for rule in rules
                     if rule.search(text, text.lower()))


def _one_kind_each(a: frozenset[str], b: frozenset[str]) -> bool:
    """One report only lists parties, the other only controls goods (or the reverse)."""
    listing, goods = lexicon.LISTING_MEASURES, lexicon.GOODS_MEASURES
    return bool((a & listing and not a & goods and b & goods and not b & listing)
                or (b & listing and not b & goods and a & goods and not a & listing))


def remedy_kinds(names: frozenset[str]) -> set[str]:
    return {lexicon.REMEDY_KINDS[name] for name in names if name in lexicon.REMEDY_KINDS}


def specific(names: frozenset[str]) -> frozenset[str]:
    """The specific measure rules among `names` (entity list, anti-dumping …)."""
    return names & lexicon.SPECIFIC_MEASURES
