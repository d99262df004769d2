"""``/metrics`` through ``prometheus_client``: a registry per app, one custom collector
that reads a fresh ``Metrics`` snapshot (from the database) on every scrape.

| metric | type | labels |
| --- | --- | --- |
| ``nacc_queue_length`` | gauge | |
| ``nacc_running_jobs`` | gauge | |
| ``nacc_utilization`` | gauge | ``accelerator`` |
| ``nacc_credits_spent_total`` | counter | |
| ``nacc_scheduler_up`` | gauge | |
| ``nacc_scheduler_heartbeat_age_seconds`` | gauge (only once a scheduler has beaten) | |
| ``nacc_scheduler_step_seconds`` | gauge (likewise) | |
| ``nacc_backend_up`` | gauge: 1 up, 0 down (failover), at the scheduler's last beat | ``backend`` |
| ``nacc_backends_down`` | gauge | |
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from nacc.service.reports import Metrics

MetricsSource = Callable[[], Metrics]


class NaccCollector(Collector):
    """Turns one ``Metrics`` snapshot into metric families, at each scrape."""

    def __init__(self, source: MetricsSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        m = self.source()
        yield _gauge("nacc_queue_length", "Jobs waiting to start.", m.queue_length)
        yield _gauge("nacc_running_jobs", "Jobs running now.", m.running_jobs)
        utilization = GaugeMetricFamily("nacc_utilization",
                                        "Busy share of accelerators, per type.",
                                        labels=["accelerator"])  # fmt: skip
        for accelerator, share in m.utilization.items():
            utilization.add_metric([accelerator], share)
        yield utilization
        yield CounterMetricFamily("nacc_credits_spent", "Credits charged for usage so far.",
                                  value=float(m.credits_spent))  # fmt: skip
        up = "Whether the live scheduler's heartbeat is fresh."
        yield _gauge("nacc_scheduler_up", up, int(m.scheduler_up))
        if m.heartbeat_age_s is not None:
            age = "Time since the scheduler's last beat."
            yield _gauge("nacc_scheduler_heartbeat_age_seconds", age, m.heartbeat_age_s)
        if m.step_s is not None:
            step = "Duration of the scheduler's last step."
            yield _gauge("nacc_scheduler_step_seconds", step, m.step_s)
        answers = GaugeMetricFamily("nacc_backend_up", "Whether a dispatch backend answers "
                                    "(0: down, its pools take no new jobs).",
                                    labels=["backend"])  # fmt: skip
        for backend in m.backends:
            answers.add_metric([backend.name], int(backend.up))
        yield answers
        down = sum(not b.up for b in m.backends)
        yield _gauge("nacc_backends_down", "Dispatch backends down now.", down)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def registry_for(source: MetricsSource | None) -> CollectorRegistry:
    """A registry of this app's own (never the process-wide default one)."""
    registry = CollectorRegistry(auto_describe=False)
    if source is not None:
        registry.register(NaccCollector(source))
    return registry


def install(app: FastAPI, source: MetricsSource | None) -> None:
    """Serve ``GET /metrics`` in Prometheus' text format from ``source``."""
    registry = registry_for(source)
    app.state.metrics_registry = registry

    @app.get("/metrics", tags=["ops"], response_class=Response)
    def prometheus() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
