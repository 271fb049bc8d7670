"""A cheap, exact test of whether a regular expression can match a text at all, before it runs.

`Screen.of(pattern)` reads the parsed pattern (`re._parser`) and collects literal text that every
match must contain: for each way the pattern can match, one run of literal characters, lower-cased,
keeping the word boundaries the pattern states around it (`\\b`, `^`, `$`, whitespace); most runs
become keys: a whole word, a word's first 3 or 5 letters, or two adjacent characters beyond ASCII
(failing that, one: Chinese is written without spaces, and one character names many words).
`Prepared.of(text)` readies a text once: lower-cased, non-word characters turned into spaces, and
its keys (words, their beginnings, characters beyond ASCII and adjacent pairs of them). A `Sieve`
indexes the screens of a table of patterns by key, so one set intersection per text names the few
patterns worth trying. A screen turns a pattern away only when no match is possible, so searching
after it gives exactly what searching always gave, only sooner. Texts with cased letters outside
ASCII (ſ, K, İ … which IGNORECASE ties to ASCII letters, and whose lower case can change length)
are never screened: every pattern is tried.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from re import _constants as sre
from re import _parser
from typing import NamedTuple, Sequence

NONWORD = re.compile(r"\W")
_ASCII_NONWORD = bytes(c for c in range(128) if NONWORD.match(chr(c)))
ASCII_SPACES = bytes.maketrans(_ASCII_NONWORD, b" " * len(_ASCII_NONWORD))
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")
SHORT, LONG = 3, 5               # the lengths of word beginnings used as keys
SPACE_CLASS = [(sre.IN, [(sre.CATEGORY, sre.CATEGORY_SPACE)])]
STARTS = (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING, sre.AT_BOUNDARY)
ENDS = (sre.AT_END, sre.AT_END_STRING, sre.AT_BOUNDARY)
REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
UNSUPPORTED_FLAGS = re.MULTILINE | re.ASCII | re.LOCALE

Needle = tuple[str, str]         # ("spaced", text to find in Prepared.spaced) or ("raw", … in .lowered)


class Prepared(NamedTuple):
    """A text readied for screening; `keys` is None when it must not be screened."""

    lowered: str
    spaced: str = ""                         # " " + lowered, each non-word character a space, + " "
    keys: frozenset[str] | None = None       # its words, their first SHORT and LONG characters, and
                                             # its characters beyond ASCII, alone and adjacent pairs

    @staticmethod
    @lru_cache(maxsize=256)
    def of(text: str) -> "Prepared":
        lowered = text.lower()
        if not is_screenable(text):
            return Prepared(lowered)
        spaced = " " + spaces(lowered) + " "
        words = spaced.split()
        keys = words + [w[:SHORT] for w in words] + [w[:LONG] for w in words]
        if not lowered.isascii():
            keys += [c for c in set(lowered) if not c.isascii()]
            keys += [a + b for a, b in zip(lowered, lowered[1:]) if not (a.isascii() or b.isascii())]
        return Prepared(lowered, spaced, frozenset(keys))


def spaces(lowered: str) -> str:
    """Each non-word character (regex \\W) replaced by a space."""
    if lowered.isascii():
        return lowered.encode().translate(ASCII_SPACES).decode()
    return NONWORD.sub(" ", lowered)


def is_screenable(text: str) -> bool:
    """Every character is ASCII or uncased: then `lower()` keeps positions and word characters,
    and IGNORECASE ties no character to an ASCII letter but the letter's own two cases. (The text
    beyond ASCII is compared whole: case maps each character to one or more, so the whole is
    unchanged exactly when each character is.)"""
    if text.isascii():
        return True
    rest = _ASCII_RUNS.sub("", text)
    return rest.lower() == rest == rest.upper()


@dataclass(frozen=True, slots=True)
class Screen:
    """Literal text one piece of which every match of a pattern contains.

    Keys of all kinds share one set (a text's too): a word that equals another word's beginning only
    lets a pattern through that could have been turned away, never the reverse.
    """

    keys: frozenset[str]         # whole words, word beginnings cut to SHORT or LONG characters, and
                                 # one or two (adjacent) characters beyond ASCII
    spaced: tuple[str, ...]      # needles no key stands for
    raw: tuple[str, ...]         # needles of non-word characters only ("%", "?")

    @staticmethod
    def of(pattern: re.Pattern[str]) -> "Screen | None":
        """The pattern's screen, or None when nothing can be said (then always try the pattern)."""
        if not isinstance(pattern.pattern, str) or pattern.flags & UNSUPPORTED_FLAGS:
            return None
        needles = _sequence(_parser.parse(pattern.pattern, pattern.flags).data, False, False)
        if needles is None:
            return None
        keys, spaced, raw = set(), [], []
        for kind, needle in needles:
            key = (word_key(needle) if kind == "spaced" else None) or _beyond_ascii(needle)
            keys.add(key) if key else (spaced if kind == "spaced" else raw).append(needle)
        return Screen(frozenset(keys), tuple(_fewest(spaced)), tuple(_fewest(raw)))

    def admits(self, text: Prepared) -> bool:
        """False only when the pattern cannot match the text."""
        if text.keys is None or not self.keys.isdisjoint(text.keys):
            return True
        return self.needles_in(text)

    def needles_in(self, text: Prepared) -> bool:
        """Whether a needle that no key stands for is in the text."""
        return bool(self.spaced and any(n in text.spaced for n in self.spaced)
                    or self.raw and any(n in text.lowered for n in self.raw))


def word_key(needle: str) -> str | None:
    """The first word the needle shows whole, or the beginning of one (cut to SHORT or LONG letters)."""
    parts = needle.split(" ")
    for i, word in enumerate(parts[1:], 1):        # parts after a space start a word …
        if not word:
            continue
        if i + 1 < len(parts):                     # … and a space after one ends it
            return word
        if len(word) >= LONG:
            return word[:LONG]
        return word[:SHORT] if len(word) >= SHORT else None
    return None


def _beyond_ascii(needle: str) -> str | None:
    """Two adjacent characters of the needle beyond ASCII, or failing that one (each such pair and
    character is in a text holding the needle), if any."""
    pair = next((a + b for a, b in zip(needle, needle[1:]) if not (a.isascii() or b.isascii())), None)
    return pair or next((c for c in needle if not c.isascii()), None)


class Sieve:
    """The screens of a table of patterns, indexed by key: which patterns are worth trying.

    The needles no key stands for are kept flat, (needle, position) pairs, so a text is tested
    against all of them in one comprehension rather than screen by screen."""

    def __init__(self, screens: Sequence[Screen | None]):
        self._all = tuple(range(len(screens)))
        by_key: dict[str, list[int]] = {}
        for i, screen in enumerate(screens):
            for key in screen.keys if screen is not None else ():
                by_key.setdefault(key, []).append(i)
        self._by_key = {key: tuple(found) for key, found in by_key.items()}
        self._keys = frozenset(by_key)
        self._open = tuple(i for i, screen in enumerate(screens) if screen is None)      # always tried
        self._spaced = tuple((n, i) for i, s in enumerate(screens) if s is not None for n in s.spaced)
        self._raw = tuple((n, i) for i, s in enumerate(screens) if s is not None for n in s.raw)

    def candidates(self, text: Prepared) -> Sequence[int]:
        """Positions of the patterns that may match the text, in table order."""
        if text.keys is None:
            return self._all
        found = set(self._open)
        by_key = self._by_key
        for key in self._keys.intersection(text.keys):
            found.update(by_key[key])
        if self._spaced:
            spaced = text.spaced
            found.update([i for needle, i in self._spaced if needle in spaced])
        if self._raw:
            lowered = text.lowered
            found.update([i for needle, i in self._raw if needle in lowered])
        return sorted(found)


# --- reading the parsed pattern ------------------------------------------------------------------
# Each function returns a set of needles one of which every match contains, or None (unknown).
# `lead`: the element starts at the text's start or after a non-word character whenever its first
# character is a word character; `trail`: likewise for what follows its end.

def _sequence(items, lead: bool, trail: bool) -> frozenset[Needle] | None:
    items = list(items)
    options: list[frozenset[Needle]] = []
    run, run_lead, gap = "", False, lead
    for k, (op, av) in enumerate(items):
        following = items[k + 1] if k + 1 < len(items) else None
        closes = trail if following is None else _ends_word(following)
        if op is sre.LITERAL and _usable(av):
            run_lead = run_lead if run else gap
            run += chr(av).lower()
            gap = not _is_word(chr(av))          # what follows comes after a non-word character
            if following is None or not (following[0] is sre.LITERAL and _usable(following[1])):
                options.append(frozenset({_needle(run, run_lead, closes)}))
                run = ""
            continue
        if op is sre.AT:
            gap = av in STARTS
            continue
        found = _element(op, av, gap, closes)
        gap = _ends_in_space(op, av) or (op in REPEATS and av[0] == 0 and gap and _ends_in_space(*_last(av[2])))
        if found is not None:
            options.append(found)
    return max(options, key=_selectivity) if options else None


def _element(op, av, lead: bool, trail: bool) -> frozenset[Needle] | None:
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, inner = av
        return None if add_flags or del_flags else _sequence(inner.data, lead, trail)
    if op is sre.ATOMIC_GROUP:
        return _sequence(av.data, lead, trail)
    if op is sre.BRANCH:
        found: set[Needle] = set()
        for alternative in av[1]:
            needles = _sequence(alternative.data, lead, trail)
            if needles is None:
                return None
            found |= needles
        return frozenset(found)
    if op in REPEATS:
        low, high, inner = av
        return _sequence(inner.data, lead, trail and low == high == 1) if low >= 1 else None
    return None


def _is_space(op, av) -> bool:
    return op is sre.IN and av == SPACE_CLASS[0][1]


def _ends_in_space(op, av) -> bool:
    """Whether the element always ends with a whitespace character (\\s, \\s+, (?:…\\s+){1,3})."""
    return _is_space(op, av) or (op in REPEATS and av[0] >= 1 and _ends_in_space(*_last(av[2])))


def _last(items) -> tuple:
    items = list(items)
    return items[-1] if items else (None, None)


def _ends_word(following) -> bool:
    op, av = following
    return (op is sre.AT and av in ENDS) or _is_space(op, av) or _ends_in_space(op, av)


def _usable(code: int) -> bool:
    """ASCII or uncased characters: their lower case is what a case-insensitive match shows."""
    c = chr(code)
    return c.isascii() or c.lower() == c == c.upper()


def _is_word(c: str) -> bool:
    return NONWORD.match(c) is None


def _needle(run: str, lead: bool, trail: bool) -> Needle:
    if not any(_is_word(c) for c in run):
        return ("raw", run)
    return ("spaced", (" " if lead and _is_word(run[0]) else "") + NONWORD.sub(" ", run)
            + (" " if trail and _is_word(run[-1]) else ""))


def _selectivity(needles: frozenset[Needle]) -> tuple[float, int]:
    """Longer words first (a marked word edge counts half a letter), then fewer needles."""
    return min(len(n.strip()) + (len(n) - len(n.strip())) / 4 for _, n in needles), -len(needles)


def _fewest(needles) -> list[str]:
    """The needles without those containing another (finding the shorter one is enough)."""
    kept: list[str] = []
    for needle in sorted(set(needles), key=len):
        if not any(k in needle for k in kept):
            kept.append(needle)
    return kept
