"""Recorded candidates: per record, both directions, replaced per record or all at once."""

from __future__ import annotations

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
    client, keys = rkeys
    RedisCandidateStore(client, keys).record(12, [pair(12, 40)])
    assert set(client.hkeys(f"{keys.prefix}:candidates:12")) == {b"40"}
    assert set(client.hkeys(f"{keys.prefix}:candidates:40")) == {b"12"}
    assert client.smembers(f"{keys.prefix}:candidates:_index") == {b"12", b"40"}
