"""The vocabulary every stage speaks: sources, fetched items, events, subscribers, deliveries.

All are dataclasses; datetimes are always timezone-aware (UTC unless a source says otherwise,
Chinese sources keep +08:00). Storage turns them into documents and back; nothing else sees dicts.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

TOPICS = ("tariff", "export_control")
DATE_KINDS = ("effective_on", "comments_close_on")   # the dates an event can state, as Event fields
DELIVERY_KINDS = ("alert", "edit", "reminder", "digest")
AUTHORITIES = ("official", "news")


@dataclass(frozen=True)
class Source:
    """One catalog entry: where to look and how to read it."""

    id: str
    name: str
    kind: str
    url: str
    authority: str = "news"
    country: str = ""
    lang: str = "en"
    every: timedelta = timedelta(minutes=15)
    enabled: bool = True
    select: Mapping[str, str] = field(default_factory=dict)
    # Optional: only keep items whose title matches this regular expression (e.g. CSMS bulletins).
    title_filter: str = ""
    # Optional: the page that link resolution should use instead of `url` (the MOFCOM API answers
    # with root-relative links of the www site).
    base_url: str = ""
    note: str = ""
    # Optional: this source's host may resolve to private and loopback addresses (a source on the
    # operator's own network, a test server); link-local and metadata addresses stay refused.
    allow_private: bool = False

    @property
    def is_official(self) -> bool:
        return self.authority == "official"


@dataclass(frozen=True)
class Item:
    """One entry as a source published it, before any understanding."""

    source_id: str
    key: str                     # stable per-source identity: guid, document number, canonical URL
    title: str
    url: str
    published_at: datetime | None = None   # aware; None when the source gives no date
    published_raw: str = ""                # the date label exactly as the source wrote it
    summary: str = ""
    lang: str = "en"
    doc_number: str | None = None          # e.g. Federal Register "2026-17231", 商务部公告2025年第61号
    extra: Mapping[str, Any] = field(default_factory=dict)  # kind-specific: type, agencies, pdf_url …


@dataclass(frozen=True)
class FetchError:
    """Why a fetch or parse gave no items. `kind` is one of FetchError.KINDS."""

    KINDS = ("timeout", "network", "http_4xx", "http_5xx", "rate_limited", "too_large",
             "parse", "empty", "structure_changed", "internal",   # internal: an exception of ours
             "blocked_address")

    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass(frozen=True)
class FetchResult:
    """What one conditional GET produced: a body, "not modified", or an error value."""

    url: str
    status: int | None = None
    body: bytes = b""
    content_type: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error: FetchError | None = None
    retry_after: float | None = None   # seconds, from a Retry-After header
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class SourceState:
    """What TradeWatch remembers about a source between passes."""

    source_id: str
    etag: str | None = None
    last_modified: str | None = None
    last_check: datetime | None = None
    last_success: datetime | None = None
    last_new_item: datetime | None = None
    last_error: str | None = None        # "kind: message"
    last_error_at: datetime | None = None
    failing_since: datetime | None = None
    consecutive_failures: int = 0
    next_due: datetime | None = None
    last_item_count: int = 0             # items parsed on the last successful non-304 pass
    baseline_done: bool = False          # first pass stored as a baseline, not alerted
    skipped_items: int = 0               # items that could not be understood, skipped for good
    last_item_error: str | None = None   # "item key: ExceptionType: message" of the latest
    last_item_error_at: datetime | None = None

    @property
    def is_failing(self) -> bool:
        return self.consecutive_failures > 0


@dataclass(frozen=True)
class Report:
    """One outlet's item merged into an event."""

    source_id: str
    source_name: str
    title: str
    url: str
    seen_at: datetime
    authority: str = "news"
    item_key: str = ""                   # the item's key in its source: a report is stored once per
                                         # (event, source, item key), however often a pass is rerun

    @property
    def identity(self) -> tuple[str, ...]:
        """What makes two reports the same report (title and URL for those stored before item keys)."""
        return (self.source_id, self.item_key) if self.item_key else (self.source_id, self.url, self.title)


@dataclass(frozen=True)
class DateChange:
    """A later report that moved one of an event's dates (said in the alert's edit)."""

    kind: str                            # one of DATE_KINDS
    old: str                             # ISO dates
    new: str
    source_name: str = ""                # the outlet whose report moved it
    at: datetime | None = None


@dataclass(frozen=True)
class Event:
    """One real-world announcement, however many items reported it."""

    id: str
    title: str
    url: str
    source_id: str
    source_name: str
    authority: str
    lang: str
    topics: tuple[str, ...]
    countries: tuple[str, ...] = ()
    rates: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    doc_number: str | None = None
    published_at: datetime | None = None
    first_seen_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    summary: str = ""
    reports: tuple[Report, ...] = ()
    # Understanding kept for dedupe and explanations.
    actors: tuple[str, ...] = ()         # countries that act
    targets: tuple[str, ...] = ()        # countries targeted
    keys: tuple[str, ...] = ()           # stable keys: doc numbers, canonical URLs, guids
    effective_on: str | None = None      # ISO date when stated
    reasons: tuple[str, ...] = ()        # which rules matched
    updated_at: datetime | None = None   # last time a report joined
    alert: bool = True                   # False for events stored from a first-start baseline
    notified: bool = False               # handed to delivery (its outbox owns it from then on)
    comments_close_on: str | None = None  # ISO date public comments close (Federal Register), when stated
    date_changes: tuple[DateChange, ...] = ()   # dates moved by later reports, oldest first
    # The dedupe profiles of its titles, kept so the window loads without reading them again
    # (tradewatch.understand.profiles; a cache: not compared, and recomputed when stale or absent).
    profiles: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def when(self) -> datetime:
        return self.published_at or self.first_seen_at

    def dates(self) -> tuple[tuple[str, date], ...]:
        """(kind, date) for each of DATE_KINDS the event states as a valid ISO date."""
        found = []
        for kind in DATE_KINDS:
            try:
                found.append((kind, date.fromisoformat(getattr(self, kind) or "")))
            except ValueError:
                continue
        return tuple(found)

    def with_report(self, report: Report, now: datetime) -> "Event":
        return replace(self, reports=self.reports + (report,), updated_at=now)


def zone_named(name: str) -> tzinfo | None:
    """The zone of an IANA name ("Europe/Berlin"), UTC for "UTC", None when there is no such zone
    or the name is not one (a path, too long)."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return None
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


@dataclass(frozen=True)
class Subscriber:
    """A chat that receives alerts, with its filters."""

    chat_id: int | str
    chat_type: str = "private"           # private | group | supergroup | channel
    active: bool = True
    topics: tuple[str, ...] = TOPICS     # which topics to receive
    countries: tuple[str, ...] = ()      # empty = all countries
    official_only: bool = False
    muted_until: datetime | None = None
    created_at: datetime | None = None
    deactivated_reason: str | None = None
    title: str = ""                      # user or chat name, for /stats
    timezone: str = "UTC"                # IANA name, set by /timezone
    remind_days: int | None = None       # /remind; None = off
    # Alert rules (tradewatch.deliver.rules; commands in handlers/rules.py). Records written before
    # these fields existed load with the defaults: no rules, single alerts.
    keywords: tuple[str, ...] = ()       # /keywords: alert only when one of these phrases occurs
    excludes: tuple[str, ...] = ()       # /exclude: never alert when one of these phrases occurs
    products: tuple[str, ...] = ()       # /products: canonical product names and HS/HTS prefixes (digits)
    watch: tuple[str, ...] = ()          # /watch: company or entity names; a match alerts anyway
    quiet: str = ""                      # /quiet: "HH:MM-HH:MM" in `timezone`; "" = never quiet
    digest_at: str = ""                  # /digest: "HH:MM" in `timezone`; "" = single alerts
    held: tuple[str, ...] = ()           # event ids held for the next digest (quiet hours, digest mode)
    digests: tuple[tuple[str, ...], ...] = ()  # digests made, until sent: (digest id, event id, …)
    digest_done: str = ""                # the period the last digest was made for (its id)

    @property
    def zone(self) -> tzinfo:
        """The chat's time zone (`/timezone`); UTC when the name is empty, unknown or malformed."""
        return zone_named(self.timezone) or UTC

    @property
    def has_rules(self) -> bool:
        """Whether an alert here says what matched (any filter beyond the topics)."""
        return bool(self.keywords or self.excludes or self.products or self.watch or self.countries)

    def is_muted(self, now: datetime) -> bool:
        return self.muted_until is not None and self.muted_until > now

    def wants(self, event: Event, now: datetime) -> bool:
        """Whether this subscriber's filters accept the event right now."""
        if not self.active or self.is_muted(now):
            return False
        if not set(event.topics) & set(self.topics):
            return False
        if self.official_only and event.authority != "official":
            return False
        if self.countries and not set(self.countries) & set(event.countries):
            return False
        return True


@dataclass(frozen=True)
class Delivery:
    """One (event, chat) delivery in the outbox."""

    event_id: str
    chat_id: int | str
    status: str = "pending"              # pending | sent | failed | skipped
    message_id: int | None = None
    attempts: int = 0
    queued_at: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = None
    edited_reports: int = 0              # how many reports the sent message shows
    kind: str = "alert"                  # one of DELIVERY_KINDS (records written before kinds are alerts)

    @property
    def subject_id(self) -> str:
        """The event this delivery is about (a reminder's outbox id also names its date)."""
        return self.event_id.partition(REMINDER_SEP)[0]


REMINDER_SEP = "#"


def reminder_id(event_id: str, date_kind: str, on: str) -> str:
    """The outbox id of a reminder: once per (event, chat, kind of date), and again if the date moves."""
    return f"{event_id}{REMINDER_SEP}{date_kind}@{on}"


def parse_reminder_id(outbox_id: str) -> tuple[str, str, str] | None:
    """(event id, date kind, ISO date) of a reminder's outbox id; None for any other id."""
    event_id, sep, rest = outbox_id.partition(REMINDER_SEP)
    kind, at, on = rest.partition("@")
    return (event_id, kind, on) if sep and at and kind in DATE_KINDS else None
