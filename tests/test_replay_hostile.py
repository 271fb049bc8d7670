"""replay and dedupe on absurdly long titles (issue 15 #4): two 10,000-character Chinese titles
took 33–44 s, since partial_ratio grows about with the cube of the length. Titles are capped where
replay builds its items, and similarity reads a bounded prefix of each title."""
from __future__ import annotations

import io
import json
import random
import time

from tradewatch.replay import main
from tradewatch.understand.pairs import similarity

NEUTRAL = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥天地玄黄宇宙洪荒日月盈昃辰宿列张"


def long_title(head: str, rng: random.Random, length: int = 10_000) -> str:
    return (head + "".join(rng.choice(NEUTRAL) for _ in range(length)))[:length]


def test_replay_of_two_10000_character_chinese_titles_is_fast(tmp_path):
    rng = random.Random(6)
    rows = [{"id": "a", "title": long_title("商务部宣布对美国进口大豆加征关税", rng), "source": "商务部", "lang": "zh",
             "published": "2026-09-29"},
            {"id": "b", "title": long_title("商务部：对美国进口大豆加征关税", rng), "source": "新华社", "lang": "zh",
             "published": "2026-09-29"}]
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    assert main(str(path), out, err) == 0, err.getvalue()
    assert time.perf_counter() - started < 2.0
    assert [json.loads(line)["topics"] for line in out.getvalue().splitlines()] == [["tariff"], ["tariff"]]


def test_similarity_of_long_titles_is_bounded_in_time_not_in_sense():
    rng = random.Random(7)
    a, b = long_title("", rng, 20_000), long_title("", rng, 15_000)
    started = time.perf_counter()
    assert 0.0 <= similarity(a, b) <= 1.0
    assert time.perf_counter() - started < 0.5
    assert similarity("商务部对美国大豆加征关税", "商务部对美国大豆加征关税") == 1.0
