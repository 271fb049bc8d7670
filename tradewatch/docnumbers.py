"""Find official document numbers in a title or text and write them in one normal form.

A document number is the best identity an announcement has: the same 商务部公告 sits in two
MOFCOM columns under two URLs and on mirrors, and a CSMS message is quoted by number. PATTERNS is
the whole table, one regular expression and one formatter per kind; text is NFKC-normalised first
(full-width digits and ＃ become ASCII). The normal forms are:

    商务部公告2025年第61号            商务部 海关总署公告… → 商务部海关总署公告2025年第58号
    海关总署公告2025年第12号
    商务部令2026年第3号               from 商务部令二〇二六年第三号 as well (Arabic digits)
    不可靠实体清单工作机制公告〔2025〕2号   any of 〔〕 [] 【】 （） () accepted
    税委会公告2025年第4号             from 国务院关税税则委员会公告… as well
    CSMS 65432109                     from "CSMS # 65432109"
    2026-17231, C1-2026-16628         Federal Register, only with federal_register=True: a bare
                                      "2026-17231" is too easily something else.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"[0-9〇零○一二三四五六七八九十百]+"


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: re.Pattern[str]
    format: Callable[[re.Match[str]], str]


def cn_number(text: str) -> int:
    """'61' → 61, '二〇二六' → 2026 (digit by digit), '三十六' → 36, '一百零二' → 102."""
    if text.isdigit():
        return int(text)
    if "十" not in text and "百" not in text:
        return int("".join(str(CN_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total, current = total + (current or 1) * 100, 0
        elif ch == "十":
            total, current = total + (current or 1) * 10, 0
        else:
            current = CN_DIGITS[ch]
    return total + current


def _year_no(prefix: str) -> Callable[[re.Match[str]], str]:
    return lambda m: f"{prefix}{cn_number(m['year'])}年第{cn_number(m['no'])}号"


PATTERNS: tuple[Pattern, ...] = (
    Pattern("mofcom_gacc", re.compile(rf"商务部[\s、]*海关总署\s*公告\s*(?P<year>\d{{4}})\s*年\s*第\s*(?P<no>{_NUM})\s*号"),
            _year_no("商务部海关总署公告")),
    Pattern("mofcom", re.compile(rf"商务部\s*公告\s*(?P<year>\d{{4}})\s*年\s*第\s*(?P<no>{_NUM})\s*号"),
            _year_no("商务部公告")),
    Pattern("gacc", re.compile(rf"海关总署\s*公告\s*(?P<year>\d{{4}})\s*年\s*第\s*(?P<no>{_NUM})\s*号"),
            _year_no("海关总署公告")),
    Pattern("mofcom_order", re.compile(rf"商务部\s*令\s*(?P<year>{_NUM})\s*年\s*第\s*(?P<no>{_NUM})\s*号"),
            _year_no("商务部令")),
    Pattern("unreliable_entity", re.compile(
        rf"不可靠实体清单工作机制\s*公告\s*[〔\[【（(]\s*(?P<year>\d{{4}})\s*[〕\]】）)]\s*第?\s*(?P<no>{_NUM})\s*号"),
        lambda m: f"不可靠实体清单工作机制公告〔{m['year']}〕{cn_number(m['no'])}号"),
    Pattern("tariff_commission", re.compile(
        rf"(?:国务院关税税则委员会|税委会)\s*公告\s*(?P<year>\d{{4}})\s*年\s*第\s*(?P<no>{_NUM})\s*号"),
        _year_no("税委会公告")),
    Pattern("csms", re.compile(r"\bCSMS\s*(?:#|No\.?|Number)?\s*(?P<no>\d{5,})\b", re.IGNORECASE),
            lambda m: f"CSMS {m['no']}"),
)
FEDERAL_REGISTER = Pattern(
    "federal_register", re.compile(r"(?<![\w-])(?P<no>(?:C\d-)?(?:19|20)\d{2}-\d{5})(?![\w-])"),
    lambda m: m["no"])


def find_doc_numbers(text: str, *, federal_register: bool = False) -> list[str]:
    """Every document number in `text`, normalised, in order of appearance, without repeats.

    Where two patterns match overlapping text (商务部 海关总署公告… also contains 海关总署公告…),
    the match that starts first, then the longer one, wins.
    """
    found: list[str] = []
    for _, number in _scan(text, federal_register):
        if number not in found:
            found.append(number)
    return found


def first_doc_number(text: str, *, federal_register: bool = False) -> str | None:
    """The first document number in `text`, or None."""
    numbers = find_doc_numbers(text, federal_register=federal_register)
    return numbers[0] if numbers else None


def title_doc_number(title: str) -> str | None:
    """The number of the document a title *is*, not one it merely mentions.

    That is a number the title opens with (商务部公告2026年第36号 公布…, CSMS # 123 - …) or closes
    with in brackets (…的公告（税委会公告2025年第4号）). A spokesperson's 就商务部公告…答记者问
    mentions a number in the middle and gets None.
    """
    title = unicodedata.normalize("NFKC", title or "").strip()
    scanned = _scan(title, False)
    if scanned and scanned[0][0] <= 1:          # allow one opening bracket or quote
        return scanned[0][1]
    tail = re.search(r"[(\[【〔]([^()\[\]【】〔〕]*号|CSMS[^()]*)[)\]】〕]\s*$", title)
    return first_doc_number(tail.group(1)) if tail else None


def _scan(text: str, federal_register: bool) -> list[tuple[int, str]]:
    """(start, normalised number) for each non-overlapping match, in order of appearance."""
    text = unicodedata.normalize("NFKC", text or "")
    patterns = PATTERNS + ((FEDERAL_REGISTER,) if federal_register else ())
    matches = sorted((m.start(), -m.end(), i, m) for i, p in enumerate(patterns) for m in p.regex.finditer(text))
    result: list[tuple[int, str]] = []
    covered_to = -1
    for start, neg_end, index, match in matches:
        if start >= covered_to:
            covered_to = -neg_end
            result.append((start, patterns[index].format(match)))
    return result
