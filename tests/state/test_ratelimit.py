"""Shared rate limits: one budget across threads and processes, waits instead of errors."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time

import httpx
import pytest
import redis
from redis_prefix import rkeys  # noqa: F401 - fixture

from enricher.state import Keys, RateLimitedTransport, RedisRateLimiter

pytestmark = pytest.mark.integration


def test_rate_is_held_across_threads(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    client, keys = rkeys
    limiter = RedisRateLimiter(client, keys, rate=20, burst=1)
    stamps: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(5):
            limiter.acquire("api")
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=take) for _ in range(4)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 20 requests at 20/s with no burst: the last may go at 19 * 50 ms = 0.95 s, not before.
    assert len(stamps) == 20
    assert max(stamps) - start >= 0.9
    assert max(stamps) - start < 3.0


def test_rate_is_held_across_processes(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    _, keys = rkeys
    code = (
        "import redis, time\n"
        "from enricher.state import Keys, RedisRateLimiter\n"
        f"l = RedisRateLimiter(redis.Redis(port=6379), Keys({keys.prefix!r}), rate=10, burst=1)\n"
        "for _ in range(5): l.acquire('shared'); print(time.time(), flush=True)\n"
    )
    start = time.time()
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    stamps = sorted(float(line) for p in procs for line in p.communicate(timeout=60)[0].split())
    assert len(stamps) == 10
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    # 10/s shared by both processes: about 100 ms apart overall (Redis' clock; allow scheduling slop).
    assert stamps[-1] - start >= 0.85
    assert sum(gaps) / len(gaps) >= 0.09


def test_burst_then_wait(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    client, keys = rkeys
    limiter = RedisRateLimiter(client, keys, rate=2, burst=3)
    assert [limiter.try_acquire("b") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.try_acquire("b")
    assert 0.2 < wait <= 0.5


def test_keys_are_independent(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    client, keys = rkeys
    limiter = RedisRateLimiter(client, keys, rate=1, burst=1)
    assert limiter.try_acquire("host:a") == 0.0
    assert limiter.try_acquire("host:b") == 0.0
    assert limiter.try_acquire("host:a") > 0


def test_transport_limits_per_host(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    client, keys = rkeys
    seen: list[tuple[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, time.monotonic()))
        return httpx.Response(200)

    limiter = RedisRateLimiter(client, keys, rate=5, burst=1)
    transport = RateLimitedTransport(limiter, name="fetch", per_host=True, inner=httpx.MockTransport(handler))
    with httpx.Client(transport=transport) as http:
        start = time.monotonic()
        for _ in range(3):
            http.get("http://a.example/")
            http.get("http://b.example/")
    a_times = [t for h, t in seen if h == "a.example"]
    assert a_times[-1] - start >= 0.35  # 3 requests to one host at 5/s: >= 2 x 200 ms
    assert a_times[-1] - start < 2.0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        RedisRateLimiter(None, Keys(), rate=0)
