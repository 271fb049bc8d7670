"""The long-lived services one running TradeWatch shares, built once in bot.py and injected.

Handlers reach them through `context.application.bot_data["services"]`; the pipeline and delivery
take them as arguments. Tests build their own with a fixed clock, a memory store and a local server.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from storage.api import Store
from tradewatch.models import UTC, Source
from tradewatch.settings import Settings


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    store: Store
    sources: list[Source]
    fetcher: Any = None                      # tradewatch.ingest.fetch.Fetcher; None where nothing is fetched
    clock: Callable[[], datetime] = utcnow
    started_at: datetime = field(default_factory=utcnow)
    bot_username: str = ""
    metrics: Any = None                      # tradewatch.deliver.metrics.Metrics, made on first use

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    async def aclose(self) -> None:
        """Close the HTTP client and the store (flushed to disk)."""
        if self.fetcher is not None:
            await self.fetcher.aclose()
        self.store.close()
