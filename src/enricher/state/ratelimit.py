"""Request rates shared by every worker: Flowtly calls per second, page fetches per host.

GCRA (the generic cell rate algorithm) in one Lua script: a single key per limit holds the
"theoretical arrival time"; the script reads Redis' own clock, so workers on machines with skewed
clocks still share one budget. A caller that is early is told how long to wait, sleeps, and asks
again. The limiters plug into httpx as transports, so the API client and the fetcher need not know.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import httpx
import redis
import redis.asyncio as aioredis

from enricher.errors import StateError
from enricher.state._redis import Keys

__all__ = ["AsyncRateLimitedTransport", "RateLimitedTransport", "RedisRateLimiter"]

# KEYS[1] = limit key; ARGV[1] = ms between requests; ARGV[2] = burst (requests allowed at once).
# Returns 0 when the request may go now, else the milliseconds to wait before asking again.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then return allow_at - now end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now) + 1000)
return 0
"""


class RedisRateLimiter:
    """``rate`` requests per second per key, with bursts of ``burst``, across all processes."""

    def __init__(
        self,
        client: redis.Redis | None,
        keys: Keys,
        *,
        rate: float,
        burst: int = 1,
        async_client: aioredis.Redis | None = None,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._keys = keys
        self.interval_ms = max(1, round(1000 / rate))
        self.burst = burst
        self._script = client.register_script(_GCRA) if client is not None else None
        self._ascript = async_client.register_script(_GCRA) if async_client is not None else None

    def try_acquire(self, name: str) -> float:
        """Take one slot if free; return 0.0, or the seconds to wait before trying again."""
        if self._script is None:
            raise StateError("this rate limiter has no blocking Redis client")
        try:
            wait_ms = self._script(keys=[self._keys.rate(name)], args=[self.interval_ms, self.burst])
        except redis.RedisError as exc:
            raise StateError(f"rate limit {name!r} unavailable: {type(exc).__name__}") from exc
        return int(wait_ms) / 1000

    def acquire(self, name: str, *, timeout: float = 300.0) -> None:
        """Block until a slot for ``name`` is free (StateError after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while (wait := self.try_acquire(name)) > 0:
            if time.monotonic() + wait > deadline:
                raise StateError(f"rate limit {name!r}: no slot within {timeout:g} s")
            time.sleep(wait)

    async def acquire_async(self, name: str, *, timeout: float = 300.0) -> None:
        """The asyncio twin of :meth:`acquire` (needs ``async_client``)."""
        if self._ascript is None:
            raise StateError("this rate limiter has no asyncio Redis client")
        deadline = time.monotonic() + timeout
        while True:
            try:
                wait_ms = await self._ascript(
                    keys=[self._keys.rate(name)], args=[self.interval_ms, self.burst]
                )
            except aioredis.RedisError as exc:
                raise StateError(f"rate limit {name!r} unavailable: {type(exc).__name__}") from exc
            wait = int(wait_ms) / 1000
            if wait <= 0:
                return
            if time.monotonic() + wait > deadline:
                raise StateError(f"rate limit {name!r}: no slot within {timeout:g} s")
            await asyncio.sleep(wait)


def _host_key(request: httpx.Request, per_host: bool, name: str) -> str:
    if not per_host:
        return name
    host = urlsplit(str(request.url)).hostname or "-"
    return f"{name}:{host.lower()}"


class RateLimitedTransport(httpx.BaseTransport):
    """Waits for the shared limiter before each request, then hands it to ``inner``.

    ``per_host=False``: one budget named ``name`` (the Flowtly API); ``per_host=True``: one per host.
    Retries made by the client above also pass through here, so they are limited too.
    """

    def __init__(
        self,
        limiter: RedisRateLimiter,
        *,
        name: str,
        per_host: bool = False,
        inner: httpx.BaseTransport | None = None,
    ) -> None:
        self._limiter = limiter
        self._name = name
        self._per_host = per_host
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._limiter.acquire(_host_key(request, self._per_host, self._name))
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class AsyncRateLimitedTransport(httpx.AsyncBaseTransport):
    """The asyncio twin of :class:`RateLimitedTransport` (for the branding fetcher)."""

    def __init__(
        self,
        limiter: RedisRateLimiter,
        *,
        name: str,
        per_host: bool = True,
        inner: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._limiter = limiter
        self._name = name
        self._per_host = per_host
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._limiter.acquire_async(_host_key(request, self._per_host, self._name))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
