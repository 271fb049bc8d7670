"""Looking back: /latest, /tariffs, /exports (newest first) and /sources (each source's health)."""
from __future__ import annotations

from typing import Awaitable, Callable

from telegram import Update

from handlers import views
from handlers.common import Context, parse_number, reply, services_of
from tradewatch.deliver.render import pack, render_list, render_source_status


def lister(command: str, topic: str | None, title: str) -> Callable[[Update, Context], Awaitable[None]]:
    """A handler listing the newest N events (of one topic, when given)."""
    async def list_events(update: Update, context: Context) -> None:
        count = parse_number(context.args, default=5, low=1, high=20)
        if count is None:
            await reply(update, views.usage(command))
            return
        events = services_of(context).store.events.latest(count, topic)
        await reply(update, render_list(events, f"<b>{title}</b>") if events else views.NOTHING_YET)
    list_events.__name__ = command
    return list_events


latest = lister("latest", None, "Latest events")
tariffs = lister("tariffs", "tariff", "Latest tariff events")
exports = lister("exports", "export_control", "Latest export-control events")


async def sources(update: Update, context: Context) -> None:
    services = services_of(context)
    if not services.sources:
        await reply(update, "No sources are configured.")
        return
    states = services.store.sources.all()
    now = services.clock()
    blocks = [render_source_status(s, states.get(s.id), now) for s in services.sources]
    await reply(update, pack(blocks, header=views.sources_header(services.sources, states)))
