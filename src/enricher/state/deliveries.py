"""Remembering webhook deliveries (``webhook-id``), so a redelivery does nothing and none is lost.

A delivery moves through two states in one Redis key:

    (absent) --claim--> "pending" (short TTL) --confirm--> "queued" (long TTL)
                  \\--release (enqueue failed)--> (absent)

The short TTL of the claim means a receiver that dies between claiming and enqueueing does not make
the sender's next redelivery look like a duplicate: the claim simply expires. A second delivery that
finds a *pending* claim is told to come back (not 202), because the first attempt may still fail.
"""

from __future__ import annotations

import contextlib
import enum

import redis.asyncio as aioredis

from enricher.errors import StateError
from enricher.state._redis import Keys

__all__ = ["Claim", "DeliveryLedger"]


class Claim(enum.Enum):
    """What ``DeliveryLedger.claim`` found."""

    NEW = "new"  # first time: the caller must enqueue, then confirm or release
    DONE = "queued"  # already enqueued: a redelivery, answer 202 and do nothing
    IN_FLIGHT = "pending"  # another request is enqueueing it right now: ask the sender to retry


class DeliveryLedger:
    """The seen-webhook-ids store of the receiver (asyncio Redis)."""

    def __init__(self, client: aioredis.Redis, keys: Keys, *, ttl: int, claim_ttl: int = 60) -> None:
        self._r = client
        self._keys = keys
        self.ttl = ttl
        self.claim_ttl = claim_ttl

    async def claim(self, webhook_id: str) -> Claim:
        """Atomically claim a delivery id (SET NX); say what state it was in if it was known."""
        key = self._keys.delivery(webhook_id)
        try:
            if await self._r.set(key, b"pending", nx=True, ex=self.claim_ttl):
                return Claim.NEW
            found = await self._r.get(key)
        except aioredis.RedisError as exc:
            raise StateError(f"cannot record webhook delivery: {type(exc).__name__}") from exc
        if found is None:  # expired between the two calls: the sender will redeliver
            return Claim.IN_FLIGHT
        return Claim.DONE if found == b"queued" else Claim.IN_FLIGHT

    async def confirm(self, webhook_id: str) -> None:
        """The job is on the queue: keep the id for ``ttl`` seconds (longer than the sender retries)."""
        try:
            await self._r.set(self._keys.delivery(webhook_id), b"queued", ex=self.ttl)
        except aioredis.RedisError as exc:
            raise StateError(f"cannot confirm webhook delivery: {type(exc).__name__}") from exc

    async def release(self, webhook_id: str) -> None:
        """Enqueueing failed: forget the claim so the sender's retry is processed (best effort)."""
        with contextlib.suppress(aioredis.RedisError):  # else the claim expires after claim_ttl
            await self._r.delete(self._keys.delivery(webhook_id))
