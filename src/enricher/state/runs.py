"""Small Redis records that make jobs safe to run twice: once-per-window marks, fan-out latches,
delivery counters (poison guard) and the ledger of branding we wrote.

Layout (prefix ``enricher``): ``once:{name}`` (string with TTL), ``run:{id}:parts`` / ``run:{id}:done``
(latch), ``task:deliveries:{task_id}`` (counter with TTL), ``branding:filled`` (hash id -> JSON).
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import redis

from enricher.errors import StateError
from enricher.records import RecordId
from enricher.state._redis import Keys

__all__ = ["BrandingLedger", "DeliveryCounter", "FanOut", "once", "own", "release"]


def once(client: redis.Redis, keys: Keys, name: str, *, window: int, holder: str | None = None) -> bool:
    """True the first time ``name`` is seen within ``window`` seconds, False after (SET NX EX).

    Scheduled jobs call this so that two beat processes started by mistake, or a beat restarted
    around the hour, run the nightly job once. ``holder`` (default: the time) is the mark's value, for
    :func:`own` and :func:`release`.
    """
    try:
        value = str(time.time()) if holder is None else holder
        return bool(client.set(keys.once(name), value, nx=True, ex=window))
    except redis.RedisError as exc:
        raise StateError(f"cannot mark {name!r}: {type(exc).__name__}") from exc


def own(client: redis.Redis, keys: Keys, name: str, holder: str) -> bool:
    """Hand a mark that is still there to ``holder`` (its TTL kept); False if it has gone."""
    try:
        return bool(client.set(keys.once(name), holder, xx=True, keepttl=True))
    except redis.RedisError as exc:
        raise StateError(f"cannot hand {name!r} to {holder}: {type(exc).__name__}") from exc


# A mark whose value is a number was taken by a version that wrote the time, not its holder (a deploy
# during a run): whoever finishes releases it, as that version did.
_RELEASE = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] or (held and tonumber(held)) then return redis.call('DEL', KEYS[1]) end
return 0
"""


def release(client: redis.Redis, keys: Keys, name: str, holder: str) -> bool:
    """Delete the mark ``name`` only if ``holder`` holds it (atomically): a late step of one run must
    not release the mark of a run that started after it. True if it was deleted."""
    try:
        return bool(client.eval(_RELEASE, 1, keys.once(name), holder))
    except redis.RedisError as exc:
        raise StateError(f"cannot release {name!r}: {type(exc).__name__}") from exc


class DeliveryCounter:
    """Counts how many times a task message was started, to drop one that keeps killing workers."""

    def __init__(self, client: redis.Redis, keys: Keys, *, ttl: int) -> None:
        self._r = client
        self._keys = keys
        self._ttl = ttl

    def started(self, task_id: str) -> int:
        """Count one more start of ``task_id`` and return the total."""
        key = self._keys.deliveries(task_id)
        try:
            pipe = self._r.pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, self._ttl)
            count, _ = pipe.execute()
        except redis.RedisError as exc:
            raise StateError(f"cannot count deliveries: {type(exc).__name__}") from exc
        return int(count)

    def finished(self, task_id: str) -> None:
        """The message is done (success or final failure): forget its count."""
        with contextlib.suppress(redis.RedisError):  # else it expires with its TTL
            self._r.delete(self._keys.deliveries(task_id))


# KEYS[1] = done set, KEYS[2] = expected count; ARGV[1] = part, ARGV[2] = ttl.
# Returns 1 to exactly one caller: the one whose part completes the set.
_ARRIVE = """
local added = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
local expected = tonumber(redis.call('GET', KEYS[2]) or '-1')
if added == 1 and redis.call('SCARD', KEYS[1]) == expected then return 1 end
return 0
"""


class FanOut:
    """A countdown latch in Redis: the task that finishes the last part starts the gather step.

    This replaces a chord: no chord unlock polling and no errback to forget. A part that fails for
    good still *arrives* (with its failure recorded), so the gather always runs and reports it.
    Redelivered parts arrive twice harmlessly (a set), and only the completing arrival returns True.
    """

    def __init__(self, client: redis.Redis, keys: Keys, run_id: str, *, ttl: int = 24 * 3600) -> None:
        self._r = client
        self.run_id = run_id
        self._done = keys("run", run_id, "done")
        self._expected = keys("run", run_id, "parts")
        self._results = keys("run", run_id, "results")
        self._ttl = ttl
        self._arrive = client.register_script(_ARRIVE)

    def start(self, parts: int) -> None:
        try:
            pipe = self._r.pipeline(transaction=True)
            pipe.delete(self._done, self._results)
            pipe.set(self._expected, parts, ex=self._ttl)
            pipe.execute()
        except redis.RedisError as exc:
            raise StateError(f"cannot start run {self.run_id}: {type(exc).__name__}") from exc

    def arrive(self, part: int, result: Any) -> bool:
        """Store ``result`` of ``part``; True for the one caller that completed the run."""
        try:
            self._r.hset(self._results, str(part), json.dumps(result, separators=(",", ":")))
            self._r.expire(self._results, self._ttl)
            return bool(self._arrive(keys=[self._done, self._expected], args=[str(part), self._ttl]))
        except redis.RedisError as exc:
            raise StateError(f"cannot record part {part} of {self.run_id}: {type(exc).__name__}") from exc

    def results(self) -> dict[int, Any]:
        try:
            raw = self._r.hgetall(self._results)
        except redis.RedisError as exc:
            raise StateError(f"cannot read run {self.run_id}: {type(exc).__name__}") from exc
        return {int(k): json.loads(v) for k, v in raw.items()}

    def clear(self) -> None:
        self._r.delete(self._done, self._expected, self._results)


class BrandingLedger:
    """What branding we wrote to which record and when, so the weekly job can refresh stale ones."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._r = client
        self._key = keys.branding()

    def wrote(self, record_id: RecordId, fields: dict[str, Any]) -> None:
        entry = {"at": time.time(), "fields": fields}
        try:
            self._r.hset(self._key, str(record_id), json.dumps(entry, separators=(",", ":")))
        except redis.RedisError as exc:
            raise StateError(f"cannot record branding of {record_id}: {type(exc).__name__}") from exc

    def get(self, record_id: RecordId) -> dict[str, Any] | None:
        raw = self._r.hget(self._key, str(record_id))
        return json.loads(raw) if raw else None

    def older_than(self, seconds: float) -> dict[str, dict[str, Any]]:
        """Entries written more than ``seconds`` ago, by record id (as a string)."""
        cutoff = time.time() - seconds
        out: dict[str, dict[str, Any]] = {}
        for rid, raw in self._r.hscan_iter(self._key, count=500):
            entry = json.loads(raw)
            if float(entry.get("at", 0)) < cutoff:
                out[rid.decode() if isinstance(rid, bytes) else str(rid)] = entry
        return out
