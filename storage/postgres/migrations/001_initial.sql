-- TradeWatch schema 1: every model as a JSONB document written by storage/codec.py, with real
-- columns only for what a query filters or orders by, so a new dataclass field needs no migration.

CREATE TABLE tw_seen (
    source_id text NOT NULL,
    key       text NOT NULL,
    seen_at   timestamptz NOT NULL,
    PRIMARY KEY (source_id, key)
);
CREATE INDEX tw_seen_seen_at ON tw_seen (seen_at);                 -- retention

CREATE SEQUENCE tw_event_arrival;
CREATE TABLE tw_events (
    id        text PRIMARY KEY,
    when_at   timestamptz NOT NULL,        -- published, else first seen (Event.when)
    recent_at timestamptz NOT NULL,        -- the later of first seen and when (the dedupe window)
    arrival   bigint NOT NULL DEFAULT nextval('tw_event_arrival'),   -- ties: the later write first
    topics    text[] NOT NULL DEFAULT '{}',
    doc       jsonb NOT NULL
);
CREATE INDEX tw_events_newest ON tw_events (when_at DESC, arrival DESC);   -- /latest, /search, retention
CREATE INDEX tw_events_recent ON tw_events (recent_at);                     -- the dedupe window
CREATE INDEX tw_events_topics ON tw_events USING gin (topics);              -- /latest topic

-- Every stable key of an event (the first event stored with a key keeps it), and every report's
-- (source, item key), so find_by_key and has_report are one index lookup.
CREATE TABLE tw_event_keys (
    key      text PRIMARY KEY,
    event_id text NOT NULL REFERENCES tw_events (id) ON DELETE CASCADE
);
CREATE INDEX tw_event_keys_event ON tw_event_keys (event_id);
CREATE TABLE tw_event_reports (
    source_id text NOT NULL,
    item_key  text NOT NULL,
    event_id  text NOT NULL REFERENCES tw_events (id) ON DELETE CASCADE,
    PRIMARY KEY (source_id, item_key)
);
CREATE INDEX tw_event_reports_event ON tw_event_reports (event_id);

CREATE TABLE tw_source_states (
    source_id text PRIMARY KEY,
    doc       jsonb NOT NULL
);

CREATE TABLE tw_subscribers (
    chat_key text PRIMARY KEY,             -- str(chat_id); the document keeps the id as given
    active   boolean NOT NULL,
    doc      jsonb NOT NULL
);
CREATE INDEX tw_subscribers_active ON tw_subscribers (chat_key) WHERE active;

-- The outbox. A pending delivery may be claimed by one process (claimed_by) until claimed_until:
-- a process killed mid-broadcast leaves its claims to the others once the lease is over.
CREATE TABLE tw_deliveries (
    event_id      text NOT NULL,
    chat_key      text NOT NULL,
    seq           bigint GENERATED ALWAYS AS IDENTITY,   -- queue order among equal queued_at
    status        text NOT NULL,
    queued_at     timestamptz,
    touched_at    timestamptz,             -- sent, else queued (retention)
    claimed_by    text,
    claimed_until timestamptz,
    doc           jsonb NOT NULL,
    PRIMARY KEY (event_id, chat_key)
);
CREATE INDEX tw_deliveries_pending ON tw_deliveries (queued_at, seq) WHERE status = 'pending';
CREATE INDEX tw_deliveries_chat ON tw_deliveries (chat_key);
CREATE INDEX tw_deliveries_done ON tw_deliveries (touched_at) WHERE status <> 'pending';
