"""Products for alert rules: the names a reader may type, their HS chapters, and HS codes in a text.

`ProductCatalog` maps every name of a product in the bilingual vocabulary (English phrases and the
plain Chinese alternatives of tradewatch/understand/terms.toml, handed in by bot.py, since delivery
does not import understanding) to its canonical name, and knows which products cover others
(critical minerals → gallium …). `HS_PREFIXES` gives each canonical product the HS chapters or
headings it falls under (the same in the HTS and in China's tariff schedule at these lengths), so an
HS rule of 2, 4 or 6 digits also matches an event that names the product in words. `codes_in` reads
the HS/HTS codes a text carries ("8541.40.60", "heading 8703", "税则号列81129290"). Pure data and
functions; the patterns here are ours, never a user's.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Mapping

# Canonical product → HS chapters (2 digits) or headings (4) / subheadings (6) it falls under.
HS_PREFIXES: Mapping[str, tuple[str, ...]] = {
    "steel": ("72", "73"), "aluminium": ("76",), "copper": ("74",),
    "rare earths": ("2805", "2846", "8505"), "gallium": ("8112",), "germanium": ("8112", "282560"),
    "antimony": ("8110", "282580"), "graphite": ("2504", "3801"), "tungsten": ("8101",),
    "tellurium": ("280450",), "bismuth": ("8106",), "molybdenum": ("8102", "2613"), "indium": ("8112",),
    "lithium": ("282520", "283691", "280519"), "superhard materials": ("7102", "7104", "7105"),
    "critical minerals": ("25", "26", "28", "81"),
    "semiconductors": ("8541", "8542", "8486"), "electric vehicles": ("870380",), "autos": ("8703", "8708"),
    "batteries": ("8507",), "soybeans": ("1201",), "canola": ("1205", "1514"), "brandy": ("220820",),
    "pork": ("0203",), "beef": ("0201", "0202"), "dairy": ("04",), "wine": ("2204",), "whiskey": ("220830",),
    "seafood": ("03", "16"), "solar": ("854142", "854143"), "lumber": ("44",), "pharmaceuticals": ("30",),
    "aircraft": ("8802",), "drones": ("8806",), "oil": ("2709", "2710"), "coal": ("2701",),
    "natural gas": ("2711",), "furniture": ("94",), "trucks": ("8704",), "smartphones": ("851713",),
    "ships": ("89",), "machinery": ("84",),
    "agricultural products": tuple(f"{n:02d}" for n in range(1, 25)),
    "textiles": tuple(str(n) for n in range(50, 64)),
}
# Names readers use that the vocabulary spells another way.
ALIASES: Mapping[str, str] = {
    "lithium batteries": "batteries", "lithium battery": "batteries", "lithium-ion batteries": "batteries",
    "li-ion batteries": "batteries", "锂电池": "batteries", "evs": "electric vehicles", "ev": "electric vehicles",
    "chips": "semiconductors", "rare earth elements": "rare earths", "aluminum": "aluminium",
    "solar panels": "solar", "solar cells": "solar", "soya": "soybeans",
}
PLAIN_ZH = re.compile(r"^[\u3400-\u9fff]+$")
DIGITS = re.compile(r"^\d+(?:\.\d+)*$")
# Codes written the HTS way (8541.40, 8541.40.60.00) and codes named as such ("heading 8703").
DOTTED = re.compile(r"(?<![\d.])(\d{4})\.(\d{2})(?:\.(\d{2}))?(?:\.(\d{2}))?(?![\d]|\.\d)")
NAMED = re.compile(r"(?:\b(?:HTSU?S?|HS|headings?|subheadings?|chapters?|tariff (?:items?|lines?|codes?))"
                   r"|税则号列|税则号|税号|商品编码|海关编码)\s*(?:no\.?\s*)?[:：]?\s*(\d{2,10})(?![\d.])", re.I)
MAX_TEXT = 100_000           # characters of a text read for codes


def fold(text: str) -> str:
    """NFKC, casefolded, spaces collapsed: how every name is compared."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def hs_digits(text: str) -> str | None:
    """"8541", "85.41" or "8541.40" → the digits, when they are a 2-, 4- or 6-digit HS prefix."""
    text = text.strip()
    if not DIGITS.match(text):
        return None
    digits = text.replace(".", "")
    return digits if len(digits) in (2, 4, 6) else None


def codes_in(text: str) -> tuple[str, ...]:
    """The HS/HTS codes a text carries, as digits (at most 10), in order of first appearance."""
    text = text[:MAX_TEXT]
    found = ["".join(g for g in m.groups() if g) for m in DOTTED.finditer(text)]
    found += [m.group(1) for m in NAMED.finditer(text) if len(m.group(1)) % 2 == 0]
    return tuple(dict.fromkeys(found))


def overlaps(prefix: str, code: str) -> bool:
    """An HS rule matches a code it is a prefix of, and a shorter code (a whole heading) it falls in."""
    return code.startswith(prefix) or prefix.startswith(code)


@dataclass(frozen=True)
class ProductCatalog:
    """Every name of every canonical product, and the umbrellas that cover others."""

    names: Mapping[str, str] = field(default_factory=dict)          # folded name → canonical
    covers: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, products: Iterable[tuple[str, Iterable[str], str]],
           umbrellas: Mapping[str, Iterable[str]] = {}) -> "ProductCatalog":
        """From the vocabulary's (canonical, English phrases, Chinese regex) triples: the English
        phrases ("=EV" keeps its case when classifying; here every name is casefolded) and the
        Chinese alternatives that are plain characters."""
        names: dict[str, str] = {}
        for canonical, english, chinese in products:
            for name in (canonical, *english, *chinese.split("|")):
                name = name.removeprefix("=")
                if name and (not re.search(r"[\u3400-\u9fff]", name) or PLAIN_ZH.match(name)):
                    names.setdefault(fold(name), canonical)
        for alias, canonical in ALIASES.items():
            if canonical in HS_PREFIXES:
                names.setdefault(fold(alias), canonical)
        return cls(names, {k: frozenset(v) for k, v in umbrellas.items()})

    def canonical(self, text: str) -> str | None:
        folded = fold(text)
        return self.names.get(folded) or (folded if folded in HS_PREFIXES and not self.names else None)

    def expand(self, canonical: str) -> frozenset[str]:
        """The product and every product it covers."""
        return frozenset({canonical, *self.covers.get(canonical, ())})

    def known(self) -> list[str]:
        return sorted(set(self.names.values()))
