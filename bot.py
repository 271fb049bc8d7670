"""TradeWatch's composition root and command line.

settings → storage → HTTP fetcher → (Telegram Application with handlers, delivery and the
JobQueue) → run. Nothing else wires things together. Commands:

    python bot.py run                 the service: Telegram bot with a token, console mode without
    python bot.py once [--json]       one pass over every enabled source now, print new events
    python bot.py sources [--check]   list the catalog; --check fetches each source once
    python bot.py replay FILE.jsonl   classify and dedupe recorded items, one JSON line per item
    python bot.py export events|deliveries [--since YYYY-MM-DD] [--format csv|jsonl]
                                      the record on stdout; reads while `run` runs
    python bot.py db upgrade          create or migrate the PostgreSQL schema (DATABASE_URL)
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from tradewatch.errors import ConfigError, StorageError
from tradewatch.settings import Settings, load_settings

log = logging.getLogger("tradewatch")
DB_FILE = "tradewatch.json"


class RedactingFormatter(logging.Formatter):
    """Log lines, tracebacks included, with the bot token's secret part replaced."""

    def __init__(self, fmt: str, datefmt: str, token: str = ""):
        super().__init__(fmt, datefmt)
        secret = token.partition(":")[2]
        self._secrets = [s for s in (token, secret if len(secret) >= 16 else "") if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text


def _without_network_traceback(record: logging.LogRecord) -> bool:
    """PTB logs a rejected token, and each failed try to reach Telegram, with a traceback; one line
    says it (_run_telegram explains a rejected token)."""
    if record.exc_info and record.exc_info[1] is not None:
        from telegram.error import InvalidToken, NetworkError
        error = record.exc_info[1]
        if isinstance(error, (InvalidToken, NetworkError)):
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args, record.exc_info, record.exc_text = None, None, None
    return True


def setup_logging(level: str, token: str = "") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                                            "%Y-%m-%d %H:%M:%S", token))
    handler.addFilter(_without_network_traceback)
    logging.basicConfig(level=level, handlers=[handler])
    # httpx logs every request URL at INFO, and the Bot API URL contains the token.
    for noisy in ("httpx", "httpcore", "apscheduler", "telegram.ext.Application"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def open_services(settings: Settings, *, with_fetcher: bool = True, read_only: bool = False):
    """Build the shared services: catalog, store (read-only: no lock) and fetcher. Raises ConfigError / StorageError."""
    from tradewatch.ingest.catalog import load_catalog
    from tradewatch.services import Services

    sources = load_catalog(settings.sources_file)
    store = open_configured_store(settings, read_only=read_only)
    fetcher = None
    if with_fetcher:
        from tradewatch.ingest.fetch import Fetcher
        fetcher = Fetcher.from_settings(settings, sources=sources)
    return Services(settings=settings, store=store, sources=sources, fetcher=fetcher)


def open_configured_store(settings: Settings, *, read_only: bool = False):
    """PostgreSQL when DATABASE_URL is set (schema migrated first), else the embedded database in DATA_DIR."""
    if settings.database_url:
        from datetime import timedelta

        from storage.postgres import open_postgres
        return open_postgres(settings.database_url, lease=timedelta(seconds=settings.tw_claim_lease_seconds))
    from storage import open_store
    return open_store(Path(settings.data_dir) / DB_FILE, read_only=read_only)


def cmd_db(settings: Settings, action: str) -> int:
    """`db upgrade`: apply the PostgreSQL migrations not applied yet (start-up does it too)."""
    if not settings.database_url:
        print("TradeWatch: db upgrade needs DATABASE_URL=postgresql://…; the embedded database needs no "
              "migration", file=sys.stderr)
        return 2
    from storage.postgres import redact, upgrade
    applied, version = upgrade(settings.database_url)
    done = f"applied migration{'s' * (len(applied) != 1)} {', '.join(map(str, applied))}" if applied else "already up to date"
    print(f"TradeWatch: {redact(settings.database_url)}: {done}; schema version {version}")
    return 0


def build_application(services):
    """The Telegram Application: HTML defaults, no link previews, handlers, delivery, jobs."""
    from telegram import LinkPreviewOptions
    from telegram.constants import ParseMode
    from telegram.ext import Application, Defaults

    import handlers
    from tradewatch import jobs
    from tradewatch.deliver import chart, records
    from tradewatch.deliver.outbox import Deliverer
    from tradewatch.deliver.reminders import Reminders
    from tradewatch.deliver.transport import FanoutRequest, PollingRequest

    settings = services.settings
    api = settings.telegram_api_url
    proxy = settings.telegram_proxy or None     # None: HTTPS_PROXY / HTTP_PROXY from the environment
    requests = (FanoutRequest(proxy=proxy),     # aiohttp transport: fan-out at up to 1,000 msgs/s
                PollingRequest(connection_pool_size=1, proxy=proxy))
    defaults = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
    app = (Application.builder().token(settings.telegram_bot_token)
           .base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")
           .defaults(defaults).concurrent_updates(False)
           .request(requests[0]).get_updates_request(requests[1])
           .post_init(_post_init).post_shutdown(_post_shutdown).build())
    app.bot_data["requests"] = requests
    app.bot_data["services"] = services
    router = build_router(services)
    app.bot_data["rules"] = router.rules
    app.bot_data["deliverer"] = deliverer = Deliverer(app.bot, services, router=router)
    app.bot_data["reminders"] = Reminders(services, deliverer)
    app.bot_data["records"], app.bot_data["chart"] = records, chart
    app.bot_data["jobs"] = jobs
    handlers.register(app)
    return app


def build_router(services):
    """Alert rules with the bilingual product vocabulary, and full texts of official list documents
    fetched for watchlist matching (delivery imports neither understanding nor ingest: wired here)."""
    from tradewatch.deliver.products import ProductCatalog
    from tradewatch.deliver.route import Router
    from tradewatch.deliver.rules import Rules
    from tradewatch.ingest.fulltext import fetch_full_text, is_list_document
    from tradewatch.understand import vocabulary

    async def fulltext(event):
        source = services.source(event.source_id)
        if services.fetcher is None or not is_list_document(event, source):
            return None
        return await fetch_full_text(services.fetcher, source, event)

    rules = Rules(ProductCatalog.of(vocabulary.PRODUCTS, vocabulary.UMBRELLAS))
    return Router(services.store, rules, fulltext=fulltext)


DIGEST_TICK = 30          # seconds between looks for digests that are due


async def _post_init(app) -> None:
    from handlers import COMMANDS

    services = app.bot_data["services"]
    services.bot_username = app.bot.username or ""
    await set_command_menu(app.bot, COMMANDS)
    deliverer = app.bot_data["deliverer"]
    problem = await deliverer.check_channel()
    if problem:
        log.error("channel: %s", problem)
        print(f"TradeWatch: channel problem: {problem} (subscribers are still served)", file=sys.stderr)
    tell = deliverer.tell_admins if services.settings.admin_ids else None
    reminders = app.bot_data["reminders"]
    app.bot_data["jobs"].schedule_all(app.job_queue, services, reminders.notify, tell, deliverer.retry_pending)
    schedule_reminders(app.job_queue, reminders)
    enabled = sum(s.enabled for s in services.sources)
    print(f"TradeWatch: running as @{services.bot_username}, watching {enabled} source{'s' * (enabled != 1)}. Ctrl-C stops.",
          file=sys.stderr, flush=True)
    app.job_queue.run_once(lambda _ctx: deliverer.resume(), when=0, name="resume-deliveries")
    app.job_queue.run_repeating(lambda _ctx: deliverer.digest_tick(), interval=DIGEST_TICK, first=DIGEST_TICK,
                                name="digests", job_kwargs={"max_instances": 1, "coalesce": True})
    if services.settings.tw_http_addr:
        from tradewatch.deliver.web import HealthServer
        health = HealthServer(services, services.settings.tw_http_addr,
                              alive=lambda: app.running and app.job_queue.scheduler.running)
        await health.start()
        app.bot_data["health"] = health


def schedule_reminders(job_queue, reminders) -> None:
    """The reminder job: looks every TICK, does work only when a reminder is due or things changed."""
    from tradewatch.deliver.reminders import TICK

    job_queue.run_repeating(reminders.tick, interval=TICK, first=TICK, name="reminders",
                            job_kwargs={"max_instances": 1, "coalesce": True})


async def set_command_menu(bot, commands) -> bool:
    """setMyCommands. The menu is a nicety: when Telegram refuses it (any error), say so in one
    line and go on; the commands work without it."""
    from tradewatch.deliver.sender import describe

    try:
        await bot.set_my_commands(commands)
    except Exception as exc:    # noqa: BLE001 (never a reason not to start)
        log.warning("command menu not set (setMyCommands: %s); the commands still work", describe(exc))
        return False
    return True


async def _post_shutdown(app) -> None:
    if "health" in app.bot_data:
        await app.bot_data["health"].stop()
    await app.bot_data["services"].aclose()


def cmd_run(settings: Settings) -> int:
    services = open_services(settings)
    if settings.console_mode:
        from tradewatch import console
        return asyncio.run(console.run_forever(services))
    return _run_telegram(services)


def _run_telegram(services) -> int:
    """Run until a signal: exit 130 after SIGINT (Ctrl-C), 0 after SIGTERM (a supervisor's stop)."""
    from telegram.error import InvalidToken, NetworkError

    app = build_application(services)
    print(f"TradeWatch: connecting to the Telegram Bot API at {services.settings.telegram_api_url} "
          "(retried until it answers; LOG_LEVEL=DEBUG shows each try)", file=sys.stderr, flush=True)
    loop, stopped_by = asyncio.new_event_loop(), []
    asyncio.set_event_loop(loop)

    def stop(signum: int) -> None:      # what PTB's own stop signals do, remembering which one
        stopped_by.append(signum)
        raise SystemExit(128 + signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
    try:
        # bootstrap_retries=-1: while Telegram cannot be reached at start-up, keep trying (with
        # backoff) instead of exiting; a rejected token still stops at once.
        if services.settings.telegram_webhook_url:
            _run_webhook(app, services.settings)
        else:           # PTB's polling start-up deletes a webhook left from webhook mode first
            app.run_polling(timeout=int(services.settings.tw_poll_timeout), bootstrap_retries=-1,
                            drop_pending_updates=False, close_loop=False, stop_signals=None)
    except InvalidToken:
        print("TradeWatch: Telegram rejected TELEGRAM_BOT_TOKEN (InvalidToken): check the token "
              "from @BotFather and TELEGRAM_API_URL.", file=sys.stderr)
        services.store.close()
        return 2
    except NetworkError as exc:
        print(f"TradeWatch: cannot reach the Telegram Bot API at {services.settings.telegram_api_url}: "
              f"{exc}", file=sys.stderr)
        services.store.close()
        return 1
    finally:        # PTB leaves the transports open when start-up failed (a rejected token)
        loop.run_until_complete(asyncio.gather(*(r.shutdown() for r in app.bot_data["requests"])))
        loop.close()
    return 130 if signal.SIGINT in stopped_by else 0


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, or one derived from the bot token (the same in every process)."""
    import hashlib
    derived = hashlib.sha256(f"tradewatch-webhook:{settings.telegram_bot_token}".encode()).hexdigest()
    return settings.telegram_webhook_secret or derived


def _run_webhook(app, settings: Settings) -> None:
    """Webhook mode: setWebhook(TELEGRAM_WEBHOOK_URL, secret) at start-up, then serve TW_LISTEN.
    Requests without the secret token are refused with 403 (PTB's webhook handler)."""
    from urllib.parse import urlsplit

    host, _, port = settings.tw_listen.rpartition(":")
    print(f"TradeWatch: webhook mode: listening on {settings.tw_listen} for {settings.telegram_webhook_url}",
          file=sys.stderr, flush=True)
    app.run_webhook(listen=host, port=int(port), url_path=urlsplit(settings.telegram_webhook_url).path.lstrip("/"),
                    webhook_url=settings.telegram_webhook_url, secret_token=webhook_secret(settings),
                    bootstrap_retries=-1, drop_pending_updates=False, close_loop=False, stop_signals=None)


def cmd_once(settings: Settings, as_json: bool) -> int:
    from tradewatch import console
    services = open_services(settings)
    return asyncio.run(console.run_once(services, as_json=as_json))


def cmd_sources(settings: Settings, check: bool) -> int:
    from tradewatch import console
    services = open_services(settings, with_fetcher=check, read_only=True)
    return asyncio.run(console.list_sources(services, check=check))


def cmd_replay(settings: Settings, path: str) -> int:
    from datetime import timedelta

    from tradewatch import replay
    return replay.main(path, sys.stdout, sys.stderr, timedelta(days=settings.dedupe_window_days))


def cmd_export(settings: Settings, what: str, since: str | None, fmt: str) -> int:
    from tradewatch import console
    services = open_services(settings, with_fetcher=False, read_only=True)
    try:
        return console.export(services, what, since, fmt, sys.stdout, sys.stderr)
    finally:
        services.store.close()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bot.py", description="TradeWatch: tariff and export-control alerts.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the service (Telegram with a token, console mode without)")
    once = sub.add_parser("once", help="one pass over every enabled source now; print new events")
    once.add_argument("--json", action="store_true", help="one JSON object per line")
    sources = sub.add_parser("sources", help="list the sources catalog")
    sources.add_argument("--check", action="store_true", help="fetch each source once and report")
    replay = sub.add_parser("replay", help="classify and dedupe recorded items (JSONL)")
    replay.add_argument("file")
    export = sub.add_parser("export", help="write events or deliveries to stdout (CSV or JSON lines)")
    export.add_argument("what", choices=("events", "deliveries"))
    export.add_argument("--since", metavar="YYYY-MM-DD", help="only records from that day (UTC) on")
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="default csv")
    db = sub.add_parser("db", help="the PostgreSQL database (DATABASE_URL)")
    db.add_argument("action", choices=["upgrade"], help="upgrade: create or migrate the schema")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = load_settings()
        if args.command == "replay":
            return cmd_replay(settings, args.file)
        setup_logging(settings.log_level, settings.telegram_bot_token)
        if args.command == "run":
            return cmd_run(settings)
        if args.command == "once":
            return cmd_once(settings, args.json)
        if args.command == "export":
            return cmd_export(settings, args.what, args.since, args.format)
        if args.command == "db":
            return cmd_db(settings, args.action)
        return cmd_sources(settings, args.check)
    except (ConfigError, StorageError) as exc:
        print(f"TradeWatch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
