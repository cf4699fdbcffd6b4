"""A worker's Temporal SDK metrics, served for Prometheus.

The SDK's core measures every poll, task, activity and request a worker makes and can serve
them itself (`temporal_num_pollers`, `temporal_activity_execution_failed`, ...): no Python
collector stands between it and the scrape. It does so from a `Runtime`, the SDK's thread
pool with its telemetry, which binds the metrics port when it is made. So the runtime is made
once per process and every client the worker connects shares it; a second one on the same
address would fail to bind.
"""

from __future__ import annotations

from functools import cache

import structlog
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from runtime.settings import Settings

log = structlog.get_logger(__name__)


@cache
def _serving_metrics_on(address: str) -> Runtime:
    log.info("worker_metrics_serving", address=address)
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))


def worker_runtime(settings: Settings) -> Runtime | None:
    """The runtime that serves Temporal's metrics on `CONCORDAT_WORKER_METRICS_ADDRESS`, or
    None (the SDK's default runtime, which serves nothing) when it is empty."""
    if not settings.worker_metrics_address:
        return None
    return _serving_metrics_on(settings.worker_metrics_address)
