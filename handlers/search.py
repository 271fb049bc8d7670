"""/search words: fuzzy search over stored event titles and summaries, best matches first.

Each query word is matched against the text with rapidfuzz's partial_ratio (after lower-casing
and stripping punctuation, since rapidfuzz 3 does no preprocessing by default) and the scores are
averaged, so word order does not matter, a word may be a prefix ("tarif"), and Chinese queries
without spaces work. Matches below SCORE_CUTOFF are dropped; ties keep the newest first.
"""
from __future__ import annotations

import asyncio
from typing import Sequence

from rapidfuzz import fuzz, process, utils
from telegram import Update

from handlers import views
from handlers.common import Context, reply, services_of
from tradewatch.models import Event
from tradewatch.deliver.render import esc, render_list

SCORE_CUTOFF = 80
MAX_RESULTS = 10
SUMMARY_CHARS = 500


def _score(query: str, text: str, **_: object) -> float:
    words = query.split()
    return sum(fuzz.partial_ratio(word, text) for word in words) / len(words) if words else 0.0


def rank(events: Sequence[Event], query: str, limit: int = MAX_RESULTS) -> list[Event]:
    """The events that match the query best, best first (pure)."""
    texts = {i: f"{e.title} {e.summary[:SUMMARY_CHARS]}" for i, e in enumerate(events)}
    found = process.extract(query, texts, scorer=_score, processor=utils.default_process,
                            limit=limit, score_cutoff=SCORE_CUTOFF)
    return [events[i] for _, _, i in sorted(found, key=lambda f: (-f[1], f[2]))]


async def search(update: Update, context: Context) -> None:
    query = " ".join(context.args).strip()
    if len(query) < 2:
        await reply(update, views.usage("search"))
        return
    events = services_of(context).store.events.all()
    found = await asyncio.to_thread(rank, events, query)
    if not found:
        await reply(update, f"No stored events match “{esc(query, 100)}”.")
        return
    await reply(update, render_list(found, f"<b>Search: {esc(query, 100)}</b>"))
