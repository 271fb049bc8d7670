"""The event signature: what an item says happened, in facts that do not depend on its language.

A signature is who acts (`actors`), on whom (`targets`), which kinds of measure (`kinds`: ids of
the bilingual vocabulary in `terms.toml`: anti-dumping, dual-use, entity-list …), which way
(`direction`: up or down), on which goods (`products`, canonical ids), at which rates, under which
statute (Section 232, IEEPA, 出口管制法 …), with which document numbers, on which day, naming which
companies, organisations or places (`names`: Nvidia / 英伟达, NATO / 北约, Greenland / 格陵兰). "China bans
exports of gallium to the US" and "中国禁止镓对美出口" have one signature. Dedupe compares signatures
first (`agree`): two reports with the same actor, kind and at least one shared anchor (a product,
a target, a rate, a statute, a name) within SIGNATURE_DAYS are one event whatever their wording or
language; `pairs.conflicts` keeps apart those whose facts differ. Pure.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tradewatch.understand import lexicon, vocabulary

SIGNATURE_DAYS = 2.0         # how far apart (days) two reports with one signature may be
# Kinds and statutes in one table (statutes named "statute:…"), so a title is screened once.
TERM_RULES = lexicon.rules(*((t.id, f"(?:{t.en})|(?:{t.zh})") for t in vocabulary.KINDS),
                           *((f"statute:{t.id}", f"(?:{t.en})|(?:{t.zh})") for t in vocabulary.STATUTES))
# Named companies, organisations and places, read from the whole title (a name in a context clause
# still anchors: "… after talks on Greenland").
NAME_RULES = lexicon.rules(*((t.id, f"(?:{t.en})|(?:{t.zh})") for t in vocabulary.NAMES))
COMPANIES = vocabulary.COMPANIES
GENERIC = frozenset(t.id for t in vocabulary.KINDS if not t.specific)
TOPIC_OF = {t.id: t.topic for t in vocabulary.KINDS}
GENERIC_OF = {"tariff": "tariff", "export_control": "export-control"}


def terms_of(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The kinds of measure and the statutes a (normalised) text names."""
    found = lexicon.matching(TERM_RULES, text)
    return (frozenset(n for n in found if not n.startswith("statute:")),
            frozenset(n[8:] for n in found if n.startswith("statute:")))


def names_of(text: str) -> frozenset[str]:
    """The named companies, organisations and places a (normalised) text names."""
    return frozenset(lexicon.matching(NAME_RULES, text))


def kinds_of(text: str) -> frozenset[str]:
    """The kinds of measure a (normalised) text names."""
    return terms_of(text)[0]


def statutes_of(text: str) -> frozenset[str]:
    """The statutes a (normalised) text names."""
    return terms_of(text)[1]


@dataclass(frozen=True, slots=True)
class Signature:
    actors: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    direction: str | None = None
    products: tuple[str, ...] = ()
    rates: tuple[str, ...] = ()
    statutes: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    date: str | None = None
    names: tuple[str, ...] = ()          # companies, organisations, places (vocabulary ids)

    def as_dict(self) -> dict:
        """The signature as JSON-ready data (what `replay` prints)."""
        return {"actors": list(self.actors), "targets": list(self.targets), "kinds": list(self.kinds),
                "direction": self.direction, "products": list(self.products), "rates": list(self.rates),
                "statutes": list(self.statutes), "documents": list(self.documents), "date": self.date,
                "names": list(self.names)}


def signature(*, actors=(), targets=(), products=(), rates=(), documents=(), kinds=frozenset(),
              statutes=frozenset(), direction: str | None = None, day: date | None = None,
              names=frozenset()) -> Signature:
    """A signature from facts already read (an analysis and its title's profile)."""
    return Signature(tuple(actors), tuple(targets), tuple(sorted(kinds)), direction, tuple(products),
                     tuple(rates), tuple(sorted(statutes)), tuple(documents), day.isoformat() if day else None,
                     tuple(sorted(names)))


def generic_kinds(topics) -> frozenset[str]:
    """The generic kind of each topic (tariff, export-control): what every report of it names."""
    return frozenset(GENERIC_OF[topic] for topic in topics if topic in GENERIC_OF)


def agree(actors_a: frozenset[str], actors_b: frozenset[str], kinds: frozenset[str], anchors: int, *,
          products: bool = False, close: bool = False, same_scope: bool = False, numbers: bool = False) -> bool:
    """Whether two reports' signatures name one measure: a shared actor, a shared kind, and anchors
    in common (products, targets, rates, statutes; taking effect on the same day): one for a specific
    kind (anti-dumping, dual-use …); for a generic one two, or within a day the same products, a
    rate or a statute; for either kind, within a day, the same scope (equal products and targets,
    even none, and the same direction). A report that names no actor ("10% lumber levy now in
    force") agrees within a day on two anchors when the two share the goods or a specific kind (a
    baseline tariff). `kinds` and `anchors` are what the two have in common; conflicts are checked
    elsewhere."""
    if not kinds:
        return False
    if not actors_a or not actors_b:      # the goods, or a specific kind, say which measure it is
        return close and (products or bool(kinds - GENERIC)) and anchors >= 2 and bool(actors_a or actors_b)
    if actors_a.isdisjoint(actors_b):
        return False
    if kinds - GENERIC:
        return anchors >= 1 or (close and same_scope)
    return anchors >= 2 or (close and (products or same_scope or numbers))
