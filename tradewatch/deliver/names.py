"""Watchlist names: compared without legal suffixes and punctuation, found in titles and full texts.

`name_key("Huawei Technologies Co., Ltd.")` is "huawei technologies": NFKC, casefolded,
punctuation turned into spaces, and legal forms at the end removed (Co., Ltd., Inc., GmbH, LLC,
S.A., 有限公司, 股份有限公司 …), repeatedly, so "Acme Holdings Co. Ltd" and "ACME HOLDINGS" are one
name. `words_of` turns any text into the same shape (" word word … ", padded), so a Latin name is
found as whole words with `str.find`; a name with Chinese characters is found as a substring.
`find_in_lines` looks for names in the lines of an official document's full text: exact first,
then, for names of at least FUZZY_MIN characters, rapidfuzz's partial_ratio against each line with
a score cutoff (small spelling differences: "Huawei Technologies" ~ "Huawie Technologies"). It
returns, per name found, the line it was found in. Pure and CPU-bound: the caller runs it in a thread
for long documents.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable, Sequence

from rapidfuzz import fuzz, process

PUNCT = re.compile(r"[^\w]+|_+")
NOT_LATIN = re.compile(r"[^\w]+|_+|[\u3400-\u9fff\uf900-\ufaff]+")   # Chinese splits Latin words too
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LEGAL_WORDS = ("co ltd", "co limited", "company limited", "ltd", "limited", "co", "company", "inc",
               "incorporated", "corp", "corporation", "gmbh", "mbh", "ag", "kg", "llc", "l l c", "plc", "lp",
               "llp", "s a", "sa", "s a s", "sas", "s r l", "srl", "s p a", "spa", "b v", "bv", "n v", "nv",
               "oy", "ab", "as", "a s", "k k", "kk", "pte", "pty", "pvt", "private", "sdn bhd", "bhd",
               "jsc", "ojsc", "pjsc", "cjsc", "ooo", "zao", "ao", "sarl", "s de r l", "s a de c v", "de c v")
LEGAL_ZH = ("股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "株式会社", "公司")
FUZZY_MIN = 8             # names shorter than this are matched exactly only
FUZZY_CUTOFF = 90         # partial_ratio score a line must reach
MAX_LINES = 20_000        # lines of a document looked at
LINE_SHOWN = 160          # characters of the line named in an alert


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def words_of(text: str) -> str:
    """The text as " word word … " (punctuation and Chinese → spaces, casefolded), for whole-word finds."""
    return " " + " ".join(NOT_LATIN.sub(" ", fold(text)).split()) + " "


def compact_of(text: str) -> str:
    """The text folded with punctuation and spaces removed, for finding Chinese names and phrases."""
    return PUNCT.sub("", fold(text))


@lru_cache(maxsize=65_536)
def name_key(name: str) -> str:
    """The comparable form of a company or entity name (see the module docstring)."""
    key = " ".join(PUNCT.sub(" ", fold(name)).split())
    if key.startswith("the "):
        key = key[4:]
    changed = True
    while changed and key:
        changed = False
        for suffix in LEGAL_ZH:
            if key.endswith(suffix) and len(key) > len(suffix):
                key, changed = key[: -len(suffix)].rstrip(), True
        for suffix in LEGAL_WORDS:
            if key.endswith(" " + suffix):
                key, changed = key[: -len(suffix) - 1].rstrip(), True
    return key


def is_legal_form(text: str) -> bool:
    """"Ltd.", "Inc", "GmbH", "有限公司": a piece that is only a legal form (after a comma in a name)."""
    key = " ".join(PUNCT.sub(" ", fold(text)).split())
    return key in LEGAL_WORDS or key in LEGAL_ZH


def merge_legal_forms(pieces: Sequence[str]) -> list[str]:
    """Comma-separated pieces with legal forms put back on their name: "Acme Co.", "Ltd." → "Acme Co., Ltd."."""
    merged: list[str] = []
    for piece in pieces:
        if merged and is_legal_form(piece):
            merged[-1] = f"{merged[-1]}, {piece}"
        else:
            merged.append(piece)
    return merged


def found_in(key: str, words: str, compact: str) -> bool:
    """Whether a name key occurs in a text prepared as `words_of` (Latin: whole words) or, for a
    name with Chinese characters, in its `compact_of` form."""
    if not key:
        return False
    if CJK.search(key):
        return key.replace(" ", "") in compact
    return f" {key} " in words


def find_in_lines(keys: Iterable[str], lines: Sequence[str]) -> dict[str, str]:
    """For each name key found in the document's lines, the (stripped, shortened) line."""
    keys = list(dict.fromkeys(keys))
    lines = [line for line in lines[:MAX_LINES] if line.strip()]
    prepared = [words_of(line) for line in lines]
    compact = [compact_of(line) for line in lines] if any(CJK.search(k) for k in keys) else []
    found: dict[str, str] = {}
    for key in keys:
        if not key:
            continue
        index = _exact(key, prepared, compact)
        if index is None and len(key) >= FUZZY_MIN and not CJK.search(key):
            best = process.extractOne(key, prepared, scorer=fuzz.partial_ratio, score_cutoff=FUZZY_CUTOFF)
            index = best[2] if best else None
        if index is not None:
            found[key] = _shown(lines[index])
    return found


def _exact(key: str, prepared: Sequence[str], compact: Sequence[str]) -> int | None:
    if CJK.search(key):
        needle = key.replace(" ", "")
        return next((i for i, text in enumerate(compact) if needle in text), None)
    needle = f" {key} "
    return next((i for i, text in enumerate(prepared) if needle in text), None)


def _shown(line: str) -> str:
    line = " ".join(line.split())
    return line if len(line) <= LINE_SHOWN else line[: LINE_SHOWN - 1] + "…"
