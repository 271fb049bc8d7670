"""Document numbers: found wherever they sit in a title, written in one normal form."""
from __future__ import annotations

import pytest

from tradewatch.docnumbers import cn_number, find_doc_numbers, first_doc_number, title_doc_number

FIND_CASES = {
    "mofcom announcement": ("商务部公告2025年第61号 公布对稀土相关技术实施出口管制的决定", ["商务部公告2025年第61号"]),
    "joint with gacc, inner space dropped": ("商务部 海关总署公告2025年第58号 公布对锂电池相关物项实施出口管制的决定",
                                             ["商务部海关总署公告2025年第58号"]),
    "joint with a list comma": ("商务部、海关总署公告2026年第3号", ["商务部海关总署公告2026年第3号"]),
    "gacc alone": ("海关总署公告2026年第12号（关于…）", ["海关总署公告2026年第12号"]),
    "order, chinese year": ("商务部令二〇二六年第1号 关于…的决定", ["商务部令2026年第1号"]),
    "order, arabic year": ("商务部令2026年第4号", ["商务部令2026年第4号"]),
    "order, chinese numbers": ("商务部令二〇二五年第十二号", ["商务部令2025年第12号"]),
    "unreliable entity list": ("不可靠实体清单工作机制公告〔2025〕2号", ["不可靠实体清单工作机制公告〔2025〕2号"]),
    "unreliable entity list, square brackets": ("不可靠实体清单工作机制公告[2025]3号", ["不可靠实体清单工作机制公告〔2025〕3号"]),
    "tariff commission short": ("税委会公告2025年第4号", ["税委会公告2025年第4号"]),
    "tariff commission full name": ("国务院关税税则委员会公告2025年第10号", ["税委会公告2025年第10号"]),
    "full-width digits and spaces": ("商务部公告 ２０２６ 年第 ３６ 号", ["商务部公告2026年第36号"]),
    "csms": ("CSMS # 65432109 - GUIDANCE: new HTS codes", ["CSMS 65432109"]),
    "csms without space": ("Update to CSMS #65432109", ["CSMS 65432109"]),
    "several, in order, no repeats": ("商务部公告2026年第2号 废止商务部公告2025年第61号 与商务部公告2026年第2号",
                                     ["商务部公告2026年第2号", "商务部公告2025年第61号"]),
    "federal register numbers need asking": ("Revisions to the Entity List 2026-17231", []),
    "nothing": ("外交部发言人答记者问", []),
    "a year alone is not a number": ("商务部2026年第一季度新闻发布会", []),
}


@pytest.mark.parametrize(("text", "want"), list(FIND_CASES.values()), ids=list(FIND_CASES))
def test_find_doc_numbers(text, want):
    assert find_doc_numbers(text) == want


def test_federal_register_numbers_only_when_asked():
    text = "Correction C1-2026-16628 to rule 2026-16628, published 2026-08-14; see 91 FR 62740"
    assert find_doc_numbers(text, federal_register=True) == ["C1-2026-16628", "2026-16628"]
    assert find_doc_numbers(text) == []


TITLE_CASES = {
    "opens with it": ("商务部公告2026年第36号 公布对原产于…的决定", "商务部公告2026年第36号"),
    "closes with it in brackets": ("关于对原产于示例国的进口商品加征关税的公告（税委会公告2026年第9号）", "税委会公告2026年第9号"),
    "mentions it in the middle": ("商务部新闻发言人就商务部公告2026年第36号答记者问", None),
    "csms title": ("CSMS # 66104512 - GUIDANCE: Section 232", "CSMS 66104512"),
    "csms mentioned in an english news title": ("Importers react to CSMS # 66104512", None),
    "no number": ("Tariff news", None),
}


@pytest.mark.parametrize(("title", "want"), list(TITLE_CASES.values()), ids=list(TITLE_CASES))
def test_title_doc_number(title, want):
    assert title_doc_number(title) == want


def test_first_doc_number():
    assert first_doc_number("就商务部公告2026年第36号答记者问") == "商务部公告2026年第36号"
    assert first_doc_number("") is None


@pytest.mark.parametrize(("text", "want"), [("61", 61), ("二〇二六", 2026), ("十", 10), ("十二", 12),
                                            ("三十六", 36), ("一百零二", 102)])
def test_cn_number(text, want):
    assert cn_number(text) == want
