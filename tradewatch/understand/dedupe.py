"""Recognise that a new event is one already known, in three layers; pure and in memory.

1. Stable keys: the same document number, item key or canonical URL is the same event (a shared
   URL under a wholly different title is a listing page, not a copy); two different document
   numbers never are, even in two languages.
2. Near-duplicate titles: rapidfuzz on titles put through `normalize_title` (the explicit
   processor: lower case, no punctuation or filler words, "100 per cent" → "100%", U.S. → us),
   against events whose `when` is within `window` of the candidate.
3. Facts: the same topic and language, acting and targeted countries, products, rates, direction
   (tightening or easing) and kind of measure, weighed together with title similarity, because
   outlets rarely share wording; the bar rises with each day between the two.
Numbers and roles are decisive in layers 2 and 3 (`conflicts`): different rates, amounts, counts,
effective dates, actors, targets or products in the titles, opposite directions, anti-dumping
against countervailing, an announcement against its taking effect on another day, or two documents
of one official publisher (unless the same title the same day) are never duplicates. A news report
without a publication date has no known age against a dated one: the window does not apply, but
it must share a specific fact and clear the bar of UNDATED_DAYS apart (a signature, one more
anchor); two undated reports are as far apart as when they were first seen.
0. Signatures (`signature`), before the titles and across languages: the same actor and kind of
   measure with shared anchors (products, targets, rates, statutes) within a day or two are one
   event whatever the wording. `EventIndex` keeps each event's title profiles and an inverted index of title
words and facts, so a match scores a few candidates, not the whole window; `pairs` scores one.
"""
from __future__ import annotations

import gc
import heapq
import sys
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import lru_cache

from tradewatch.models import Event
from tradewatch.understand.extract import CJK
from tradewatch.understand.pairs import Entry, Probe, Profile, docs_differ, score_against
from tradewatch.understand.profiles import profile_in, profiles_of
from tradewatch.understand.signature import GENERIC

DEFAULT_WINDOW = timedelta(days=10)   # = the DEDUPE_WINDOW_DAYS default
KEY_TITLE_FLOOR = 0.3        # a shared URL with a wholly different title is a listing page, not a copy
CANDIDATES = 16              # events scored per match, the best by shared rare features …
SHARED = 10                  # … after the newest few that share the most features …
SHARED_CAP = 100             # … unless so many share them that the features say nothing
POSTING_CAP = 250            # features shared by more events than this are too common to block on
RAREST = 5                   # how many of the candidate's rarest features are looked up, …
RAREST_FACTS = 3             # … its rarest facts besides (reports in two languages share no words), …
FACT_CANDIDATES = 6          # … the newest events sharing the most of which are scored too


class EventIndex:
    """The events of the recent window, indexed for `match`.

    Each entry has a number in the order it was added (ties go to the newer); postings hold those
    numbers, in insertion order, under features interned once (`features_of`)."""

    def __init__(self, window: timedelta = DEFAULT_WINDOW):
        self.window = window
        self._entries: dict[str, Entry] = {}
        self._numbered: dict[int, Entry] = {}
        self._keys: dict[str, str] = {}
        self._postings: dict[str, dict[int, None]] = {}    # feature → entry numbers, in insertion order
        self._added = 0

    @classmethod
    def load(cls, events, window: timedelta = DEFAULT_WINDOW) -> "EventIndex":
        """An index of these events (the window, at start-up), built with the collector paused."""
        index = cls(window)
        with collector_paused():
            for event in events:
                index.add(event)
        return index

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, event: Event) -> None:
        if event.id in self._entries:
            self.update(event)
            return
        self._added += 1
        entry = Entry(event, self._added)
        for profile in profiles_of(event):         # every entry has a first profile, its title's
            entry.add_profile(profile)
        self._entries[event.id] = self._numbered[entry.number] = entry
        self._index(entry)

    def update(self, event: Event) -> None:
        """Replace the event with the same id, indexing any new report titles and keys."""
        entry = self._entries.get(event.id)
        if entry is None:
            self.add(event)
            return
        known = {p.norm for p in entry.profiles}
        for report in event.reports:
            if report.title and (profile := profile_in(event, report.title)).norm not in known:
                entry.add_profile(profile)
                known.add(profile.norm)
        entry.replace_event(event)
        self._index(entry)

    def match(self, candidate: Event) -> Event | None:
        """The known event the candidate duplicates, or None."""
        profile = Profile.of(candidate.title)
        keyed = self._match_key(candidate, profile)
        if keyed is not None:
            return keyed
        probe, window_days = Probe.of(candidate), self.window / timedelta(days=1)
        best, best_score = None, 0.0
        for entry in self._candidates(candidate, profile):
            score = score_against(probe, profile, entry, window_days)
            if score > best_score:
                best, best_score = entry.event, score
        return best

    def evict(self, before: datetime) -> int:
        """Forget events whose `when` is before `before`; return how many."""
        old = [eid for eid, entry in self._entries.items() if entry.event.when < before]
        for eid in old:
            entry = self._entries.pop(eid)
            del self._numbered[entry.number]
            for feature in entry.features:
                posting = self._postings.get(feature)
                if posting is not None:
                    posting.pop(entry.number, None)
                    if not posting:
                        del self._postings[feature]
            for key in entry.event.keys:
                if self._keys.get(key) == eid:
                    del self._keys[key]
        return len(old)

    # --- internals ---------------------------------------------------------------------------

    def _index(self, entry: Entry) -> None:
        event = entry.event
        for key in event.keys:
            self._keys.setdefault(key, event.id)
        profiles = entry.profiles
        features = features_of(event, profiles[0]) if len(profiles) == 1 else \
            set().union(*(features_of(event, p) for p in profiles))
        fresh = features.difference(entry.features) if entry.features else features
        if not fresh:
            return
        postings, number = self._postings, entry.number
        for feature in fresh:
            posting = postings.get(feature)
            if posting is None:
                postings[feature] = {number: None}
            else:
                posting[number] = None
        entry.features += tuple(fresh)

    def _match_key(self, candidate: Event, profile: Profile) -> Event | None:
        for key in candidate.keys:
            eid = self._keys.get(key)
            entry = self._entries.get(eid) if eid else None
            if entry is None or docs_differ(entry.event, candidate):
                continue
            if key in (candidate.doc_number, entry.event.doc_number) or entry.similarity(profile.norm) >= KEY_TITLE_FLOOR:
                return entry.event
        return None

    def _candidates(self, candidate: Event, profile: Profile) -> list[Entry]:
        """Events sharing the most of the candidate's features (greedy set intersection, rarest
        first), then those sharing most of its rarest few, newest first on ties."""
        found = self._postings
        named = sorted(((f, p) for f in sorted(features_of(candidate, profile)) if (p := found.get(f))),
                       key=lambda pair: len(pair[1]))
        if not named:
            return []
        postings = [p for _, p in named]
        common = postings[0].keys()
        for posting in postings[1:]:
            if len(common) == 1:
                break                        # one event either stays or the narrowing is empty
            narrowed = common & posting.keys()
            if narrowed:
                common = narrowed
        counts: Counter[int] = Counter()
        usable = [(f, p) for f, p in named if len(p) <= POSTING_CAP]
        for _, posting in usable[:RAREST]:
            counts.update(posting.keys())
        # Facts get their own slots: titles in two languages share no words, and the candidate's
        # rarest words may all be other reports' of its own language.
        facts: Counter[int] = Counter()
        for _, posting in [(f, p) for f, p in usable if "|w:" not in f][:RAREST_FACTS]:
            facts.update(posting.keys())
        best = heapq.nlargest(SHARED, common) if len(common) <= SHARED_CAP else []
        # The CANDIDATES most shared, first met first on ties (what Counter.most_common gives: the sort
        # is stable, reverse=True included).
        best += sorted(counts, key=counts.__getitem__, reverse=True)[:CANDIDATES]
        best += [number for number, _ in heapq.nlargest(FACT_CANDIDATES, facts.items(), key=_shared_then_newest)]
        numbered = self._numbered
        return [numbered[number] for number in dict.fromkeys(best)]


def _shared_then_newest(item: tuple[int, int]) -> tuple[int, int]:
    number, shared = item
    return shared, number


@contextmanager
def collector_paused():
    """The garbage collector off meanwhile (and on again after, if it was): loading the window
    allocates ~100 objects an event and creates no cycle, and each collection meanwhile would walk
    the whole store (a quarter of the index build at 10,000 events)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def features_of(event: Event, profile: Profile) -> set[str]:
    """Blocking features: title words (Chinese: character pairs) per language; facts (countries,
    products, rates, specific kinds of measure, names) in every language. Interned: the index
    holds each feature's text once however many events share it."""
    # Facts have no language (a Chinese and an English report of one measure meet on them); nor
    # have the specific kinds of measure, the core of a signature.
    features = set(_words(event.lang, profile.norm))
    for prefix, values in (("a:", event.actors), ("t:", event.targets), ("p:", event.products),
                           ("r:", event.rates)):
        if values:
            features.update(_named(prefix, values))
    if profile.kinds:
        features.update(_named("k:", profile.kinds - GENERIC))
    if profile.names:
        features.update(_named("n:", profile.names))
    return features


_FEATURES: dict[str, dict[str, str]] = {}      # prefix → value → its feature, interned
FEATURES_KEPT = 200_000                         # values remembered per prefix (then forgotten at once)


def _named(prefix: str, values) -> list[str]:
    """The features of these values under the prefix ("a:US"): each text made and interned once."""
    known = _FEATURES.get(prefix)
    if known is None:
        known = _FEATURES[prefix] = {}
    found = [known.get(v) for v in values]
    if None in found:
        if len(known) > FEATURES_KEPT:
            known.clear()
        found = [f if f is not None else known.setdefault(v, sys.intern(prefix + v)) for f, v in zip(found, values)]
    return found


@lru_cache(maxsize=512)             # a candidate's words are looked up again when it is added
def _words(lang: str, norm: str) -> frozenset[str]:
    """A title's word features in its language (Chinese: character pairs), interned."""
    if CJK.search(norm):
        words = {norm[i:i + 2] for i in range(len(norm) - 1)}
    else:
        words = set(norm.split())
    return frozenset(_named(f"{lang}|w:", tuple(words)))
