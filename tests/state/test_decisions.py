"""The decision store: file (SQLite) and Redis backends behave the same, survive restarts and crashes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from enricher.config import load_settings
from enricher.matching import DecisionMemory, Judgement, match
from enricher.state._redis import Keys
from enricher.state.decisions import (
    DecisionStore,
    RedisDecisionStore,
    SqliteDecisionStore,
    open_decision_store,
)


def _redis() -> redis.Redis:
    client = redis.Redis(host="127.0.0.1", port=6379, db=0, socket_timeout=2)
    client.ping()
    return client


@pytest.fixture(params=["sqlite", "redis"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """Opens stores of one backend over the same place (a file, or a unique Redis key prefix)."""
    opened: list[DecisionStore] = []
    prefix = f"test-decisions-{uuid.uuid4().hex}"
    client = _redis() if request.param == "redis" else None

    def open_store() -> DecisionStore:
        store: DecisionStore
        if client is None:
            store = SqliteDecisionStore(tmp_path / "decisions.sqlite3")
        else:
            store = RedisDecisionStore(client, Keys(prefix))
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()
    if client is not None:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def test_store_satisfies_matchings_decision_memory(store_factory) -> None:
    store = store_factory()
    assert isinstance(store, DecisionMemory)
    assert store.judgement(1, 2) is None


def test_judgements_are_symmetric_and_later_ones_replace_earlier(store_factory) -> None:
    store = store_factory()
    store.reject(7, 3, source="d1.json")
    assert store.judgement(3, 7) is Judgement.REJECTED
    assert store.judgement(7, 3) is Judgement.REJECTED
    store.approve(3, 7, source="d2.json")
    assert store.judgement(7, 3) is Judgement.APPROVED
    [only] = store.decisions()
    assert (only.a, only.b, only.source) == (3, 7, "d2.json")


def test_int_and_string_ids_are_different_records(store_factory) -> None:
    store = store_factory()
    store.reject(1, 2)
    assert store.judgement("1", "2") is None
    store.reject("a-1", "a-2")
    again = store_factory()
    assert again.judgement("a-2", "a-1") is Judgement.REJECTED
    assert again.judgement(2, 1) is Judgement.REJECTED
    assert again.judgement("2", "1") is None


def test_a_pair_of_one_record_is_refused(store_factory) -> None:
    with pytest.raises(ValueError, match="two different records"):
        store_factory().reject(5, 5)


def test_applied_merges_persist_and_count_as_approved(store_factory) -> None:
    store = store_factory()
    assert not store.is_applied(7, 1)
    store.mark_applied(7, 1, decisions_file="/tmp/d.json", result_fingerprint="v1:abc")
    assert store.is_applied(7, 1)
    assert not store.is_applied(1, 7)  # direction matters: 1 was merged into 7
    assert store.judgement(1, 7) is Judgement.APPROVED
    reopened = store_factory()
    assert reopened.is_applied(7, 1)
    [merge] = reopened.applied_merges()
    assert (merge.survivor, merge.source, merge.decisions_file, merge.result_fingerprint) == (
        7,
        1,
        "/tmp/d.json",
        "v1:abc",
    )
    # A rejection recorded later does not undo the fact that the merge happened.
    reopened.reject(1, 7)
    assert reopened.judgement(1, 7) is Judgement.APPROVED


def test_is_applied_sees_another_processes_write_without_refresh(store_factory) -> None:
    first, second = store_factory(), store_factory()
    second.mark_applied(9, 4)
    assert first.is_applied(9, 4)
    assert first.judgement(9, 4) is None  # the in-memory view is a snapshot ...
    first.refresh()
    assert first.judgement(9, 4) is Judgement.APPROVED  # ... until refreshed


def test_match_never_proposes_rejected_or_applied_pairs_again(store_factory) -> None:
    records = [
        {
            "id": 1,
            "name": "Acme Sp. z o.o.",
            "tin": "5260250274",
            "tinCountry": "PL",
            "addressCity": "Warszawa",
        },
        {
            "id": 2,
            "name": "ACME sp. z o. o.",
            "tin": "526-025-02-74",
            "tinCountry": "PL",
            "addressCity": "Warsaw",
        },
        {
            "id": 3,
            "name": "Globex GmbH",
            "vatNumber": "DE811569869",
            "country": "DE",
            "addressCity": "Berlin",
        },
        {
            "id": 4,
            "name": "Globex GmbH",
            "vatNumber": "DE811569869",
            "country": "DE",
            "addressCity": "Berlin",
        },
    ]
    pairs = {(c.a, c.b) for c in match(records).candidates}
    assert {(1, 2), (3, 4)} <= pairs
    store = store_factory()
    store.reject(2, 1)
    store.mark_applied(3, 4)
    again = {(c.a, c.b) for c in match(records, decisions=store_factory()).candidates}
    assert (1, 2) not in again and (3, 4) not in again


def test_open_decision_store_picks_the_backend_from_settings(tmp_path: Path) -> None:
    with open_decision_store(load_settings(state_dir=tmp_path, redis_url=None)) as store:
        assert isinstance(store, SqliteDecisionStore)
        assert store.path == tmp_path / "decisions.sqlite3"
    prefix = f"test-decisions-{uuid.uuid4().hex}"
    settings = load_settings(redis_url="redis://127.0.0.1:6379/0", redis_prefix=prefix)
    with open_decision_store(settings) as store:
        assert isinstance(store, RedisDecisionStore)
        store.reject(1, 2)
        assert store.judgements_key == f"{prefix}:decisions:judgements"
    client = _redis()
    try:
        assert client.hlen(f"{prefix}:decisions:judgements") == 1
    finally:
        client.delete(f"{prefix}:decisions:judgements")
        client.close()


_WRITER = """
import sys
from enricher.state.decisions import SqliteDecisionStore
store = SqliteDecisionStore(sys.argv[1])
print("ready", flush=True)
i = 0
while True:
    i += 1
    store.reject(i, i + 1_000_000, source="x" * 200)
    store.mark_applied(i, i + 2_000_000)
"""


def test_a_writer_killed_mid_write_leaves_a_consistent_file(tmp_path: Path) -> None:
    path = tmp_path / "decisions.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        db.close()
    store = SqliteDecisionStore(path)
    try:
        decided = store.decisions()
        assert decided, "the writer wrote nothing in half a second"
        # Every write is whole: each judgement i has its applied merge i, except maybe the very last.
        applied = {m.survivor for m in store.applied_merges()}
        judged = {d.a for d in decided}
        assert judged - applied <= {max(judged)}
        assert all(d.judgement is Judgement.REJECTED and d.source == "x" * 200 for d in decided)
    finally:
        store.close()


def test_the_learnt_model_is_stored_versioned_and_read_back_after_a_restart(store_factory: object) -> None:
    from tests.matching.test_learning import register

    from enricher.matching import LearnedModel

    open_store = store_factory  # type: ignore[assignment]
    store = open_store()  # type: ignore[operator]
    assert store.load_model() is None
    records = register()
    first = match(records, decisions=store).learned
    assert first is not None
    assert store.save_model(first.to_json()) == 1
    plain = match(records).questions[:3]
    for a, b in plain:
        store.approve(a, b)
    second = match(records, decisions=store).learned
    assert second is not None and second.answers == 3
    assert store.save_model(second.to_json()) == 2
    store.close()

    again = open_store()  # type: ignore[operator]  # another process, after a restart
    loaded = LearnedModel.from_json(again.load_model())
    assert loaded.version == 2 and loaded.answers == 3
    assert loaded.calibration.summary() == second.calibration.summary()
    assert loaded.model.describe() == second.model.describe()
