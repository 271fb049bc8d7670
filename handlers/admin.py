"""Operator commands (ADMIN_IDS only): /stats and /broadcast; everyone else gets a polite refusal."""
from __future__ import annotations

from telegram import Update

from handlers import views
from handlers.common import Context, deliverer_of, is_operator, reply, services_of


async def stats(update: Update, context: Context) -> None:
    if not is_operator(update, context):
        await reply(update, views.ADMINS_ONLY)
        return
    services = services_of(context)
    store = services.store
    failing = [source_id for source_id, state in store.sources.all().items() if state.is_failing]
    await reply(update, views.stats_text(store.subscribers.count(active_only=True), store.subscribers.count(),
                                         store.events.count(), store.deliveries.stats(), failing,
                                         services.started_at))


async def broadcast(update: Update, context: Context) -> None:
    if not is_operator(update, context):
        await reply(update, views.ADMINS_ONLY)
        return
    text = (update.effective_message.text or "").partition(" ")[2].strip()
    if not text:
        await reply(update, views.usage("broadcast"))
        return
    count = services_of(context).store.subscribers.count(active_only=True)
    await reply(update, f"📣 Broadcasting to {count} chats…")
    context.application.create_task(_broadcast(update, context, text), update=update)


async def _broadcast(update: Update, context: Context, text: str) -> None:
    """Runs beside update processing: a rate-limited broadcast can take minutes."""
    sent, failed = await deliverer_of(context).broadcast_text(text)
    await reply(update, f"📣 Broadcast done: {sent} sent, {failed} failed.")
