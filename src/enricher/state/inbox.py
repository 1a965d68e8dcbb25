"""The webhook inbox: accepting a delivery is one atomic Redis step; a relay moves it to the queue.

Layout (prefix ``enricher``):

* ``webhook:seen:{webhook-id}`` — string with TTL (``ENRICHER_WEBHOOK_DEDUPE_TTL``): delivery accepted.
* ``webhook:inbox`` — list of accepted events (JSON), newest on the left.
* ``webhook:processing:{consumer}`` — list: events a relay took and has not yet handed to Celery.
* ``webhook:relay:{consumer}`` — string with a short TTL: that relay is alive.

``accept`` runs one Lua script: SET the seen key NX *and* LPUSH the event, or do nothing. So a
delivery is either accepted and durably queued, or not accepted at all; a hundred concurrent copies
push one event, and there is no half-done state for a redelivery to trip over. The relay takes events
with LMOVE into its own processing list, publishes them as Celery tasks, then removes them. If a
relay dies in between, another one finds its processing list without a heartbeat and moves the
events back to the inbox (at-least-once into Celery; the tasks are idempotent).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import redis.asyncio as aioredis

from enricher.errors import StateError
from enricher.state._redis import Keys

__all__ = ["WebhookInbox"]

# KEYS[1] = seen key, KEYS[2] = inbox; ARGV[1] = ttl, ARGV[2] = event JSON. 1: accepted, 0: a redelivery.
_ACCEPT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('LPUSH', KEYS[2], ARGV[2])
  return 1
end
return 0
"""

# KEYS[1] = processing list, KEYS[2] = inbox: move everything back (oldest first stays oldest).
_RESTORE = """
local n = 0
while redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT') do n = n + 1 end
return n
"""


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


class WebhookInbox:
    """Accepting deliveries (receiver side) and relaying them (relay side), on asyncio Redis."""

    def __init__(self, client: aioredis.Redis, keys: Keys, *, ttl: int) -> None:
        self._r = client
        self._keys = keys
        self.ttl = ttl
        self.inbox = keys("webhook", "inbox")
        self._accept = client.register_script(_ACCEPT)
        self._restore = client.register_script(_RESTORE)

    def processing(self, consumer: str) -> str:
        return self._keys("webhook", "processing", consumer)

    def heartbeat_key(self, consumer: str) -> str:
        return self._keys("webhook", "relay", consumer)

    async def accept(self, webhook_id: str, event: dict[str, Any]) -> bool:
        """Queue ``event`` unless ``webhook_id`` was accepted before; True when queued now."""
        blob = json.dumps(event, separators=(",", ":"))
        try:
            done = await self._accept(
                keys=[self._keys.delivery(webhook_id), self.inbox], args=[self.ttl, blob]
            )
        except aioredis.RedisError as exc:
            raise StateError(f"cannot accept webhook delivery: {type(exc).__name__}") from exc
        return bool(done)

    async def take(self, consumer: str, *, limit: int, wait: float) -> list[bytes]:
        """Move up to ``limit`` events into ``consumer``'s processing list (waiting ``wait`` s for one)."""
        mine = self.processing(consumer)
        # Redis >= 6 accepts a fractional BLMOVE timeout; redis-py's annotation says int.
        first = await self._r.blmove(self.inbox, mine, wait, "RIGHT", "LEFT")  # type: ignore[arg-type]
        if first is None:
            return []
        taken = [_bytes(first)]
        while len(taken) < limit:
            more = await self._r.lmove(self.inbox, mine, "RIGHT", "LEFT")
            if more is None:
                break
            taken.append(_bytes(more))
        return taken

    async def done(self, consumer: str, count: int) -> None:
        """The oldest ``count`` events of ``consumer``'s processing list are on the Celery queue."""
        await self._r.ltrim(self.processing(consumer), 0, -count - 1)

    async def beat(self, consumer: str, ttl: int) -> None:
        await self._r.set(self.heartbeat_key(consumer), "1", ex=ttl)

    async def retire(self, consumer: str) -> None:
        """A relay stopping cleanly: give back what it holds and drop its heartbeat."""
        with contextlib.suppress(aioredis.RedisError):
            await self._restore(keys=[self.processing(consumer), self.inbox])
            await self._r.delete(self.heartbeat_key(consumer))

    async def recover(self) -> int:
        """Return to the inbox the events held by relays whose heartbeat has expired."""
        moved = 0
        pattern = self.processing("*")
        async for key in self._r.scan_iter(match=pattern, count=100):
            name = key.decode() if isinstance(key, bytes) else str(key)
            consumer = name.rsplit(":", 1)[-1]
            if not await self._r.exists(self.heartbeat_key(consumer)):
                moved += int(await self._restore(keys=[name, self.inbox]))
        return moved

    async def pending(self) -> int:
        return int(await self._r.llen(self.inbox))
