"""What must outlive a run: decisions, applied merges, seen webhook ids, locks, shared limits.

Redis when ``ENRICHER_REDIS_URL`` is set (shared by every worker), local files otherwise. Key layout
is documented in each module; every key starts with ``ENRICHER_REDIS_PREFIX`` (``enricher``).
"""

from enricher.state._redis import Keys, async_redis, sync_redis
from enricher.state.backend import JobState, open_state
from enricher.state.candidates import CandidateStore, FileCandidateStore, RedisCandidateStore, candidate_dict
from enricher.state.decisions import (
    AppliedMerge,
    DecisionStore,
    open_client_decision_store,
    open_decision_store,
)
from enricher.state.inbox import WebhookInbox
from enricher.state.locks import FileLocks, LockBusy, Locks, RedisLocks
from enricher.state.ratelimit import AsyncRateLimitedTransport, RateLimitedTransport, RedisRateLimiter
from enricher.state.runs import BrandingLedger, DeliveryCounter, FanOut, once, own, release
from enricher.state.snapshot import FileSnapshot, RedisSnapshot, Snapshot

__all__ = [
    "AppliedMerge",
    "AsyncRateLimitedTransport",
    "BrandingLedger",
    "CandidateStore",
    "DecisionStore",
    "DeliveryCounter",
    "FanOut",
    "FileCandidateStore",
    "FileLocks",
    "FileSnapshot",
    "JobState",
    "Keys",
    "LockBusy",
    "Locks",
    "RateLimitedTransport",
    "RedisCandidateStore",
    "RedisLocks",
    "RedisRateLimiter",
    "RedisSnapshot",
    "Snapshot",
    "WebhookInbox",
    "async_redis",
    "candidate_dict",
    "once",
    "open_client_decision_store",
    "open_decision_store",
    "open_state",
    "own",
    "release",
    "sync_redis",
]
