"""Typed settings, declared once with defaults and help, read once from the environment and `.env`.

`SETTINGS` is the single table of every setting: `.env.example` and the README are kept in step
with it by a test. `load_settings()` returns a frozen `Settings`; a bad value raises ConfigError
naming the setting and what is wrong (bot.py turns that into exit code 2): a number that is not
one, not finite, outside its range, or not whole where a count is meant; a `.env` line that
cannot be parsed, or a `.env` that cannot be read. A key that looks like a setting but is none
(`TELEGRAM_TOKEN`, any unknown `TELEGRAM_*`/`TW_*`, any unknown key in `.env`) is ignored with
one warning line naming the closest known setting.
"""
from __future__ import annotations

import difflib
import io
import math
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from dotenv import dotenv_values
from dotenv.parser import parse_stream

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
    Spec("TELEGRAM_WEBHOOK_URL", "", "Public HTTPS URL Telegram posts updates to (webhook mode, needed for several processes); "
         "empty = long polling."),
    Spec("TELEGRAM_WEBHOOK_SECRET", "", "Secret token Telegram sends with every webhook request (1-256 of A-Z a-z 0-9 _ -); "
         "empty = derived from the bot token, the same in every process."),
    Spec("TW_LISTEN", "0.0.0.0:8443", "host:port the webhook server listens on (webhook mode only)."),
    Spec("TW_HTTP_ADDR", "", "host:port for /healthz and /metrics (Prometheus); empty = off."),
    Spec("ADMIN_IDS", "", "Comma-separated Telegram user ids allowed to use /stats and /broadcast; they are also told when a source fails or recovers."),
    Spec("SOURCES_FILE", "sources.toml", "The sources catalog to use."),
    Spec("DATA_DIR", "./data", "Where the database lives (created if missing)."),
    Spec("DATABASE_URL", "", "postgresql://user:password@host:port/dbname to keep everything in PostgreSQL "
         "(several processes may share it); empty = the embedded database in DATA_DIR."),
    Spec("TW_CLAIM_LEASE_SECONDS", "60", "PostgreSQL only: how long a process holds the deliveries it claimed; "
         "a process that dies leaves them to the others after this."),
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
    Spec("TW_POLL_TIMEOUT", "10", "Long-polling timeout for getUpdates, in whole seconds."),
    Spec("TW_HEARTBEAT_MINUTES", "60", "How often `run` logs a heartbeat line: sources ok and failing, deliveries pending."),
)
OUR_PREFIXES = ("TELEGRAM_", "TW_")      # environment keys that can only be meant for TradeWatch


@dataclass(frozen=True)
class Settings:
    telegram_bot_token: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    telegram_proxy: str = ""
    telegram_channel: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""
    tw_listen: str = "0.0.0.0:8443"
    tw_http_addr: str = ""
    admin_ids: frozenset[int] = frozenset()
    sources_file: Path = Path("sources.toml")
    data_dir: Path = Path("./data")
    database_url: str = ""
    tw_claim_lease_seconds: float = 60.0
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
    tw_poll_timeout: int = 10
    tw_heartbeat_minutes: float = 60.0

    @property
    def console_mode(self) -> bool:
        return not self.telegram_bot_token


def _number(high: float, whole: bool = False) -> Callable[[str], float]:
    """A converter to a finite number greater than 0 and at most `high` (a whole one with `whole`)."""
    def convert(raw: str) -> float:
        if whole:
            if not re.fullmatch(r"[+-]?\d+", raw):
                raise ValueError("must be a whole number" + (" (digits only)" if _is_float(raw) else ""))
            value: float = int(raw)
        else:
            if not _is_float(raw) or not math.isfinite(float(raw)):
                raise ValueError("must be a number" + (" (not nan or inf)" if _is_float(raw) else ""))
            value = float(raw)
        if value <= 0:
            raise ValueError("must be greater than 0")
        if value > high:
            raise ValueError(f"must be at most {high:g}")
        return value
    return convert


def _is_float(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True


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


def _address(raw: str) -> str:
    """host:port with a port from 1 to 65535 ("" passes: off)."""
    if raw:
        host, _, port = raw.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, such as 127.0.0.1:9100")
    return raw


def _secret(raw: str) -> str:
    if raw and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
        raise ValueError("must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -")
    return raw


def _database_url(raw: str) -> str:
    if raw and not re.match(r"postgres(ql)?://", raw):
        raise ValueError("must be a postgresql:// URL (postgresql://user:password@host:5432/dbname), or empty")
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
    "TELEGRAM_WEBHOOK_URL": lambda raw: raw and _url(raw),
    "TELEGRAM_WEBHOOK_SECRET": _secret,
    "TW_LISTEN": _address,
    "TW_HTTP_ADDR": _address,
    "ADMIN_IDS": _admin_ids,
    "SOURCES_FILE": Path,
    "DATA_DIR": Path,
    "DATABASE_URL": _database_url,
    "TW_CLAIM_LEASE_SECONDS": _number(24 * 3600),
    "LOG_LEVEL": _log_level,
    "DEDUPE_WINDOW_DAYS": _number(365),
    "RETENTION_DAYS": _number(3650),
    "HTTP_TIMEOUT": _number(600),
    "HTTP_MAX_BYTES": _number(1_000_000_000, whole=True),
    "HTTP_PER_HOST": _number(100, whole=True),
    "HTTP_USER_AGENT": str,
    "BACKOFF_MAX_MINUTES": _number(7 * 24 * 60),
    "TW_RATE_OVERALL": _number(1000),
    "TW_RATE_GROUP": _number(1000),
    "TW_EDIT_HOURS": _number(24 * 365),
    "TW_POLL_TIMEOUT": _number(300, whole=True),
    "TW_HEARTBEAT_MINUTES": _number(7 * 24 * 60),
}


def load_settings(environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env",
                  warn: Callable[[str], None] | None = None) -> Settings:
    """Read every setting once: the process environment wins over `.env`, which wins over defaults.
    Keys that look like settings but are none are reported through `warn` (default: stderr)."""
    warn = warn or _warn_on_stderr
    environ = os.environ if environ is None else environ
    values: dict[str, str] = {}
    if env_file and Path(env_file).exists():
        from_file = read_env_file(Path(env_file))
        _warn_unknown(from_file, str(env_file), warn, every_key=True)
        values.update(from_file)
    _warn_unknown(environ, "the environment", warn, every_key=False)
    values.update(environ)
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
            raise ConfigError(f"setting {spec.name}={shown(spec.name, raw)}: {reason}") from None
    return Settings(**kwargs)


SECRETS = ("TOKEN", "SECRET", "PASSWORD", "DATABASE_URL")


def shown(name: str, raw: str) -> str:
    """A setting's value as an error message may show it: a secret only by its length and first
    characters, so a bad token pasted into .env does not end up in logs."""
    if any(word in name for word in SECRETS) and len(raw) > 4:
        return f"{raw[:4]!r}… ({len(raw)} characters, hidden)"
    return repr(raw)


def read_env_file(path: Path) -> dict[str, str]:
    """The `.env` file's values; ConfigError naming the line that cannot be parsed, or the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ConfigError(f"settings file {path} cannot be read: {why}") from None
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            line = binding.original.string.strip()
            raise ConfigError(f"settings file {path}, line {binding.original.line}: cannot be parsed "
                              f"({line[:60]!r}); expected NAME=value") from None
    return {k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v is not None}


def _warn_unknown(values: Mapping[str, str], origin: str, warn: Callable[[str], None], *, every_key: bool) -> None:
    names = [spec.name for spec in SETTINGS]
    for key in sorted(values):
        if key in CONVERTERS or not (every_key or key.upper().startswith(OUR_PREFIXES)):
            continue
        close = difflib.get_close_matches(key.upper(), names, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        warn(f"{origin}: {key} is not a TradeWatch setting and is ignored{hint}")


def _warn_on_stderr(text: str) -> None:
    print(f"TradeWatch: warning: {text}", file=sys.stderr, flush=True)
