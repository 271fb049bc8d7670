"""Quiet hours and daily digests in a chat's own time zone: parsing, "is it quiet now", periods.

A chat's `timezone` is an IANA name (Europe/Berlin, Asia/Shanghai; UTC by default), its `quiet`
window "HH:MM-HH:MM" (it may cross midnight: 22:00-07:00) and its `digest_at` "HH:MM". Times are
read in the chat's zone with zoneinfo, so daylight-saving changes move nothing by an hour. A
digest belongs to a period named by the moment it became due, in UTC — the end of the quiet
window, or the day's digest time — so the same period is never made twice (`due`). Pure
functions of the subscriber and a given time: no clock here.
"""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from tradewatch.models import UTC, Subscriber

HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
DIGEST = "digest:"


def parse_hhmm(text: str) -> time | None:
    match = HHMM.match(text.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def parse_window(text: str) -> tuple[time, time] | None:
    """"22:00-07:00" → (22:00, 07:00); None when malformed or empty (start equal to end)."""
    start, _, end = text.replace("–", "-").partition("-")
    first, last = parse_hhmm(start), parse_hhmm(end)
    return (first, last) if first is not None and last is not None and first != last else None


def local(subscriber: Subscriber, now: datetime) -> datetime:
    return now.astimezone(subscriber.zone)


def is_quiet(subscriber: Subscriber, now: datetime) -> bool:
    window = parse_window(subscriber.quiet) if subscriber.quiet else None
    if window is None:
        return False
    at, (start, end) = local(subscriber, now).time(), window
    return start <= at < end if start < end else (at >= start or at < end)


def holds(subscriber: Subscriber, now: datetime) -> bool:
    """Whether an alert for this chat waits for a digest now (quiet hours, or digest mode)."""
    return bool(subscriber.digest_at) or is_quiet(subscriber, now)


def _last(subscriber: Subscriber, now: datetime, at: time) -> datetime:
    """The latest moment ≤ now at local time `at`, in UTC."""
    here = local(subscriber, now)
    moment = datetime.combine(here.date(), at, tzinfo=here.tzinfo)
    if moment > here:
        moment = datetime.combine(here.date() - timedelta(days=1), at, tzinfo=here.tzinfo)
    return moment.astimezone(UTC)


def period_id(kind: str, moment: datetime) -> str:
    return f"{DIGEST}{kind}:{moment.astimezone(UTC):%Y-%m-%dT%H:%M}Z"


def current_daily(subscriber: Subscriber, now: datetime) -> str | None:
    """The id of the daily period that began last (None without digest mode)."""
    at = parse_hhmm(subscriber.digest_at) if subscriber.digest_at else None
    return None if at is None else period_id("daily", _last(subscriber, now, at))


def due(subscriber: Subscriber, now: datetime) -> str | None:
    """The id of the digest to make now for the events this chat holds, or None (nothing held,
    still quiet, or today's digest already made)."""
    if not subscriber.held or is_quiet(subscriber, now):
        return None
    if subscriber.digest_at:
        daily = current_daily(subscriber, now)
        return daily if daily is not None and daily != subscriber.digest_done else None
    window = parse_window(subscriber.quiet) if subscriber.quiet else None
    ended = period_id("quiet", _last(subscriber, now, window[1])) if window else period_id("held", now)
    return ended if ended != subscriber.digest_done else period_id("held", now)


def is_digest(delivery_id: str) -> bool:
    return delivery_id.startswith(DIGEST)
