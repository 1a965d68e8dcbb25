"""Locks: exclusive across holders, expire after a crash, file locks for embedded mode."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from redis_prefix import rkeys  # noqa: F401 - fixture

from enricher.state import FileLocks, Keys, LockBusy, RedisLocks

pytestmark = pytest.mark.integration


def test_second_holder_is_refused_until_release(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    client, keys = rkeys
    a, b = RedisLocks(client, keys), RedisLocks(client, keys)
    with a.hold("enrich:1", ttl=10):
        with pytest.raises(LockBusy, match="enrich:1"), b.hold("enrich:1", ttl=10):
            pass
        with b.hold("enrich:2", ttl=10):  # another record is free
            pass
    with b.hold("enrich:1", ttl=10):
        assert a.is_held("enrich:1")
    assert not a.is_held("enrich:1")


def test_lock_of_a_killed_holder_expires(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    client, keys = rkeys
    code = (
        "import redis, time, os, signal\n"
        "from enricher.state import Keys, RedisLocks\n"
        f"l = RedisLocks(redis.Redis(port=6379), Keys({keys.prefix!r}))\n"
        "with l.hold('match-all', ttl=1.5):\n"
        "    print('held', flush=True); os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "held" and proc.returncode == -9
    locks = RedisLocks(client, keys)
    with pytest.raises(LockBusy), locks.hold("match-all", ttl=5):
        pass
    time.sleep(1.6)
    with locks.hold("match-all", ttl=5):
        pass


def test_waiting_for_a_lock(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    client, keys = rkeys
    locks = RedisLocks(client, keys)
    client.set(keys.lock("x"), "someone", px=300)
    start = time.monotonic()
    with locks.hold("x", ttl=5, wait=3):
        assert time.monotonic() - start >= 0.2


def test_file_locks(tmp_path: Path) -> None:
    a, b = FileLocks(tmp_path), FileLocks(tmp_path)
    with a.hold("enrich:1/../x", ttl=1), pytest.raises(LockBusy), b.hold("enrich:1/../x", ttl=1, wait=0.1):
        pass
    with b.hold("enrich:1/../x", ttl=1):
        pass
    assert [p.name for p in (tmp_path / "locks").iterdir()] == ["enrich_1_.._x.lock"]


def test_a_live_holder_keeps_its_lock_past_the_ttl(rkeys: tuple[redis.Redis, Keys]) -> None:  # noqa: F811
    """The TTL bounds how long a dead holder blocks others, not how long a live one may work."""
    client, keys = rkeys
    a, b = RedisLocks(client, keys), RedisLocks(client, keys)
    with a.hold("apply-merges", ttl=1.0):
        time.sleep(2.5)  # 2.5 TTLs: without the keeper the lock would have expired twice over
        with pytest.raises(LockBusy), b.hold("apply-merges", ttl=1.0):
            pass
        assert client.pttl(keys.lock("apply-merges")) > 0
    assert not a.is_held("apply-merges")
