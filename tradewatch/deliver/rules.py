"""Alert rules per chat: whether a chat wants an event, and the one line that says why.

A chat's rules (the Subscriber's topics, countries, official-only, keywords, excludes, products and
watch names) are compiled once into `ChatRules` — phrases casefolded and split into words,
products expanded by their umbrellas, sets frozen — and an event once into an `EventView` — its
title, summary and every report's title as one padded word string (`names.words_of`) and one
compact string for Chinese, its products with their HS chapters, the HS codes it carries and the
watch names found in its full text. Deciding for one chat is then a few set operations and `in`
tests on strings, each phrase tested once per event however many chats hold it. No user-supplied
regular expression exists anywhere: a phrase is data.

The rules, in order (`decide`):
1. inactive or muted (/mute): nothing;
2. a watch name found (title, summary, report titles, or the full text of an official list
   document): the alert goes out whatever the other rules say, marked "Watchlist: NAME";
3. topics, countries and "official only" as in /settings;
4. an exclude phrase found: nothing;
5. with keywords or products set, one of them must match (either kind is enough);
Latin-script phrases match whole words in a row, case-insensitively, punctuation ignored ("chip"
does not match "chips"; "anti-dumping" matches "anti dumping"); phrases with Chinese characters
match as substrings. A product matches by name (or an umbrella over it: critical minerals covers
gallium); an HS prefix matches a code the event carries or a chapter of its products.

Editing the lists (`Rules.edit`) enforces the limits — at most 50 keywords, 50 excludes,
50 products, 100 watch names, 64 characters each — and says what was wrong in one line.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Callable, Iterable, Sequence

from tradewatch.deliver import names as N
from tradewatch.deliver import schedule
from tradewatch.deliver.products import HS_PREFIXES, ProductCatalog, codes_in, hs_digits
from tradewatch.models import Event, Subscriber, zone_named

SHARED_MAX = 100_000            # distinct compiled rule sets kept
REBUILD_AFTER = 1_000            # chats compiled again before the universe is rebuilt
LIMITS = {"keywords": 50, "excludes": 50, "products": 50, "watch": 100}
MAX_CHARS = 64
SEPARATORS = str.maketrans({"，": ",", "、": ",", ";": ",", "；": ","})


class RuleError(ValueError):
    """A rule argument that cannot be used; the message is one line for the user."""


# ---- phrases and events -------------------------------------------------------------------------
@dataclass(frozen=True)
class Phrase:
    shown: str               # as the user wrote it
    key: str                 # " word word " for Latin phrases, the compact form for Chinese ones
    chinese: bool

    @classmethod
    def of(cls, text: str) -> "Phrase":
        return _phrase(text)

    @staticmethod
    def make(text: str) -> "Phrase":
        chinese = bool(N.CJK.search(text))
        return Phrase(text, N.compact_of(text) if chinese else N.words_of(text), chinese)


_phrase = lru_cache(maxsize=65_536)(Phrase.make)


class Universe:
    """Every phrase and watch name key any compiled chat holds: an event is searched for each
    once, and a chat's rules are then set operations on what was found."""

    def __init__(self) -> None:
        self.phrases: dict[str, bool] = {}       # key → Chinese
        self.names: set[str] = set()


EMPTY: frozenset[str] = frozenset()


@dataclass
class EventView:
    """One event prepared once for matching against every chat: the phrase keys and watch name
    keys it contains (from the universe), its products and HS codes."""

    event: Event
    words: str
    compact: str
    topics: frozenset[str]
    countries: frozenset[str]
    products: frozenset[str]
    codes: frozenset[str]              # the codes it carries and the chapters of its products
    code_prefixes: frozenset[str]      # every 2-, 4- and 6-digit prefix of those
    official: bool
    phrases: set[str] = field(default_factory=set)              # phrase keys found
    named: dict[str, str] = field(default_factory=dict)         # watch key → "" (own text) or full-text line

    @classmethod
    def of(cls, event: Event, universe: Universe | None = None,
           full_text_hits: dict[str, str] | None = None) -> "EventView":
        parts = [event.title, event.summary, *(r.title for r in event.reports)]
        text = "\n".join(dict.fromkeys(p for p in parts if p))
        codes = frozenset(codes_in(text) + tuple(c for p in event.products for c in HS_PREFIXES.get(p, ())))
        view = cls(event, " | ".join(N.words_of(p) for p in text.split("\n")), N.compact_of(text),
                   frozenset(event.topics), frozenset(event.countries), frozenset(event.products), codes,
                   frozenset(c[:n] for c in codes for n in (2, 4, 6) if n <= len(c)) | codes,
                   event.authority == "official", named=dict(full_text_hits or {}))
        if universe is not None:
            view.learn(universe.phrases.items(), universe.names)
        return view

    def learn(self, phrases, names) -> None:
        """Search the event for these phrase keys ((key, chinese) pairs) and watch name keys."""
        words, compact = self.words, self.compact
        self.phrases.update(key for key, chinese in phrases if key in (compact if chinese else words))
        self.named.update((key, "") for key in names if N.found_in(key, words, compact))


# ---- compiled rules of one chat -------------------------------------------------------------------
class Match:
    """Why a chat gets an event; the words are put together only when the line is asked for."""

    __slots__ = ("rules", "view", "strong")

    def __init__(self, rules: "ChatRules | None", view: EventView | None, strong: bool):
        self.rules, self.view, self.strong = rules, view, strong     # strong: watch, product or keyword

    @property
    def explain(self) -> bool:
        return self.rules is not None and self.rules.explain

    def line(self) -> str:
        if not self.explain:
            return ""
        rules, view = self.rules, self.view
        parts = [f"Watchlist: {name} (in: {view.named[key]})" if view.named[key] else f"Watchlist: {name}"
                 for key, name in rules.watch if key in view.named]
        parts += [f"“{p.shown}”" for p in rules.keywords if p.key in view.phrases]
        parts += [name for name, covered in rules.products if not covered.isdisjoint(view.products)]
        parts += [f"HS {c}" for c in rules.codes if c in view.code_prefixes or any(h in view.codes for h in _heads(c))]
        parts += sorted(rules.countries & view.countries)
        return "Matched: " + " · ".join(parts) if parts else ""


PLAIN = Match(None, None, False)


_SETS: dict[frozenset[str], frozenset[str]] = {}


def _set(values: Iterable[str]) -> frozenset[str]:
    """A frozenset, shared with every equal one made before (chats' sets repeat a lot: fewer objects)."""
    made = frozenset(values)
    if not made:
        return EMPTY
    if len(_SETS) > 200_000:
        _SETS.clear()
    return _SETS.setdefault(made, made)


def _heads(code: str) -> tuple[str, ...]:
    return tuple(code[:n] for n in (2, 4, 6) if n <= len(code))


@dataclass(slots=True, eq=False)
class ChatRules:
    """One chat's rules, compiled; chats with the same rules share one (see Rules.compiled)."""

    active: bool
    muted_until: datetime | None
    topics: frozenset[str]
    countries: frozenset[str]
    official_only: bool
    keywords: tuple[Phrase, ...]
    excludes: tuple[Phrase, ...]
    products: tuple[tuple[str, frozenset[str]], ...]     # canonical, it and what it covers
    codes: tuple[str, ...]
    watch: tuple[tuple[str, str], ...]                    # key, as the user wrote it
    explain: bool
    # the same as sets, for `decide`
    keyword_keys: frozenset[str] = EMPTY
    exclude_keys: frozenset[str] = EMPTY
    covered: frozenset[str] = EMPTY                       # every product the chat's products cover
    code_set: frozenset[str] = EMPTY
    code_heads: frozenset[str] = EMPTY                    # every prefix of the chat's codes
    watch_keys: frozenset[str] = EMPTY
    interested: bool = False                              # keywords or products set: one must match

    @classmethod
    def of(cls, subscriber: Subscriber, catalog: ProductCatalog, universe: Universe | None = None) -> "ChatRules":
        keywords = tuple(Phrase.of(k) for k in subscriber.keywords)
        excludes = tuple(Phrase.of(k) for k in subscriber.excludes)
        products = tuple((p, catalog.expand(p)) for p in subscriber.products if not p.isdigit())
        codes = tuple(p for p in subscriber.products if p.isdigit())
        watch = tuple((key, w) for w in subscriber.watch if (key := N.name_key(w)))
        if universe is not None:
            universe.phrases.update((p.key, p.chinese) for p in keywords + excludes)
            universe.names.update(key for key, _ in watch)
        return cls(subscriber.active, subscriber.muted_until, _set(subscriber.topics), _set(subscriber.countries),
                   subscriber.official_only, keywords, excludes, products, codes, watch, subscriber.has_rules,
                   _set(p.key for p in keywords), _set(p.key for p in excludes),
                   _set(name for _, c in products for name in c), _set(codes),
                   _set(h for c in codes for h in _heads(c)), _set(key for key, _ in watch),
                   bool(keywords or products or codes))

    def decide(self, view: EventView, now: datetime) -> Match | None:
        """The match when this chat wants the event, else None (see the module docstring)."""
        if not self.active or (self.muted_until is not None and self.muted_until > now):
            return None
        if self.watch_keys and not self.watch_keys.isdisjoint(view.named):
            return Match(self, view, True)
        if self.topics.isdisjoint(view.topics) or (self.official_only and not view.official) \
                or (self.countries and self.countries.isdisjoint(view.countries)) \
                or (self.exclude_keys and not self.exclude_keys.isdisjoint(view.phrases)):
            return None
        if self.interested:
            if self.keyword_keys.isdisjoint(view.phrases) and self.covered.isdisjoint(view.products) \
                    and self.code_set.isdisjoint(view.code_prefixes) and self.code_heads.isdisjoint(view.codes):
                return None
            return Match(self, view, True)
        return Match(self, view, False) if self.explain else PLAIN


# ---- editing the lists ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Edited:
    subscriber: Subscriber
    message: str


class Rules:
    """The rules service: compiles chats' rules, edits rule lists. Built once in bot.py with the
    product vocabulary; handlers reach it as bot_data["rules"]."""

    def __init__(self, catalog: ProductCatalog | None = None):
        self.catalog = catalog or ProductCatalog()
        self.universe = Universe()
        self._recompiled = 0
        self._shared: dict[tuple, ChatRules] = {}           # rules → compiled, shared by chats
        self._compiled: dict[str, tuple[Subscriber, ChatRules]] = {}

    def compiled(self, subscriber: Subscriber) -> ChatRules:
        """The chat's compiled rules, compiled again only when the subscriber changed."""
        key = str(subscriber.chat_id)
        cached = self._compiled.get(key)
        if cached is not None and (cached[0] is subscriber or cached[0] == subscriber):
            return cached[1]
        signature = (subscriber.active, subscriber.muted_until, subscriber.topics, subscriber.countries,
                     subscriber.official_only, subscriber.keywords, subscriber.excludes, subscriber.products,
                     subscriber.watch)
        rules = self._shared.get(signature)
        if rules is None:
            if len(self._shared) > SHARED_MAX:
                self._shared.clear()
            rules = self._shared[signature] = ChatRules.of(subscriber, self.catalog, self.universe)
        else:                                # shared, maybe from before the universe was rebuilt
            self._learn(rules)
        self._recompiled += cached is not None
        self._compiled[key] = (subscriber, rules)
        return rules

    def view(self, event: Event, full_text_hits: dict[str, str] | None = None) -> EventView:
        """The event prepared against every phrase and name the compiled chats hold."""
        return EventView.of(event, self.universe, full_text_hits)

    def filter(self, subscribers: Sequence[Subscriber]) -> Callable[[Subscriber, Event, datetime], bool]:
        """Whether each of these chats' rules let an event through (reminders, /upcoming: no
        holding), each event prepared once against all of their phrases."""
        for subscriber in subscribers:
            self.compiled(subscriber)            # every chat's phrases are in the universe before a view
        views: dict[str, EventView] = {}

        def wants(subscriber: Subscriber, event: Event, now: datetime) -> bool:
            view = views.get(event.id)
            if view is None:
                view = views[event.id] = self.view(event)
            return self.compiled(subscriber).decide(view, now) is not None
        return wants

    def forget(self, active: Sequence[Subscriber]) -> None:
        """Drop compiled rules of chats no longer active; rebuild the universe of phrases and names
        when chats went or many were compiled again (their old phrases would linger)."""
        if len(active) >= len(self._compiled) and self._recompiled <= REBUILD_AFTER:
            return                           # nothing gone (the usual case): no need to look
        alive = {str(s.chat_id) for s in active}
        gone = [k for k in self._compiled if k not in alive]
        for key in gone:
            del self._compiled[key]
        if gone or self._recompiled > REBUILD_AFTER:
            self.universe, self._recompiled = Universe(), 0
            for _, rules in self._compiled.values():
                self._learn(rules)

    def _learn(self, rules: ChatRules) -> None:
        if rules.keywords or rules.excludes:
            self.universe.phrases.update((p.key, p.chinese) for p in rules.keywords + rules.excludes)
        if rules.watch_keys:
            self.universe.names.update(rules.watch_keys)

    def edit(self, subscriber: Subscriber, kind: str, action: str, text: str) -> Edited:
        """Add or remove comma-separated entries of one list; raises RuleError with a one-line reason."""
        entries = split_entries(text)
        if not entries:
            raise RuleError("give at least one entry")
        if kind == "products":
            entries = [self.product(e) for e in entries]
        elif kind in ("keywords", "excludes") and (empty := [e for e in entries if not Phrase.of(e).key.strip()]):
            raise RuleError(f"“{empty[0]}” has no letters, digits or Chinese characters")
        elif kind == "watch":
            entries = N.merge_legal_forms(entries)
            if empty := [e for e in entries if not N.name_key(e) or N.is_legal_form(e)]:
                raise RuleError(f"“{empty[0]}” is only a legal form or punctuation")
        current = list(getattr(subscriber, kind))
        folded = {N.fold(c): c for c in current}
        if action == "add":
            fresh = []
            for entry in entries:                   # new ones, each once, whatever its case
                if N.fold(entry) not in folded:
                    folded[N.fold(entry)] = entry
                    fresh.append(entry)
            if len(current) + len(fresh) > LIMITS[kind]:
                raise RuleError(f"at most {LIMITS[kind]} entries ({len(current)} set, {len(fresh)} new)")
            changed = current + fresh
            said = f"Added {len(fresh)}" + (f", {len(entries) - len(fresh)} already there" if len(fresh) < len(entries) else "")
        elif action == "remove":
            gone = {N.fold(e) for e in entries} & set(folded)
            if not gone:
                raise RuleError("none of these is in the list")
            changed = [c for c in current if N.fold(c) not in gone]
            said = f"Removed {len(gone)}"
        else:
            raise RuleError(f"unknown action “{action}”")
        return Edited(replace(subscriber, **{kind: tuple(changed)}), said)

    def timezone(self, subscriber: Subscriber, name: str) -> Subscriber:
        found = zone_named(name.strip())
        if found is None:
            raise RuleError(f"unknown time zone “{name[:40]}” (IANA names such as Europe/Berlin, Asia/Shanghai, UTC)")
        return replace(subscriber, timezone=found.key)

    def quiet(self, subscriber: Subscriber, text: str) -> Subscriber:
        if text.strip().lower() == "off":
            return replace(subscriber, quiet="")
        window = schedule.parse_window(text)
        if window is None:
            raise RuleError("give the window as HH:MM-HH:MM, start and end different (e.g. 22:00-07:00)")
        return replace(subscriber, quiet=f"{window[0]:%H:%M}-{window[1]:%H:%M}")

    def digest(self, subscriber: Subscriber, text: str, now: datetime) -> Subscriber:
        """Digest mode at HH:MM (the period that began before now counts as done) or off."""
        if text.strip().lower() == "off":
            return replace(subscriber, digest_at="")
        at = schedule.parse_hhmm(text)
        if at is None:
            raise RuleError("give the time as HH:MM (e.g. 08:00)")
        changed = replace(subscriber, digest_at=f"{at:%H:%M}")
        return replace(changed, digest_done=schedule.current_daily(changed, now) or "")

    @staticmethod
    def holds(subscriber: Subscriber, now: datetime) -> bool:
        """Whether alerts to this chat wait for a digest now."""
        return schedule.holds(subscriber, now)

    def product(self, entry: str) -> str:
        """A canonical product name, or HS digits; RuleError for anything else."""
        if entry[:1].isdigit():
            digits = hs_digits(entry)
            if digits is None:
                raise RuleError(f"“{entry}”: HS/HTS codes have 2, 4 or 6 digits (e.g. 85, 8541, 8541.40)")
            return digits
        canonical = self.catalog.canonical(entry)
        if canonical is None:
            raise RuleError(f"unknown product “{entry}” (/products lists the names)")
        return canonical


def split_entries(text: str) -> list[str]:
    """Comma-separated entries (also ，、;), spaces collapsed, each at most MAX_CHARS characters."""
    entries = [" ".join(part.split()) for part in text.translate(SEPARATORS).split(",")]
    entries = [e for e in entries if e]
    too_long = next((e for e in entries if len(e) > MAX_CHARS), None)
    if too_long is not None:
        raise RuleError(f"“{too_long[:20]}…” is longer than {MAX_CHARS} characters")
    return entries
