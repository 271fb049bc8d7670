"""Typed settings, declared once with defaults and help, read once from the environment and `.env`.

`SETTINGS` is the single table of every setting: `.env.example` and the README are kept in step
with it by a test. `load_settings()` returns a frozen `Settings`; a bad value raises ConfigError
naming the setting and what is wrong (bot.py turns that into exit code 2).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from dotenv import dotenv_values

from tradewatch.errors import ConfigError

LEVEL_NAMES = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Spec:
    name: str
    default: str
    help: str


SETTINGS: tuple[Spec, ...] = (
    Spec("TELEGRAM_BOT_TOKEN", "", "Bot token from @BotFather. Empty = console mode (alerts printed to the terminal)."),
    Spec("TELEGRAM_API_URL", "https://api.telegram.org", "Bot API server root; the bot calls {URL}/bot{TOKEN}/{method}."),
    Spec("TELEGRAM_PROXY", "", "Proxy for Bot API traffic (http://host:port); empty = HTTPS_PROXY/HTTP_PROXY from the environment, if set."),
    Spec("TELEGRAM_CHANNEL", "", "Channel to broadcast every event to: @name or -100… id. Empty = no channel."),
    Spec("ADMIN_IDS", "", "Comma-separated Telegram user ids allowed to use /stats and /broadcast; they are also told when a source fails or recovers."),
    Spec("SOURCES_FILE", "sources.toml", "The sources catalog to use."),
    Spec("DATA_DIR", "./data", "Where the database lives (created if missing)."),
    Spec("LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING, ERROR or CRITICAL."),
    Spec("DEDUPE_WINDOW_DAYS", "10", "How many days back a new item is compared with known events."),
    Spec("RETENTION_DAYS", "180", "Events, seen items and deliveries older than this are pruned."),
    Spec("HTTP_TIMEOUT", "20", "Seconds to wait for a source to connect and to answer."),
    Spec("HTTP_MAX_BYTES", "8000000", "Largest response body accepted from a source, in bytes."),
    Spec("HTTP_PER_HOST", "2", "How many requests may run at once against one host."),
    Spec("HTTP_USER_AGENT", "TradeWatch/0.1 (trade-policy alert service)",
         "User-Agent sent to every source."),
    Spec("BACKOFF_MAX_MINUTES", "360", "Longest wait before retrying a failing source."),
    Spec("TW_RATE_OVERALL", "30", "Telegram messages per second, all chats together (30 is Telegram's free limit)."),
    Spec("TW_RATE_GROUP", "20", "Telegram messages per minute to one group or channel."),
    Spec("TW_EDIT_HOURS", "48", "Alerts sent within this many hours are edited with 'Also reported by …'."),
    Spec("TW_POLL_TIMEOUT", "10", "Long-polling timeout for getUpdates, in seconds."),
)


@dataclass(frozen=True)
class Settings:
    telegram_bot_token: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    telegram_proxy: str = ""
    telegram_channel: str = ""
    admin_ids: frozenset[int] = frozenset()
    sources_file: Path = Path("sources.toml")
    data_dir: Path = Path("./data")
    log_level: str = "INFO"
    dedupe_window_days: float = 10.0
    retention_days: float = 180.0
    http_timeout: float = 20.0
    http_max_bytes: int = 8_000_000
    http_per_host: int = 2
    http_user_agent: str = "TradeWatch/0.1 (trade-policy alert service)"
    backoff_max_minutes: float = 360.0
    tw_rate_overall: float = 30.0
    tw_rate_group: float = 20.0
    tw_edit_hours: float = 48.0
    tw_poll_timeout: float = 10.0

    @property
    def console_mode(self) -> bool:
        return not self.telegram_bot_token


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def convert(raw: str) -> float:
        value = kind(raw)
        if value <= 0:
            raise ValueError("must be greater than 0")
        return value
    return convert


def _admin_ids(raw: str) -> frozenset[int]:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    bad = [p for p in parts if not re.fullmatch(r"-?\d+", p)]
    if bad:
        raise ValueError(f"not a numeric Telegram user id: {bad[0]!r}")
    return frozenset(int(p) for p in parts)


def _log_level(raw: str) -> str:
    if raw.upper() not in LEVEL_NAMES:
        raise ValueError(f"must be one of {', '.join(LEVEL_NAMES)}")
    return raw.upper()


def _url(raw: str) -> str:
    if not re.match(r"https?://[^/\s]+", raw):
        raise ValueError("must be an http(s) URL such as https://api.telegram.org")
    return raw.rstrip("/")


def _channel(raw: str) -> str:
    if raw and not re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{3,}|-100\d+", raw):
        raise ValueError("must be @channelname or a -100… numeric id")
    return raw


def _token(raw: str) -> str:
    if raw and not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", raw):
        raise ValueError("does not look like a bot token (digits:letters, from @BotFather)")
    return raw


CONVERTERS: Mapping[str, Callable[[str], object]] = {
    "TELEGRAM_BOT_TOKEN": _token,
    "TELEGRAM_API_URL": _url,
    "TELEGRAM_PROXY": lambda raw: raw and _url(raw),
    "TELEGRAM_CHANNEL": _channel,
    "ADMIN_IDS": _admin_ids,
    "SOURCES_FILE": Path,
    "DATA_DIR": Path,
    "LOG_LEVEL": _log_level,
    "DEDUPE_WINDOW_DAYS": _positive(float),
    "RETENTION_DAYS": _positive(float),
    "HTTP_TIMEOUT": _positive(float),
    "HTTP_MAX_BYTES": _positive(int),
    "HTTP_PER_HOST": _positive(int),
    "HTTP_USER_AGENT": str,
    "BACKOFF_MAX_MINUTES": _positive(float),
    "TW_RATE_OVERALL": _positive(float),
    "TW_RATE_GROUP": _positive(float),
    "TW_EDIT_HOURS": _positive(float),
    "TW_POLL_TIMEOUT": _positive(float),
}


def load_settings(environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
    """Read every setting once: the process environment wins over `.env`, which wins over defaults."""
    values: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    kwargs = {}
    for spec in SETTINGS:
        raw = values.get(spec.name, spec.default).strip()
        if raw == "" and spec.default != "":
            raw = spec.default
        try:
            kwargs[spec.name.lower()] = CONVERTERS[spec.name](raw)
        except ValueError as exc:
            reason = str(exc) if "invalid literal" not in str(exc) and "could not convert" not in str(exc) \
                else "must be a number"
            raise ConfigError(f"setting {spec.name}={raw!r}: {reason}") from None
    return Settings(**kwargs)
