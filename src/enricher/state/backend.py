"""One object with all the state a job needs, backed by Redis or, in embedded mode, local files."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from enricher.config import Settings
from enricher.state._redis import Keys, sync_redis
from enricher.state.candidates import CandidateStore, FileCandidateStore, RedisCandidateStore
from enricher.state.locks import FileLocks, Locks, RedisLocks
from enricher.state.ratelimit import RedisRateLimiter
from enricher.state.runs import BrandingLedger
from enricher.state.snapshot import FileSnapshot, RedisSnapshot, Snapshot

__all__ = ["JobState", "open_state"]


@dataclass
class JobState:
    """Locks, recorded candidates and (with Redis) shared rate limits and the branding ledger."""

    locks: Locks
    candidates: CandidateStore
    snapshot: Snapshot
    keys: Keys
    redis: redis.Redis | None = None
    flowtly_limiter: RedisRateLimiter | None = None
    host_limiter: RedisRateLimiter | None = None
    branding: BrandingLedger | None = None

    def close(self) -> None:
        if self.redis is not None:
            self.redis.close()


def open_state(settings: Settings) -> JobState:
    """Redis-backed state when ``ENRICHER_REDIS_URL`` is set, else files under ``state_dir``."""
    keys = Keys(settings.redis_prefix)
    if settings.redis_url is None:
        return JobState(
            locks=FileLocks(settings.state_dir),
            candidates=FileCandidateStore(settings.state_dir),
            snapshot=FileSnapshot(settings.state_dir),
            keys=keys,
        )
    client = sync_redis(settings)
    burst = max(1, int(settings.flowtly_rps))
    return JobState(
        locks=RedisLocks(client, keys),
        candidates=RedisCandidateStore(client, keys),
        snapshot=RedisSnapshot(client, keys),
        keys=keys,
        redis=client,
        flowtly_limiter=RedisRateLimiter(client, keys, rate=settings.flowtly_rps, burst=burst),
        host_limiter=RedisRateLimiter(client, keys, rate=settings.fetch_host_rps, burst=1),
        branding=BrandingLedger(client, keys),
    )
