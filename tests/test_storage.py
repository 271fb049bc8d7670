"""Storage: every store on every backend (memory, the durable snapshot + journal, and PostgreSQL
when tests/pg.py finds a server), the codec's round trips, and the durable files' crash safety,
corruption handling and lock."""
from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from storage import open_store
from storage.codec import decode, encode
from tests import pg
from tradewatch.errors import CorruptDatabaseError, StorageError
from tradewatch.models import BEIJING, UTC, Delivery, Event, Report, SourceState, Subscriber

T0 = datetime(2025, 10, 9, 8, 0, tzinfo=UTC)


def make_event(n: int, *, minutes: int | None = None, topics=("tariff",), published=True, **more) -> Event:
    at = T0 + timedelta(minutes=n if minutes is None else minutes)
    fields = dict(
        id=f"ev-{n}", title=f"Duty on widgets number {n} raised", url=f"https://gov.example/n/{n}",
        source_id="gov-notices", source_name="Gov notices", authority="official", lang="en",
        topics=tuple(topics), countries=("US", "CN"), rates=("25%",), doc_number=f"2025-{n:04d}",
        published_at=at if published else None, first_seen_at=at + timedelta(minutes=5),
        summary="Notice of a change in duty rates.", keys=(f"doc:2025-{n:04d}", f"https://gov.example/n/{n}"),
        reports=(Report("gov-notices", "Gov notices", f"Widgets {n}", f"https://gov.example/n/{n}",
                        at + timedelta(minutes=5), "official"),))
    fields.update(more)
    return Event(**fields)


class Backend:
    """One store under test, with `reopen()` (close and open again; the same store in memory)."""

    def __init__(self, kind: str, tmp_path: Path):
        self.kind = kind
        self.closed: list = []
        self.path = None if kind == "memory" else tmp_path / "data" / "tradewatch.json"
        if kind == "postgres":
            self.store = pg.fresh_store()
        else:
            self.store = open_store(self.path)

    def reopen(self):
        if self.kind == "postgres":
            from storage.postgres import open_postgres
            self.closed.append(self.store)      # a closed TinyDB store still reads; keep this one open too
            self.store = open_postgres(pg.require_postgres(), owner=self.store.owner)   # the same process again
        elif self.path is not None:
            self.store.close()
            self.store = open_store(self.path)
        return self.store


@pytest.fixture(params=["memory", "file", "postgres"])
def backend(request, tmp_path):
    b = Backend(request.param, tmp_path)
    yield b
    for store in (*b.closed, b.store):
        store.close()


@pytest.fixture
def store(backend):
    return backend.store


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "tradewatch.json"


# ---------------------------------------------------------------- codec

def test_codec_round_trips_an_event_with_reports_and_zones():
    event = make_event(1, published_at=datetime(2025, 10, 9, 17, 30, tzinfo=BEIJING),
                       updated_at=T0, alert=False, effective_on="2025-11-10", reasons=("rule-a",))
    doc = json.loads(json.dumps(encode(event)))
    back = decode(Event, doc)
    assert back == event
    assert back.published_at.tzinfo is BEIJING and back.first_seen_at.tzinfo is UTC
    assert isinstance(back.reports, tuple) and isinstance(back.reports[0], Report)
    assert doc["published_at"] == "2025-10-09T17:30:00+08:00"


@pytest.mark.parametrize("value", [
    SourceState("src", etag='"abc"', last_check=T0, consecutive_failures=3, baseline_done=True,
                last_error="timeout: slow"),
    Subscriber(42, countries=("CN",), official_only=True, muted_until=T0, created_at=T0),
    Subscriber("@tradechannel", chat_type="channel", topics=("tariff",)),
    Delivery("ev-1", -1001234, status="sent", message_id=7, attempts=2, queued_at=T0, sent_at=T0),
], ids=["source-state", "subscriber-int", "subscriber-channel", "delivery"])
def test_codec_round_trips_every_stored_model(value):
    assert decode(type(value), json.loads(json.dumps(encode(value)))) == value


def test_codec_tolerates_missing_optional_keys_and_ignores_unknown_ones():
    old = {"id": "e", "title": "t", "url": "u", "source_id": "s", "source_name": "S",
           "authority": "news", "lang": "en", "topics": ["tariff"],
           "first_seen_at": "2025-10-09T08:00:00+00:00", "field_from_the_future": 1}
    event = decode(Event, old)
    assert event.reports == () and event.alert is True and event.published_at is None
    assert event.topics == ("tariff",)


def test_codec_leaves_out_empty_defaults_but_keeps_meaningful_ones():
    doc = encode(make_event(1, countries=(), doc_number=None))
    assert "countries" not in doc and "doc_number" not in doc and "updated_at" not in doc
    assert doc["alert"] is True and doc["first_seen_at"]


def test_codec_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        encode(make_event(1, published_at=datetime(2025, 1, 1)))


# ---------------------------------------------------------------- events

def test_event_round_trip_survives_reopen(backend):
    event = make_event(1, published_at=datetime(2025, 10, 9, 9, 0, tzinfo=BEIJING), notified=True)
    backend.store.events.add(event)
    assert backend.store.events.get("ev-1") == event
    assert backend.reopen().events.get("ev-1") == event
    assert backend.store.events.get("nope") is None


def test_event_profiles_round_trip_on_every_backend(backend):
    """Event.profiles (the dedupe profiles absorb keeps; not compared by ==) is stored and read back."""
    kept = ("r0123456789ab", "0123456789abcdef;duty widget;25%;up;;steel;;;tariff;;;")
    backend.store.events.add(make_event(1, profiles=kept))
    assert backend.store.events.get("ev-1").profiles == kept
    assert backend.reopen().events.get("ev-1").profiles == kept
    assert [e.profiles for e in backend.store.events.since(T0 - timedelta(days=1))] == [kept]


def test_latest_is_newest_first_by_when_with_topic_filter_and_limit(store):
    store.events.add(make_event(1, minutes=10))
    store.events.add(make_event(2, minutes=30, topics=("export_control",)))
    store.events.add(make_event(3, minutes=20, topics=("tariff", "export_control")))
    store.events.add(make_event(4, minutes=5, published=False))     # when = first seen (+5 min) = 10
    assert [e.id for e in store.events.latest(10)] == ["ev-2", "ev-3", "ev-4", "ev-1"]
    assert [e.id for e in store.events.latest(2)] == ["ev-2", "ev-3"]
    assert [e.id for e in store.events.latest(10, "tariff")] == ["ev-3", "ev-4", "ev-1"]
    assert [e.id for e in store.events.latest(10, "export_control")] == ["ev-2", "ev-3"]
    assert store.events.latest(10, "no-such-topic") == []
    assert [e.id for e in store.events.all()] == ["ev-2", "ev-3", "ev-4", "ev-1"]
    assert store.events.count() == 4


def test_since_counts_first_seen_or_published(store):
    store.events.add(make_event(1, minutes=0))
    store.events.add(make_event(2, minutes=100))
    old_news = make_event(3, minutes=-5000, first_seen_at=T0 + timedelta(minutes=90))
    store.events.add(old_news)
    found = store.events.since(T0 + timedelta(minutes=60))
    assert {e.id for e in found} == {"ev-2", "ev-3"}
    assert store.events.since(T0 + timedelta(days=30)) == []


def test_find_by_key_uses_every_key(store):
    store.events.add(make_event(1))
    assert store.events.find_by_key("doc:2025-0001").id == "ev-1"
    assert store.events.find_by_key("https://gov.example/n/1").id == "ev-1"
    assert store.events.find_by_key("doc:missing") is None


def test_update_replaces_the_event_and_its_indexes(backend):
    events = backend.store.events
    events.add(make_event(1, minutes=10))
    events.add(make_event(2, minutes=20))
    report = Report("wire", "Wire", "Widgets again", "https://wire.example/1", T0)
    changed = replace(make_event(1, minutes=40, topics=("export_control",), keys=("doc:new",)),
                      reports=make_event(1).reports + (report,), updated_at=T0)
    events.update(changed)
    for store in (backend.store, backend.reopen()):
        assert store.events.get("ev-1") == changed
        assert store.events.count() == 2
        assert [e.id for e in store.events.latest(5)] == ["ev-1", "ev-2"]
        assert [e.id for e in store.events.latest(5, "tariff")] == ["ev-2"]
        assert store.events.find_by_key("doc:new").id == "ev-1"
        assert store.events.find_by_key("doc:2025-0001") is None


def test_unnotified_lists_alert_events_not_handed_off_in_the_order_of_all(backend):
    store = backend.store
    for n, more in enumerate([{}, {"notified": True}, {"alert": False}, {}, {}]):
        store.events.add(make_event(n, **more))
    store.events.update(replace(store.events.get("ev-3"), notified=True))
    store.events.prune(T0 + timedelta(minutes=0.5))                  # ev-0 goes
    expected = [e.id for e in store.events.all() if e.alert and not e.notified]
    assert [e.id for e in store.events.unnotified()] == expected == ["ev-4"]
    store = backend.reopen()
    assert [e.id for e in store.events.unnotified()] == ["ev-4"]


def test_events_prune_by_when(store):
    for n in range(5):
        store.events.add(make_event(n, minutes=n * 60))
    assert store.events.prune(T0 + timedelta(minutes=150)) == 3
    assert [e.id for e in store.events.all()] == ["ev-4", "ev-3"]
    assert store.events.find_by_key("doc:2025-0001") is None
    assert store.events.latest(5, "tariff")[-1].id == "ev-3"


# ---------------------------------------------------------------- seen items, source states

def test_seen_items_per_source(backend):
    seen = backend.store.seen
    seen.add_many("a", ["k1", "k2", "k2"], T0)
    seen.add_many("b", ["k1"], T0 + timedelta(days=2))
    seen.add_many("a", ["k1", "k3"], T0 + timedelta(days=2))    # k1 keeps its first-seen time
    for store in (backend.store, backend.reopen()):
        assert store.seen.has("a", "k1") and store.seen.has("b", "k1")
        assert not store.seen.has("b", "k2")
        assert (store.seen.count(), store.seen.count("a"), store.seen.count("b")) == (4, 3, 1)
    store = backend.store
    assert store.seen.prune(T0 + timedelta(days=1)) == 2
    assert not store.seen.has("a", "k1") and store.seen.has("a", "k3")
    assert (store.seen.count(), store.seen.count("a")) == (2, 1)


def test_source_states(backend):
    assert backend.store.sources.get("new") == SourceState(source_id="new")
    state = SourceState("fr", etag="W/1", last_success=T0, consecutive_failures=2, next_due=T0)
    backend.store.sources.put(state)
    backend.store.sources.put(SourceState("mofcom", baseline_done=True))
    store = backend.reopen()
    assert store.sources.get("fr") == state
    assert set(store.sources.all()) == {"fr", "mofcom"}
    assert store.sources.all()["mofcom"].baseline_done is True


# ---------------------------------------------------------------- subscribers

def test_subscribers_keep_id_types_and_filters(backend):
    subs = backend.store.subscribers
    subs.put(Subscriber(123, countries=("CN",), created_at=T0, title="Ann"))
    subs.put(Subscriber("@tradechannel", chat_type="channel"))
    subs.put(Subscriber(-100777, chat_type="supergroup", active=False))
    store = backend.reopen()
    assert store.subscribers.get(123).chat_id == 123
    assert store.subscribers.get(123).countries == ("CN",)
    assert store.subscribers.get("@tradechannel").chat_id == "@tradechannel"
    assert store.subscribers.get(999) is None
    assert sorted(str(s.chat_id) for s in store.subscribers.active()) == ["123", "@tradechannel"]
    assert (store.subscribers.count(), store.subscribers.count(active_only=True)) == (3, 2)


def test_every_subscriber_field_round_trips(backend):
    """Fields added to Subscriber (a time zone, reminders …) are stored by every backend with no
    schema change: each field gets a value other than its default and comes back as it went in."""
    samples = {"str": "x-value", "int": 3, "datetime": T0, "tuple[str,": ("CN", "EU")}
    values = {}
    for f in dataclasses.fields(Subscriber):
        first = f.type.split()[0]                 # "str", "bool", "int", "datetime", "tuple[str,", "int | str" → "int"
        if f.name != "chat_id" and (first in samples or first == "bool"):      # other types: add a sample
            values[f.name] = (not f.default) if first == "bool" else samples[first]
    subscriber = Subscriber(4242, **values)
    backend.store.subscribers.put(subscriber)
    assert backend.reopen().subscribers.get(4242) == subscriber


def test_subscriber_put_replaces_deactivate_and_migrate(backend):
    subs = backend.store.subscribers
    subs.put(Subscriber(1, topics=("tariff",)))
    subs.put(Subscriber(1, topics=("export_control",)))
    subs.put(Subscriber(-200, chat_type="group", title="Group"))
    subs.deactivate(1, "blocked")
    subs.deactivate(404, "kicked")                      # unknown: ignored
    subs.migrate(-200, -100200)
    store = backend.reopen()
    one = store.subscribers.get(1)
    assert (one.active, one.deactivated_reason, one.topics) == (False, "blocked", ("export_control",))
    assert store.subscribers.get(-200) is None
    moved = store.subscribers.get(-100200)
    assert (moved.chat_id, moved.title, moved.chat_type) == (-100200, "Group", "group")
    assert store.subscribers.count() == 2


# ---------------------------------------------------------------- deliveries

def test_enqueue_is_idempotent_and_pending_is_oldest_first(backend):
    d = backend.store.deliveries
    assert d.enqueue("ev-2", [1, "@chan", 1], T0 + timedelta(minutes=1)) == 2
    assert d.enqueue("ev-1", [1], T0) == 1
    store = backend.reopen()
    assert store.deliveries.enqueue("ev-2", [1, 2], T0 + timedelta(minutes=2)) == 1
    assert [(p.event_id, p.chat_id) for p in store.deliveries.pending()] == [
        ("ev-1", 1), ("ev-2", 1), ("ev-2", "@chan"), ("ev-2", 2)]
    assert store.deliveries.get("ev-2", "@chan").queued_at == T0 + timedelta(minutes=1)


def test_delivery_marks_update_in_place(backend):
    d = backend.store.deliveries
    d.enqueue("ev-1", [1, 2, 3], T0)
    d.mark_sending("ev-1", 1, T0)
    d.mark_sending("ev-1", 1, T0)
    d.mark_sent("ev-1", 1, message_id=55, now=T0 + timedelta(minutes=1))
    d.mark_failed("ev-1", 2, "RetryAfter 5", T0, final=False)
    d.mark_failed("ev-1", 3, "Forbidden", T0, final=True)
    d.mark_edited("ev-1", 1, reports=3)
    store = backend.reopen()
    sent = store.deliveries.get("ev-1", 1)
    assert (sent.status, sent.message_id, sent.attempts, sent.edited_reports) == ("sent", 55, 2, 3)
    assert sent.sent_at == T0 + timedelta(minutes=1)
    assert [(p.chat_id, p.error) for p in store.deliveries.pending()] == [(2, "RetryAfter 5")]
    assert store.deliveries.get("ev-1", 3).status == "failed"
    assert store.deliveries.stats() == {"pending": 1, "sent": 1, "failed": 1, "skipped": 0}
    assert store.deliveries.enqueue("ev-1", [1, 2, 3], T0) == 0


def test_mark_sent_without_enqueue_still_records(store):
    store.deliveries.mark_sent("ev-9", "@chan", 8, T0)
    assert store.deliveries.get("ev-9", "@chan").status == "sent"
    assert store.deliveries.enqueue("ev-9", ["@chan"], T0) == 0


def test_sent_for_with_since(store):
    d = store.deliveries
    d.enqueue("ev-1", [1, 2, 3], T0)
    d.enqueue("ev-2", [1], T0)
    d.mark_sent("ev-1", 1, 10, T0)
    d.mark_sent("ev-1", 2, 11, T0 + timedelta(hours=3))
    d.mark_sent("ev-2", 1, 12, T0)
    assert sorted(x.chat_id for x in d.sent_for("ev-1")) == [1, 2]
    assert [x.chat_id for x in d.sent_for("ev-1", since=T0 + timedelta(hours=1))] == [2]
    assert d.sent_for("ev-3") == []


def test_move_chat_moves_pending_and_keeps_sent(backend):
    d = backend.store.deliveries
    d.enqueue("ev-1", [-300], T0)
    d.enqueue("ev-2", [-300, 5], T0 + timedelta(minutes=1))
    d.mark_sent("ev-1", -300, 70, T0)
    d.move_chat(-300, -100300)
    store = backend.reopen()
    assert {(p.event_id, p.chat_id) for p in store.deliveries.pending()} == {("ev-2", -100300), ("ev-2", 5)}
    assert store.deliveries.get("ev-2", -300) is None
    assert [x.message_id for x in store.deliveries.sent_for("ev-1")] == [70]
    assert store.deliveries.enqueue("ev-2", [-100300], T0) == 0


def test_store_prune_counts_and_never_prunes_pending(backend):
    store = backend.store
    now = T0 + timedelta(days=200)
    store.events.add(make_event(1))                                   # old
    store.events.add(make_event(2, minutes=199 * 24 * 60))            # recent
    store.seen.add_many("s", ["old"], T0)
    store.seen.add_many("s", ["new"], now)
    store.deliveries.enqueue("ev-1", [1, 2], T0)
    store.deliveries.mark_sent("ev-1", 1, 3, T0)
    assert store.prune(now, retention_days=180) == {"events": 1, "seen": 1, "deliveries": 1}
    store = backend.reopen()
    assert [e.id for e in store.events.all()] == ["ev-2"]
    assert store.seen.has("s", "new") and not store.seen.has("s", "old")
    assert [(p.event_id, p.chat_id) for p in store.deliveries.pending()] == [("ev-1", 2)]
    assert store.prune(now, retention_days=180) == {"events": 0, "seen": 0, "deliveries": 0}


# ---------------------------------------------------------------- durable files

def fill(store, n: int = 5) -> None:
    for i in range(n):
        store.events.add(make_event(i))
    store.seen.add_many("s", [f"k{i}" for i in range(n)], T0)
    store.subscribers.put(Subscriber("@c"))
    store.deliveries.enqueue("ev-0", [1, 2], T0)


def assert_filled(store, n: int = 5) -> None:
    assert store.events.count() == n and store.events.latest(1)[0].id == f"ev-{n - 1}"
    assert store.seen.count("s") == n
    assert store.subscribers.get("@c") is not None
    assert len(store.deliveries.pending()) == 2


def test_reopen_after_compaction(db_path):
    with open_store(db_path, min_compact_bytes=2000) as store:     # compacts as it goes
        fill(store, 30)
        assert b"ev-20" in db_path.read_bytes()                   # the snapshot was rewritten
        store.compact()
        assert db_path.with_suffix(".journal").stat().st_size == 0
        store.events.add(make_event(99, minutes=-1))           # in the journal after compaction
    with open_store(db_path) as store:
        assert store.events.count() == 31 and store.events.get("ev-99") is not None
        assert store.seen.count("s") == 30 and len(store.deliveries.pending()) == 2


def test_a_write_appends_instead_of_rewriting_the_snapshot(db_path):
    with open_store(db_path) as store:
        before = db_path.read_bytes()
        journal = db_path.with_suffix(".journal")
        size = journal.stat().st_size
        store.events.add(make_event(1))
        assert db_path.read_bytes() == before
        assert journal.stat().st_size > size


def test_an_unclosed_store_loses_nothing(tmp_path, db_path):
    store = open_store(db_path)
    fill(store)
    crashed = tmp_path / "crashed"
    shutil.copytree(db_path.parent, crashed)              # the files as a crash would leave them
    try:
        with open_store(crashed / db_path.name) as copy:
            assert_filled(copy)
    finally:
        store.close()


def test_a_torn_last_journal_line_is_ignored_and_the_rest_kept(db_path):
    with open_store(db_path) as store:
        fill(store)
    journal = db_path.with_suffix(".journal")
    with open(journal, "ab") as f:
        f.write(b'{"t":"events","put":{"ev-torn":{"id":"ev-to')
    with open_store(db_path) as store:
        assert_filled(store)
        assert store.events.get("ev-torn") is None
        store.events.add(make_event(7))                 # appends after the cut, not onto the tail
    assert not journal.read_bytes().endswith(b"ev-to")
    with open_store(db_path) as store:
        assert store.events.get("ev-7") is not None and store.events.count() == 6


@pytest.mark.parametrize("content, what", [
    (b"{not json at all", "not valid JSON"),
    (b'["a", "list"]\n', "not the TradeWatch header"),
    (b'{"_default": {"1": {"a": 1}}}\n', "format marker"),
    (b'{"format": "tradewatch-db", "version": 99}\n', "version 99"),
    (b'{"format": "tradewatch-db", "version": 1}\n{"t": "events", "put": [1]}\n', "line 2"),
    (b"", "empty"),
], ids=["garbage", "not-a-dict", "other-json", "newer-version", "bad-line", "empty"])
def test_a_corrupt_snapshot_raises_and_is_left_byte_identical(db_path, content, what):
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(content)
    with pytest.raises(CorruptDatabaseError) as err:
        open_store(db_path)
    message = str(err.value)
    assert str(db_path) in message and what in message and "untouched" in message
    assert db_path.read_bytes() == content
    assert not db_path.with_suffix(".journal").exists()
    with pytest.raises(CorruptDatabaseError):           # the lock was released: it fails the same way
        open_store(db_path)


def test_a_snapshot_document_that_is_not_json_raises_at_open(db_path):
    with open_store(db_path) as store:
        fill(store)
        store.compact()
    snapshot = db_path.read_bytes()
    broken = snapshot.replace(b'{"id":"ev-3",', b'{"id":"ev-3",,', 1)
    assert broken != snapshot
    db_path.write_bytes(broken)
    with pytest.raises(CorruptDatabaseError, match="ev-3.*not valid JSON") as err:
        open_store(db_path)
    assert "untouched" in str(err.value) and db_path.read_bytes() == broken


def test_snapshot_keys_with_escapes_and_seen_counts_survive_reopening(db_path):
    with open_store(db_path) as store:
        store.seen.add_many("s", ['k"1', "k\\2", "中文", "k\x1f4"], T0)
        store.seen.add_many("t", ["x"], T0)
        store.compact()
    with open_store(db_path) as store:
        assert store.seen.count("s") == 4 and store.seen.count("t") == 1 and store.seen.count() == 5
        assert all(store.seen.has("s", k) for k in ('k"1', "k\\2", "中文", "k\x1f4"))


def test_long_documents_stay_on_disk_and_read_back_through_compactions(db_path):
    from storage.tables import Stored

    def on_disk(store) -> int:
        return sum(isinstance(p, Stored) for p in store._db.table("events").raw().values())

    with open_store(db_path, min_compact_bytes=6000) as store:             # compacts as it goes
        for i in range(40):
            store.events.add(make_event(i, summary=f"Notice {i}: " + "a change in duty rates. " * 20))
        store.events.update(replace(store.events.get("ev-3"), title="Duty on widgets changed"))
        assert on_disk(store) == 40                    # in the snapshot or in the journal
        assert store.events.get("ev-3").title == "Duty on widgets changed" and store.events.count() == 40
        store.subscribers.put(Subscriber("@c"))        # short documents stay in memory
        assert not isinstance(store._db.table("subscribers").raw()["@c"], Stored)
    with open_store(db_path) as store:
        assert on_disk(store) == 40 and store.events.get("ev-3").title == "Duty on widgets changed"
        store.compact()
        store.events.add(make_event(40, summary="x" * 500))
        assert [e.id for e in store.events.latest(3)] == ["ev-40", "ev-39", "ev-38"]
        assert store.events.get("ev-39").summary.startswith("Notice 39: a change")
    with open_store(db_path, read_only=True) as view:
        assert on_disk(view) == 0 and view.events.count() == 41


def test_a_bad_journal_line_before_the_last_raises(db_path):
    with open_store(db_path) as store:
        fill(store)
    journal = db_path.with_suffix(".journal")
    lines = journal.read_bytes().split(b"\n")
    lines[1] = b"garbage"
    broken = b"\n".join(lines)
    journal.write_bytes(broken)
    snapshot = db_path.read_bytes()
    with pytest.raises(CorruptDatabaseError, match="line 2"):
        open_store(db_path)
    assert journal.read_bytes() == broken and db_path.read_bytes() == snapshot


def test_a_journal_without_its_snapshot_raises(db_path):
    with open_store(db_path) as store:
        fill(store)
    db_path.unlink()
    with pytest.raises(CorruptDatabaseError, match="missing"):
        open_store(db_path)
    assert not db_path.exists()


def test_an_unreadable_snapshot_raises(db_path, monkeypatch):
    with open_store(db_path) as store:
        fill(store)
    real_open = open

    def refuse(path, *args, **kwargs):               # chmod 0 is no obstacle when tests run as root
        if Path(path) == db_path:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("storage.files.open", refuse, raising=False)
    with pytest.raises(CorruptDatabaseError, match="permission denied") as err:
        open_store(db_path)
    assert str(db_path) in str(err.value)


def test_a_second_open_of_the_same_data_dir_is_refused(db_path):
    first = open_store(db_path)
    assert (db_path.parent / "tradewatch.lock").exists()
    try:
        with pytest.raises(StorageError, match="another TradeWatch is running with DATA_DIR"):
            open_store(db_path)
    finally:
        first.close()
    with open_store(db_path) as again:                  # released on close
        assert again.events.count() == 0


def test_a_crash_mid_compaction_leaves_a_temp_file_that_is_ignored(db_path):
    with open_store(db_path) as store:
        fill(store)
    tmp = db_path.with_name(db_path.name + ".tmp")
    tmp.write_bytes(b'{"format":"tradewatch-db","version":1}\n{"t":"events","pu')
    with open_store(db_path) as store:
        assert_filled(store)
    assert not tmp.exists()


def test_a_crash_between_new_snapshot_and_journal_reset_replays_harmlessly(tmp_path, db_path):
    with open_store(db_path) as store:
        fill(store)
        store.events.update(replace(make_event(1), title="changed"))
        store.deliveries.mark_sent("ev-0", 1, 5, T0)
        store.events.prune(T0 + timedelta(minutes=1))            # ev-0 goes
        store.flush()
        old_journal = db_path.with_suffix(".journal").read_bytes()
        store.compact()
    db_path.with_suffix(".journal").write_bytes(old_journal)       # as if the reset never happened
    with open_store(db_path) as store:
        assert store.events.count() == 4 and store.events.get("ev-0") is None
        assert store.events.get("ev-1").title == "changed"
        assert store.deliveries.stats() == {"pending": 1, "sent": 1, "failed": 0, "skipped": 0}
        assert store.seen.count() == 5


def test_writes_after_close_are_refused(db_path):
    store = open_store(db_path)
    store.close()
    store.close()
    with pytest.raises(StorageError):
        store.events.add(make_event(1))


def test_an_update_never_clears_the_notified_mark(backend):
    """Issue 9 #1 at the storage depth: once handed off, an event stays handed off, whatever copy
    of it a later update was built from."""
    store = backend.store
    store.events.add(make_event(1))
    store.events.update(replace(make_event(1), notified=True))
    stale = replace(make_event(1), title="Duty on widgets number 1 raised, again", notified=False)
    store.events.update(stale)
    assert store.events.get("ev-1").notified
    assert backend.reopen().events.get("ev-1").notified
    assert store.events.get("ev-1").title.endswith("again")


def test_a_report_is_stored_once_per_event_source_and_item_key(backend):
    """Issue 15 #6: a pass rerun after kill -9 joined the same item to its event a second time."""
    store = backend.store
    first = replace(make_event(1).reports[0], item_key="guid-1")
    store.events.add(replace(make_event(1), reports=(first,)))
    assert store.events.has_report("gov-notices", "guid-1") and not store.events.has_report("gov-notices", "guid-2")
    again = replace(first, seen_at=first.seen_at + timedelta(hours=1))
    other = Report("wire", "Wire", "Widgets duty raised", "https://wire.example/1", T0, "news", item_key="w-1")
    # An update from a copy that lacks the first report's key, repeating it, plus a new report.
    stale = replace(first, item_key="")
    store.events.update(replace(make_event(1), reports=(stale, again, other)))
    for s in (store, backend.reopen()):
        reports = s.events.get("ev-1").reports
        assert [(r.source_id, r.item_key) for r in reports] == [("gov-notices", "guid-1"), ("wire", "w-1")]
        assert s.events.has_report("wire", "w-1")
    backend.store.events.prune(T0 + timedelta(days=1))
    assert not backend.store.events.has_report("wire", "w-1")


def test_a_read_only_view_reads_a_locked_database_and_writes_nothing(tmp_path):
    """Issue 9 #8: `bot.py sources` refused while `run` held the database."""
    path = tmp_path / "data" / "tradewatch.json"
    with open_store(path) as running:
        running.sources.put(SourceState("fr-bis", consecutive_failures=2, last_error="timeout: slow"))
        running.events.add(make_event(1))
        before = {p.name: p.read_bytes() for p in path.parent.iterdir()}
        view = open_store(path, read_only=True)
        assert view.sources.get("fr-bis").last_error == "timeout: slow" and view.events.count() == 1
        with pytest.raises(StorageError, match="read-only"):
            view.events.add(make_event(2))
        view.close()
        assert {p.name: p.read_bytes() for p in path.parent.iterdir()} == before
        # A line being appended (no newline yet) is left out; the writer's next line completes it.
        with open(path.with_suffix(".journal"), "ab") as journal:
            journal.write(b'{"t":"sources","put":{"x":{"source_id":"x"')
            assert open_store(path, read_only=True).sources.get("fr-bis").consecutive_failures == 2
        running.compact()
        assert open_store(path, read_only=True).events.count() == 1


def test_a_read_only_view_of_no_database_is_empty_and_creates_nothing(tmp_path):
    view = open_store(tmp_path / "none" / "tradewatch.json", read_only=True)
    assert view.sources.all() == {} and not (tmp_path / "none").exists()


def test_a_read_only_view_reads_again_when_the_snapshot_is_replaced_meanwhile(tmp_path, monkeypatch):
    import storage.files as files_module
    path = tmp_path / "tradewatch.json"
    with open_store(path) as running:
        running.events.add(make_event(1))
        real, calls = files_module.read_journal, []

        def compacting_meanwhile(journal, tables):
            calls.append(journal)
            if len(calls) == 1:                 # the writer compacts between snapshot and journal
                running.events.add(make_event(2))
                running.compact()
            return real(journal, tables)

        monkeypatch.setattr(files_module, "read_journal", compacting_meanwhile)
        assert open_store(path, read_only=True).events.count() == 2 and len(calls) == 2


def refuse_new_files(monkeypatch, directory: Path) -> None:
    """DATA_DIR as `chmod a-w` leaves it for a non-root user: existing files stay writable, no new
    file can be made (a snapshot is written as a new file). Root ignores the mode bits, so the
    tests fake it at the OS call."""
    import errno
    import os as os_module
    import storage.files as files_module
    real = os_module.open

    def guarded(path, flags, *args, **kwargs):
        if flags & os_module.O_CREAT and Path(path).parent == directory and not Path(path).exists():
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(files_module.os, "open", guarded)


def test_a_populated_data_dir_that_takes_no_new_files_is_refused_at_start_up(tmp_path, monkeypatch):
    """Issue 15 #9: it kept running while every compaction failed and the journal grew."""
    path = tmp_path / "data" / "tradewatch.json"
    with open_store(path) as store:
        store.events.add(make_event(1))
    refuse_new_files(monkeypatch, path.parent)
    with pytest.raises(StorageError) as err:
        open_store(path)
    assert f"DATA_DIR {path.parent} is not writable (Permission denied)" in str(err.value)
    assert "\n" not in str(err.value)
    monkeypatch.undo()
    with open_store(path) as store:                                # the lock was released
        assert store.events.count() == 1


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root writes into read-only directories")
def test_a_read_only_data_dir_is_refused_at_start_up(tmp_path):
    path = tmp_path / "data" / "tradewatch.json"
    open_store(path).close()
    path.parent.chmod(0o555)
    try:
        with pytest.raises(StorageError, match="not writable"):
            open_store(path)
    finally:
        path.parent.chmod(0o755)


def test_compaction_that_fails_later_is_reported_once_and_resumes_when_writable(tmp_path, monkeypatch, caplog):
    import storage.files as files_module
    from storage.journal import PROBE_EVERY
    path = tmp_path / "data" / "tradewatch.json"
    store = open_store(path, min_compact_bytes=4096)
    attempts = []
    real_snapshot = files_module.write_snapshot
    monkeypatch.setattr(files_module, "write_snapshot", lambda *a, **k: attempts.append(1) or real_snapshot(*a, **k))
    real_open = files_module.os.open
    refuse_new_files(monkeypatch, path.parent)
    for n in range(PROBE_EVERY - 10):
        store.sources.put(SourceState(f"source-{n}", last_error="x" * 40))
    failures = [r for r in caplog.records if "compaction failed" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is None and len(attempts) == 1
    assert "compaction paused" in failures[0].getMessage()
    assert path.with_suffix(".journal").stat().st_size > 4096 * 4      # every change kept
    monkeypatch.setattr(files_module.os, "open", real_open)          # writable again
    for n in range(PROBE_EVERY):         # probed once within these, then compacted
        store.sources.put(SourceState(f"later-{n}"))
    assert len(attempts) >= 2 and any("compaction resumes" in r.getMessage() for r in caplog.records)
    assert len([r for r in caplog.records if "compaction failed" in r.getMessage()]) == 1
    store.close()
    assert len(open_store(path, read_only=True).sources.all()) == PROBE_EVERY - 10 + PROBE_EVERY
