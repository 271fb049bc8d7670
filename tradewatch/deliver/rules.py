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
from typing import Iterable

from tradewatch.deliver import names as N
from tradewatch.deliver import schedule
from tradewatch.deliver.products import HS_PREFIXES, ProductCatalog, codes_in, hs_digits, overlaps
from tradewatch.models import Event, Subscriber

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
        chinese = bool(N.CJK.search(text))
        return cls(text, N.compact_of(text) if chinese else N.words_of(text), chinese)


@dataclass
class EventView:
    """One event prepared once for matching against every chat."""

    event: Event
    words: str
    compact: str
    topics: frozenset[str]
    countries: frozenset[str]
    products: frozenset[str]
    codes: tuple[str, ...]
    official: bool
    lines_found: dict[str, str] = field(default_factory=dict)   # watch key → line of the full text
    _seen: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def of(cls, event: Event, full_text_hits: dict[str, str] | None = None) -> "EventView":
        parts = [event.title, event.summary, *(r.title for r in event.reports)]
        text = "\n".join(dict.fromkeys(p for p in parts if p))
        products = frozenset(event.products)
        codes = codes_in(text) + tuple(c for p in event.products for c in HS_PREFIXES.get(p, ()))
        return cls(event, " | ".join(N.words_of(p) for p in text.split("\n")), N.compact_of(text),
                   frozenset(event.topics), frozenset(event.countries), products, tuple(dict.fromkeys(codes)),
                   event.authority == "official", dict(full_text_hits or {}))

    def has(self, phrase: Phrase) -> bool:
        """Whether the phrase occurs (memoised: each phrase is looked for once per event)."""
        found = self._seen.get(phrase.key)
        if found is None:
            found = self._seen[phrase.key] = phrase.key in (self.compact if phrase.chinese else self.words)
        return found

    def where(self, key: str) -> str | None:
        """Where a watch name key occurs: "" in the event's own text, the line of its full text, or None."""
        cached = self._seen.get("\x00" + key)
        if cached is None:
            cached = self._seen["\x00" + key] = N.found_in(key, self.words, self.compact)
        if cached:
            return ""
        return self.lines_found.get(key)


# ---- compiled rules of one chat -------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    """Why a chat gets an event: what matched, and whether that makes it critical."""

    why: tuple[str, ...] = ()
    watch: tuple[str, ...] = ()
    strong: bool = False        # a watch name, product or keyword matched
    explain: bool = False       # the chat has rules: the alert says what matched

    def line(self) -> str:
        parts = [f"Watchlist: {w}" for w in self.watch] + list(self.why)
        return "Matched: " + " · ".join(parts) if parts else ""


@dataclass(frozen=True)
class ChatRules:
    chat_id: int | str
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

    @classmethod
    def of(cls, subscriber: Subscriber, catalog: ProductCatalog) -> "ChatRules":
        names = [p for p in subscriber.products if not p.isdigit()]
        return cls(subscriber.chat_id, subscriber.active, subscriber.muted_until, frozenset(subscriber.topics),
                   frozenset(subscriber.countries), subscriber.official_only,
                   tuple(Phrase.of(k) for k in subscriber.keywords), tuple(Phrase.of(k) for k in subscriber.excludes),
                   tuple((p, catalog.expand(p)) for p in names), tuple(p for p in subscriber.products if p.isdigit()),
                   tuple((N.name_key(w), w) for w in subscriber.watch if N.name_key(w)), subscriber.has_rules)

    def decide(self, view: EventView, now: datetime) -> Match | None:
        """The match when this chat wants the event, else None (see the module docstring)."""
        if not self.active or (self.muted_until is not None and self.muted_until > now):
            return None
        watched = self._watched(view)
        in_scope = bool(self.topics & view.topics) and (view.official or not self.official_only) \
            and (not self.countries or bool(self.countries & view.countries))
        if not watched and (not in_scope or any(view.has(p) for p in self.excludes)):
            return None
        interests = [f"“{p.shown}”" for p in self.keywords if view.has(p)]
        interests += [name for name, covered in self.products if covered & view.products]
        interests += [f"HS {code}" for code in self.codes if any(overlaps(code, c) for c in view.codes)]
        if not watched and (self.keywords or self.products or self.codes) and not interests:
            return None
        places = sorted(self.countries & view.countries)
        return Match(tuple(interests + places), tuple(watched), bool(watched or interests), self.explain)

    def _watched(self, view: EventView) -> list[str]:
        shown = []
        for key, name in self.watch:
            where = view.where(key)
            if where is not None:
                shown.append(f"{name} (in: {where})" if where else name)
        return shown


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
        self._compiled: dict[str, tuple[Subscriber, ChatRules]] = {}

    def compiled(self, subscriber: Subscriber) -> ChatRules:
        """The chat's compiled rules, compiled again only when the subscriber changed."""
        key = str(subscriber.chat_id)
        cached = self._compiled.get(key)
        if cached is not None and (cached[0] is subscriber or cached[0] == subscriber):
            return cached[1]
        rules = ChatRules.of(subscriber, self.catalog)
        self._compiled[key] = (subscriber, rules)
        return rules

    def forget(self, keep: Iterable[str]) -> None:
        """Drop compiled rules of chats no longer active."""
        alive = set(keep)
        for key in [k for k in self._compiled if k not in alive]:
            del self._compiled[key]

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
            fresh = [e for e in dict.fromkeys(entries) if N.fold(e) not in folded]
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
        found = schedule.zone(name.strip())
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
