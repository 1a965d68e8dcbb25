"""Once-per-window marks, the fan-out latch, the poison counter and the branding ledger."""

from __future__ import annotations

import threading

import pytest
import redis
from redis_prefix import rkeys  # noqa: F401 - fixture

from enricher.state import BrandingLedger, DeliveryCounter, FanOut, Keys, once, own, release

pytestmark = pytest.mark.integration


def test_once_per_window(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    client, keys = rkeys
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(once(client, keys, "nightly", window=60)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


def test_a_mark_is_released_by_its_holder_only(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    client, keys = rkeys
    mark = keys.once("m")
    assert once(client, keys, "m", window=60, holder="planning")
    assert not release(client, keys, "m", "run-1")  # still planning: nobody's run yet
    assert own(client, keys, "m", "run-1") and 0 < client.ttl(mark) <= 60  # handed over, TTL kept
    assert not release(client, keys, "m", "run-0") and client.get(mark) == b"run-1"
    assert release(client, keys, "m", "run-1") and client.get(mark) is None
    assert not own(client, keys, "m", "run-2")  # gone: handing it over does not take it again
    assert client.get(mark) is None


def test_a_mark_an_older_version_took_is_released_by_whoever_finishes(
    rkeys: tuple[redis.Redis, Keys],  # noqa: F811
) -> None:
    client, keys = rkeys
    assert once(client, keys, "m", window=60)  # its value the time, as before marks had holders
    assert release(client, keys, "m", "run-3") and client.get(keys.once("m")) is None


def test_latch_completes_exactly_once(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    client, keys = rkeys
    fan = FanOut(client, keys, "run1")
    fan.start(3)
    assert fan.arrive(0, [{"a": 1, "b": 2}]) is False
    assert fan.arrive(0, [{"a": 1, "b": 2}]) is False  # a redelivered part
    assert fan.arrive(2, []) is False
    assert fan.arrive(1, [{"a": 3, "b": 4}]) is True
    assert fan.arrive(1, [{"a": 3, "b": 4}]) is False  # redelivered last part: no second gather
    assert fan.results() == {0: [{"a": 1, "b": 2}], 1: [{"a": 3, "b": 4}], 2: []}


def test_latch_concurrent_arrivals(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    client, keys = rkeys
    fan = FanOut(client, keys, "run2")
    fan.start(20)
    finals: list[bool] = []
    threads = [threading.Thread(target=lambda k=k: finals.append(fan.arrive(k, k))) for k in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert finals.count(True) == 1


def test_delivery_counter(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    client, keys = rkeys
    counter = DeliveryCounter(client, keys, ttl=60)
    assert [counter.started("t1:0") for _ in range(3)] == [1, 2, 3]
    counter.finished("t1:0")
    assert counter.started("t1:0") == 1


def test_branding_ledger(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    client, keys = rkeys
    ledger = BrandingLedger(client, keys)
    ledger.wrote(5, {"logoUrl": "https://x/logo.png"})
    assert ledger.get(5)["fields"] == {"logoUrl": "https://x/logo.png"}  # type: ignore[index]
    assert ledger.older_than(3600) == {}
    assert set(ledger.older_than(-1)) == {"5"}
