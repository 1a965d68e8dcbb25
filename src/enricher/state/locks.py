"""Locks that hold across worker processes and machines (Redis), or across local processes (a file).

Every lock has a time to live: a worker killed with SIGKILL cannot release it, so it expires by
itself. The TTL must exceed the hard time limit of the task that holds it (so it never expires under
a live holder) and stay below the broker's visibility timeout (so the redelivered task finds it free).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import filelock
import redis

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
            self._keys.lock(name), timeout=ttl, blocking=wait > 0, blocking_timeout=wait or None
        )
        try:
            acquired = lock.acquire()
        except redis.RedisError as exc:
            raise StateError(f"cannot take lock {name!r}: {type(exc).__name__}") from exc
        if not acquired:
            raise LockBusy(name)
        try:
            yield
        finally:
            with contextlib.suppress(redis.RedisError):  # expired or Redis gone: the TTL cleans up
                lock.release()

    def is_held(self, name: str) -> bool:
        return bool(self._r.exists(self._keys.lock(name)))


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
