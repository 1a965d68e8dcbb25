"""Recorded candidates: per record, both directions, replaced per record or all at once."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from redis_prefix import rkeys  # noqa: F401 - fixture

from enricher.errors import StateError, SupersededError
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


def _pairs(store: CandidateStore) -> set[tuple[Any, Any]]:
    return {(p["a"], p["b"]) for p in store.all()}


def test_records_recorded_during_a_full_match_keep_their_newer_pairs(store: CandidateStore) -> None:
    store.record(1, [pair(1, 2)])  # before the run read its snapshot: the run's result replaces it
    mark = store.mark()  # the run reads its snapshot
    store.record(9, [pair(9, 10, 0.95)])  # a webhook's match-one during the run
    store.record(5, [])  # a record deleted during the run
    run = [pair(1, 3), pair(9, 11, 0.85), pair(5, 6, 0.9), pair(7, 8)]
    assert store.replace_all(run, since=mark) == 4
    assert _pairs(store) == {(1, 3), (9, 10), (7, 8)}
    assert [p["b"] for p in store.of(9)] == [10]
    assert store.of(11) == [] and store.of(5) == [] and store.of(6) == []
    # The next run, marked after those webhooks, replaces their pairs as usual.
    later = store.mark()
    assert later > mark
    store.replace_all([pair(9, 11)], since=later)
    assert _pairs(store) == {(9, 11)}


def test_records_recorded_during_a_run_that_are_partners_stay_consistent(store: CandidateStore) -> None:
    mark = store.mark()
    store.record(9, [pair(9, 10, 0.95), pair(9, 12, 0.7)])
    store.record(10, [pair(9, 10, 0.95), pair(10, 11, 0.8)])  # 9-12 stays: only 10's pairs change
    assert store.replace_all([pair(9, 10, 0.5), pair(10, 13), pair(3, 4)], since=mark) == 3
    assert _pairs(store) == {(9, 10), (9, 12), (10, 11), (3, 4)}
    assert [p["score"] for p in store.of(10) if p["b"] == 10] == [0.95]
    assert {p["b"] for p in store.of(10)} == {10, 11} and store.of(13) == []


def test_an_empty_run_keeps_what_was_recorded_during_it(store: CandidateStore) -> None:
    store.record(1, [pair(1, 2)])
    mark = store.mark()
    store.record(9, [pair(9, 10)])
    assert store.replace_all([], since=mark) == 0
    assert _pairs(store) == {(9, 10)}


def test_a_replacement_without_a_mark_replaces_everything(store: CandidateStore) -> None:
    mark = store.mark()
    store.record(9, [pair(9, 10)])
    store.replace_all([pair(1, 2)])
    assert _pairs(store) == {(1, 2)}
    # It also forgot who was recorded when: a late replacement marked before keeps nothing of record 9.
    store.replace_all([pair(3, 4)], since=mark)
    assert _pairs(store) == {(3, 4)}


def test_each_mark_is_larger_than_the_last(store: CandidateStore) -> None:
    first = store.mark()
    assert store.mark() > first  # two runs with no webhook between them are told apart
    store.record(1, [pair(1, 2)])
    assert store.mark() > first + 1


def test_an_older_runs_late_replacement_is_refused_and_changes_nothing(store: CandidateStore) -> None:
    older, newer = store.mark(), store.mark()  # run A, then run B, read their snapshots
    store.replace_all([pair(1, 2)], since=newer)  # B gathers first
    store.record(9, [pair(9, 10)])  # a webhook after it
    with pytest.raises(SupersededError) as caught:
        store.replace_all([pair(3, 4)], since=older)  # A's gather, redelivered
    assert (caught.value.since, caught.value.newer) == (older, newer)
    assert _pairs(store) == {(1, 2), (9, 10)}
    # B's gather delivered again replaces as before (same mark: the same run), and so does a later run.
    assert store.replace_all([pair(1, 2), pair(5, 6)], since=newer) == 2
    assert _pairs(store) == {(1, 2), (5, 6), (9, 10)}
    store.replace_all([pair(7, 8)], since=store.mark())
    assert _pairs(store) == {(7, 8)}


def test_redis_the_swap_itself_refuses_an_older_run(
    rkeys: tuple[redis.Redis, Keys],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check before staging can race a newer run's swap: the swap script checks again, atomically,
    and drops what the older run staged."""
    client, keys = rkeys
    store = RedisCandidateStore(client, keys)
    older, newer = store.mark(), store.mark()
    store.replace_all([pair(1, 2)], since=newer)
    monkeypatch.setattr(store, "_superseded", lambda since: None)  # the newer swap lands after the check
    with pytest.raises(SupersededError):
        store.replace_all([pair(3, 4)], since=older)
    assert _pairs(store) == {(1, 2)}
    assert not list(client.scan_iter(f"{keys.prefix}:candidates:staged:*"))
    assert int(client.get(keys.candidate_replaced())) == newer  # type: ignore[arg-type]


def test_redis_reading_all_during_a_full_replacement_gives_one_runs_pairs(
    rkeys: tuple[redis.Redis, Keys],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pairs are scanned in batches; a run's swap between two batches would leave the reader with
    part of the old pairs and part of the new ones (a report missing pairs of both)."""
    client, keys = rkeys
    store = RedisCandidateStore(client, keys)
    old = [pair(k, k + 1) for k in range(0, 6000, 2)]
    new = [pair(k, k + 1) for k in range(1, 6001, 2)]
    store.replace_all(old)
    scan = client.hscan_iter
    swapped = []

    def scan_with_a_run_finishing(*args: Any, **kwargs: Any) -> Any:
        for n, item in enumerate(scan(*args, **kwargs)):
            if n == 1500 and not swapped:  # a gather elsewhere swaps its pairs in, half-way through
                RedisCandidateStore(client, keys).replace_all(new, since=store.mark())
                swapped.append(n)
            yield item

    monkeypatch.setattr(client, "hscan_iter", scan_with_a_run_finishing)
    assert _pairs(store) == {(p["a"], p["b"]) for p in new}
    assert swapped


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
    # When each record was recorded one by one, on a clock that is never reset.
    assert client.zrange(f"{keys.prefix}:candidates:recorded", 0, -1, withscores=True) == [(b"12", 1.0)]
    assert client.get(f"{keys.prefix}:candidates:clock") == b"1"
    store.replace_all([pair(40, 41)])
    assert set(client.hkeys(f"{keys.prefix}:candidates:pairs")) == {b'["40","41"]'}
    assert set(client.hkeys(f"{keys.prefix}:candidates:partners")) == {b"40", b"41"}
    # Staged beside the live hashes and swapped in: nothing staged is left, and the live ones never expire.
    assert sorted(k.decode() for k in client.scan_iter(f"{keys.prefix}:*")) == [
        f"{keys.prefix}:candidates:clock",
        f"{keys.prefix}:candidates:generation",  # one replacement swapped in
        f"{keys.prefix}:candidates:pairs",
        f"{keys.prefix}:candidates:partners",
    ]
    assert client.get(f"{keys.prefix}:candidates:generation") == b"1"
    assert (
        client.ttl(f"{keys.prefix}:candidates:pairs")
        == client.ttl(f"{keys.prefix}:candidates:partners")
        == -1
    )
    store.replace_all([])
    assert sorted(k.decode() for k in client.scan_iter(f"{keys.prefix}:*")) == [
        f"{keys.prefix}:candidates:clock",
        f"{keys.prefix}:candidates:generation",
    ]


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


def test_redis_a_replacement_that_dies_before_its_swap_changes_nothing(
    rkeys: tuple[redis.Redis, Keys],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Killed between staging and swapping (here: the swap fails): the live pairs are untouched, and
    what was staged expires instead of staying for good."""
    client, keys = rkeys
    store = RedisCandidateStore(client, keys)
    store.replace_all([pair(1, 2, 0.95)])

    def dies(**_: Any) -> None:
        raise redis.ConnectionError("the writer died")

    monkeypatch.setattr(store, "_swap", dies)
    with pytest.raises(StateError, match="cannot record candidates"):
        store.replace_all([pair(3, 4), pair(5, 6)])
    assert [(p["a"], p["b"]) for p in store.all()] == [(1, 2)]
    staged = [k for k in client.scan_iter(f"{keys.prefix}:candidates:staged:*")]
    assert len(staged) == 2 and all(0 < client.ttl(k) <= 3600 for k in staged)


def test_redis_a_write_that_fails_in_the_writer_thread_changes_nothing(
    rkeys: tuple[redis.Redis, Keys],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The staged pairs are written from a thread beside the caller: Redis refusing a batch there
    (here: the staged name holds a string) is the caller's StateError, and the live pairs stay."""
    client, keys = rkeys
    store = RedisCandidateStore(client, keys)
    store.replace_all([pair(1, 2, 0.95)])
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=7))
    client.set(f"{keys.prefix}:candidates:staged:{uuid.UUID(int=7).hex}:pairs", "not a hash")
    with pytest.raises(StateError, match="WRONGTYPE"):
        store.replace_all([pair(k, k + 1) for k in range(3, 30_000, 2)])  # several batches
    assert [(p["a"], p["b"]) for p in store.all()] == [(1, 2)]
    assert not client.exists(f"{keys.prefix}:candidates:staged:{uuid.UUID(int=7).hex}:partners")
    assert [t.name for t in threading.enumerate() if t.name == "candidates-writer"] == []


def test_redis_an_error_while_making_the_pairs_stops_the_writer_and_changes_nothing(
    rkeys: tuple[redis.Redis, Keys],  # noqa: F811
) -> None:
    """Batches already written when the caller fails (here: a candidate that is not one) are left to
    expire; the writer thread is joined, the live pairs stay."""
    client, keys = rkeys
    store = RedisCandidateStore(client, keys)
    store.replace_all([pair(1, 2, 0.95)])

    def candidates() -> Any:
        yield from (pair(k, k + 1) for k in range(3, 50_000, 2))  # a few batches
        yield "not a candidate"

    with pytest.raises((TypeError, KeyError, AttributeError)):
        store.replace_all(candidates())
    assert [(p["a"], p["b"]) for p in store.all()] == [(1, 2)]
    staged = list(client.scan_iter(f"{keys.prefix}:candidates:staged:*"))
    assert staged and all(0 < client.ttl(k) <= 3600 for k in staged)
    assert [t for t in threading.enumerate() if t.name == "candidates-writer"] == []


def test_redis_swap_refuses_when_staged_pairs_are_gone(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    """The swap checks the staged hashes first: one that expired must not cost the live pairs."""
    client, keys = rkeys
    store = RedisCandidateStore(client, keys)
    store.replace_all([pair(1, 2, 0.95)])
    gone = [f"{keys.prefix}:candidates:staged:x:pairs", f"{keys.prefix}:candidates:staged:x:partners"]
    client.hset(gone[0], "k", "v")  # the partners hash expired, the pairs one did not
    with pytest.raises(redis.ResponseError, match="staged candidates are gone"):
        store._swap(
            keys=[keys.candidate_pairs(), keys.candidate_partners(), *gone, keys.candidate_recorded(),
                  keys.candidate_replaced(), keys.candidate_generation()],
            args=["1", ""],
        )  # fmt: skip
    assert [(p["a"], p["b"]) for p in store.of(1)] == [(1, 2)]


def test_redis_old_pairs_never_override_a_record_recorded_since(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    """A worker of the earlier version wrote pairs after this version recorded record 5 (a rolling
    deploy), or two processes upgrade at once: record 5's newer pairs stand, its old ones are not
    brought back, and a second upgrade files nothing again."""
    client, keys = rkeys
    fresh = RedisCandidateStore(client, keys)
    fresh.record(5, [pair(5, 9, 0.9)])
    old = json.dumps(pair(5, 6, 0.95))
    client.hset(f"{keys.prefix}:candidates:5", "6", old)
    client.hset(f"{keys.prefix}:candidates:6", "5", old)
    client.hset(f"{keys.prefix}:candidates:7", "8", json.dumps(pair(7, 8, 0.7)))
    client.hset(f"{keys.prefix}:candidates:8", "7", json.dumps(pair(7, 8, 0.7)))
    client.sadd(f"{keys.prefix}:candidates:_index", "5", "6", "7", "8")
    upgrading = RedisCandidateStore(client, keys)
    assert [(p["a"], p["b"]) for p in upgrading.of(5)] == [(5, 9)]
    assert upgrading.of(6) == [] and [(p["a"], p["b"]) for p in upgrading.of(8)] == [(7, 8)]
    assert upgrading._merge(keys=[keys.candidate_partners(), keys.candidate_pairs()],
                            args=['["7","8"]', "7", "8", json.dumps(pair(7, 8, 0.1))]) == 0  # fmt: skip
    assert [(p["a"], p["b"], p["score"]) for p in upgrading.all()] == [(5, 9, 0.9), (7, 8, 0.7)]


def test_redis_all_lists_each_pair_once(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    store = RedisCandidateStore(*rkeys)
    store.replace_all([pair(k, k + 1, 0.5 + k / 10_000) for k in range(0, 3000, 2)])
    found = store.all()
    assert len(found) == len({(p["a"], p["b"]) for p in found}) == 1500


def test_redis_the_recorded_log_keeps_only_what_is_newer_than_the_last_run(
    rkeys: tuple[redis.Redis, Keys],  # noqa: F811
) -> None:
    client, keys = rkeys
    store = RedisCandidateStore(client, keys)
    for rid in (1, 2, 3):
        store.record(rid, [pair(rid, rid + 100)])
    mark = store.mark()
    store.record(4, [pair(4, 104)])
    store.replace_all([pair(1, 2)], since=mark)
    # 1-3 were recorded before the run: the run replaced them, and they are forgotten; 4 is newer.
    assert client.zrange(f"{keys.prefix}:candidates:recorded", 0, -1) == [b"4"]
    assert _pairs(store) == {(1, 2), (4, 104)}
