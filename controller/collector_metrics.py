"""Prometheus metrics of the collector's own health (prometheus-client).

Each collector registers its metrics in a registry of its own, so several
collectors (tests, a server embedding one) never clash in the global one.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class CollectorMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.polls = Counter(
            "netsla_collector_polls",
            "Polls of one metric group of one device, by outcome.",
            ["device", "group", "outcome"],
            registry=self.registry,
        )
        self.poll_seconds = Histogram(
            "netsla_collector_poll_duration_seconds",
            "Duration of one poll of one metric group of one device.",
            ["group"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "netsla_collector_requests_in_flight",
            "Polls in progress (bounded by the collector's limit).",
            registry=self.registry,
        )
        self.samples = Counter(
            "netsla_collector_samples_written",
            "Samples written to the store.",
            registry=self.registry,
        )
        self.store_errors = Counter(
            "netsla_collector_store_errors",
            "Batches the store refused (their samples are lost).",
            registry=self.registry,
        )
        self.device_up = Gauge(
            "netsla_collector_device_up",
            "1 when the device's last heartbeat poll succeeded, else 0.",
            ["device"],
            registry=self.registry,
        )
