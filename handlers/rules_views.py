"""What the rule commands say: usage lines, the /filters summary and the rule buttons of /settings.

Pure functions of a Subscriber; all dynamic text is HTML-escaped.
"""
from __future__ import annotations

from typing import Sequence

from telegram import InlineKeyboardButton

from tradewatch.deliver.render import MAX_TEXT, esc, visible_len
from tradewatch.models import Subscriber

# command → (Subscriber field, how the list is called)
LISTS = {"keywords": ("keywords", "Keywords"), "exclude": ("excludes", "Excluded"),
         "products": ("products", "Products"), "watch": ("watch", "Watchlist")}
USAGE = {
    "keywords": "/keywords add WORDS[, WORDS…] · /keywords remove WORDS[, …] · /keywords to list",
    "exclude": "/exclude add WORDS[, WORDS…] · /exclude remove WORDS[, …] · /exclude to list",
    "products": "/products add NAME or HS code[, …] (e.g. semiconductors, 稀土, 8541) · /products remove … · /products",
    "watch": "/watch add NAME[, NAME…] (companies, entities) · /watch remove NAME[, …] · /watch to list",
    "timezone": "/timezone Area/City — an IANA name, e.g. /timezone Europe/Berlin (default UTC)",
    "quiet": "/quiet HH:MM-HH:MM · /quiet off — e.g. /quiet 22:00-07:00, in this chat's /timezone",
    "digest": "/digest HH:MM · /digest off — one message a day at that local time instead of single alerts",
    "manage": "/manage @channel · /manage off — change a channel's rules from this private chat",
}
DEFAULT_QUIET = "22:00-07:00"
DEFAULT_DIGEST = "08:00"


def usage(command: str, problem: str = "") -> str:
    return (f"{esc(problem[:200])}\n" if problem else "") + f"Usage: {esc(USAGE[command])}"


def shown(command: str, entry: str) -> str:
    return f"HS {entry}" if command == "products" and entry.isdigit() else entry


def list_text(subscriber: Subscriber, command: str) -> str:
    field, name = LISTS[command]
    entries = getattr(subscriber, field)
    if not entries:
        return f"{name}: none. {esc(USAGE[command])}"
    return f"<b>{name}</b> ({len(entries)}): " + ", ".join(esc(shown(command, e)) for e in entries)


def filters_text(subscriber: Subscriber) -> str:
    """This chat's rules in one message, each with the command that removes it."""
    lines = ["<b>Alert rules of this chat</b>",
             f"Topics: {esc(', '.join(subscriber.topics))} — /settings",
             f"Countries: {esc(', '.join(subscriber.countries) or 'all')}" + (" — /settings" if subscriber.countries else ""),
             f"Sources: {'official only — /settings' if subscriber.official_only else 'official and news'}"]
    for command, (field, name) in LISTS.items():
        for entry in getattr(subscriber, field):
            lines.append(f"{name}: {esc(shown(command, entry))} — /{command} remove {esc(entry)}")
    lines.append(f"Time zone: {esc(subscriber.timezone)}" + (" — /timezone UTC" if subscriber.timezone != "UTC" else ""))
    if subscriber.quiet:
        lines.append(f"Quiet hours: {esc(subscriber.quiet)} — /quiet off")
    if subscriber.digest_at:
        lines.append(f"Daily digest at {esc(subscriber.digest_at)} — /digest off")
    if subscriber.held:
        lines.append(f"Held for the next digest: {len(subscriber.held)} event{'s' * (len(subscriber.held) != 1)}")
    if not subscriber.has_rules:
        lines.append("No keyword, product, watchlist or country rules: every event of your topics is sent.")
    return _fit(lines)


def _fit(lines: Sequence[str]) -> str:
    text = lines[0]
    for index, line in enumerate(lines[1:], 1):
        candidate = f"{text}\n{line}"
        if visible_len(candidate) > MAX_TEXT - 80:
            return f"{text}\n… and {len(lines) - index} more lines: /keywords, /exclude, /products, /watch list each"
        text = candidate
    return text


def settings_lines(subscriber: Subscriber) -> str:
    quiet = subscriber.quiet or "off"
    digest = subscriber.digest_at or "off"
    counts = ", ".join(f"{len(getattr(subscriber, f))} {n.lower()}" for f, n in LISTS.values())
    return f"Rules: {counts} — /filters\nTime zone {esc(subscriber.timezone)} · quiet {esc(quiet)} · digest {esc(digest)}"


def rule_rows(subscriber: Subscriber) -> list[list[InlineKeyboardButton]]:
    """Buttons for /settings: quiet hours and digest on/off, and clearing each rule list."""
    quiet = f"🌙 Quiet {subscriber.quiet or DEFAULT_QUIET}: {'on' if subscriber.quiet else 'off'}"
    digest = f"🗞 Digest {subscriber.digest_at or DEFAULT_DIGEST}: {'on' if subscriber.digest_at else 'off'}"
    clears = [InlineKeyboardButton(f"✖ {name} ({len(getattr(subscriber, field))})", callback_data=f"set:clear:{command}")
              for command, (field, name) in LISTS.items() if getattr(subscriber, field)]
    rows = [[InlineKeyboardButton(quiet, callback_data="set:quiet"), InlineKeyboardButton(digest, callback_data="set:digest")]]
    return rows + [clears[i:i + 2] for i in range(0, len(clears), 2)]
