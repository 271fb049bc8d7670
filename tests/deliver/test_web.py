"""Health and metrics (tradewatch.deliver.web, tradewatch.deliver.metrics): the verdicts of
/healthz, and what a pass and a send add to /metrics, served over real HTTP on 127.0.0.1."""
from __future__ import annotations

import socket

import aiohttp

from storage import open_store
from tradewatch.deliver import metrics
from tradewatch.deliver.web import HealthServer
from tradewatch.models import FetchError, Source, Subscriber
from tradewatch.pipeline import PassResult
from tradewatch.services import Services
from tradewatch.settings import Settings

SOURCE = Source("wire", "Wire", "rss", "https://wire.example/rss")


class DeadStore:
    def is_alive(self) -> bool:
        return False


def services(store=None) -> Services:
    return Services(settings=Settings(), store=store or open_store(None), sources=[SOURCE])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_verdicts():
    assert HealthServer(services(), "127.0.0.1:1", alive=lambda: True).health() == (200, "ok")
    assert HealthServer(services(), "127.0.0.1:1", alive=lambda: False).health() == (503, "not running")
    assert HealthServer(services(DeadStore()), "127.0.0.1:1", alive=lambda: True).health() == (503, "store does not answer")


def test_a_pass_and_sends_are_counted():
    svc = services()
    m = metrics.of(svc)
    assert metrics.of(svc) is m
    m.count_pass(PassResult(SOURCE, items=7, elapsed=0.3))
    m.count_pass(PassResult(SOURCE, error=FetchError("timeout", "slow"), elapsed=20))
    m.count_failure("Forbidden: bot was blocked by the user", final=True)
    value = m.registry.get_sample_value
    assert value("tradewatch_items_fetched_total", {"source": "wire"}) == 7
    assert value("tradewatch_source_failures_total", {"source": "wire", "kind": "timeout"}) == 1
    assert value("tradewatch_delivery_failures_total", {"kind": "Forbidden", "final": "true"}) == 1
    assert value("tradewatch_fetch_seconds_count", {"source": "wire"}) == 2


async def test_the_endpoints_over_http():
    svc = services()
    svc.store.deliveries.enqueue("ev-1", [1, 2], svc.clock())
    svc.store.subscribers.put(Subscriber(1))
    running = [True]
    port = free_port()
    server = HealthServer(svc, f"127.0.0.1:{port}", alive=lambda: running[0])
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                assert (answer.status, await answer.text()) == (200, "ok\n")
            async with http.get(f"http://127.0.0.1:{port}/metrics") as answer:
                text = await answer.text()
                assert answer.status == 200 and answer.content_type == "text/plain"
                assert "tradewatch_deliveries_pending 2.0" in text
            running[0] = False
            async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                assert answer.status == 503
    finally:
        await server.stop()
