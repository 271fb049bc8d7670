"""The health and metrics endpoints on TW_HTTP_ADDR (aiohttp, on the bot's event loop).

`/healthz` answers 200 "ok" when the service's loop is alive (the Application and its JobQueue
run: `alive()`) and the store answers, 503 with the reason otherwise, for a load balancer, Docker's
HEALTHCHECK or a supervisor. `/metrics` is the Prometheus text format of tradewatch.deliver.metrics.
Started in bot.py's post_init, stopped in post_shutdown; off when TW_HTTP_ADDR is empty.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tradewatch.deliver import metrics

log = logging.getLogger(__name__)


class HealthServer:
    def __init__(self, services: Any, address: str, alive: Callable[[], bool]):
        self.services = services
        self.host, _, port = address.rpartition(":")
        self.port = int(port)
        self.alive = alive
        self._runner: web.AppRunner | None = None

    def health(self) -> tuple[int, str]:
        """(status, text): 200 ok, or 503 and what is wrong."""
        if not self.alive():
            return 503, "not running"
        try:
            store_ok = self.services.store.is_alive()
        except Exception as exc:  # noqa: BLE001 (a health check reports, it never raises)
            return 503, f"store: {type(exc).__name__}: {exc}"
        return (200, "ok") if store_ok else (503, "store does not answer")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host or None, self.port)
        await site.start()
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        status, text = self.health()
        return web.Response(status=status, text=text + "\n")

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = generate_latest(metrics.of(self.services).registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
