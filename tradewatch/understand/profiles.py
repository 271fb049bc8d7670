"""Title profiles kept with their event, so loading the dedupe window reads no title again.

`pairs.Profile.of(title)` runs a title through the rule tables (normalisation, direction and stage,
kinds, statutes, names, products, rates): ~0.2 ms a title, most of building the dedupe index at
start-up. `absorb` has just computed the profiles of the titles it stores, so it keeps them in
`Event.profiles` (`packed`) and `EventIndex` reads them back (`profiles_of`) instead of computing
them again. The field is a tuple of strings: first RULES (a digest of the code and vocabulary
that profiles are read with), then one string per title: a hash of the title and the profile's
facts, ";" between fields, "," between the members of a set. A stored profile is used only when
the digest is the current one and the checksum is its title's; otherwise (an event written before
the field existed, by another version of the rules, a report title it does not hold, a value
holding a separator) the title is profiled as before, so the result is always `Profile.of(title)`.
Pure apart from reading the rule files once at import.
"""
from __future__ import annotations

import hashlib
import os
import sys
import unicodedata
from pathlib import Path

from tradewatch.models import Event
from tradewatch.understand.pairs import EMPTY, Profile, _set

# What a profile depends on: these files, the Python version (re, str.lower) and its Unicode tables (NFKC).
_SOURCES = ("pairs.py", "stages.py", "lexicon.py", "signature.py", "extract.py", "vocabulary.py", "hanzi.py",
            "screen.py", "terms.toml", "../docnumbers.py")


def _rules_digest() -> str:
    """The digest of what profiles are read with; when a file cannot be read, one of this process
    alone (what was kept is then never trusted: every title is profiled again)."""
    digest = hashlib.blake2s(f"{sys.version_info[:2]}|{unicodedata.unidata_version}".encode(), digest_size=6)
    here = Path(__file__).resolve().parent
    try:
        for name in _SOURCES:
            digest.update((here / name).read_bytes())
    except OSError:
        return "r-" + os.urandom(6).hex()
    return "r" + digest.hexdigest()


RULES = _rules_digest()
FIELDS = 12
CHECK = 16                       # hex digits of `checksum`
_SETS = ("rates", "products", "amounts", "counts", "kinds", "statutes", "names")


def titles_of(event: Event) -> list[str]:
    """The titles the dedupe index profiles for the event: its own, then its reports' other titles."""
    first = event.title or ""
    return [first] + list(dict.fromkeys(r.title for r in event.reports if r.title and r.title != first))


def checksum(title: str) -> str:
    """16 hex digits of the title's hash (the title is not stored twice)."""
    return hashlib.blake2b(title.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def pack(title: str, profile: Profile) -> str | None:
    """The profile as one string, or None when a value holds a separator (it is then not kept)."""
    values = [getattr(profile, name) for name in _SETS]
    if ";" in profile.norm or any(";" in v or "," in v for members in values for v in members):
        return None
    rates, products, amounts, counts, kinds, statutes, names = (",".join(sorted(v)) for v in values)
    return ";".join((checksum(title), profile.norm, rates, profile.direction or "", "1" if profile.effect else "",
                     products, amounts, counts, kinds, statutes, "1" if profile.plan else "", names))


def unpack(text: str) -> tuple[str, Profile] | None:
    """(title checksum, profile) from `pack`'s string; None when it is not one."""
    parts = text.split(";")
    if len(parts) != FIELDS or parts[3] not in ("", "up", "down"):
        return None
    crc, norm, rates, direction, effect, products, amounts, counts, kinds, statutes, plan, names = parts
    return crc, Profile(norm, _members(rates), direction or None, effect == "1", _members(products),
                        _members(amounts), _members(counts), _members(kinds), _members(statutes), plan == "1",
                        _members(names))


def _members(text: str) -> frozenset[str]:
    return _set(text.split(",")) if text else EMPTY


def packed(titles, previous: tuple[str, ...] = ()) -> tuple[str, ...]:
    """What to keep in `Event.profiles` for these titles (`titles_of`): their profiles, those in
    `previous` (an earlier `packed` of the same event) taken from there."""
    known = _stored(previous)
    found = [RULES]
    for title in titles:
        text = known.get(checksum(title)) if known else None
        if text is None:
            text = pack(title, Profile.of(title))
        if text is not None:
            found.append(text)
    return tuple(found)


def profiles_of(event: Event) -> list[Profile]:
    """The profiles of the event's titles (`titles_of`), read from `event.profiles` where it holds them."""
    known = _stored(event.profiles)
    profiles = []
    for title in titles_of(event):
        text = known.get(checksum(title)) if known else None
        found = unpack(text) if text is not None else None
        profiles.append(found[1] if found is not None else Profile.of(title))
    return profiles


def profile_in(event: Event, title: str) -> Profile:
    """The profile of one of the event's titles, read from `event.profiles` when it holds it."""
    if event.profiles and event.profiles[0] == RULES:
        crc = checksum(title)
        for text in event.profiles[1:]:
            if text.startswith(crc) and (found := unpack(text)) is not None and found[0] == crc:
                return found[1]
    return Profile.of(title)


def _stored(profiles: tuple[str, ...]) -> dict[str, str]:
    """Checksum → packed profile, when the profiles were packed with the current rules."""
    if not profiles or profiles[0] != RULES:
        return {}
    return {text[:CHECK]: text for text in profiles[1:] if isinstance(text, str) and text[CHECK:CHECK + 1] == ";"}
