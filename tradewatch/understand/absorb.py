"""Understand one item and place it among known events: classify, extract, then new event or join.

`analyze` puts classification (`classify`) and facts (`extract`, title first, then the summary)
into one `Analysis`. `build_event` turns a relevant item into an `Event` whose id is derived from
source id and item key, and whose keys are its document numbers, its namespaced item key and its
canonical URL. `absorb` asks the `EventIndex` whether the event is already known: a duplicate
joins it as another report and fills only the facts the event lacks; the first title and URL
stay. Pure apart from updating the index it is given.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from tradewatch.understand import profiles, signature, vocabulary
from tradewatch.understand.classify import classify
from tradewatch.understand.dedupe import EventIndex
from tradewatch.understand.pairs import Profile
from tradewatch.docnumbers import title_doc_number
from tradewatch.understand.extract import Facts, extract, facts_of, find_numbers, find_rates, normalize, strip_outlet
from tradewatch.models import BEIJING, DATE_KINDS, UTC, DateChange, Event, Item, Report, Source
from tradewatch.urls import canonical_url

SUMMARY_CHARS = 400
# A rate in a summary counts only in a sentence naming a tariff (not "shares rose 14%").
RATE_CONTEXT = re.compile(r"tariff|dut(?:y|ies)|lev(?:y|ies)|关税|税率|保证金|加征", re.I)
RATE_DIGITS = re.compile(r"\d|百分之")        # what any rate `find_rates` reads contains
SENTENCE_SPLIT = re.compile(r"(?<=[.;!?])\s+|(?<=[。；！？])")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“])|(?<=[。！？])")


@dataclass(frozen=True)
class Analysis:
    topics: tuple[str, ...]          # subset of ("tariff", "export_control"), in that order
    relevant: bool
    reasons: tuple[str, ...]         # names of rules that matched / vetoed
    countries: tuple[str, ...]       # ISO alpha-2 (+ "EU"), actors first
    actors: tuple[str, ...]
    targets: tuple[str, ...]
    rates: tuple[str, ...]           # "100%", "25%", "+25pp"
    products: tuple[str, ...]
    doc_numbers: tuple[str, ...]     # identifying numbers first, then numbers only mentioned
    effective_on: str | None         # ISO date when stated
    identity: tuple[str, ...] = ()   # the numbers of the document itself (or, failing that, the one it is about)


@dataclass(frozen=True)
class Outcome:
    analysis: Analysis
    event: Event | None              # None when not relevant
    is_new: bool                     # True: a new event; False: joined one (or irrelevant)
    joined: Event | None = None      # the event as it was before this item joined it


def analyze(item: Item, source: Source, *, facts: bool = True) -> Analysis:
    """Classification and facts of one item; pure. With facts=False an irrelevant item's facts are
    not read (its analysis holds the verdict alone): what the pipeline needs, since it keeps nothing
    of an irrelevant item, while `replay` prints every item's facts."""
    lang = item.lang or source.lang
    headline = strip_outlet(item.title)
    verdict = classify(headline, item.summary, lang, source.authority, item.extra, source.name)
    if not facts and not verdict.relevant:
        return Analysis(verdict.topics, False, verdict.reasons, (), (), (), (), (), (), None)
    reference = local_date(item.published_at, lang)
    title = extract(headline, lang, reference=reference)
    wanted = verdict.relevant and item.summary
    # The summary's rates are read per sentence (summary_rates); its date only counts without the title's.
    summary = (facts_of(lead(item.summary), reference, rates=False, effective=not title.effective_on)
               if wanted else Facts())
    actors = title.actors or summary.actors or _home(source) or _statute_actors(headline)
    targets = tuple(c for c in (title.targets or summary.targets) if c not in actors)
    identity = identity_numbers(item)
    return Analysis(
        topics=verdict.topics, relevant=verdict.relevant, reasons=verdict.reasons,
        countries=_unique(actors + targets + title.countries + summary.actors + summary.targets),
        actors=actors, targets=targets,
        rates=_unique(title.rates + (summary_rates(item.summary) if wanted else ())),
        products=_unique(title.products + summary.products),
        doc_numbers=_unique(identity + title.doc_numbers + summary.doc_numbers),
        effective_on=title.effective_on or summary.effective_on or _extra_date(item, "effective_on"),
        identity=identity)


def build_event(item: Item, source: Source, analysis: Analysis, now: datetime, *, alert: bool = True) -> Event:
    """A new event from one relevant item."""
    return Event(
        id=event_id(source.id, item.key), title=item.title, url=item.url, source_id=source.id,
        source_name=source.name, authority=source.authority, lang=item.lang or source.lang,
        topics=analysis.topics, countries=analysis.countries, rates=analysis.rates,
        products=analysis.products, doc_number=analysis.identity[0] if analysis.identity else None,
        published_at=item.published_at, first_seen_at=now, summary=item.summary,
        reports=(report_of(item, source, now),), actors=analysis.actors, targets=analysis.targets,
        keys=keys_of(item, source, analysis), effective_on=analysis.effective_on,
        reasons=analysis.reasons, alert=alert, comments_close_on=_extra_date(item, "comments_close_on"),
        profiles=profiles.packed((item.title,)))


def absorb(item: Item, source: Source, index: EventIndex, now: datetime, *, alert: bool = True,
           facts: bool = True) -> Outcome:
    """Analyse the item; add it to the index as a new event or join it to the event it repeats.
    facts=False: an irrelevant item's facts are not read (see `analyze`)."""
    analysis = analyze(item, source, facts=facts)
    if not analysis.relevant:
        return Outcome(analysis, None, False)
    candidate = build_event(item, source, analysis, now, alert=alert)
    known = index.match(candidate)
    if known is None:
        index.add(candidate)
        return Outcome(analysis, candidate, True)
    joined = join(known, candidate, now)
    index.update(joined)
    return Outcome(analysis, joined, False, joined=known)


def join(event: Event, candidate: Event, now: datetime) -> Event:
    """The event with the candidate's report added and its missing facts filled in."""
    merged = event.with_report(candidate.reports[0], now)
    return replace(
        merged, profiles=profiles.packed(profiles.titles_of(merged), event.profiles), countries=event.countries or candidate.countries, rates=event.rates or candidate.rates,
        products=event.products or candidate.products, actors=event.actors or candidate.actors,
        targets=event.targets or candidate.targets, doc_number=event.doc_number or candidate.doc_number,
        keys=_unique(event.keys + candidate.keys), **_later_dates(event, candidate, now))


def _later_dates(event: Event, candidate: Event, now: datetime) -> dict:
    """The dates after a later report: a date it states wins (a moved date is noted as a DateChange)."""
    dates: dict = {}
    changes = list(event.date_changes)
    for kind in DATE_KINDS:
        old, new = getattr(event, kind), getattr(candidate, kind)
        dates[kind] = new or old
        if old and new and new != old:
            changes.append(DateChange(kind, old, new, candidate.source_name, now))
    return {**dates, "date_changes": tuple(changes)}


def signature_of(item: Item, analysis: Analysis, seen: datetime) -> signature.Signature:
    """The item's event signature: its analysis's facts and its title's kinds, statutes, direction."""
    profile = Profile.of(item.title)
    return signature.signature(
        actors=analysis.actors, targets=analysis.targets, products=analysis.products, rates=analysis.rates,
        documents=analysis.identity, kinds=profile.kinds, statutes=profile.statutes, direction=profile.direction,
        day=local_date(item.published_at or seen, item.lang), names=profile.names)


def event_id(source_id: str, key: str) -> str:
    return "ev-" + hashlib.sha1(f"{source_id}\x00{key}".encode()).hexdigest()[:12]


def report_of(item: Item, source: Source, now: datetime) -> Report:
    return Report(source.id, source.name, item.title, item.url, now, source.authority)


def keys_of(item: Item, source: Source, analysis: Analysis) -> tuple[str, ...]:
    """Document numbers as written by `docnumbers`, the item key as "source_id:key" unless it is a
    URL (then canonical), and the canonical URL."""
    key = item.key.strip()
    if re.match(r"https?://", key, re.I):
        key = canonical_url(key)
    elif key and key not in analysis.identity:
        key = f"{source.id}:{key}"
    return _unique(analysis.identity + (key, canonical_url(item.url) if item.url else ""))


def identity_numbers(item: Item) -> tuple[str, ...]:
    """Numbers of the document the item is: its own (the parser's, or the one its title opens with);
    failing that, the one its title is about (a spokesperson on 公告2025年第61号)."""
    numbered = bool(find_numbers(item.title))
    own = title_doc_number(item.title) if numbered else None
    parsed = item.doc_number
    if parsed and (parsed == item.key or parsed == own or "document_number" in item.extra):
        return _unique((parsed, own))
    if own:
        return (own,)
    mentioned = find_numbers(item.title) if numbered else ()
    return (mentioned[0],) if len(mentioned) == 1 else ()


def lead(summary: str) -> str:
    """The summary's opening: its first two sentences, at most SUMMARY_CHARS characters."""
    text = summary[:SUMMARY_CHARS]
    ends = [m.end() for m in SENTENCE_END.finditer(text)]
    return text[:ends[1]] if len(ends) > 1 else text


def summary_rates(summary: str) -> tuple[str, ...]:
    """Rates in those sentences of the summary that name a tariff, duty or levy."""
    text = normalize(summary[:SUMMARY_CHARS])
    if not (RATE_CONTEXT.search(text) and RATE_DIGITS.search(text)):
        return ()                # no sentence names a tariff, or none holds a rate: skip the split
    sentences = SENTENCE_SPLIT.split(text)
    return _unique(rate for sentence in sentences if RATE_CONTEXT.search(sentence) for rate in find_rates(sentence))


def local_date(moment: datetime | None, lang: str) -> date | None:
    if moment is None:
        return None
    return moment.astimezone(BEIJING if lang == "zh" else UTC).date()


def _home(source: Source) -> tuple[str, ...]:
    return (source.country,) if source.is_official and source.country else ()


def _statute_actors(headline: str) -> tuple[str, ...]:
    """The country whose statute the title names, when it names no country ("Section 232 actions on …")."""
    actors = vocabulary.STATUTE_ACTORS
    return tuple(sorted({actors[s] for s in signature.statutes_of(normalize(headline)) if s in actors}))


def _extra_date(item: Item, name: str) -> str | None:
    """An ISO date the parser put in `extra` (Federal Register effective_on, comments_close_on)."""
    value = item.extra.get(name) if item.extra else None
    return value if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}$", value) else None


def _unique(values) -> tuple:
    return tuple(dict.fromkeys(v for v in values if v))
