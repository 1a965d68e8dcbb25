"""Redis connections and key names: every state key the worker writes starts with one prefix.

One prefix (``ENRICHER_REDIS_PREFIX``, default ``enricher``) keeps our keys apart from Celery's own
(``celery``, ``_kombu.*``, ``unacked*``) and lets several deployments or test runs share a server.
"""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff

from enricher.config import Settings
from enricher.errors import ConfigError

__all__ = ["Keys", "async_redis", "sync_redis"]


class Keys:
    """Builds the names of our keys; the one place that knows their layout."""

    def __init__(self, prefix: str = "enricher") -> None:
        self.prefix = prefix.rstrip(":")

    def __call__(self, *parts: object) -> str:
        return ":".join([self.prefix, *(str(p) for p in parts)])

    def delivery(self, webhook_id: str) -> str:
        """A Standard Webhooks delivery we have accepted (its ``webhook-id``)."""
        return self("webhook", "seen", webhook_id)

    def lock(self, name: str) -> str:
        return self("lock", name)

    def rate(self, name: str) -> str:
        return self("rate", name)

    def candidate_pairs(self) -> str:
        """Hash: every recorded duplicate candidate once, field = the pair's key, value = its JSON."""
        return self("candidates", "pairs")

    def candidate_partners(self) -> str:
        """Hash: record id -> JSON object of its candidates' other ids and their pair keys."""
        return self("candidates", "partners")

    def candidate_recorded(self) -> str:
        """Sorted set: record id -> the recording clock when its candidates were last recorded one by one
        (match-one); a full match's replacement keeps the records recorded after it read the snapshot."""
        return self("candidates", "recorded")

    def candidate_clock(self) -> str:
        """Counter: the recording clock (:meth:`candidate_recorded`), never reset."""
        return self("candidates", "clock")

    def candidate_generation(self) -> str:
        """Counter: full replacements swapped in so far; a reader that scans the pairs in batches reads
        again when it changed meanwhile (the scan would mix two runs' pairs)."""
        return self("candidates", "generation")

    def candidate_replaced(self) -> str:
        """The mark (:meth:`candidate_clock`) of the last full match whose pairs replaced all others: an
        older run's replacement after it is refused."""
        return self("candidates", "replaced")

    def legacy_candidates(self, record_id: object) -> str:
        """Hash of one record's pairs, as versions before 2026-11 recorded them (read once, to upgrade)."""
        return self("candidates", record_id)

    def legacy_candidates_index(self) -> str:
        """Set: ids that have a :meth:`legacy_candidates` hash."""
        return self("candidates", "_index")

    def branding(self) -> str:
        """Hash: id -> JSON of the branding we last wrote (when and what), for the weekly refresh."""
        return self("branding", "filled")

    def once(self, name: str) -> str:
        return self("once", name)

    def deliveries(self, task_id: str) -> str:
        """Counter: how many times a task message has been started (poison guard)."""
        return self("task", "deliveries", task_id)

    def counter(self, name: str) -> str:
        return self("stats", name)


def _require(settings: Settings) -> str:
    if settings.redis_url is None:
        raise ConfigError(
            "ENRICHER_REDIS_URL", "this needs Redis; set ENRICHER_REDIS_URL (e.g. redis://127.0.0.1:6379/0)"
        )
    return settings.redis_url


def sync_redis(settings: Settings) -> redis.Redis:
    """A blocking client with short timeouts, so a dead Redis fails fast instead of hanging a task."""
    return redis.Redis.from_url(
        _require(settings),
        socket_timeout=5,
        socket_connect_timeout=2,
        health_check_interval=30,
        retry_on_timeout=False,
    )


def async_redis(settings: Settings, *, max_connections: int = 64, fail_fast: bool = False) -> aioredis.Redis:
    """An asyncio client for the webhook receiver (one pool shared by all requests).

    ``fail_fast``: no reconnect retries (redis-py's default backs off for seconds). The fetchers'
    shared rate limit uses it, so a Redis outage is a StateError (the job retries) well before the
    fetch's own deadline would turn it into "the site was too slow" and drop the site's logo.
    """
    extra: dict[str, Any] = {"retry": AsyncRetry(NoBackoff(), 0)} if fail_fast else {}
    return aioredis.Redis.from_url(
        _require(settings),
        socket_timeout=2,
        socket_connect_timeout=1,
        max_connections=max_connections,
        **extra,
    )
