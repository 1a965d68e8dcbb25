"""Locks that hold across worker processes and machines (Redis), or across local processes (a file).

Every lock has a time to live: a worker killed with SIGKILL cannot release it, so it expires by
itself. A live holder keeps extending it (every third of the TTL, from a thread), so the TTL is only
how long a dead holder blocks the others: below the broker's visibility timeout, the redelivered task
finds it free, however long the task itself may run.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import filelock
import redis
from redis.exceptions import LockNotOwnedError
from redis.lock import Lock

from enricher.errors import StateError
from enricher.state._redis import Keys

__all__ = ["FileLocks", "LockBusy", "Locks", "RedisLocks"]

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class LockBusy(StateError):
    """Someone else holds the lock; ``name`` says which."""

    def __init__(self, name: str) -> None:
        super().__init__(f"lock {name!r} is held by another worker")
        self.name = name


class Locks(Protocol):
    """Named exclusive locks with a time to live."""

    def hold(self, name: str, *, ttl: float, wait: float = 0.0) -> contextlib.AbstractContextManager[None]:
        """Hold ``name`` for the ``with`` block; raise LockBusy if not acquired within ``wait`` seconds."""
        ...


class RedisLocks:
    """Redis locks (redis-py's token lock: only the holder can release, expiry after ``ttl``)."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._r = client
        self._keys = keys

    @contextlib.contextmanager
    def hold(self, name: str, *, ttl: float, wait: float = 0.0) -> Iterator[None]:
        lock = self._r.lock(
            self._keys.lock(name),
            timeout=ttl,
            blocking=wait > 0,
            blocking_timeout=wait or None,
            thread_local=False,  # the keeper thread extends it with the holder's token
        )
        try:
            acquired = lock.acquire()
        except redis.RedisError as exc:
            raise StateError(f"cannot take lock {name!r}: {type(exc).__name__}") from exc
        if not acquired:
            raise LockBusy(name)
        stop = threading.Event()
        keeper = threading.Thread(target=_keep, args=(lock, ttl, stop), name=f"lock {name}", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join(timeout=5)
            with contextlib.suppress(redis.RedisError):  # expired or Redis gone: the TTL cleans up
                lock.release()

    def is_held(self, name: str) -> bool:
        return bool(self._r.exists(self._keys.lock(name)))


def _keep(lock: Lock, ttl: float, stop: threading.Event) -> None:
    """Extend ``lock`` to a full ``ttl`` every third of it until ``stop``; give up once it is lost."""
    while not stop.wait(ttl / 3):
        try:
            lock.reacquire()
        except LockNotOwnedError:
            return  # expired (Redis was away longer than the TTL) and maybe taken: nothing to keep
        except redis.RedisError:
            continue  # Redis unreachable right now: try again at the next beat


class FileLocks:
    """Embedded mode: an OS file lock per name under ``directory`` (filelock: ``flock`` on POSIX),
    released when the process dies."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory / "locks"

    @contextlib.contextmanager
    def hold(self, name: str, *, ttl: float, wait: float = 0.0) -> Iterator[None]:
        del ttl  # the kernel drops a flock with its process: nothing can outlive the holder
        self._dir.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(self._dir / f"{_SAFE.sub('_', name)}.lock", timeout=wait, mode=0o600)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise LockBusy(name) from None
        try:
            yield
        finally:
            lock.release()
