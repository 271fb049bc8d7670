"""replay: the `bot.py replay FILE.jsonl` contract on a small recorded file of our own, malformed
input, empty input, and `python -m tradewatch.replay`."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from tradewatch.replay import infer_authority, main

FIXTURE = Path(__file__).parent / "fixtures" / "replay" / "mixed.jsonl"
ROOT = Path(__file__).parent.parent
FIELDS = {"id", "topics", "relevant", "event_id", "duplicate_of", "countries", "rates", "doc_number"}


def run(path: Path) -> tuple[int, list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(str(path), out, err)
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def by_id(rows: list[dict]) -> dict[str, dict]:
    return {row["id"]: row for row in rows}


def test_one_line_per_item_in_file_order_with_the_contract_fields():
    code, rows, err = run(FIXTURE)
    assert code == 0 and err == ""
    assert [r["id"] for r in rows] == [f"r{n:02d}" for n in range(1, 11)]
    assert all(FIELDS <= set(r) for r in rows)


def test_classification_and_facts():
    rows = by_id(run(FIXTURE)[1])
    assert rows["r01"]["topics"] == ["tariff"] and rows["r01"]["rates"] == ["30%"] and "CN" in rows["r01"]["countries"]
    assert rows["r05"]["topics"] == ["export_control"] and rows["r05"]["doc_number"] == "商务部公告2026年第12号"
    for irrelevant in ("r02", "r09", "r10"):
        assert rows[irrelevant]["relevant"] is False and rows[irrelevant]["topics"] == []
        assert rows[irrelevant]["event_id"] is None and rows[irrelevant]["duplicate_of"] is None


def test_duplicates_name_the_first_item_of_their_event():
    rows = by_id(run(FIXTURE)[1])
    assert rows["r01"]["duplicate_of"] is None
    assert rows["r03"]["event_id"] == rows["r01"]["event_id"] and rows["r03"]["duplicate_of"] == "r01"
    assert rows["r04"]["event_id"] != rows["r01"]["event_id"]          # another rate: another event
    assert rows["r06"]["duplicate_of"] == "r05"                         # same document number, two URLs


def test_undated_items_take_the_time_of_the_item_before():
    rows = by_id(run(FIXTURE)[1])
    # Seen with the MOFCOM notice of the same day, the undated English reports of it join it: one
    # signature (China, export controls, rare earths) in two languages.
    assert rows["r07"]["duplicate_of"] == "r05" and rows["r08"]["duplicate_of"] == "r05"


def test_each_row_carries_the_signature_of_its_item():
    rows = by_id(run(FIXTURE)[1])
    english, chinese = rows["r07"]["signature"], rows["r05"]["signature"]
    assert english["actors"] == chinese["actors"] == ["CN"]
    assert "rare earths" in english["products"] and "rare earths" in chinese["products"]
    assert chinese["documents"] == ["商务部公告2026年第12号"] and chinese["date"] == "2026-03-10"
    assert rows["r01"]["signature"]["rates"] == ["30%"] and rows["r01"]["signature"]["direction"] == "up"


def test_output_does_not_depend_on_the_hash_seed():
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-m", "tradewatch.replay", str(FIXTURE)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1 and len(outputs.pop().splitlines()) == 10


def test_malformed_lines_print_nothing_name_the_lines_and_exit_2(tmp_path):
    good = FIXTURE.read_text(encoding="utf-8").splitlines()[0]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([good, "{not json", good, '["a list"]', '{"id": "x", "title": 5.5}',
                              '{"id": "y", "published": "yesterday"}']) + "\n", encoding="utf-8")
    code, rows, err = run(bad)
    assert code == 2 and rows == []
    for number in (2, 4, 5, 6):
        assert f"line {number}:" in err
    assert "line 1:" not in err and "line 3:" not in err


def test_empty_file_prints_nothing(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    assert run(empty) == (0, [], "")


def test_missing_file_is_an_error(tmp_path):
    code, rows, err = run(tmp_path / "nope.jsonl")
    assert code == 2 and rows == [] and "cannot read" in err


def test_missing_fields_and_numeric_ids_are_accepted(tmp_path):
    sparse = tmp_path / "sparse.jsonl"
    sparse.write_text('{"id": 7, "title": "Ruritania bans exports of gallium"}\n{"title": "Weather is fine"}\n',
                      encoding="utf-8")
    code, rows, _ = run(sparse)
    assert code == 0 and [r["id"] for r in rows] == ["7", "line-2"]
    assert rows[0]["relevant"] and not rows[1]["relevant"]


def test_authority_is_inferred_from_the_publisher_not_from_a_relay():
    assert infer_authority("Federal Register — Industry and Security Bureau") == "official"
    assert infer_authority("中华人民共和国商务部（新闻发言人谈话）") == "official"
    assert infer_authority("U.S. Customs and Border Protection — CSMS") == "official"
    assert infer_authority("Some Blog", "https://www.trade.gov/press") == "official"
    assert infer_authority("Xinhua (via Ministry of Commerce website)") == "news"
    assert infer_authority("Wire Service", "https://wire.example/a") == "news"
