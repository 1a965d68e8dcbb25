"""Recorded candidates: per record, both directions, replaced per record or all at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import redis
from redis_prefix import rkeys  # noqa: F401 - fixture

from enricher.state import CandidateStore, FileCandidateStore, Keys, RedisCandidateStore


def pair(a: Any, b: Any, score: float = 0.9) -> dict[str, Any]:
    return {"a": a, "b": b, "score": score, "band": "merge" if score > 0.8 else "review",
            "evidence": [{"feature": "tin", "result": "equal", "weight": 5.0}]}  # fmt: skip


@pytest.fixture(params=["redis", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> CandidateStore:
    if request.param == "file":
        return FileCandidateStore(tmp_path)
    request.applymarker(pytest.mark.integration)
    client, keys = request.getfixturevalue("rkeys")
    return RedisCandidateStore(client, keys)


def test_record_and_read_both_ways(store: CandidateStore) -> None:
    assert store.record(1, [pair(1, 2, 0.95), pair(1, 3, 0.6)]) == 2
    assert [(p["a"], p["b"]) for p in store.of(1)] == [(1, 2), (1, 3)]  # best first
    assert [(p["a"], p["b"]) for p in store.of(3)] == [(1, 3)]
    assert store.of(99) == []


def test_rerecord_drops_stale_pairs(store: CandidateStore) -> None:
    store.record(1, [pair(1, 2), pair(1, 3)])
    store.record(1, [pair(1, 4, 0.7)])
    assert store.of(2) == [] and store.of(3) == []
    assert [p["b"] for p in store.all()] == [4]
    store.record(1, [])
    assert store.all() == []


def test_replace_all(store: CandidateStore) -> None:
    store.record(1, [pair(1, 2)])
    assert store.replace_all([pair(5, 6, 0.99), pair(6, 7, 0.5)]) == 2
    assert [(p["a"], p["b"]) for p in store.all()] == [(5, 6), (6, 7)]
    assert [(p["a"], p["b"]) for p in store.of(6)] == [(5, 6), (6, 7)]  # a record in several pairs
    assert store.of(1) == []


def test_string_ids_round_trip(store: CandidateStore) -> None:
    store.record("a-1", [pair("a-1", "b-2")])
    assert store.of("b-2")[0]["a"] == "a-1"


def test_redis_layout_is_documented_one(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    """Each pair once, under its sorted ids; each record's partners point at it."""
    client, keys = rkeys
    store = RedisCandidateStore(client, keys)
    store.record(12, [pair(12, 40), pair(12, "x/1")])
    stored = client.hgetall(f"{keys.prefix}:candidates:pairs")
    assert set(stored) == {b'["12","40"]', b'["12","x/1"]'}
    assert json.loads(stored[b'["12","40"]'])["b"] == 40
    partners = {
        k.decode(): json.loads(v) for k, v in client.hgetall(f"{keys.prefix}:candidates:partners").items()
    }
    assert partners == {
        "12": {"40": '["12","40"]', "x/1": '["12","x/1"]'},
        "40": {"12": '["12","40"]'},
        "x/1": {"12": '["12","x/1"]'},
    }
    store.replace_all([pair(40, 41)])
    assert set(client.hkeys(f"{keys.prefix}:candidates:pairs")) == {b'["40","41"]'}
    assert set(client.hkeys(f"{keys.prefix}:candidates:partners")) == {b"40", b"41"}
    # Staged beside the live hashes and swapped in: nothing staged is left, and the live ones never expire.
    assert sorted(k.decode() for k in client.scan_iter(f"{keys.prefix}:*")) == [
        f"{keys.prefix}:candidates:pairs",
        f"{keys.prefix}:candidates:partners",
    ]
    assert (
        client.ttl(f"{keys.prefix}:candidates:pairs")
        == client.ttl(f"{keys.prefix}:candidates:partners")
        == -1
    )
    store.replace_all([])
    assert not list(client.scan_iter(f"{keys.prefix}:*"))


def test_redis_rerecord_keeps_other_records_pairs(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    """Re-recording a record drops its pairs from its old partners' entries and no other pair."""
    store = RedisCandidateStore(*rkeys)
    store.record(2, [pair(2, 3), pair(2, 9)])
    store.record(1, [pair(1, 2), pair(1, 3)])
    store.record(1, [pair(1, 3, 0.7)])
    assert [(p["a"], p["b"]) for p in store.of(2)] == [(2, 3), (2, 9)]
    assert sorted((p["a"], p["b"]) for p in store.of(3)) == [(1, 3), (2, 3)]
    store.record(2, [])
    assert [(p["a"], p["b"]) for p in store.all()] == [(1, 3)]
    assert store.of(9) == []


def test_redis_pairs_of_earlier_versions_are_moved_once(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    """Pairs an earlier version recorded (a hash per record and an index set) are read by the new
    layout, then their keys are gone; a pair recorded since wins over its old copy."""
    client, keys = rkeys
    old = json.dumps(pair(5, 6, 0.95)).encode()
    client.hset(f"{keys.prefix}:candidates:5", "6", old)
    client.hset(f"{keys.prefix}:candidates:6", "5", old)
    client.hset(f"{keys.prefix}:candidates:7", "5", json.dumps(pair(7, 5, 0.6)))
    client.hset(f"{keys.prefix}:candidates:5", "7", json.dumps(pair(7, 5, 0.6)))
    client.sadd(f"{keys.prefix}:candidates:_index", "5", "6", "7")
    store = RedisCandidateStore(client, keys)
    assert [(p["a"], p["b"], p["score"]) for p in store.of(5)] == [(5, 6, 0.95), (7, 5, 0.6)]
    assert not client.exists(f"{keys.prefix}:candidates:5", f"{keys.prefix}:candidates:_index")
    assert len(store.all()) == 2
