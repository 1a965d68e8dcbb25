"""Prometheus metrics of the worker and the webhook receiver (``prometheus_client``).

Counters are module-level and cheap to bump from anywhere in the domain (the Flowtly client counts
its calls and retries, jobs count match and enrichment outcomes, the task layer counts tasks). A
Celery prefork worker runs tasks in child processes, so ``enricher worker`` sets
``PROMETHEUS_MULTIPROC_DIR`` before anything imports this module and serves the children's values
merged (:func:`registry`; the variable must be set before ``prometheus_client`` is first imported,
so ``enricher.cli.worker`` sets it, not this module). Queue depths are read from Redis at scrape time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.registry import Collector

__all__ = [
    "CONTENT_TYPE",
    "ENRICH_OUTCOMES",
    "FLOWTLY_REQUESTS",
    "FLOWTLY_RETRIES",
    "MATCH_CANDIDATES",
    "MULTIPROC_ENV",
    "TASKS",
    "TASK_SECONDS",
    "WEBHOOK_DELIVERIES",
    "registry",
    "render",
    "serve",
]

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

TASKS = Counter("enricher_tasks_total", "Tasks finished, by task name and outcome", ["task", "outcome"])
TASK_SECONDS = Histogram(
    "enricher_task_seconds",
    "Task run time in seconds, by task name and outcome",
    ["task", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
FLOWTLY_REQUESTS = Counter(
    "enricher_flowtly_requests_total",
    "Flowtly API calls by method and HTTP status ('network' when no answer came)",
    ["method", "status"],
)
FLOWTLY_RETRIES = Counter(
    "enricher_flowtly_retries_total", "Flowtly API calls retried, by what failed", ["reason"]
)
MATCH_CANDIDATES = Counter(
    "enricher_match_candidates_total", "Duplicate candidates found, by job and band", ["job", "band"]
)
ENRICH_OUTCOMES = Counter(
    "enricher_enrich_outcomes_total", "Enrichment outcomes by status and provider", ["status", "provider"]
)
WEBHOOK_DELIVERIES = Counter(
    "enricher_webhook_deliveries_total", "Webhook deliveries answered, by HTTP status", ["status"]
)


class _Default(Collector):
    """This process's own metrics (the global registry), for a registry of our own."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


def registry(queues: Collector | None = None) -> CollectorRegistry:
    """What a scrape shows: every process's counters (multiprocess mode) or this one's, plus the queue
    gauges when given (``enricher.status.QueueCollector``: they read Redis, a layer above this module)."""
    reg = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.MultiProcessCollector(reg)  # type: ignore[no-untyped-call]
    else:
        reg.register(_Default())
    if queues is not None:
        reg.register(queues)
    return reg


def render(reg: CollectorRegistry) -> bytes:
    """The Prometheus text format of ``reg``."""
    return generate_latest(reg)


def serve(port: int, queues: Collector | None = None, *, addr: str = "0.0.0.0") -> None:  # noqa: S104 - scraped from outside
    """Serve ``/metrics`` on ``port`` in a background thread (the worker's main process).

    A port already taken (a second worker on one host) costs that worker its endpoint, not its work:
    a warning, and the worker runs on."""
    try:
        start_http_server(port, addr=addr, registry=registry(queues))
    except OSError as exc:
        log.warning(
            "metrics: cannot listen on port %d (%s); this worker serves no /metrics", port, exc.strerror
        )
