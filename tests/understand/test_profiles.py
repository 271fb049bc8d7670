"""understand.profiles: the dedupe profiles of an event's titles kept in `Event.profiles`, read back
exactly as `Profile.of` computes them, and computed again whenever what is kept cannot be trusted."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from storage.codec import decode, encode
from tradewatch.models import UTC, Event, Item, Report, Source
from tradewatch.understand import profiles
from tradewatch.understand.absorb import absorb
from tradewatch.understand.dedupe import EventIndex
from tradewatch.understand.pairs import Profile

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
WIRE = Source(id="wire", name="Wire Service", kind="rss", url="https://wire.example/feed")
TITLES = [
    "Ruritania slaps 30% tariffs on Chinese steel and aluminium",
    "Ruritania to lift 25 per cent duty on EVs from Dec. 1 after talks",
    "Commerce adds 140 companies to the entity list; takes effect immediately",
    "Ruritania plans $34 billion in levies on U.S. soybeans, Nvidia chips",
    "Certain Galvanized Steel Nails From the Republic of Ruritania: Final Determination",
    "商务部公告：对原产于美国的进口大豆加征百分之十五关税，即日起实施",
    "關於對美國部分商品加徵關稅的公告",
    "",
    "Nothing here at all",
]


def event_with(title: str, *others: str, kept: tuple[str, ...] | None = None) -> Event:
    reports = tuple(Report("wire", "Wire", t, f"https://wire.example/{i}", NOW) for i, t in enumerate((title,) + others))
    event = Event(id="ev-1", title=title, url="https://wire.example/0", source_id="wire", source_name="Wire",
                  authority="news", lang="en", topics=("tariff",), first_seen_at=NOW, reports=reports)
    return replace(event, profiles=profiles.packed(profiles.titles_of(event)) if kept is None else kept)


@pytest.mark.parametrize("title", TITLES)
def test_a_kept_profile_reads_back_as_profile_of(title):
    text = profiles.pack(title, Profile.of(title))
    assert text is not None and profiles.unpack(text) == (profiles.checksum(title), Profile.of(title))
    assert profiles.profiles_of(event_with(title)) == [Profile.of(title)]


def test_every_title_of_an_event_is_kept_once_and_read_back_in_the_index_order():
    event = event_with(TITLES[0], TITLES[1], TITLES[0], TITLES[5])
    assert profiles.titles_of(event) == [TITLES[0], TITLES[1], TITLES[5]]
    assert event.profiles[0] == profiles.RULES and len(event.profiles) == 4
    assert profiles.profiles_of(event) == [Profile.of(t) for t in (TITLES[0], TITLES[1], TITLES[5])]
    assert profiles.profile_in(event, TITLES[5]) == Profile.of(TITLES[5])


@pytest.mark.parametrize("kept", [
    (),                                                   # written before the field existed
    ("r-other-rules",) + event_with(TITLES[0]).profiles[1:],   # written with other rules
    (profiles.RULES, "0123456789abcdef;x;;;;;;;;;;"),    # another title's profile
    (profiles.RULES, "garbage"),
    (profiles.RULES, profiles.pack(TITLES[0], Profile.of(TITLES[0]))[:-3] + ";up;"),   # not 12 fields
])
def test_profiles_that_cannot_be_trusted_are_computed_again(kept):
    event = event_with(TITLES[0], kept=kept)
    assert profiles.profiles_of(event) == [Profile.of(TITLES[0])]
    assert profiles.profile_in(event, TITLES[0]) == Profile.of(TITLES[0])


def test_a_value_holding_a_separator_is_not_kept_and_its_title_is_profiled_again():
    title = "Certain Steel Nails, Galvanized, From the Republic of Ruritania: Final Determination"
    assert any("," in p for p in Profile.of(title).products)
    assert profiles.pack(title, Profile.of(title)) is None
    event = event_with(title)
    assert event.profiles == (profiles.RULES,) and profiles.profiles_of(event) == [Profile.of(title)]


def test_the_kept_profiles_survive_the_codec_and_leave_equality_alone():
    event = event_with(TITLES[0], TITLES[5])
    back = decode(Event, encode(event))
    assert back.profiles == event.profiles and back == replace(event, profiles=())


def test_absorb_keeps_the_profiles_and_an_index_loaded_from_them_matches_as_one_that_computes_them():
    def item(title: str, n: int, hours: float = 0) -> Item:
        return Item("wire", f"k{n}", title, f"https://wire.example/{n}", published_at=NOW + timedelta(hours=hours))

    index = EventIndex()
    first = absorb(item(TITLES[0], 1), WIRE, index, NOW)
    joined = absorb(item("Ruritania slaps 30% tariffs on steel, aluminium from China", 2, 1), WIRE, index, NOW)
    assert first.is_new and not joined.is_new
    stored = joined.event
    assert profiles.titles_of(stored) == [TITLES[0], "Ruritania slaps 30% tariffs on steel, aluminium from China"]
    assert stored.profiles[0] == profiles.RULES and len(stored.profiles) == 3
    assert profiles.profiles_of(stored) == [Profile.of(t) for t in profiles.titles_of(stored)]
    probe = Event(id="ev-2", title="Ruritania imposes 30% tariff on Chinese steel", url="https://daily.example/1",
                  source_id="daily", source_name="Daily", authority="news", lang="en", topics=("tariff",),
                  countries=stored.countries, actors=stored.actors, targets=stored.targets, rates=stored.rates,
                  products=stored.products, first_seen_at=NOW, published_at=NOW + timedelta(hours=2))
    kept, computed = EventIndex.load([stored]), EventIndex.load([replace(stored, profiles=())])
    assert kept.match(probe) == computed.match(probe)


def test_a_burst_against_a_window_with_kept_profiles_joins_exactly_as_against_one_without():
    """The pipeline benchmark's synthetic data, small: the same new events and joins either way."""
    from bench.corpus import Corpus, spread
    from bench.pipeline import BURST_SOURCE, as_stored, burst, source_for

    corpus = Corpus(11)
    known = []
    for _ in range(400):
        story = corpus.relevant()
        first_seen, published = spread(NOW, timedelta(days=9.8), corpus.rng)
        known.append((story, corpus.event(story, source_for(story), first_seen, published)))
    items = burst(corpus, known, 150)
    outcomes = []
    for window in ([as_stored(e) for _, e in known], [e for _, e in known]):
        index = EventIndex.load(window)
        outcomes.append([(o.is_new, o.event and o.event.id, o.joined and o.joined.id)
                         for o in (absorb(i, BURST_SOURCE, index, NOW) for i in items)])
    assert outcomes[0] == outcomes[1]
    assert sum(1 for new, event, _ in outcomes[0] if event and not new) > 20      # joins happened
