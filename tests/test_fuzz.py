"""Property test: seeded mutations of our own fixtures never make a parser raise anything but
ParseError, and hostile items and events never make understanding or rendering raise.

The loops are bench/fuzz.py's, bounded here to about BUDGET seconds per kind (the long run is
`python -m bench.fuzz`). A failure names the exception and the input that caused it, and replays
with the same seed. The "raw" flavours skip the parser edge (year 9999 dates, lone surrogates
straight into understanding and rendering); they fail on today's understand/ and deliver/render.py
and are marked xfail until those stages are total (issue 9 #13, #14): they turn into passes then.
"""
from __future__ import annotations

import pytest

from bench import fuzz
from bench.mutations import KINDS, MUTATIONS, hostile_event, hostile_item, mutate, seeds

SEED = 20261202
BUDGET = 2.5      # seconds per kind
MOST = 10_000     # inputs per kind, if the budget allows


def assert_clean(tally: fuzz.Tally, least: int) -> None:
    assert not tally.exceptions, f"{tally.kind}: {dict(tally.exceptions)}; first: {tally.first_failure}"
    assert tally.inputs >= least, f"{tally.kind}: only {tally.inputs} inputs in {BUDGET} s"


@pytest.mark.parametrize("kind", KINDS)
def test_mutated_fixtures_give_items_or_a_parse_error(kind):
    assert_clean(fuzz.fuzz_parser(kind, MOST, SEED, budget=BUDGET), least=20)


def test_hostile_items_through_understanding_never_raise():
    assert_clean(fuzz.fuzz_understanding(MOST, SEED, budget=BUDGET), least=200)


def test_events_understanding_builds_render_without_raising():
    events: list = []
    fuzz.fuzz_understanding(2_000, SEED, budget=BUDGET, events=events)
    assert events, "understanding built no events to render"
    assert_clean(fuzz.fuzz_render(MOST, SEED, budget=BUDGET, events=events), least=200)


@pytest.mark.xfail(reason="understand/ raises on year-9999 dates and lone surrogates it is handed directly "
                          "(issue 9 #13, another engineer's part); the parser edge keeps them out", strict=False)
def test_raw_hostile_items_through_understanding_never_raise():
    assert_clean(fuzz.fuzz_understanding(MOST, SEED, budget=BUDGET / 2, raw=True), least=100)


@pytest.mark.xfail(reason="deliver/render.py raises UnicodeEncodeError on a lone surrogate (issue 9 #14, "
                          "another engineer's part); the parser edge keeps them out", strict=False)
def test_raw_hostile_events_render_without_raising():
    assert_clean(fuzz.fuzz_render(MOST, SEED, budget=BUDGET / 2), least=100)


def test_the_harness_is_seeded_and_can_fail(monkeypatch):
    import random
    first, second = random.Random(1), random.Random(1)
    body, _, _ = seeds("rss")[0]
    assert mutate(first, body, "rss") == mutate(second, body, "rss")
    assert hostile_item(random.Random(2))[0] == hostile_item(random.Random(2))[0]
    assert hostile_event(random.Random(3)) == hostile_event(random.Random(3))
    assert set(MUTATIONS) >= {"flip", "truncate", "duplicate", "nest", "huge", "nasty_text", "date", "json_types"}

    def broken(result, source):
        raise TypeError("a parser that raises")
    monkeypatch.setitem(fuzz.PARSERS, "rss", broken)
    tally = fuzz.fuzz_parser("rss", 5, SEED)
    assert tally.exceptions == {"TypeError": 5} and "a parser that raises" in tally.first_failure
