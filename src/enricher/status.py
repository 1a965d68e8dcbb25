"""What the worker is doing, read from Redis: queue depths, last runs, failures waiting for retry.

Written by the task layer's signal handlers (``tasks/metrics.py``) through :func:`record_run` and
:func:`record_retry`, read by ``enricher status`` and by the ``/metrics`` endpoints. Keys:

* ``status:last`` — hash: task name -> JSON ``{"at", "outcome", "seconds"}`` of its last run;
* ``status:retrying`` — hash: task id -> JSON ``{"task", "reason", "at"}`` of a task that failed and
  waits for its retry (removed when it finishes, either way).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import redis

from enricher.state._redis import Keys

__all__ = [
    "PRIORITY_SEP",
    "QUEUES",
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
