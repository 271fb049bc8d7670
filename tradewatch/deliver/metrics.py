"""Prometheus metrics of one TradeWatch process, counted where each result becomes visible.

Source passes are counted by `jobs.Watch.run` from their PassResult (items listed, new events,
failures by source and kind, fetch latency); alerts, edits and delivery failures by the outbox as
each send or edit settles; pending deliveries are read from the store at each scrape. `of(services)`
gives the process's Metrics (made on first use, kept on the Services), each with its own registry,
so tests and several services in one process never share counters. `web.py` serves them.
"""
from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60)


class Metrics:
    def __init__(self, services: Any):
        self.registry = CollectorRegistry()
        r = self.registry
        self.items = Counter("tradewatch_items_fetched", "Items listed by sources", ["source"], registry=r)
        self.events = Counter("tradewatch_events", "New events stored", ["alert"], registry=r)
        self.alerts = Counter("tradewatch_alerts_sent", "Alerts sent", registry=r)
        self.edits = Counter("tradewatch_edits_sent", "Alerts edited with a later report", registry=r)
        self.delivery_failures = Counter("tradewatch_delivery_failures", "Sends that did not go out, by kind",
                                         ["kind", "final"], registry=r)
        self.source_failures = Counter("tradewatch_source_failures", "Failed source passes",
                                       ["source", "kind"], registry=r)
        self.fetch_seconds = Histogram("tradewatch_fetch_seconds", "Duration of a source pass",
                                       ["source"], buckets=LATENCY_BUCKETS, registry=r)
        pending = Gauge("tradewatch_deliveries_pending", "Deliveries waiting in the outbox", registry=r)
        pending.set_function(lambda: services.store.deliveries.stats().get("pending", 0))

    def count_pass(self, result: Any) -> None:
        """One source pass (a PassResult that was not skipped)."""
        source = result.source.id
        self.fetch_seconds.labels(source).observe(result.elapsed)
        if result.error is not None:
            self.source_failures.labels(source, result.error.kind).inc()
            return
        self.items.labels(source).inc(result.items)
        for event in result.new:
            self.events.labels("true" if event.alert else "false").inc()

    def count_failure(self, error: str, final: bool) -> None:
        kind = error.split(":", 1)[0].strip()[:40] or "unknown"
        self.delivery_failures.labels(kind, "true" if final else "false").inc()


def of(services: Any) -> Metrics:
    """The Metrics of these services (made on first use)."""
    found = getattr(services, "metrics", None)
    if found is None:
        found = Metrics(services)
        services.metrics = found
    return found
