"""What the worker is doing, read from Redis: queue depths, last runs, failures waiting for retry.

Written by the task layer's signal handlers (``tasks/metrics.py``) through :func:`record_run` and
:func:`record_retry`, read by ``enricher status`` and by the ``/metrics`` endpoints. Keys:

* ``status:last`` — hash: task name -> JSON ``{"at", "outcome", "seconds"}`` of its last run;
* ``status:retrying`` — hash: task id -> JSON ``{"task", "reason", "at"}`` of a task that failed and
  waits for its retry (removed when it finishes, either way).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from enricher.config import Settings
from enricher.state import Keys, sync_redis

log = logging.getLogger(__name__)

__all__ = [
    "PRIORITY_SEP",
    "QUEUES",
    "QueueCollector",
    "Status",
    "queue_depths",
    "read_status",
    "record_retry",
    "record_run",
]

QUEUES = ("enricher.api", "enricher.scrape")
"""The worker's queues (``tasks.factory`` routes every task to one of them)."""

PRIORITY_SEP = "\x06\x16"
"""kombu's Redis transport keeps a queue's prioritised messages in ``<queue><sep><priority>`` lists."""

UNACKED = "unacked"
"""kombu's hash of delivered, not yet acknowledged messages (running, or waiting for a retry's ETA)."""

_RETRY_TTL = 7 * 24 * 3600


def queue_depths(client: redis.Redis, keys: Keys) -> dict[str, int]:
    """Messages waiting in each queue (all priorities), the webhook inbox, and kombu's unacked hash."""
    pipe = client.pipeline()
    for queue in QUEUES:
        pipe.llen(queue)
        for priority in range(1, 10):
            pipe.llen(f"{queue}{PRIORITY_SEP}{priority}")
    pipe.llen(keys("webhook", "inbox"))
    pipe.hlen(UNACKED)
    counts = pipe.execute()
    depths: dict[str, int] = {}
    for index, queue in enumerate(QUEUES):
        depths[queue] = int(sum(counts[index * 10 : index * 10 + 10]))
    depths["webhook-inbox"] = int(counts[-2])
    depths["unacked"] = int(counts[-1])
    return depths


def record_run(
    client: redis.Redis, keys: Keys, task: str, outcome: str, seconds: float, task_id: str
) -> None:
    """Remember a task's last run; a finished task no longer waits for a retry."""
    entry = {"at": time.time(), "outcome": outcome, "seconds": round(seconds, 3)}
    pipe = client.pipeline()
    pipe.hset(keys("status", "last"), task, json.dumps(entry))
    if outcome != "retry":
        pipe.hdel(keys("status", "retrying"), task_id)
    pipe.execute()


def record_retry(client: redis.Redis, keys: Keys, task: str, task_id: str, reason: str) -> None:
    """Remember a task that failed and waits for its retry."""
    entry = {"task": task, "reason": reason[:300], "at": time.time()}
    pipe = client.pipeline()
    pipe.hset(keys("status", "retrying"), task_id, json.dumps(entry))
    pipe.expire(keys("status", "retrying"), _RETRY_TTL)
    pipe.execute()


@dataclass
class Status:
    """A snapshot for ``enricher status``."""

    queues: dict[str, int] = field(default_factory=dict)
    last_runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    retrying: dict[str, dict[str, Any]] = field(default_factory=dict)
    decisions: int = 0
    applied_merges: int = 0
    client_decisions: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "queues": self.queues,
            "lastRuns": self.last_runs,
            "retrying": self.retrying,
            "decisions": self.decisions,
            "appliedMerges": self.applied_merges,
            "clientDecisions": self.client_decisions,
        }


def _decoded(raw: Mapping[Any, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, value in raw.items():
        name = key.decode() if isinstance(key, bytes) else str(key)
        try:
            out[name] = json.loads(value)
        except (TypeError, ValueError):
            continue
    return out


def read_status(client: redis.Redis, keys: Keys) -> Status:
    """Queue depths, last runs and retries from Redis (the decision store is counted by the caller)."""
    return Status(
        queues=queue_depths(client, keys),
        last_runs=_decoded(client.hgetall(keys("status", "last"))),
        retrying=_decoded(client.hgetall(keys("status", "retrying"))),
    )


class QueueCollector(Collector):
    """Queue depths (Celery queues, webhook inbox, unacked) and waiting retries, read at scrape time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self.settings.redis_url is None:
            return
        up = GaugeMetricFamily("enricher_redis_up", "1 when Redis answered this scrape")
        try:
            client = sync_redis(self.settings)
            try:
                status = read_status(client, Keys(self.settings.redis_prefix))
            finally:
                client.close()
        except Exception as exc:  # a scrape must answer even when Redis is down
            log.warning("metrics: cannot read Redis: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily("enricher_queue_depth", "Messages waiting, by queue", labels=["queue"])
        for queue, count in status.queues.items():
            depth.add_metric([queue], count)
        yield depth
        waiting = GaugeMetricFamily("enricher_tasks_waiting_retry", "Failed tasks waiting for their retry")
        waiting.add_metric([], len(status.retrying))
        yield waiting
